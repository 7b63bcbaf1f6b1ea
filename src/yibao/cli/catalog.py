"""``yibao catalog``: import a catalog CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yibao.cli.db import database, fail, settings
from yibao.persistence.db import unit_of_work
from yibao.services import catalog

app = typer.Typer(no_args_is_help=True)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="目录 CSV 文件（UTF-8 或 GB18030）")],
) -> None:
    """导入医保目录 CSV：输出新增、更新和拒绝的行（及拒绝原因）。"""
    if not file.is_file():
        fail(f"文件不存在：{file}", "FILE")
    try:
        text = catalog.read_csv_text(file)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"无法读取文件：{exc}", "FILE")
    cfg = settings()
    with database(cfg) as factory:
        try:
            with unit_of_work(factory) as session:
                report = catalog.import_rows(session, text)
        except ValueError as exc:
            fail(str(exc), "FILE")
    print(f"新增 {report.added} 条，更新 {report.changed} 条，未变 {report.unchanged} 条")
    print(f"拒绝 {len(report.refused)} 条")
    for r in report.refused:
        print(f"  第 {r.line} 行 {r.hilist_code or '（无编码）'}：{r.reason}")
