"""首诊医院选择/变更 (once a medical year, source 001) and 挂失 / 解挂 of the card."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from yibao.services import application_forms, institutions
from yibao.web.api.deps import SessionDep
from yibao.web.pages.citizen.application_pages import file_application
from yibao.web.pages.deps import Citizen, FormDep, RealNameDep, pages_router
from yibao.web.pages.forms import FormErrors, values_of
from yibao.web.pages.templating import render

router = pages_router()


def _first_visit_page(
    request: Request,
    session: SessionDep,
    citizen: Citizen,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    assert citizen.person is not None
    person = citizen.person
    current = (
        institutions.get_by_code(session, person.first_visit_hospital)
        if person.first_visit_hospital
        else None
    )
    return render(
        request,
        "applications/first_visit.html",
        {
            "title": "首诊医院选择/变更",
            "current": current,
            "choices": [
                (i.code, i.name)
                for i in application_forms.hospital_options(session, person, date.today())
            ],
            "values": values or {},
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
    )


@router.get("/first-visit")
def first_visit_page(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    return _first_visit_page(request, session, citizen)


@router.post("/first-visit")
def change_first_visit(
    request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep
) -> Response:
    assert citizen.person is not None
    errors = FormErrors()
    values = values_of(form, "hospital_code")
    done = file_application(
        request, session, citizen.person, "first_visit_hospital", values, [], errors
    )
    return done or _first_visit_page(request, session, citizen, values, errors)


def _card_page(
    request: Request,
    citizen: Citizen,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    return render(
        request,
        "applications/card_loss.html",
        {"title": "挂失/解挂", "values": values or {}, "errors": errors or {}},
        status_code=400 if errors else 200,
    )


@router.get("/card-loss")
def card_page(request: Request, citizen: RealNameDep) -> HTMLResponse:
    return _card_page(request, citizen)


@router.post("/card-loss")
def report_card(
    request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep
) -> Response:
    assert citizen.person is not None
    errors = FormErrors()
    values = values_of(form, "action", "note")
    done = file_application(request, session, citizen.person, "card_loss", values, [], errors)
    return done or _card_page(request, citizen, values, errors)
