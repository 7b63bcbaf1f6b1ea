"""审计日志: search and CSV export (管理员; region-limited admins see their regions)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from yibao.domain.text import N_
from yibao.persistence.db import unit_of_work
from yibao.services import audit
from yibao.web.pages.staff.access import StaffContext, StaffPage, render, transaction

router = APIRouter()
AdminPage = Annotated[StaffContext, Depends(StaffPage("admin"))]
PAGE_SIZE = 50


def _query(request: Request, ctx: StaffContext) -> tuple[audit.AuditQuery, dict[str, str]]:
    p = request.query_params
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for name in ("date_from", "date_to"):
        raw = p.get(name, "").strip()
        dates[name] = None
        if raw:
            try:
                dates[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = N_("日期格式应为 YYYY-MM-DD")
    q = audit.AuditQuery(
        actor=p.get("actor", "").strip()[:60],
        action=p.get("action", "").strip()[:60],
        object_type=p.get("object_type", "").strip()[:40],
        object_id=p.get("object_id", "").strip()[:60],
        date_from=dates["date_from"],
        date_to=dates["date_to"],
        regions=ctx.region_filter,
    )
    return q, errors


@router.get("/audit", response_class=HTMLResponse)
def audit_search(request: Request, ctx: AdminPage) -> Response:
    q, errors = _query(request, ctx)
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    entries = []
    if not errors:
        with transaction(request) as session:
            entries = audit.search(session, q, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render(
        request,
        "audit.html",
        ctx,
        400 if errors else 200,
        q=q,
        errors=errors,
        entries=entries[:PAGE_SIZE],
        page=page,
        has_next=len(entries) > PAGE_SIZE,
        params=dict(request.query_params),
    )


@router.get("/audit.csv")
def audit_csv(request: Request, ctx: AdminPage) -> Response:
    q, errors = _query(request, ctx)
    if errors:
        return render(
            request,
            "audit.html",
            ctx,
            400,
            q=q,
            errors=errors,
            entries=[],
            page=1,
            has_next=False,
            params=dict(request.query_params),
        )
    factory = request.app.state.session_factory

    def rows() -> object:
        with unit_of_work(factory) as session:
            yield "\ufeff"  # so that Excel opens the Chinese text as UTF-8
            yield from audit.export_csv(session, q)

    return StreamingResponse(
        rows(),  # type: ignore[arg-type]
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
