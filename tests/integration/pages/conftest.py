"""Page fixtures: the app on a migrated database (SMS codes kept in memory), browser-like
clients, and citizens at each stage. Helpers: ``page_helpers`` (``post_form`` adds the
CSRF field; ``register``; ``bind``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from page_helpers import Enrolled, PageClient, bind, new_phone, register
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import Settings
from yibao.persistence.tables import Person
from yibao.services import persons
from yibao.services.sms import MemorySender
from yibao.web.app import create_app


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


@pytest.fixture
def bound_citizen(page_client: PageClient, enrol: Any) -> Enrolled:
    """``page_client`` registered with a fresh phone, signed in and bound to a new person."""
    who: Enrolled = enrol()
    register(page_client, who.phone)
    bind(page_client, who)
    return who
