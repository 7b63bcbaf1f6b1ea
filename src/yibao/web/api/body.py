"""Reading a JSON request body safely, and FastAPI's 422 shape for what is wrong with it.

The guarded reader of the national interface (:mod:`yibao.national.jsonout`) decodes it:
numbers stay exact (a fraction, and an integer too long to be a count, become Decimals, so
the field's own check refuses them by name), and nesting deeper than ``MAX_DEPTH`` is
refused before decoding. Text with a NUL character or a lone surrogate (``"\\ud800"``) is
refused naming the field: neither can be stored (PostgreSQL refuses NUL; neither is UTF-8).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from yibao.national import jsonout

MAX_DEPTH = jsonout.MAX_DEPTH

Loc = list[str | int]


class BodyError(ValueError):
    def __init__(self, loc: Loc, message: str, kind: str = "value_error") -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message
        self.kind = kind

    def response(self) -> JSONResponse:
        return validation_error(self.loc, self.message, self.kind)


def validation_error(loc: Loc, message: str, kind: str = "value_error") -> JSONResponse:
    """FastAPI's 422 shape: ``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``."""
    return JSONResponse(
        status_code=422, content={"detail": [{"loc": loc, "msg": message, "type": kind}]}
    )


def field_loc(field: str) -> Loc:
    """``encounter.items[2].amount`` -> ``["body", "encounter", "items", 2, "amount"]``."""
    loc: Loc = ["body"]
    for part in field.split("."):
        name, _, rest = part.partition("[")
        if name:
            loc.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            loc.append(int(index) if index.isdigit() else index)
            rest = rest.removeprefix("[")
    return loc


async def raw_body(request: Request) -> bytes:
    """A dependency: the request body, read on the event loop (so the handler can be a plain
    ``def`` that FastAPI runs in its thread pool)."""
    return await request.body()


def parse_json(raw: bytes) -> Any:
    """The decoded body, or :class:`BodyError` naming what is wrong and where."""
    try:
        value = jsonout.loads(raw)
    except jsonout.TooDeep:
        raise BodyError(["body"], f"JSON 嵌套过深（最多 {MAX_DEPTH} 层）", "json_invalid") from None
    except UnicodeDecodeError:
        raise BodyError(["body"], "请求体不是 UTF-8 编码的 JSON", "json_invalid") from None
    except ValueError as exc:
        raise BodyError(["body"], f"请求体不是合法的 JSON：{exc}", "json_invalid") from None
    where = jsonout.bad_text(value, "")
    if where is not None:
        raise BodyError(
            field_loc(where), "文本中不能含有 NUL 字符或不成对的代理字符（无效的 Unicode）"
        )
    return value


def parse_object(raw: bytes) -> dict[str, Any]:
    value = parse_json(raw)
    if not isinstance(value, dict):
        raise BodyError(["body"], "应为 JSON 对象")
    return value
