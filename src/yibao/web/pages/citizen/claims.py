"""手工报销, step by step: (1) the visit, the invoice and the fee items; (2) the estimate from
the person's own year so far, the claim type's material checklist and the uploads; then
submit. Step 1 is checked (deadline included) before step 2 is shown; nothing is stored
until the final submit, and then everything or nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from yibao.services import application_effects, application_forms, materials
from yibao.services.errors import ServiceError
from yibao.web.api.deps import SessionDep
from yibao.web.pages.citizen.application_pages import file_application, read_uploads
from yibao.web.pages.deps import Citizen, FormDep, RealNameDep, pages_router
from yibao.web.pages.forms import FormErrors, text
from yibao.web.pages.templating import render

router = pages_router()

ITEM_ROWS = 6
FIELDS = (
    "claim_case",
    "claim_type",
    "institution_name",
    "hospital_level",
    "visit_date",
    "invoice_no",
    "bank_account",
)


def _values(form: FormData | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if form is None:
        return values
    for name in FIELDS:
        values[name] = text(form, name, 100)
    for i in range(ITEM_ROWS):
        for part in ("name", "list_type", "amount"):
            values[f"item{i}_{part}"] = text(form, f"item{i}_{part}", 100)
    return values


def _data(values: dict[str, Any]) -> dict[str, Any]:
    items = [
        {
            "name": values[f"item{i}_name"],
            "list_type": values[f"item{i}_list_type"],
            "amount": values[f"item{i}_amount"],
        }
        for i in range(ITEM_ROWS)
        if values[f"item{i}_name"] or values[f"item{i}_amount"]
    ]
    return {**{k: values[k] for k in FIELDS}, "items": items}


def _item_field(field: str | None) -> str | None:
    """``items[2].amount`` → ``item2_amount`` (the form's name for it)."""
    if field and field.startswith("items[") and "]." in field:
        index, _, part = field[6:].partition("].")
        return f"item{index}_{part}"
    if field and field.startswith("items["):
        return f"item{field[6:].rstrip(']')}_name"
    return field


def _page(
    request: Request,
    step: int,
    values: dict[str, Any],
    errors: FormErrors | None = None,
    **extra: Any,
) -> HTMLResponse:
    return render(
        request,
        "applications/claim.html",
        {
            "title": "手工报销",
            "step": step,
            "values": values,
            "errors": errors or {},
            "rows": range(ITEM_ROWS),
            "cases": application_forms.CLAIM_CASES,
            "types": materials.CLAIM_TYPES,
            "list_types": application_forms.LIST_TYPES,
            "checklists": materials.CLAIM_MATERIALS,
            "today": date.today().isoformat(),
            **extra,
        },
        status_code=400 if errors else 200,
    )


def _needs_face(citizen: Citizen) -> bool:
    return citizen.user.face_verified_at is None


@router.get("/claims")
def claim_page(request: Request, citizen: RealNameDep) -> HTMLResponse:
    if _needs_face(citizen):
        return render(request, "applications/face_first.html", {"title": "手工报销"})
    return _page(request, 1, {})


def _checked(
    session: SessionDep, citizen: Citizen, values: dict[str, Any], errors: FormErrors
) -> dict[str, Any] | None:
    assert citizen.person is not None
    try:
        details = application_forms.claim(citizen.person, _data(values), date.today())
    except ServiceError as exc:
        errors.add(_item_field(exc.field) or "_form", exc.message)
        return None
    details["estimate"] = application_effects.estimate_claim(session, citizen.person, details)
    return details


@router.post("/claims/check")
def check(request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep) -> Response:
    """Step 1 → 2: check the visit, the invoice and the items; show the estimate."""
    if _needs_face(citizen):
        return render(request, "applications/face_first.html", {"title": "手工报销"})
    values = _values(form)
    if text(form, "edit"):
        return _page(request, 1, values)
    errors = FormErrors()
    details = _checked(session, citizen, values, errors)
    session.rollback()
    if details is None:
        return _page(request, 1, values, errors)
    return _page(
        request,
        2,
        values,
        details=details,
        checklist=materials.CLAIM_MATERIALS[details["claim_type"]],
    )


@router.post("/claims")
def submit(request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep) -> Response:
    """Step 2 → filed: the uploads with the checked step 1."""
    assert citizen.person is not None
    if _needs_face(citizen):
        return render(request, "applications/face_first.html", {"title": "手工报销"})
    values = _values(form)
    errors = FormErrors()
    details = _checked(session, citizen, values, errors)
    if details is None:
        session.rollback()
        return _page(request, 1, values, errors)
    checklist = materials.CLAIM_MATERIALS[details["claim_type"]]
    files = read_uploads(form, checklist, errors)
    done = file_application(request, session, citizen.person, "claim", _data(values), files, errors)
    if done is not None:
        return done
    if any(not key.startswith("file_") for key in errors):
        return _page(request, 1, values, errors)
    return _page(request, 2, values, errors, details=details, checklist=checklist)
