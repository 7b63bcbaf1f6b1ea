"""The simulation on a Dask cluster gives the single-machine results to the cent.

One test starts a real 2-worker LocalCluster (processes, one thread each, no dashboard); the
module is one xdist group so that its cluster never starts twice in parallel shards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client
from typer.testing import CliRunner

from yibao.batch.claims import cases_to_table, read_claims, table_to_cases, write_claims
from yibao.cli import app
from yibao.rules.policy_loader import load_policy_file
from yibao.rules.registry import builtin_registry
from yibao.simulation import distributed
from yibao.simulation.distributed import (
    ClusterError,
    PartitionError,
    dask_client,
    partition_files,
    run_distributed,
    split_by_person,
)
from yibao.simulation.report import report_data
from yibao.simulation.run import run_local
from yibao.simulation.synth_table import synth_claims

pytestmark = pytest.mark.xdist_group("dask")
ROOT = Path(__file__).resolve().parents[2]
REFORM = ROOT / "examples" / "reforms" / "nmg-level3-deductible-600.yaml"
POLICY = "nmg-employee"


def synthetic(persons: int, seed: int) -> pa.Table:
    """A year of claims of nmg-employee and taiyuan-resident persons, rows shuffled so that a
    person's claims are neither together nor in date order."""
    registry = builtin_registry()
    policies = [registry.get(POLICY), registry.get("taiyuan-resident")]
    table = synth_claims([p for p in policies if p is not None], 2025, persons, seed)
    order = np.random.default_rng(seed).permutation(table.num_rows)
    return table.take(pa.array(order))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """One real local cluster for the module: 2 worker processes, one thread each."""
    with dask_client(None, 2) as c:
        yield c


@pytest.fixture
def shared_cluster(client: Client, monkeypatch: pytest.MonkeyPatch) -> Client:
    """Every run in the test uses the module's cluster instead of starting its own."""

    @contextmanager
    def reuse(scheduler: str | None, workers: int | None) -> Iterator[Client]:
        assert (scheduler, workers) == (None, 2)
        yield client

    monkeypatch.setattr(distributed, "dask_client", reuse)
    return client


@pytest.fixture(scope="module")
def claims(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic claims as one JSON Lines file."""
    path = tmp_path_factory.mktemp("dask") / "claims.jsonl"
    write_claims(synthetic(800, seed=11), path)
    return path


def test_the_cluster_run_equals_the_local_run_to_the_cent(
    shared_cluster: Client, claims: Path, tmp_path: Path
) -> None:
    registry = builtin_registry()
    reform = load_policy_file(REFORM)
    split_by_person(read_claims(claims), 5, tmp_path)
    progress: list[tuple[int, int]] = []
    remote = run_distributed(
        tmp_path,
        registry,
        reform,
        policy=POLICY,
        workers=2,
        progress=lambda done, total: progress.append((done, total)),
    )
    local = run_local(claims, registry, reform, policy=POLICY)
    assert remote.baseline == local.baseline
    assert remote.reform == local.reform
    assert remote.skipped_claims == local.skipped_claims > 0
    assert report_data(remote, "r") == report_data(local, "r")
    assert remote.baseline.claims > 100
    assert remote.reform is not None
    assert remote.reform.totals["hifp_pay"] > remote.baseline.totals["hifp_pay"] > 0
    assert progress == [(k, 5) for k in range(1, 6)]


def test_simulate_with_workers_prints_what_the_local_run_prints(
    shared_cluster: Client, claims: Path
) -> None:
    def simulate(*extra: str) -> dict[str, object]:
        args = ["simulate", "--claims", str(claims), "--policy", POLICY, "--json"]
        result = CliRunner().invoke(app, [*args, "--reform", str(REFORM), *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    # a single file: split by person into 2 × 2 files in a temporary directory first
    assert simulate("--workers", "2") == simulate()


def test_an_error_on_a_worker_names_the_option_the_file_and_the_row(
    shared_cluster: Client, tmp_path: Path
) -> None:
    cases = [c for c in table_to_cases(synthetic(40, seed=5)) if c["policy"] == POLICY]
    cases[4]["person"]["group"] = "student"  # not a group of an employee scheme
    write_claims(cases_to_table(cases[:3]), tmp_path / "part-00000.parquet")
    write_claims(cases_to_table(cases[3:]), tmp_path / "part-00001.parquet")
    with pytest.raises(PartitionError) as caught:
        run_distributed(tmp_path, builtin_registry(), None, policy=POLICY, workers=2)
    assert caught.value.option == "--claims"
    assert "part-00001.parquet" in caught.value.message
    assert "第 2 行 person.group" in caught.value.message


def _persons_by_file(files: list[Path]) -> list[set[str]]:
    return [set(pq.read_table(f, columns=["person_id"]).column(0).to_pylist()) for f in files]


def test_split_by_person_keeps_each_person_whole_and_in_file_order(tmp_path: Path) -> None:
    table = synthetic(60, seed=7)
    files = split_by_person(table, 4, tmp_path)
    assert [f.name for f in files] == [f"part-{k:05d}.parquet" for k in range(4)]
    persons = _persons_by_file(files)
    assert all(persons), "every part has persons"
    for i, a in enumerate(persons):
        for b in persons[i + 1 :]:
            assert not a & b, "a person in two files"
    parts = [read_claims(f) for f in files]
    assert sum(p.num_rows for p in parts) == table.num_rows
    rows = table.to_pylist()
    for part in parts:
        ids = set(part.column("person_id").to_pylist())
        assert part.to_pylist() == [r for r in rows if r["person_id"] in ids]


def test_cluster_options_and_inputs_are_checked(tmp_path: Path) -> None:
    single = tmp_path / "claims.parquet"
    write_claims(synthetic(5, seed=3), single)
    with pytest.raises(ClusterError, match="--scheduler ADDRESS 或 --workers N"):
        dask_client(None, None).__enter__()
    with pytest.raises(ClusterError, match="--scheduler ADDRESS 或 --workers N"):
        dask_client("tcp://127.0.0.1:1", 2).__enter__()
    with pytest.raises(ClusterError, match="按参保人分区的 Parquet 目录"):
        run_distributed(single, builtin_registry(), None, policy=POLICY, scheduler="tcp://h:1")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ClusterError, match=r"没有 \.parquet 文件"):
        partition_files(empty)
    with pytest.raises(ClusterError, match="不是目录"):
        partition_files(single)
    for k in (1, 0):  # a nested (hive-style) layout: part=k/data.parquet
        (empty / f"part={k}").mkdir()
        write_claims(synthetic(3, seed=k), empty / f"part={k}" / "data.parquet")
    assert partition_files(empty) == [empty / f"part={k}" / "data.parquet" for k in (0, 1)]


def test_simulate_refuses_bad_cluster_options(tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    split_by_person(synthetic(20, seed=2), 2, parts)
    base = ["simulate", "--claims", str(parts), "--policy", POLICY]
    for extra, message in [
        (["--workers", "2", "--scheduler", "tcp://h:1"], "--scheduler 与 --workers 只能给出一个"),
        (["--workers", "0"], "--workers：应为 1 到 1024 的整数，实际是 0"),
        (["--scheduler", "no-port"], "--scheduler：无法连接 Dask 调度器 no-port"),
    ]:
        result = CliRunner().invoke(app, [*base, *extra])
        assert result.exit_code in (1, 2), result.output
        assert message in result.output
        assert "Traceback" not in result.output


def _trim_setting() -> str | None:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_keep_the_adaptive_malloc_trim(client: Client) -> None:
    """Dask's default (65536) makes every large array fault its pages in again."""
    assert list(client.run(_trim_setting).values()) == [None, None]
