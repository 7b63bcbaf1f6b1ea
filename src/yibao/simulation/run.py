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
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.claims import read_claims
from yibao.batch.engine import prepare_claims, settle_prepared
from yibao.rules.policy import Policy
from yibao.rules.registry import PolicyRegistry
from yibao.simulation.summary import PersonTotals, RowKeys, Summary, summarize

CHUNK_ROWS = 250_000  # claims per partition of the local run (whole persons)


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


def select_policy(table: pa.Table, policy: str) -> tuple[pa.Table, int]:
    """The rows of ``policy`` and how many rows of other policies were left out."""
    keep = pc.equal(table.column("policy"), pa.scalar(policy, pa.string()))
    kept = pc.sum(keep).as_py() or 0
    if kept == table.num_rows:  # the usual case: no copy of the table
        return table, 0
    return table.filter(keep), table.num_rows - kept


def run_partition(
    source: str | Path | pa.Table,
    registry: PolicyRegistry,
    reform: Policy | None,
    *,
    policy: str,
) -> PartitionOutcome:
    """Settle one partition (a claim table, or a file or directory to read) under the baseline
    ``policy`` and, with ``reform``, under the reform; every person must be whole in it."""
    table = source if isinstance(source, pa.Table) else read_claims(source)
    claims, skipped = select_policy(table, policy)
    prepared = prepare_claims(claims)  # the columns are read once for both settlements
    base_result = settle_prepared(prepared, registry)
    keys = RowKeys.of(prepared.table)
    base, base_people = summarize(keys, base_result, policy)
    if reform is None:
        return PartitionOutcome(base, None, base_people, None, skipped)
    reform_result = settle_prepared(prepared, registry, replace={policy: reform})
    ref, ref_people = summarize(keys, reform_result, reform.id)
    return PartitionOutcome(base, ref, base_people, ref_people, skipped)


def person_chunks(table: pa.Table, rows_per_chunk: int = CHUNK_ROWS) -> Iterator[pa.Table]:
    """The table cut into pieces of about ``rows_per_chunk`` rows, each holding whole persons
    (rows keep their order within a piece)."""
    n = table.num_rows
    parts = max(1, -(-n // rows_per_chunk))
    if parts == 1:
        yield table
        return
    encoded = pc.dictionary_encode(table.column("person_id")).combine_chunks()
    person = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    chunk = person * parts // len(encoded.dictionary)
    if np.any(chunk[1:] < chunk[:-1]):  # persons are not grouped: gather each chunk's rows
        order = np.argsort(chunk, kind="stable")
        table, chunk = table.take(pa.array(order)), chunk[order]
    bounds = np.searchsorted(chunk, np.arange(parts + 1))
    for a, b in itertools.pairwise(bounds):
        if b > a:
            yield table.slice(int(a), int(b - a))


Progress = Callable[[int, int], None]  # (claims done, claims in all)


def run_local(
    source: str | Path | pa.Table,
    registry: PolicyRegistry,
    reform: Policy | None,
    *,
    policy: str,
    progress: Progress | None = None,
    rows_per_chunk: int = CHUNK_ROWS,
) -> PartitionOutcome:
    """The whole simulation on this machine: the input cut into partitions of whole persons,
    each run by :func:`run_partition`, the outcomes merged."""
    table = source if isinstance(source, pa.Table) else read_claims(source)
    claims, skipped = select_policy(table, policy)
    outcomes = []
    done = 0
    for piece in person_chunks(claims, rows_per_chunk):
        outcomes.append(run_partition(piece, registry, reform, policy=policy))
        done += piece.num_rows
        if progress is not None:
            progress(done, claims.num_rows)
    if not outcomes:
        outcomes.append(run_partition(claims, registry, reform, policy=policy))
    merged = PartitionOutcome.merge(outcomes)
    merged.skipped_claims = skipped
    return merged


__all__ = ["PartitionOutcome", "person_chunks", "run_local", "run_partition", "select_policy"]
