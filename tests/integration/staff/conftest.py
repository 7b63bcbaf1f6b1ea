"""The staff pages on the test database: an app, and signed-in browsers for each role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser, enrolled_member

from yibao.config import Settings
from yibao.rules.registry import install_registry
from yibao.services import auth, staff_sessions
from yibao.web.app import create_app
from yibao.web.pages.staff.access import COOKIE
from yibao.web.pages.staff.login import login_limiter


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest cost: the tests check the flow, not the hash strength."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", cheap)
    monkeypatch.setattr(auth, "_DUMMY_HASH", cheap.hash("yibao: a password no account has"))


@pytest.fixture(autouse=True)
def builtin_policies_after_the_test() -> Iterator[None]:
    """A test that publishes a policy version installs it in the process: undo that."""
    yield
    install_registry(None)


@pytest.fixture
def app_client(migrated_url: str, secret_key_file: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=migrated_url, secret_key_file=secret_key_file))
    login_limiter._hits.clear()
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.engine.dispose()


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
