"""撤销报销 (支付 or 管理员): approved and paid claims, and the reversal of one with a reason.
The settlement is reversed through the services layer; when the claim was already paid the
page shows the amount owed back (应追回). Bank accounts stay masked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.domain.text import N_
from yibao.services import applications, bank_accounts, claim_reversal, persons
from yibao.services.claim_review import details_of
from yibao.services.errors import InvalidInput, NotFound, ServiceError
from yibao.web.pages.staff.access import (
    StaffAction,
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
)

router = APIRouter()
ReversalPage = Annotated[StaffContext, Depends(StaffPage("payer", "admin"))]
ReversalAction = Annotated[StaffContext, Depends(StaffAction("payer", "admin"))]


@router.get("/reversals", response_class=HTMLResponse)
def reversal_list(request: Request, ctx: ReversalPage) -> Response:
    with transaction(request) as session:
        rows = [
            (a.id, p.name, applications.STATUS_LABELS[a.status], details_of(a))
            for a, p in claim_reversal.reversible(session, ctx.regions)
        ]
    return render(request, "reversals.html", ctx, rows=rows)


def _detail(
    request: Request, ctx: StaffContext, application_id: int, status: int = 200, **extra: object
) -> Response:
    with transaction(request) as session:
        try:
            app, person = claim_reversal.load(session, application_id, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这件手工报销申请。"))
        details = details_of(app)
        view = {
            "app": app,
            "status_label": applications.STATUS_LABELS[app.status],
            "person_name": person.name,
            "certno": persons.masked_certno(person),
            "bank_account": bank_accounts.masked_of(details),
            "details": details,
            "reversible": app.status in claim_reversal.REVERSIBLE,
        }
    return render(request, "reversal.html", ctx, status, **view, **extra)


@router.get("/reversals/{application_id}", response_class=HTMLResponse)
def reversal_page(request: Request, ctx: ReversalPage, application_id: int) -> Response:
    return _detail(request, ctx, application_id)


@router.post("/reversals/{application_id}")
def reverse(
    request: Request,
    ctx: ReversalAction,
    application_id: int,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        with transaction(request) as session:
            claim_reversal.reverse_claim(
                session, application_id, ctx.actor, ctx.regions, reason=reason[:600], now=now()
            )
    except NotFound as exc:
        if exc.field == "id":
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这件手工报销申请。"))
        return _detail(request, ctx, application_id, 409, errors={"reason": exc.message})
    except ServiceError as exc:
        code = 400 if isinstance(exc, InvalidInput) else 409
        return _detail(
            request,
            ctx,
            application_id,
            code,
            errors={"reason": exc.message},
            values={"reason": reason[:500]},
        )
    return RedirectResponse(f"/staff/reversals/{application_id}", 303)
