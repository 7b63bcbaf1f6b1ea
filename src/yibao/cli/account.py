"""``yibao account``: a person's personal account (个人账户) — balance, movements, and the
agency's entries: a monthly credit or a manual adjustment, each with its reason."""

from __future__ import annotations

from typing import Annotated

import typer

from yibao.cli.db import database, fail, settings
from yibao.domain.money import AmountError, from_fen, parse_amount, to_fen
from yibao.persistence.db import unit_of_work
from yibao.services import ledger, persons
from yibao.services.errors import ServiceError

app = typer.Typer(no_args_is_help=True)

PsnNo = Annotated[str, typer.Argument(help="人员编号 psn_no")]
Reason = Annotated[str, typer.Option("--reason", help="事由（必填，记入流水）")]


def _fen(raw: str, option: str, *, signed: bool) -> int:
    try:
        fen = to_fen(parse_amount(raw, allow_negative=signed))
    except AmountError as exc:
        fail(str(exc), option)
    if fen == 0:
        fail("金额不能为 0", option)
    return fen


@app.command("show")
def show_command(
    psn_no: PsnNo,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="显示最近几条")] = 20,
) -> None:
    """个人账户余额与最近的收支流水。"""
    with database(settings()) as factory, factory() as session:
        person = persons.get_by_psn_no(session, psn_no)
        if person is None or ledger.account_of(session, person) is None:
            fail(f"参保人 {psn_no} 不存在或没有个人账户", "PSN_NO", code=1)
        print(
            f"{person.name}（{psn_no}）个人账户余额：{from_fen(ledger.balance_fen(session, person))} 元"
        )
        for row in ledger.transactions(session, person, limit=limit):
            sign = "+" if row.amount_fen > 0 else ""
            print(
                f"  {row.created_at:%Y-%m-%d %H:%M}  {row.label:<6} {sign}{from_fen(row.amount_fen)}"
                f"  {row.reason}"
            )


def _post(psn_no: str, fen: int, kind: str, reason: str) -> None:
    with database(settings()) as factory:
        try:
            with unit_of_work(factory) as session:
                person = persons.get_by_psn_no(session, psn_no)
                if person is None:
                    fail(f"参保人 {psn_no} 不存在", "PSN_NO", code=1)
                if fen > 0:
                    ledger.credit(session, person, fen, kind, reason)
                else:
                    ledger.debit(session, person, -fen, kind, reason)
                balance = ledger.balance_fen(session, person)
        except ServiceError as exc:
            fail(exc.message, "--reason" if exc.field == "reason" else None, code=1)
    print(f"已记账：{from_fen(fen)} 元（{reason}）；余额 {from_fen(balance)} 元")


@app.command("credit")
def credit_command(
    psn_no: PsnNo,
    amount: Annotated[str, typer.Option("--amount", help="划入金额（元），如 200.00")],
    reason: Reason,
) -> None:
    """按月划入个人账户（monthly_credit）。"""
    _post(psn_no, _fen(amount, "--amount", signed=False), "monthly_credit", reason)


@app.command("adjust")
def adjust_command(
    psn_no: PsnNo,
    amount: Annotated[str, typer.Option("--amount", help="调整金额（元），可为负，如 -12.50")],
    reason: Reason,
) -> None:
    """手工调整个人账户（adjustment），正数增加、负数减少；余额不会变为负数。"""
    _post(psn_no, _fen(amount, "--amount", signed=True), "adjustment", reason)
