"""How a value a person sent is quoted back in an error message: as they would have written
it, never as a Python repr (``Decimal('10.001')``, ``['a']``, ``None``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

MAX_SHOWN = 40


def _cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def shown(value: Any) -> str:
    """``“abc”`` for text, ``10.001`` for a number, ``true``/``null``, or what kind of value
    it is for a list or an object; at most about 40 characters."""
    if isinstance(value, str):
        return f"“{_cut(value)}”"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _cut(str(value)) if value.bit_length() <= 256 else "（位数过多的整数）"
    if isinstance(value, Decimal | float):
        return _cut(str(value))
    if isinstance(value, list | tuple):
        return "一个列表"
    if isinstance(value, dict):
        return "一个对象"
    return f"“{_cut(str(value))}”"
