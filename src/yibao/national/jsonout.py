"""JSON for the national interface: amounts are JSON numbers written from their exact
decimal text (``16970.00``), never through a binary float."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u2063dec:"
_PATTERN = re.compile(r'"\\u2063dec:(-?\d+(?:\.\d+)?)"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{_MARK}{value}"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(v) for v in value]
    return value


def dumps(data: Any) -> str:
    """``json.dumps`` with Decimals written as numbers with their exact digits."""
    text = json.dumps(_mark(data), ensure_ascii=True, separators=(",", ":"))
    return _PATTERN.sub(r"\1", text)


def loads(text: str | bytes) -> Any:
    return json.loads(text, parse_float=Decimal)
