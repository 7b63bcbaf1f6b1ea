"""个人账户 as a double-entry ledger (append-only).

Every movement is a :class:`JournalEntry` whose postings sum to zero: the person's account
on one side, a system account on the other (``contribution_source`` for monthly credits,
``institution_payable`` for settlement debits and their reversals, ``adjustments`` for
manual corrections). A person account's stored ``balance_fen`` moves in the same transaction
by a conditional UPDATE (``... WHERE id = :id AND balance_fen + :delta >= 0``), so it can
never go negative even under concurrent debits (PostgreSQL re-checks the WHERE clause after
waiting for the row lock; SQLite transactions are serialized by ``BEGIN IMMEDIATE``).
Corrections are new entries; nothing is updated or deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from yibao.domain.money import from_fen
from yibao.persistence.base import utcnow
from yibao.persistence.db import Batch, bind_time
from yibao.persistence.tables import Account, JournalEntry, Person, Posting
from yibao.services.errors import InsufficientBalance, InvalidInput, NotFound

KINDS = ("monthly_credit", "settlement_debit", "reversal", "adjustment")
KIND_LABELS = {
    "monthly_credit": "个人账户划入",
    "settlement_debit": "结算支付",
    "reversal": "结算撤销退回",
    "adjustment": "人工调整",
}
# The system account on the other side of each kind of movement.
COUNTERPART = {
    "monthly_credit": "system:contribution_source",
    "settlement_debit": "system:institution_payable",
    "reversal": "system:institution_payable",
    "adjustment": "system:adjustments",
}
MAX_FEN = 10**13


@dataclass(frozen=True, slots=True)
class TransactionRow:
    """One movement of a person's account, as the person sees it."""

    entry_id: int
    created_at: datetime
    kind: str
    label: str
    reason: str
    ref: str | None
    amount_fen: int  # signed: + into the account, - out of it


def open_person_account(session: Session, person: Person) -> Account:
    account = Account(
        code=f"person:{person.psn_no}",
        kind="personal",
        label=f"{person.name} 个人账户",
        person_id=person.id,
        balance_fen=0,
    )
    session.add(account)
    session.flush()
    return account


def account_of(session: Session, person: Person) -> Account | None:
    return session.scalars(select(Account).where(Account.person_id == person.id)).one_or_none()


def system_account(session: Session, code: str) -> Account:
    account = session.scalars(select(Account).where(Account.code == code)).one_or_none()
    if account is None:
        raise NotFound(f"系统账户 {code} 不存在：请先运行 yibao db upgrade")
    return account


def post_entry(
    session: Session | Batch,
    *,
    kind: str,
    reason: str,
    ref: str | None,
    postings: Sequence[tuple[Account, int]],
) -> JournalEntry | None:
    """Write one balanced journal entry and move the tracked balances, all or nothing.

    Raises :class:`InsufficientBalance` (and writes nothing the caller's transaction keeps,
    provided the caller rolls back) if a tracked balance would go negative.

    Given a :class:`~yibao.persistence.db.Batch` (the settlement hot path) it queues plain
    statements that need no result, to share the caller's round trip: the accounts'
    ``balance_fen`` must be the current, locked balances (the balance check is made here,
    before writing), and ``ref`` must name this entry alone (a ``setl_id``); returns None.
    """
    if kind not in KINDS:
        raise InvalidInput(f"记账类型应为 {'、'.join(KINDS)}", field="kind")
    reason = reason.strip()
    if not reason or len(reason) > 200:
        raise InvalidInput("记账事由不能为空，且不超过 200 字", field="reason")
    if len(postings) < 2 or sum(amount for _, amount in postings) != 0:
        raise InvalidInput("记账分录不平衡（借贷合计应为 0）", field="postings")
    for account, amount in postings:
        if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0:
            raise InvalidInput("记账金额应为非零整数（分）", field="amount")
        if abs(amount) > MAX_FEN:
            raise InvalidInput("记账金额过大", field="amount")
        if account.id is None:
            raise InvalidInput("账户尚未保存", field="account")
    if isinstance(session, Batch):
        _post_entry_sql(session, kind, reason, ref, postings)
        return None
    # Touch tracked balances in ascending id order (a consistent lock order).
    for account, amount in sorted(postings, key=lambda p: p[0].id):
        if account.balance_fen is not None:
            _move_balance(session, account, amount)
    entry = JournalEntry(kind=kind, reason=reason, ref=ref)
    entry.postings = [
        Posting(account_id=account.id, amount_fen=amount) for account, amount in postings
    ]
    session.add(entry)
    session.flush()  # one flush: the entry, then its postings
    return entry


_ENTRY_SQL = (
    "INSERT INTO journal_entries (kind, reason, ref, created_at)"
    " VALUES (:kind, :reason, :ref, :created_at)"
)
# the entry is found by its (kind, ref): a statement in the same round trip cannot read the
# id the INSERT above generated. Both postings in one statement, inserted in their order
# (VALUES' columns are named column1, column2, ... on SQLite and PostgreSQL alike).
_POSTINGS_SQL = (
    "INSERT INTO postings (entry_id, account_id, amount_fen)"
    " SELECT e.id, v.column2, v.column3 FROM journal_entries e,"
    " (VALUES (0, :account_id_0, :amount_fen_0), (1, :account_id_1, :amount_fen_1)) AS v"
    " WHERE e.ref = :ref AND e.kind = :kind ORDER BY v.column1"
)
_POSTING_SQL = (
    "INSERT INTO postings (entry_id, account_id, amount_fen)"
    " SELECT id, :account_id, :amount_fen FROM journal_entries WHERE ref = :ref AND kind = :kind"
)
# the CHECK constraint balance_not_negative backs up the check made before the write
_BALANCE_SQL = "UPDATE accounts SET balance_fen = balance_fen + :delta WHERE id = :account_id"


def _post_entry_sql(
    batch: Batch,
    kind: str,
    reason: str,
    ref: str | None,
    postings: Sequence[tuple[Account, int]],
) -> None:
    if not ref:
        raise InvalidInput("记账参考号不能为空", field="ref")
    for account, amount in postings:
        if account.balance_fen is not None and account.balance_fen + amount < 0:
            raise InsufficientBalance(
                f"个人账户余额不足：需支付 {from_fen(-amount)} 元", field="acct_pay"
            )
    for account, amount in sorted(postings, key=lambda p: p[0].id):
        if account.balance_fen is not None:
            batch.add(_BALANCE_SQL, {"delta": amount, "account_id": account.id})
            account.balance_fen += amount
    created = bind_time(batch.conn, utcnow())
    batch.add(_ENTRY_SQL, {"kind": kind, "reason": reason, "ref": ref, "created_at": created})
    if len(postings) == 2:
        (first, first_fen), (second, second_fen) = postings
        batch.add(
            _POSTINGS_SQL,
            {
                "account_id_0": first.id,
                "amount_fen_0": first_fen,
                "account_id_1": second.id,
                "amount_fen_1": second_fen,
                "ref": ref,
                "kind": kind,
            },
        )
        return
    for account, amount in postings:
        batch.add(
            _POSTING_SQL,
            {"account_id": account.id, "amount_fen": amount, "ref": ref, "kind": kind},
        )


def _move_balance(session: Session, account: Account, delta: int) -> None:
    new_balance = session.execute(
        update(Account)
        .where(Account.id == account.id, Account.balance_fen + delta >= 0)
        .values(balance_fen=Account.balance_fen + delta)
        .returning(Account.balance_fen)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if new_balance is None:
        raise InsufficientBalance(
            f"个人账户余额不足：需支付 {from_fen(-delta)} 元", field="acct_pay"
        )
    set_committed_value(account, "balance_fen", int(new_balance))  # as stored, no re-read


def _person_account_or_error(session: Session, person: Person) -> Account:
    account = account_of(session, person)
    if account is None:
        raise NotFound(f"参保人 {person.psn_no} 没有个人账户（其险种不设个人账户）")
    return account


def _with_counterpart(
    session: Session,
    person: Person,
    delta: int,
    kind: str,
    reason: str,
    ref: str | None,
    account: Account | None,
) -> JournalEntry:
    """One entry: ``delta`` on the person's account, the opposite on ``kind``'s counterpart."""
    account = account or _person_account_or_error(session, person)
    other = system_account(session, COUNTERPART.get(kind, COUNTERPART["adjustment"]))
    entry = post_entry(
        session, kind=kind, reason=reason, ref=ref, postings=[(account, delta), (other, -delta)]
    )
    assert entry is not None
    return entry


def credit(
    session: Session,
    person: Person,
    fen: int,
    kind: str,
    reason: str,
    ref: str | None = None,
    *,
    account: Account | None = None,
) -> JournalEntry:
    """Put ``fen`` (> 0) into the person's account; the counterpart follows ``kind``.
    ``account``: the person's account if the caller has it already (saves a read)."""
    if not isinstance(fen, int) or fen <= 0:
        raise InvalidInput("入账金额应为正整数（分）", field="amount")
    return _with_counterpart(session, person, fen, kind, reason, ref, account)


def debit(
    session: Session,
    person: Person,
    fen: int,
    kind: str,
    reason: str,
    ref: str | None = None,
    *,
    account: Account | None = None,
) -> JournalEntry:
    """Take ``fen`` (> 0) out of the person's account; refuses if the balance is short.
    ``account``: the person's account if the caller has it already (saves a read)."""
    if not isinstance(fen, int) or fen <= 0:
        raise InvalidInput("扣款金额应为正整数（分）", field="amount")
    return _with_counterpart(session, person, -fen, kind, reason, ref, account)


def balance_fen(session: Session, person: Person) -> int:
    """The person's account balance in fen (0 if the person has no account)."""
    value = session.scalar(select(Account.balance_fen).where(Account.person_id == person.id))
    return int(value or 0)


def transactions(
    session: Session, person: Person, limit: int = 50, offset: int = 0
) -> list[TransactionRow]:
    """The person's account movements, newest first."""
    rows = session.execute(
        select(
            JournalEntry.id,
            JournalEntry.created_at,
            JournalEntry.kind,
            JournalEntry.reason,
            JournalEntry.ref,
            Posting.amount_fen,
        )
        .join(Posting, Posting.entry_id == JournalEntry.id)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.person_id == person.id)
        .order_by(JournalEntry.id.desc())
        .limit(max(1, min(limit, 500)))
        .offset(max(0, offset))
    ).all()
    return [
        TransactionRow(
            entry_id=r[0],
            created_at=r[1],
            kind=r[2],
            label=KIND_LABELS[r[2]],
            reason=r[3],
            ref=r[4],
            amount_fen=int(r[5]),
        )
        for r in rows
    ]


def replay_balance(session: Session, account_id: int) -> int:
    """The account's balance recomputed from its postings."""
    total = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_fen), 0)).where(
            Posting.account_id == account_id
        )
    )
    return int(total or 0)


def check_ledger(session: Session) -> list[str]:
    """Problems found (empty when sound): unbalanced entries, entries without postings,
    stored balances that differ from their replay, negative person balances."""
    problems: list[str] = []
    unbalanced = session.execute(
        select(Posting.entry_id, func.sum(Posting.amount_fen))
        .group_by(Posting.entry_id)
        .having(func.sum(Posting.amount_fen) != 0)
    ).all()
    problems += [f"分录 {e} 借贷不平衡：合计 {s} 分" for e, s in unbalanced]
    empty = session.scalars(
        select(JournalEntry.id).where(~JournalEntry.postings.any()).order_by(JournalEntry.id)
    ).all()
    problems += [f"分录 {e} 没有明细" for e in empty]
    replayed = (
        select(Posting.account_id, func.sum(Posting.amount_fen).label("total"))
        .group_by(Posting.account_id)
        .subquery()
    )
    rows = session.execute(
        select(Account.id, Account.code, Account.balance_fen, replayed.c.total)
        .outerjoin(replayed, replayed.c.account_id == Account.id)
        .where(Account.balance_fen.is_not(None))
        .order_by(Account.id)
    ).all()
    for account_id, code, stored, total in rows:
        if int(stored) != int(total or 0):
            problems.append(
                f"账户 {account_id}（{code}）余额 {stored} 分 ≠ 流水合计 {total or 0} 分"
            )
        if int(stored) < 0:
            problems.append(f"账户 {account_id}（{code}）余额为负：{stored} 分")
    return problems
