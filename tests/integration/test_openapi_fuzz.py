"""Schemathesis over every operation of the OpenAPI document, against the app in-process on a
fresh SQLite database with an institution key and a signed-in citizen, so the authenticated
paths are exercised too. Bounded and deterministic: at most 25 cases per operation and
generation mode (valid and invalid data), derandomized. No answer may be a 5xx, and every answer must be one the document declares (status,
content type, headers, body schema)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from yibao.config import Settings
from yibao.domain.idcard import with_check_digit
from yibao.persistence.db import make_engine, make_session_factory, unit_of_work
from yibao.persistence.migrate import upgrade
from yibao.services import auth, institutions, ledger, persons
from yibao.web.app import create_app

pytestmark = pytest.mark.slow
CASES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class Fixture:
    def __init__(self, app: Any, institution_key: str, citizen_token: str) -> None:
        self.app = app
        self.institution_key = institution_key
        self.citizen_token = citizen_token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, secret_key_file: Path) -> Iterator[Fixture]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'yibao.db'}"
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as s:
        inst = institutions.create_institution(
            s,
            code="H15010200001",
            name="模糊测试医院",
            type="hospital",
            region="150102",
            level=3,
            designated_begin=date(2020, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
        person = persons.create_person(
            s,
            name="模糊测试",
            certno=with_check_digit("15010219800517001"),
            policy_id="nmg-employee",
            group="in_service",
            region="150102",
            since=date(2020, 1, 1),
        )
        ledger.credit(s, person, 120000, kind="monthly_credit", reason="期初余额")
    engine.dispose()
    app = create_app(
        Settings(
            database_url=url,
            secret_key_file=secret_key_file,
            login_limit_per_address="5/60",  # most sign-in cases get a cheap 429
        )
    )
    token = auth.issue_token(app.state.token_key, person, datetime.now(UTC)).value
    yield Fixture(app, key, token)
    app.state.engine.dispose()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented_and_never_with_a_5xx(
    world: Fixture, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:
        token = world.institution_key if operation.path.startswith("/fsi") else world.citizen_token
        headers = {"Authorization": f"Bearer {token}"}

        @settings(
            max_examples=CASES_PER_OPERATION,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(operation.as_strategy(generation_mode=mode))
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)  # noqa: B023

        try:
            answers_as_documented()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): only in the negative mode.
            assert mode is GenerationMode.NEGATIVE, operation.label
