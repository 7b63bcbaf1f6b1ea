"""支付 (支付 role): approved claims waiting, build a 支付批次, download the bank file, and
record that the bank paid (→ 已支付). Bank accounts are masked on screen."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.domain.money import from_fen
from yibao.domain.text import N_
from yibao.services import bank_accounts, payments
from yibao.services.claim_review import details_of
from yibao.services.errors import NotFound, ServiceError
from yibao.web.pages.staff.access import (
    StaffAction,
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
)

router = APIRouter()
PayerPage = Annotated[StaffContext, Depends(StaffPage("payer"))]
PayerAction = Annotated[StaffContext, Depends(StaffAction("payer"))]


def _yuan(fen: int) -> str:
    return f"{from_fen(fen):,}"


def _list(request: Request, ctx: StaffContext, status: int = 200, error: str = "") -> Response:
    with transaction(request) as session:
        waiting = [
            (a.id, p.name, bank_accounts.masked_of(details_of(a)), fen)
            for a, p, fen in payments.eligible(session, ctx.regions)
        ]
        batches = payments.batches(session, ctx.regions)
    return render(
        request, "payments.html", ctx, status, waiting=waiting, batches=batches, yuan=_yuan,
        error=error,
    )  # fmt: skip


@router.get("/payments", response_class=HTMLResponse)
def payment_list(request: Request, ctx: PayerPage) -> Response:
    return _list(request, ctx)


@router.post("/payments/batches")
def build_batch(request: Request, ctx: PayerAction) -> Response:
    try:
        with transaction(request) as session:
            batch = payments.build_batch(session, ctx.actor, ctx.regions, now())
            batch_id = batch.id
    except ServiceError as exc:
        return _list(request, ctx, 400 if exc.field == "batch" else 409, exc.message)
    return RedirectResponse(f"/staff/payments/batches/{batch_id}", 303)


@router.get("/payments/batches/{batch_id}", response_class=HTMLResponse)
def batch_detail(request: Request, ctx: PayerPage, batch_id: int) -> Response:
    with transaction(request) as session:
        try:
            batch = payments.get(session, batch_id, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这个支付批次。"))
        rows = [
            (
                a.id,
                p.name,
                bank_accounts.masked_of(details_of(a)),
                i.amount_fen,
                a.status,
            )
            for i, a, p in payments.items(session, batch)
        ]
    return render(request, "payment_batch.html", ctx, batch=batch, rows=rows, yuan=_yuan)


@router.get("/payments/batches/{batch_id}/bank-file.csv")
def batch_file(request: Request, ctx: PayerPage, batch_id: int) -> Response:
    with transaction(request) as session:
        try:
            batch = payments.get(session, batch_id, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这个支付批次。"))
        text = payments.bank_file(session, batch)
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="payment-batch-{batch_id}.csv"'},
    )


@router.post("/payments/batches/{batch_id}/paid")
def batch_paid(request: Request, ctx: PayerAction, batch_id: int) -> Response:
    try:
        with transaction(request) as session:
            batch = payments.get(session, batch_id, ctx.regions)
            payments.mark_paid(session, batch, ctx.actor, now())
    except NotFound:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这个支付批次。"))
    except ServiceError as exc:
        return _list(request, ctx, 400, exc.message)
    return RedirectResponse(f"/staff/payments/batches/{batch_id}", 303)
