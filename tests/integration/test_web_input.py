"""Bad input on the web API gets a clear refusal naming the field, never a 500: huge paging
offsets, money as a list, 5,000-digit integers, deep nesting, NUL and lone surrogates (422),
and bodies over YIBAO_MAX_BODY_BYTES (413, on every route, with or without Content-Length)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servers import running_server
from yibao.config import Settings
from yibao.persistence.tables import Person
from yibao.services import auth
from yibao.web.app import create_app

ESTIMATE = "/api/v1/settlements/estimate"
LOGIN = "/api/v1/auth/login"
MY_ESTIMATE = "/api/v1/me/estimate"
LIMIT = 512 * 1024  # above the 200 KB of the 100,000-deep array below
UPLOAD_LIMIT = 2 * LIMIT


def case(**item: Any) -> dict[str, Any]:
    return {
        "policy": "nmg-employee",
        "date": "2025-03-10",
        "person": {"group": "in_service"},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "items": [{"name": "头孢克洛胶囊", "list_type": "A", "amount": "100.00", **item}],
        },
    }


@pytest.fixture
def settings(migrated_url: str, secret_key_file: Path) -> Settings:
    return Settings(
        database_url=migrated_url,
        secret_key_file=secret_key_file,
        max_body_bytes=LIMIT,
        max_upload_bytes=UPLOAD_LIMIT,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    yield TestClient(app)
    app.state.engine.dispose()


@pytest.fixture
def bearer(
    client: TestClient, make_person: Callable[..., Person], session: Session
) -> dict[str, str]:
    person = make_person()
    session.commit()
    token = auth.issue_token(client.app.state.token_key, person, datetime.now(UTC))  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {token.value}"}


def loc(response: httpx.Response) -> list[Any]:
    assert response.status_code == 422, response.text
    return list(response.json()["detail"][0]["loc"])


@pytest.mark.parametrize("path", ["/api/v1/me/account", "/api/v1/me/settlements"])
def test_an_offset_past_any_integer_column_is_refused_naming_the_offset(
    client: TestClient, bearer: dict[str, str], path: str
) -> None:
    r = client.get(path, params={"offset": "9223372036854775808"}, headers=bearer)
    assert loc(r) == ["query", "offset"]
    assert client.get(path, params={"offset": "5"}, headers=bearer).status_code == 200


def test_an_amount_sent_as_a_json_list_is_refused(client: TestClient) -> None:
    r = client.post(ESTIMATE, json=case(amount=[0, [1, 2, 3], -2]))
    assert loc(r) == ["body", "encounter", "items", 0, "amount"]


def test_a_five_thousand_digit_integer_is_refused_naming_the_field(client: TestClient) -> None:
    huge = "9" * 5000
    body = json.dumps(case(amount=0)).replace('"amount": 0', f'"amount": {huge}')
    r = client.post(ESTIMATE, content=body, headers={"content-type": "application/json"})
    assert loc(r) == ["body", "encounter", "items", 0, "amount"]
    body = json.dumps(case()).replace('"hospital_level": 3', f'"hospital_level": {huge}')
    r = client.post(ESTIMATE, content=body, headers={"content-type": "application/json"})
    assert loc(r) == ["body", "encounter", "hospital_level"]
    assert len(r.text) < 2000  # the number is not echoed back


@pytest.mark.parametrize(
    "body",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000],
    ids=["array-100000-deep", "object-5000-deep"],
)
@pytest.mark.parametrize("path", [ESTIMATE, LOGIN, MY_ESTIMATE])
def test_deeply_nested_json_is_refused(
    client: TestClient, bearer: dict[str, str], path: str, body: str
) -> None:
    r = client.post(path, content=body, headers={"content-type": "application/json", **bearer})
    assert loc(r)[0] == "body"
    assert "嵌套" in r.json()["detail"][0]["msg"]


@pytest.mark.parametrize("bad", ["\\ud800", "a\\u0000b"], ids=["lone-surrogate", "nul"])
def test_unstorable_text_is_refused_naming_the_field(
    client: TestClient, bearer: dict[str, str], bad: str
) -> None:
    r = client.post(
        LOGIN,
        content=f'{{"certno": "{bad}", "password": "secret-123"}}',
        headers={"content-type": "application/json"},
    )
    assert loc(r) == ["body", "certno"]
    body = json.dumps(case(name="X")).replace('"name": "X"', f'"name": "{bad}"')
    r = client.post(ESTIMATE, content=body, headers={"content-type": "application/json"})
    assert loc(r) == ["body", "encounter", "items", 0, "name"]
    mine = json.dumps({"encounter": case(name="X")["encounter"]}).replace('"X"', f'"{bad}"')
    r = client.post(
        MY_ESTIMATE, content=mine, headers={"content-type": "application/json", **bearer}
    )
    assert loc(r) == ["body", "encounter", "items", 0, "name"]


@pytest.mark.parametrize("path", [ESTIMATE, LOGIN, MY_ESTIMATE, "/fsi/api", "/fsi/api/2207"])
def test_a_body_over_the_limit_gets_413_on_every_route(
    client: TestClient, bearer: dict[str, str], path: str
) -> None:
    body = b'{"x": "' + b"a" * (LIMIT + 1) + b'"}'
    r = client.post(path, content=body, headers={"content-type": "application/json", **bearer})
    assert r.status_code == 413
    assert str(LIMIT) in r.json()["detail"]


def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit(
    settings: Settings,
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10 * 1024 * 1024 // 65536):  # 10 MB in 64 KiB chunks
            yield b"a" * 65536

    with running_server(create_app(settings)) as url:
        r = httpx.post(f"{url}{ESTIMATE}", content=chunks(), timeout=30)
    assert r.status_code == 413
    assert "content-length" not in r.request.headers


def test_form_uploads_have_their_own_larger_limit(client: TestClient) -> None:
    photo = {"file": ("photo.jpg", b"\xff" * (LIMIT + 1), "image/jpeg")}
    r = client.post("/api/v1/settlements/estimate", files=photo)
    assert r.status_code == 422  # past the JSON limit, within the upload one: the route answers
    photo = {"file": ("photo.jpg", b"\xff" * (UPLOAD_LIMIT + 1), "image/jpeg")}
    r = client.post("/api/v1/settlements/estimate", files=photo)
    assert r.status_code == 413
    assert str(UPLOAD_LIMIT) in r.json()["detail"]


def test_a_body_under_the_limit_still_works(client: TestClient) -> None:
    r = client.post(ESTIMATE, json=case())
    assert r.status_code == 200, r.text
