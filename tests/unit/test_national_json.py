"""Reading the hospital interface's JSON: a nesting limit checked before decoding, huge
integers kept out of ``int``, and the path of a string with a NUL or a lone surrogate."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from yibao.national import jsonout


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 0),
        ('"[[[{"', 0),
        ("[]", 1),
        ('{"a": [1, {"b": "]]]}}}"}]}', 3),
        ('{"a": "say \\"[[[\\" twice", "b": [[]]}', 3),
        ("[[]][[[]]]", 3),
    ],
)
def test_depth_counts_nesting_and_skips_brackets_inside_strings(text: str, expected: int) -> None:
    assert jsonout.depth(text) == expected


def test_a_document_nested_past_the_limit_is_refused_without_recursion() -> None:
    at_limit = "[" * jsonout.MAX_DEPTH + "]" * jsonout.MAX_DEPTH
    assert jsonout.loads(at_limit) == json.loads(at_limit)
    with pytest.raises(jsonout.TooDeep):
        jsonout.loads("[" * (jsonout.MAX_DEPTH + 1) + "]" * (jsonout.MAX_DEPTH + 1))
    with pytest.raises(jsonout.TooDeep):
        jsonout.loads(b"[" * 100_000 + b"]" * 100_000)


def test_a_huge_integer_is_read_as_a_decimal_not_an_int() -> None:
    assert jsonout.loads("[12345]") == [12345]
    huge = jsonout.loads("[" + "9" * 5000 + "]")[0]
    assert isinstance(huge, Decimal)
    assert huge == Decimal("9" * 5000)


def test_bad_text_names_the_string_with_a_nul_or_a_lone_surrogate() -> None:
    assert jsonout.bad_text(jsonout.loads('{"a": {"b": ["ok", "x\\u0000"]}}'), "") == "a.b[1]"
    assert jsonout.bad_text(jsonout.loads('{"a": "\\ud800"}'), "input") == "input.a"
    assert jsonout.bad_text(jsonout.loads('{"a": "\\ud83d\\ude00 好"}'), "") is None  # a pair
    assert jsonout.bad_text({"k\x00": 1}, "input") == "input.k\\u0000"
