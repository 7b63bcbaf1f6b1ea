"""``yibao synth``: write a synthetic population's year of claims (Parquet or JSON Lines)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from yibao.domain.shown import shown
from yibao.rules.policy import Policy
from yibao.rules.registry import default_registry

SUFFIXES = (".parquet", ".jsonl")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


def _policies(ids: list[str]) -> list[Policy]:
    reg = default_registry()
    out = []
    for pid in ids:
        policy = reg.get(pid)
        if policy is None:
            raise _fail(f"--policy：未知的医保政策 {shown(pid)}，可选：{', '.join(reg.ids())}")
        out.append(policy)
    return out


def synth_command(
    persons: Annotated[int, typer.Option("--persons", help="参保人数")],
    year: Annotated[int, typer.Option("--year", help="就医年度，如 2025")],
    policy: Annotated[
        list[str], typer.Option("--policy", help="医保政策 ID；可重复，参保人平均分配到各政策")
    ],
    out: Annotated[
        Path, typer.Option("--out", help="输出文件：.parquet 或 .jsonl；有 --partitions 时为目录")
    ],
    seed: Annotated[int, typer.Option("--seed", help="随机种子：相同参数与种子生成相同文件")] = 0,
    partitions: Annotated[
        int | None,
        typer.Option("--partitions", help="按参保人分成 K 个 Parquet 文件，写入 --out 目录"),
    ] = None,
) -> None:
    """生成模拟参保人群及其一年的就医记录（分布与来源见 docs/simulation.md）。"""
    if not 1900 <= year <= 2200:
        raise _fail(f"--year：年度应在 1900 到 2200 之间，实际是 {year}")
    if seed < 0:
        raise _fail(f"--seed：应为非负整数，实际是 {seed}")
    if partitions is not None:
        if not 1 <= partitions <= 100_000:
            raise _fail(f"--partitions：应为 1 到 100000 的整数，实际是 {partitions}")
        if out.exists() and not out.is_dir():
            raise _fail(f"--out：有 --partitions 时应为目录，{out} 是一个文件")
        if out.is_dir() and any(out.glob("*.parquet")):
            raise _fail(f"--out：目录 {out} 里已有 Parquet 文件，请换一个空目录")
    elif out.suffix not in SUFFIXES:
        raise _fail(f"--out：文件名应以 .parquet 或 .jsonl 结尾，实际是 {shown(out.name)}")
    elif not out.parent.is_dir():
        raise _fail(f"--out：目录不存在：{out.parent}")
    chosen = _policies(policy)
    # numpy and pyarrow are imported here, not when the command line starts
    from yibao.simulation.synth import SynthError
    from yibao.simulation.synth_table import synth_blocks
    from yibao.simulation.synth_write import write_file, write_partitions

    started = time.perf_counter()
    try:
        blocks = synth_blocks(chosen, year, persons, seed)
    except SynthError as exc:
        raise _fail(f"{exc.option}：{exc.message}") from None
    if partitions is not None:
        rows = write_partitions(blocks, out, partitions, persons)
        where = f"{out}/（{partitions} 个文件）"
    else:
        rows = write_file(blocks, out)
        where = str(out)
    seconds = time.perf_counter() - started
    print(f"已生成 {persons} 名参保人的 {rows} 条就医记录 → {where}（{seconds:.1f} 秒）")
