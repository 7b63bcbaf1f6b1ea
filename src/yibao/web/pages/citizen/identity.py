"""人脸认证 (upload an ID-card photo and a selfie) and 认证记录 (every attempt and its result)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import UploadFile

from yibao.services import identity, uploads
from yibao.services.errors import InvalidInput
from yibao.web.api.deps import SessionDep
from yibao.web.pages.context import redirect
from yibao.web.pages.deps import FormDep, RealNameDep, pages_router
from yibao.web.pages.forms import FormErrors
from yibao.web.pages.templating import render

router = pages_router()
RESULT = {"passed": "认证成功", "failed": "认证失败", "manual_review": "人工审核中"}


def _read(upload: UploadFile) -> bytes:
    return upload.file.read(uploads.MAX_BYTES + 1)


def _page(
    request: Request,
    session: SessionDep,
    citizen: RealNameDep,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    context = {
        "title": "人脸认证",
        "pending": identity.pending_review(session, citizen.user),
        "failures": identity.automatic_failures(session, citizen.user),
        "max_failures": identity.MAX_AUTOMATIC_FAILURES,
        "results": RESULT,
        **extra,
    }
    return render(request, "account/face.html", context, status_code=status_code)


@router.get("/account/face")
def face_page(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    return _page(request, session, citizen)


@router.post("/account/face")
def face_submit(
    request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep
) -> Response:
    errors = FormErrors()
    cleaned = {}
    for name, label in (("id_photo", "身份证照片"), ("selfie", "本人照片")):
        upload = form.get(name)
        if not isinstance(upload, UploadFile) or not upload.filename:
            errors.add(name, f"请上传{label}")
            continue
        try:
            cleaned[name] = uploads.check_upload(upload.filename, _read(upload), field=name)
        except InvalidInput as exc:
            errors.add_service_error(exc)
    if citizen.user.face_verified_at is not None:
        errors.add("_form", "您已通过人脸认证")
    elif identity.pending_review(session, citizen.user) is not None:
        errors.add("_form", "您的认证正在人工审核中，请耐心等待")
    if errors:
        return _page(request, session, citizen, errors=errors, status_code=400)
    check = identity.submit(
        session,
        citizen.user,
        cleaned["id_photo"],
        cleaned["selfie"],
        getattr(request.app.state, "identity_verifier", identity.QualityVerifier()),
        request.app.state.settings.var_dir / "uploads" / "identity",
        datetime.now(UTC),
    )
    session.commit()
    kind = {"passed": "ok", "failed": "error", "manual_review": "warn"}[check.result]
    return redirect(
        request, "/account/face/records", f"{RESULT[check.result]}：{check.message}", kind
    )


@router.get("/account/face/records")
def records(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    return render(
        request,
        "account/face_records.html",
        {
            "title": "认证记录",
            "records": identity.records(session, citizen.user),
            "results": RESULT,
        },
    )
