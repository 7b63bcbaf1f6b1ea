"""异地就医备案 and 慢特病认定: a form each, with its material checklist and uploads."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from yibao.rules import default_registry
from yibao.services import application_forms, institution_search, materials
from yibao.web.api.deps import SessionDep
from yibao.web.pages.citizen.application_pages import all_uploads, file_application, read_uploads
from yibao.web.pages.deps import Citizen, FormDep, RealNameDep, pages_router
from yibao.web.pages.forms import FormErrors, values_of
from yibao.web.pages.templating import render

router = pages_router()

FILING_FIELDS = ("filing_type", "destination_region", "institution_code", "begin", "end")
CHRONIC_FIELDS = ("chronic_class", "disease_code", "disease_name")


def _filing_page(
    request: Request,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    today = date.today()
    return render(
        request,
        "applications/filing.html",
        {
            "title": "异地就医备案",
            "types": application_forms.FILING_TYPES,
            "regions": institution_search.region_names(),
            "checklists": materials.FILING_MATERIALS,
            "uploads": all_uploads(materials.FILING_MATERIALS),
            "values": values
            or {"begin": today.isoformat(), "end": (today + timedelta(days=90)).isoformat()},
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
    )


@router.get("/filings")
def filing_page(request: Request, citizen: RealNameDep) -> HTMLResponse:
    return _filing_page(request)


@router.post("/filings")
def file_filing(
    request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep
) -> Response:
    assert citizen.person is not None
    errors = FormErrors()
    values = values_of(form, *FILING_FIELDS)
    checklist = materials.FILING_MATERIALS.get(values["filing_type"], ())
    files = read_uploads(form, checklist, errors)
    done = file_application(
        request, session, citizen.person, "cross_region_filing", values, files, errors
    )
    return done or _filing_page(request, values, errors)


def _classes(citizen: Citizen) -> dict[str, str]:
    assert citizen.person is not None
    policy = default_registry().get(citizen.person.policy_id)
    version = policy.version_on(date.today()) if policy else None
    if version is None:
        return {}
    if version.chronic_classes:
        return {k: b.label for k, b in version.chronic_classes.items()}
    return {"default": "门诊慢特病"} if "chronic_outpatient" in version.benefits else {}


def _diseases(citizen: Citizen) -> dict[str, str]:
    assert citizen.person is not None
    policy = default_registry().get(citizen.person.policy_id)
    version = policy.version_on(date.today()) if policy else None
    found: dict[str, str] = {}
    for benefit in version.chronic_classes.values() if version else ():
        found.update(benefit.diseases or {})
    return found


def _chronic_page(
    request: Request,
    citizen: Citizen,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    return render(
        request,
        "applications/chronic.html",
        {
            "title": "慢特病认定",
            "classes": _classes(citizen),
            "diseases": _diseases(citizen),
            "checklist": materials.CHRONIC_MATERIALS,
            "values": values or {},
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
    )


@router.get("/chronic")
def chronic_page(request: Request, citizen: RealNameDep) -> HTMLResponse:
    return _chronic_page(request, citizen)


@router.post("/chronic")
def file_chronic(
    request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep
) -> Response:
    assert citizen.person is not None
    errors = FormErrors()
    values = values_of(form, *CHRONIC_FIELDS)
    files = read_uploads(form, materials.CHRONIC_MATERIALS, errors)
    done = file_application(
        request, session, citizen.person, "chronic_disease", values, files, errors
    )
    return done or _chronic_page(request, citizen, values, errors)
