"""人员管理 (管理员): list staff, add one (the one-time password shown once), reset, stop.

A region-limited admin manages only staff limited to regions inside their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yibao.domain.text import N_, Joined, Text
from yibao.persistence.tables import StaffMember
from yibao.services import staff
from yibao.services.errors import ServiceError
from yibao.web.pages.staff.access import (
    StaffAction,
    StaffContext,
    StaffForbidden,
    StaffPage,
    now,
    render,
    transaction,
)

router = APIRouter()
AdminPage = Annotated[StaffContext, Depends(StaffPage("admin"))]
AdminAction = Annotated[StaffContext, Depends(StaffAction("admin"))]


def _manages(ctx: StaffContext, regions: tuple[str, ...]) -> bool:
    if not ctx.regions:
        return True
    return bool(regions) and all(ctx.sees(r) for r in regions)


def _page(
    request: Request,
    ctx: StaffContext,
    status: int = 200,
    *,
    errors: Mapping[str, str | Text] | None = None,
    form: dict[str, str] | None = None,
    notice: str | Text = "",
    initial: str = "",
) -> Response:
    with transaction(request) as session:
        rows = []
        for m in staff.list_staff(session):
            regions = staff.regions_of(session, m)
            if _manages(ctx, regions):
                rows.append((m, regions))
    return render(
        request,
        "members.html",
        ctx,
        status,
        rows=rows,
        errors=errors or {},
        form=form or {},
        notice=notice,
        initial=initial,
        needs_setup=staff.needs_setup,
    )


@router.get("/members", response_class=HTMLResponse)
def members(request: Request, ctx: AdminPage) -> Response:
    return _page(request, ctx)


@router.post("/members")
def add_member(
    request: Request,
    ctx: AdminAction,
    username: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    regions: Annotated[str, Form()] = "",
) -> Response:
    form = {"username": username, "role": role, "regions": regions}
    wanted = tuple(r.strip() for r in regions.replace("，", ",").split(",") if r.strip())
    if not _manages(ctx, wanted):
        errors: dict[str, str | Text] = {
            "regions": Text(
                N_("只能新增限定在您的地区（{regions}）内的人员"),
                regions=Joined(N_("、"), ctx.regions),
            )
        }
        return _page(request, ctx, 400, errors=errors, form=form)
    try:
        with transaction(request) as session:
            new = staff.add_staff(session, username[:40], role, wanted, actor=ctx.actor)
    except ServiceError as exc:
        field = "regions" if exc.field == "region" else exc.field or "username"
        return _page(request, ctx, 400, errors={field: exc.message}, form=form)
    return _page(
        request,
        ctx,
        notice=Text(
            N_("已新增 {username}。一次性初始密码只显示这一次，请当面交给本人。"),
            username=new.member.username,
        ),
        initial=new.initial_password,
    )


def _member(session: Session, ctx: StaffContext, staff_id: int) -> StaffMember:
    member = session.get(StaffMember, staff_id)
    if member is None or not _manages(ctx, staff.regions_of(session, member)):
        raise StaffForbidden
    return member


@router.post("/members/{staff_id}/reset")
def reset_member(request: Request, ctx: AdminAction, staff_id: int) -> Response:
    with transaction(request) as session:
        member = _member(session, ctx, staff_id)
        initial = staff.reset(session, member, ctx.actor, now())
        name = member.username
    return _page(
        request,
        ctx,
        notice=Text(
            N_("已重置 {username} 的密码与动态口令。一次性初始密码只显示这一次。"), username=name
        ),
        initial=initial,
    )


@router.post("/members/{staff_id}/active")
def set_member_active(
    request: Request, ctx: AdminAction, staff_id: int, active: Annotated[str, Form()] = ""
) -> Response:
    if active not in ("0", "1"):
        return _page(request, ctx, 400, errors={"active": N_("请选择启用或停用")})
    if staff_id == ctx.staff_id:
        return _page(request, ctx, 400, errors={"active": N_("不能停用自己的账户")})
    with transaction(request) as session:
        member = _member(session, ctx, staff_id)
        staff.set_active(session, member, active == "1", ctx.actor, now())
    return RedirectResponse("/staff/members", 303)
