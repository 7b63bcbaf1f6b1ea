"""The simulation on a Dask cluster: one task per Parquet file of a directory partitioned by
person (a person's claims are all in one file), each task ``run_partition`` on a worker, the
outcomes merged on the client exactly as the single-machine run merges them — in file order,
with integer fen — so the results are identical to the cent.

``--scheduler ADDRESS`` connects to a running cluster (``dask scheduler`` and ``dask worker``
processes; the workers need yibao installed at the same version and the claim files at the
same path, e.g. a shared file system). ``--workers N`` starts a local cluster of N worker
processes with one thread each and no dashboard, and stops it at the end.

The policies travel as data: the registry (and the reform policy) are pickled once, sent to
every worker, and the tasks use those objects, so a worker never reads a policy file of its
own and cannot settle with a different version of a policy than the client loaded.

See docs/simulation-scale.md for how a province-sized run is laid out.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.claims import ClaimError, read_claims, write_claims
from yibao.rules.policy import Policy
from yibao.rules.registry import PolicyRegistry
from yibao.simulation.run import PartitionOutcome, Progress, ReformError, run_partition

if TYPE_CHECKING:
    from distributed import Client


CONNECT_TIMEOUT = "10s"
# Dask's nanny starts its workers with MALLOC_TRIM_THRESHOLD_=65536, so that freed memory goes
# back to the system at once. The engine frees and allocates large numpy arrays all the time;
# with that setting each one faults its pages in afresh: on this machine 4× the kernel time and
# 2-3× the wall time of the same partition in a plain process. The local cluster leaves glibc's
# own adaptive threshold (docs/simulation-scale.md says how to do the same on a real cluster).
TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"


class ClusterError(ValueError):
    """The cluster options or the input cannot make a distributed run (message in Chinese)."""


def partition_files(directory: Path) -> list[Path]:
    """The Parquet files of a person-partitioned directory and its subdirectories (as
    ``read_claims`` reads them), in path order (the merge order)."""
    if not directory.is_dir():
        raise ClusterError(f"--claims：{directory} 不是目录")
    files = sorted(p for p in directory.rglob("*.parquet") if p.is_file())
    if not files:
        raise ClusterError(f"--claims：目录 {directory} 中没有 .parquet 文件")
    return files


def split_by_person(table: pa.Table, parts: int, directory: Path) -> list[Path]:
    """Write ``table`` as ``parts`` Parquet files in ``directory``, each person's claims whole
    in one file (persons dealt out in order of first appearance), rows in file order."""
    if parts < 1:
        raise ClusterError("分区数必须至少为 1")
    codes = pc.dictionary_encode(table.column("person_id")).combine_chunks().indices
    part = codes.to_numpy(zero_copy_only=False).astype(np.int64) % parts
    files = []
    for k in range(parts):
        path = directory / f"part-{k:05d}.parquet"
        write_claims(table.filter(pa.array(part == k)), path)
        files.append(path)
    return files


@contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A ``distributed.Client``: connected to ``scheduler``, or to a new local cluster of
    ``workers`` single-threaded worker processes without a dashboard (stopped on exit)."""
    import dask
    from distributed import Client, LocalCluster

    if (scheduler is None) == (workers is None):
        raise ClusterError("请给出 --scheduler ADDRESS 或 --workers N 之一")
    if scheduler is not None:
        try:
            remote = Client(scheduler, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"--scheduler：无法连接 Dask 调度器 {scheduler}：{exc}") from None
        with remote as client:
            yield client
        return
    if workers is None or workers < 1:
        raise ClusterError("--workers：至少 1 个工作进程")
    with (
        dask.config.set({TRIM_SETTING: None}),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            # no dashboard; the scheduler's small HTTP server (health, metrics) on a free
            # port of the loopback rather than on 8787, which another cluster may hold
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


class PartitionError(ValueError):
    """A partition could not be run: ``option`` is the command-line option to blame
    (``--claims`` or ``--reform``), ``message`` names the file, the row and the field.
    (Plain arguments, so that it travels back from a worker.)"""

    def __init__(self, option: str, message: str) -> None:
        self.option = option
        self.message = message
        super().__init__(option, message)

    def __str__(self) -> str:
        return f"{self.option}：{self.message}"


def _run_file(
    path: str, registry: PolicyRegistry, reform: Policy | None, policy: str
) -> PartitionOutcome:
    """One task on a worker: the file's claims settled and summarised. Errors name the whole
    path (a nested layout may repeat file names)."""
    try:
        return run_partition(Path(path), registry, reform, policy=policy)
    except ReformError as exc:
        raise PartitionError("--reform", f"{path}：{exc}") from None
    except ClaimError as exc:
        raise PartitionError("--claims", f"{path}：{exc}") from None
    except (OSError, pa.ArrowException) as exc:
        raise PartitionError("--claims", f"无法读取 {path}：{exc}") from None


def run_on_cluster(
    client: Client,
    files: Sequence[Path],
    registry: PolicyRegistry,
    reform: Policy | None,
    *,
    policy: str,
    progress: Progress | None = None,
) -> PartitionOutcome:
    """Run every file as a task on the cluster of ``client``; merge the outcomes in file
    order, as :func:`run_local` merges its partitions."""
    from distributed import as_completed

    shipped = client.scatter(  # type: ignore[no-untyped-call]
        {"registry": registry, "reform": reform}, broadcast=True
    )
    futures = [
        client.submit(
            _run_file,
            str(path),
            shipped["registry"],
            shipped["reform"],
            policy,
            key=f"yibao-partition-{i}-{path.name}",
            pure=False,
            retries=2,
        )
        for i, path in enumerate(files)
    ]
    position = {future.key: i for i, future in enumerate(futures)}
    outcomes: list[PartitionOutcome | None] = [None] * len(futures)
    for done, future in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
        outcomes[position[future.key]] = future.result()
        future.release()
        if progress is not None:
            progress(done, len(futures))
    return PartitionOutcome.merge(o for o in outcomes if o is not None)


def run_distributed(
    claims: Path,
    registry: PolicyRegistry,
    reform: Policy | None,
    *,
    policy: str,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> PartitionOutcome:
    """The simulation of ``claims`` under ``policy`` (and ``reform``) on a Dask cluster.

    ``claims`` is a directory of Parquet files partitioned by person. With ``workers`` (a
    local cluster) a single file (Parquet or JSON Lines) is also accepted: it is split by
    person into ``2 × workers`` files in a temporary directory first. A remote cluster
    (``scheduler``) needs the directory, at a path its workers can read.
    ``progress(files done, files in all)`` is called as partitions finish.
    """
    if (scheduler is None) == (workers is None):
        raise ClusterError("请给出 --scheduler ADDRESS 或 --workers N 之一")
    if claims.is_dir():
        files = partition_files(claims.resolve())  # workers elsewhere need the whole path
        with dask_client(scheduler, workers) as client:
            return run_on_cluster(client, files, registry, reform, policy=policy, progress=progress)
    if scheduler is not None:
        raise ClusterError(
            f"--claims：使用 --scheduler 时须给出按参保人分区的 Parquet 目录（工作节点可读的路径），"
            f"{claims} 是单个文件；可用 yibao synth --partitions K --out DIR 生成分区目录"
        )
    if not claims.is_file():
        raise ClusterError(f"--claims：找不到 {claims}")
    table = read_claims(claims)
    with tempfile.TemporaryDirectory(prefix="yibao-partitions-") as tmp:
        files = split_by_person(table, 2 * (workers or 1), Path(tmp))
        del table
        with dask_client(scheduler, workers) as client:
            return run_on_cluster(client, files, registry, reform, policy=policy, progress=progress)
