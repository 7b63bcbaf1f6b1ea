"""The scalar path of the batch engine: rows parsed into cases and settled by
:func:`yibao.rules.chain.settle_chain`, one person's year at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from yibao.batch.claims import ClaimError, conform, table_to_cases
from yibao.batch.result import BatchResult
from yibao.rules.case import Case, parse_case
from yibao.rules.chain import settle_chain
from yibao.rules.errors import CaseError
from yibao.rules.policy import Policy
from yibao.rules.registry import PolicyRegistry

PolicyLike = Policy


def with_replacements(
    registry: PolicyRegistry, replace: Mapping[str, PolicyLike] | None
) -> PolicyRegistry:
    """The registry in which each replaced policy id settles with its replacement."""
    if not replace:
        return registry
    return PolicyRegistry({**registry.policies, **replace})


def parse_row(row: int, raw: Mapping[str, Any], registry: PolicyRegistry) -> Case:
    """One row's case dict (with ``person_id``) as a validated case; errors name the row."""
    case = {k: v for k, v in raw.items() if k not in ("person_id", "year_to_date")}
    try:
        return parse_case(case, registry)
    except CaseError as exc:
        raise ClaimError(row + 1, exc.field, exc.message) from None


def chain_order(persons: Sequence[object], days: npt.NDArray[np.int64]) -> list[list[int]]:
    """Each person's rows in date order (stable: input order breaks ties), persons in order
    of first appearance."""
    by_person: dict[object, list[int]] = {}
    for row, person in enumerate(persons):
        by_person.setdefault(person, []).append(row)
    return [sorted(rows, key=lambda r: int(days[r])) for rows in by_person.values()]


def settle_rows(cases: Mapping[int, Case], chains: list[list[int]], out: BatchResult) -> None:
    """Settle each chain of rows (one person, date order) into ``out``."""
    for rows in chains:
        for row, result in zip(rows, settle_chain(cases[r] for r in rows), strict=True):
            out.put(row, result)


def settle_table_scalar(
    table: pa.Table,
    registry: PolicyRegistry,
    *,
    replace: Mapping[str, PolicyLike] | None = None,
) -> BatchResult:
    """Every row through the scalar engine: the reference the vectorised engine must match."""
    table = conform(table)
    reg = with_replacements(registry, replace)
    raw = table_to_cases(table)
    cases = {row: parse_row(row, case, reg) for row, case in enumerate(raw)}
    days = table.column("date").cast(pa.int32()).to_numpy().astype(np.int64)
    out = BatchResult.empty(table.num_rows)
    settle_rows(cases, chain_order([c["person_id"] for c in raw], days), out)
    out.fallback_rows = table.num_rows
    return out


__all__ = [
    "PolicyLike",
    "chain_order",
    "parse_row",
    "settle_rows",
    "settle_table_scalar",
    "with_replacements",
]
