"""``yibao application``: list and decide applications (the reviewing side's moves)."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select

from yibao.cli.db import database, fail, settings
from yibao.domain.shown import shown
from yibao.persistence.db import unit_of_work
from yibao.persistence.tables import Application
from yibao.services import applications
from yibao.services.errors import ServiceError

app = typer.Typer(no_args_is_help=True)

OPTION_OF_FIELD = {"to": "--to", "reason": "--reason", "id": "ID"}


@app.command("decide")
def decide_command(
    application_id: Annotated[int, typer.Argument(metavar="ID", help="申请编号")],
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="新状态：reviewing 审核中、returned 退回补充材料、approved 已通过、"
            "rejected 未通过、paid 已支付（仅手工报销）",
        ),
    ],
    reason: Annotated[str, typer.Option("--reason", help="原因（退回、未通过时必填）")] = "",
) -> None:
    """改变申请状态（检查状态变化是否合法），并给参保人发送站内消息。"""
    cfg = settings()
    with database(cfg) as factory:
        try:
            with unit_of_work(factory) as session:
                item = applications.decide(session, application_id, to, reason)
                summary = (
                    f"申请 #{item.id}（{applications.KIND_LABELS[item.kind]}）"
                    f"已改为：{applications.STATUS_LABELS[item.status]}"
                )
        except ServiceError as exc:
            fail(exc.message, OPTION_OF_FIELD.get(exc.field or "", exc.field))
    print(summary)


@app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option("--status", help="只列出此状态，如 submitted、reviewing")
    ] = None,
) -> None:
    """列出申请：编号、类型、状态、参保人编号、提交时间。"""
    if status is not None and status not in applications.STATUS_LABELS:
        fail(
            f"未知的状态 {shown(status)}，可用：{'、'.join(applications.STATUS_LABELS)}", "--status"
        )
    cfg = settings()
    with database(cfg) as factory, unit_of_work(factory) as session:
        query = select(Application).order_by(Application.id)
        if status is not None:
            query = query.where(Application.status == status)
        rows = [
            f"{a.id}\t{applications.KIND_LABELS[a.kind]}\t"
            f"{applications.STATUS_LABELS[a.status]}\t{a.person_id}\t"
            f"{a.created_at:%Y-%m-%d %H:%M}"
            for a in session.scalars(query)
        ]
    print("编号\t类型\t状态\t参保人\t提交时间")
    for row in rows:
        print(row)
