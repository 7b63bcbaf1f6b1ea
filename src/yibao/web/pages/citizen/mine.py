"""我的医保: enrolment, 账户余额 and movements by month, settlements with their explanation
and a printable 结算单 (print stylesheet and PDF), the year so far with a chart."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from yibao.services import statements
from yibao.web.api.deps import SessionDep
from yibao.web.pages.citizen.receipt import settlement_pdf
from yibao.web.pages.deps import PageNotFound, RealNameDep, pages_router
from yibao.web.pages.templating import render

router = pages_router()


@router.get("/me")
def overview(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    assert citizen.person is not None
    today = date.today()
    return render(
        request,
        "me/overview.html",
        {
            "title": "我的医保",
            "info": statements.summary(session, citizen.person, today),
            "year": statements.year_so_far(session, citizen.person, today),
            "settlements": statements.settlements(session, citizen.person, limit=5),
        },
    )


def _month(raw: str | None, today: date) -> tuple[int, int] | None:
    if not raw:
        return today.year, today.month
    try:
        y, m = raw.split("-")
        year, month = int(y), int(m)
    except ValueError:
        return None
    if not (2000 <= year <= today.year + 1 and 1 <= month <= 12):
        return None
    return year, month


@router.get("/me/account")
def account(
    request: Request,
    session: SessionDep,
    citizen: RealNameDep,
    month: Annotated[str | None, Query(max_length=7)] = None,
) -> HTMLResponse:
    assert citizen.person is not None
    today = date.today()
    chosen = _month(month, today)
    error = None
    if chosen is None:
        error = "月份格式应为 YYYY-MM，例如 2025-03"
        chosen = (today.year, today.month)
    year, mon = chosen
    prev = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
    nxt = f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
    return render(
        request,
        "me/account.html",
        {
            "title": "账户余额与明细",
            "info": statements.summary(session, citizen.person, today),
            "rows": statements.transactions_in_month(session, citizen.person, year, mon),
            "month": f"{year}-{mon:02d}",
            "prev": prev,
            "next": nxt if (year, mon) < (today.year, today.month) else None,
            "month_error": error,
        },
        status_code=400 if error else 200,
    )


@router.get("/me/settlements")
def settlement_list(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    assert citizen.person is not None
    return render(
        request,
        "me/settlements.html",
        {"title": "结算记录", "settlements": statements.settlements(session, citizen.person, 100)},
    )


@router.get("/me/settlements/{setl_id}")
def settlement(
    request: Request, setl_id: str, session: SessionDep, citizen: RealNameDep
) -> HTMLResponse:
    assert citizen.person is not None
    view = statements.settlement(session, citizen.person, setl_id[:30])
    if view is None:
        raise PageNotFound
    return render(
        request, "me/settlement.html", {"title": "结算单", "s": view, "person": citizen.person}
    )


@router.get("/me/settlements/{setl_id}/pdf")
def settlement_as_pdf(setl_id: str, session: SessionDep, citizen: RealNameDep) -> Response:
    assert citizen.person is not None
    view = statements.settlement(session, citizen.person, setl_id[:30])
    if view is None:
        raise PageNotFound
    return Response(
        settlement_pdf(view, citizen.person.name, citizen.masked_certno or ""),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="jiesuandan-{view.setl_id}.pdf"'},
    )


@router.get("/me/year")
def year_chart(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    assert citizen.person is not None
    ysf = statements.year_so_far(session, citizen.person, date.today())
    chart = {
        "months": [f"{m}月" for m, _, _ in ysf.months],
        "fund": [str(f) for _, f, _ in ysf.months],
        "mine": [str(p) for _, _, p in ysf.months],
    }
    return render(
        request,
        "me/year.html",
        {"title": "本年度累计", "year": ysf, "chart_json": json.dumps(chart, ensure_ascii=False)},
    )
