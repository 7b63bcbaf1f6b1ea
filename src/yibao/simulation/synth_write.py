"""Writing synthetic claims block by block, so that a run of any size needs the memory of one
block: one Parquet file (a row group per block), JSON Lines, or a directory of Parquet files
split by person number (a person is never in two files)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from yibao.batch.claims import CLAIM_SCHEMA, table_to_cases
from yibao.simulation.arrow_build import Ints
from yibao.simulation.synth_table import partition_paths

Blocks = Iterable[tuple[pa.Table, Ints]]


def write_file(blocks: Blocks, path: Path) -> int:
    """One Parquet file, or JSON Lines when the name ends in ``.jsonl``; the rows written."""
    rows = 0
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as out:
            for table, _ in blocks:
                out.writelines(
                    json.dumps(c, ensure_ascii=False) + "\n" for c in table_to_cases(table)
                )
                rows += table.num_rows
        return rows
    with pq.ParquetWriter(path, CLAIM_SCHEMA) as writer:
        for table, _ in blocks:
            writer.write_table(table)
            rows += table.num_rows
    return rows


def write_partitions(blocks: Blocks, directory: Path, parts: int, persons: int) -> int:
    """``parts`` Parquet files in ``directory``: file ``k`` holds persons number
    ``k·persons/parts`` up to the next file's first; the rows written."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = partition_paths(directory, parts)
    writer: pq.ParquetWriter | None = None
    current = -1
    rows = 0
    try:
        for table, numbers in blocks:
            files = numbers * parts // persons
            bounds = np.searchsorted(files, np.arange(parts + 1))
            for k in range(parts):
                a, b = int(bounds[k]), int(bounds[k + 1])
                if b == a:
                    continue
                if k != current:
                    if writer is not None:
                        writer.close()
                    for skipped in range(current + 1, k):  # files no person fell into
                        pq.write_table(CLAIM_SCHEMA.empty_table(), paths[skipped])
                    writer, current = pq.ParquetWriter(paths[k], CLAIM_SCHEMA), k
                assert writer is not None
                writer.write_table(table.slice(a, b - a))
                rows += b - a
    finally:
        if writer is not None:
            writer.close()
    for k in range(current + 1, parts):
        pq.write_table(CLAIM_SCHEMA.empty_table(), paths[k])
    return rows
