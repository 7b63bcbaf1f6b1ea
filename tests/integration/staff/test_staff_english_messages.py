"""Messages built in Python (audit flags, material and status labels, return reasons, policy
differences, dashboard CSV) follow the page language: English from the catalog, translated
then filled; Chinese stays the default."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from claim_helpers import submit_claim
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser, policy_upload_text

from yibao.persistence.tables import Person
from yibao.services import policy_documents
from yibao.services.audit import COMMAND_LINE
from yibao.web.pages.context import LANG_COOKIE


def test_a_claims_flags_materials_statuses_and_return_reasons_are_in_english(
    signed_in: Callable[..., StaffBrowser],
    make_person: Callable[..., Person],
    session: Session,
) -> None:
    app = submit_claim(session, make_person(), invoice_no="FP-EN-1")
    submit_claim(session, make_person(), invoice_no="FP-EN-1")
    session.commit()
    reviewer = signed_in("reviewer")
    chinese = reviewer.get(f"/staff/claims/{app.id}").text
    assert (
        "DUP_INVOICE 同一张发票重复报销，或已在医院直接结算：发票 FP-EN-1 另有 1 件报销申请"
        in chinese
    )
    assert "医疗费用发票或收据原件（盖章） · 发票.png" in chinese
    reviewer.client.cookies.set(LANG_COOKIE, "en")
    detail = reviewer.get(f"/staff/claims/{app.id}").text
    for words in (
        "DUP_INVOICE The same invoice claimed twice, or already settled directly at the"
        " hospital: Invoice FP-EN-1 is on 1 other claim(s)",
        "Original invoice or receipt for the medical costs (stamped) · 发票.png",
        "Itemised list of costs (drugs and tests, stamped)",
        ">Other (see the note)</option>",
        " Submitted</li>",
    ):
        assert words in detail, words
    for chinese_words in ("同一张发票重复报销", "医疗费用发票", ">其他（见说明）<", " 已提交"):
        assert chinese_words not in detail, chinese_words
    queue = reviewer.get("/staff/claims").text
    assert "Invoice FP-EN-1 is on 1 other claim(s)" in queue


def test_the_difference_between_policy_versions_reads_in_english(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    today = date(2026, 6, 1)
    with session_factory() as s, s.begin():
        doc = policy_documents.upload(s, policy_upload_text(), COMMAND_LINE, today).document
        policy_documents.publish(s, doc.id, COMMAND_LINE, datetime.now(UTC), today)
    with session_factory() as s:
        policy_documents.refresh(s)
    reviewer = signed_in("reviewer")
    url = "/staff/policies/nmg-employee?a=2024-01-01&b=2031-01-01"
    chinese = reviewer.get(url).text
    assert "：250,000 元 → 300,000 元" in chinese
    reviewer.client.cookies.set(LANG_COOKIE, "en")
    page = reviewer.get(url).text
    assert ": 250,000 yuan → 300,000 yuan" in page
    assert "元 →" not in page
    assert "Level 3 hospital 0–5,000 yuan 80%, 5,000–10,000 yuan 85%" in page  # the parameters


def test_the_dashboard_csv_headings_and_bands_are_in_english(
    signed_in: Callable[..., StaffBrowser],
) -> None:
    reviewer = signed_in("reviewer")
    url = "/staff/dashboard.csv?date_from=2026-01-01&date_to=2026-12-31&section="

    def rows(section: str) -> list[list[str]]:
        text = reviewer.get(url + section).text.lstrip("\ufeff")
        return list(csv.reader(io.StringIO(text)))

    assert rows("level")[0] == [
        "按医院等级",
        "结算笔数",
        "医疗费总额（元）",
        "基金支付（元）",
        "个人负担（元）",
    ]
    assert rows("oop")[-1] == ["10000 元以上", "0"]
    reviewer.client.cookies.set(LANG_COOKIE, "en")
    assert rows("level")[0] == [
        "By hospital level", "Settlements", "Medical costs (yuan)", "Fund paid (yuan)",
        "Paid by the person (yuan)",
    ]  # fmt: skip
    oop = rows("oop")
    assert oop[0] == ["Paid by the person", "Settlements"]
    assert [r[0] for r in oop[1:]] == [
        "0 yuan", "0–100 yuan", "100–500 yuan", "500–1000 yuan", "1000–5000 yuan",
        "5000–10000 yuan", "over 10000 yuan",
    ]  # fmt: skip
    page = reviewer.get("/staff/dashboard?date_from=2026-01-01&date_to=2026-12-31").text
    assert "over 10000 yuan" in page
    assert "元以上" not in page


CJK = re.compile(r"[\u4e00-\u9fff]")


def _main(html: str) -> str:
    """The page's own content (the header carries the 中文 switch and the role)."""
    return html.split("<main>", 1)[1].split("</main>", 1)[0]


def test_refusals_notices_and_lookups_made_in_python_are_in_english(
    signed_in: Callable[..., StaffBrowser],
) -> None:
    reviewer = signed_in("reviewer")
    reviewer.client.cookies.set(LANG_COOKIE, "en")
    missing = reviewer.get("/staff/claims/999999")
    assert missing.status_code == 404
    assert "There is no such claim." in missing.text
    lookup = reviewer.get("/staff/settlements?setl_id=NOPE").text
    assert "Settlement lookup" in lookup
    assert "There is no such settlement, or it is outside your regions" in lookup
    audit = _main(reviewer.get("/staff/settlement-audit").text)
    assert "Direct settlements · smart audit" in audit
    assert not CJK.search(audit), CJK.findall(audit)
    identity = _main(reviewer.get("/staff/identity").text)
    assert not CJK.search(identity), CJK.findall(identity)
    admin = signed_in("admin")
    admin.client.cookies.set(LANG_COOKIE, "en")
    uploaded = admin.post(
        "/staff/policies/upload", files={"file": ("p.yaml", policy_upload_text().encode())}
    )
    assert "Checked and saved as draft" in uploaded.text
    assert "已校验并保存为草稿" not in uploaded.text
    added = admin.post("/staff/members", {"username": "li.new", "role": "reviewer"})
    assert "Added li.new. The one-time initial password is shown only this once" in added.text
    payer = signed_in("payer")
    payer.client.cookies.set(LANG_COOKIE, "en")
    payments = _main(payer.get("/staff/payments").text)
    assert not CJK.search(payments), CJK.findall(payments)
