"""A policy as the engine uses it: typed, validated, one object per version in force.

Built by :mod:`yibao.rules.policy_loader` from the YAML files in ``yibao/policies``.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

MED_TYPES = ("outpatient", "chronic_outpatient", "inpatient", "maternity")
EMPLOYEE_GROUPS = ("in_service", "retired")
RESIDENT_GROUPS = ("adult", "minor", "student")
SCHEMES = {"employee": EMPLOYEE_GROUPS, "resident": RESIDENT_GROUPS}
LEVELS = (1, 2, 3)
ROUTES = ("normal", "referral", "transfer_out", "emergency")
THERAPIES = ("dialysis", "anti_rejection")
DEDUCTIBLE_KINDS = ("admission", "admission_order", "year", "disease_year")
CAP_KINDS = ("shared", "own", "none")


@dataclass(frozen=True, slots=True)
class Band:
    """Pay ``rate`` on the part of the axis in ``[lo, hi)`` (``hi`` None: no upper end)."""

    lo: Decimal
    hi: Decimal | None
    rate: Decimal


Bands = tuple[Band, ...]


@dataclass(frozen=True, slots=True)
class RateTable:
    """Bands chosen by person group and/or hospital level."""

    flat: Bands | None = None
    by_level: Mapping[int, Bands] = field(default_factory=dict)
    by_group: Mapping[str, RateTable] = field(default_factory=dict)

    def bands(self, group: str, level: int) -> Bands | None:
        if self.by_group:
            sub = self.by_group.get(group)
            return None if sub is None else sub.bands(group, level)
        if self.by_level:
            return self.by_level.get(level)
        return self.flat


@dataclass(frozen=True, slots=True)
class Deductible:
    per: str
    amount: Decimal = Decimal(0)
    by_level: Mapping[int, Decimal] = field(default_factory=dict)
    by_group_level: Mapping[str, Mapping[int, Decimal]] = field(default_factory=dict)
    amounts: tuple[Decimal, ...] = ()

    def standard(self, group: str, level: int, admissions_before: int) -> Decimal:
        """The full deductible of this kind, before what was already paid this year."""
        if self.per == "admission_order":
            return self.amounts[min(admissions_before, len(self.amounts) - 1)]
        if self.by_group_level:
            return self.by_group_level[group][level]
        if self.by_level:
            return self.by_level[level]
        return self.amount


@dataclass(frozen=True, slots=True)
class RouteRate:
    rate: Decimal
    elsewhere_only: bool = False


@dataclass(frozen=True, slots=True)
class Benefit:
    key: str
    label: str
    rates: RateTable
    deductible: Deductible | None = None
    oncology_once: bool = False
    group_bonus: Mapping[str, Decimal] = field(default_factory=dict)
    therapy_bonus: Mapping[str, Decimal] = field(default_factory=dict)
    route_rates: Mapping[str, RouteRate] = field(default_factory=dict)
    axis: str = "encounter"
    cap: str = "shared"
    own_cap: Decimal | None = None
    disease_cap: Decimal | None = None
    monthly_quota: Mapping[str, Decimal] | None = None
    diseases: Mapping[str, str] | None = None
    waiting_years: int = 0
    b_list_preselfpay: bool = True


@dataclass(frozen=True, slots=True)
class SeriousIllness:
    applies_to: frozenset[str]
    bands: Bands


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """Everything in force for one policy from ``version`` on, until the next version."""

    id: str
    label: str
    scheme: str
    region: str
    version: date
    groups: tuple[str, ...]
    personal_account: bool
    first_visit_hospital: bool
    default_selfpay_prop: Decimal
    annual_cap: Decimal | None
    serious_illness: SeriousIllness | None
    benefits: Mapping[str, Benefit]
    chronic_classes: Mapping[str, Benefit]
    outpatient_account: Mapping[str, Any] | None = None
    # 手工报销 must be filed within this many months of the expense (None: no limit set).
    claim_deadline_months: int | None = None

    def benefit_for(self, med_type: str, chronic_class: str | None) -> Benefit | None:
        if med_type == "chronic_outpatient" and self.chronic_classes:
            return None if chronic_class is None else self.chronic_classes.get(chronic_class)
        return self.benefits.get(med_type)


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """One dated value of one parameter, for display (``yibao policy show``)."""

    path: str
    label: str
    effective: date
    value: Any
    source: str
    unit: str = ""
    note: str = ""


@dataclass(frozen=True)
class Policy:
    id: str
    label: str
    scheme: str
    region: str
    file: str
    sources: Mapping[str, str]
    versions: tuple[PolicyVersion, ...]
    parameters: tuple[ParameterValue, ...]
    notes: str = ""
    _dates: tuple[date, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_dates", tuple(v.version for v in self.versions))

    @property
    def first_date(self) -> date:
        return self.versions[0].version

    def version_on(self, on: date) -> PolicyVersion | None:
        """The version in force on ``on``, or None before the policy starts."""
        i = bisect.bisect_right(self._dates, on)
        return self.versions[i - 1] if i else None

    def parameters_on(self, on: date) -> list[ParameterValue]:
        """Each parameter's value in force on ``on`` (latest effective date not after it)."""
        latest: dict[str, ParameterValue] = {}
        for p in self.parameters:
            if p.effective <= on:
                cur = latest.get(p.path)
                if cur is None or p.effective >= cur.effective:
                    latest[p.path] = p
        return [p for p in latest.values() if p.value is not None]
