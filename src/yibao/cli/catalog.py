"""``yibao catalog``: import a catalog CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from yibao.cli.db import database, fail, settings
from yibao.persistence.db import unit_of_work
from yibao.services import catalog, catalog_versions

app = typer.Typer(no_args_is_help=True)


@contextmanager
def _progress(text: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (stdout keeps the report)."""
    total = max(1, text.count("\n") - 1)
    columns = (
        TextColumn("导入目录"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=total)
        yield lambda done: bar.update(task, completed=min(done, total))


class _Refused(Exception):
    """Raised inside the transaction so that nothing of a refused import is written."""


@app.command(
    "import",
    epilog=(
        f"表头：{','.join(catalog.REQUIRED_COLUMNS)}。"
        f"list_type（目录类别）可用：{catalog.list_type_codes()}。"
        "chrgitm_lv：01 甲类、02 乙类、03 丙类。"
    ),
)
def import_command(
    file: Annotated[
        Path, typer.Argument(help="目录文件：CSV（UTF-8 或 GB18030）或 Excel（.xlsx/.xls/.ods）")
    ],
    effective: Annotated[
        str | None,
        typer.Option(
            "--effective",
            help="整份目录自该日期（YYYY-MM-DD）起执行：文件中没有的编码于前一日终止（计为删除）",
        ),
    ] = None,
    skip_invalid: Annotated[
        bool,
        typer.Option("--skip-invalid", help="导入合格的行、跳过有错的行（默认：有错则整份不导入）"),
    ] = False,
) -> None:
    """导入医保目录（CSV 或 Excel）：显示进度，输出新增、更新、删除和拒绝的行（行号及原因）。

    默认全有或全无：任何一行有错，整份文件都不写入，退出码 1。用 --skip-invalid 时只写入
    合格的行；没有一行合格时退出码仍为 1。
    """
    if not file.is_file():
        fail(f"文件不存在：{file}", "FILE")
    try:
        when = date.fromisoformat(effective) if effective else None
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{effective}", "--effective")
    try:
        text = catalog_versions.read_table(file)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"无法读取文件：{exc}", "FILE")
    except Exception as exc:  # python-calamine raises its own errors for broken workbooks
        fail(f"无法读取 Excel 文件：{exc}", "FILE")
    cfg = settings()
    with database(cfg) as factory:
        try:
            with unit_of_work(factory) as session, _progress(text) as advance:
                report = catalog_versions.import_file(
                    session, file, effective=when, progress=advance, text=text
                )
                accepted = report.added + report.changed + report.unchanged
                if report.refused and (not skip_invalid or accepted == 0):
                    raise _Refused
        except ValueError as exc:
            fail(str(exc), "FILE")
        except _Refused:
            for r in report.refused:
                typer.echo(f"第 {r.line} 行 {r.hilist_code or '（无编码）'}：{r.reason}", err=True)
            written = "没有写入任何行" if accepted else "文件中没有合格的行"
            fail(f"拒绝 {len(report.refused)} 行，{written}", "FILE", code=1)
    if accepted == 0:
        fail("文件中没有数据行", "FILE", code=1)
    print(f"新增 {report.added} 条，更新 {report.changed} 条，未变 {report.unchanged} 条")
    if when is not None:
        print(f"删除 {report.removed} 条（{when} 起不再执行）")
    print(f"拒绝 {len(report.refused)} 条")
    for r in report.refused:
        print(f"  第 {r.line} 行 {r.hilist_code or '（无编码）'}：{r.reason}")
