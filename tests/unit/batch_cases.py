"""Random claims over every feature of the four built-in policies, for the batch engine's
tests: persons with several encounters, some crossing New Year; bills large enough to reach
every cap; every eligibility rule; chronic classes and diseases with monthly quotas;
therapies, oncology courses, routes; B lines with and without their own proportion, limit
prices, C lines; personal accounts that run out.

Each claim is made twice from the same draws (numpy, vectorised): as a row of the claim
table and as the scalar engine's :class:`Case` (what ``parse_case`` makes of that row, built
directly so that 100,000 of them take a second; a test checks the two agree).
Seeded and reproducible: the same (seed, persons) gives the same claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from yibao.batch.claims import AMOUNT, CLAIM_SCHEMA, ITEM_TYPE, PROPORTION
from yibao.rules.case import CAUSES, Case, Item
from yibao.rules.policy import PolicyVersion
from yibao.rules.registry import builtin_registry
from yibao.simulation.arrow_build import decimals, numbered_ids, strings_from_codes

I64 = npt.NDArray[np.int64]
POLICIES = ("nmg-employee", "national-employee", "taiyuan-employee", "taiyuan-resident")
RESIDENT = 3
GROUPS = ("in_service", "retired", "adult", "minor", "student")
MEDS = ("outpatient", "chronic_outpatient", "inpatient", "maternity")
# medical types by policy (indexes in MEDS), weighted to what each policy covers
MED_DRAW = (
    (2, 2, 2, 2, 1, 1, 1, 1, 0, 3),
    (2, 2, 2, 1, 1, 1, 0, 0, 0, 0, 3),
    (2, 2, 2, 2, 2, 2, 1, 0, 3),
    (2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 3, 3),
)
ROUTES = ("normal", "referral", "transfer_out", "emergency")
ROUTE_DRAW = (0, 0, 0, 1, 2, 3)
THERAPIES = ("dialysis", "anti_rejection")
CLASSES = ("A", "B", "quota", "quarterly")
DISEASES = (
    "a1",
    "a2",
    "b1",
    "b2",
    "hypertension_iii",
    "renal_failure",
    "coronary_mi",
    "diabetes_gangrene",
    "k1",
    "k2",
    "d1",
    "d2",
)
PROPS = ("0", "0.05", "0.10", "0.15", "0.2", "0.333", "0.123457", "1")
PROP_DRAW = (-1, -1, 0, 1, 2, 3, 4, 5, 6, 7)
SCALES = np.array([5_000, 50_000, 500_000, 5_000_000, 40_000_000], np.int64)
ITEM_COUNTS = np.array([0, 1, 1, 2, 3, 4, 6], np.int64)
VISITS = np.array([1, 1, 1, 2, 3, 5, 8, 12, 20], np.int64)
EPOCH = date(1970, 1, 1)


@dataclass
class RandomClaims:
    table: pa.Table
    cases: list[Case]  # row i's case, with an empty year to date
    persons: list[str]


def _pick(rng: np.random.Generator, options: Any, n: int) -> I64:
    table = np.asarray(options, np.int64)
    return table[rng.integers(0, len(table), n)]


def _chronic(rng: np.random.Generator, policy: I64, n: int) -> tuple[I64, I64, I64]:
    """Class, disease and therapy codes (-1: none) of chronic outpatient encounters."""
    u = rng.random(n)
    nmg_class = (u < 0.5).astype(np.int64) ^ 1  # 0 A, 1 B
    resident_class = np.where(rng.random(n) < 0.6, 2, 3)
    cls = np.select([policy == 0, policy == RESIDENT], [nmg_class, resident_class], -1)
    disease = np.select(
        [policy == 0, (policy == RESIDENT) & (cls == 2), policy == RESIDENT],
        [_pick(rng, (0, 1, 2, 3), n), _pick(rng, (4, 5, 6, 7), n), _pick(rng, (8, 9, 4), n)],
        np.where(rng.random(n) < 0.8, _pick(rng, (10, 11, 4), n), -1),
    )
    therapy = np.where((cls == 0) & (rng.random(n) < 0.5), rng.integers(0, 2, n), -1)
    return cls, disease, therapy


def _draw(seed: int, persons: int) -> dict[str, I64]:
    rng = np.random.default_rng(seed)
    p_policy = rng.integers(0, 4, persons)
    p_group = np.where(
        p_policy == RESIDENT, rng.integers(2, 5, persons), rng.integers(0, 2, persons)
    )
    p_years = _pick(rng, (0, 1, 2, 3, 3, 3, 5), persons)
    has_account = (p_policy != RESIDENT) & (rng.random(persons) < 0.7)
    p_balance = np.select(
        [rng.random(persons) < 0.3, rng.random(persons) < 0.5],
        [0, rng.integers(0, 300_001, persons)],
        5_000_000,
    )
    p_balance = np.where(has_account, p_balance, -1)
    p_use = ~has_account | (rng.random(persons) < 0.85)
    p_year = rng.integers(2024, 2026, persons)
    visits = _pick(rng, VISITS, persons)
    person = np.repeat(np.arange(persons), visits)
    n = len(person)
    policy = p_policy[person]
    year = p_year[person] + (rng.random(n) < 0.15)
    month = np.where(rng.random(n) < 0.8, rng.integers(1, 13, n), _pick(rng, (1, 12), n))
    med = np.select([policy == k for k in range(4)], [_pick(rng, d, n) for d in MED_DRAW])
    inpatient, chronic = med == 2, med == 1
    scale = np.where(inpatient, _pick(rng, SCALES, n), _pick(rng, SCALES[:3], n))
    cause = np.where(rng.random(n) < 0.05, rng.integers(0, len(CAUSES), n), -1)
    designated = rng.random(n) >= 0.04
    cls, disease, chronic_therapy = _chronic(rng, policy, n)
    therapy = np.where(inpatient & (rng.random(n) < 0.1), rng.integers(0, 2, n), -1)
    return {
        "person": person,
        "policy": policy,
        "group": p_group[person],
        "balance": p_balance[person],
        "use_account": p_use[person],
        "continuous_years": p_years[person],
        "day": ((year - 1970) * 12 + month - 1)
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
        + rng.integers(0, 28, n),
        "med": med,
        "level": rng.integers(1, 4, n),
        "designated": designated,
        "approved": ~designated & (rng.random(n) < 0.5),
        "route": np.where(inpatient, _pick(rng, ROUTE_DRAW, n), 0),
        "at_first_visit": (policy != RESIDENT) | (rng.random(n) < 0.85),
        "cause": cause,
        "mental_illness": (cause >= 0) & (rng.random(n) < 0.5),
        "oncology": inpatient & (rng.random(n) < 0.3),
        "chronic_class": np.where(chronic, cls, -1),
        "chronic_disease": np.where(chronic, disease, -1),
        "therapy": np.where(chronic, chronic_therapy, therapy),
        "scale": scale,
        "lines": _pick(rng, ITEM_COUNTS, n),
    }


def _lines(rng: np.random.Generator, rows: dict[str, I64]) -> dict[str, I64]:
    counts = rows["lines"]
    row = np.repeat(np.arange(len(counts)), counts)
    m = len(row)
    kind = _pick(rng, (0, 0, 0, 1, 1, 1, 2), m)
    scale = rows["scale"][row]
    prop = np.where(kind == 1, _pick(rng, PROP_DRAW, m), -1)
    limit = np.where(rng.random(m) < 0.2, rng.integers(0, scale + 1), -1)
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    number = np.arange(m) - offsets[:-1][row]
    return {
        "kind": kind,
        "amount": rng.integers(0, scale + 1),
        "prop": prop,
        "limit": limit,
        "offsets": offsets,
        "number": number,
    }


def _table(rows: dict[str, I64], lines: dict[str, I64]) -> pa.Table:
    prop_units = np.array([int(Decimal(p) * 1_000_000) for p in PROPS], np.int64)
    names = strings_from_codes(lines["number"], [f"项目{i}" for i in range(7)])
    struct = pa.StructArray.from_arrays(
        [
            names,
            strings_from_codes(lines["kind"], ("A", "B", "C")),
            decimals(lines["amount"], AMOUNT),
            decimals(prop_units[np.maximum(lines["prop"], 0)], PROPORTION, lines["prop"] >= 0),
            decimals(np.maximum(lines["limit"], 0), AMOUNT, lines["limit"] >= 0),
        ],
        fields=list(ITEM_TYPE),
    )
    columns = {
        "person_id": numbered_ids("P", rows["person"], 7),
        "policy": strings_from_codes(rows["policy"], POLICIES),
        "date": pa.array(rows["day"].astype(np.int32)).cast(pa.date32()),
        "group": strings_from_codes(rows["group"], GROUPS),
        "account_balance": decimals(np.maximum(rows["balance"], 0), AMOUNT, rows["balance"] >= 0),
        "use_account": pa.array(rows["use_account"]),
        "continuous_years": pa.array(rows["continuous_years"].astype(np.int32)),
        "med_type": strings_from_codes(rows["med"], MEDS),
        "hospital_level": pa.array(rows["level"].astype(np.int8)),
        "designated": pa.array(rows["designated"]),
        "approved": pa.array(rows["approved"]),
        "route": strings_from_codes(rows["route"], ROUTES),
        "at_first_visit_hospital": pa.array(rows["at_first_visit"]),
        "cause": strings_from_codes(rows["cause"], CAUSES),
        "mental_illness": pa.array(rows["mental_illness"]),
        "oncology_course": pa.array(rows["oncology"]),
        "chronic_class": strings_from_codes(rows["chronic_class"], CLASSES),
        "chronic_disease": strings_from_codes(rows["chronic_disease"], DISEASES),
        "therapy": strings_from_codes(rows["therapy"], THERAPIES),
        "items": pa.ListArray.from_arrays(pa.array(lines["offsets"].astype(np.int32)), struct),
    }
    return pa.Table.from_arrays([columns[f.name] for f in CLAIM_SCHEMA], schema=CLAIM_SCHEMA)


def _money(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def _cases(rows: dict[str, I64], lines: dict[str, I64]) -> list[Case]:
    registry = builtin_registry()
    versions: dict[tuple[int, int], PolicyVersion] = {}
    props = [None, *(Decimal(p) for p in PROPS)]
    kinds = ("A", "B", "C")
    items = [
        Item(f"项目{i}", kinds[k], _money(a), props[p + 1], None if x < 0 else _money(x))
        for i, k, a, p, x in zip(
            lines["number"].tolist(),
            lines["kind"].tolist(),
            lines["amount"].tolist(),
            lines["prop"].tolist(),
            lines["limit"].tolist(),
            strict=True,
        )
    ]
    offsets = lines["offsets"].tolist()
    out = []
    cols = {k: v.tolist() for k, v in rows.items()}
    for i in range(len(cols["person"])):
        policy, day = cols["policy"][i], cols["day"][i]
        version = versions.get((policy, day))
        if version is None:
            found = registry.get(POLICIES[policy])
            assert found is not None
            version = found.version_on(EPOCH + timedelta(days=day))
            assert version is not None
            versions[(policy, day)] = version
        balance, cause = cols["balance"][i], cols["cause"][i]
        cls, disease = cols["chronic_class"][i], cols["chronic_disease"][i]
        therapy = cols["therapy"][i]
        out.append(
            Case(
                policy=version,
                date=EPOCH + timedelta(days=day),
                group=GROUPS[cols["group"][i]],
                med_type=MEDS[cols["med"][i]],
                hospital_level=cols["level"][i],
                items=tuple(items[offsets[i] : offsets[i + 1]]),
                account_balance=None if balance < 0 else _money(balance),
                use_account=cols["use_account"][i],
                continuous_years=cols["continuous_years"][i],
                designated=cols["designated"][i],
                approved=cols["approved"][i],
                route=ROUTES[cols["route"][i]],
                at_first_visit_hospital=cols["at_first_visit"][i],
                cause=None if cause < 0 else CAUSES[cause],
                mental_illness=cols["mental_illness"][i],
                oncology_course=cols["oncology"][i],
                chronic_class=None if cls < 0 else CLASSES[cls],
                chronic_disease=None if disease < 0 else DISEASES[disease],
                therapy=None if therapy < 0 else THERAPIES[therapy],
            )
        )
    return out


def random_claims(seed: int, persons: int, *, shuffle: bool = True) -> RandomClaims:
    """Claims of ``persons`` random persons (1 to 20 encounters each; dates in 2024-2026),
    the rows shuffled so that a person's claims are neither together nor in date order."""
    rows = _draw(seed, persons)
    lines = _lines(np.random.default_rng(seed + 1), rows)
    table = _table(rows, lines)
    cases = _cases(rows, lines)
    ids = [f"P{p:07d}" for p in rows["person"].tolist()]
    if shuffle:
        order = np.random.default_rng(seed + 2).permutation(len(cases))
        table = table.take(pa.array(order))
        cases = [cases[i] for i in order.tolist()]
        ids = [ids[i] for i in order.tolist()]
    return RandomClaims(table, cases, ids)
