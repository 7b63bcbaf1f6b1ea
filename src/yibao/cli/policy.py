"""``yibao policy``: list, show and validate policy files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from yibao.domain.shown import shown
from yibao.rules import PolicyError, default_registry
from yibao.rules.policy_loader import load_policy_file

app = typer.Typer(no_args_is_help=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    return str(value)


@app.command("list")
def list_command() -> None:
    """列出内置的医保政策及其版本。"""
    reg = default_registry()
    for pid in reg.ids():
        p = reg.policies[pid]
        versions = ", ".join(v.version.isoformat() for v in p.versions)
        print(f"{pid}\t{p.label}\t{p.scheme}\t版本：{versions}")


@app.command("show")
def show_command(
    policy_id: Annotated[str, typer.Argument(help="政策 ID，如 nmg-employee")],
    on: Annotated[
        str | None, typer.Option("--on", help="查看该日期生效的参数（YYYY-MM-DD）")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """显示一项政策在某日生效的全部参数、数值与来源。"""
    reg = default_registry()
    policy = reg.get(policy_id)
    if policy is None:
        typer.echo(f"未知的医保政策 {shown(policy_id)}，可选：{', '.join(reg.ids())}", err=True)
        raise typer.Exit(code=2)
    try:
        when = date.fromisoformat(on) if on else date.today()
    except ValueError:
        typer.echo(f"--on 日期格式不正确：{shown(on)}，应为 YYYY-MM-DD", err=True)
        raise typer.Exit(code=2) from None
    version = policy.version_on(when)
    if version is None:
        typer.echo(
            f"{policy_id} 在 {when} 没有生效的版本（最早 {policy.first_date} 起生效）", err=True
        )
        raise typer.Exit(code=2)
    params = policy.parameters_on(when)
    if as_json:
        print(
            json.dumps(
                {
                    "id": policy.id,
                    "label": policy.label,
                    "scheme": policy.scheme,
                    "version": version.version.isoformat(),
                    "on": when.isoformat(),
                    "parameters": [
                        {
                            "key": p.path.removeprefix("parameters."),
                            "label": p.label,
                            "value": _jsonable(p.value),
                            "effective": p.effective.isoformat(),
                            "source": p.source,
                            "unit": p.unit,
                            "note": p.note,
                        }
                        for p in params
                    ],
                    "sources": dict(policy.sources),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    print(f"{policy.label}（{policy.id}）")
    print(f"{when} 生效的版本：{version.version}")
    for p in params:
        unit = f" {p.unit}" if p.unit else ""
        print(f"\n  {p.path.removeprefix('parameters.')}  {p.label}")
        print(f"    值：{json.dumps(_jsonable(p.value), ensure_ascii=False)}{unit}")
        print(f"    自 {p.effective} 起，来源：{p.source} — {policy.sources[p.source]}")
        if p.note:
            print(f"    说明：{p.note}")


@app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="政策 YAML 文件")],
) -> None:
    """校验一个政策文件：逐项检查每个版本，错误会指出文件、参数和原因。"""
    try:
        policy = load_policy_file(file)
    except PolicyError as exc:
        typer.echo(f"校验失败：{exc}", err=True)
        raise typer.Exit(code=1) from None
    versions = ", ".join(v.version.isoformat() for v in policy.versions)
    print(f"校验通过：{policy.id}（{policy.label}），{len(policy.versions)} 个版本：{versions}")
