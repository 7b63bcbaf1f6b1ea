"""Reading a large Parquet input a piece at a time, never splitting a person.

A Parquet file is stored in row groups. A *unit* is a run of consecutive row groups (over the
files of a directory, in the order :func:`yibao.batch.claims.read_claims` reads them) that
holds every claim of each of its persons: a file written by ``yibao synth`` has one unit per
row group; a file whose persons are scattered all over has one unit, the whole input. Only the
``person_id`` column is read to find them, so the local run needs the memory of one unit, not
of the whole input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from yibao.batch.claims import conform


@dataclass(frozen=True)
class Unit:
    groups: tuple[tuple[Path, int], ...]  # (file, row group), in input order
    first_row: int  # where its first row sits in the whole input (from 0)
    rows: int


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of ``path`` in reading order (a file, or a directory's files)."""
    if path.is_dir():
        return sorted(f for f in path.rglob("*.parquet") if f.is_file())
    return [path]


def plan_units(path: Path) -> list[Unit]:
    """The input cut into units of whole persons (see the module's docstring)."""
    groups: list[tuple[Path, int]] = []
    sizes: list[int] = []
    ids = []
    for f in parquet_files(path):
        meta = pq.ParquetFile(f).metadata
        for g in range(meta.num_row_groups):
            groups.append((f, g))
            sizes.append(meta.row_group(g).num_rows)
        ids.append(pq.read_table(f, columns=["person_id"]).column("person_id"))
    if not groups:
        return []
    persons = pc.dictionary_encode(
        pa.chunked_array([c for col in ids for c in col.chunks], pa.string())
    )
    codes = np.concatenate(
        [c.indices.to_numpy(zero_copy_only=False) for c in persons.chunks]
    ).astype(np.int64)
    group_of_row = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
    last = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=np.int64)
    np.maximum.at(last, codes, group_of_row)
    # reach[g]: the last row group holding a person of row group g
    reach = np.arange(len(groups), dtype=np.int64)
    non_empty = np.flatnonzero(np.asarray(sizes) > 0)
    if len(codes):
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[non_empty]
        reach[non_empty] = np.maximum.reduceat(last[codes], starts)
    units, g, row = [], 0, 0
    while g < len(groups):
        end = int(reach[g])
        k = g
        while k <= end:
            end = max(end, int(reach[k]))
            k += 1
        rows = int(sum(sizes[g:k]))
        units.append(Unit(tuple(groups[g:k]), row, rows))
        g, row = k, row + rows
    return units


def batched(units: list[Unit], rows: int) -> list[Unit]:
    """Consecutive units joined while they hold at most ``rows`` claims together (a unit
    larger than that stays alone): fewer, larger pieces for the engine."""
    out: list[Unit] = []
    for unit in units:
        last = out[-1] if out else None
        if last is not None and last.rows + unit.rows <= rows:
            out[-1] = Unit(last.groups + unit.groups, last.first_row, last.rows + unit.rows)
        else:
            out.append(unit)
    return out


def read_unit(unit: Unit) -> pa.Table:
    """The unit's claims, in ``CLAIM_SCHEMA``."""
    by_file: dict[Path, list[int]] = {}
    for f, g in unit.groups:
        by_file.setdefault(f, []).append(g)
    tables = [pq.ParquetFile(f).read_row_groups(gs) for f, gs in by_file.items()]
    return conform(pa.concat_tables([conform(t) for t in tables]))


def policy_counts(path: Path) -> dict[str, int]:
    """How many claims each policy has, from the ``policy`` column alone."""
    counts: dict[str, int] = {}
    for f in parquet_files(path):
        column = pq.read_table(f, columns=["policy"]).column("policy")
        for entry in column.value_counts().to_pylist():
            key = str(entry["values"])
            counts[key] = counts.get(key, 0) + int(entry["counts"])
    return counts


__all__ = [
    "Unit",
    "batched",
    "parquet_files",
    "plan_units",
    "policy_counts",
    "read_unit",
]
