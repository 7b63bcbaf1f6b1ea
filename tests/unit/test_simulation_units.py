"""A Parquet input is read a unit of row groups at a time, and gives the same answer as whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from yibao.batch.claims import ClaimError, cases_to_table, read_claims, table_to_cases
from yibao.rules.registry import builtin_registry
from yibao.simulation.report import report_data
from yibao.simulation.run import run_local
from yibao.simulation.synth_table import synth_claims
from yibao.simulation.synth_write import write_file
from yibao.simulation.units import plan_units, read_unit

POLICIES = ("nmg-employee", "national-employee")


def _blocks(persons: int = 240) -> list[tuple[pa.Table, np.ndarray]]:
    reg = builtin_registry()
    table = synth_claims([reg.policies[p] for p in POLICIES], 2025, persons, seed=11)
    numbers = np.array([int(p[1:]) for p in table.column("person_id").to_pylist()])
    # two blocks of whole persons, as synth writes them: one row group each
    cut = int(np.searchsorted(numbers, persons // 2))
    return [(table.slice(0, cut), numbers[:cut]), (table.slice(cut), numbers[cut:])]


def _persons(table: pa.Table) -> set[str]:
    return set(table.column("person_id").to_pylist())


def test_a_synth_file_has_one_unit_per_row_group_and_the_same_answer(tmp_path: Path) -> None:
    path = tmp_path / "c.parquet"
    write_file(_blocks(), path)
    units = plan_units(path)
    assert len(units) == pq.ParquetFile(path).metadata.num_row_groups == 2
    assert [u.first_row for u in units] == [0, units[0].rows]
    assert not (_persons(read_unit(units[0])) & _persons(read_unit(units[1])))
    reg = builtin_registry()
    for policy in POLICIES:
        streamed = run_local(path, reg, None, policy=policy)
        whole = run_local(read_claims(path), reg, None, policy=policy)
        assert report_data(streamed) == report_data(whole)


def test_persons_scattered_over_row_groups_are_kept_together(tmp_path: Path) -> None:
    table = pa.concat_tables([t for t, _ in _blocks()])
    order = np.random.default_rng(2).permutation(table.num_rows)
    path = tmp_path / "scattered.parquet"
    pq.write_table(table.take(pa.array(order)), path, row_group_size=50)
    units = plan_units(path)
    assert sum(u.rows for u in units) == table.num_rows
    seen: set[str] = set()
    for unit in units:
        persons = _persons(read_unit(unit))
        assert not (persons & seen)
        seen |= persons
    reg = builtin_registry()
    streamed = run_local(path, reg, None, policy="national-employee", rows_per_chunk=100)
    whole = run_local(read_claims(path), reg, None, policy="national-employee")
    assert report_data(streamed) == report_data(whole)


def test_an_error_in_a_later_unit_names_the_row_of_the_whole_input(tmp_path: Path) -> None:
    blocks = _blocks()
    second, numbers = blocks[1]
    cases = table_to_cases(second)
    bad = next(i for i, c in enumerate(cases) if c["policy"] == "national-employee" and i > 3)
    cases[bad]["encounter"]["hospital_level"] = 2
    cases[bad]["encounter"]["med_type"] = "maternity"  # national-employee pays no maternity
    cases[bad]["person"]["group"] = "student"  # and has no students
    path = tmp_path / "bad.parquet"
    write_file([blocks[0], (cases_to_table(cases), numbers)], path)
    with pytest.raises(ClaimError) as caught:
        run_local(path, builtin_registry(), None, policy="national-employee")
    assert caught.value.row == blocks[0][0].num_rows + bad + 1
    assert caught.value.field == "person.group"
