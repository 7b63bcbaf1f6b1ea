"""Assemble the synthetic claim table (one row per encounter, the batch claim schema) and write it,
as one file or as a directory of files partitioned by person."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

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

BLOCK_PERSONS = 50_000  # persons drawn together (bounds the memory of a large run)
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
) -> tuple[pa.Table, Ints]:
    """The claims of ``persons`` synthetic persons of one policy, numbered from
    ``first_number``, and each row's person number."""
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
    table = pa.Table.from_arrays(list(columns.values()), schema=CLAIM_SCHEMA)
    return table, who + first_number


@dataclass(frozen=True)
class Block:
    """A run of persons of one policy drawn together, from a generator of its own."""

    policy: Policy
    first: int  # the number of its first person
    count: int
    number: int  # its place in the order; seeds its generator with the run's seed


def plan_blocks(policies: Sequence[Policy], persons: int) -> list[Block]:
    """``persons`` shared out evenly over ``policies`` (in the order given), cut into blocks of
    at most ``BLOCK_PERSONS``; the policies' blocks take turns, so that any range of person
    numbers mixes the policies (partitions by person stay alike)."""
    share, extra = divmod(persons, len(policies))
    runs: list[list[tuple[Policy, int]]] = []
    for i, policy in enumerate(policies):
        count = share + (1 if i < extra else 0)
        runs.append(
            [(policy, min(BLOCK_PERSONS, count - s)) for s in range(0, count, BLOCK_PERSONS)]
        )
    blocks: list[Block] = []
    first = 0
    for turn in range(max((len(r) for r in runs), default=0)):
        for run in runs:
            if turn < len(run):
                policy, count = run[turn]
                blocks.append(Block(policy, first, count, len(blocks)))
                first += count
    return blocks


def synth_blocks(
    policies: Sequence[Policy], year: int, persons: int, seed: int
) -> Iterator[tuple[pa.Table, Ints]]:
    """Each block's claims, in person order, with each row's person number. Block ``k`` draws
    from ``default_rng([seed, k])``: the output depends on the arguments only."""
    if persons < 1:
        raise SynthError("--persons", "应为正整数")
    if persons > MAX_PERSONS:
        raise SynthError("--persons", f"最多 {MAX_PERSONS} 人")
    if not policies:
        raise SynthError("--policy", "至少给出一项医保政策")
    for policy in policies:
        version_for_year(policy, year)  # refuse a year a policy does not cover, before any work
    blocks = plan_blocks(policies, persons)
    return (
        policy_claims(np.random.default_rng([seed, b.number]), b.policy, year, b.count, b.first)
        for b in blocks
    )


def synth_claims(policies: Sequence[Policy], year: int, persons: int, seed: int) -> pa.Table:
    """``persons`` synthetic persons shared out evenly over ``policies`` and every encounter of
    theirs in ``year``, as one table."""
    tables = [t for t, _ in synth_blocks(policies, year, persons, seed)]
    return pa.concat_tables(tables) if tables else CLAIM_SCHEMA.empty_table()


def partition_paths(directory: Path, parts: int) -> list[Path]:
    return [directory / f"part-{i:05d}.parquet" for i in range(parts)]
