from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from yibao.persistence.db import transaction
from yibao.persistence.tables import JournalEntry, Person, Posting
from yibao.services import ledger
from yibao.services.errors import InsufficientBalance, InvalidInput, NotFound


def test_credits_and_debits_are_balanced_entries_and_move_the_balance(
    make_person: Callable[..., Person], session: Session
) -> None:
    p = make_person()
    ledger.credit(session, p, 120000, "monthly_credit", "2024 年 1 月划入", "M202401")
    ledger.debit(session, p, 3550, "settlement_debit", "门诊结算", "S1")
    ledger.credit(session, p, 3550, "reversal", "门诊结算撤销", "S1")
    ledger.debit(session, p, 100, "adjustment", "多划冲回")
    session.commit()
    assert ledger.balance_fen(session, p) == 119900
    rows = ledger.transactions(session, p, limit=10)
    assert [r.amount_fen for r in rows] == [-100, 3550, -3550, 120000]
    assert rows[0].label == "人工调整"
    assert rows[-1].ref == "M202401"
    assert [r.amount_fen for r in ledger.transactions(session, p, limit=2, offset=1)] == [
        3550,
        -3550,
    ]
    account = ledger.account_of(session, p)
    assert account is not None
    assert ledger.replay_balance(session, account.id) == 119900
    assert ledger.check_ledger(session) == []
    sums = session.execute(
        select(Posting.entry_id, func.sum(Posting.amount_fen)).group_by(Posting.entry_id)
    ).all()
    assert len(sums) == 4
    assert all(total == 0 for _, total in sums)


def test_an_overdraft_is_refused_and_writes_nothing(
    make_person: Callable[..., Person], session: Session
) -> None:
    p = make_person()
    ledger.credit(session, p, 500, "monthly_credit", "划入")
    session.commit()
    with pytest.raises(InsufficientBalance, match="余额不足"):
        ledger.debit(session, p, 501, "settlement_debit", "门诊结算", "S9")
    session.rollback()
    assert ledger.balance_fen(session, p) == 500
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 1


@pytest.mark.parametrize("fen", [0, -5])
def test_amounts_must_be_positive_fen(
    make_person: Callable[..., Person], session: Session, fen: int
) -> None:
    p = make_person()
    with pytest.raises(InvalidInput):
        ledger.credit(session, p, fen, "monthly_credit", "划入")
    with pytest.raises(InvalidInput):
        ledger.debit(session, p, fen, "settlement_debit", "结算")


def test_unbalanced_or_unknown_entries_are_refused(
    make_person: Callable[..., Person], session: Session
) -> None:
    p = make_person()
    account = ledger.account_of(session, p)
    assert account is not None
    other = ledger.system_account(session, "system:adjustments")
    with pytest.raises(InvalidInput, match="不平衡"):
        ledger.post_entry(
            session, kind="adjustment", reason="x", ref=None, postings=[(account, 5), (other, -4)]
        )
    with pytest.raises(InvalidInput, match="记账类型"):
        ledger.post_entry(
            session, kind="gift", reason="x", ref=None, postings=[(account, 5), (other, -5)]
        )


def test_a_person_without_an_account_cannot_be_credited(
    make_person: Callable[..., Person], session: Session
) -> None:
    p = make_person(policy_id="taiyuan-resident", group="adult", region="140100")
    with pytest.raises(NotFound, match="没有个人账户"):
        ledger.credit(session, p, 100, "monthly_credit", "划入")


def test_a_hundred_concurrent_debits_never_overdraw(
    make_person: Callable[..., Person],
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    p = make_person()
    ledger.credit(session, p, 50, "monthly_credit", "划入")
    session.commit()
    psn_no = p.psn_no
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(100)

    def one_debit(i: int) -> None:
        def work(s: Session) -> None:
            person = s.scalars(select(Person).where(Person.psn_no == psn_no)).one()
            ledger.debit(s, person, 1, "settlement_debit", "并发结算", f"C{i}")

        start.wait()
        try:
            transaction(session_factory, work)
            result = "ok"
        except InsufficientBalance:
            result = "refused"
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            result = f"error: {exc!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=one_debit, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["ok", "refused"], outcomes
    assert outcomes.count("ok") == 50
    assert outcomes.count("refused") == 50
    with session_factory() as s:
        person = s.scalars(select(Person).where(Person.psn_no == psn_no)).one()
        assert ledger.balance_fen(s, person) == 0
        assert ledger.check_ledger(s) == []
