"""Money: exact decimal yuan, rounded only where the settlement spec says.

Amounts are :class:`decimal.Decimal` in yuan with two places. Nothing here ever touches
a binary float: a float handed to :func:`parse_amount` is refused.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from yibao.domain.shown import shown

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class AmountError(ValueError):
    """An amount could not be read exactly."""


def round_cents(value: Decimal) -> Decimal:
    """The one rounding rule: ROUND_HALF_UP to 0.01 yuan."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(raw: object, *, allow_negative: bool = False) -> Decimal:
    """Read a yuan amount from a string, an int or a Decimal, exactly.

    At most two decimal places; never a float (a float has already lost exactness).
    """
    if isinstance(raw, bool) or raw is None:
        raise AmountError('应为金额字符串，如 "12.50"')
    if isinstance(raw, float):
        raise AmountError('金额不能是浮点数，请用字符串，如 "12.50"')
    if isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if not text or any(c not in "0123456789.-+" for c in text):
            raise AmountError(f"金额格式不正确：{shown(raw)}")
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise AmountError(f"金额格式不正确：{shown(raw)}") from None
    else:
        raise AmountError('应为金额字符串，如 "12.50"')
    if not value.is_finite():
        raise AmountError(f"金额格式不正确：{shown(raw)}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(CENT):
        raise AmountError(f"金额最多两位小数：{shown(raw)}")
    if value < 0 and not allow_negative:
        raise AmountError(f"金额不能为负数：{shown(raw)}")
    if abs(value) >= Decimal("1e14"):
        raise AmountError(f"金额过大：{shown(raw)}")
    return value.quantize(CENT)


def fmt(value: Decimal) -> str:
    """Two-decimal string, as on the wire."""
    return f"{value:.2f}"


def to_fen(value: Decimal) -> int:
    """Yuan (two places) to integer fen."""
    return int(value.quantize(CENT) * 100)


def from_fen(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(CENT)
