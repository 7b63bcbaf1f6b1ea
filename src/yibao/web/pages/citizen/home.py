"""The home page, the language switch and 长辈模式 (remembered in cookies for a year)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from yibao.web.pages.context import ELDER_COOKIE, LANG_COOKIE, YEAR, local_path, secure
from yibao.web.pages.deps import MaybeCitizenDep, pages_router
from yibao.web.pages.i18n import LANGS
from yibao.web.pages.templating import render

router = pages_router()

# The five most used functions: the large tiles of 长辈模式.
ELDER_TILES = (
    ("/voucher", "电子医保凭证"),
    ("/me", "我的医保"),
    ("/estimate", "报销测算"),
    ("/claims", "手工报销"),
    ("/drugs", "药品目录"),
)


@router.get("/")
def home(request: Request, citizen: MaybeCitizenDep) -> HTMLResponse:
    return render(request, "home.html", {"title": "医保服务", "elder_tiles": ELDER_TILES})


@router.get("/lang")
def switch_lang(request: Request, to: str = "zh", next: str = "/") -> RedirectResponse:
    response = RedirectResponse(local_path(next), status_code=303)
    if to in LANGS:
        response.set_cookie(
            LANG_COOKIE, to, max_age=YEAR, samesite="lax", secure=secure(request), path="/"
        )
    return response


@router.get("/elder")
def switch_elder(request: Request, on: str = "1", next: str = "/") -> RedirectResponse:
    response = RedirectResponse(local_path(next), status_code=303)
    response.set_cookie(
        ELDER_COOKIE,
        "1" if on == "1" else "0",
        max_age=YEAR,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    return response
