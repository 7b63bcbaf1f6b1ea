"""``POST /api/v1/settlements/estimate``: the engine over HTTP.

The body is read with exact decimals (a JSON number is never passed through a binary float)
and validated by the engine's own case parser, so the API and the CLI give the same errors.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from yibao.rules import CaseError, settle
from yibao.web.api.body import BodyError, field_loc, parse_object, raw_body, validation_error
from yibao.web.api.schemas import (
    CASE_SCHEMA,
    CASE_SCHEMA_EXAMPLE,
    INVALID,
    RESULT_EXAMPLE,
    RESULT_SCHEMA,
    TOO_LARGE,
    json_body,
)

router = APIRouter(prefix="/api/v1", tags=["结算测算"])


@router.post(
    "/settlements/estimate",
    summary="结算测算：一张账单谁付多少、为什么",
    openapi_extra=json_body(CASE_SCHEMA, CASE_SCHEMA_EXAMPLE),
    responses={
        200: {
            "description": "结算结果",
            "content": {"application/json": {"schema": RESULT_SCHEMA, "example": RESULT_EXAMPLE}},
        },
        **INVALID,
        **TOO_LARGE,
    },
)
def estimate(body: Annotated[bytes, Depends(raw_body)]) -> JSONResponse:
    try:
        case = parse_object(body)
    except BodyError as exc:
        return exc.response()
    try:
        result = settle(case)
    except CaseError as exc:
        return validation_error(field_loc(exc.field), exc.message)
    return JSONResponse(result)
