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
from yibao.national.context import Unauthorized
from yibao.national.dispatch import SUPPORTED, process
from yibao.national.envelope import response as envelope_response
from yibao.web.api.schemas import TOO_LARGE, json_body

router = APIRouter(tags=["定点医药机构接口（国家医保平台风格）"])

_DOC = (
    "请求报文：infno、msgid、mdtrtarea_admvs、insuplc_admdvs、recer_sys_code、infver、opter_type、"
    "opter、opter_name、inf_time、fixmedins_code、fixmedins_name、input。"
    f"支持的交易：{', '.join(SUPPORTED)}。"
)
_TEXT: dict[str, Any] = {"type": "string"}
# The envelope, as documented (interface §1). The national layer checks it at run time and
# answers a malformed message with infcode -1 (HTTP 200) naming the field.
ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["infno", "msgid", "mdtrtarea_admvs", "fixmedins_code", "input"],
    "properties": {
        "infno": {
            "type": "string",
            "maxLength": 6,
            "enum": list(SUPPORTED),
            "description": "交易编号",
        },
        "msgid": {"type": "string", "maxLength": 30, "description": "发送方报文 ID（唯一）"},
        "mdtrtarea_admvs": {
            "type": "string",
            "pattern": "^[0-9]{6}$",
            "description": "就医地医保区划",
        },
        "insuplc_admdvs": {
            "type": "string",
            "pattern": "^([0-9]{6})?$",
            "description": "参保地医保区划",
        },
        "recer_sys_code": {"type": "string", "maxLength": 10},
        "dev_no": _TEXT,
        "dev_safe_info": _TEXT,
        "cainfo": _TEXT,
        "signtype": _TEXT,
        "infver": {"type": "string", "maxLength": 6},
        "opter_type": {"type": "string", "maxLength": 3},
        "opter": {"type": "string", "maxLength": 30},
        "opter_name": {"type": "string", "maxLength": 50},
        "inf_time": {"type": "string", "description": "yyyy-MM-dd HH:mm:ss（北京时间）"},
        "fixmedins_code": {"type": "string", "maxLength": 30, "description": "定点医药机构编号"},
        "fixmedins_name": {"type": "string", "maxLength": 200},
        "sign_no": {"type": "string", "maxLength": 30},
        "input": {"type": "object", "description": "交易输入，按 infno 而定"},
    },
}
RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["infcode", "err_msg", "output"],
    "properties": {
        "infcode": {"type": "integer", "enum": [0, -1], "description": "0 成功；-1 失败"},
        "inf_refmsgid": _TEXT,
        "refmsg_time": _TEXT,
        "respond_time": _TEXT,
        "err_msg": {"type": "string", "description": "失败原因，指出字段"},
        "output": {"type": "object"},
        "enctype": _TEXT,
        "signtype": _TEXT,
    },
}
_ANSWER = {"application/json": {"schema": RESPONSE_SCHEMA}}
_BODY: dict[str, Any] = json_body(ENVELOPE_SCHEMA)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "应答报文；报文或交易有误时 infcode 为 -1，err_msg 指出字段",
        "content": _ANSWER,
    },
    401: {"description": "机构密钥缺失、无效或已吊销（应答报文，infcode -1）", "content": _ANSWER},
    **TOO_LARGE,
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
    "/fsi/api",
    summary="医保结算接口（infno 选择交易）",
    description=_DOC,
    openapi_extra=_BODY,
    responses=_RESPONSES,
)
async def fsi_api(request: Request) -> Response:
    return await _handle(request)


@router.post("/fsi/api/{path:path}", include_in_schema=False)
async def fsi_api_path(request: Request, path: str) -> Response:
    return await _handle(request)
