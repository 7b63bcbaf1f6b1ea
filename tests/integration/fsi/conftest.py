"""A live yibao server (uvicorn in a thread) on the test database, and a scripted hospital
client that speaks the national interface to it over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from hospital_client import HOSPITAL, Hospital, World, add_catalog
from sqlalchemy.orm import Session, sessionmaker

from servers import running_server
from yibao.config import Settings
from yibao.services import institutions, ledger, persons
from yibao.web.app import create_app


@pytest.fixture
def server_url(migrated_url: str, secret_key_file: Path) -> Iterator[str]:
    app = create_app(Settings(database_url=migrated_url, secret_key_file=secret_key_file))
    with running_server(app) as url:
        yield url


@pytest.fixture
def world(
    server_url: str, session_factory: sessionmaker[Session], new_certno: Callable[..., str]
) -> World:
    with session_factory() as s, s.begin():
        inst = institutions.create_institution(
            s,
            code=HOSPITAL,
            name="内蒙古医科大学附属医院（测试）",
            type="hospital",
            region="150102",
            level=3,
            designated_begin=date(2020, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
        add_catalog(s)
        certs = {}
        for label, policy, group in (
            ("nmg", "nmg-employee", "in_service"),
            ("national", "national-employee", "in_service"),
        ):
            certs[label] = new_certno(region="150102")
            p = persons.create_person(
                s,
                name=f"测试{label}",
                certno=certs[label],
                policy_id=policy,
                group=group,
                region="150102",
                since=date(2020, 1, 1),
            )
            ledger.credit(s, p, 120000, kind="monthly_credit", reason="期初余额")
    w = World(server_url, key, session_factory)
    w.people = certs
    return w


@pytest.fixture
def hospital(world: World) -> Iterator[Hospital]:
    h = Hospital(world)
    yield h
    h.client.close()
