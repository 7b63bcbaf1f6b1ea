"""Who may open which staff page: sessions, roles, regions and CSRF, as dependencies.

Every ``/staff`` route depends on exactly one :class:`StaffPage` (a page that changes
nothing) or :class:`StaffAction` (a form post that changes something: CSRF checked, and it
must write the audit log). Tests read these from the route table.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from yibao.domain.text import N_, shown_in
from yibao.persistence.db import unit_of_work
from yibao.rules.policy_diff import plain_value
from yibao.services import staff, staff_sessions
from yibao.services.audit import Actor
from yibao.services.staff import ROLE_LABELS
from yibao.web.pages import i18n
from yibao.web.pages.context import lang_of

COOKIE = "yibao_staff"
ALL_ROLES = ("reviewer", "payer", "admin")
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
templates.env.globals["plain"] = plain_value
# English through the citizen pages' catalog (locale/en/LC_MESSAGES/messages.po, `make
# messages`); the language is the one chosen with /lang (a cookie shared with the citizen app).
templates.env.add_extension("jinja2.ext.i18n")
templates.env.install_gettext_callables(  # type: ignore[attr-defined]
    gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
)


def translated(value: object) -> str:
    """``|tr``: words made in Python shown in the page language. A :class:`Text` (a sentence
    with values, from the rules or the services) is translated, then filled; a string is
    translated if the catalog has it (a label marked ``N_``), else shown as it is."""
    if isinstance(value, str):
        return i18n.gettext(value)
    return shown_in(value, i18n.gettext)


templates.env.filters["tr"] = translated
ROLE_NAMES_FOR_CATALOG = (N_("审核员"), N_("支付"), N_("管理员"))


class StaffRedirect(Exception):
    """Send the browser elsewhere (to sign in, or to finish the first-login setup)."""

    def __init__(self, to: str) -> None:
        self.to = to


class StaffForbidden(Exception):
    """Signed in, but the role may not do this."""


class CsrfRejected(Exception):
    """A form post without the session's CSRF token."""


@dataclass(frozen=True, slots=True)
class StaffContext:
    staff_id: int
    username: str
    role: str
    regions: tuple[str, ...]
    csrf: str
    token_hash: str
    stage: str

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.staff_id)

    def sees(self, region: str | None) -> bool:
        return staff.region_visible(self.regions, region)

    @property
    def region_filter(self) -> tuple[str, ...] | None:
        """None for staff of every region, else their region prefixes."""
        return self.regions or None


def now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


def _load(request: Request) -> StaffContext | None:
    token = request.cookies.get(COOKIE)
    with transaction(request) as session:
        found = staff_sessions.current(session, token, now())
        if found is None:
            return None
        row, member = found
        return StaffContext(
            staff_id=member.id,
            username=member.username,
            role=member.role,
            regions=staff.regions_of(session, member),
            csrf=row.csrf_token,
            token_hash=row.token_hash,
            stage=row.stage,
        )


class _Guard:
    changes_state = False

    def __init__(self, *roles: str, setup: bool = False) -> None:
        unknown = set(roles) - set(ALL_ROLES)
        if unknown:
            raise ValueError(f"unknown roles {unknown}")
        self.roles = frozenset(roles or ALL_ROLES)
        self.setup = setup  # a first-login setup page: open to sessions in the setup stage

    def check(self, request: Request) -> StaffContext:
        ctx = _load(request)
        if ctx is None:
            raise StaffRedirect("/staff/login")
        if self.setup:
            return ctx
        if ctx.stage != "full":
            raise StaffRedirect("/staff/setup")
        if ctx.role not in self.roles:
            raise StaffForbidden
        return ctx


class StaffPage(_Guard):
    """A GET page."""

    def __call__(self, request: Request) -> StaffContext:
        return self.check(request)


class StaffAction(_Guard):
    """A form post that changes state: CSRF-checked; must write the audit log."""

    changes_state = True

    def __call__(self, request: Request, csrf_token: Annotated[str, Form()] = "") -> StaffContext:
        ctx = self.check(request)
        if not csrf_token or not secrets.compare_digest(csrf_token, ctx.csrf):
            raise CsrfRejected
        return ctx


def use_page_lang(request: Request) -> str:
    """Translate this request's words into the page language (the /lang cookie) from here
    on: for a route that translates in Python before :func:`render` (or without it, a CSV).
    Called in the route itself: a dependency runs in another thread's context."""
    lang = lang_of(request)
    i18n.set_lang(lang)
    return lang


def render(
    request: Request,
    template: str,
    ctx: StaffContext | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    lang = use_page_lang(request)
    page = {
        "staff": ctx,
        "lang": lang,
        "html_lang": i18n.HTML_LANG[lang],
        "langs": i18n.LANGS,
        "path": request.url.path,
    }
    return templates.TemplateResponse(
        request, template, {**page, **values}, status_code=status_code
    )
