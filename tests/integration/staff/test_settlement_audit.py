from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session
from staff_helpers import StaffBrowser

from yibao.persistence.tables import (
    CatalogItem,
    FeeLine,
    Institution,
    Person,
    SettlementRecord,
    Visit,
)
from yibao.services import persons, smart_audit

DAY = date(2025, 3, 1)


def _direct_settlement(
    session: Session, person: Person, line_total: int, medfee: int
) -> SettlementRecord:
    now = datetime(2025, 3, 1, 2, tzinfo=UTC)
    inst = Institution(
        code="H15010200001",
        name="测试医院",
        type="hospital",
        level=2,
        region="150102",
        designated_begin=date(2020, 1, 1),
    )
    session.add(inst)
    session.add(
        CatalogItem(
            hilist_code="F001",
            name="宫颈细胞学检查",
            category="service",
            list_category="201",
            chrgitm_lv="01",
            begin_date=date(2024, 1, 1),
            sex_limit="female",
            pinyin_full="x",
            pinyin_initials="x",
        )
    )
    session.flush()
    visit = Visit(
        mdtrt_id="M1",
        institution_id=inst.id,
        person_id=person.id,
        kind="outpatient",
        insutype="310",
        med_type="11",
        ipt_otp_no="O1",
        mdtrt_cert_type="02",
        begntime=now,
        status="settled",
    )
    session.add(visit)
    session.flush()
    setl = SettlementRecord(
        setl_id="S1",
        visit_id=visit.id,
        person_id=person.id,
        institution_id=inst.id,
        kind="settle",
        msgid="m1",
        infno="2207",
        year=2025,
        setl_date=DAY,
        setl_time=now,
        med_type="11",
        insutype="310",
        policy="nmg-employee",
        policy_version="2024-01-01",
        eligible=True,
        medfee_fen=medfee,
        fulamt_ownpay_fen=0,
        overlmt_selfpay_fen=0,
        preselfpay_fen=0,
        inscp_scp_fen=medfee,
        act_pay_dedc_fen=0,
        hifp_pay_fen=0,
        hifmi_pay_fen=0,
        fund_pay_sumamt_fen=0,
        psn_part_fen=medfee,
        acct_pay_fen=0,
        psn_cash_pay_fen=medfee,
        ytd_delta="{}",
        explanation="[]",
    )
    session.add(setl)
    session.flush()
    session.add(
        FeeLine(
            visit_id=visit.id,
            feedetl_sn="1",
            med_list_codg="F001",
            name="宫颈细胞学检查",
            cnt=Decimal(1),
            pric=Decimal(line_total) / 100,
            amount_fen=line_total,
            matched=True,
            list_type="A",
            chrgitm_lv="01",
            selfpay_prop=Decimal(0),
            settlement_id=setl.id,
        )
    )
    session.flush()
    return setl  # fmt: skip


def test_direct_settlements_are_audited_by_the_same_rules(
    session: Session,
    make_person: Callable[..., Person],
    new_certno: Callable[..., str],
    signed_in: Callable[..., StaffBrowser],
) -> None:
    person = make_person(certno=new_certno(sex="male"), since=date(2024, 1, 1))
    assert person.sex == "male"
    setl = _direct_settlement(session, person, line_total=5_000, medfee=6_000)
    flags = smart_audit.settlement_flags(session, setl)
    codes = sorted(f.code for f in flags)
    assert codes == ["AMOUNTS_MISMATCH", "SEX_AGE_LIMIT"]
    persons.record_death(session, person, date(2025, 2, 1))
    assert any(f.code == "AFTER_DEATH" for f in smart_audit.settlement_flags(session, setl))
    session.commit()
    page = signed_in("reviewer").get("/staff/settlement-audit")
    assert "SEX_AGE_LIMIT" in page.text
    assert "S1" in page.text
