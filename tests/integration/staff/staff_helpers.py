"""Helpers shared by the staff page tests (imported by conftest and the tests)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from yibao.persistence.tables import StaffMember
from yibao.services import staff
from yibao.services.audit import COMMAND_LINE

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class StaffBrowser:
    """A TestClient signed in as one staff member (its own cookie jar)."""

    def __init__(self, client: TestClient, member_id: int, username: str, csrf: str) -> None:
        self.client = client
        self.member_id = member_id
        self.username = username
        self.csrf = csrf

    def get(self, url: str) -> httpx.Response:
        return self.client.get(url)

    def post(self, url: str, data: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kw)


def enrolled_member(
    session: Session, username: str, role: str, regions: tuple[str, ...] = ()
) -> tuple[StaffMember, str, str]:
    """A member who changed the initial password and enrolled TOTP: (member, password, secret)."""
    new = staff.add_staff(session, username, role, regions)
    member = new.member
    password = f"Pw-{username}-2026!"
    staff.change_password(session, member, password, password, COMMAND_LINE)
    secret = staff.start_enrolment(session, member)
    code = pyotp.TOTP(secret).now()
    staff.confirm_enrolment(session, member, code, datetime.now(UTC), COMMAND_LINE)
    return member, password, secret


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def policy_upload_text(effective: str = "2031-01-01", cap: int = 300000) -> str:
    """nmg-employee.yaml with one new dated value: the annual cap from ``effective``."""
    from yibao.rules.policy_loader import POLICY_DIR

    text = (POLICY_DIR / "nmg-employee.yaml").read_text(encoding="utf-8")
    old = "values: {2024-01-01: 250000}"
    assert old in text
    return text.replace(old, f"values: {{2024-01-01: 250000, {effective}: {cap}}}")
