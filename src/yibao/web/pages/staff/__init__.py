"""经办管理 (the agency back office) under ``/staff``: server-rendered pages, one module per
area, templates beside them. :func:`install` adds the router, the static files and the
handlers that turn access failures into redirects and 403 pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from yibao.domain.text import N_
from yibao.web.pages.staff import (
    audit_pages,
    catalog_pages,
    claims,
    dashboard,
    home,
    login,
    members,
    news_pages,
    payments,
    policies,
    queues,
    reversals,
)
from yibao.web.pages.staff.access import (
    CsrfRejected,
    StaffForbidden,
    StaffRedirect,
    render,
)

router = APIRouter(include_in_schema=False)
for module in (
    home,
    login,
    members,
    audit_pages,
    policies,
    catalog_pages,
    dashboard,
    claims,
    payments,
    reversals,
    queues,
    news_pages,
):
    router.include_router(module.router, prefix="/staff")


def install(app: FastAPI) -> None:
    app.mount(
        "/staff/static",
        StaticFiles(directory=Path(__file__).parent / "static"),
        name="staff-static",
    )
    app.include_router(router)

    @app.exception_handler(StaffRedirect)
    def _redirect(request: Request, exc: StaffRedirect) -> Response:
        return RedirectResponse(exc.to, 303)

    @app.exception_handler(StaffForbidden)
    def _forbidden(request: Request, exc: StaffForbidden) -> Response:
        return render(request, "forbidden.html", None, 403)

    @app.exception_handler(CsrfRejected)
    def _csrf(request: Request, exc: CsrfRejected) -> Response:
        return render(
            request, "forbidden.html", None, 403, message=N_("页面已过期或来源不明，请刷新后重试。")
        )
