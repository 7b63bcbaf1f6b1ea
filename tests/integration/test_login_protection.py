"""Sign-in protection: the failure count is atomic, attempts are rate-limited per client
address and per ID number (429 + Retry-After), and unknown ID numbers cost no database write."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import Settings
from yibao.persistence.tables import Person
from yibao.persistence.tables.credentials import PersonCredential
from yibao.services import auth, persons
from yibao.web.app import create_app

PASSWORD = "Yibao#2026guard"
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def citizen(make_person: Callable[..., Person], session: Session) -> tuple[Person, str]:
    person = make_person()
    auth.set_password(session, person, PASSWORD)
    session.commit()
    return person, persons.certno_of(person)


def _attempts_in_parallel(
    factory: sessionmaker[Session], certno: str, passwords: list[str]
) -> list[bool]:
    """Run one login per password at the same moment; True where it succeeded."""
    start = threading.Barrier(len(passwords))
    results: list[bool] = [False] * len(passwords)

    def attempt(i: int) -> None:
        start.wait()
        try:
            auth.login(factory, certno, passwords[i], datetime.now(UTC))
            results[i] = True
        except auth.LoginFailed:
            results[i] = False

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(passwords))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _credential(factory: sessionmaker[Session], person: Person) -> PersonCredential:
    with factory() as s:
        cred = s.get(PersonCredential, person.id)
        assert cred is not None
        return cred


def test_two_parallel_wrong_passwords_raise_the_failure_count_by_two(
    session_factory: sessionmaker[Session], citizen: tuple[Person, str]
) -> None:
    person, certno = citizen
    assert _attempts_in_parallel(session_factory, certno, ["wrong-pass-1", "wrong-pass-2"]) == [
        False,
        False,
    ]
    assert _credential(session_factory, person).failed_attempts == 2


def test_five_parallel_wrong_passwords_lock_the_account(
    session_factory: sessionmaker[Session], citizen: tuple[Person, str]
) -> None:
    person, certno = citizen
    assert not any(_attempts_in_parallel(session_factory, certno, ["wrong-pass"] * 5))
    cred = _credential(session_factory, person)
    assert cred.locked_until is not None
    assert cred.locked_until > datetime.now(UTC)
    with pytest.raises(auth.LoginFailed):
        auth.login(session_factory, certno, PASSWORD, datetime.now(UTC))


def test_the_right_password_signs_in_and_clears_the_count(
    session_factory: sessionmaker[Session], citizen: tuple[Person, str]
) -> None:
    person, certno = citizen
    assert _attempts_in_parallel(session_factory, certno, ["wrong-pass"]) == [False]
    assert auth.login(session_factory, certno, PASSWORD, datetime.now(UTC)).id == person.id
    assert _credential(session_factory, person).failed_attempts == 0


@pytest.fixture
def make_client(migrated_url: str, secret_key_file: Path) -> Iterator[Callable[..., TestClient]]:
    apps: list[Any] = []

    def make(**limits: str) -> TestClient:
        app = create_app(
            Settings(database_url=migrated_url, secret_key_file=secret_key_file, **limits)
        )
        apps.append(app)
        return TestClient(app)

    yield make
    for app in apps:
        app.state.engine.dispose()


def test_sign_ins_past_the_per_address_limit_get_429_with_retry_after(
    make_client: Callable[..., TestClient], citizen: tuple[Person, str]
) -> None:
    _person, certno = citizen
    client = make_client(login_limit_per_address="3/60", login_limit_per_id="100/60")
    for _ in range(3):
        r = client.post(LOGIN, json={"certno": certno, "password": "wrong-pass"})
        assert r.status_code == 401
    r = client.post(LOGIN, json={"certno": certno, "password": PASSWORD})
    assert r.status_code == 429
    assert 1 <= int(r.headers["retry-after"]) <= 20
    other = client.post(
        LOGIN, json={"certno": certno, "password": PASSWORD}, headers={"x-forwarded-for": "1.2.3.4"}
    )
    assert other.status_code == 429  # the client address is the connection's, not a header


def test_sign_ins_past_the_per_id_limit_get_429_while_other_ids_go_on(
    make_client: Callable[..., TestClient],
    citizen: tuple[Person, str],
    new_certno: Callable[..., str],
) -> None:
    _person, certno = citizen
    client = make_client(login_limit_per_address="100/60", login_limit_per_id="2/300")
    for _ in range(2):
        assert (
            client.post(LOGIN, json={"certno": certno, "password": "x1234567"}).status_code == 401
        )
    r = client.post(LOGIN, json={"certno": certno, "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 100
    assert client.post(LOGIN, json={"certno": new_certno(), "password": "x"}).status_code == 401


def test_attempts_for_unknown_id_numbers_write_nothing_to_the_database(
    make_client: Callable[..., TestClient],
    citizen: tuple[Person, str],
    new_certno: Callable[..., str],
) -> None:
    _person, certno = citizen
    client = make_client()
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    writes: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", watch)
    for _ in range(3):
        r = client.post(LOGIN, json={"certno": new_certno(), "password": "wrong-pass"})
        assert r.status_code == 401
    assert writes == []
    r = client.post(LOGIN, json={"certno": certno, "password": "wrong-pass"})
    assert r.status_code == 401
    assert any("person_credentials" in w for w in writes)  # a known ID's failure is counted
