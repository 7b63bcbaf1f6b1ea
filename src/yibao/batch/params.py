"""Policies as integer tables for the batch engine.

A row's *profile* is everything its settlement reads from the policy: the version in force,
the medical type, the chronic class, the person group, the hospital level, the route, whether
it is the first-visit hospital, the therapy. Only a few hundred profiles occur in any table;
each becomes one row of the arrays below, built from the policy objects by the same rules
as the scalar engine (``yibao.rules.engine``). Amounts are integer fen, rates and proportions
integer millionths (``SCALE``); a value that is not a whole number in those units marks its
profile inexact, and the rows using it go to the scalar engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from yibao.rules import labels
from yibao.rules.case import CAUSES
from yibao.rules.policy import MED_TYPES, ROUTES, THERAPIES, Band, Bands, Benefit, PolicyVersion

SCALE = 1_000_000  # rates and proportions in millionths
HALF = SCALE // 2
BIG = 1 << 62  # "no limit"
ONE = Decimal(1)

# Deductible kinds (Deductible.per), as codes.
NO_DEDUCTIBLE, ADMISSION, ADMISSION_ORDER, YEAR, DISEASE_YEAR = range(5)
_DEDUCTIBLE_CODE = {"admission": ADMISSION, "admission_order": ADMISSION_ORDER, "year": YEAR}
_DEDUCTIBLE_CODE["disease_year"] = DISEASE_YEAR
# Cap kinds: what the pooled payment is limited by, besides the disease cap and the quota.
NO_CAP, SHARED_CAP, OWN_CAP = range(3)
# Ineligibility reasons (spec 2.2) as codes; 0 is eligible.
REASONS: tuple[str | None, ...] = (
    None,
    "non_designated",
    *CAUSES,
    "not_first_visit_hospital",
    "no_referral",
    "waiting_period",
    "benefit_not_covered",
)
REASON_CODE = {r: i for i, r in enumerate(REASONS) if r is not None}
SELF_HARM = CAUSES.index("self_harm")
INPATIENT = MED_TYPES.index("inpatient")
OUTPATIENT = MED_TYPES.index("outpatient")
CHRONIC = MED_TYPES.index("chronic_outpatient")
NORMAL_ROUTE = ROUTES.index("normal")

for _reason in labels.INELIGIBLE:
    assert _reason in REASON_CODE, _reason


class Inexact(ValueError):
    """A policy value is not a whole number of fen (or of millionths, for a rate)."""


def fen(value: Decimal) -> int:
    scaled = value * 100
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise Inexact(str(value))
    return int(scaled)


def millionths(value: Decimal) -> int:
    scaled = value * SCALE
    if scaled != scaled.to_integral_value() or not 0 <= scaled <= SCALE:
        raise Inexact(str(value))
    return int(scaled)


@dataclass(frozen=True)
class ProfileKey:
    version: int
    med: int
    chronic_class: str | None  # only for chronic outpatient care
    group: str
    level: int
    route: int
    at_first_visit: bool
    therapy: int  # -1: none


@dataclass
class Profile:
    """One profile's parameters (Python values; :class:`Profiles` stacks them)."""

    valid: bool = True  # group and chronic class fit the policy
    exact: bool = True
    fixed_reason: int = 0  # first-visit-hospital rule or no benefit
    waiting_years: int = 0
    benefit: Benefit | None = None
    b_preselfpay: bool = True
    default_prop: int = 0
    deductible_kind: int = NO_DEDUCTIBLE
    deductible: int = 0
    admission_order: tuple[int, ...] = (0,)
    oncology_once: bool = False
    bands: list[tuple[int, int, int]] = field(default_factory=list)
    year_axis: bool = False
    cap_kind: int = NO_CAP
    cap: int = BIG
    disease_cap: int = BIG
    quota: Mapping[str, Decimal] | None = None
    needs_disease: bool = False
    diseases: frozenset[str] | None = None
    serious_illness: list[tuple[int, int, int]] | None = None
    personal_account: bool = False


def _int_bands(bands: Bands) -> list[tuple[int, int, int]]:
    return [(fen(b.lo), BIG if b.hi is None else fen(b.hi), millionths(b.rate)) for b in bands]


def _bands_for(key: ProfileKey, benefit: Benefit) -> Bands:
    """engine._bands_for, for a profile."""
    route_name = ROUTES[key.route]
    route = benefit.route_rates.get(route_name)
    if route is not None and not (route.elsewhere_only and key.at_first_visit):
        bands: Bands = (Band(Decimal(0), None, route.rate),)
    else:
        bands = benefit.rates.bands(key.group, key.level) or ()
    bonus = benefit.group_bonus.get(key.group, Decimal(0))
    if key.therapy >= 0:
        bonus += benefit.therapy_bonus.get(THERAPIES[key.therapy], Decimal(0))
    if bonus:
        bands = tuple(Band(b.lo, b.hi, min(ONE, b.rate + bonus)) for b in bands)
    return bands


def _fixed_reason(key: ProfileKey, policy: PolicyVersion, benefit: Benefit | None) -> int:
    if policy.first_visit_hospital and not key.at_first_visit:
        if key.med == OUTPATIENT:
            return REASON_CODE["not_first_visit_hospital"]
        if key.med == INPATIENT and key.route == NORMAL_ROUTE:
            return REASON_CODE["no_referral"]
    return REASON_CODE["benefit_not_covered"] if benefit is None else 0


def build_profile(key: ProfileKey, policy: PolicyVersion) -> Profile:
    out = Profile()
    chronic_classes = key.med == CHRONIC and bool(policy.chronic_classes)
    if key.group not in policy.groups:
        out.valid = False
    if key.med == CHRONIC:
        if chronic_classes and key.chronic_class not in policy.chronic_classes:
            out.valid = False
        if not chronic_classes and key.chronic_class is not None:
            out.valid = False
    if not out.valid:
        return out
    benefit = policy.benefit_for(MED_TYPES[key.med], key.chronic_class)
    out.benefit = benefit
    out.fixed_reason = _fixed_reason(key, policy, benefit)
    out.personal_account = policy.personal_account
    try:
        out.default_prop = millionths(policy.default_selfpay_prop)
        si = policy.serious_illness
        if si is not None and MED_TYPES[key.med] in si.applies_to:
            out.serious_illness = _int_bands(si.bands)
        if benefit is not None:
            _benefit_params(out, key, policy, benefit)
    except Inexact:
        out.exact = False
    return out


def _benefit_params(out: Profile, key: ProfileKey, policy: PolicyVersion, b: Benefit) -> None:
    out.waiting_years = b.waiting_years
    out.b_preselfpay = b.b_list_preselfpay
    rule = b.deductible
    if rule is not None:
        out.deductible_kind = _DEDUCTIBLE_CODE[rule.per]
        if rule.per == "admission_order":
            out.admission_order = tuple(fen(a) for a in rule.amounts)
        else:
            out.deductible = fen(rule.standard(key.group, key.level, 0))
        out.oncology_once = b.oncology_once
    out.bands = _int_bands(_bands_for(key, b))
    out.year_axis = b.axis == "year"
    if b.cap == "shared" and policy.annual_cap is not None:
        out.cap_kind, out.cap = SHARED_CAP, fen(policy.annual_cap)
    elif b.cap == "own" and b.own_cap is not None:
        out.cap_kind, out.cap = OWN_CAP, fen(b.own_cap)
    elif b.cap == "shared":
        out.cap_kind = SHARED_CAP  # counts toward the year's fund paid, no limit
    if b.disease_cap is not None:
        out.disease_cap = fen(b.disease_cap)
    out.quota = b.monthly_quota
    if b.monthly_quota is not None:
        for amount in b.monthly_quota.values():
            fen(amount)
    out.needs_disease = (
        b.monthly_quota is not None
        or b.disease_cap is not None
        or (rule is not None and rule.per == "disease_year")
    )
    out.diseases = None if b.diseases is None else frozenset(b.diseases)


I64 = npt.NDArray[np.int64]


def _stack_bands(rows: Sequence[list[tuple[int, int, int]] | None]) -> tuple[I64, I64, I64]:
    width = max([len(r) for r in rows if r] + [1])
    lo = np.zeros((len(rows), width), np.int64)
    hi = np.zeros((len(rows), width), np.int64)
    rate = np.zeros((len(rows), width), np.int64)
    for i, r in enumerate(rows):
        for j, (a, b, c) in enumerate(r or ()):
            lo[i, j], hi[i, j], rate[i, j] = a, b, c
    return lo, hi, rate


@dataclass
class Profiles:
    """The profiles' parameters as arrays indexed by profile number."""

    items: list[Profile]
    usable: npt.NDArray[np.bool_] = field(init=False)

    def __post_init__(self) -> None:
        p = self.items
        self.usable = np.array([x.valid and x.exact for x in p], np.bool_)
        self.fixed_reason = np.array([x.fixed_reason for x in p], np.int8)
        self.waiting_years = np.array([x.waiting_years for x in p], np.int64)
        self.b_preselfpay = np.array([x.b_preselfpay for x in p], np.bool_)
        self.default_prop = np.array([x.default_prop for x in p], np.int64)
        self.deductible_kind = np.array([x.deductible_kind for x in p], np.int8)
        self.deductible = np.array([x.deductible for x in p], np.int64)
        width = max(len(x.admission_order) for x in p)
        self.order_width = width
        self.admission_order = np.array(
            [
                x.admission_order + (x.admission_order[-1],) * (width - len(x.admission_order))
                for x in p
            ],
            np.int64,
        ).reshape(len(p), width)
        self.oncology_once = np.array([x.oncology_once for x in p], np.bool_)
        self.band_lo, self.band_hi, self.band_rate = _stack_bands([x.bands for x in p])
        self.year_axis = np.array([x.year_axis for x in p], np.bool_)
        self.cap_kind = np.array([x.cap_kind for x in p], np.int8)
        self.cap = np.array([x.cap for x in p], np.int64)
        self.disease_cap = np.array([x.disease_cap for x in p], np.int64)
        self.has_quota = np.array([x.quota is not None for x in p], np.bool_)
        self.serious_illness = np.array([x.serious_illness is not None for x in p], np.bool_)
        self.si_lo, self.si_hi, self.si_rate = _stack_bands([x.serious_illness for x in p])
        self.personal_account = np.array([x.personal_account for x in p], np.bool_)
        self.band_width = self.band_lo.shape[1]
        self.si_width = self.si_lo.shape[1]
        self.columns: dict[str, npt.NDArray[Any]] = {}
        for prefix in ("band", "si"):
            for part in ("lo", "hi", "rate"):
                table = getattr(self, f"{prefix}_{part}")
                for j in range(table.shape[1]):
                    self.columns[f"{prefix}_{part}_{j}"] = np.ascontiguousarray(table[:, j])
        self._constant: dict[str, bool] = {}

    def per_row(self, name: str, profile: npt.NDArray[np.int64]) -> Any:
        """A 1-d parameter for each row of ``profile``; one value when every profile has the
        same (a numpy scalar broadcasts like the array would, and costs no gather)."""
        table = self.columns[name] if name in self.columns else getattr(self, name)
        constant = self._constant.get(name)
        if constant is None:
            constant = self._constant[name] = bool((table == table[0]).all())
        return table[0] if constant else table[profile]


__all__ = [
    "BIG",
    "HALF",
    "REASONS",
    "SCALE",
    "Inexact",
    "Profile",
    "ProfileKey",
    "Profiles",
    "build_profile",
    "fen",
    "millionths",
]
