"""``yibao person``: enrol a person, show one (ID and phone masked), set the app password."""

from __future__ import annotations

import contextlib
import sys
from datetime import date
from typing import Annotated

import typer

from yibao.cli.db import crypto, database, fail, settings
from yibao.domain.idcard import IdCardError, parse_certno
from yibao.domain.money import AmountError, from_fen, parse_amount, to_fen
from yibao.domain.shown import shown
from yibao.persistence.db import unit_of_work
from yibao.services import auth, ledger, persons
from yibao.services.errors import ServiceError

app = typer.Typer(no_args_is_help=True)

OPTION_OF_FIELD = {
    "name": "--name",
    "certno": "--certno",
    "policy": "--policy",
    "group": "--group",
    "region": "--region",
    "since": "--since",
    "phone": "--phone",
    "first_visit_hospital": "--first-visit-hospital",
    "continuous_years": "--continuous-years",
    "amount": "--account-credit",
}
GROUP_LABELS = {
    "in_service": "在职",
    "retired": "退休",
    "adult": "成年居民",
    "minor": "未成年人",
    "student": "大学生",
}
SEX_LABELS = {"male": "男", "female": "女"}
STATUS_LABELS = {"active": "正常参保", "paused": "暂停", "ended": "终止"}


def _date(raw: str | None, option: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        fail(f"日期格式不正确：{shown(raw)}，应为 YYYY-MM-DD", option)


@app.command("add")
def add_command(
    name: Annotated[str, typer.Option("--name", help="姓名")],
    certno: Annotated[str, typer.Option("--certno", help="身份证号（18 位）")],
    policy: Annotated[str, typer.Option("--policy", help="医保政策 ID，如 nmg-employee")],
    group: Annotated[str, typer.Option("--group", help="人员类别，如 in_service / retired")],
    region: Annotated[str, typer.Option("--region", help="参保地医保区划（6 位）")],
    since: Annotated[
        str | None,
        typer.Option("--since", help="参保开始日期 YYYY-MM-DD（默认：出生日期，即不限）"),
    ] = None,
    account_credit: Annotated[
        str | None, typer.Option("--account-credit", help="个人账户期初划入金额（元）")
    ] = None,
    first_visit_hospital: Annotated[
        str | None, typer.Option("--first-visit-hospital", help="首诊医院编码（居民医保）")
    ] = None,
    continuous_years: Annotated[
        str | None, typer.Option("--continuous-years", help="连续缴费年限")
    ] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="手机号")] = None,
) -> None:
    """登记参保人；最后一行输出其人员编号（psn_no）。"""
    since_date = _date(since, "--since")
    if since_date is None:  # no start given: enrolled without a start restriction
        with contextlib.suppress(IdCardError):  # a bad ID number is reported below, by name
            since_date = parse_certno(certno).birth_date
    years = 0
    if continuous_years is not None:
        if not continuous_years.strip().isdigit():
            fail(f"应为非负整数，实际 {shown(continuous_years)}", "--continuous-years")
        years = int(continuous_years)
    credit_fen = 0
    if account_credit is not None:
        try:
            credit_fen = to_fen(parse_amount(account_credit))
        except AmountError as exc:
            fail(str(exc), "--account-credit")
    cfg = settings()
    fc = crypto(cfg)
    with database(cfg) as factory:
        try:
            with unit_of_work(factory) as session:
                person = persons.create_person(
                    session,
                    name=name,
                    certno=certno,
                    policy_id=policy,
                    group=group,
                    region=region,
                    since=since_date,
                    phone=phone,
                    first_visit_hospital=first_visit_hospital,
                    continuous_years=years,
                    crypto=fc,
                )
                if credit_fen > 0:
                    if ledger.account_of(session, person) is None:
                        fail(f"政策 {policy} 不设个人账户，不能划入", "--account-credit")
                    ledger.credit(
                        session, person, credit_fen, "monthly_credit", "开户期初划入", "OPENING"
                    )
                psn_no = person.psn_no
                summary = (
                    f"已登记参保人：{person.name}（{policy}，{GROUP_LABELS[group]}），"
                    f"身份证号 {persons.masked_certno(person, crypto=fc)}"
                )
        except ServiceError as exc:
            fail(exc.message, OPTION_OF_FIELD.get(exc.field or "", exc.field))
    print(summary)
    if credit_fen:
        print(f"个人账户期初划入：{from_fen(credit_fen)} 元")
    print(psn_no)


@app.command("show")
def show_command(
    psn_no: Annotated[str, typer.Argument(help="人员编号 psn_no")],
) -> None:
    """显示参保人信息（身份证号、手机号脱敏）。"""
    cfg = settings()
    fc = crypto(cfg)
    with database(cfg) as factory, factory() as session:
        person = persons.get_by_psn_no(session, psn_no.strip())
        if person is None:
            fail(f"没有人员编号为 {shown(psn_no)} 的参保人", "PSN_NO", code=1)
        demo = "（演示数据）" if person.demo else ""
        print(f"人员编号：{person.psn_no}{demo}")
        print(f"姓名：{person.name}")
        print(f"身份证号：{persons.masked_certno(person, crypto=fc)}")
        print(f"性别：{SEX_LABELS[person.sex]}　出生日期：{person.birth_date}")
        print(f"手机号：{persons.masked_phone(person, crypto=fc) or '—'}")
        print(f"参保地：{person.region}　政策：{person.policy_id}")
        print(
            f"人员类别：{GROUP_LABELS[person.person_group]}"
            f"（险种 {persons.insutype(person)}，人员类别代码 {persons.psn_type(person)}）"
        )
        if person.first_visit_hospital:
            print(f"首诊医院：{person.first_visit_hospital}")
        print(f"连续缴费年限：{person.continuous_years} 年")
        if person.death_date:
            print(f"死亡日期：{person.death_date}")
        for e in person.enrolments:
            print(f"参保期间：{e.begin} 至 {e.end or '今'}　{STATUS_LABELS[e.status]}")
        if ledger.account_of(session, person) is not None:
            print(f"个人账户余额：{from_fen(ledger.balance_fen(session, person))} 元")


def _is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password() -> str:
    """From a hidden, confirmed prompt on a terminal; else the first line of standard input."""
    if _is_terminal():
        return str(typer.prompt("新密码", hide_input=True, confirmation_prompt="再次输入新密码"))
    line = sys.stdin.readline()
    if not line:
        fail("标准输入为空：请在第一行给出密码", "PASSWORD")
    return line.rstrip("\r\n")


@app.command("set-password")
def set_password_command(
    psn_no: Annotated[str, typer.Argument(help="人员编号 psn_no")],
) -> None:
    """设置参保人登录 app 的密码：在终端中提示输入（不回显，输入两次），或从标准输入读第一行。

    密码 8–128 位，不能过于简单；设置后登录失败次数清零、解除锁定。
    """
    cfg = settings()
    with database(cfg) as factory:
        with factory() as session:
            found = persons.get_by_psn_no(session, psn_no.strip()) is not None
        if not found:
            fail(f"没有人员编号为 {psn_no.strip()} 的参保人", "PSN_NO", code=1)
        password = _read_password()
        try:
            with unit_of_work(factory) as session:
                person = persons.get_by_psn_no(session, psn_no.strip())
                assert person is not None
                auth.set_password(session, person, password)
                name = person.name
        except ServiceError as exc:
            fail(exc.message, "PASSWORD")
    print(f"已为 {name}（{psn_no.strip()}）设置登录密码")
