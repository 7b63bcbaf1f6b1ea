"""Page fixtures: the app on a migrated database, a browser-like client that carries the
CSRF token, and citizens at each stage (registered, real-name bound).

``page_client.post_form(url, data)`` adds the CSRF field; ``signed_in(phone, password)``
registers and signs in; ``bound_citizen`` is signed in and bound to an enrolled person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import Settings
from yibao.persistence.tables import Person
from yibao.services import persons
from yibao.services.sms import MemorySender
from yibao.web.app import create_app
from yibao.web.pages.context import CSRF_COOKIE, CSRF_FIELD

PASSWORD = "Yibao-demo-2025"


class PageClient(TestClient):
    def csrf(self) -> str:
        token = self.cookies.get(CSRF_COOKIE)
        if not token:
            self.get("/login")
            token = self.cookies.get(CSRF_COOKIE)
        assert token
        return str(token)

    def post_form(
        self, url: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        body = dict(data or {})
        body.setdefault(CSRF_FIELD, self.csrf())
        kwargs.setdefault("follow_redirects", False)
        return self.post(url, data=body, **kwargs)


@pytest.fixture
def page_app(
    migrated_url: str, secret_key_file: Path, session_factory: sessionmaker[Session]
) -> FastAPI:
    app = create_app(Settings(database_url=migrated_url, secret_key_file=secret_key_file))
    app.state.sms_sender = MemorySender()
    return app


@pytest.fixture
def page_client(page_app: FastAPI) -> Iterator[PageClient]:
    with PageClient(page_app) as client:
        yield client


@pytest.fixture
def new_client(page_app: FastAPI) -> Iterator[Any]:
    """``new_client()``: another independent browser on the same app."""
    made: list[PageClient] = []

    def make() -> PageClient:
        client = PageClient(page_app)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


@dataclass
class Enrolled:
    person_id: int
    name: str
    certno: str
    phone: str
    region: str


_phones = iter(range(10_000_000, 99_999_999))


def new_phone() -> str:
    return f"139{next(_phones):08d}"


@pytest.fixture
def enrol(session_factory: sessionmaker[Session], new_certno: Any) -> Any:
    """``enrol(**overrides)``: an enrolled person (nmg-employee, in service) with a phone."""

    def make(**overrides: Any) -> Enrolled:
        number = new_certno(region=overrides.pop("certno_region", "150102"))
        phone = overrides.pop("phone", new_phone())
        fields: dict[str, Any] = {
            "name": "王小明",
            "certno": number,
            "policy_id": "nmg-employee",
            "group": "in_service",
            "region": "150100",
            "since": date(2024, 1, 1),
            "phone": phone,
        }
        fields.update(overrides)
        with session_factory() as session:
            person: Person = persons.create_person(session, **fields)
            session.commit()
            return Enrolled(person.id, person.name, number, phone, person.region)

    return make


def register(client: PageClient, phone: str, password: str = PASSWORD) -> httpx.Response:
    response = client.post_form(
        "/register", {"phone": phone, "password": password, "confirm": password}
    )
    assert response.status_code == 303, response.text
    return response


def bind(client: PageClient, who: Enrolled) -> None:
    response = client.post_form("/account/real-name", {"name": who.name, "certno": who.certno})
    assert response.status_code == 303, response.text


@pytest.fixture
def bound_citizen(page_client: PageClient, enrol: Any) -> Enrolled:
    """``page_client`` registered with a fresh phone, signed in and bound to a new person."""
    who: Enrolled = enrol()
    register(page_client, who.phone)
    bind(page_client, who)
    return who
