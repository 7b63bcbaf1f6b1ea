from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser, csrf_of, enrolled_member
from typer.testing import CliRunner

from yibao.cli import app as cli_app
from yibao.persistence.tables import AuditEntry, StaffMember, StaffSession
from yibao.services import staff
from yibao.web.pages.staff.login import login_limiter
from yibao.web.pages.staff.rate_limit import SlidingWindow

SECRET_RE = re.compile(r'<code id="totp-secret">([A-Z2-7]+)</code>')


def _login(client: TestClient, username: str, password: str, code: str = "") -> object:
    page = client.get("/staff/login")
    return client.post(
        "/staff/login",
        data={
            "username": username,
            "password": password,
            "totp": code,
            "csrf_token": csrf_of(page.text),
        },
    )


def test_staff_add_prints_the_one_time_password_alone_on_the_last_line(
    migrated_url: str, secret_key_file: Path, session_factory: sessionmaker[Session]
) -> None:
    env = {"YIBAO_DATABASE_URL": migrated_url, "YIBAO_SECRET_KEY_FILE": str(secret_key_file)}
    r = CliRunner().invoke(
        cli_app,
        ["staff", "add", "--username", "wang", "--role", "reviewer", "--region", "1501"],
        env=env,
    )
    assert r.exit_code == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16}", last)
    with session_factory() as s:
        member = staff.find(s, "wang")
        assert member is not None
        assert member.must_change_password
        assert staff.regions_of(s, member) == ("1501",)
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--username", "Wang Wu", "--role", "reviewer"], "--username"),
        (["--username", "wang", "--role", "boss"], "--role"),
        (["--username", "wang", "--role", "payer", "--region", "15a"], "--region"),
    ],
)
def test_staff_add_refuses_bad_input_naming_the_option_and_writes_nothing(
    migrated_url: str,
    secret_key_file: Path,
    session_factory: sessionmaker[Session],
    args: list[str],
    option: str,
) -> None:
    env = {"YIBAO_DATABASE_URL": migrated_url, "YIBAO_SECRET_KEY_FILE": str(secret_key_file)}
    r = CliRunner().invoke(cli_app, ["staff", "add", *args], env=env)
    assert r.exit_code == 2
    assert option in r.stderr
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(StaffMember)) == 0


def test_first_login_forces_a_new_password_then_totp_enrolment_then_asks_for_the_code(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        initial = staff.add_staff(s, "lisi", "payer").initial_password
    client = app_client
    r = _login(client, "lisi", initial)
    assert r.status_code == 303
    assert r.headers["location"] == "/staff/setup"
    # Nothing else opens before the setup is done.
    assert client.get("/staff").headers["location"] == "/staff/setup"
    page = client.get("/staff/setup")
    assert "新密码" in page.text
    assert "密钥" not in page.text
    bad = client.post(
        "/staff/setup/password",
        data={
            "new_password": "short",
            "confirm_password": "short",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert bad.status_code == 400
    assert "密码长度" in bad.text
    ok = client.post(
        "/staff/setup/password",
        data={
            "new_password": "Li-new-pass-2026",
            "confirm_password": "Li-new-pass-2026",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert ok.status_code == 303
    page = client.get("/staff/setup")
    assert "动态口令二维码" in page.text
    assert "<svg" in page.text
    assert re.search(r"<dt>密钥</dt>", page.text)
    m = SECRET_RE.search(page.text)
    assert m
    totp = pyotp.TOTP(m.group(1))
    wrong = client.post(
        "/staff/setup/totp", data={"totp": "000000", "csrf_token": csrf_of(page.text)}
    )
    assert wrong.status_code == 400
    assert "动态口令不正确" in wrong.text
    done = client.post(
        "/staff/setup/totp", data={"totp": totp.now(), "csrf_token": csrf_of(page.text)}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/staff"
    assert client.get("/staff").status_code == 200

    # Later sign-ins: 用户名, 密码 and 动态口令.
    other = TestClient(client.app, follow_redirects=False)
    form = other.get("/staff/login").text
    for label in ("用户名", "密码", "动态口令"):
        assert f">{label}</label>" in form
    assert _login(other, "lisi", "Li-new-pass-2026", "").status_code == 401
    assert _login(other, "lisi", initial, totp.now()).status_code == 401
    with session_factory() as s:
        member = staff.find(s, "lisi")
        assert member is not None
        next_step = member.totp_last_step + 1
    good = _login(other, "lisi", "Li-new-pass-2026", totp.generate_otp(next_step))
    assert good.status_code == 303
    assert good.headers["location"] == "/staff"


def test_a_totp_code_is_accepted_once_only(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        _, password, secret = enrolled_member(s, "zhao", "reviewer")
        member = staff.find(s, "zhao")
        assert member is not None
        code = pyotp.TOTP(secret).generate_otp(member.totp_last_step + 1)
    assert _login(app_client, "zhao", password, code).status_code == 303
    again = TestClient(app_client.app, follow_redirects=False)
    assert _login(again, "zhao", password, code).status_code == 401


def test_five_failures_lock_the_account_even_with_the_right_password_afterwards(
    app_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        _, password, secret = enrolled_member(s, "qian", "admin")
    for _ in range(5):
        assert _login(app_client, "qian", "wrong-password", "123456").status_code == 401
    with session_factory() as s:
        member = staff.find(s, "qian")
        assert member is not None
        assert member.locked_until is not None
        code = pyotp.TOTP(secret).generate_otp(member.totp_last_step + 1)
    assert _login(app_client, "qian", password, code).status_code == 401


def test_sign_in_attempts_from_one_address_are_rate_limited(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(login_limiter, "limit", 3)
    statuses = [_login(app_client, f"nobody{i}", "x").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_the_sliding_window_forgets_attempts_older_than_the_window() -> None:
    window = SlidingWindow(limit=2, window_s=10)
    assert window.allow("a", 0)
    assert window.allow("a", 1)
    assert not window.allow("a", 5)
    assert window.allow("b", 5)
    assert window.allow("a", 10.5)


def test_a_login_post_without_the_form_token_is_refused(app_client: TestClient) -> None:
    r = app_client.post("/staff/login", data={"username": "x", "password": "y"})
    assert r.status_code == 400


def test_logout_revokes_the_session_on_the_server(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    b = signed_in("reviewer")
    cookie = b.client.cookies.get("yibao_staff")
    assert b.get("/staff").status_code == 200
    assert b.post("/staff/logout").status_code == 303
    replay = TestClient(b.client.app, follow_redirects=False)
    replay.cookies.set("yibao_staff", cookie or "", path="/staff")
    assert replay.get("/staff").headers["location"] == "/staff/login"


def test_an_expired_session_sends_the_browser_to_sign_in(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    b = signed_in("payer")
    with session_factory() as s, s.begin():
        for row in s.scalars(select(StaffSession)):
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = b.get("/staff")
    assert r.status_code == 303
    assert r.headers["location"] == "/staff/login"


def _record(session_factory: sessionmaker[Session], verdict: staff.Verdict, at: datetime) -> str:
    """Record one sign-in in its own transaction, committed whatever the outcome (as the page
    does): "in" or "refused"."""
    with session_factory() as s, s.begin():
        try:
            staff.record_login(s, verdict, at)
        except staff.StaffLoginFailed:
            return "refused"
        return "in"


def test_parallel_failures_each_count_and_a_code_used_in_parallel_signs_in_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        _, password, secret = enrolled_member(s, "sun", "payer")
    with session_factory() as s:
        snapshot = staff.find(s, "sun")
        assert snapshot is not None
        s.expunge(snapshot)
    # Both attempts were checked against the same row before either was written: the
    # interleaving of two workers. Each failure still counts.
    now = datetime.now(UTC)
    wrong = [staff.check_login(snapshot, "wrong-password", "000000", now) for _ in range(2)]
    assert [_record(session_factory, v, now) for v in wrong] == ["refused", "refused"]
    with session_factory() as s:
        member = staff.find(s, "sun")
        assert member is not None
        assert member.failed_attempts == 2
    # One valid code, checked twice in parallel: only the first recording claims it.
    step = snapshot.totp_last_step + 1
    at = datetime.fromtimestamp(step * 30, UTC)
    code = pyotp.TOTP(secret).generate_otp(step)
    both = [staff.check_login(snapshot, password, code, at) for _ in range(2)]
    assert all(v.ok for v in both)
    assert [_record(session_factory, v, at) for v in both] == ["in", "refused"]
