"""Shared steps of the application pages: reading uploaded materials through the
upload-validation service, and filing an application with its errors put beside the fields."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yibao.persistence.tables import Person
from yibao.services import applications, clock, materials, uploads
from yibao.services.applications import Upload
from yibao.services.errors import ServiceError
from yibao.web.pages.context import redirect
from yibao.web.pages.forms import FormErrors, upload


def local_time(moment: datetime | None) -> str:
    """A stored UTC time as people read it (Beijing time)."""
    return moment.astimezone(clock.zone()).strftime("%Y-%m-%d %H:%M") if moment else ""


def read_uploads(
    form: FormData, checklist: tuple[materials.Material, ...], errors: FormErrors
) -> list[Upload]:
    """The files posted for the checklist's materials (``file_<key>``), checked and re-encoded."""
    found = []
    for material in materials.uploads(checklist):
        name = f"file_{material.key}"
        posted = upload(form, name)
        if posted is None:
            continue
        data = posted.file.read(uploads.MAX_BYTES + 1)
        try:
            clean = uploads.check_upload(posted.filename or "", data, field=name)
        except ServiceError as exc:
            errors.add_service_error(exc)
            continue
        found.append(Upload(material.key, clean.original_name, clean.media_type, clean.data))
    return found


def file_application(
    request: Request,
    session: Session,
    person: Person,
    kind: str,
    data: Mapping[str, Any],
    files: list[Upload],
    errors: FormErrors,
) -> Response | None:
    """Submit and redirect to the application, or put the error beside its field (None)."""
    if errors:
        session.rollback()
        return None
    try:
        app = applications.submit(session, person, kind, data, files)
    except ServiceError as exc:
        session.rollback()
        errors.add_service_error(exc)
        return None
    session.commit()
    return redirect(request, f"/applications/{app.id}", "申请已提交")


def all_uploads(
    kind_checklists: Mapping[str, tuple[materials.Material, ...]],
) -> tuple[materials.Material, ...]:
    """Every uploadable material of several checklists, once each, in order."""
    seen: dict[str, materials.Material] = {}
    for checklist in kind_checklists.values():
        for m in materials.uploads(checklist):
            seen.setdefault(m.key, m)
    return tuple(seen.values())
