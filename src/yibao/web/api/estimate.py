"""``POST /api/v1/settlements/estimate``: the engine over HTTP.

The body is read with exact decimals (a JSON number is never passed through a binary float)
and validated by the engine's own case parser, so the API and the CLI give the same errors.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from yibao.rules import CaseError, settle
from yibao.web.api.schemas import CASE_SCHEMA_EXAMPLE, RESULT_EXAMPLE

router = APIRouter(prefix="/api/v1", tags=["结算测算"])


def validation_error(loc: list[str | int], message: str, kind: str = "value_error") -> JSONResponse:
    """FastAPI's 422 shape: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``."""
    return JSONResponse(
        status_code=422, content={"detail": [{"loc": loc, "msg": message, "type": kind}]}
    )


def field_loc(field: str) -> list[str | int]:
    """``encounter.items[2].amount`` -> ``["body", "encounter", "items", 2, "amount"]``."""
    loc: list[str | int] = ["body"]
    for part in field.split("."):
        name, _, rest = part.partition("[")
        if name:
            loc.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            loc.append(int(index))
            rest = rest.removeprefix("[")
    return loc


async def read_json(request: Request) -> Any:
    body = await request.body()
    return json.loads(body, parse_float=Decimal)


@router.post(
    "/settlements/estimate",
    summary="结算测算：一张账单谁付多少、为什么",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}, "example": CASE_SCHEMA_EXAMPLE}
            },
        }
    },
    responses={
        200: {
            "description": "结算结果",
            "content": {"application/json": {"example": RESULT_EXAMPLE}},
        },
        422: {"description": "输入有误：指出字段与原因"},
    },
)
async def estimate(request: Request) -> JSONResponse:
    try:
        case = await read_json(request)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return validation_error(["body"], f"请求体不是合法的 JSON：{exc}", "json_invalid")
    try:
        result = settle(case)
    except CaseError as exc:
        return validation_error(field_loc(exc.field), exc.message)
    return JSONResponse(result)
