"""The web layer's shape: no handler blocks the event loop, and the OpenAPI document declares
the real request bodies and every refusal a route can give."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from yibao.config import Settings
from yibao.web.app import create_app

# Coroutine handlers allowed: they only read the request body and hand the work to the thread
# pool (run_in_threadpool), or serve static pages.
ASYNC_ALLOWED = {
    "fsi_api",
    "fsi_api_path",
    "custom_swagger_ui_html",
    "swagger_ui_redirect",
    "redoc_html",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("routes")
    return create_app(
        Settings(database_url=f"sqlite:///{tmp / 'y.db'}", secret_key_file=Path(tmp / "none.key"))
    )


def test_no_route_handler_runs_on_the_event_loop(app: Any) -> None:
    async_handlers = {
        route.endpoint.__name__
        for route in app.routes
        if isinstance(route, APIRoute) and inspect.iscoroutinefunction(route.endpoint)
    }
    assert async_handlers <= ASYNC_ALLOWED


def test_every_request_body_has_a_real_schema_and_every_refusal_is_declared(app: Any) -> None:
    doc = app.openapi()
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc))):
        assert ref in doc.get("components", {}).get("schemas", {}), ref
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            where = f"{method.upper()} {path}"
            body = op.get("requestBody")
            if body is not None:
                schema = body["content"]["application/json"]["schema"]
                assert schema.get("properties"), f"{where}: bare request body schema"
                assert "413" in op["responses"], where
            if body is not None or op.get("parameters"):
                assert "422" in op["responses"] or path.startswith("/fsi"), where
            if path.startswith("/api/v1/me") or path == "/api/v1/auth/login":
                assert "401" in op["responses"], where
    assert "429" in doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    fsi = doc["paths"]["/fsi/api"]["post"]
    envelope = fsi["requestBody"]["content"]["application/json"]["schema"]
    assert {"infno", "msgid", "input"} <= set(envelope["required"])
    assert {"200", "401", "413"} <= set(fsi["responses"])
