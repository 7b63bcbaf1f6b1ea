"""The difference between two versions of a policy, parameter by parameter, in plain Chinese.

``diff(policy, a, b)`` compares the values in force on date ``a`` and on date ``b`` and
returns one :class:`Change` per parameter that differs, with a sentence such as
"住院起付线（每次住院，按医院等级）：三级医院 800 元 → 600 元".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from yibao.rules.policy import ParameterValue, Policy

LEVEL_NAMES = {0: "未定级", 1: "一级医院", 2: "二级医院", 3: "三级医院"}
WORDS = {
    "per": "计算方式",
    "admission": "每次住院",
    "year": "每年",
    "visit": "每次就诊",
    "by_level": "按医院等级",
    "retired": "退休人员",
    "in_service": "在职人员",
    "shared": "与住院合计",
    "separate": "单独计算",
    "rate": "比例",
    "amount": "金额",
    "from": "起",
    "to": "止",
}


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    label: str
    kind: str  # added | removed | changed
    before: str
    after: str

    @property
    def sentence(self) -> str:
        if self.kind == "added":
            return f"新增 {self.label}：{self.after}"
        if self.kind == "removed":
            return f"取消 {self.label}（原为 {self.before}）"
        return f"{self.label}：{self.before} → {self.after}"


def _number(value: Decimal | int, unit: str) -> str:
    d = Decimal(value)
    if not unit and d != d.to_integral_value() and 0 < d < 1:
        pct = (d * 100).normalize()
        return f"{pct:f}%"
    text = f"{d.normalize():,f}" if d == d.to_integral_value() else f"{d.normalize():f}"
    return f"{text} {unit}".strip()


def _band(band: Mapping[str, Any], unit: str) -> str:
    start, end = band.get("from", 0), band.get("to")
    rate = plain_value(band.get("rate"), "")
    span = (
        f"{_number(start, '')}–{_number(end, '')} 元"
        if end is not None
        else (f"{_number(start, '')} 元以上")
    )
    return f"{span} {rate}"


def plain_value(value: Any, unit: str) -> str:
    """A value as a person reads it: 是/否, 85%, 800 元, bands, per-level tables."""
    if value is None:
        return "无"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal | int):
        return _number(value, unit)
    if isinstance(value, str):
        return WORDS.get(value, value)
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) and "rate" in v for v in value):
            return "，".join(_band(v, unit) for v in value)
        return "、".join(plain_value(v, unit) for v in value)
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if isinstance(k, int) and k in LEVEL_NAMES:
                name = LEVEL_NAMES[k]
            else:
                name = WORDS.get(str(k), str(k))
            parts.append(f"{name} {plain_value(v, unit)}")
        return "；".join(parts)
    return str(value)


def _in_force(policy: Policy, on: date) -> dict[str, ParameterValue]:
    return {p.path: p for p in policy.parameters_on(on)}


def diff(policy: Policy, a: date, b: date) -> list[Change]:
    """What changes from the version in force on ``a`` to the one in force on ``b``."""
    before, after = _in_force(policy, a), _in_force(policy, b)
    changes = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        ref = new or old
        assert ref is not None
        label = ref.label
        if old is None:
            changes.append(Change(path, label, "added", "", plain_value(ref.value, ref.unit)))
        elif new is None:
            changes.append(Change(path, label, "removed", plain_value(old.value, old.unit), ""))
        elif old.value != new.value:
            changes.append(
                Change(
                    path,
                    label,
                    "changed",
                    plain_value(old.value, old.unit),
                    plain_value(new.value, new.unit),
                )
            )
    return changes
