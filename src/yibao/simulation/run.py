"""Running a simulation: one partition of persons at a time, then merging.

:func:`run_partition` settles one partition's claims of the baseline policy (and, with a reform,
again under the reform) and returns a :class:`PartitionOutcome`. The local run
(:func:`run_local`) cuts its input into partitions of whole persons and merges their outcomes;
the Dask run (``simulation/distributed.py``) calls the same function on each file of a
directory partitioned by person and merges the same way, so both give the same result to
the cent.

Claims of other policies than the baseline are left out (not settled) and counted in
``skipped_claims``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.claims import ClaimError, read_claims
from yibao.batch.engine import prepare_claims, settle_prepared
from yibao.batch.result import BatchResult
from yibao.rules.policy import Policy
from yibao.rules.registry import PolicyRegistry
from yibao.simulation.summary import PersonTotals, RowKeys, Summary, summarize
from yibao.simulation.units import batched, plan_units, read_unit

CHUNK_ROWS = 250_000
Rows = npt.NDArray[np.int64]  # claims per partition of the local run (whole persons)


@dataclass
class PartitionOutcome:
    """One partition's result; partitions with disjoint persons merge with :meth:`merge`."""

    baseline: Summary
    reform: Summary | None
    baseline_persons: PersonTotals
    reform_persons: PersonTotals | None  # aligned with baseline_persons
    skipped_claims: int = 0  # claims of other policies, not settled

    @staticmethod
    def merge(outcomes: Iterable[PartitionOutcome]) -> PartitionOutcome:
        """The outcome of all partitions, in the order given."""
        items = list(outcomes)
        if not items:
            raise ValueError("没有可合并的结果")
        baseline = items[0].baseline
        reform = items[0].reform
        for o in items[1:]:
            baseline = baseline.merged(o.baseline)
            if reform is not None and o.reform is not None:
                reform = reform.merged(o.reform)
        with_reform = reform is not None
        return PartitionOutcome(
            baseline=baseline,
            reform=reform,
            baseline_persons=PersonTotals.concat(o.baseline_persons for o in items),
            reform_persons=PersonTotals.concat(
                o.reform_persons for o in items if o.reform_persons is not None
            )
            if with_reform
            else None,
            skipped_claims=sum(o.skipped_claims for o in items),
        )


class ReformError(ValueError):
    """The reform cannot settle a claim the baseline settles (e.g. a group or a date it does
    not cover); carries the claim's error."""

    def __init__(self, reform: str, error: ClaimError) -> None:
        self.reform = reform
        self.error = error
        super().__init__(f"改革方案 {reform} 无法结算{error}")


def _policy_rows(table: pa.Table, policy: str) -> Rows | None:
    """The positions of ``policy``'s rows, or None when every row is of it."""
    keep = pc.equal(table.column("policy"), pa.scalar(policy, pa.string()))
    if (pc.sum(keep).as_py() or 0) == table.num_rows:
        return None
    return np.flatnonzero(keep.to_numpy(zero_copy_only=False)).astype(np.int64)


def select_policy(table: pa.Table, policy: str) -> tuple[pa.Table, int]:
    """The rows of ``policy`` and how many rows of other policies were left out."""
    rows = _policy_rows(table, policy)
    if rows is None:  # the usual case: no copy of the table
        return table, 0
    return table.take(pa.array(rows)), table.num_rows - len(rows)


def _renumbered(error: ClaimError, *maps: Rows | None) -> ClaimError:
    """The error with its row counted in the input: each map sends a row of a selection to
    its position in what it was selected from (None: the same position)."""
    row = error.row - 1
    for positions in maps:
        if positions is not None and 0 <= row < len(positions):
            row = int(positions[row])
    return ClaimError(row + 1, error.field, error.message)


def run_partition(
    source: str | Path | pa.Table,
    registry: PolicyRegistry,
    reform: Policy | None,
    *,
    policy: str,
    rows: Rows | None = None,
) -> PartitionOutcome:
    """Settle one partition (a claim table, or a file or directory to read) under the baseline
    ``policy`` and, with ``reform``, under the reform; every person must be whole in it.
    ``rows``: where this partition's rows sit in the input, so that an error names the input's
    row (None: the partition is the input)."""
    table = source if isinstance(source, pa.Table) else read_claims(source)
    kept = _policy_rows(table, policy)
    claims = table if kept is None else table.take(pa.array(kept))
    skipped = 0 if kept is None else table.num_rows - len(kept)
    if claims.num_rows == 0:  # nothing of this policy here
        keys = RowKeys.of(claims)
        base, base_people = summarize(keys, BatchResult.empty(0), policy)
        if reform is None:
            return PartitionOutcome(base, None, base_people, None, skipped)
        ref, ref_people = summarize(keys, BatchResult.empty(0), reform.id)
        return PartitionOutcome(base, ref, base_people, ref_people, skipped)
    try:
        prepared = prepare_claims(claims)  # the columns are read once for both settlements
        base_result = settle_prepared(prepared, registry)
    except ClaimError as exc:
        raise _renumbered(exc, kept, rows) from None
    keys = RowKeys.of(prepared.table)
    base, base_people = summarize(keys, base_result, policy)
    if reform is None:
        return PartitionOutcome(base, None, base_people, None, skipped)
    try:
        reform_result = settle_prepared(prepared, registry, replace={policy: reform})
    except ClaimError as exc:
        raise ReformError(reform.id, _renumbered(exc, kept, rows)) from None
    ref, ref_people = summarize(keys, reform_result, reform.id)
    return PartitionOutcome(base, ref, base_people, ref_people, skipped)


def person_pieces(
    table: pa.Table, rows_per_chunk: int = CHUNK_ROWS
) -> Iterator[tuple[pa.Table, Rows | None]]:
    """The table cut into pieces of about ``rows_per_chunk`` rows, each holding whole persons
    (rows keep their order within a piece), with the positions of each piece's rows in the
    table (None: the piece is the whole table)."""
    n = table.num_rows
    parts = max(1, -(-n // rows_per_chunk))
    if parts == 1:
        yield table, None
        return
    encoded = pc.dictionary_encode(table.column("person_id")).combine_chunks()
    person = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    chunk = person * parts // len(encoded.dictionary)
    order = np.arange(n, dtype=np.int64)
    if np.any(chunk[1:] < chunk[:-1]):  # persons are not grouped: gather each chunk's rows
        order = np.argsort(chunk, kind="stable").astype(np.int64)
        table, chunk = table.take(pa.array(order)), chunk[order]
    bounds = np.searchsorted(chunk, np.arange(parts + 1))
    for a, b in itertools.pairwise(bounds):
        if b > a:
            yield table.slice(int(a), int(b - a)), order[a:b]


def person_chunks(table: pa.Table, rows_per_chunk: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """:func:`person_pieces` without the positions."""
    for piece, _ in person_pieces(table, rows_per_chunk):
        yield piece


Progress = Callable[[int, int], None]  # (claims done, claims in all)


def _sources(
    source: str | Path | pa.Table, rows_per_chunk: int
) -> tuple[int, Iterator[tuple[int, pa.Table]]]:
    """The input's row count and its pieces of whole persons, each with the position of its
    first row in the input: a table or JSON Lines whole, Parquet one unit at a time."""
    if isinstance(source, pa.Table):
        return source.num_rows, iter([(0, source)])
    path = Path(source)
    if path.suffix == ".jsonl":
        table = read_claims(path)
        return table.num_rows, iter([(0, table)])
    if not path.exists():
        raise FileNotFoundError(f"找不到理赔数据文件：{path}")
    units = batched(plan_units(path), rows_per_chunk)
    if not units:
        raise ValueError(f"{path} 中没有 Parquet 文件")
    return sum(u.rows for u in units), ((u.first_row, read_unit(u)) for u in units)


def run_local(
    source: str | Path | pa.Table,
    registry: PolicyRegistry,
    reform: Policy | None,
    *,
    policy: str,
    progress: Progress | None = None,
    rows_per_chunk: int = CHUNK_ROWS,
) -> PartitionOutcome:
    """The whole simulation on this machine: the input cut into partitions of whole persons
    (a Parquet input is read one unit of row groups at a time, see :mod:`.units`), each run by
    :func:`run_partition`, the outcomes merged."""
    total, sources = _sources(source, rows_per_chunk)
    outcomes = []
    done = 0
    for offset, table in sources:
        kept = _policy_rows(table, policy)
        claims = table if kept is None else table.take(pa.array(kept))
        for piece, positions in person_pieces(claims, rows_per_chunk):
            local = np.arange(piece.num_rows, dtype=np.int64) if positions is None else positions
            where = offset + (local if kept is None else kept[local])  # rows in the input
            outcomes.append(run_partition(piece, registry, reform, policy=policy, rows=where))
            done += piece.num_rows
            if progress is not None:
                progress(done, total)
        skipped = 0 if kept is None else table.num_rows - len(kept)
        outcomes[-1].skipped_claims += skipped
        done += skipped
    if progress is not None:
        progress(done, total)
    return PartitionOutcome.merge(outcomes)


__all__ = [
    "PartitionOutcome",
    "ReformError",
    "person_chunks",
    "person_pieces",
    "run_local",
    "run_partition",
    "select_policy",
]
