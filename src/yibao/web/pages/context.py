"""Per-request page state kept in cookies: language, 长辈模式, the CSRF token and one-shot
notices (flash). Notices are signed, so a forged cookie shows nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from yibao.web.pages import i18n

LANG_COOKIE = "yb_lang"
ELDER_COOKIE = "yb_elder"
CSRF_COOKIE = "yb_csrf"
NOTICE_COOKIE = "yb_notice"
SESSION_COOKIE = "yb_session"
CSRF_FIELD = "csrf_token"
YEAR = 365 * 24 * 3600


_csrf_value: ContextVar[str] = ContextVar("yibao_page_csrf", default="")


def current_csrf_token() -> str:
    """The CSRF token of the page being rendered (a template global: macros imported without
    context, like ``csrf()`` in ``_form.html``, still see it)."""
    return _csrf_value.get()


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE, i18n.DEFAULT_LANG)
    return lang if lang in i18n.LANGS else i18n.DEFAULT_LANG


def elder_of(request: Request) -> bool:
    return request.cookies.get(ELDER_COOKIE) == "1"


def csrf_token(request: Request) -> str:
    """The browser's CSRF token (double-submit: a cookie and a hidden form field)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return str(token)


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` if it is a path on this site (no scheme, no host, no ``//``), else default."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


# -- notices (flash) --------------------------------------------------------------------------


def _notice_key(request: Request) -> bytes:
    return bytes(request.app.state.page_key)


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()[:32]


def add_notice(request: Request, response: Response, message: str, kind: str = "ok") -> None:
    """Show ``message`` once on the next page (kind: ok, warn, error)."""
    payload = base64.urlsafe_b64encode(
        json.dumps([kind, message], ensure_ascii=False).encode()
    ).decode()
    value = payload + "." + _sign(_notice_key(request), payload)
    response.set_cookie(
        NOTICE_COOKIE, value, httponly=True, samesite="lax", secure=secure(request), path="/"
    )


def read_notice(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw or "." not in raw:
        return None
    payload, sig = raw.rsplit(".", 1)
    if not hmac.compare_digest(sig, _sign(_notice_key(request), payload)):
        return None
    try:
        kind, message = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    request.state.notice_read = True
    return {"kind": str(kind), "message": str(message)}


def redirect(
    request: Request, url: str, notice: str | None = None, kind: str = "ok"
) -> RedirectResponse:
    """A 303 redirect (after a POST), with an optional notice for the next page."""
    response = RedirectResponse(url, status_code=303)
    if notice:
        add_notice(request, response, notice, kind)
    after_render(request, response)
    return response


# -- rendering ----------------------------------------------------------------------------


def base_context(request: Request) -> dict[str, Any]:
    lang = lang_of(request)
    i18n.set_lang(lang)
    token = csrf_token(request)
    _csrf_value.set(token)
    return {
        "request": request,
        "lang": lang,
        "html_lang": i18n.HTML_LANG[lang],
        "langs": i18n.LANGS,
        "elder": elder_of(request),
        "csrf_field": CSRF_FIELD,
        "csrf_token": token,
        "notice": read_notice(request),
        "citizen": getattr(request.state, "citizen", None),
        "path": request.url.path,
        "errors": {},
        "values": {},
    }


def after_render(request: Request, response: Response) -> None:
    """Set the CSRF cookie if this request created the token; drop a notice once shown."""
    new = getattr(request.state, "new_csrf", None)
    if new and not request.cookies.get(CSRF_COOKIE):
        response.set_cookie(
            CSRF_COOKIE, new, httponly=True, samesite="lax", secure=secure(request), path="/"
        )
    if getattr(request.state, "notice_read", False) and NOTICE_COOKIE not in response.headers.get(
        "set-cookie", ""
    ):
        response.delete_cookie(NOTICE_COOKIE, path="/")
