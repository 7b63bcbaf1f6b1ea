"""The staff pages on the test database: an app, and signed-in browsers for each role."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import Settings
from yibao.persistence.tables import StaffMember
from yibao.services import staff, staff_sessions
from yibao.services.audit import COMMAND_LINE
from yibao.web.app import create_app
from yibao.web.pages.staff.access import COOKIE
from yibao.web.pages.staff.login import login_limiter

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest cost: the tests check the flow, not the hash strength."""
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def app_client(migrated_url: str, secret_key_file: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=migrated_url, secret_key_file=secret_key_file))
    login_limiter._hits.clear()
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


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


@pytest.fixture
def signed_in(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> Callable[..., StaffBrowser]:
    """``signed_in(role, regions=(), stage="full")``: a browser with a live staff session."""
    clients: list[TestClient] = []
    counter = iter(range(1, 1000))

    def make(role: str, regions: tuple[str, ...] = (), stage: str = "full") -> StaffBrowser:
        username = f"{role}{next(counter)}"
        with session_factory() as s, s.begin():
            member, _, _ = enrolled_member(s, username, role, regions)
            opened = staff_sessions.open_session(s, member, stage, datetime.now(UTC))
            member_id, csrf = member.id, opened.row.csrf_token
        client = TestClient(app_client.app, follow_redirects=False)
        client.cookies.set(COOKIE, opened.token, path="/staff")
        clients.append(client)
        return StaffBrowser(client, member_id, username, csrf)

    return make


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)
