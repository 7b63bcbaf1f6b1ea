"""医保政策: versions, the difference between two versions in plain Chinese, upload of a new
version (管理员; validated, kept as a draft) and its publication; which version a settlement
used."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from yibao.domain.text import N_, Text
from yibao.persistence.tables import Person, SettlementRecord
from yibao.rules import default_registry
from yibao.rules.policy_diff import diff
from yibao.services import policy_documents
from yibao.services.applications import local_today
from yibao.services.errors import ServiceError
from yibao.web.pages.staff.access import (
    StaffAction,
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
)

router = APIRouter()
AnyPage = Annotated[StaffContext, Depends(StaffPage())]
AdminAction = Annotated[StaffContext, Depends(StaffAction("admin"))]


def _list(request: Request, ctx: StaffContext, status: int = 200, **extra: object) -> Response:
    registry = default_registry()
    with transaction(request) as session:
        docs = policy_documents.documents(session)
    return render(
        request,
        "policies.html",
        ctx,
        status,
        policies=[registry.policies[i] for i in registry.ids()],
        docs=docs,
        errors=extra.pop("errors", {}),
        **extra,
    )


@router.get("/policies", response_class=HTMLResponse)
def policy_list(request: Request, ctx: AnyPage) -> Response:
    return _list(request, ctx)


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get("/policies/{policy_id}", response_class=HTMLResponse)
def policy_detail(
    request: Request, ctx: AnyPage, policy_id: str, a: str = "", b: str = ""
) -> Response:
    policy = default_registry().get(policy_id)
    if policy is None:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这项医保政策。"))
    dates = [v.version for v in policy.versions]
    errors = {}
    first, second = _date(a), _date(b)
    if (a and first is None) or (b and second is None):
        errors["a"] = N_("日期格式应为 YYYY-MM-DD")
    first = first or (dates[-2] if len(dates) > 1 else dates[0])
    second = second or dates[-1]
    changes = diff(policy, first, second)
    return render(
        request,
        "policy_detail.html",
        ctx,
        400 if errors else 200,
        policy=policy,
        dates=dates,
        a=first,
        b=second,
        changes=changes,
        parameters=policy.parameters_on(second),
        errors=errors,
    )


@router.post("/policies/upload")
def policy_upload(
    request: Request, ctx: AdminAction, file: Annotated[UploadFile | None, File()] = None
) -> Response:
    if file is None or not file.filename:
        return _list(request, ctx, 400, errors={"file": N_("请选择政策 YAML 文件")})
    raw = file.file.read(policy_documents.MAX_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _list(request, ctx, 400, errors={"file": N_("文件应为 UTF-8 编码的 YAML")})
    try:
        with transaction(request) as session:
            up = policy_documents.upload(session, text, ctx.actor, local_today(now()))
            doc_id, effective = up.document.id, up.document.effective
    except ServiceError as exc:
        return _list(request, ctx, 400, errors={"file": exc.message})
    return _list(
        request,
        ctx,
        notice=Text(
            N_("已校验并保存为草稿（编号 {number}，{effective} 起生效）。发布后按生效日期执行。"),
            number=doc_id,
            effective=effective,
        ),
    )


@router.post("/policies/documents/{document_id}/publish")
def policy_publish(request: Request, ctx: AdminAction, document_id: int) -> Response:
    try:
        with transaction(request) as session:
            policy_documents.publish(session, document_id, ctx.actor, now(), local_today(now()))
    except ServiceError as exc:
        return _list(request, ctx, 400, errors={"publish": exc.message})
    with transaction(request) as session:
        policy_documents.refresh(session)
    return RedirectResponse("/staff/policies", 303)


@router.get("/settlements", response_class=HTMLResponse)
def settlement_lookup(request: Request, ctx: AnyPage, setl_id: str = "") -> Response:
    """结算查询: the policy and version a settlement used (region-limited)."""
    found = None
    error = ""
    setl_id = setl_id.strip()[:30]
    if setl_id:
        with transaction(request) as session:
            found = session.scalar(
                select(SettlementRecord).where(SettlementRecord.setl_id == setl_id)
            )
            person = session.get(Person, found.person_id) if found is not None else None
            if person is None or not ctx.sees(person.region):
                found = None
        if found is None:
            error = N_("没有这笔结算，或不在您的地区内")
    return render(
        request,
        "settlement.html",
        ctx,
        404 if error else 200,
        s=found,
        setl_id=setl_id,
        error=error,
    )
