"""Storage fixtures: every test runs on SQLite (a temp file) and on PostgreSQL when
``YIBAO_TEST_DATABASE_URL`` is set (each test in its own schema, so ``pytest -n 2`` is safe).

The ``session_factory`` fixture checks the ledger after every test that used it: every
journal entry balanced, every stored balance equal to its journal replay.
"""

from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from yibao.domain.idcard import with_check_digit
from yibao.persistence.db import make_engine, make_session_factory
from yibao.persistence.migrate import upgrade
from yibao.persistence.tables import Person
from yibao.services import persons
from yibao.services.ledger import check_ledger

PG_ENV = "YIBAO_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'yibao.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} not set")
    schema = f"yb_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def migrated_url(db_url: str) -> str:
    upgrade(db_url)
    return db_url


@pytest.fixture
def engine(migrated_url: str) -> Iterator[Engine]:
    eng = make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    factory = make_session_factory(engine)
    yield factory
    with factory() as session:
        assert check_ledger(session) == []


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session in an open transaction, committed at the end of the test if still open."""
    with session_factory() as s:
        yield s
        if s.in_transaction():
            s.commit()


_serial = itertools.count(1)


def certno(region: str = "150102", born: date = date(1980, 5, 17), sex: str = "male") -> str:
    """A valid synthetic ID number (correct GB 11643 check digit), unique per call."""
    n = next(_serial) % 500
    seq = 2 * n + (1 if sex == "male" else 0)
    return with_check_digit(f"{region}{born:%Y%m%d}{seq:03d}")


@pytest.fixture
def new_certno() -> Callable[..., str]:
    """``new_certno(region=..., born=..., sex=...)``: a fresh valid synthetic ID number."""
    return certno


@pytest.fixture
def make_person(session: Session) -> Callable[..., Person]:
    def make(**overrides: Any) -> Person:
        fields: dict[str, Any] = {
            "name": "测试参保人",
            "certno": certno(),
            "policy_id": "nmg-employee",
            "group": "in_service",
            "region": "150100",
            "since": date(2024, 1, 1),
        }
        fields.update(overrides)
        return persons.create_person(session, **fields)

    return make
