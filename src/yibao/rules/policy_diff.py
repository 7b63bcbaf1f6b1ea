"""The difference between two versions of a policy, parameter by parameter, in plain Chinese
(translatable: the sentences are :class:`~yibao.domain.text.Text`, filled after translation).

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

from yibao.domain.text import N_, Joined, Text, Verbatim
from yibao.rules.policy import ParameterValue, Policy

LEVEL_NAMES = {0: N_("未定级"), 1: N_("一级医院"), 2: N_("二级医院"), 3: N_("三级医院")}
WORDS = {
    "per": N_("计算方式"),
    "admission": N_("每次住院"),
    "year": N_("每年"),
    "visit": N_("每次就诊"),
    "by_level": N_("按医院等级"),
    "retired": N_("退休人员"),
    "in_service": N_("在职人员"),
    "shared": N_("与住院合计"),
    "separate": N_("单独计算"),
    "rate": N_("比例"),
    "amount": N_("金额"),
    "from": N_("起"),
    "to": N_("止"),
}
# units the built-in policies use, for `make messages` (a unit is the policy file's own word)
UNITS_FOR_CATALOG = (N_("元"), N_("元/月"), N_("月"))


@dataclass(frozen=True, slots=True)
class Change:
    """One parameter that differs. ``label`` is the policy file's own label; ``before`` and
    ``after`` are the values as a person reads them (:func:`plain_value`)."""

    path: str
    label: str
    kind: str  # added | removed | changed
    before: Text
    after: Text

    @property
    def sentence(self) -> Text:
        """The change in plain words: ``str()`` is Chinese, a page translates it."""
        label = Text(self.label)
        if self.kind == "added":
            return Text(N_("新增 {label}：{after}"), label=label, after=self.after)
        if self.kind == "removed":
            return Text(N_("取消 {label}（原为 {before}）"), label=label, before=self.before)
        return Text(
            N_("{label}：{before} → {after}"), label=label, before=self.before, after=self.after
        )


def _number(value: Decimal | int, unit: str) -> Text:
    d = Decimal(value)
    if not unit and d != d.to_integral_value() and 0 < d < 1:
        pct = (d * 100).normalize()
        return Verbatim(f"{pct:f}%")
    text = f"{d.normalize():,f}" if d == d.to_integral_value() else f"{d.normalize():f}"
    if not unit:
        return Verbatim(text)
    return Text(N_("{number} {unit}"), number=text, unit=Text(unit))


def _band(band: Mapping[str, Any], unit: str) -> Text:
    start, end = band.get("from", 0), band.get("to")
    rate = plain_value(band.get("rate"), "")
    if end is None:
        return Text(N_("{start} 元以上 {rate}"), start=_number(start, ""), rate=rate)
    return Text(
        N_("{start}–{end} 元 {rate}"), start=_number(start, ""), end=_number(end, ""), rate=rate
    )


def plain_value(value: Any, unit: str) -> Text:
    """A value as a person reads it: 是/否, 85%, 800 元, bands, per-level tables. ``str()``
    is Chinese; a page translates it."""
    if value is None:
        return Text(N_("无"))
    if isinstance(value, bool):
        return Text(N_("是") if value else N_("否"))
    if isinstance(value, Decimal | int):
        return _number(value, unit)
    if isinstance(value, str):
        return Text(WORDS[value]) if value in WORDS else Verbatim(value)
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) and "rate" in v for v in value):
            return Joined(N_("，"), (_band(v, unit) for v in value))
        return Joined(N_("、"), (plain_value(v, unit) for v in value))
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            if isinstance(k, int) and k in LEVEL_NAMES:
                name = Text(LEVEL_NAMES[k])
            elif str(k) in WORDS:
                name = Text(WORDS[str(k)])
            else:
                name = Verbatim(k)
            parts.append(Text(N_("{name} {value}"), name=name, value=plain_value(v, unit)))
        return Joined(N_("；"), parts)
    return Verbatim(value)


NOTHING = Verbatim("")


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
            changes.append(Change(path, label, "added", NOTHING, plain_value(ref.value, ref.unit)))
        elif new is None:
            changes.append(
                Change(path, label, "removed", plain_value(old.value, old.unit), NOTHING)
            )
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
