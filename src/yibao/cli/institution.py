"""``yibao institution``: register a designated institution, issue and rotate its API key."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from yibao.cli.db import database, fail, settings
from yibao.cli.demo import read_keys, write_keys
from yibao.domain.shown import shown
from yibao.persistence.db import unit_of_work
from yibao.services import institutions
from yibao.services.errors import ServiceError

app = typer.Typer(no_args_is_help=True)

OPTION_OF_FIELD = {
    "code": "--code",
    "name": "--name",
    "type": "--type",
    "level": "--level",
    "grade": "--grade",
    "region": "--region",
    "address": "--address",
    "lat": "--lat",
    "lon": "--lon",
    "designated_end": "--until",
}

OPEN_SINCE = date(2000, 1, 1)


@app.command("add")
def add_command(
    code: Annotated[str, typer.Option("--code", help="机构编码，H/P 加 11 位数字")],
    name: Annotated[str, typer.Option("--name", help="机构名称")],
    type_: Annotated[str, typer.Option("--type", help="hospital（医院）或 pharmacy（药店）")],
    region: Annotated[str, typer.Option("--region", help="所在医保区划（6 位）")],
    level: Annotated[str | None, typer.Option("--level", help="医院等级 1、2、3")] = None,
    grade: Annotated[str | None, typer.Option("--grade", help="等次：甲 或 乙")] = None,
    address: Annotated[str | None, typer.Option("--address", help="地址")] = None,
    lat: Annotated[str | None, typer.Option("--lat", help="纬度")] = None,
    lon: Annotated[str | None, typer.Option("--lon", help="经度")] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="定点开始日期 YYYY-MM-DD（默认 2000-01-01，即不限）"),
    ] = None,
    cross_province: Annotated[
        bool, typer.Option("--cross-province", help="开通跨省直接结算")
    ] = False,
) -> None:
    """登记定点医药机构；最后一行输出新的 API 密钥（只显示这一次）。"""
    level_value: int | None = None
    if level is not None:
        if level.strip() not in ("1", "2", "3"):
            fail(f"应为 1、2 或 3，实际 {shown(level)}", "--level")
        level_value = int(level)
    begin = OPEN_SINCE  # no start given: designated without a start restriction
    if since is not None:
        try:
            begin = date.fromisoformat(since)
        except ValueError:
            fail(f"日期格式不正确：{shown(since)}，应为 YYYY-MM-DD", "--since")
    cfg = settings()
    with database(cfg) as factory:
        try:
            with unit_of_work(factory) as session:
                inst = institutions.create_institution(
                    session,
                    code=code,
                    name=name,
                    type=type_,
                    region=region,
                    level=level_value,
                    grade=grade,
                    address=address,
                    lat=lat,
                    lon=lon,
                    designated_begin=begin,
                    cross_province=cross_province,
                )
                key = institutions.create_api_key(session, inst)
                summary = f"已登记定点医药机构：{inst.code} {inst.name}"
        except ServiceError as exc:
            fail(exc.message, OPTION_OF_FIELD.get(exc.field or "", exc.field))
    print(summary)
    print("API 密钥（只显示这一次，请妥善保存）：")
    print(key)


@app.command("rotate-key")
def rotate_key_command(
    code: Annotated[str, typer.Argument(help="机构编码，如 H15010200001")],
) -> None:
    """换发 API 密钥：旧密钥立即作废，最后一行输出新密钥（只显示这一次）。

    旧密钥在所有服务进程中立即失效：每次请求都重新读取密钥行（进程内缓存只省去 argon2
    校验，不缓存“未作废”这一状态）。
    """
    cfg = settings()
    with database(cfg) as factory, unit_of_work(factory) as session:
        inst = institutions.get_by_code(session, code)
        if inst is None:
            fail(f"没有机构编码为 {code.strip()} 的定点医药机构", "CODE", code=1)
        revoked = institutions.revoke_api_keys(session, inst)
        key = institutions.create_api_key(session, inst)
        inst_code, inst_name, is_demo = inst.code, inst.name, inst.demo
    demo_keys = read_keys(cfg.demo_keys_file)
    if is_demo and inst_code in demo_keys:
        demo_keys[inst_code] = (inst_name, key)
        write_keys(cfg.demo_keys_file, demo_keys)
    print(f"已为 {inst_code} {inst_name} 换发 API 密钥，作废旧密钥 {revoked} 个")
    print("新的 API 密钥（只显示这一次，请妥善保存）：")
    print(key)
