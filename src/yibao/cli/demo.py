"""``yibao demo load``: fill the database with clearly marked demo data."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from yibao.cli.db import crypto, database, settings
from yibao.persistence.db import unit_of_work
from yibao.services import demo

app = typer.Typer(no_args_is_help=True)


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
    keys_file = cfg.var_dir / "demo-keys.txt"
    keys_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(keys_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# 演示机构的 API 密钥（仅供开发试用）：机构编码\t机构名称\t密钥\n")
        for code, name, key in report.keys:
            fh.write(f"{code}\t{name}\t{key}\n")
    print(
        f"完成：参保人 {report.persons} 人，定点医药机构 {report.institutions} 家，"
        f"目录 {report.catalog.added if report.catalog else 0} 条。"
    )
    print(f"演示机构的 API 密钥已写入 {keys_file}")
