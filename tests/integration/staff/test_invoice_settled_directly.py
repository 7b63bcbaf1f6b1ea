"""智能审核 DUP_INVOICE, second half: a claim's invoice already settled directly.

A hospital's 2207 carries the invoice number (``invono``); a 手工报销 claim for the same
invoice at the same hospital is flagged and refused at approval while that settlement stands,
and accepted once it is reversed (2208). The settlements go through the real interface
(:func:`yibao.national.dispatch.process`, in process), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from claim_helpers import submit_claim
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import enrolled_member

from yibao.national import jsonout
from yibao.national.dispatch import process
from yibao.persistence.tables import CatalogItem, Person, SettlementRecord
from yibao.services import audit, claim_review, institutions, persons, smart_audit
from yibao.services.errors import Conflict

HOSPITAL = "H15010200001"
HOSPITAL_NAME = "某县人民医院"  # the name submit_claim's claims give
OTHER_NAME = "另一家医院"
DRUG = "XJ01DCK050A001010100001"
LATER = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def _now_text() -> str:
    return datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Counter:
    """A hospital at the counter: registers a visit, uploads a fee line, settles, reverses."""

    factory: sessionmaker[Session]
    key: str
    person: Person
    cert: str

    def send(self, infno: str, payload: dict[str, Any]) -> dict[str, Any]:
        body = jsonout.dumps(
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
        reply: dict[str, Any] = jsonout.loads(process(self.factory, self.key, body, b""))
        return reply

    def call(self, infno: str, payload: dict[str, Any]) -> Any:
        reply = self.send(infno, payload)
        assert reply["infcode"] == 0, reply["err_msg"]
        return reply["output"]

    def settle_input(self, invono: Any = None) -> dict[str, Any]:
        """A registered visit with 100.00 of fees: the 2207 input that settles it."""
        psn_no = self.person.psn_no
        mdtrt_id = self.call(
            "2201",
            {
                "data": {
                    "psn_no": psn_no, "insutype": "310", "begntime": _now_text(),
                    "mdtrt_cert_type": "02", "mdtrt_cert_no": self.cert,
                    "ipt_otp_no": f"MZ{next(_numbers):010d}", "atddr_no": "D1",
                    "dr_name": "王医生", "dept_code": "A01", "dept_name": "内科", "caty": "A03",
                }
            },
        )["data"]["mdtrt_id"]  # fmt: skip
        line = {
            "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "B1",
            "fee_ocur_time": _now_text(), "med_list_codg": DRUG,
            "det_item_fee_sumamt": Decimal("100.00"), "cnt": Decimal("2"), "pric": Decimal("50"),
        }  # fmt: skip
        self.call("2204", {"feedetail": [line]})
        data = {
            "psn_no": psn_no, "mdtrt_id": mdtrt_id, "mdtrt_cert_type": "02",
            "mdtrt_cert_no": self.cert, "med_type": "11", "medfee_sumamt": Decimal("100.00"),
            "psn_setlway": "01", "acct_used_flag": "0", "insutype": "310",
        }  # fmt: skip
        if invono is not None:
            data["invono"] = invono
        return data

    def settle(self, invono: Any = None) -> dict[str, Any]:
        """Settle a new visit (2207); the ``setl_id`` and ``mdtrt_id`` to reverse it."""
        data = self.settle_input(invono)
        setl_id = self.call("2207", {"data": data})["setlinfo"]["setl_id"]
        return {"setl_id": setl_id, "mdtrt_id": data["mdtrt_id"], "psn_no": data["psn_no"]}

    def reverse(self, settled: dict[str, Any]) -> None:
        self.call("2208", {"data": settled})


@pytest.fixture
def counter(session_factory: sessionmaker[Session], new_certno: Any) -> Counter:
    cert = new_certno(region="150102")
    with session_factory() as s, s.begin():
        inst = institutions.create_institution(
            s, code=HOSPITAL, name=HOSPITAL_NAME, type="hospital", region="150102", level=2,
            designated_begin=date(2020, 1, 1),
        )  # fmt: skip
        institutions.create_institution(
            s, code="H15010200002", name=OTHER_NAME, type="hospital", region="150102", level=2,
            designated_begin=date(2020, 1, 1),
        )  # fmt: skip
        key = institutions.create_api_key(s, inst)
        s.add(
            CatalogItem(
                hilist_code=DRUG, name="头孢克洛胶囊", category="drug", list_category="101",
                chrgitm_lv="01", begin_date=date(2020, 1, 1), pinyin_full="", pinyin_initials="",
            )
        )  # fmt: skip
        person = persons.create_person(
            s, name="测试参保人", certno=cert, policy_id="nmg-employee", group="in_service",
            region="150102", since=date(2020, 1, 1),
        )  # fmt: skip
        s.flush()
        s.expunge(person)
    return Counter(session_factory, key, person, cert)


def _reviewer(session: Session, name: str) -> claim_review.Reviewer:
    member, _, _ = enrolled_member(session, name, "reviewer")
    return claim_review.Reviewer(audit.Actor(member.username, member.id), ())


def _dup_flags(session: Session, person: Person, **claim: Any) -> list[str]:
    app = submit_claim(session, session.get(Person, person.id), **claim)
    flags = smart_audit.flags_for(session, app, session.get(Person, person.id))
    return [str(f) for f in flags if f.code == "DUP_INVOICE"]


# name: (what the hospital did: "settle" | "reverse" | "resettle" with the invono sent,
#        the claim's invoice number and hospital, fires?)
CASES: list[tuple[str, str, Any, dict[str, str], bool]] = [
    ("settled, the same invoice", "settle", "FP-DIRECT-01", {"invoice_no": "FP-DIRECT-01"}, True),
    ("settled, the claim in lower case", "settle", "FP-DIRECT-02", {"invoice_no": "fp-direct-02"}, True),
    ("settled with a numeric invono", "settle", 2025051003, {"invoice_no": "2025051003"}, True),
    ("reversed then settled again", "resettle", "FP-DIRECT-04", {"invoice_no": "FP-DIRECT-04"}, True),
    ("settled then reversed (2208)", "reverse", "FP-DIRECT-05", {"invoice_no": "FP-DIRECT-05"}, False),
    ("the claim names another hospital", "settle", "FP-DIRECT-06",
     {"invoice_no": "FP-DIRECT-06", "institution_name": OTHER_NAME}, False),
    ("another invoice at the same hospital", "settle", "FP-DIRECT-07", {"invoice_no": "FP-DIRECT-70"}, False),
    ("settled without an invoice number", "settle", None, {"invoice_no": "FP-DIRECT-08"}, False),
]  # fmt: skip


def test_a_claim_for_an_invoice_settled_directly_is_flagged_unless_reversed(
    counter: Counter, session_factory: sessionmaker[Session]
) -> None:
    assert sum(fires for *_, fires in CASES) >= 3
    assert sum(not fires for *_, fires in CASES) >= 3
    for name, action, invono, claim, fires in CASES:
        settled = counter.settle(invono)
        if action in ("reverse", "resettle"):
            counter.reverse(settled)
        if action == "resettle":
            counter.settle(invono)
        with session_factory() as s, s.begin():
            flags = _dup_flags(s, counter.person, **claim)
        assert bool(flags) == fires, (name, flags)
        if fires:
            assert "直接结算" in flags[0]
            assert HOSPITAL_NAME in flags[0]


def test_approval_is_refused_while_the_direct_settlement_stands_and_allowed_once_reversed(
    counter: Counter, session_factory: sessionmaker[Session]
) -> None:
    settled = counter.settle("FP-REFUSE-1")
    with session_factory() as s, s.begin():
        app_id = submit_claim(s, s.get(Person, counter.person.id), invoice_no="fp-refuse-1").id
        wang = _reviewer(s, "wang")
    with session_factory() as s, s.begin(), pytest.raises(Conflict) as refused:
        claim_review.approve(s, app_id, wang, second_review_fen=10**12, now=LATER)
    assert refused.value.field == "invoice_no"
    assert settled["setl_id"] in refused.value.message
    assert "撤销后方可报销" in refused.value.message
    counter.reverse(settled)
    with session_factory() as s, s.begin():
        outcome = claim_review.approve(s, app_id, wang, second_review_fen=10**12, now=LATER)
        assert outcome == "approved"
        assert smart_audit.direct_settlements(s, "FP-REFUSE-1", HOSPITAL_NAME) == ()


def test_a_repeated_invoice_is_settled_and_flagged_never_refused_at_the_counter(
    counter: Counter, session_factory: sessionmaker[Session]
) -> None:
    first = counter.settle("FP-TWICE-1")
    counter.call("2207", {"data": counter.settle_input("fp-twice-1")})  # another visit
    other = counter.settle("FP-TWICE-2")
    with session_factory() as s:
        stored = s.scalars(
            select(SettlementRecord.invono)
            .where(SettlementRecord.person_id == counter.person.id)
            .order_by(SettlementRecord.id)
        ).all()
        flagged = {
            setl.setl_id: [str(f) for f in flags if f.code == "DUP_INVOICE"]
            for setl, _name, flags in smart_audit.recent_settlement_flags(s, ())
        }
        twice = s.scalars(
            select(SettlementRecord.setl_id)
            .where(SettlementRecord.invono == "FP-TWICE-1")
            .order_by(SettlementRecord.id)
        ).all()
    assert stored == ["FP-TWICE-1", "FP-TWICE-1", "FP-TWICE-2"]
    assert first["setl_id"] == twice[0]
    assert twice[0] in flagged[twice[1]][0]  # each names the other
    assert twice[1] in flagged[twice[0]][0]
    assert not flagged.get(other["setl_id"])
    counter.reverse(first)
    with session_factory() as s:
        flagged = {
            setl.setl_id: [str(f) for f in flags if f.code == "DUP_INVOICE"]
            for setl, _name, flags in smart_audit.recent_settlement_flags(s, ())
        }
    assert not flagged.get(twice[1])  # the reversed one no longer counts


@pytest.mark.parametrize(
    ("invono", "message"),
    [
        ("FP 001", "只能由字母、数字和 - _ . / 组成"),
        ("发票001", "只能由字母、数字和 - _ . / 组成"),
        ("-FP001", "以字母或数字开头"),
        ("F" * 21, "长度不能超过 20"),
        (["FP001"], "应为字符串"),
    ],
)
def test_a_bad_invoice_number_is_refused_naming_the_field(
    counter: Counter, invono: Any, message: str
) -> None:
    reply = counter.send("2207", {"data": counter.settle_input(invono)})
    assert reply["infcode"] == -1
    assert reply["err_msg"].startswith("[input.data.invono]"), reply["err_msg"]
    assert message in reply["err_msg"]


def test_a_direct_settlement_whose_invoice_a_claim_names_is_flagged(
    counter: Counter, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        submit_claim(s, s.get(Person, counter.person.id), invoice_no="FP-LATER-1")
    counter.settle("FP-LATER-1")
    counter.settle("FP-LATER-2")
    with session_factory() as s:
        flagged = {
            setl.invono: [str(f) for f in flags if f.code == "DUP_INVOICE"]
            for setl, _name, flags in smart_audit.recent_settlement_flags(s, ())
        }
    assert flagged.get("FP-LATER-1")
    assert "另有 1 件报销申请" in flagged["FP-LATER-1"][0]
    assert not flagged.get("FP-LATER-2")


def test_an_inpatient_settlement_2304_stores_its_invoice_and_a_claim_for_it_is_flagged(
    counter: Counter, session_factory: sessionmaker[Session]
) -> None:
    psn_no, now = counter.person.psn_no, _now_text()
    mdtrt_id = counter.call(
        "2401",
        {
            "mdtrtinfo": {
                "psn_no": psn_no, "insutype": "310", "begntime": now, "mdtrt_cert_type": "02",
                "mdtrt_cert_no": counter.cert, "med_type": "21", "ipt_no": "ZY-INV-1",
                "atddr_no": "D1", "chfpdr_name": "李医生", "adm_diag_dscr": "肺炎",
                "adm_dept_codg": "A03", "adm_dept_name": "内科", "adm_bed": "1",
                "dscg_maindiag_code": "J18.900", "dscg_maindiag_name": "肺炎",
            },
            "diseinfo": [
                {
                    "psn_no": psn_no, "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1,
                    "diag_code": "J18.900", "diag_name": "肺炎", "diag_dept": "内科",
                    "dise_dor_no": "D1", "dise_dor_name": "李医生", "diag_time": now,
                }
            ],
        },
    )["result"]["mdtrt_id"]  # fmt: skip
    line = {
        "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "21",
        "fee_ocur_time": now, "med_list_codg": DRUG, "det_item_fee_sumamt": Decimal("300.00"),
        "cnt": Decimal("6"), "pric": Decimal("50"),
    }  # fmt: skip
    counter.call("2301", {"feedetail": [line]})
    counter.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id, "psn_no": psn_no, "insutype": "310", "endtime": now,
                "dscg_dept_codg": "A03", "dscg_dept_name": "内科", "dscg_way": "1",
            }
        },
    )  # fmt: skip
    data = {
        "psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": counter.cert,
        "medfee_sumamt": Decimal("300.00"), "psn_setlway": "01", "mdtrt_id": mdtrt_id,
        "insutype": "310", "acct_used_flag": "0", "mid_setl_flag": "0", "invono": "zy-inv-0001",
    }  # fmt: skip
    setl_id = counter.call("2304", {"data": data})["setlinfo"]["setl_id"]
    with session_factory() as s:
        stored = s.scalar(
            select(SettlementRecord.invono).where(SettlementRecord.setl_id == setl_id)
        )
    assert stored == "ZY-INV-0001"
    with session_factory() as s, s.begin():
        flags = _dup_flags(s, counter.person, invoice_no="ZY-INV-0001")
    assert flags
    assert setl_id in flags[0]
    counter.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": setl_id, "psn_no": psn_no}})
    with session_factory() as s, s.begin():
        assert _dup_flags(s, counter.person, invoice_no="ZY-INV-0002") == []
        assert smart_audit.direct_settlements(s, "ZY-INV-0001", HOSPITAL_NAME) == ()
