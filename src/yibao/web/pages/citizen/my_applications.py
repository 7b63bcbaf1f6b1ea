"""我的申请: every application with its status timeline; a returned one is completed and
resubmitted here; uploaded materials are shown only to their owner."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from yibao.persistence.tables import Application
from yibao.services import applications, bank_accounts, institution_search
from yibao.services.errors import NotFound, ServiceError
from yibao.web.api.deps import SessionDep
from yibao.web.pages.citizen.application_pages import local_time, read_uploads
from yibao.web.pages.context import redirect
from yibao.web.pages.deps import FormDep, PageNotFound, RealNameDep, pages_router
from yibao.web.pages.forms import FormErrors
from yibao.web.pages.templating import render

router = pages_router()


def _view(session: SessionDep, app: Application) -> dict[str, object]:
    details = applications.details_of(app)
    return {
        "app": app,
        "details": details,
        "bank_account_masked": bank_accounts.masked_of(details),
        "kind_label": applications.KIND_LABELS[app.kind],
        "events": applications.timeline(session, app),
        "checklist": applications.checklist(app.kind, details),
    }


@router.get("/applications")
def list_page(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    assert citizen.person is not None
    items = [_view(session, a) for a in applications.list_for_person(session, citizen.person)]
    return render(
        request,
        "applications/list.html",
        {
            "title": "我的申请",
            "items": items,
            "labels": applications.STATUS_LABELS,
            "local": local_time,
        },
    )


def _own(session: SessionDep, citizen: RealNameDep, application_id: int) -> Application:
    assert citizen.person is not None
    try:
        return applications.get_for_person(session, citizen.person, application_id)
    except NotFound:
        raise PageNotFound from None


def _detail(
    request: Request,
    session: SessionDep,
    app: Application,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = _view(session, app)
    return render(
        request,
        "applications/detail.html",
        {
            "title": f"{view['kind_label']}申请",
            **view,
            "labels": applications.STATUS_LABELS,
            "files": applications.files_of(session, app),
            "region_name": institution_search.region_name,
            "local": local_time,
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/applications/{application_id}")
def detail_page(
    request: Request, session: SessionDep, citizen: RealNameDep, application_id: int
) -> HTMLResponse:
    return _detail(request, session, _own(session, citizen, application_id))


@router.post("/applications/{application_id}/resubmit")
def resubmit(
    request: Request,
    session: SessionDep,
    citizen: RealNameDep,
    form: FormDep,
    application_id: int,
) -> Response:
    assert citizen.person is not None
    app = _own(session, citizen, application_id)
    errors = FormErrors()
    files = read_uploads(
        form, applications.checklist(app.kind, applications.details_of(app)), errors
    )
    if not errors:
        try:
            applications.resubmit(session, citizen.person, app.id, None, files)
        except ServiceError as exc:
            errors.add_service_error(exc)
    if errors:
        session.rollback()
        return _detail(request, session, _own(session, citizen, application_id), errors, 400)
    session.commit()
    return redirect(request, f"/applications/{app.id}", "已重新提交")


@router.get("/applications/{application_id}/files/{file_id}")
def material(
    session: SessionDep, citizen: RealNameDep, application_id: int, file_id: int
) -> Response:
    assert citizen.person is not None
    try:
        file = applications.file_for_person(session, citizen.person, file_id)
    except NotFound:
        raise PageNotFound from None
    if file.application_id != application_id:
        raise PageNotFound
    return Response(
        file.data,
        media_type=file.content_type,
        headers={
            "Content-Disposition": "attachment",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
