"""Page dependencies: the signed-in citizen, real-name binding required, CSRF on every form.

- ``CitizenDep``: the signed-in :class:`Citizen`; a visitor is sent to /login (then back).
- ``RealNameDep``: the same, bound to an enrolled person (实名认证); otherwise sent to
  /account/real-name. ``citizen.person`` is then never None.
- ``MaybeCitizenDep``: the citizen or None, for pages open to everyone.
- Routers made by :func:`pages_router` check the CSRF token of every POST/PUT/PATCH/DELETE.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData

from yibao.persistence.tables import CitizenUser, Person
from yibao.services import citizens, persons
from yibao.web.api.deps import SessionDep
from yibao.web.pages.context import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE


class LoginRequired(Exception):
    """The page needs a signed-in citizen (handled: redirect to /login?next=...)."""


class RealNameRequired(Exception):
    """The page needs real-name binding (handled: redirect to /account/real-name)."""


class CsrfFailed(Exception):
    """A form came without the browser's CSRF token (handled: 403 page)."""


class PageNotFound(Exception):
    """Nothing here for this citizen (handled: 404 page). Raise it for another person's ids."""


@dataclass(slots=True)
class Citizen:
    user: CitizenUser
    person: Person | None

    @property
    def masked_phone(self) -> str:
        from yibao.domain.idcard import mask_phone

        return mask_phone(citizens.phone_of(self.user))

    @property
    def masked_certno(self) -> str | None:
        return persons.masked_certno(self.person) if self.person is not None else None

    @property
    def bound(self) -> bool:
        return self.person is not None


def maybe_citizen(request: Request, session: SessionDep) -> Citizen | None:
    cached = getattr(request.state, "citizen", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = citizens.session_user(session, token, datetime.now(UTC))
    if user is None:
        return None
    session.commit()  # keep a pushed-forward expiry
    citizen = Citizen(user, citizens.person_of(session, user))
    request.state.citizen = citizen
    return citizen


MaybeCitizenDep = Annotated[Citizen | None, Depends(maybe_citizen)]


def current_citizen(citizen: MaybeCitizenDep) -> Citizen:
    if citizen is None:
        raise LoginRequired
    return citizen


CitizenDep = Annotated[Citizen, Depends(current_citizen)]


def real_name_citizen(citizen: CitizenDep) -> Citizen:
    if citizen.person is None:
        raise RealNameRequired
    return citizen


RealNameDep = Annotated[Citizen, Depends(real_name_citizen)]


async def posted_form(request: Request) -> FormData:
    """The posted form (read once; FastAPI and Starlette share the parsed copy)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


async def csrf_protect(request: Request) -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, cookie):
        raise CsrfFailed


def pages_router(**kwargs: object) -> APIRouter:
    """An APIRouter for HTML pages: CSRF checked on every unsafe method, out of the API docs."""
    return APIRouter(
        dependencies=[Depends(csrf_protect)],
        include_in_schema=False,
        **kwargs,  # type: ignore[arg-type]
    )
