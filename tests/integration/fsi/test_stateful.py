"""T1 for the hospital settlement API: a hypothesis state machine drives random sequences of
registrations, admissions, fee uploads, settlements, reversals (of any earlier settlement),
retries and msgid reuse through the exactly-once entry point
(:func:`yibao.national.dispatch.process`, in process, no HTTP) and checks the books after
every step:

- the ledger is sound (``check_ledger``: balanced entries, stored balance = journal replay);
- each person's account = opening credit − Σ ``acct_pay`` of their non-reversed settlements;
- the service's year-to-date state = the sums over the non-reversed settlements
  (``fund_paid``, ``outpatient_fund_paid``, ``admissions``, …) and = the sum of their stored
  contributions;
- settlement rows are append-only (only ``reversed`` may change, and only False → True),
  fund rows and postings too, and a reversal is exactly the negation of its original;
- a retry with the same msgid returns the first answer byte for byte and changes nothing;
  the same msgid with a different body is refused and changes nothing;
- one ``fsi_messages`` row per accepted message, none per refused one.

One database per test (SQLite, and PostgreSQL when ``YIBAO_TEST_DATABASE_URL`` is set); each
example enrols its own persons, so examples do not see each other's state.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hospital_client import HOSPITAL, SHANGHAI, add_catalog
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from yibao.domain.idcard import with_check_digit
from yibao.national import jsonout
from yibao.national.dispatch import process
from yibao.persistence.tables import Account, FsiMessage, Posting
from yibao.persistence.tables.hospital import FeeLine, Settlement, SettlementFund, Visit
from yibao.services import institutions, ledger, persons
from yibao.services import year_to_date as ytd_sums
from yibao.services.ledger import check_ledger
from yibao.services.settlement import COLUMN_OF_FIELD, year_to_date

STEPS = 40
EXAMPLES = 15
MAX_OPEN_VISITS = 3  # so that steps go to fees and settlements rather than new visits

# (policy, group) of the persons each example enrols
PEOPLE = (
    ("national-employee", "in_service"),
    ("national-employee", "retired"),
    ("nmg-employee", "in_service"),
)
CODES = (
    "XJ01DCK050A001010100001",  # class A drug
    "XC10AAA126A001010100002",  # class B drug, 10 % 先行自付
    "C0301020010000000001",  # class A service with a price cap of 8000.00
    "001208000010000",  # class C
    "001102000010000",  # class A service
    "NOT-IN-CATALOG",  # unmatched: 全自费
)

_people = itertools.count(1)
_numbers = itertools.count(1)


def _certno() -> str:
    born = date(1950, 1, 1) + timedelta(days=next(_people))
    return with_check_digit(f"150102{born:%Y%m%d}123")


def _now_text() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _fen(value: Decimal | int) -> int:
    return int((Decimal(value) * 100).to_integral_exact())


def _yuan(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


@dataclass
class PersonM:
    id: int
    psn_no: str
    cert: str
    opening_fen: int


@dataclass
class VisitM:
    mdtrt_id: str
    person: PersonM
    kind: str  # outpatient | inpatient
    status: str = "open"  # open | discharged | settled
    discharged: bool = False
    unsettled_fen: int = 0
    next_sn: int = 1


@dataclass
class SettlementM:
    setl_id: str
    visit: VisitM
    amounts: dict[str, int]  # national field name -> fen, as answered
    reversed: bool = False


@dataclass
class Sent:
    body: dict[str, Any]
    response: str


@dataclass
class Bench:
    """What every example shares: the database, one hospital and its key."""

    factory: sessionmaker[Session]
    key: str
    institution_id: int
    year: int = field(default_factory=lambda: datetime.now(SHANGHAI).year)


def _bench(factory: sessionmaker[Session]) -> Bench:
    with factory() as s, s.begin():
        inst = institutions.create_institution(
            s,
            code=HOSPITAL,
            name="状态机测试医院",
            type="hospital",
            region="150102",
            level=3,
            designated_begin=date(2020, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
        add_catalog(s)
        return Bench(factory, key, inst.id)


class SettlementMachine(RuleBasedStateMachine):
    bench: Bench  # set on the subclass made for each test

    def __init__(self) -> None:
        super().__init__()
        self.people: list[PersonM] = []
        self.visits: list[VisitM] = []
        self.settlements: list[SettlementM] = []
        self.sent: list[Sent] = []
        self.messages_before = 0
        self.snapshot: dict[int, tuple[Any, ...]] = {}
        self.reversed_ids: set[int] = set()
        self.funds: dict[int, tuple[Any, ...]] = {}
        self.postings: dict[int, tuple[Any, ...]] = {}
        self.first_posting = 0

    # -- plumbing ------------------------------------------------------------------------

    def message(self, infno: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "infno": infno,
            "msgid": f"{HOSPITAL}{next(_numbers):018d}",
            "mdtrtarea_admvs": "150102",
            "insuplc_admdvs": "150102",
            "recer_sys_code": "YBXT",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "001",
            "opter_name": "收费员",
            "inf_time": _now_text(),
            "fixmedins_code": HOSPITAL,
            "fixmedins_name": "状态机测试医院",
            "input": payload,
        }

    def send(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        text = process(self.bench.factory, self.bench.key, jsonout.dumps(body).encode(), b"")
        return text, jsonout.loads(text)

    def call(self, infno: str, payload: dict[str, Any]) -> Any:
        body = self.message(infno, payload)
        text, reply = self.send(body)
        assert reply["infcode"] == 0, (infno, reply["err_msg"])
        self.sent.append(Sent(body, text))
        return reply["output"]

    def refused(self, body: dict[str, Any]) -> str:
        before = self.fingerprint()
        _, reply = self.send(body)
        assert reply["infcode"] == -1, reply
        assert self.fingerprint() == before, "a refused message changed the database"
        return str(reply["err_msg"])

    def fingerprint(self) -> tuple[Any, ...]:
        """Everything a message could change: row counts, and this example's visits, fee
        lines, settlement flags and balances."""
        ids = [p.id for p in self.people]
        with self.bench.factory() as s:
            counts = s.execute(
                select(
                    *(
                        select(func.count()).select_from(model).scalar_subquery()
                        for model in (
                            FsiMessage,
                            Visit,
                            FeeLine,
                            Settlement,
                            SettlementFund,
                            Posting,
                        )
                    )
                )
            ).one()
            visits = tuple(
                s.execute(
                    select(Visit.id, Visit.status, FeeLine.id, FeeLine.settlement_id)
                    .outerjoin(FeeLine, FeeLine.visit_id == Visit.id)
                    .where(Visit.person_id.in_(ids))
                    .order_by(Visit.id, FeeLine.id)
                ).all()
            )
            flags = tuple(
                s.execute(
                    select(Settlement.id, Settlement.reversed)
                    .where(Settlement.person_id.in_(ids))
                    .order_by(Settlement.id)
                ).all()
            )
            balances = self.balances(s)
        return counts, visits, flags, balances

    def balances(self, s: Session) -> dict[int, int]:
        """Person id -> account balance in fen."""
        rows = s.execute(
            select(Account.person_id, Account.balance_fen).where(
                Account.person_id.in_([p.id for p in self.people])
            )
        ).all()
        return {int(pid): int(fen) for pid, fen in rows}

    def visit_input(self, v: VisitM) -> dict[str, Any]:
        return {"mdtrt_id": v.mdtrt_id, "psn_no": v.person.psn_no}

    # -- setup ---------------------------------------------------------------------------

    @initialize(
        credits=st.lists(
            st.sampled_from([0, 1, 80, 500, 3000]) | st.integers(0, 5000), min_size=3, max_size=3
        )
    )
    def enrol(self, credits: list[int]) -> None:
        with self.bench.factory() as s, s.begin():
            self.messages_before = int(
                s.scalar(
                    select(func.count())
                    .select_from(FsiMessage)
                    .where(FsiMessage.institution_id == self.bench.institution_id)
                )
                or 0
            )
            self.first_posting = int(s.scalar(select(func.max(Posting.id))) or 0) + 1
            for (policy, group), yuan in zip(PEOPLE, credits, strict=True):
                cert = _certno()
                person = persons.create_person(
                    s,
                    name="状态机参保人",
                    certno=cert,
                    policy_id=policy,
                    group=group,
                    region="150102",
                    since=date(2020, 1, 1),
                )
                if yuan:
                    ledger.credit(s, person, yuan * 100, kind="monthly_credit", reason="期初余额")
                self.people.append(PersonM(person.id, person.psn_no, cert, yuan * 100))

    # -- visits and fees -----------------------------------------------------------------

    @precondition(lambda self: len(self.open_visits()) < MAX_OPEN_VISITS)
    @rule(data=st.data(), kind=st.sampled_from(["outpatient", "inpatient"]))
    def open_visit(self, data: st.DataObject, kind: str) -> None:
        """2201 门诊挂号 or 2401 入院办理."""
        p = data.draw(st.sampled_from(self.people), label="person")
        common = {
            "psn_no": p.psn_no,
            "insutype": "310",
            "begntime": _now_text(),
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": p.cert,
            "atddr_no": "D001",
        }
        if kind == "outpatient":
            out = self.call(
                "2201",
                {
                    "data": {
                        **common,
                        "ipt_otp_no": f"MZ{next(_numbers):010d}",
                        "dr_name": "王医生",
                        "dept_code": "A01",
                        "dept_name": "内科",
                        "caty": "A03",
                    }
                },
            )
            mdtrt_id = out["data"]["mdtrt_id"]
        else:
            out = self.call(
                "2401",
                {
                    "mdtrtinfo": {
                        **common,
                        "med_type": "21",
                        "ipt_no": f"ZY{next(_numbers):010d}",
                        "chfpdr_name": "李医生",
                        "adm_diag_dscr": "冠心病",
                        "adm_dept_codg": "A03",
                        "adm_dept_name": "心内科",
                        "adm_bed": "12",
                        "dscg_maindiag_code": "I25.103",
                        "dscg_maindiag_name": "冠心病",
                    }
                },
            )
            mdtrt_id = out["result"]["mdtrt_id"]
        self.visits.append(VisitM(mdtrt_id, p, kind))

    def open_visits(self) -> list[VisitM]:
        return [v for v in self.visits if v.status != "settled"]

    @precondition(lambda self: self.open_visits())
    @rule(
        data=st.data(),
        lines=st.lists(
            st.tuples(
                st.sampled_from(CODES),
                st.integers(1, 2_000_000) | st.sampled_from([1, 999_999, 5_000_000]),
            ),
            min_size=1,
            max_size=3,
        ),
    )
    def upload_fees(self, data: st.DataObject, lines: list[tuple[str, int]]) -> None:
        v = data.draw(st.sampled_from(self.open_visits()), label="visit")
        rows = []
        for code, fen in lines:
            if v.kind == "outpatient":
                fen = fen // 100 + 1  # outpatient bills are smaller
            row = {
                "feedetl_sn": str(v.next_sn),
                **self.visit_input(v),
                "chrg_bchno": "B1",
                "rx_circ_flag": "0",
                "fee_ocur_time": _now_text(),
                "med_list_codg": code,
                "medins_list_codg": f"H-{code}",
                "det_item_fee_sumamt": _yuan(fen),
                "cnt": Decimal(1),
                "pric": _yuan(fen),
                "bilg_dept_codg": "A01",
                "bilg_dept_name": "内科",
                "bilg_dr_codg": "D001",
                "bilg_dr_name": "王医生",
                "hosp_appr_flag": "0",
            }
            if v.kind == "inpatient":
                row["med_type"] = "21"
            rows.append(row)
            v.next_sn += 1
            v.unsettled_fen += fen
        out = self.call("2204" if v.kind == "outpatient" else "2301", {"feedetail": rows})
        assert len(out["result"]) == len(rows)

    @precondition(
        lambda self: any(v.kind == "inpatient" and v.status == "open" for v in self.visits)
    )
    @rule(data=st.data())
    def discharge(self, data: st.DataObject) -> None:
        v = data.draw(
            st.sampled_from(
                [v for v in self.visits if v.kind == "inpatient" and v.status == "open"]
            ),
            label="admission",
        )
        self.call(
            "2402",
            {
                "dscginfo": {
                    **self.visit_input(v),
                    "insutype": "310",
                    "endtime": _now_text(),
                    "dscg_dept_codg": "A03",
                    "dscg_dept_name": "心内科",
                    "dscg_way": "1",
                }
            },
        )
        v.status = "discharged"
        v.discharged = True

    # -- settlement and reversal ---------------------------------------------------------

    def settleable(self) -> list[VisitM]:
        return [
            v
            for v in self.visits
            if v.unsettled_fen
            and (v.status == "discharged" or (v.kind == "outpatient" and v.status == "open"))
        ]

    @precondition(lambda self: self.settleable())
    @rule(data=st.data(), use_account=st.booleans(), presettle=st.booleans())
    def settle(self, data: st.DataObject, use_account: bool, presettle: bool) -> None:
        v = data.draw(st.sampled_from(self.settleable()), label="visit")
        with self.bench.factory() as s:
            before = self.balances(s)[v.person.id]
        d = {
            **self.visit_input(v),
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": v.person.cert,
            "medfee_sumamt": _yuan(v.unsettled_fen),
            "psn_setlway": "01",
            "insutype": "310",
            "acct_used_flag": "1" if use_account else "0",
        }
        if v.kind == "outpatient":
            d.update(med_type="11", chrg_bchno="B1")
        else:
            d["mid_setl_flag"] = "0"
        expected: dict[str, Any] | None = None
        if presettle:
            unchanged = self.fingerprint()
            pre = self.call("2206" if v.kind == "outpatient" else "2303", {"data": d})
            expected = {name: pre["setlinfo"][name] for name in COLUMN_OF_FIELD}
            assert pre["setlinfo"]["balc"] == _yuan(before) - pre["setlinfo"]["acct_pay"]
            counts, *rest = self.fingerprint()
            old_counts, *old_rest = unchanged
            assert rest == old_rest
            assert counts[1:] == old_counts[1:]  # only the message itself was stored
        out = self.call("2207" if v.kind == "outpatient" else "2304", {"data": d})
        info = out["setlinfo"]
        amounts = {name: _fen(info[name]) for name in COLUMN_OF_FIELD}
        if expected is not None:
            assert {k: _fen(x) for k, x in expected.items()} == amounts
        assert amounts["medfee_sumamt"] == v.unsettled_fen
        assert amounts["psn_part_amt"] == amounts["acct_pay"] + amounts["psn_cash_pay"]
        assert amounts["fund_pay_sumamt"] == amounts["hifp_pay"] + amounts["hifmi_pay"]
        assert amounts["medfee_sumamt"] == amounts["fund_pay_sumamt"] + amounts["psn_part_amt"]
        assert all(x >= 0 for x in amounts.values()), amounts
        with self.bench.factory() as s:
            eligible = s.scalar(
                select(Settlement.eligible).where(Settlement.setl_id == info["setl_id"])
            )
        if not eligible:  # e.g. nmg-employee has no general outpatient benefit (spec 2.2)
            assert amounts["fund_pay_sumamt"] == 0
            assert amounts["psn_cash_pay"] == amounts["medfee_sumamt"]
        if use_account and eligible:
            assert amounts["acct_pay"] == min(amounts["psn_part_amt"], before)
        else:
            assert amounts["acct_pay"] == 0
        assert _fen(info["balc"]) == before - amounts["acct_pay"]
        self.settlements.append(SettlementM(info["setl_id"], v, amounts))
        v.status = "settled"
        v.unsettled_fen = 0

    def active(self) -> list[SettlementM]:
        return [x for x in self.settlements if not x.reversed]

    @precondition(lambda self: self.active())
    @rule(data=st.data())
    def reverse(self, data: st.DataObject) -> None:
        x = data.draw(st.sampled_from(self.active()), label="settlement")
        v = x.visit
        out = self.call(
            "2208" if v.kind == "outpatient" else "2305",
            {"data": {**self.visit_input(v), "setl_id": x.setl_id}},
        )
        info = out["setlinfo"]
        assert info["setl_id"] != x.setl_id
        assert {name: _fen(info[name]) for name in COLUMN_OF_FIELD} == {
            k: -a for k, a in x.amounts.items()
        }
        x.reversed = True
        v.status = "discharged" if v.discharged else "open"
        v.unsettled_fen = x.amounts["medfee_sumamt"]

    @precondition(lambda self: any(x.reversed for x in self.settlements))
    @rule(data=st.data())
    def reverse_twice(self, data: st.DataObject) -> None:
        x = data.draw(st.sampled_from([x for x in self.settlements if x.reversed]), label="done")
        v = x.visit
        body = self.message(
            "2208" if v.kind == "outpatient" else "2305",
            {"data": {**self.visit_input(v), "setl_id": x.setl_id}},
        )
        assert "已撤销" in self.refused(body)

    # -- retries -------------------------------------------------------------------------

    @precondition(lambda self: self.sent)
    @rule(data=st.data(), change=st.sampled_from(["none", "none", "memo", "infno", "data"]))
    def resend(self, data: st.DataObject, change: str) -> None:
        """A random earlier accepted message again with its msgid: as it was (a retry: the
        first answer byte for byte, nothing changes) or with a different body (refused,
        nothing changes)."""
        old = data.draw(st.sampled_from(self.sent), label="message")
        if change == "none":
            before = self.fingerprint()
            text, _ = self.send(old.body)
            assert text == old.response, "a retry did not return the first answer byte for byte"
            assert self.fingerprint() == before, "a retry changed the database"
            return
        body = copy.deepcopy(old.body)
        if change == "infno":
            body["infno"] = "5203" if body["infno"] != "5203" else "2207"
        elif change == "data" and isinstance(body["input"].get("data"), dict):
            body["input"]["data"]["psn_no"] = self.people[0].psn_no + "0"
        else:
            body["input"]["memo"] = "another body"
        assert "msgid" in self.refused(body)

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def the_books_agree(self) -> None:
        with self.bench.factory() as s:
            self.ledger_is_sound(s)
            self.balances_follow_the_settlements(s)
            self.year_to_date_is_the_sum_of_active_settlements(s)
            self.settlements_are_append_only(s)
            self.postings_are_append_only(s)
            self.one_message_row_per_accepted_message(s)

    def ledger_is_sound(self, s: Session) -> None:
        assert check_ledger(s) == []

    def balances_follow_the_settlements(self, s: Session) -> None:
        balances = self.balances(s)
        for p in self.people:
            paid = sum(x.amounts["acct_pay"] for x in self.active() if x.visit.person is p)
            assert balances[p.id] == p.opening_fen - paid
            stored = s.scalar(
                select(func.coalesce(func.sum(Settlement.acct_pay_fen), 0)).where(
                    Settlement.person_id == p.id
                )
            )
            assert int(stored or 0) == paid

    def year_to_date_is_the_sum_of_active_settlements(self, s: Session) -> None:
        for p in self.people:
            ytd = year_to_date(s, p.id, self.bench.year)
            mine = [x for x in self.active() if x.visit.person is p]
            inpatient = [x for x in mine if x.visit.kind == "inpatient"]
            outpatient = [x for x in mine if x.visit.kind == "outpatient"]
            assert ytd.admissions == len(inpatient)
            assert _fen(ytd.fund_paid) == sum(x.amounts["hifp_pay"] for x in inpatient)
            assert _fen(ytd.outpatient_fund_paid) == sum(x.amounts["hifp_pay"] for x in outpatient)
            assert _fen(ytd.outpatient_deductible_paid) == sum(
                x.amounts["act_pay_dedc"] for x in outpatient
            )
            assert _fen(ytd.serious_illness_paid) == sum(x.amounts["hifmi_pay"] for x in mine)
            # and it is the sum of the contributions of the settlements still standing
            deltas = s.scalars(
                select(Settlement.ytd_delta)
                .where(
                    Settlement.person_id == p.id,
                    Settlement.year == self.bench.year,
                    Settlement.kind == "settle",
                    Settlement.reversed.is_(False),
                )
                .order_by(Settlement.id)
            )
            assert ytd_sums.total(deltas) == ytd

    def settlements_are_append_only(self, s: Session) -> None:
        rows = s.scalars(
            select(Settlement)
            .where(Settlement.person_id.in_([p.id for p in self.people]))
            .order_by(Settlement.id)
        ).all()
        by_id = {r.id: r for r in rows}
        now: dict[int, tuple[Any, ...]] = {}
        for r in rows:
            values = {c.key: getattr(r, c.key) for c in Settlement.__table__.columns}
            flag = values.pop("reversed")
            now[r.id] = tuple(sorted(values.items()))
            if r.id in self.snapshot:
                assert now[r.id] == self.snapshot[r.id], f"settlement {r.id} was updated"
            if r.id in self.reversed_ids:
                assert flag, f"settlement {r.id} was un-reversed"
            if flag:
                self.reversed_ids.add(r.id)
        assert set(self.snapshot) <= set(now), "a settlement was deleted"
        self.snapshot = now
        # the model and the rows agree on what is reversed
        mine = {x.setl_id: x.reversed for x in self.settlements}
        stored = {r.setl_id: r.reversed for r in rows if r.kind == "settle"}
        assert stored.items() >= mine.items()
        # a reversal is exactly the negation of its original, one per original
        reversals = [r for r in rows if r.kind == "reversal"]
        assert len({r.reverses_id for r in reversals}) == len(reversals)
        funds = s.execute(
            select(
                SettlementFund.id,
                SettlementFund.settlement_id,
                SettlementFund.fund_pay_type,
                SettlementFund.inscp_scp_fen,
                SettlementFund.fund_payamt_fen,
            )
            .join(Settlement, Settlement.id == SettlementFund.settlement_id)
            .where(Settlement.person_id.in_([p.id for p in self.people]))
            .order_by(SettlementFund.id)
        ).all()
        fund_rows: dict[int, list[tuple[str, int, int]]] = {}
        for fid, sid, kind, inscp, amount in funds:
            fund_rows.setdefault(sid, []).append((kind, inscp, amount))
            assert self.funds.get(fid, (sid, kind, inscp, amount)) == (sid, kind, inscp, amount)
            self.funds[fid] = (sid, kind, inscp, amount)
        for r in reversals:
            assert r.reverses_id is not None
            original = by_id[r.reverses_id]
            assert original.kind == "settle"
            assert original.reversed
            for col in COLUMN_OF_FIELD.values():
                assert getattr(r, col) == -getattr(original, col), col
            assert r.person_id == original.person_id
            assert r.visit_id == original.visit_id
            assert r.year == original.year
            assert json.loads(r.ytd_delta) == ytd_sums.negate(json.loads(original.ytd_delta))
            assert sorted(fund_rows.get(r.id, [])) == sorted(
                (k, -i, -a) for k, i, a in fund_rows.get(original.id, [])
            )
        for r in rows:
            if r.kind == "settle":
                assert r.reversed == any(x.reverses_id == r.id for x in reversals)

    def postings_are_append_only(self, s: Session) -> None:
        rows = s.execute(
            select(Posting.id, Posting.entry_id, Posting.account_id, Posting.amount_fen)
            .where(Posting.id >= self.first_posting)
            .order_by(Posting.id)
        ).all()
        now = {r[0]: tuple(r[1:]) for r in rows}
        for pid, values in self.postings.items():
            assert now.get(pid) == values, f"posting {pid} was changed or deleted"
        self.postings = now

    def one_message_row_per_accepted_message(self, s: Session) -> None:
        count = s.scalar(
            select(func.count())
            .select_from(FsiMessage)
            .where(FsiMessage.institution_id == self.bench.institution_id)
        )
        assert count == self.messages_before + len(self.sent)


def test_random_hospital_sequences_keep_the_books(
    session_factory: sessionmaker[Session],
) -> None:
    bench = _bench(session_factory)
    machine: Callable[[], RuleBasedStateMachine] = type(
        "BoundSettlementMachine", (SettlementMachine,), {"bench": bench}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def _amount_texts(response: str) -> dict[str, str]:
    """The amounts of a settlement answer as written in its JSON text."""
    return {
        name: m.group(1)
        for name in COLUMN_OF_FIELD
        if (m := re.search(rf'"{name}":(-?[0-9.]+)[,}}]', response)) is not None
    }


def test_presettlement_amounts_have_two_decimals_like_the_settlement(
    session_factory: sessionmaker[Session],
) -> None:
    machine = type("Bound", (SettlementMachine,), {"bench": _bench(session_factory)})()
    machine.enrol(credits=[0, 0, 0])
    person = machine.people[2]  # nmg-employee: inpatient deductible 800 at level 3
    admission = machine.call(
        "2401",
        {
            "mdtrtinfo": {
                "psn_no": person.psn_no,
                "insutype": "310",
                "begntime": _now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": person.cert,
                "med_type": "21",
                "ipt_no": "ZY-FORMAT",
            }
        },
    )
    visit = {"mdtrt_id": admission["result"]["mdtrt_id"], "psn_no": person.psn_no}
    line = {
        **visit,
        "feedetl_sn": "1",
        "med_type": "21",
        "med_list_codg": CODES[0],
        "det_item_fee_sumamt": Decimal("1000.00"),
        "cnt": Decimal(1),
        "pric": Decimal("1000.00"),
    }
    machine.call("2301", {"feedetail": [line]})
    machine.call("2402", {"dscginfo": {**visit, "insutype": "310", "endtime": _now_text()}})
    data = {
        **visit,
        "medfee_sumamt": Decimal("1000.00"),
        "insutype": "310",
        "mdtrt_cert_type": "02",
    }
    machine.call("2303", {"data": data})
    pre = _amount_texts(machine.sent[-1].response)
    machine.call("2304", {"data": data})
    final = _amount_texts(machine.sent[-1].response)
    assert all(re.fullmatch(r"-?\d+\.\d\d", x) for x in final.values()), final
    assert pre == final
