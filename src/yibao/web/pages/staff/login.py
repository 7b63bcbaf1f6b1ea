"""Staff sign-in (用户名, 密码, 动态口令), first-login setup (new password, TOTP enrolment
with QR and 密钥), sign-out."""

from __future__ import annotations

import secrets
from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.domain.text import N_
from yibao.persistence.tables import StaffMember, StaffSession
from yibao.services import audit, staff, staff_sessions
from yibao.services.errors import InvalidInput
from yibao.web.pages.staff.access import (
    COOKIE,
    StaffAction,
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
)
from yibao.web.pages.staff.rate_limit import SlidingWindow

router = APIRouter()
LOGIN_CSRF_COOKIE = "yibao_staff_login"
login_limiter = SlidingWindow(limit=20, window_s=300)
LOGIN_FAILED = N_("用户名、密码或动态口令不正确，或账户已暂时锁定")
SetupCtx = Annotated[StaffContext, Depends(StaffPage(setup=True))]
SetupAction = Annotated[StaffContext, Depends(StaffAction(setup=True))]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request, error: str = "", username: str = "", status: int = 200
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "login.html", None, status, error=error, username=username, login_csrf=token
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    totp: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(cookie, csrf_token):
        return _login_page(request, N_("页面已过期，请重新提交"), username, 400)
    client = request.client.host if request.client else "unknown"
    if not login_limiter.allow(client):
        return _login_page(request, N_("尝试过于频繁，请 5 分钟后再试"), username, 429)
    username, totp = username.strip()[:40], totp.strip()[:10]
    at = now()
    with transaction(request) as session:
        found = staff.find(session, username) if username else None
        if found is not None:
            session.expunge(found)
    # argon2 runs with no transaction open (no write lock held while hashing)
    verdict = staff.check_login(found, password[:200], totp, at)
    with transaction(request) as session:
        try:
            member = staff.record_login(session, verdict, at)
        except staff.StaffLoginFailed:
            member = None
        if member is not None:
            stage = "setup" if staff.needs_setup(member) else "full"
            opened = staff_sessions.open_session(session, member, stage, at)
            audit.record(
                session,
                audit.Actor(member.username, member.id),
                "staff.login",
                "staff",
                member.id,
                after={"stage": stage},
            )
    # The failure count commits above, whatever the outcome.
    if member is None:
        return _login_page(request, LOGIN_FAILED, username, 401)
    response = RedirectResponse("/staff/setup" if stage == "setup" else "/staff", 303)
    response.set_cookie(
        COOKIE,
        opened.token,
        path="/staff",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=int(staff_sessions.SESSION_TTL.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/staff")
    return response


def _setup_page(
    request: Request, ctx: StaffContext, errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    with transaction(request) as session:
        member = session.get(StaffMember, ctx.staff_id)
        assert member is not None
        if not staff.needs_setup(member):
            return RedirectResponse("/staff", 303)
        secret = qr_svg = None
        if not member.must_change_password:
            secret = staff.pending_secret(member) or staff.start_enrolment(session, member)
            qr = segno.make(staff.provisioning_uri(member, secret), error="m")
            qr_svg = qr.svg_inline(scale=4, title="动态口令二维码")
        must_change = member.must_change_password
    return render(
        request,
        "setup.html",
        ctx,
        status,
        errors=errors or {},
        must_change=must_change,
        secret=secret,
        qr_svg=qr_svg,
    )


@router.get("/setup", response_class=HTMLResponse)
def setup_form(request: Request, ctx: SetupCtx) -> Response:
    return _setup_page(request, ctx)


@router.post("/setup/password")
def setup_password(
    request: Request,
    ctx: SetupAction,
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    try:
        with transaction(request) as session:
            member = session.get(StaffMember, ctx.staff_id)
            assert member is not None
            staff.change_password(session, member, new_password, confirm_password, ctx.actor)
            staff.revoke_all(session, member, now(), keep=ctx.token_hash)
    except InvalidInput as exc:
        return _setup_page(request, ctx, {exc.field or "new_password": exc.message}, 400)
    return RedirectResponse("/staff/setup", 303)


@router.post("/setup/totp")
def setup_totp(request: Request, ctx: SetupAction, totp: Annotated[str, Form()] = "") -> Response:
    try:
        with transaction(request) as session:
            member = session.get(StaffMember, ctx.staff_id)
            assert member is not None
            if member.must_change_password:
                raise InvalidInput(N_("请先修改初始密码"), field="totp")
            staff.confirm_enrolment(session, member, totp[:10], now(), ctx.actor)
            row = session.get(StaffSession, ctx.token_hash)
            assert row is not None
            row.stage = "full"
    except InvalidInput as exc:
        return _setup_page(request, ctx, {"totp": exc.message}, 400)
    return RedirectResponse("/staff", 303)


@router.post("/logout")
def logout(request: Request, ctx: SetupAction) -> Response:
    with transaction(request) as session:
        row = session.get(StaffSession, ctx.token_hash)
        if row is not None:
            row.revoked_at = now()
        audit.record(session, ctx.actor, "staff.logout", "staff", ctx.staff_id)
    response = RedirectResponse("/staff/login", 303)
    response.delete_cookie(COOKIE, path="/staff")
    return response
