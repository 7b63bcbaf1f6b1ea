"""Assemble the synthetic claim table (one row per encounter, the batch claim schema) and write it,
as one file or as a directory of files partitioned by person."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.claims import AMOUNT, CLAIM_SCHEMA
from yibao.rules.policy import Policy, PolicyVersion
from yibao.simulation import synth_params as P
from yibao.simulation.arrow_build import (
    Bools,
    Ints,
    bools,
    decimals,
    numbered_ids,
    strings_from_codes,
)
from yibao.simulation.synth import (
    CAUSE_CODES,
    MED_TYPES,
    ROUTE_CODES,
    ChronicPlan,
    Encounters,
    Population,
    SynthError,
    encounters,
    population,
    version_for_year,
)
from yibao.simulation.synth_items import draw_items, items_array

ID_WIDTH = 10  # person ids P0000000000 … P9999999999
MAX_PERSONS = 10**ID_WIDTH


@dataclass
class Features:
    designated: Bools
    approved: Bools
    cause: Ints
    mental_illness: Bools
    route: Ints
    at_first_visit_hospital: Bools


def _features(rng: np.random.Generator, v: PolicyVersion, enc: Encounters) -> Features:
    n = len(enc.person)
    inpatient = (enc.med_type == 2) & ~enc.oncology
    outpatient = enc.med_type == 0
    designated = rng.random(n) >= P.NON_DESIGNATED
    approved = ~designated & (rng.random(n) < 0.5)
    cause = np.full(n, -1, dtype=np.int64)
    with_cause = inpatient & (rng.random(n) < P.EXCLUDED_CAUSE)
    cause[with_cause] = rng.choice(len(P.CAUSES), int(with_cause.sum()), p=[w for _, w in P.CAUSES])
    mental = (cause == CAUSE_CODES.index("self_harm")) & (
        rng.random(n) < P.MENTAL_ILLNESS_OF_SELF_HARM
    )
    route_p = [w for _, w in P.ROUTES]
    drawn = rng.choice(len(ROUTE_CODES), n, p=[1 - sum(route_p), *route_p])
    route = np.where(inpatient, drawn, 0).astype(np.int64)
    at_first = np.ones(n, dtype=np.bool_)
    if v.first_visit_hospital:
        u = rng.random(n)
        away = (outpatient & (u < P.AWAY_FROM_FIRST_VISIT["outpatient"])) | (
            inpatient & (u < P.AWAY_FROM_FIRST_VISIT["inpatient"])
        )
        at_first = ~away
        referred = away & inpatient & (route == 0) & (rng.random(n) < 0.5)
        route = np.where(referred, ROUTE_CODES.index("referral"), route)
    return Features(designated, approved, cause, mental, route, at_first)


def _date_array(year: int, day: Ints) -> pa.Array:
    epoch = (date(year, 1, 1) - date(1970, 1, 1)).days
    return pa.array((day + epoch).astype(np.int32), type=pa.int32()).cast(pa.date32())


def policy_claims(
    rng: np.random.Generator, policy: Policy, year: int, persons: int, first_number: int
) -> pa.Table:
    """The claims of ``persons`` synthetic persons of one policy, numbered from ``first_number``."""
    v = version_for_year(policy, year)
    days = 366 if date(year, 12, 31).timetuple().tm_yday == 366 else 365
    pop: Population = population(rng, v, persons)
    enc, plan = encounters(rng, v, pop, days)
    feats = _features(rng, v, enc)
    items = items_array(draw_items(rng, enc.cost_fen, enc.med_type))
    who = enc.person
    n = len(who)
    classes: ChronicPlan | None = plan
    class_names = [c or "" for c in classes.classes] if classes else []
    has_classes = bool(classes and classes.classes[0] is not None)
    therapy_names = (
        list(dict.fromkeys(t for ts in classes.therapies for t in ts)) if classes else []
    )
    columns = {
        "person_id": numbered_ids("P", who + first_number, ID_WIDTH),
        "policy": strings_from_codes(np.zeros(n, dtype=np.int64), [policy.id]),
        "date": _date_array(year, enc.day),
        "group": strings_from_codes(pop.group[who], v.groups),
        "account_balance": decimals(
            pop.balance_fen[who], AMOUNT, valid=np.full(n, pop.has_account, dtype=np.bool_)
        ),
        "use_account": bools(pop.use_account[who]),
        "continuous_years": pa.array(pop.continuous_years[who].astype(np.int32), type=pa.int32()),
        "med_type": strings_from_codes(enc.med_type, MED_TYPES),
        "hospital_level": pa.array(enc.level.astype(np.int8), type=pa.int8()),
        "designated": bools(feats.designated),
        "approved": bools(feats.approved),
        "route": strings_from_codes(feats.route, ROUTE_CODES),
        "at_first_visit_hospital": bools(feats.at_first_visit_hospital),
        "cause": strings_from_codes(feats.cause, CAUSE_CODES),
        "mental_illness": bools(feats.mental_illness),
        "oncology_course": bools(enc.oncology),
        "chronic_class": strings_from_codes(
            enc.chronic_class if has_classes else np.full(n, -1), class_names
        ),
        "chronic_disease": strings_from_codes(
            enc.disease, list(classes.disease_names) if classes else []
        ),
        "therapy": strings_from_codes(enc.therapy, therapy_names),
        "items": items,
    }
    return pa.Table.from_arrays(list(columns.values()), schema=CLAIM_SCHEMA)


def synth_claims(policies: Sequence[Policy], year: int, persons: int, seed: int) -> pa.Table:
    """``persons`` synthetic persons shared out evenly over ``policies`` (in the order given),
    and every encounter of theirs in ``year``; one seeded generator draws everything."""
    if persons < 1:
        raise SynthError("--persons", "应为正整数")
    if persons > MAX_PERSONS:
        raise SynthError("--persons", f"最多 {MAX_PERSONS} 人")
    if not policies:
        raise SynthError("--policy", "至少给出一项医保政策")
    rng = np.random.default_rng(seed)
    share, extra = divmod(persons, len(policies))
    tables, first = [], 0
    for i, policy in enumerate(policies):
        count = share + (1 if i < extra else 0)
        if count:
            tables.append(policy_claims(rng, policy, year, count, first))
        first += count
    return pa.concat_tables(tables)


def person_slices(table: pa.Table, parts: int) -> list[pa.Table]:
    """Split a table ordered by person into ``parts`` slices that never split a person."""
    ids = table.column("person_id").combine_chunks()
    n = len(ids)
    if n == 0:
        return [table.slice(0, 0) for _ in range(parts)]
    differs = pc.not_equal(ids.slice(1), ids.slice(0, n - 1))
    change = np.flatnonzero(differs.to_numpy(zero_copy_only=False))
    starts = np.concatenate([[0], change + 1])  # first row of each person
    bounds = [0]
    for k in range(1, parts):
        target = n * k // parts
        i = int(np.searchsorted(starts, target))
        bounds.append(int(starts[i]) if i < len(starts) else n)
    bounds.append(n)
    return [table.slice(a, max(b - a, 0)) for a, b in itertools.pairwise(bounds)]


def partition_paths(directory: Path, parts: int) -> list[Path]:
    return [directory / f"part-{i:05d}.parquet" for i in range(parts)]
