"""Error messages quote values as people write them, never as Python reprs (issue 6, item 8)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.domain.money import AmountError, parse_amount
from yibao.domain.shown import shown
from yibao.rules import settle

SRC = Path(__file__).resolve().parents[2] / "src" / "yibao"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("10.001"), "10.001"),
        ("abc", "“abc”"),
        (None, "null"),
        (True, "true"),
        (12, "12"),
        pytest.param(10**5000, "（位数过多的整数）", id="a 5000-digit integer"),
        ([0, [1, 2, 3], -2], "一个列表"),
        ({"a": 1}, "一个对象"),
        ("x" * 100, "“" + "x" * 39 + "…”"),
    ],
)
def test_a_value_is_shown_as_written(value: object, text: str) -> None:
    assert shown(value) == text


@pytest.mark.parametrize("raw", [Decimal("10.001"), Decimal("-1.00"), "1e999999", [1, 2]])
def test_amount_errors_show_no_python_internals(raw: object) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(raw)
    assert "Decimal(" not in str(caught.value)
    assert "[" not in str(caught.value)


def test_a_case_error_shows_the_amount_as_sent() -> None:
    case = {
        "policy": "nmg-employee",
        "date": "2025-03-10",
        "person": {"group": "in_service"},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "items": [{"name": "x", "list_type": "A", "amount": Decimal("10.001")}],
        },
    }
    with pytest.raises(ValueError, match=r"10\.001") as caught:
        settle(case)
    assert "Decimal(" not in str(caught.value)


def test_no_message_uses_a_repr() -> None:
    """``{x!r}`` shows ``Decimal('1')``, ``['a']``, ``None``: use ``shown(x)``."""
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"!r\}", line)
        and not line.lstrip().startswith("#")
        and "ConfigError" not in line
    ]
    assert offenders == []
