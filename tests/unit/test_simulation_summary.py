"""Summaries merge exactly: a run cut into partitions of persons equals the run in one piece."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from yibao.batch.claims import ClaimError, cases_to_table, table_to_cases
from yibao.rules.policy_loader import load_policy_file
from yibao.rules.registry import builtin_registry
from yibao.simulation.compare import compare, decile_rows, nearest_rank
from yibao.simulation.report import mean_yuan, report_data, yuan
from yibao.simulation.run import PartitionOutcome, person_chunks, run_local, run_partition
from yibao.simulation.summary import PersonTotals, group_sums
from yibao.simulation.synth_table import synth_claims

REFORM = Path(__file__).resolve().parents[2] / "examples/reforms/nmg-level3-deductible-600.yaml"


def _claims() -> pa.Table:
    reg = builtin_registry()
    return synth_claims([reg.policies["nmg-employee"]], 2025, 400, seed=3)


def test_partitions_of_persons_merge_to_the_same_result_as_one_piece() -> None:
    table = _claims()
    reg = builtin_registry()
    reform = load_policy_file(REFORM)
    whole = run_partition(table, reg, reform, policy="nmg-employee")
    pieces = run_local(table, reg, reform, policy="nmg-employee", rows_per_chunk=60)
    assert len(list(person_chunks(table, 60))) > 3
    assert report_data(pieces) == report_data(whole)


def test_the_local_run_reports_its_progress_partition_by_partition() -> None:
    table = _claims()
    seen: list[tuple[int, int]] = []
    run_local(
        table,
        builtin_registry(),
        None,
        policy="nmg-employee",
        rows_per_chunk=100,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert len(seen) > 2
    assert [t for _, t in seen] == [table.num_rows] * len(seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1][0] == table.num_rows


def test_a_partition_without_claims_of_the_policy_merges_as_nothing() -> None:
    table = _claims()
    reg = builtin_registry()
    reform = load_policy_file(REFORM)
    empty = run_partition(table.slice(0, 0), reg, reform, policy="nmg-employee")
    other = run_partition(table, reg, None, policy="taiyuan-resident")
    assert (empty.baseline.claims, empty.baseline.persons) == (0, 0)
    assert (other.baseline.claims, other.skipped_claims) == (0, table.num_rows)
    whole = run_partition(table, reg, reform, policy="nmg-employee")
    merged = PartitionOutcome.merge([empty, whole, empty])
    assert report_data(merged) == report_data(whole)


def test_shuffled_rows_give_the_same_result() -> None:
    table = _claims()
    reg = builtin_registry()
    order = np.random.default_rng(1).permutation(table.num_rows)
    shuffled = table.take(pa.array(order))
    a = run_local(table, reg, None, policy="nmg-employee", rows_per_chunk=70)
    b = run_local(shuffled, reg, None, policy="nmg-employee", rows_per_chunk=70)
    assert report_data(a) == report_data(b)


def test_person_chunks_never_split_a_person_even_when_rows_are_mixed() -> None:
    ids = ["p1", "p2", "p1", "p3", "p2", "p4", "p1", "p5"]
    table = pa.table({"person_id": ids, "row": list(range(len(ids)))})
    chunks = list(person_chunks(table, 3))
    seen: dict[str, int] = {}
    for i, chunk in enumerate(chunks):
        for person in chunk.column("person_id").to_pylist():
            assert seen.setdefault(person, i) == i
    rows = sorted(r for c in chunks for r in c.column("row").to_pylist())
    assert rows == list(range(len(ids)))
    # within a chunk the rows keep their order (a person's ties by date stay in file order)
    for chunk in chunks:
        order = chunk.column("row").to_pylist()
        assert order == sorted(order)


def test_an_error_names_the_row_of_the_input_not_of_the_partition() -> None:
    reg = builtin_registry()
    table = synth_claims(
        [reg.policies["nmg-employee"], reg.policies["taiyuan-resident"]], 2025, 300, 5
    )
    cases = table_to_cases(table)
    policies = [c["policy"] for c in cases]
    bad = len(policies) - 3  # a resident row near the end, after every employee row
    assert policies[bad] == "taiyuan-resident"
    assert "nmg-employee" in policies[:bad]
    cases[bad]["person"]["group"] = "retired"  # not a group of a resident scheme
    broken = cases_to_table(cases)
    with pytest.raises(ClaimError) as caught:
        run_local(broken, reg, None, policy="taiyuan-resident", rows_per_chunk=40)
    assert caught.value.row == bad + 1
    assert caught.value.field == "person.group"


def test_group_sums_are_exact_integers() -> None:
    codes = np.array([2, 0, 2, 2, 0], dtype=np.int64)
    big = np.array([2**52 + 1, 1, 2**52 + 1, 1, 3], dtype=np.int64)
    counts, (sums,) = group_sums(codes, 4, [big])
    assert counts.tolist() == [2, 0, 3, 0]
    assert sums.tolist() == [4, 0, 2**53 + 3, 0]


def test_winners_losers_and_deciles_are_counted_in_fen() -> None:
    base = PersonTotals(
        medfee=np.array([100, 900, 500, 300, 700], dtype=np.int64),
        paid=np.array([50, 400, 200, 100, 300], dtype=np.int64),
    )
    reform = PersonTotals(base.medfee, np.array([50, 390, 201, 100, 280], dtype=np.int64))
    c = compare(base, reform)
    assert (c.winners, c.losers, c.unchanged, c.change) == (2, 1, 2, -29)
    assert c.affected_deciles[0] == -20
    assert c.affected_deciles[-1] == 1
    rows = decile_rows(base, reform)
    assert [r.persons for r in rows] == [1, 1, 1, 1, 1]
    assert [r.medfee for r in rows] == [100, 300, 500, 700, 900]
    assert [r.change for r in rows] == [0, 0, 1, -20, -10]


def test_nearest_rank_and_money_strings() -> None:
    values = np.arange(1, 11, dtype=np.int64)
    assert [nearest_rank(values, k) for k in (1, 5, 9)] == [1, 5, 9]
    assert yuan(123456) == "1234.56"
    assert yuan(-5) == "-0.05"
    assert yuan(0) == "0.00"
    assert mean_yuan(100, 3) == "0.33"
    assert mean_yuan(-50, 2) == "-0.25"
    assert mean_yuan(1, 2) == "0.01"


def test_the_totals_are_what_the_scalar_engine_pays_claim_by_claim() -> None:
    from collections import defaultdict
    from decimal import Decimal

    from yibao.batch.scalar import parse_row
    from yibao.rules.chain import settle_chain

    reg = builtin_registry()
    policies = [reg.policies[p] for p in ("taiyuan-resident", "national-employee")]
    table = synth_claims(policies, 2025, 160, seed=21)
    cases = table_to_cases(table)
    by_person: dict[str, list[int]] = defaultdict(list)
    for row, case in enumerate(cases):
        if case["policy"] == "national-employee":
            by_person[str(case["person_id"])].append(row)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    by_level: dict[str, Decimal] = defaultdict(Decimal)
    for rows in by_person.values():
        rows.sort(key=lambda r: str(cases[r]["date"]))
        parsed = [parse_row(r, cases[r], reg) for r in rows]
        for row, result in zip(rows, settle_chain(parsed), strict=True):
            for field in (
                "medfee_sumamt",
                "hifp_pay",
                "hifmi_pay",
                "fund_pay_sumamt",
                "acct_pay",
                "psn_cash_pay",
            ):
                totals[field] += getattr(result, field)
            by_level[str(cases[row]["encounter"]["hospital_level"])] += result.fund_pay_sumamt
    data = report_data(run_local(table, reg, None, policy="national-employee", rows_per_chunk=90))
    base = data["baseline"]
    assert base["totals"] == {k: f"{v:.2f}" for k, v in totals.items()}
    assert {k: v["fund_pay_sumamt"] for k, v in base["by_hospital_level"].items()} == {
        k: f"{v:.2f}" for k, v in sorted(by_level.items())
    }
    assert base["persons"] == len(by_person)
    assert base["skipped_claims"] == sum(1 for c in cases if c["policy"] != "national-employee")
