from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.persistence.tables import (
    Application,
    ApplicationEvent,
    ApplicationFile,
    Institution,
    Notice,
    Person,
)
from yibao.services import application_effects as effects
from yibao.services import applications, institutions, notices
from yibao.services.applications import Upload
from yibao.services.errors import Conflict, InvalidInput, NotFound

NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def claim_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "claim_case": "not_networked",
        "claim_type": "outpatient",
        "institution_name": "某县人民医院",
        "hospital_level": "2",
        "visit_date": "2025-05-10",
        "invoice_no": "FP20250510001",
        "bank_account": "6222020200112233445",
        "items": [
            {"name": "阿莫西林胶囊", "list_type": "A", "amount": "36.50"},
            {"name": "血常规", "list_type": "B", "amount": "25"},
        ],
    }
    form.update(overrides)
    return form


CLAIM_FILES = [
    Upload("invoice", "发票.png", "image/png", PNG),
    Upload("fee_list", "清单.png", "image/png", PNG),
    Upload("diagnosis", "诊断.pdf", "application/pdf", b"%PDF-1.4 test"),
]


def hospital(session: Session, code: str, region: str, level: int = 3) -> Institution:
    return institutions.create_institution(
        session,
        code=code,
        name=f"医院{code[-3:]}",
        type="hospital",
        region=region,
        level=level,
        designated_begin=date(2020, 1, 1),
    )


def count(session: Session, table: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def statuses(session: Session, app: Application) -> list[str]:
    return [e.status for e in applications.timeline(session, app)]


def test_a_claim_with_its_materials_is_submitted_with_an_estimate_timeline_and_notice(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    app = applications.submit(session, person, "claim", claim_form(), CLAIM_FILES, now=NOW)
    details = applications.details_of(app)
    assert app.status == "submitted"
    assert details["items"][1]["amount"] == "25.00"
    assert details["estimate"]["medfee_sumamt"] == "61.50"
    assert statuses(session, app) == ["submitted"]
    [notice] = notices.list_for_person(session, person)
    assert notice.title == "手工报销：已提交"
    assert len(applications.files_of(session, app)) == 3


def test_a_claim_missing_a_required_material_is_refused_and_nothing_is_written(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    with pytest.raises(InvalidInput) as err:
        applications.submit(session, person, "claim", claim_form(), CLAIM_FILES[:2], now=NOW)
    assert err.value.field == "file_diagnosis"
    assert "诊断证明" in err.value.message
    assert count(session, Application) == count(session, Notice) == 0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("claim_case", "lazy", "未直接结算的原因"),
        ("hospital_level", "5", "医院等级"),
        ("visit_date", "2025-13-01", "格式"),
        ("visit_date", "2025-07-01", "不能晚于今天"),
        ("invoice_no", "发票", "发票号"),
        ("bank_account", "12ab", "银行卡号"),
        ("items", [], "至少"),
        ("items", [{"name": "药", "list_type": "D", "amount": "1"}], "甲类"),
        ("items", [{"name": "药", "list_type": "A", "amount": "-3"}], "金额"),
        ("items", [{"name": "药", "list_type": "A", "amount": "1.005"}], "金额"),
    ],
)
def test_bad_claim_fields_are_refused_naming_the_field(
    session: Session, make_person: Callable[..., Person], field: str, value: Any, words: str
) -> None:
    person = make_person()
    with pytest.raises(InvalidInput) as err:
        applications.submit(
            session, person, "claim", claim_form(**{field: value}), CLAIM_FILES, now=NOW
        )
    assert err.value.field is not None
    assert err.value.field.startswith(field)
    assert words in err.value.message
    assert count(session, Application) == 0


def test_the_claim_deadline_comes_from_the_policy(
    session: Session, make_person: Callable[..., Person], new_certno: Callable[..., str]
) -> None:
    taiyuan = make_person(
        policy_id="taiyuan-employee", region="140100", certno=new_certno(region="140105")
    )
    old = claim_form(visit_date="2024-11-20")  # more than 6 months before NOW
    with pytest.raises(InvalidInput) as err:
        applications.submit(session, taiyuan, "claim", old, CLAIM_FILES, now=NOW)
    assert err.value.field == "visit_date"
    assert "6 个月" in err.value.message
    assert "2025-05-20" in err.value.message
    nmg = make_person()  # nmg-employee: 12 months
    app = applications.submit(session, nmg, "claim", old, CLAIM_FILES, now=NOW)
    assert app.status == "submitted"


def test_the_same_invoice_cannot_be_claimed_twice(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    applications.submit(session, person, "claim", claim_form(), CLAIM_FILES, now=NOW)
    with pytest.raises(Conflict) as err:
        applications.submit(session, person, "claim", claim_form(), CLAIM_FILES, now=NOW)
    assert err.value.field == "invoice_no"


def test_a_claim_goes_through_review_is_returned_resubmitted_approved_and_paid(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    app = applications.submit(session, person, "claim", claim_form(), CLAIM_FILES[:3], now=NOW)
    applications.decide(session, app.id, "reviewing", now=NOW)
    applications.decide(session, app.id, "returned", "发票不清晰，请重新上传", now=NOW)
    assert app.reason == "发票不清晰，请重新上传"
    again = [Upload("invoice", "发票2.png", "image/png", PNG + b"1")]
    applications.resubmit(session, person, app.id, None, again, now=NOW)
    assert app.status == "submitted"
    applications.decide(session, app.id, "reviewing", now=NOW)
    applications.decide(session, app.id, "approved", now=NOW)
    applications.decide(session, app.id, "paid", "已打入银行卡", now=NOW)
    assert statuses(session, app) == [
        "submitted",
        "reviewing",
        "returned",
        "submitted",
        "reviewing",
        "approved",
        "paid",
    ]
    titles = [n.title for n in reversed(notices.list_for_person(session, person))]
    assert titles[2] == "手工报销：退回补充材料"
    assert len(titles) == 7
    details = applications.details_of(app)
    assert details["approved_amount"] == details["estimate"]["fund_pay_sumamt"]
    assert "paid_at" in details
    assert notices.unread_count(session, person) == 7
    assert count(session, ApplicationFile) == 4


@pytest.mark.parametrize(
    ("moves", "illegal"),
    [
        ([], "approved"),
        ([], "paid"),
        ([], "submitted"),
        (["reviewing"], "paid"),
        (["reviewing", "approved"], "reviewing"),
        (["reviewing", "rejected"], "approved"),
        (["reviewing", "approved", "paid"], "returned"),
    ],
)
def test_illegal_status_changes_are_refused_and_leave_no_trace(
    session: Session, make_person: Callable[..., Person], moves: list[str], illegal: str
) -> None:
    person = make_person()
    app = applications.submit(session, person, "claim", claim_form(), CLAIM_FILES, now=NOW)
    for to in moves:
        applications.decide(session, app.id, to, "原因", now=NOW)
    before = (count(session, ApplicationEvent), count(session, Notice), app.status)
    with pytest.raises(InvalidInput) as err:
        applications.decide(session, app.id, illegal, "原因", now=NOW)
    assert err.value.field == "to"
    assert (count(session, ApplicationEvent), count(session, Notice), app.status) == before


def test_returning_or_rejecting_needs_a_reason_and_only_claims_are_paid(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    app = applications.submit(session, person, "card_loss", {"action": "loss"}, now=NOW)
    applications.decide(session, app.id, "reviewing", now=NOW)
    for to in ("returned", "rejected"):
        with pytest.raises(InvalidInput) as err:
            applications.decide(session, app.id, to, "  ", now=NOW)
        assert err.value.field == "reason"
    applications.decide(session, app.id, "approved", now=NOW)
    with pytest.raises(InvalidInput):
        applications.decide(session, app.id, "paid", now=NOW)
    with pytest.raises(NotFound):
        applications.decide(session, 99999, "reviewing", now=NOW)
    with pytest.raises(InvalidInput):
        applications.decide(session, app.id, "done", now=NOW)


def test_only_a_returned_application_of_ones_own_can_be_resubmitted(
    session: Session, make_person: Callable[..., Person], new_certno: Callable[..., str]
) -> None:
    person = make_person()
    other = make_person(certno=new_certno())
    app = applications.submit(session, person, "claim", claim_form(), CLAIM_FILES, now=NOW)
    with pytest.raises(InvalidInput) as err:
        applications.resubmit(session, person, app.id, now=NOW)
    assert "退回补充材料" in err.value.message
    applications.decide(session, app.id, "reviewing", now=NOW)
    applications.decide(session, app.id, "returned", "请补充", now=NOW)
    with pytest.raises(NotFound):
        applications.resubmit(session, other, app.id, now=NOW)
    with pytest.raises(NotFound):
        applications.get_for_person(session, other, app.id)
    fixed = applications.resubmit(
        session, person, app.id, claim_form(invoice_no="FP20250510002"), now=NOW
    )
    assert applications.details_of(fixed)["invoice_no"] == "FP20250510002"


def test_a_lost_card_is_marked_at_once_and_given_back_only_by_an_approved_unloss(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    loss = applications.submit(session, person, "card_loss", {"action": "loss"}, now=NOW)
    assert person.card_lost_at == NOW
    with pytest.raises(Conflict):
        applications.submit(session, person, "card_loss", {"action": "unloss"}, now=NOW)
    applications.decide(session, loss.id, "reviewing", now=NOW)
    applications.decide(session, loss.id, "approved", now=NOW)
    unloss = applications.submit(session, person, "card_loss", {"action": "unloss"}, now=NOW)
    assert person.card_lost_at == NOW
    applications.decide(session, unloss.id, "reviewing", now=NOW)
    applications.decide(session, unloss.id, "approved", now=NOW)
    assert person.card_lost_at is None
    with pytest.raises(InvalidInput) as err:
        applications.submit(session, person, "card_loss", {"action": "unloss"}, now=NOW)
    assert err.value.field == "action"


def test_a_refused_loss_report_gives_the_card_back(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    loss = applications.submit(session, person, "card_loss", {"action": "loss"}, now=NOW)
    applications.decide(session, loss.id, "reviewing", now=NOW)
    applications.decide(session, loss.id, "rejected", "非本人申请", now=NOW)
    assert person.card_lost_at is None


def test_the_first_visit_hospital_changes_once_a_medical_year(
    session: Session, make_person: Callable[..., Person], new_certno: Callable[..., str]
) -> None:
    a = hospital(session, "H14010500002", "140100", 2)
    b = hospital(session, "H14010700003", "140100", 3)
    hospital(session, "H15010200001", "150100")
    person = make_person(
        policy_id="taiyuan-resident",
        group="adult",
        region="140100",
        certno=new_certno(region="140105"),
        first_visit_hospital=a.code,
    )
    with pytest.raises(InvalidInput) as err:
        applications.submit(
            session, person, "first_visit_hospital", {"hospital_code": "H15010200001"}, now=NOW
        )
    assert "所在城市" in err.value.message
    app = applications.submit(
        session, person, "first_visit_hospital", {"hospital_code": b.code}, now=NOW
    )
    applications.decide(session, app.id, "reviewing", now=NOW)
    applications.decide(session, app.id, "approved", now=NOW)
    assert person.first_visit_hospital == b.code
    with pytest.raises(Conflict) as conflict:
        applications.submit(
            session, person, "first_visit_hospital", {"hospital_code": a.code}, now=NOW
        )
    assert "每个医疗年度" in conflict.value.message
    next_year = NOW + timedelta(days=365)
    again = applications.submit(
        session, person, "first_visit_hospital", {"hospital_code": a.code}, now=next_year
    )
    assert again.status == "submitted"


def test_a_scheme_without_first_visit_hospitals_refuses_the_application(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    with pytest.raises(InvalidInput) as err:
        applications.submit(
            session, person, "first_visit_hospital", {"hospital_code": "H15010200001"}, now=NOW
        )
    assert "不实行首诊医院制度" in err.value.message


def test_an_approved_filing_is_in_force_between_its_dates_and_covers_its_destination(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    form = {
        "filing_type": "temporary",
        "destination_region": "110000",
        "begin": "2025-06-05",
        "end": "2025-08-31",
    }
    app = applications.submit(session, person, "cross_region_filing", form, now=NOW)
    assert effects.filings_in_force(session, person.id, date(2025, 6, 10)) == []
    applications.decide(session, app.id, "reviewing", now=NOW)
    applications.decide(session, app.id, "approved", now=NOW)
    [filing] = effects.filings_in_force(session, person.id, date(2025, 6, 10))
    assert effects.covers(filing, "H11010500001", "110105")
    assert not effects.covers(filing, "H12010500001", "120105")
    assert effects.filings_in_force(session, person.id, date(2025, 9, 1)) == []
    [row] = effects.standing(session, person, date(2025, 6, 10))
    assert row.code == "902"
    assert "临时外出就医" in row.memo


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"destination_region": "150200"}, "destination_region", "同一统筹区"),
        ({"destination_region": "11"}, "destination_region", "6 位数字"),
        ({"end": "2026-03-01"}, "end", "最长 180 天"),
        ({"end": "2025-06-01"}, "end", "不能早于"),
        ({"begin": "2024-01-01"}, "begin", "补办"),
        ({"filing_type": "referral"}, "institution_code", "就医医院编码"),
        ({"filing_type": "other"}, "filing_type", "备案类型"),
    ],
)
def test_bad_filings_are_refused_naming_the_field(
    session: Session,
    make_person: Callable[..., Person],
    changes: dict[str, str],
    field: str,
    words: str,
) -> None:
    person = make_person(region="150200")
    form = {
        "filing_type": "temporary",
        "destination_region": "110000",
        "begin": "2025-06-05",
        "end": "2025-08-31",
        **changes,
    }
    with pytest.raises(InvalidInput) as err:
        applications.submit(session, person, "cross_region_filing", form, now=NOW)
    assert err.value.field == field
    assert words in err.value.message


def test_a_referral_filing_needs_the_referral_form(
    session: Session, make_person: Callable[..., Person]
) -> None:
    hospital(session, "H11010500001", "110100")
    person = make_person()
    form = {
        "filing_type": "referral",
        "destination_region": "110100",
        "institution_code": "H11010500001",
        "begin": "2025-06-05",
        "end": "2025-12-31",
    }
    with pytest.raises(InvalidInput) as err:
        applications.submit(session, person, "cross_region_filing", form, now=NOW)
    assert err.value.field == "file_referral_form"
    files = [Upload("referral_form", "转诊.pdf", "application/pdf", b"%PDF-1.4")]
    app = applications.submit(session, person, "cross_region_filing", form, files, now=NOW)
    assert applications.details_of(app)["institution_code"] == "H11010500001"


CHRONIC_FILES = [
    Upload("diagnosis", "诊断.png", "image/png", PNG),
    Upload("inpatient_record", "病历.pdf", "application/pdf", b"%PDF-1.4"),
]


def test_a_certified_chronic_class_lasts_a_year_and_at_most_two_class_b_diseases(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()  # nmg-employee: classes A and B
    for code in ("I10", "E11"):
        app = applications.submit(
            session,
            person,
            "chronic_disease",
            {"chronic_class": "B", "disease_code": code, "disease_name": f"病种{code}"},
            CHRONIC_FILES,
            now=NOW,
        )
        applications.decide(session, app.id, "reviewing", now=NOW)
        applications.decide(session, app.id, "approved", now=NOW)
    held = effects.certified_classes(session, person, date(2026, 5, 31))
    assert [c.disease_code for c in held] == ["I10", "E11"]
    assert effects.certified_classes(session, person, date(2026, 6, 1)) == []
    with pytest.raises(Conflict) as err:
        applications.submit(
            session,
            person,
            "chronic_disease",
            {"chronic_class": "B", "disease_code": "J44", "disease_name": "慢阻肺"},
            CHRONIC_FILES,
            now=NOW,
        )
    assert "2 种乙类" in err.value.message
    with pytest.raises(Conflict):
        applications.submit(
            session,
            person,
            "chronic_disease",
            {"chronic_class": "A", "disease_code": "I10", "disease_name": "高血压"},
            CHRONIC_FILES,
            now=NOW,
        )


def test_a_chronic_class_must_be_one_of_the_persons_policy(
    session: Session, make_person: Callable[..., Person]
) -> None:
    person = make_person()
    with pytest.raises(InvalidInput) as err:
        applications.submit(
            session,
            person,
            "chronic_disease",
            {"chronic_class": "Z", "disease_code": "I10", "disease_name": "高血压"},
            CHRONIC_FILES,
            now=NOW,
        )
    assert err.value.field == "chronic_class"


def test_notices_are_marked_read_only_by_their_owner(
    session: Session, make_person: Callable[..., Person], new_certno: Callable[..., str]
) -> None:
    person = make_person()
    other = make_person(certno=new_certno())
    applications.submit(session, person, "card_loss", {"action": "loss"}, now=NOW)
    [notice] = notices.list_for_person(session, person)
    with pytest.raises(NotFound):
        notices.mark_read(session, other, notice.id)
    notices.mark_read(session, person, notice.id)
    assert notices.unread_count(session, person) == 0
