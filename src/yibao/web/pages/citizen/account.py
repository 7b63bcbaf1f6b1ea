"""Account pages: 注册, 登录 (phone or ID number), 退出, 实名认证, 修改密码, 找回密码."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from yibao.services import citizens
from yibao.services.errors import InvalidInput
from yibao.web.api.deps import SessionDep
from yibao.web.pages.context import SESSION_COOKIE, local_path, redirect, secure
from yibao.web.pages.deps import CitizenDep, FormDep, MaybeCitizenDep, pages_router
from yibao.web.pages.forms import FormErrors, require, text, values_of
from yibao.web.pages.i18n import gettext
from yibao.web.pages.templating import render
from yibao.web.ratelimit import retry_after

router = pages_router()


def _now() -> datetime:
    return datetime.now(UTC)


def _too_fast(request: Request, who: str, errors: FormErrors) -> bool:
    """Sign-in and code limits per client address and per phone/ID number (the app's
    ``login_limits``, YIBAO_LOGIN_LIMIT_PER_*); True (and a message) if this try must wait."""
    address = request.client.host if request.client else "unknown"
    wait = request.app.state.login_limits.wait(address, who)
    if wait:
        errors.setdefault(
            "_form",
            gettext("尝试过于频繁，请 {seconds} 秒后再试").format(seconds=retry_after(wait)),
        )
    return bool(wait)


def _signed_in(request: Request, session: SessionDep, user_id: int, target: str) -> Response:
    from yibao.persistence.tables import CitizenUser

    user = session.get(CitizenUser, user_id)
    assert user is not None
    token = citizens.start_session(session, user, _now())
    session.commit()
    response = redirect(request, local_path(target), "登录成功")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(citizens.SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    return response


# -- 注册 -----------------------------------------------------------------------------------


@router.get("/register")
def register_page(request: Request) -> HTMLResponse:
    return render(request, "account/register.html", {"title": "注册"})


@router.post("/register")
def register(request: Request, session: SessionDep, form: FormDep) -> Response:
    errors = FormErrors()
    phone = require(form, errors, "phone", "手机号", 20)
    password = text(form, "password", 200)
    confirm = text(form, "confirm", 200)
    if not password:
        errors.add("password", "请填写密码")
    if not confirm:
        errors.add("confirm", "请再次输入密码")
    if not errors:
        try:
            user = citizens.register(session, phone, password, confirm)
        except InvalidInput as exc:
            session.rollback()
            errors.add_service_error(exc)
    if errors:
        return render(
            request,
            "account/register.html",
            {"title": "注册", "errors": errors, "values": values_of(form, "phone")},
            status_code=400,
        )
    return _signed_in(request, session, user.id, "/account/real-name")


# -- 登录 / 退出 ------------------------------------------------------------------------------


@router.get("/login")
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "account/login.html", {"title": "登录", "next": local_path(next)})


@router.post("/login")
def login(request: Request, session: SessionDep, form: FormDep) -> Response:
    errors = FormErrors()
    ident = require(form, errors, "ident", "手机号或身份证号", 30)
    password = text(form, "password", 200)
    target = local_path(text(form, "next", 300))
    if not password:
        errors.add("password", "请填写密码")
    if not errors and _too_fast(request, ident, errors):
        return render(
            request,
            "account/login.html",
            {"title": "登录", "errors": errors, "values": values_of(form, "ident"), "next": target},
            status_code=429,
        )
    if not errors:
        try:
            user = citizens.login(session, ident, password, _now())
        except citizens.LoginFailed:
            session.commit()  # keep the failure count
            errors.add("_form", "手机号/身份证号或密码错误；连续 5 次错误将锁定 15 分钟")
    if errors:
        return render(
            request,
            "account/login.html",
            {"title": "登录", "errors": errors, "values": values_of(form, "ident"), "next": target},
            status_code=400,
        )
    return _signed_in(request, session, user.id, target)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        citizens.end_session(session, token, _now())
        session.commit()
    response = redirect(request, "/", "已退出登录")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- 我的账户 -------------------------------------------------------------------------------


@router.get("/account")
def account_page(request: Request, citizen: CitizenDep) -> HTMLResponse:
    return render(request, "account/account.html", {"title": "账户与安全"})


# -- 实名认证 -------------------------------------------------------------------------------


@router.get("/account/real-name")
def real_name_page(request: Request, citizen: CitizenDep) -> HTMLResponse:
    return render(request, "account/real_name.html", {"title": "实名认证"})


@router.post("/account/real-name")
def real_name(
    request: Request, session: SessionDep, citizen: CitizenDep, form: FormDep
) -> Response:
    if citizen.bound:
        return redirect(request, "/account", "您已完成实名认证")
    errors = FormErrors()
    name = require(form, errors, "name", "姓名", 50)
    certno = require(form, errors, "certno", "身份证号", 30)
    mismatch = None
    if not errors:
        try:
            citizens.bind_real_name(session, citizen.user, name, certno, _now())
        except citizens.BindingMismatch as exc:
            session.commit()  # keep the failure count
            errors.add(exc.field, exc.message)
            mismatch = exc
        except InvalidInput as exc:
            session.rollback()
            errors.add_service_error(exc)
    if errors:
        return render(
            request,
            "account/real_name.html",
            {
                "title": "实名认证",
                "errors": errors,
                "values": values_of(form, "name", "certno"),
                "mismatch": mismatch,
            },
            status_code=400,
        )
    session.commit()
    return redirect(request, "/voucher", "实名认证成功，可以激活电子医保凭证了")


# -- 修改密码 -------------------------------------------------------------------------------


@router.get("/account/password")
def password_page(request: Request, citizen: CitizenDep) -> HTMLResponse:
    return render(request, "account/password.html", {"title": "修改密码"})


@router.post("/account/password")
def change_password(
    request: Request, session: SessionDep, citizen: CitizenDep, form: FormDep
) -> Response:
    errors = FormErrors()
    old = text(form, "old_password", 200)
    new = text(form, "password", 200)
    confirm = text(form, "confirm", 200)
    for name, value, label in (
        ("old_password", old, "原密码"),
        ("password", new, "新密码"),
        ("confirm", confirm, "确认密码"),
    ):
        if not value:
            errors.setdefault(name, gettext("请填写{label}").format(label=gettext(label)))
    if not errors:
        try:
            citizens.change_password(session, citizen.user, old, new, confirm, _now())
        except InvalidInput as exc:
            session.rollback()
            errors.add_service_error(exc)
    if errors:
        return render(
            request,
            "account/password.html",
            {"title": "修改密码", "errors": errors},
            status_code=400,
        )
    session.commit()
    response = redirect(request, "/login", "密码已修改，所有设备已退出，请用新密码登录")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- 找回密码 -------------------------------------------------------------------------------


@router.get("/account/reset")
def reset_page(request: Request) -> HTMLResponse:
    return render(request, "account/reset.html", {"title": "找回密码"})


@router.post("/account/reset")
def send_code(request: Request, session: SessionDep, form: FormDep) -> Response:
    errors = FormErrors()
    phone = require(form, errors, "phone", "手机号", 20)
    if not errors and not _too_fast(request, phone, errors):
        try:
            citizens.send_reset_code(session, phone, _now(), request.app.state.sms_sender)
        except InvalidInput as exc:
            session.rollback()
            errors.add_service_error(exc)
    if errors:
        return render(
            request,
            "account/reset.html",
            {"title": "找回密码", "errors": errors, "values": values_of(form, "phone")},
            status_code=400,
        )
    session.commit()
    return render(
        request,
        "account/reset_confirm.html",
        {"title": "找回密码", "values": {"phone": citizens.normalize_phone(phone)}, "sent": True},
    )


@router.post("/account/reset/confirm")
def reset_password(request: Request, session: SessionDep, form: FormDep) -> Response:
    errors = FormErrors()
    phone = require(form, errors, "phone", "手机号", 20)
    code = require(form, errors, "code", "验证码", 10)
    new = text(form, "password", 200)
    confirm = text(form, "confirm", 200)
    if not new:
        errors.add("password", "请填写新密码")
    if not confirm:
        errors.add("confirm", "请再次输入密码")
    if not errors and not _too_fast(request, phone, errors):
        try:
            citizens.reset_password(session, phone, code, new, confirm, _now())
        except InvalidInput as exc:
            session.commit()  # keep the count of wrong codes; nothing else was written
            errors.add_service_error(exc)
    if errors:
        return render(
            request,
            "account/reset_confirm.html",
            {"title": "找回密码", "errors": errors, "values": values_of(form, "phone", "code")},
            status_code=400,
        )
    session.commit()
    return redirect(request, "/login", "密码已重置，请用新密码登录")


__all__ = ["MaybeCitizenDep"]
