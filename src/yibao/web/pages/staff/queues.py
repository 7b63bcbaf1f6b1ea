"""其他审核队列 (审核员): filings, chronic-disease certification, first-visit hospital
changes, lost cards, and identity photos sent to manual review."""

from __future__ import annotations

import mimetypes
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yibao.domain.text import N_, Text
from yibao.services import applications, persons, review_queues, uploads
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
ReviewerPage = Annotated[StaffContext, Depends(StaffPage("reviewer"))]
ReviewerAction = Annotated[StaffContext, Depends(StaffAction("reviewer"))]


def _queue(
    request: Request, ctx: StaffContext, kind: str, status: int = 200, error: str | Text = ""
) -> Response:
    with transaction(request) as session:
        try:
            rows = review_queues.pending(session, kind, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这个审核队列。"))
        shown = [(a, p.name, persons.masked_certno(p), p.region, d) for a, p, d in rows]
    return render(
        request, "queue.html", ctx, status, kind=kind, title=review_queues.KINDS[kind],
        rows=shown, kinds=review_queues.KINDS, error=error,
        status_labels=applications.STATUS_LABELS,
    )  # fmt: skip


@router.get("/queues/{kind}", response_class=HTMLResponse)
def queue(request: Request, ctx: ReviewerPage, kind: str) -> Response:
    return _queue(request, ctx, kind)


@router.post("/queues/{kind}/{application_id}/decide")
def queue_decide(
    request: Request,
    ctx: ReviewerAction,
    kind: str,
    application_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    if decision not in ("approve", "reject"):
        return _queue(request, ctx, kind, 400, N_("请选择通过或未通过"))
    try:
        with transaction(request) as session:
            review_queues.decide(
                session, kind, application_id, decision == "approve", reason[:600], ctx.actor,
                ctx.regions, now(),
            )  # fmt: skip
    except NotFound:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这件申请。"))
    except ServiceError as exc:
        return _queue(
            request,
            ctx,
            kind,
            400,
            Text(N_("申请 {number}：{message}"), number=application_id, message=Text(exc.message)),
        )
    return RedirectResponse(f"/staff/queues/{kind}", 303)


def _identity(
    request: Request, ctx: StaffContext, status: int = 200, error: str | Text = ""
) -> Response:
    with transaction(request) as session:
        rows = [
            (c, p.name if p else N_("（未实名）"), persons.masked_certno(p) if p else "")
            for c, _u, p in review_queues.identity_pending(session, ctx.regions)
        ]
    return render(
        request,
        "identity_queue.html",
        ctx,
        status,
        rows=rows,
        error=error,
        kinds=review_queues.KINDS,
    )


@router.get("/identity", response_class=HTMLResponse)
def identity_queue(request: Request, ctx: ReviewerPage) -> Response:
    return _identity(request, ctx)


@router.get("/identity/{check_id}/{which}")
def identity_photo(request: Request, ctx: ReviewerPage, check_id: int, which: str) -> Response:
    if which not in ("id_photo", "selfie"):
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这张照片。"))
    with transaction(request) as session:
        try:
            check, _, _ = review_queues.identity_check(session, check_id, ctx.regions)
        except NotFound:
            return render(request, "forbidden.html", ctx, 404, message=N_("没有这张照片。"))
        name = getattr(check, which)
    folder = request.app.state.settings.var_dir / "uploads" / "identity"
    path = uploads.stored_path(folder, name)
    if path is None:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这张照片。"))
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(
        path.read_bytes(), media_type=media, headers={"X-Content-Type-Options": "nosniff"}
    )


@router.post("/identity/{check_id}/decide")
def identity_decide(
    request: Request,
    ctx: ReviewerAction,
    check_id: int,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    if decision not in ("approve", "reject"):
        return _identity(request, ctx, 400, N_("请选择通过或未通过"))
    try:
        with transaction(request) as session:
            review_queues.decide_identity(
                session,
                check_id,
                decision == "approve",
                reason[:300],
                ctx.actor,
                ctx.regions,
                now(),
            )
    except NotFound:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这条认证记录。"))
    except ServiceError as exc:
        return _identity(
            request,
            ctx,
            400,
            Text(N_("认证记录 {number}：{message}"), number=check_id, message=Text(exc.message)),
        )
    return RedirectResponse("/staff/identity", 303)
