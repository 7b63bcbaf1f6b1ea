"""``yibao staff``: add agency staff, list them, reset a forgotten password or lost phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from yibao.cli.db import database, fail, settings
from yibao.persistence.db import unit_of_work
from yibao.services import staff
from yibao.services.audit import COMMAND_LINE
from yibao.services.errors import ServiceError

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add_command(
    username: Annotated[str, typer.Option("--username", help="登录用户名（小写字母开头）")],
    role: Annotated[
        str, typer.Option("--role", help="角色：reviewer 审核员、payer 支付、admin 管理员")
    ],
    region: Annotated[
        list[str] | None,
        typer.Option("--region", help="限定地区代码（可重复；2、4 或 6 位）；不填则不限地区"),
    ] = None,
) -> None:
    """新增经办人员。最后一行单独输出一次性初始密码：首次登录须修改密码并绑定动态口令。"""
    cfg = settings()
    with database(cfg) as factory:
        try:
            with unit_of_work(factory) as session:
                new = staff.add_staff(session, username, role, region or [], actor=COMMAND_LINE)
                label = staff.ROLE_LABELS[new.member.role]
        except ServiceError as exc:
            fail(exc.message, f"--{exc.field or 'username'}".replace("_", "-"))
    regions = "、".join(sorted(region or [])) or "不限"
    print(f"已新增经办人员 {username}（{label}，地区：{regions}）")
    print("一次性初始密码（首次登录后须修改）：")
    print(new.initial_password)


@app.command("list")
def list_command() -> None:
    """列出经办人员：用户名、角色、地区、状态。"""
    cfg = settings()
    with database(cfg) as factory, unit_of_work(factory) as session:
        for m in staff.list_staff(session):
            regions = "、".join(staff.regions_of(session, m)) or "不限"
            state = "停用" if not m.active else ("待首次登录" if staff.needs_setup(m) else "正常")
            print(f"{m.username}\t{staff.ROLE_LABELS[m.role]}\t{regions}\t{state}")


@app.command("reset")
def reset_command(
    username: Annotated[str, typer.Option("--username", help="登录用户名")],
) -> None:
    """重置密码与动态口令（如手机丢失）。最后一行单独输出新的一次性初始密码。"""
    cfg = settings()
    with database(cfg) as factory, unit_of_work(factory) as session:
        member = staff.find(session, username)
        if member is None:
            fail(f"没有用户名为 {username} 的经办人员", "--username")
        initial = staff.reset(session, member, COMMAND_LINE, datetime.now(UTC))
    print(f"已重置 {username} 的密码与动态口令，其登录会话均已失效")
    print("一次性初始密码（首次登录后须修改）：")
    print(initial)
