"""``yibao synth``: a synthetic insured population and its year of encounters.

Vectorised with numpy's seeded ``Generator``: the same arguments give the same table, and the
same file byte for byte. The distributions and their sources are in
:mod:`yibao.simulation.synth_params` and docs/simulation.md. The output is a claim table in the
schema of :data:`yibao.batch.claims.CLAIM_SCHEMA`, one row per encounter, ordered by person
and date.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from yibao.rules.policy import Policy, PolicyVersion
from yibao.simulation import synth_params as P

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

MED_TYPES = ("outpatient", "chronic_outpatient", "inpatient", "maternity")
ROUTE_CODES = ("normal", "referral", "transfer_out", "emergency")
CAUSE_CODES = tuple(c for c, _ in P.CAUSES)
SEVERE_DISEASE = {"dialysis": "uremia", "anti_rejection": "organ_transplant"}


class SynthError(ValueError):
    """Arguments ``synth`` cannot use; names the option."""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(f"{option}: {message}")


def version_for_year(policy: Policy, year: int) -> PolicyVersion:
    """The version in force on 1 January of ``year`` (the one the synthetic year follows)."""
    version = policy.version_on(date(year, 1, 1))
    if version is None:
        raise SynthError(
            "--year",
            f"{policy.id} 在 {year}-01-01 没有生效的版本（最早 {policy.first_date} 起生效）",
        )
    return version


def lognormal(rng: np.random.Generator, mean: float, sigma: float, size: int) -> Floats:
    """Log-normal draws with the given arithmetic mean."""
    mu = np.log(mean) - sigma * sigma / 2
    return rng.lognormal(mu, sigma, size)


def to_fen(yuan: Floats) -> Ints:
    """A drawn amount in yuan, rounded once to whole fen (at least 1 fen)."""
    return np.maximum(np.rint(yuan * 100), 1).astype(np.int64)


@dataclass
class Population:
    group: Ints  # index into the version's groups
    continuous_years: Ints
    balance_fen: Ints  # opening personal-account balance; meaningful where has_account
    has_account: bool
    use_account: Bools


@dataclass
class Encounters:
    person: Ints
    day: Ints  # day of the year, from 0
    med_type: Ints  # index into MED_TYPES
    level: Ints
    cost_fen: Ints
    oncology: Bools
    chronic_class: Ints  # index into the class names, -1 none
    disease: Ints  # index into the disease names, -1 none
    therapy: Ints  # index into the therapy names, -1 none


def population(rng: np.random.Generator, v: PolicyVersion, n: int) -> Population:
    groups = v.groups
    if v.scheme == "employee":
        retired = rng.random(n) < P.RETIRED_SHARE
        lo, hi = P.IN_SERVICE_AGES
        age = np.where(
            retired,
            np.minimum(P.RETIRED_AGE_START + rng.exponential(P.RETIRED_AGE_MEAN_EXTRA, n), 100),
            rng.integers(lo, hi + 1, n),
        ).astype(np.int64)
        wanted = np.where(retired, 1, 0)
        names: tuple[str, ...] = ("in_service", "retired")
        work_years = np.where(retired, rng.integers(15, 41, n), rng.integers(0, age - 17))
        years = np.asarray(work_years, dtype=np.int64)
    else:
        bands = P.RESIDENT_AGE_BANDS
        band = rng.choice(len(bands), n, p=[b[2] for b in bands])
        lows = np.array([b[0] for b in bands])
        highs = np.array([b[1] for b in bands])
        age = lows[band] + (rng.random(n) * (highs[band] - lows[band] + 1)).astype(np.int64)
        student = (age >= 18) & (age <= 22) & (rng.random(n) < P.STUDENT_SHARE_18_22)
        wanted = np.where(age < 18, 1, np.where(student, 2, 0))
        names = ("adult", "minor", "student")
        years = rng.integers(0, np.minimum(age, 15) + 1).astype(np.int64)
    # map the wanted group onto the policy's own groups (the first one where it has no such group)
    lookup = np.array([groups.index(g) if g in groups else 0 for g in names])
    group = lookup[wanted].astype(np.int64)
    balance = np.zeros(n, dtype=np.int64)
    if v.personal_account:
        for gi, name in enumerate(groups):
            mean, sigma = P.ACCOUNT_BALANCE.get(name, P.ACCOUNT_BALANCE["in_service"])
            sel = group == gi
            balance[sel] = to_fen(lognormal(rng, mean, sigma, int(sel.sum())))
    return Population(
        group=group,
        continuous_years=years,
        balance_fen=balance,
        has_account=v.personal_account,
        use_account=rng.random(n) >= P.NO_ACCOUNT_USE_SHARE,
    )


def _rates(v: PolicyVersion, group: Ints) -> dict[str, Floats]:
    table = [P.GROUP_RATES.get(g, P.GROUP_RATES["adult"]) for g in v.groups]
    return {
        f: np.array([getattr(t, f) for t in table])[group]
        for f in ("outpatient_visits", "admissions", "chronic_prevalence", "oncology_share")
    } | {"maternity": np.array([t.maternity for t in table])[group]}


def _levels(rng: np.random.Generator, shares: tuple[float, ...], n: int) -> Ints:
    return (rng.choice(3, n, p=list(shares)) + 1).astype(np.int64)


def _costs(rng: np.random.Generator, level: Ints, table: dict[int, tuple[float, float]]) -> Ints:
    cost = np.zeros(len(level), dtype=np.int64)
    for lv, (mean, sigma) in table.items():
        sel = level == lv
        cost[sel] = to_fen(lognormal(rng, mean, sigma, int(sel.sum())))
    return cost


def _empty(n: int, med_type: int, person: Ints, day: Ints, level: Ints, cost: Ints) -> Encounters:
    none = np.full(n, -1, dtype=np.int64)
    return Encounters(
        person, day, np.full(n, med_type, dtype=np.int64), level, cost,
        np.zeros(n, dtype=np.bool_), none, none.copy(), none.copy(),
    )  # fmt: skip


@dataclass(frozen=True)
class ChronicPlan:
    classes: tuple[str | None, ...]  # None: the policy's chronic benefit has no classes
    weights: tuple[float, ...]
    diseases: tuple[tuple[str, ...], ...]  # per class
    therapies: tuple[tuple[str, ...], ...]  # per class (non-empty for the severe class)
    aligned: tuple[bool, ...]  # per class: its diseases are named after its therapies
    disease_names: tuple[str, ...]  # every code, for the output dictionary


def chronic_plan(v: PolicyVersion) -> ChronicPlan | None:
    if v.chronic_classes:
        names: list[str | None] = list(v.chronic_classes)
        benefits = list(v.chronic_classes.values())
    elif "chronic_outpatient" in v.benefits:
        names, benefits = [None], [v.benefits["chronic_outpatient"]]
    else:
        return None
    severe = [bool(b.therapy_bonus) for b in benefits]
    n_severe, n_other = sum(severe), len(severe) - sum(severe)
    weights = []
    for s in severe:
        if n_other == 0 or n_severe == 0:
            weights.append(1 / len(severe))
        else:
            share = P.SEVERE_CLASS_SHARE if s else 1 - P.SEVERE_CLASS_SHARE
            weights.append(share / (n_severe if s else n_other))
    therapies = tuple(tuple(b.therapy_bonus) for b in benefits)
    diseases: list[tuple[str, ...]] = []
    aligned: list[bool] = []
    for b, therapy in zip(benefits, therapies, strict=True):
        aligned.append(not b.diseases and bool(therapy))
        if b.diseases:
            diseases.append(tuple(b.diseases))
        elif therapy:
            diseases.append(tuple(SEVERE_DISEASE.get(t, t) for t in therapy))
        else:
            diseases.append(P.DEFAULT_DISEASES)
    all_names = tuple(dict.fromkeys(d for ds in diseases for d in ds))
    return ChronicPlan(
        tuple(names), tuple(weights), tuple(diseases), therapies, tuple(aligned), all_names
    )


def _chronic(
    rng: np.random.Generator, plan: ChronicPlan, prevalence: Floats, days: int
) -> Encounters:
    sick = np.flatnonzero(rng.random(len(prevalence)) < prevalence)
    k = len(sick)
    cls = rng.choice(len(plan.classes), k, p=list(plan.weights))
    first = np.zeros(k, dtype=np.int64)
    second = np.full(k, -1, dtype=np.int64)
    therapy = np.full(k, -1, dtype=np.int64)
    therapy_names = tuple(dict.fromkeys(t for ts in plan.therapies for t in ts))
    for ci, codes in enumerate(plan.diseases):
        sel = np.flatnonzero(cls == ci)
        local = rng.integers(0, len(codes), len(sel))
        if plan.therapies[ci]:
            t = rng.integers(0, len(plan.therapies[ci]), len(sel))
            codes_t = np.array([therapy_names.index(x) for x in plan.therapies[ci]])
            therapy[sel] = codes_t[t]
            if plan.aligned[ci]:  # the disease follows from the therapy
                local = t
        index = np.array([plan.disease_names.index(c) for c in codes])
        first[sel] = index[local]
        if len(codes) > 1 and not plan.therapies[ci]:
            two = rng.random(len(sel)) < P.SECOND_DISEASE_SHARE
            other = (local + 1 + rng.integers(0, len(codes) - 1, len(sel))) % len(codes)
            second[sel[two]] = index[other[two]]
    monthly = therapy >= 0
    visits = np.where(monthly, 12, 1 + rng.poisson(P.CHRONIC_VISITS_MEAN, k))
    owner = np.repeat(np.arange(k), visits)
    n = len(owner)
    # monthly therapy: one settlement a month; other visits: any day of the year
    month_of_visit = np.arange(n) - np.repeat(np.cumsum(visits) - visits, visits)
    starts = np.cumsum([0] + [calendar.monthrange(2001, m)[1] for m in range(1, 12)])
    day = np.where(
        monthly[owner],
        starts[np.minimum(month_of_visit, 11)] + rng.integers(0, 28, n),
        rng.integers(0, days, n),
    ).astype(np.int64)
    level = _levels(rng, P.CHRONIC_LEVELS, n)
    cost = _costs(rng, level, P.CHRONIC_COST)
    tcode = therapy[owner]
    for ti, name in enumerate(therapy_names):
        sel = tcode == ti
        mean, sigma = P.THERAPY_COST.get(name, P.CHRONIC_COST[3])
        cost[sel] = to_fen(lognormal(rng, mean, sigma, int(sel.sum())))
    use_second = (second[owner] >= 0) & (rng.random(n) < 0.5)
    enc = _empty(n, 1, sick[owner].astype(np.int64), day, level, cost)
    enc.chronic_class = cls[owner].astype(np.int64)
    enc.disease = np.where(use_second, second[owner], first[owner])
    enc.therapy = tcode
    return enc


def _outpatient(rng: np.random.Generator, mean: Floats, days: int) -> Encounters:
    k = P.OUTPATIENT_DISPERSION
    visits = rng.negative_binomial(k, k / (k + mean)).astype(np.int64)
    person = np.repeat(np.arange(len(mean), dtype=np.int64), visits)
    n = len(person)
    level = _levels(rng, P.OUTPATIENT_LEVELS, n)
    return _empty(
        n, 0, person, rng.integers(0, days, n), level, _costs(rng, level, P.OUTPATIENT_COST)
    )


def _inpatient(
    rng: np.random.Generator, rate: Floats, oncology_share: Floats, days: int
) -> Encounters:
    stays = rng.poisson(rate).astype(np.int64)
    person = np.repeat(np.arange(len(rate), dtype=np.int64), stays)
    n = len(person)
    level = _levels(rng, P.INPATIENT_LEVELS, n)
    enc = _empty(
        n, 2, person, rng.integers(0, days, n), level, _costs(rng, level, P.INPATIENT_COST)
    )
    # a course of radio/chemotherapy: several admissions, mostly at level 3
    onc = np.flatnonzero(rng.random(len(rate)) < oncology_share)
    lo, hi = P.ONCOLOGY_COURSES
    courses = rng.integers(lo, hi + 1, len(onc))
    o_person = np.repeat(onc, courses).astype(np.int64)
    m = len(o_person)
    o_level = np.where(rng.random(m) < 0.8, 3, 2).astype(np.int64)
    o = _empty(m, 2, o_person, rng.integers(0, days, m), o_level,
               to_fen(lognormal(rng, *P.ONCOLOGY_COST, m)))  # fmt: skip
    o.oncology[:] = True
    return concat([enc, o])


def _maternity(rng: np.random.Generator, share: Floats, days: int) -> Encounters:
    person = np.flatnonzero(rng.random(len(share)) < share).astype(np.int64)
    n = len(person)
    level = _levels(rng, P.INPATIENT_LEVELS, n)
    return _empty(n, 3, person, rng.integers(0, days, n), level,
                  to_fen(lognormal(rng, *P.MATERNITY_COST, n)))  # fmt: skip


def concat(parts: Sequence[Encounters]) -> Encounters:
    fields = Encounters.__dataclass_fields__
    return Encounters(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def encounters(
    rng: np.random.Generator, v: PolicyVersion, pop: Population, days: int
) -> tuple[Encounters, ChronicPlan | None]:
    """Every encounter of the year, ordered by person, then date (draw order breaks ties)."""
    rates = _rates(v, pop.group)
    parts = []
    if "outpatient" in v.benefits:
        parts.append(_outpatient(rng, rates["outpatient_visits"], days))
    plan = chronic_plan(v)
    if plan is not None:
        parts.append(_chronic(rng, plan, rates["chronic_prevalence"], days))
    if "inpatient" in v.benefits:
        parts.append(_inpatient(rng, rates["admissions"], rates["oncology_share"], days))
    if "maternity" in v.benefits:
        parts.append(_maternity(rng, rates["maternity"], days))
    if not parts:
        raise SynthError("--policy", f"{v.id} 在 {v.version} 的版本没有任何待遇，无法生成就医记录")
    enc = concat(parts)
    order = np.lexsort((enc.day, enc.person))
    return Encounters(**{f: getattr(enc, f)[order] for f in Encounters.__dataclass_fields__}), plan
