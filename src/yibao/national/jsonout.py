"""JSON for the national interface: amounts are JSON numbers written from their exact
decimal text (``16970.00``), never through a binary float.

Reading is guarded: a document nested deeper than :data:`MAX_DEPTH` is refused by a cheap
scan before the (recursive) decoder sees it, numbers are read as Decimal (a whole number of
more than :data:`MAX_INT_DIGITS` digits too, so that it never becomes a huge ``int``), and
:func:`bad_text` finds a NUL or a lone surrogate in any string.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from itertools import accumulate
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


MAX_DEPTH = 32
MAX_INT_DIGITS = 40
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = str.maketrans({"[": "1", "{": "1", "]": "0", "}": "0"})
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class TooDeep(ValueError):
    """The document is nested deeper than :data:`MAX_DEPTH`."""


def depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON ``text`` (0 for a scalar); strings are
    skipped, so brackets inside them do not count. Linear, with no recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    steps = (1 if c == "1" else -1 for c in brackets.translate(_STEP))
    return max(accumulate(steps))


def _integer(digits: str) -> int | Decimal:
    return int(digits) if len(digits) <= MAX_INT_DIGITS else Decimal(digits)


def loads(text: str | bytes) -> Any:
    """Decode JSON; :class:`TooDeep` (a ValueError) beyond :data:`MAX_DEPTH` levels."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    opening = text.count("[") + text.count("{")  # fewer openings than the limit: no scan
    if opening > MAX_DEPTH and depth(text) > MAX_DEPTH:
        raise TooDeep(f"JSON 嵌套超过 {MAX_DEPTH} 层")
    return json.loads(text, parse_float=Decimal, parse_int=_integer)


def bad_text(value: Any, path: str) -> str | None:
    """The path of the first string (or key) under ``value`` holding a NUL character or a
    lone surrogate (``"\\ud800"``), or None. ``value`` is already depth-checked."""
    if isinstance(value, str):
        return path if _BAD_TEXT.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if _BAD_TEXT.search(key):
                return _BAD_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", where)
            found = bad_text(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = bad_text(item, f"{path}[{i}]")
            if found is not None:
                return found
    return None
