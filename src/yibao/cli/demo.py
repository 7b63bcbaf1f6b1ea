"""``yibao demo``: fill the database with clearly marked demo data; show a demo API key.

The demo institutions' API keys are written to a file of their own for each database
(:attr:`yibao.config.Settings.demo_keys_file`, mode 0600), so demo data loaded into
PostgreSQL never overwrites the keys of the SQLite demo database, or the other way round.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from yibao.cli.db import crypto, database, fail, settings
from yibao.persistence.db import unit_of_work
from yibao.services import demo

app = typer.Typer(no_args_is_help=True)

KEYS_HEADER = "# 演示机构的 API 密钥（仅供开发试用）：机构编码\t机构名称\t密钥\n"


def read_keys(path: Path) -> dict[str, tuple[str, str]]:
    """code → (name, key) from a demo keys file; empty if there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    keys: dict[str, tuple[str, str]] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and not line.startswith("#"):
            keys[parts[0]] = (parts[1], parts[2])
    return keys


def write_keys(path: Path, keys: dict[str, tuple[str, str]]) -> None:
    """Replace the keys file (mode 0600) with ``keys``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(KEYS_HEADER)
        for code, (name, key) in keys.items():
            fh.write(f"{code}\t{name}\t{key}\n")


@app.command("load")
def load_command(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="已有参保人时什么也不做")] = False,
) -> None:
    """载入演示数据：参保人、定点医药机构（含 API 密钥）与医保目录样例。"""
    cfg = settings()
    fc = crypto(cfg)
    with database(cfg) as factory:
        with factory() as session:
            exists = demo.has_persons(session)
        if exists and if_empty:
            print("数据库中已有参保人，跳过演示数据。")
            return
        if exists:
            print("注意：数据库中已有参保人，演示数据将追加写入。")
        with unit_of_work(factory) as session:
            report = demo.load_demo(session, crypto=fc, progress=print)
    keys_file = cfg.demo_keys_file
    write_keys(keys_file, {code: (name, key) for code, name, key in report.keys})
    print(
        f"完成：参保人 {report.persons} 人，定点医药机构 {report.institutions} 家，"
        f"目录 {report.catalog.added if report.catalog else 0} 条。"
    )
    print(f"演示机构的 API 密钥已写入 {keys_file}（查看：yibao demo key 机构编码）")


@app.command("key")
def key_command(
    code: Annotated[str, typer.Argument(help="演示机构编码，如 H15010200001")],
) -> None:
    """输出一家演示机构的 API 密钥（本数据库的演示密钥文件中保存的那一个）。"""
    cfg = settings()
    keys = read_keys(cfg.demo_keys_file)
    found = keys.get(code.strip().upper())
    if found is None:
        if not keys:
            fail(f"本数据库没有演示密钥文件 {cfg.demo_keys_file}：请先运行 yibao demo load", "CODE")
        fail(f"演示密钥文件中没有机构 {code.strip()}（可用：{'、'.join(keys)}）", "CODE")
    print(found[1])
