"""电子医保凭证: activate (needs 实名认证 only), then show the QR code of the signed,
short-lived token (``mdtrt_cert_type`` 01) that a hospital's 1101 accepts. The page fetches
a fresh code before the shown one expires."""

from __future__ import annotations

from datetime import UTC, datetime

import segno
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from yibao.domain import voucher
from yibao.services import clock
from yibao.web.api.deps import SessionDep
from yibao.web.pages.context import redirect
from yibao.web.pages.deps import PageNotFound, RealNameDep, pages_router
from yibao.web.pages.templating import render

router = pages_router()
REFRESH_BEFORE_S = 60  # fetch a new code this long before the shown one expires


def _code(request: Request, psn_no: str) -> dict[str, object]:
    now = datetime.now(UTC)
    token = voucher.issue(request.app.state.voucher_key, psn_no, now)
    expires = now + voucher.DEFAULT_TTL
    svg = segno.make(token, error="m", micro=False).svg_inline(
        scale=6, border=2, omitsize=True, svgclass="qr-code"
    )
    return {
        "svg": svg,
        "expires_at": expires.isoformat(),
        "expires_local": expires.astimezone(clock.zone()).strftime("%H:%M"),
        "refresh_in": int(voucher.DEFAULT_TTL.total_seconds()) - REFRESH_BEFORE_S,
    }


@router.get("/voucher")
def voucher_page(request: Request, citizen: RealNameDep) -> HTMLResponse:
    assert citizen.person is not None
    activated = citizen.user.voucher_activated_at is not None
    code = _code(request, citizen.person.psn_no) if activated else None
    return render(
        request,
        "voucher/voucher.html",
        {"title": "电子医保凭证", "activated": activated, "code": code},
    )


@router.post("/voucher/activate")
def activate(request: Request, session: SessionDep, citizen: RealNameDep) -> Response:
    if citizen.user.voucher_activated_at is None:
        citizen.user.voucher_activated_at = datetime.now(UTC)
        session.add(citizen.user)
        session.commit()
    return redirect(request, "/voucher", "电子医保凭证已激活")


@router.get("/voucher/code")
def fresh_code(request: Request, citizen: RealNameDep) -> JSONResponse:
    """A new QR code (inline SVG) and its expiry, for the page's refresh script."""
    assert citizen.person is not None
    if citizen.user.voucher_activated_at is None:
        raise PageNotFound
    return JSONResponse(
        _code(request, citizen.person.psn_no), headers={"Cache-Control": "no-store"}
    )
