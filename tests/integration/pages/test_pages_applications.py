"""Application pages: 手工报销 step by step, 我的申请 with timelines and resubmission, 异地就医备案,
慢特病认定, 首诊医院, 挂失/解挂, 站内消息 — bad input beside its field, nothing half-saved, and
another person's ids answered with 404."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from page_helpers import Enrolled, PageClient, bind, register
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from yibao.persistence.tables import Application, ApplicationFile, CitizenUser
from yibao.services import applications, institutions


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 60)).save(out, "PNG")
    return out.getvalue()


def face_verified(factory: sessionmaker[Session], who: Enrolled) -> None:
    with factory() as s, s.begin():
        user = s.scalars(select(CitizenUser).where(CitizenUser.person_id == who.person_id)).one()
        user.face_verified_at = datetime.now(UTC)


def count(factory: sessionmaker[Session], table: type[Any]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def step1(**changes: str) -> dict[str, str]:
    data = {
        "claim_case": "not_networked",
        "claim_type": "outpatient",
        "institution_name": "某县人民医院",
        "hospital_level": "2",
        "visit_date": (date.today() - timedelta(days=20)).isoformat(),
        "invoice_no": "FP0001",
        "bank_account": "6222020200112233445",
        "item0_name": "阿莫西林胶囊",
        "item0_list_type": "A",
        "item0_amount": "36.50",
        "item1_name": "血常规",
        "item1_list_type": "B",
        "item1_amount": "25",
    }
    data.update(changes)
    return data


CLAIM_FILES = ("invoice", "fee_list", "diagnosis")


def files(*keys: str, content: bytes | None = None) -> dict[str, Any]:
    body = content if content is not None else png()
    return {f"file_{k}": (f"{k}.png", body, "image/png") for k in keys}


@pytest.fixture
def claimant(
    page_client: PageClient, bound_citizen: Enrolled, session_factory: sessionmaker[Session]
) -> Enrolled:
    face_verified(session_factory, bound_citizen)
    return bound_citizen


def file_claim(client: PageClient, **changes: str) -> int:
    response = client.post_form("/claims", step1(**changes), files=files(*CLAIM_FILES))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_a_claim_needs_the_face_check_first(
    page_client: PageClient, bound_citizen: Enrolled
) -> None:
    html = page_client.get("/claims").text
    assert "去人脸认证" in html
    response = page_client.post_form("/claims/check", step1())
    assert "去人脸认证" in response.text


def test_a_claim_is_filed_step_by_step_with_the_estimate_before_submitting(
    page_client: PageClient, claimant: Enrolled, session_factory: sessionmaker[Session]
) -> None:
    form = page_client.get("/claims").text
    for label in ("未直接结算的原因", "发票号", "项目名称 1", "金额（元） 1", "费用发生日期"):
        assert f">{label}</label>" in form
    estimate = page_client.post_form("/claims/check", step1())
    assert estimate.status_code == 200
    for words in (
        "统筹基金支付",
        "个人账户支付",
        "个人现金支付",
        "61.50",
        "医疗费用发票或收据原件",
    ):
        assert words in estimate.text
    assert 'type="file"' in estimate.text
    assert count(session_factory, Application) == 0
    app_id = file_claim(page_client)
    detail = page_client.get(f"/applications/{app_id}").text
    assert "已提交" in detail
    assert "**** 3445" in detail
    assert "6222020200112233445" not in detail
    listing = page_client.get("/applications").text
    assert f"/applications/{app_id}" in listing


@pytest.mark.parametrize(
    ("changes", "error_id", "words"),
    [
        ({"invoice_no": ""}, "e-invoice_no", "请填写发票号"),
        ({"bank_account": "12"}, "e-bank_account", "银行卡号"),
        ({"item0_amount": "abc"}, "e-item0_amount", "金额"),
        ({"item1_list_type": ""}, "e-item1_list_type", "甲类"),
        (
            {"visit_date": (date.today() - timedelta(days=400)).isoformat()},
            "e-visit_date",
            "报销时限",
        ),
        ({"claim_type": "dental"}, "e-claim_type", "报销类别"),
    ],
)
def test_bad_claim_fields_are_shown_beside_them_and_nothing_is_saved(
    page_client: PageClient,
    claimant: Enrolled,
    session_factory: sessionmaker[Session],
    changes: dict[str, str],
    error_id: str,
    words: str,
) -> None:
    for url in ("/claims/check", "/claims"):
        response = page_client.post_form(url, step1(**changes), files=files(*CLAIM_FILES))
        assert response.status_code == 400, url
        assert f'id="{error_id}"' in response.text
        assert words in response.text
    assert count(session_factory, Application) == 0


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("invoice.png", b"not an image at all", "不是 JPG、PNG 或 PDF"),
        ("invoice.php.png", None, "多个扩展名"),
        ("../../etc/invoice.png", None, "文件名不合法"),
        ("invoice.png", b"", "文件是空的"),
    ],
)
def test_bad_uploads_are_refused_beside_their_field_and_nothing_is_saved(
    page_client: PageClient,
    claimant: Enrolled,
    session_factory: sessionmaker[Session],
    name: str,
    content: bytes | None,
    words: str,
) -> None:
    body = files("fee_list", "diagnosis")
    body["file_invoice"] = (name, png() if content is None else content, "image/png")
    response = page_client.post_form("/claims", step1(), files=body)
    assert response.status_code == 400
    assert 'id="e-file_invoice"' in response.text
    assert words in response.text
    assert count(session_factory, Application) == count(session_factory, ApplicationFile) == 0


def test_a_missing_material_is_named_and_nothing_is_saved(
    page_client: PageClient, claimant: Enrolled, session_factory: sessionmaker[Session]
) -> None:
    response = page_client.post_form("/claims", step1(), files=files("invoice", "fee_list"))
    assert response.status_code == 400
    assert 'id="e-file_diagnosis"' in response.text
    assert "请上传：诊断证明或病历记录" in response.text
    assert count(session_factory, Application) == 0


def test_a_returned_claim_shows_the_reason_and_is_resubmitted_with_new_material(
    page_client: PageClient, claimant: Enrolled, session_factory: sessionmaker[Session]
) -> None:
    app_id = file_claim(page_client)
    with session_factory() as s, s.begin():
        applications.decide(s, app_id, "reviewing")
    assert "审核中" in page_client.get("/applications").text
    with session_factory() as s, s.begin():
        applications.decide(s, app_id, "returned", "发票照片不清晰")
    detail = page_client.get(f"/applications/{app_id}").text
    assert "退回补充材料" in detail
    assert "发票照片不清晰" in detail
    bad = page_client.post_form(
        f"/applications/{app_id}/resubmit", {}, files=files("invoice", content=b"junk")
    )
    assert bad.status_code == 400
    assert 'id="e-file_invoice"' in bad.text
    ok = page_client.post_form(f"/applications/{app_id}/resubmit", {}, files=files("invoice"))
    assert ok.status_code == 303
    detail = page_client.get(f"/applications/{app_id}").text
    assert detail.count('class="status status-submitted"') == 3  # current + two timeline rows
    messages = page_client.get("/messages").text
    assert "手工报销：退回补充材料" in messages
    assert "未读" in messages
    assert page_client.post_form("/messages/read").status_code == 303
    assert "未读：0" in page_client.get("/messages").text


def test_another_person_gets_404_for_every_application_page(
    page_client: PageClient,
    claimant: Enrolled,
    session_factory: sessionmaker[Session],
    new_client: Any,
    enrol: Any,
) -> None:
    app_id = file_claim(page_client)
    with session_factory() as s:
        file_id = s.scalars(
            select(ApplicationFile.id).where(ApplicationFile.application_id == app_id)
        ).first()
    own = page_client.get(f"/applications/{app_id}/files/{file_id}")
    assert own.status_code == 200
    assert own.content.startswith(b"\x89PNG")
    with session_factory() as s, s.begin():
        applications.decide(s, app_id, "reviewing")
        applications.decide(s, app_id, "returned", "请补充")
    other: PageClient = new_client()
    who = enrol()
    register(other, who.phone)
    bind(other, who)
    face_verified(session_factory, who)
    for url in (f"/applications/{app_id}", f"/applications/{app_id}/files/{file_id}"):
        assert other.get(url).status_code == 404, url
    response = other.post_form(f"/applications/{app_id}/resubmit", {}, files=files("invoice"))
    assert response.status_code == 404
    assert page_client.get(f"/applications/{app_id}/files/999999").status_code == 404
    assert page_client.get(f"/applications/{app_id + 1000}").status_code == 404
    assert "退回补充材料" in page_client.get(f"/applications/{app_id}").text
    assert f"/applications/{app_id}" not in other.get("/applications").text


def test_a_cross_region_filing_is_filed_or_refused_beside_its_field(
    page_client: PageClient, bound_citizen: Enrolled, session_factory: sessionmaker[Session]
) -> None:
    begin = date.today().isoformat()
    same_city = {
        "filing_type": "temporary",
        "destination_region": "150100",
        "begin": begin,
        "end": begin,
    }
    response = page_client.post_form("/filings", same_city)
    assert response.status_code == 400
    assert 'id="e-destination_region"' in response.text
    assert "不需要备案" in response.text
    no_proof = {"filing_type": "long_term", "destination_region": "110000", "begin": begin}
    response = page_client.post_form("/filings", no_proof)
    assert response.status_code == 400
    assert 'id="e-file_residence"' in response.text
    assert count(session_factory, Application) == 0
    ok = page_client.post_form("/filings", no_proof, files=files("residence"))
    assert ok.status_code == 303
    assert "异地就医备案" in page_client.get(ok.headers["location"]).text


def test_chronic_certification_first_visit_hospital_and_card_loss_pages(
    page_client: PageClient, bound_citizen: Enrolled, session_factory: sessionmaker[Session]
) -> None:
    form = page_client.get("/chronic").text
    assert ">慢特病类别</label>" in form
    bad = page_client.post_form(
        "/chronic", {"chronic_class": "B", "disease_code": "I10", "disease_name": "高血压"}
    )
    assert bad.status_code == 400
    assert 'id="e-file_diagnosis"' in bad.text
    ok = page_client.post_form(
        "/chronic",
        {"chronic_class": "B", "disease_code": "I10", "disease_name": "高血压"},
        files=files("diagnosis", "inpatient_record"),
    )
    assert ok.status_code == 303
    first = page_client.post_form("/first-visit", {"hospital_code": "H15010200001"})
    assert first.status_code == 400
    assert "不实行首诊医院制度" in first.text
    assert "正常" in page_client.get("/card-loss").text
    lost = page_client.post_form("/card-loss", {"action": "loss", "note": "丢失"})
    assert lost.status_code == 303
    assert "已挂失" in page_client.get("/card-loss").text
    again = page_client.post_form("/card-loss", {"action": "loss"})
    assert again.status_code == 400
    assert 'id="e-action"' in again.text


def test_a_resident_chooses_a_first_visit_hospital_from_the_list(
    page_client: PageClient, enrol: Any, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        institutions.create_institution(
            s, code="H14010500002", name="小店区人民医院", type="hospital", region="140100",
            level=2, designated_begin=date(2020, 1, 1),
        )  # fmt: skip
    who = enrol(
        policy_id="taiyuan-resident", group="adult", region="140100", certno_region="140105"
    )
    register(page_client, who.phone)
    bind(page_client, who)
    page = page_client.get("/first-visit").text
    assert '<option value="H14010500002"' in page
    ok = page_client.post_form("/first-visit", {"hospital_code": "H14010500002"})
    assert ok.status_code == 303
    bad = page_client.post_form("/first-visit", {"hospital_code": "H14010500002"})
    assert bad.status_code == 400
    assert "办理中" in bad.text


def test_application_pages_need_a_bound_person(page_client: PageClient) -> None:
    for url in ("/claims", "/applications", "/filings", "/chronic", "/messages", "/card-loss"):
        response = page_client.get(url, follow_redirects=False)
        assert response.status_code in (302, 303, 307), url
