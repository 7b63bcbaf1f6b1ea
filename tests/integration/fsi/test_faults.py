"""T8: seeded crash points in a settlement (2207) and its reversal (2208).

The work of one message is made to fail at every SQL statement in turn (seed k = the k-th
statement of the transaction), at the commit, and at named points (after the account
debit, after the settlement is recorded, at the fund rows' insert). After each failure
nothing of the message may be stored — no ``fsi_messages`` row, no settlement, no journal
entry, the balance and the visit unchanged — and the identical message sent again must
have exactly one effect and answer the same bytes on every later retry.

A PostgreSQL serialization failure (SQLSTATE 40001) at any statement is retried by
:func:`yibao.persistence.db.transaction` without the caller noticing, with one effect.
Both databases (SQLite, and PostgreSQL when ``YIBAO_TEST_DATABASE_URL`` is set).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hospital_client import HOSPITAL, SHANGHAI, add_catalog
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from yibao.domain.idcard import with_check_digit
from yibao.national import jsonout
from yibao.national.dispatch import process
from yibao.persistence.tables import Account, FsiMessage, JournalEntry, Posting
from yibao.persistence.tables.hospital import FeeLine, Settlement, SettlementFund, Visit
from yibao.services import institutions, ledger, persons
from yibao.services import settlement as settlement_service
from yibao.services.ledger import check_ledger

OPENING_FEN = 120000
_numbers = itertools.count(1)


class FakeDriverError(Exception):
    """What psycopg raises, as far as the retry logic looks at it."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"injected failure (sqlstate {sqlstate})")
        self.sqlstate = sqlstate


def operational(sqlstate: str | None = None) -> OperationalError:
    return OperationalError("injected", None, FakeDriverError(sqlstate))


def _now_text() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Bench:
    factory: sessionmaker[Session]
    engine: Engine
    key: str
    person_id: int
    psn_no: str
    cert: str

    def message(self, infno: str, payload: dict[str, Any]) -> bytes:
        return jsonout.dumps(
            {
                "infno": infno,
                "msgid": f"{HOSPITAL}{next(_numbers):018d}",
                "mdtrtarea_admvs": "150102",
                "insuplc_admdvs": "150102",
                "inf_time": _now_text(),
                "fixmedins_code": HOSPITAL,
                "input": payload,
            }
        ).encode()

    def send(self, body: bytes) -> tuple[str, dict[str, Any]]:
        text = process(self.factory, self.key, body, b"")
        return text, jsonout.loads(text)

    def call(self, infno: str, payload: dict[str, Any]) -> Any:
        _, reply = self.send(self.message(infno, payload))
        assert reply["infcode"] == 0, reply["err_msg"]
        return reply["output"]

    def ready_visit(self) -> dict[str, Any]:
        """A registered visit with 500.00 of fees: the 2207 input that settles it."""
        mdtrt_id = self.call(
            "2201",
            {
                "data": {
                    "psn_no": self.psn_no,
                    "insutype": "310",
                    "begntime": _now_text(),
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": self.cert,
                    "ipt_otp_no": f"MZ{next(_numbers):010d}",
                    "atddr_no": "D1",
                    "dr_name": "王医生",
                    "dept_code": "A01",
                    "dept_name": "内科",
                    "caty": "A03",
                }
            },
        )["data"]["mdtrt_id"]
        self.call(
            "2204",
            {
                "feedetail": [
                    {
                        "feedetl_sn": "1",
                        "mdtrt_id": mdtrt_id,
                        "psn_no": self.psn_no,
                        "chrg_bchno": "B1",
                        "fee_ocur_time": _now_text(),
                        "med_list_codg": "XJ01DCK050A001010100001",
                        "det_item_fee_sumamt": Decimal("500.00"),
                        "cnt": Decimal("10"),
                        "pric": Decimal("50"),
                    }
                ]
            },
        )
        return {
            "psn_no": self.psn_no,
            "mdtrt_id": mdtrt_id,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": self.cert,
            "med_type": "11",
            "medfee_sumamt": Decimal("500.00"),
            "psn_setlway": "01",
            "acct_used_flag": "1",
            "insutype": "310",
        }

    def state(self, mdtrt_id: str) -> dict[str, Any]:
        """What a settlement or reversal of this visit could have changed."""
        with self.factory() as s:
            visit = s.scalars(select(Visit).where(Visit.mdtrt_id == mdtrt_id)).one()
            assert check_ledger(s) == []
            return {
                "messages": s.scalar(select(func.count()).select_from(FsiMessage)),
                "settlements": s.execute(
                    select(Settlement.setl_id, Settlement.kind, Settlement.reversed)
                    .where(Settlement.visit_id == visit.id)
                    .order_by(Settlement.id)
                ).all(),
                "funds": s.scalar(select(func.count()).select_from(SettlementFund)),
                "entries": s.scalar(select(func.count()).select_from(JournalEntry)),
                "postings": s.scalar(select(func.count()).select_from(Posting)),
                "balance": s.scalar(
                    select(Account.balance_fen).where(Account.person_id == self.person_id)
                ),
                "visit": visit.status,
                "lines": s.execute(
                    select(FeeLine.id, FeeLine.settlement_id).where(FeeLine.visit_id == visit.id)
                ).all(),
            }


@pytest.fixture
def bench(session_factory: sessionmaker[Session], engine: Engine) -> Bench:
    with session_factory() as s, s.begin():
        inst = institutions.create_institution(
            s,
            code=HOSPITAL,
            name="故障注入测试医院",
            type="hospital",
            region="150102",
            level=3,
            designated_begin=date(2020, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
        add_catalog(s)
        cert = with_check_digit("15010219800517001")
        person = persons.create_person(
            s,
            name="故障注入参保人",
            certno=cert,
            policy_id="national-employee",
            group="in_service",
            region="150102",
            since=date(2020, 1, 1),
        )
        ledger.credit(s, person, OPENING_FEN, kind="monthly_credit", reason="期初余额")
        return Bench(session_factory, engine, key, person.id, person.psn_no, cert)


class StatementFault:
    """Raises ``error()`` at the ``at``-th SQL statement (counted from 1, BEGIN included)
    once armed, once; ``seen`` counts the statements of the armed call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.at = 0
        self.seen = 0
        self.error: Callable[[], BaseException] = RuntimeError
        self.fired = False
        self.match: str | None = None

    def arm(self, at: int, error: Callable[[], BaseException], match: str | None = None) -> None:
        self.at, self.error, self.match = at, error, match
        self.seen, self.fired = 0, False

    def disarm(self) -> None:
        self.at = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self.at or self.fired:
            return
        if self.match is not None and not statement.lstrip().upper().startswith(self.match):
            return
        self.seen += 1
        if self.seen == self.at:
            self.fired = True
            raise self.error()


@pytest.fixture
def fault(bench: Bench) -> Iterator[StatementFault]:
    hook = StatementFault(bench.engine)
    event.listen(bench.engine, "before_cursor_execute", hook)
    yield hook
    event.remove(bench.engine, "before_cursor_execute", hook)


def _settled_once(
    bench: Bench,
    body: bytes,
    mdtrt_id: str,
    before: dict[str, Any],
    sent: tuple[str, dict[str, Any]] | None = None,
) -> str:
    """Send ``body`` (again), unless ``sent`` is its answer already: it settled, once; the
    answer is stable. Returns it."""
    text, reply = sent or bench.send(body)
    assert reply["infcode"] == 0, reply["err_msg"]
    after = bench.state(mdtrt_id)
    assert after["messages"] == before["messages"] + 1
    assert [kind for _, kind, _ in after["settlements"]] == [
        *(kind for _, kind, _ in before["settlements"]),
        "settle",
    ]
    info = reply["output"]["setlinfo"]
    # every leg is there: fund, personal account and cash
    assert (info["hifp_pay"], info["acct_pay"], info["psn_cash_pay"]) == (
        Decimal("240.00"),
        Decimal("260.00"),
        Decimal("0.00"),
    )
    assert after["balance"] == before["balance"] - 26000
    assert after["visit"] == "settled"
    assert bench.send(body)[0] == text
    assert bench.state(mdtrt_id) == after
    return text


def _reversed_once(
    bench: Bench,
    body: bytes,
    mdtrt_id: str,
    before: dict[str, Any],
    sent: tuple[str, dict[str, Any]] | None = None,
) -> str:
    text, reply = sent or bench.send(body)
    assert reply["infcode"] == 0, reply["err_msg"]
    after = bench.state(mdtrt_id)
    assert after["messages"] == before["messages"] + 1
    assert [kind for _, kind, _ in after["settlements"]] == ["settle", "reversal"]
    assert after["settlements"][0][2] is True
    assert after["balance"] == OPENING_FEN
    assert after["visit"] == "open"
    assert all(settlement_id is None for _, settlement_id in after["lines"])
    assert bench.send(body)[0] == text
    assert bench.state(mdtrt_id) == after
    return text


def _prepare(bench: Bench, infno: str) -> tuple[bytes, str]:
    """A fresh visit and the message under test: its settlement, or the reversal of it."""
    data = bench.ready_visit()
    if infno == "2207":
        return bench.message("2207", {"data": data}), data["mdtrt_id"]
    setl_id = bench.call("2207", {"data": data})["setlinfo"]["setl_id"]
    reversal = {"setl_id": setl_id, "mdtrt_id": data["mdtrt_id"], "psn_no": data["psn_no"]}
    return bench.message("2208", {"data": reversal}), data["mdtrt_id"]


def _crash_then_retry(
    bench: Bench, infno: str, arm: Callable[[], None], disarm: Callable[[], None]
) -> bool:
    """One seed: crash the message, check nothing stayed, retry it. False if the armed
    fault never fired (the seed is past the message's last statement)."""
    body, mdtrt_id = _prepare(bench, infno)
    before = bench.state(mdtrt_id)
    arm()
    try:
        bench.send(body)
    except (OperationalError, RuntimeError):
        crashed = True
    else:
        crashed = False
    finally:
        disarm()
    if crashed:
        assert bench.state(mdtrt_id) == before, "a crashed message left something behind"
    else:
        # the answer was stored; only its bytes are lost to the client: the retry gives them
        pass
    if infno == "2207":
        _undo(bench, _settled_once(bench, body, mdtrt_id, before))
    else:
        _reversed_once(bench, body, mdtrt_id, before)
    return crashed


def _undo(bench: Bench, answer: str) -> None:
    """Reverse a settlement, so that the next seed starts from the same balance and
    year-to-date (and its settlement debits the account and pays from the fund again)."""
    info = jsonout.loads(answer)["output"]["setlinfo"]
    bench.call(
        "2208",
        {
            "data": {
                "setl_id": info["setl_id"],
                "mdtrt_id": info["mdtrt_id"],
                "psn_no": bench.psn_no,
            }
        },
    )


@pytest.mark.parametrize("infno", ["2207", "2208"])
def test_a_crash_at_any_statement_leaves_nothing_and_the_retry_has_one_effect(
    bench: Bench, fault: StatementFault, infno: str
) -> None:
    errors: list[Callable[[], BaseException]] = [
        operational,
        lambda: RuntimeError("injected crash"),
    ]
    seeds = 0
    for k in itertools.count(1):
        error = errors[k % 2]
        if not _crash_then_retry(
            bench, infno, lambda k=k, error=error: fault.arm(k, error), fault.disarm
        ):
            break
        seeds += 1
    assert seeds >= 15  # every statement of the message's transaction (17 to 24 of them)


@pytest.mark.parametrize("infno", ["2207", "2208"])
def test_a_failed_commit_leaves_nothing_and_the_retry_has_one_effect(
    bench: Bench, infno: str
) -> None:
    state = {"armed": False}

    def on_commit(conn: Any) -> None:
        if state["armed"]:
            state["armed"] = False
            raise operational()

    event.listen(bench.engine, "commit", on_commit)
    try:
        assert _crash_then_retry(
            bench, infno, lambda: state.update(armed=True), lambda: state.update(armed=False)
        )
    finally:
        event.remove(bench.engine, "commit", on_commit)


def _after(target: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    """``target`` that does its work, then fails once."""
    fired: list[bool] = []

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = target(*args, **kwargs)
        if not fired:
            fired.append(True)
            raise error
        return result

    return wrapper


@pytest.mark.parametrize(
    ("point", "error"),
    [
        ("after the account debit", operational()),
        ("after the settlement is recorded", RuntimeError("crash before commit")),
        ("at the fund rows' insert", operational()),
        ("at the msgid claim", RuntimeError("crash at the claim")),
    ],
)
def test_named_crash_points_of_a_settlement(
    bench: Bench,
    fault: StatementFault,
    monkeypatch: pytest.MonkeyPatch,
    point: str,
    error: BaseException,
) -> None:
    def arm() -> None:
        if point == "after the account debit":
            monkeypatch.setattr(ledger, "post_entry", _after(ledger.post_entry, error))
        elif point == "after the settlement is recorded":
            monkeypatch.setattr(
                settlement_service, "record", _after(settlement_service.record, error)
            )
        elif point == "at the fund rows' insert":
            fault.arm(1, lambda: error, match="INSERT INTO SETTLEMENT_FUNDS")
        else:
            fault.arm(1, lambda: error, match="INSERT INTO FSI_MESSAGES")

    def disarm() -> None:
        monkeypatch.undo()
        fault.disarm()

    assert _crash_then_retry(bench, "2207", arm, disarm)
    assert fault.fired or point.startswith("after")


def test_a_lost_answer_is_given_again_on_retry(bench: Bench) -> None:
    """The crash comes after the commit: the hospital never saw the answer."""
    body, mdtrt_id = _prepare(bench, "2207")
    before = bench.state(mdtrt_id)
    lost, _ = bench.send(body)
    assert _settled_once(bench, body, mdtrt_id, before) == lost


@pytest.mark.parametrize("infno", ["2207", "2208"])
def test_a_serialization_failure_anywhere_is_retried_transparently(
    bench: Bench, fault: StatementFault, infno: str
) -> None:
    seeds = 0
    for k in itertools.count(1):
        body, mdtrt_id = _prepare(bench, infno)
        before = bench.state(mdtrt_id)
        fault.arm(k, lambda k=k: operational("40001" if k % 2 else "40P01"))
        try:
            sent = bench.send(body)  # no exception: retried inside
        finally:
            fired = fault.fired
            fault.disarm()
        if infno == "2207":
            _undo(bench, _settled_once(bench, body, mdtrt_id, before, sent))
        else:
            _reversed_once(bench, body, mdtrt_id, before, sent)
        if not fired:
            break
        seeds += 1
    assert seeds >= 15


def test_a_serialization_failure_that_persists_gives_up_and_leaves_nothing(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    body, mdtrt_id = _prepare(bench, "2207")
    before = bench.state(mdtrt_id)
    calls: list[int] = []

    def always(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise operational("40001")

    monkeypatch.setattr(settlement_service, "record", always)
    with pytest.raises(OperationalError):
        bench.send(body)
    assert len(calls) == 5  # transaction()'s bounded attempts
    assert bench.state(mdtrt_id) == before
    monkeypatch.undo()
    _settled_once(bench, body, mdtrt_id, before)
