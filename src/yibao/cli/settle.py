"""``yibao settle``: settle cases from a JSON file, stdin, or JSON Lines."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from yibao.rules import CaseError, settle


def _loads(text: str) -> Any:
    # Numbers are read as exact Decimals, never through a binary float.
    return json.loads(text, parse_float=Decimal)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _open(path: str) -> TextIO:
    if path == "-":
        return sys.stdin
    p = Path(path)
    if not p.is_file():
        raise typer.BadParameter(f"找不到文件：{path}")
    return p.open(encoding="utf-8")


def settle_one(text: str) -> tuple[dict[str, Any], bool]:
    """Result (or error object) for one case's JSON text, and whether it succeeded."""
    try:
        case = _loads(text)
    except json.JSONDecodeError as exc:
        return {
            "error": f"不是合法的 JSON：{exc.msg}（第 {exc.lineno} 行第 {exc.colno} 列）",
            "field": "(json)",
        }, False
    try:
        return settle(case), True
    except CaseError as exc:
        return exc.to_dict(), False


def settle_command(
    case_file: Annotated[str, typer.Argument(help="案例 JSON 文件，- 表示标准输入")] = "-",
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help="每行一个案例（JSON Lines），逐行输出结果")
    ] = False,
) -> None:
    """计算一次结算（或 --jsonl 批量）：谁付多少，到分，并说明原因。"""
    with _open(case_file) as stream:
        if not jsonl:
            result, ok = settle_one(stream.read())
            print(json.dumps(result, ensure_ascii=False, indent=2))
            if not ok:
                raise typer.Exit(code=1)
            return
        out = sys.stdout
        for line in stream:
            if not line.strip():
                continue
            result, _ = settle_one(line)
            out.write(_dumps(result))
            out.write("\n")
