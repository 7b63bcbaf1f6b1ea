"""What a simulation adds up, in integer fen, and how partial results merge.

A :class:`Summary` is built from one table of claims and its :class:`BatchResult`; two
summaries of disjoint sets of persons merge into the summary of their union (sums of integers,
so the order of merging never changes a cent). Per-person totals travel next to it in
:class:`PersonTotals` for what needs every person at once (winners and losers, deciles).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.result import BatchResult

Fen = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int64]

# The amounts reported everywhere (national setlinfo names), in this order.
AMOUNTS = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")


@dataclass(frozen=True)
class Grouping:
    """Rows grouped by an integer code ``0..len(labels)-1``: sorted once, summed many times."""

    codes: Codes
    labels: list[str]
    order: Codes
    starts: Codes
    ends: Codes

    @classmethod
    def of(cls, codes: Codes, labels: list[str]) -> Grouping:
        order = np.argsort(codes, kind="stable")
        ordered = codes[order]
        keys = np.arange(len(labels))
        starts = np.searchsorted(ordered, keys)
        return cls(codes, labels, order, starts, np.searchsorted(ordered, keys, side="right"))

    @property
    def counts(self) -> Fen:
        return (self.ends - self.starts).astype(np.int64)

    def sums(self, values: Fen) -> Fen:
        """The sum of ``values`` in each group, exactly, in int64."""
        csum = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(values[self.order], dtype=np.int64, out=csum[1:])
        return (csum[self.ends] - csum[self.starts]).astype(np.int64)


def group_sums(codes: Codes, groups: int, values: Iterable[Fen]) -> tuple[Fen, list[Fen]]:
    """Row counts and sums of each array per code ``0..groups-1``, exactly, in int64."""
    g = Grouping.of(codes, [str(i) for i in range(groups)])
    return g.counts, [g.sums(v) for v in values]


@dataclass
class Breakdown:
    """Claims and amounts (fen) of one slice: a hospital level, a group, a medical type."""

    claims: int = 0
    amounts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AMOUNTS, 0))

    def merged(self, other: Breakdown) -> Breakdown:
        return Breakdown(
            self.claims + other.claims,
            {k: self.amounts[k] + other.amounts[k] for k in AMOUNTS},
        )


def _merge_maps(a: Mapping[str, Breakdown], b: Mapping[str, Breakdown]) -> dict[str, Breakdown]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out[key].merged(value) if key in out else value
    return dict(sorted(out.items()))


def _merge_counts(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return dict(sorted(out.items()))


@dataclass
class Summary:
    """Totals of one policy's settlement of a set of claims (every amount in fen)."""

    policy: str
    claims: int = 0
    persons: int = 0
    totals: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AMOUNTS, 0))
    by_level: dict[str, Breakdown] = field(default_factory=dict)
    by_group: dict[str, Breakdown] = field(default_factory=dict)
    by_med_type: dict[str, Breakdown] = field(default_factory=dict)
    ineligible: dict[str, int] = field(default_factory=dict)  # reason -> claims
    capped_claims: int = 0
    capped_persons: int = 0
    fallback_rows: int = 0

    def merged(self, other: Summary) -> Summary:
        """The summary of both sets of claims (their persons must not overlap)."""
        return Summary(
            policy=self.policy,
            claims=self.claims + other.claims,
            persons=self.persons + other.persons,
            totals={k: self.totals[k] + other.totals[k] for k in AMOUNTS},
            by_level=_merge_maps(self.by_level, other.by_level),
            by_group=_merge_maps(self.by_group, other.by_group),
            by_med_type=_merge_maps(self.by_med_type, other.by_med_type),
            ineligible=_merge_counts(self.ineligible, other.ineligible),
            capped_claims=self.capped_claims + other.capped_claims,
            capped_persons=self.capped_persons + other.capped_persons,
            fallback_rows=self.fallback_rows + other.fallback_rows,
        )


@dataclass
class PersonTotals:
    """One entry per person: what the claims cost and what the person paid (fen)."""

    medfee: Fen
    paid: Fen  # psn_part_amt: account + cash

    @classmethod
    def empty(cls) -> PersonTotals:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64))

    @staticmethod
    def concat(parts: Iterable[PersonTotals]) -> PersonTotals:
        items = list(parts)
        if not items:
            return PersonTotals.empty()
        return PersonTotals(
            np.concatenate([p.medfee for p in items]), np.concatenate([p.paid for p in items])
        )


def _codes(column: pa.ChunkedArray | pa.Array) -> tuple[Codes, list[str]]:
    """Integer codes and their labels for a string column (labels in first-seen order)."""
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    labels = [str(x) for x in encoded.dictionary.to_pylist()]
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), labels


def _breakdown(g: Grouping, result: BatchResult) -> dict[str, Breakdown]:
    counts = g.counts
    sums = [g.sums(getattr(result, a)) for a in AMOUNTS]
    return {
        g.labels[i]: Breakdown(int(counts[i]), {a: int(sums[j][i]) for j, a in enumerate(AMOUNTS)})
        for i in sorted(range(len(g.labels)), key=lambda i: g.labels[i])
        if counts[i]
    }


@dataclass(frozen=True)
class RowKeys:
    """How a table's rows group: by person, hospital level, group and medical type (built once
    per table, used for the baseline and the reform)."""

    person: Grouping
    level: Grouping
    group: Grouping
    med_type: Grouping

    @classmethod
    def of(cls, table: pa.Table) -> RowKeys:
        levels = table.column("hospital_level").to_numpy().astype(np.int64) - 1
        return cls(
            person=Grouping.of(*_codes(table.column("person_id"))),
            level=Grouping.of(levels, ["1", "2", "3"]),
            group=Grouping.of(*_codes(table.column("group"))),
            med_type=Grouping.of(*_codes(table.column("med_type"))),
        )


def summarize(keys: RowKeys, result: BatchResult, policy: str) -> tuple[Summary, PersonTotals]:
    """The summary of one table's settlement and each person's totals (persons in order of
    first appearance in the table)."""
    reasons = result.reason[~result.eligible]
    ineligible: dict[str, int] = {}
    if len(reasons):
        names, counts = np.unique(reasons.astype(str), return_counts=True)
        ineligible = {str(n): int(c) for n, c in zip(names.tolist(), counts.tolist(), strict=True)}
    persons = len(keys.person.labels)
    capped_people = np.zeros(persons, dtype=np.bool_)
    capped_people[keys.person.codes[result.capped]] = True
    summary = Summary(
        policy=policy,
        claims=len(result),
        persons=persons,
        totals={a: int(getattr(result, a).sum(dtype=np.int64)) for a in AMOUNTS},
        by_level=_breakdown(keys.level, result),
        by_group=_breakdown(keys.group, result),
        by_med_type=_breakdown(keys.med_type, result),
        ineligible=ineligible,
        capped_claims=int(result.capped.sum()),
        capped_persons=int(capped_people.sum()),
        fallback_rows=result.fallback_rows,
    )
    people = PersonTotals(
        keys.person.sums(result.medfee_sumamt), keys.person.sums(result.psn_part_amt)
    )
    return summary, people


__all__ = [
    "AMOUNTS",
    "Breakdown",
    "Grouping",
    "PersonTotals",
    "RowKeys",
    "Summary",
    "group_sums",
    "summarize",
]
