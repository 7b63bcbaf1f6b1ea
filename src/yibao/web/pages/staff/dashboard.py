"""统计看板: charts (ECharts, served locally) and tables of fund spending, 个人负担 and the
applications backlog, with a CSV export of each table. Region-limited staff see their
regions' persons only."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from yibao.domain.text import N_
from yibao.national.codes import MED_TYPE_NAMES
from yibao.rules import default_registry
from yibao.services import dashboard
from yibao.services.applications import local_today
from yibao.web.pages.i18n import gettext as _
from yibao.web.pages.staff.access import (
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
    use_page_lang,
)

router = APIRouter()
AnyPage = Annotated[StaffContext, Depends(StaffPage())]
LEVEL_NAMES = {"1": N_("一级医院"), "2": N_("二级医院"), "3": N_("三级医院"), "—": N_("未定级")}
KIND_NAMES = {
    "claim": N_("手工报销"),
    "cross_region_filing": N_("异地就医备案"),
    "chronic_disease": N_("慢特病认定"),
    "first_visit_hospital": N_("首诊医院变更"),
    "card_loss": N_("挂失"),
}
STATUS_NAMES = {
    "submitted": N_("已提交"),
    "reviewing": N_("审核中"),
    "returned": N_("退回补充材料"),
}
# the column headings of the sections (their titles without 按), for `make messages`
COLUMN_NAMES_FOR_CATALOG = (N_("月"), N_("医院等级"), N_("医保政策"), N_("医疗类别"))
# the medical types' names (yibao.national.codes.MED_TYPE_NAMES), for `make messages`
MED_TYPE_NAMES_FOR_CATALOG = (
    N_("普通门诊"), N_("急诊"), N_("门诊慢特病"), N_("普通住院"), N_("外伤住院"),
    N_("转外诊治住院"), N_("急诊转住院"), N_("生育门诊"), N_("生育住院"), N_("家庭病床"),
)  # fmt: skip
# the CSV files' column headings (the page's own, translated the same way)
CSV_COLUMNS = (N_("结算笔数"), N_("医疗费总额（元）"), N_("基金支付（元）"), N_("个人负担（元）"))
OOP_CSV_COLUMNS = (N_("个人负担区间"), N_("结算笔数"))


def _policy_name(key: str) -> str:
    policy = default_registry().get(key)
    return policy.label if policy else key


SECTIONS: dict[
    str, tuple[str, Callable[[Session, dashboard.Scope], list[dashboard.Row]], Callable[[str], str]]
] = {
    "month": (N_("按月"), dashboard.by_month, str),
    "level": (N_("按医院等级"), dashboard.by_level, lambda k: LEVEL_NAMES.get(k, k)),
    "policy": (N_("按医保政策"), dashboard.by_policy, _policy_name),
    "med_type": (N_("按医疗类别"), dashboard.by_med_type, lambda k: MED_TYPE_NAMES.get(k, k)),
}


def _scope(request: Request, ctx: StaffContext) -> tuple[dashboard.Scope, dict[str, str]]:
    today = local_today(now())
    errors: dict[str, str] = {}
    values = {"date_from": date(today.year, 1, 1), "date_to": today}
    for name in values:
        raw = request.query_params.get(name, "").strip()
        if raw:
            try:
                values[name] = date.fromisoformat(raw)
            except ValueError:
                errors[name] = N_("日期格式应为 YYYY-MM-DD")
    if not errors and values["date_from"] > values["date_to"]:
        errors["date_to"] = N_("截止日期不能早于起始日期")
    return dashboard.Scope(values["date_from"], values["date_to"], ctx.region_filter), errors


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}" if abs(fen) < 10**15 else str(fen // 100)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, ctx: AnyPage) -> Response:
    use_page_lang(request)
    scope, errors = _scope(request, ctx)
    tables: dict[str, list[tuple[str, dashboard.Row]]] = {}
    oop: list[dashboard.Bucket] = []
    backlog = None
    if not errors:
        with transaction(request) as session:
            for key, (_title, query, name) in SECTIONS.items():
                tables[key] = [(_(name(r.key)), r) for r in query(session, scope)]
            oop = dashboard.out_of_pocket(session, scope)
            backlog = dashboard.backlog(session, scope, now())
    chart = {
        key: {
            "labels": [label for label, _ in rows],
            "fund": [r.fund_fen / 100 for _, r in rows],
            "mine": [r.psn_part_fen / 100 for _, r in rows],
        }
        for key, rows in tables.items()
    }
    chart["oop"] = {"labels": [b.label.render(_) for b in oop], "count": [b.count for b in oop]}
    return render(
        request,
        "dashboard.html",
        ctx,
        400 if errors else 200,
        scope=scope,
        errors=errors,
        sections={k: v[0] for k, v in SECTIONS.items()},
        tables=tables,
        oop=oop,
        backlog=backlog,
        kind_names=KIND_NAMES,
        status_names=STATUS_NAMES,
        yuan=_yuan,
        chart_json=json.dumps(chart, ensure_ascii=False).replace("</", "<\\/"),
        query=request.url.query,
    )


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, ctx: AnyPage, section: str = "month") -> Response:
    use_page_lang(request)
    scope, errors = _scope(request, ctx)
    if errors or section not in (*SECTIONS, "oop"):
        message = next(iter(errors.values()), "section 应为 month、level、policy、med_type 或 oop")
        return Response(message, status_code=400, media_type="text/plain; charset=utf-8")
    buf = io.StringIO()
    writer = csv.writer(buf)
    with transaction(request) as session:
        if section == "oop":
            writer.writerow([_(c) for c in OOP_CSV_COLUMNS])
            for b in dashboard.out_of_pocket(session, scope):
                writer.writerow([b.label.render(_), b.count])
        else:
            title, query, name = SECTIONS[section]
            writer.writerow([_(title), *(_(c) for c in CSV_COLUMNS)])
            for r in query(session, scope):
                writer.writerow(
                    [
                        _(name(r.key)),
                        r.count,
                        _yuan(r.medfee_fen),
                        _yuan(r.fund_fen),
                        _yuan(r.psn_part_fen),
                    ]
                )
    filename = f"dashboard-{section}-{scope.date_from}-{scope.date_to}.csv"
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
