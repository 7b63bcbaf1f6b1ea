"""Readers for the fields of a transaction's input, each error naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from yibao.domain.shown import shown
from yibao.national.envelope import InterfaceError
from yibao.services import clock

_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?")
_INVOICE_TEXT = re.compile(r"[0-9A-Za-z][0-9A-Za-z_./-]*")


def node(data: Mapping[str, Any], key: str, path: str = "input") -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise InterfaceError("必填，应为 JSON 对象", f"{path}.{key}")
    return value


def rows(data: Mapping[str, Any], key: str, path: str = "input") -> Sequence[Mapping[str, Any]]:
    value = data.get(key)
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not value:
        raise InterfaceError("必填，应为非空数组", f"{path}.{key}")
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise InterfaceError("应为 JSON 对象", f"{path}.{key}[{i}]")
    return value


def text(
    data: Mapping[str, Any], key: str, path: str, *, max_len: int = 30, required: bool = True
) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InterfaceError("必填字段缺失", f"{path}.{key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InterfaceError("应为字符串", f"{path}.{key}")
    s = str(value)
    if len(s) > max_len:
        raise InterfaceError(f"长度不能超过 {max_len}", f"{path}.{key}")
    return s


def invoice(data: Mapping[str, Any], key: str, path: str) -> str | None:
    """An optional invoice number (发票号, str 20): letters, digits and ``- _ . /``, stored in
    upper case (``fp-001`` and ``FP-001`` are one invoice); None when not sent."""
    value = text(data, key, path, max_len=20, required=False)
    if not value:
        return None
    if not _INVOICE_TEXT.fullmatch(value):
        raise InterfaceError(
            "发票号只能由字母、数字和 - _ . / 组成，以字母或数字开头", f"{path}.{key}"
        )
    return value.upper()


def code(
    data: Mapping[str, Any],
    key: str,
    path: str,
    allowed: Mapping[str, Any] | Sequence[str],
    *,
    required: bool = True,
) -> str:
    value = text(data, key, path, max_len=6, required=required)
    if value and value not in allowed:
        raise InterfaceError(
            f"代码 {shown(value)} 无效，可用：{', '.join(allowed)}", f"{path}.{key}"
        )
    return value


def number(
    data: Mapping[str, Any],
    key: str,
    path: str,
    *,
    scale: int = 2,
    signed: bool = False,
    required: bool = True,
) -> Decimal | None:
    """A num(16, scale) read exactly (JSON numbers arrive as Decimal, strings are parsed)."""
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise InterfaceError("必填字段缺失", f"{path}.{key}")
        return None
    # money is a JSON number or a decimal string, nothing else (Decimal would also take a
    # list or tuple as sign/digits/exponent: [0, [1, 2, 3], -2] is 1.23)
    if isinstance(value, str):
        if not _DECIMAL_TEXT.fullmatch(value.strip()):
            raise InterfaceError("数值格式不正确：应为数字或数字字符串", f"{path}.{key}")
        value = value.strip()
    elif isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise InterfaceError("数值格式不正确：应为数字或数字字符串", f"{path}.{key}")
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError):
        raise InterfaceError("数值格式不正确", f"{path}.{key}") from None
    if not d.is_finite():
        raise InterfaceError("数值格式不正确", f"{path}.{key}")
    if d and d.adjusted() >= 16 - scale:  # before any arithmetic: 1E+999999999 overflows
        raise InterfaceError("数值过大", f"{path}.{key}")
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > scale and d != round(d, scale):
        raise InterfaceError(f"最多 {scale} 位小数", f"{path}.{key}")
    if d < 0 and not signed:
        raise InterfaceError("不能为负数", f"{path}.{key}")
    return d + 0  # 0E+5 -> 0


def amount(data: Mapping[str, Any], key: str, path: str, *, signed: bool = False) -> Decimal:
    value = number(data, key, path, scale=2, signed=signed)
    assert value is not None
    return value


def moment(
    data: Mapping[str, Any],
    key: str,
    path: str,
    *,
    required: bool = True,
    default: datetime | None = None,
) -> datetime:
    """``yyyy-MM-dd HH:mm:ss`` or ``yyyy-MM-dd`` in the business zone (Beijing time), as an
    aware datetime."""
    value = data.get(key)
    if value is None or value == "":
        if required or default is None:
            raise InterfaceError("必填字段缺失", f"{path}.{key}")
        return default
    if not isinstance(value, str):
        raise InterfaceError("格式应为 yyyy-MM-dd HH:mm:ss", f"{path}.{key}")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=clock.zone())
        except ValueError:
            continue
    raise InterfaceError("格式应为 yyyy-MM-dd HH:mm:ss", f"{path}.{key}")


def local_date(moment_: datetime) -> date:
    """The business date (``YIBAO_TIMEZONE``) of an aware instant."""
    return clock.local_date(moment_)


def not_future(moment_: datetime, now: datetime, field: str) -> None:
    """Refuse ``moment_``, naming ``field``, if it lies ahead of ``now`` by more than the
    configured clock skew (``YIBAO_CLOCK_SKEW_SECONDS``)."""
    if moment_ > now + clock.skew():
        raise InterfaceError(
            f"时间 {clock.local_text(moment_)} 晚于当前时间 {clock.local_text(now)}，不能是将来的时间",
            field,
        )


def flag(data: Mapping[str, Any], key: str, path: str, *, default: str = "0") -> bool:
    value = data.get(key)
    if value is None or value == "":
        return default == "1"
    if str(value) not in ("0", "1"):
        raise InterfaceError("应为 0 或 1", f"{path}.{key}")
    return str(value) == "1"
