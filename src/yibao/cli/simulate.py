"""``yibao simulate``: settle a year of claims under a policy, and under a reform, and compare."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from yibao.domain.shown import shown
from yibao.rules.errors import PolicyError
from yibao.rules.policy import Policy
from yibao.rules.policy_loader import load_policy_file
from yibao.rules.registry import default_registry

if TYPE_CHECKING:
    import pyarrow as pa

    from yibao.simulation.run import PartitionOutcome

CLAIM_SUFFIXES = (".parquet", ".jsonl")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=code)


def _check_claims(path: Path) -> None:
    if not path.exists():
        raise _fail(f"--claims：找不到文件或目录：{path}")
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise _fail(f"--claims：目录 {path} 中没有 Parquet 文件")
        return
    if path.suffix not in CLAIM_SUFFIXES:
        raise _fail(
            f"--claims：应为 .parquet 或 .jsonl 文件（或 Parquet 文件的目录），实际是 {shown(path.name)}"
        )


def _reform(path: Path | None, baseline: Policy) -> Policy | None:
    if path is None:
        return None
    if not path.is_file():
        raise _fail(f"--reform：找不到政策文件：{path}")
    try:
        reform = load_policy_file(path)
    except PolicyError as exc:
        raise _fail(f"--reform：政策文件有误：{exc}") from None
    if reform.scheme != baseline.scheme:
        raise _fail(
            f"--reform：{path} 的险种是 {reform.scheme}，现行政策 {baseline.id} 是 "
            f"{baseline.scheme}，参保人类别不同，无法比较"
        )
    return reform


def _check_policy(claims: Path, policy: str) -> Path | pa.Table:
    """What the local run reads: the path (Parquet, read a unit at a time) or the whole table
    (JSON Lines); refused when the input has no claim of ``policy``."""
    import pyarrow as pa

    from yibao.batch.claims import ClaimError, read_claims
    from yibao.simulation.units import policy_counts

    source: Path | pa.Table = claims
    try:
        if claims.suffix == ".jsonl":
            source = read_claims(claims)
            counts = source.column("policy").value_counts().to_pylist()
            present = {str(c["values"]): int(c["counts"]) for c in counts}
        else:
            present = policy_counts(claims)  # the policy column alone
    except ClaimError as exc:
        raise _fail(f"--claims：{exc}", code=1) from None
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"--claims：无法读取 {claims}：{exc}", code=1) from None
    if policy not in present:
        found = "，".join(f"{p} {n:,} 条" for p, n in present.items()) or "没有任何记录"
        raise _fail(f"--policy：{claims} 中没有 {policy} 的记录（其中有：{found}）", code=1)
    return source


def _run(
    claims: Path,
    policy: str,
    reform: Policy | None,
    show_progress: bool,
    scheduler: str | None = None,
    workers: int | None = None,
) -> PartitionOutcome:
    """The local run reads the input a unit of whole persons at a time; a cluster run leaves
    the reading to its workers (the client never holds the claims) and checks afterwards that
    the policy had claims."""
    import pyarrow as pa
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from yibao.batch.claims import ClaimError
    from yibao.simulation.distributed import ClusterError, PartitionError, run_distributed
    from yibao.simulation.run import Progress as Advance
    from yibao.simulation.run import ReformError, run_local

    on_cluster = scheduler is not None or workers is not None
    source = None if on_cluster else _check_policy(claims, policy)
    registry = default_registry()

    def go(progress: Advance | None) -> PartitionOutcome:
        if source is not None:
            return run_local(source, registry, reform, policy=policy, progress=progress)
        outcome = run_distributed(
            claims,
            registry,
            reform,
            policy=policy,
            scheduler=scheduler,
            workers=workers,
            progress=progress,
        )
        if outcome.baseline.claims == 0:
            raise _fail(f"--policy：{claims} 中没有 {policy} 的记录", code=1)
        return outcome

    try:
        if not show_progress:
            return go(None)
        columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("结算中（分区）" if on_cluster else "结算中", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return go(advance)
    except ClaimError as exc:
        raise _fail(f"--claims：{exc}", code=1) from None
    except ReformError as exc:
        raise _fail(f"--reform：{exc}", code=1) from None
    except (ClusterError, PartitionError) as exc:
        raise _fail(str(exc), code=1) from None
    except (OSError, pa.ArrowException) as exc:
        raise _fail(f"--claims：无法读取 {claims}：{exc}", code=1) from None


def simulate_command(
    claims: Annotated[
        Path, typer.Option("--claims", help="就医记录：Parquet 文件或目录，或 .jsonl")
    ],
    policy: Annotated[str, typer.Option("--policy", help="现行政策 ID：只测算这项政策的记录")],
    reform: Annotated[
        Path | None, typer.Option("--reform", help="改革方案：政策 YAML 文件，代替现行政策结算")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="另存一份 HTML 报告（含图表，可离线打开）")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="在 Dask 集群上运行：调度器地址，如 tcp://10.0.0.5:8786；--claims 须为按参保人"
            "分区的 Parquet 目录（一人的记录只在一个文件中），各工作节点按同一路径可读",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="在本机启动 N 个 Dask 工作进程（各一个线程）运行；--claims 可为分区目录，"
            "也可为单个文件（先按参保人拆成 2N 个文件，放在临时目录）",
        ),
    ] = None,
) -> None:
    """政策测算：按现行政策（和改革方案）结算一年的就医记录，统计基金支付与个人负担。"""
    _check_claims(claims)
    baseline = default_registry().get(policy)
    if baseline is None:
        known = ", ".join(default_registry().ids())
        raise _fail(f"--policy：未知的医保政策 {shown(policy)}，可选：{known}")
    reform_policy = _reform(reform, baseline)
    if report is not None and (report.suffix != ".html" or not report.parent.is_dir()):
        raise _fail(f"--report：应为已有目录下的 .html 文件，实际是 {report}")
    if scheduler is not None and workers is not None:
        raise _fail("--scheduler 与 --workers 只能给出一个")
    if workers is not None and not 1 <= workers <= 1024:
        raise _fail(f"--workers：应为 1 到 1024 的整数，实际是 {workers}")
    show_progress = sys.stderr.isatty()
    outcome = _run(claims, policy, reform_policy, show_progress, scheduler, workers)
    from yibao.simulation.report import print_report, report_data

    reform_name = None if reform is None else str(reform)
    if report is not None:
        from yibao.simulation.report_html import write_html_report

        write_html_report(report, report_data(outcome, reform_name), reform_policy)
    if as_json:
        print(json.dumps(report_data(outcome, reform_name), ensure_ascii=False, indent=2))
        return
    from rich.console import Console

    label = None if reform_policy is None else f"{reform_policy.label}（{reform}）"
    # at least 120 columns when the output is not a terminal (a file, a pipe), so that the
    # tables are not cut to 80
    console = Console() if sys.stdout.isatty() else Console(width=120)
    print_report(console, outcome, label)
    if report is not None:
        print(f"HTML 报告：{report}")
