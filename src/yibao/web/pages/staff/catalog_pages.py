"""医保目录: search by name, pinyin, initials or code on a date; every version of a code;
the recent imports with rows added, changed and removed."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from yibao.domain.text import N_
from yibao.services import catalog, catalog_versions
from yibao.services.applications import local_today
from yibao.web.pages.staff.access import StaffContext, StaffPage, now, render, transaction

router = APIRouter()
AnyPage = Annotated[StaffContext, Depends(StaffPage())]


@router.get("/catalog", response_class=HTMLResponse)
def catalog_search(
    request: Request, ctx: AnyPage, q: str = "", on: str = "", code: str = ""
) -> Response:
    errors: dict[str, str] = {}
    when = local_today(now())
    if on.strip():
        try:
            when = date.fromisoformat(on.strip())
        except ValueError:
            errors["on"] = N_("日期格式应为 YYYY-MM-DD")
    q, code = q.strip()[:50], code.strip()[:50]
    with transaction(request) as session:
        hits = catalog.search(session, q, limit=50, on_date=when) if q and not errors else []
        versions = catalog_versions.versions(session, code) if code else []
        imports = catalog_versions.imports(session)
    return render(
        request,
        "catalog.html",
        ctx,
        400 if errors else 200,
        q=q,
        on=when,
        code=code,
        hits=hits,
        versions=versions,
        imports=imports,
        errors=errors,
    )
