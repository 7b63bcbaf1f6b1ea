"""The staff pages in English, through the citizen pages' catalog and the shared language
cookie; Chinese stays the default."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from claim_helpers import submit_claim
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from staff_helpers import StaffBrowser

from yibao.persistence.tables import Person
from yibao.web.pages.context import LANG_COOKIE


def test_sign_in_is_chinese_by_default_and_english_after_choosing_it(
    app_client: TestClient,
) -> None:
    chinese = app_client.get("/staff/login").text
    assert '<html lang="zh-CN">' in chinese
    assert "经办人员登录" in chinese
    switched = app_client.get("/lang", params={"to": "en", "next": "/staff/login"})
    assert switched.headers["location"] == "/staff/login"
    english = app_client.get("/staff/login").text
    assert '<html lang="en">' in english
    for words in ("Staff sign-in", ">Username</label>", ">One-time code</label>", "Sign in"):
        assert words in english, words
    assert "经办人员登录" not in english


def test_the_layout_queue_and_claim_detail_are_in_english(
    signed_in: Callable[..., StaffBrowser],
    make_person: Callable[..., Person],
    session: Session,
) -> None:
    app = submit_claim(session, make_person())
    session.commit()
    reviewer = signed_in("reviewer")
    reviewer.client.cookies.set(LANG_COOKIE, "en")
    queue = reviewer.get("/staff/claims").text
    for words in ("Claims · waiting for review", "Claim review", "Sign out", "Reviewer", "中文"):
        assert words in queue, words
    detail = reviewer.get(f"/staff/claims/{app.id}").text
    for words in ("Approve", "Return for more materials", "Reject", "Payee bank card", "History"):
        assert words in detail, words
    assert "6222 **** **** 3445" in detail
    assert "审核决定" not in detail


HEADING_RE = re.compile(r"<h([12])[^>]*>(.*?)</h\1>", re.S)
CHINESE_RE = re.compile(r"[\u4e00-\u9fff]")
ADMIN_PAGES = {
    "/staff/dashboard": ("Dashboards", "Fund spending · By month", "Open applications"),
    "/staff/policies": ("Policies", "Upload a new version", "Uploads"),
    "/staff/catalog?q=xyz": ("Catalog", "Catalog entries for “xyz”", "Recent imports"),
    "/staff/news": ("Policy news", "Write a draft", "All news"),
    "/staff/members": ("Staff", "Add a staff member"),
    "/staff/audit": ("Audit log",),
}


@pytest.mark.parametrize("url", list(ADMIN_PAGES))
def test_the_back_office_pages_have_english_headings_and_no_chinese_ones(
    signed_in: Callable[..., StaffBrowser], url: str
) -> None:
    admin = signed_in("admin")
    chinese = admin.get(url).text
    assert CHINESE_RE.search(" ".join(h for _, h in HEADING_RE.findall(chinese)))
    admin.client.cookies.set(LANG_COOKIE, "en")
    page = admin.get(url)
    assert page.status_code == 200
    headings = [h for _, h in HEADING_RE.findall(page.text)]
    for words in ADMIN_PAGES[url]:
        assert any(words in h for h in headings), (words, headings)
    untranslated = [h for h in headings if CHINESE_RE.search(h)]
    assert not untranslated, untranslated
