"""手工报销审核 (审核员): the 待审核 queue with filters, the detail (materials, the engine's
settlement with its explanation, the audit flags, the timeline) and the decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.domain.money import from_fen
from yibao.domain.text import N_
from yibao.persistence.tables import ApplicationFile
from yibao.services import (
    applications,
    bank_accounts,
    claim_review,
    materials,
    persons,
    smart_audit,
)
from yibao.services.errors import NotFound, ServiceError
from yibao.services.materials import CLAIM_TYPES
from yibao.web.pages.staff.access import (
    StaffAction,
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
)

router = APIRouter()
ReviewerPage = Annotated[StaffContext, Depends(StaffPage("reviewer"))]
ReviewerAction = Annotated[StaffContext, Depends(StaffAction("reviewer"))]


def _int(raw: str, field: str, errors: dict[str, str]) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        errors[field] = N_("应为不小于 0 的整数")
        return None
    return int(raw)


@router.get("/claims", response_class=HTMLResponse)
def claim_queue(
    request: Request,
    ctx: ReviewerPage,
    claim_type: str = "",
    region: str = "",
    min_age: str = "",
    min_amount: str = "",
    flagged: str = "",
) -> Response:
    errors: dict[str, str] = {}
    if claim_type and claim_type not in CLAIM_TYPES:
        errors["claim_type"] = N_("请选择报销类别")
    if region and not (region.isdigit() and len(region) <= 6):
        errors["region"] = N_("地区代码应为 2–6 位数字")
    age = _int(min_age, "min_age", errors)
    amount = _int(min_amount, "min_amount", errors)
    f = claim_review.QueueFilter(
        claim_type=claim_type if "claim_type" not in errors else "",
        region=region if "region" not in errors else "",
        min_age_days=age,
        min_amount_fen=None if amount is None else amount * 100,
        flagged_only=flagged == "1",
    )
    with transaction(request) as session:
        rows = [] if errors else claim_review.queue(session, ctx.regions, f, now())
        shown = [(a, p.name, p.region, d, age) for a, p, d, age in rows]
    return render(
        request,
        "claims.html",
        ctx,
        400 if errors else 200,
        rows=shown,
        errors=errors,
        values={
            "claim_type": claim_type,
            "region": region,
            "min_age": min_age,
            "min_amount": min_amount,
        },
        claim_types=CLAIM_TYPES,
        status_labels=applications.STATUS_LABELS,
    )


def _detail(
    request: Request, ctx: StaffContext, application_id: int, status: int = 200, **extra: object
) -> Response:
    with transaction(request) as session:
        try:
            app, person = claim_review.load(session, application_id, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这件手工报销申请。"))
        details = claim_review.details_of(app)
        result = None
        if app.status in claim_review.REVIEWABLE:
            result = claim_review.engine_result(session, person, app)
        files = applications.files_of(session, app)
        details["audit_flags"] = smart_audit.flags_for(session, app, person)
        timeline = applications.timeline(session, app)
        reviews = claim_review.reviews_of(session, app)
        masked = persons.masked_certno(person)
    return render(
        request,
        "claim_detail.html",
        ctx,
        status,
        app=app,
        person_name=person.name,
        person_region=person.region,
        certno=masked,
        bank_account=bank_accounts.masked_of(details),
        details=details,
        result=result,
        files=files,
        timeline=timeline,
        reviews=reviews,
        templates=claim_review.RETURN_TEMPLATES,
        material_labels=materials.LABELS,
        claim_types=CLAIM_TYPES,
        status_labels=applications.STATUS_LABELS,
        yuan=lambda fen: f"{from_fen(fen):,}",
        errors=extra.pop("errors", {}),
        **extra,
    )


DONE = {
    "first": N_("初审通过，等待另一位审核员复核"),
    "approved": N_("已通过，已生成结算，等待支付"),
    "returned": N_("已退回补充材料"),
    "rejected": N_("已决定未通过"),
}


@router.get("/claims/{application_id}", response_class=HTMLResponse)
def claim_detail(
    request: Request, ctx: ReviewerPage, application_id: int, done: str = ""
) -> Response:
    return _detail(request, ctx, application_id, notice=DONE.get(done, ""))


@router.get("/claims/{application_id}/files/{file_id}")
def claim_file(request: Request, ctx: ReviewerPage, application_id: int, file_id: int) -> Response:
    with transaction(request) as session:
        try:
            app, _ = claim_review.load(session, application_id, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这个文件。"))
        f = session.get(ApplicationFile, file_id)
        if f is None or f.application_id != app.id:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这个文件。"))
        data, content_type = f.data, f.content_type
    return Response(
        data,
        media_type=content_type,
        headers={"X-Content-Type-Options": "nosniff", "Content-Disposition": "inline"},
    )


@router.post("/claims/{application_id}/decide")
def claim_decide(
    request: Request,
    ctx: ReviewerAction,
    application_id: int,
    decision: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    template: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    reviewer = claim_review.Reviewer(ctx.actor, ctx.regions)
    threshold = request.app.state.settings.claim_second_review_fen
    values = {"amount": amount[:20], "reason": reason[:500], "note": note[:300]}
    try:
        with transaction(request) as session:
            at = now()
            if decision == "approve":
                outcome = claim_review.approve(
                    session, application_id, reviewer, amount=amount[:20], reason=reason[:600],
                    second_review_fen=threshold, now=at,
                )  # fmt: skip
                notice = outcome
            elif decision == "return":
                claim_review.return_claim(
                    session, application_id, reviewer, template=template, note=note[:400], now=at
                )
                notice = "returned"
            elif decision == "reject":
                claim_review.reject(session, application_id, reviewer, reason=reason[:600], now=at)
                notice = "rejected"
            else:
                return _detail(
                    request,
                    ctx,
                    application_id,
                    400,
                    errors={"decision": N_("请选择审核决定")},
                    values=values,
                )
    except NotFound:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这件手工报销申请。"))
    except ServiceError as exc:
        return _detail(
            request,
            ctx,
            application_id,
            400,
            errors={exc.field or "decision": exc.message},
            values=values,
        )
    return RedirectResponse(f"/staff/claims/{application_id}?done={notice}", 303)


@router.get("/settlement-audit", response_class=HTMLResponse)
def settlement_audit(request: Request, ctx: ReviewerPage) -> Response:
    """智能审核 of direct settlements: the latest ones that raise a flag."""
    with transaction(request) as session:
        rows = smart_audit.recent_settlement_flags(session, ctx.regions)
    return render(request, "settlement_audit.html", ctx, rows=rows)
