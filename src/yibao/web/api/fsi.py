"""``POST /fsi/api``: the national platform's interface for designated institutions.

Authenticated by ``Authorization: Bearer <institution key>``; ``infno`` selects the
transaction. The per-transaction paths of the national platform (``/fsi/api/...``) are
accepted too and behave the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from yibao.national import jsonout
from yibao.national.dispatch import HANDLERS, Unauthorized, process
from yibao.national.envelope import response as envelope_response

router = APIRouter(tags=["定点医药机构接口（国家医保平台风格）"])

_DOC = (
    "请求报文：infno、msgid、mdtrtarea_admvs、insuplc_admdvs、recer_sys_code、infver、opter_type、"
    "opter、opter_name、inf_time、fixmedins_code、fixmedins_name、input。"
    f"支持的交易：{', '.join(HANDLERS)}。"
)
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


def _json(text: str, status: int = 200) -> Response:
    return Response(content=text, status_code=status, media_type="application/json")


def _unauthorized(message: str) -> Response:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    body = envelope_response({}, admdvs="000000", received=now, error=message)
    return _json(jsonout.dumps(body), 401)


async def _handle(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return _unauthorized("缺少认证：请在 Authorization 头中提供 Bearer 机构密钥")
    state = request.app.state
    body = await request.body()

    def run() -> Response:
        try:
            return _json(process(state.session_factory, key.strip(), body, state.voucher_key))
        except Unauthorized:
            return _unauthorized("机构密钥无效或已吊销")

    return await run_in_threadpool(run)


@router.post(
    "/fsi/api", summary="医保结算接口（infno 选择交易）", description=_DOC, openapi_extra=_BODY
)
async def fsi_api(request: Request) -> Response:
    return await _handle(request)


@router.post("/fsi/api/{path:path}", include_in_schema=False)
async def fsi_api_path(request: Request, path: str) -> Response:
    return await _handle(request)
