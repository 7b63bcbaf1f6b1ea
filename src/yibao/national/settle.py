"""Pre-settlement, settlement, reversal and query: 2206/2207/2208, 2303/2304/2305, 5203.

2206/2207/2208 and 2303/2304/2305 are the counter's hot path: they run on a
:class:`~yibao.national.context.Counter` (a Core connection, no ORM) with the SQL in
:mod:`yibao.services.settlement`; 5203 is an ordinary ORM query."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from yibao.domain.money import from_fen
from yibao.national import codes, fields
from yibao.national.context import Context, Counter
from yibao.national.envelope import InterfaceError
from yibao.national.output import (
    amounts_of_result,
    amounts_of_settlement,
    setldetail,
    setlinfo,
)
from yibao.persistence.db import Batch
from yibao.persistence.tables import Institution, Person
from yibao.persistence.tables.hospital import Settlement, SettlementFund, Visit
from yibao.rules import settle_case
from yibao.services import settlement as service

_ECHOED = ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


def _check_visit(
    ctx: Counter, stored: service.Stored | None, mdtrt_id: str, psn_no: str, kind: str
) -> service.Stored:
    """The caller's own visit named by ``mdtrt_id`` and ``psn_no``: the checks of
    :meth:`Context.visit`, in the same order."""
    if stored is None:
        raise InterfaceError(f"就诊 {mdtrt_id} 不存在", "mdtrt_id")
    if stored.person.psn_no != psn_no:
        raise InterfaceError("人员编号与就诊记录不符", "psn_no")
    if stored.visit.kind != kind:
        label = "住院" if kind == "inpatient" else "门诊"
        raise InterfaceError(f"就诊 {mdtrt_id} 不是{label}就诊", "mdtrt_id")
    if stored.visit.status == "cancelled":
        raise InterfaceError(f"就诊 {mdtrt_id} 已撤销", "mdtrt_id")
    ctx.periods[stored.person.id] = stored.enrolments
    return stored


def _settle(ctx: Counter, data: Mapping[str, Any], *, kind: str, final: bool) -> None:
    d = fields.node(data, "data")
    p = "input.data"
    mdtrt_id = fields.text(d, "mdtrt_id", p)
    psn_no = fields.text(d, "psn_no", p)
    # one round trip: the key, the msgid claim and everything the settlement reads; with
    # final=True the visit, its person and the account are locked: one settlement at a time
    # per person, so the year-to-date state and the account stay exact
    loaded = service.load(
        ctx.conn, mdtrt_id, ctx.institution_id, lock=final, since=ctx.today.year - 1, run=ctx.read
    )
    stored = _check_visit(ctx, loaded, mdtrt_id, psn_no, kind)
    visit, person = stored.visit, stored.person
    allowed = codes.OUTPATIENT_MED_TYPES if kind == "outpatient" else codes.INPATIENT_MED_TYPES
    med_type = fields.code(d, "med_type", p, allowed, required=False) or visit.med_type
    fields.code(d, "insutype", p, codes.INSUTYPE_NAMES)
    fields.code(d, "mdtrt_cert_type", p, codes.CERT_TYPES)
    if visit.status == "settled":
        raise InterfaceError("该就诊已结算", f"{p}.mdtrt_id")
    if (
        final
        and kind == "inpatient"
        and visit.status != "discharged"
        and not fields.flag(d, "mid_setl_flag", p)
    ):
        raise InterfaceError(
            "请先办理出院（2402），或按中途结算上传 mid_setl_flag=1", f"{p}.mdtrt_id"
        )
    # the encounter's date: discharge for inpatient care, the visit itself for outpatient care
    on = fields.local_date(visit.endtime or ctx.now if kind == "inpatient" else visit.begntime)
    ctx.check_settlement_dates(visit, person, f"{p}.psn_no")
    medfee = fields.amount(d, "medfee_sumamt", p)
    service.use_year(ctx.conn, stored, on.year)
    if not stored.lines:
        raise InterfaceError("没有待结算的费用明细，请先上传（2204/2301）", f"{p}.mdtrt_id")
    uploaded = from_fen(stored.line_total_fen)
    if medfee != uploaded:
        raise InterfaceError(
            f"医疗费总额 {medfee} 与已上传明细合计 {uploaded} 不符", f"{p}.medfee_sumamt"
        )
    use_account = fields.flag(d, "acct_used_flag", p, default="1")
    case = service.build_case(
        stored, ctx.institution, med_type=med_type, use_account=use_account, on=on
    )
    result = settle_case(case)
    invono = fields.invoice(d, "invono", p) if final else None
    if final:
        for key in _ECHOED:
            sent = fields.number(d, key, p, required=False)
            if sent is not None and sent != getattr(result, key):
                raise InterfaceError(
                    f"与结算结果 {getattr(result, key)} 不符（请重新预结算）", f"{p}.{key}"
                )
    cert_type = str(d.get("mdtrt_cert_type") or visit.mdtrt_cert_type)
    if not final:
        info = setlinfo(
            person=person,
            institution=ctx.institution,
            visit=visit,
            med_type=med_type,
            amounts=amounts_of_result(result),
            on=on,
            when=ctx.now,
            msgid=ctx.envelope.msgid,
            setl_id=None,
            balc=service.balance_after(stored, case, result),  # what it would be after settling
            mdtrt_cert_type=cert_type,
        )
        rows = [(t, from_fen(f)) for t, f in service.fund_rows(person.scheme, result)]
        answer = Batch(ctx.conn)
        ctx.answer(
            answer,
            {
                "setlinfo": info,
                "setldetail": setldetail(
                    person.scheme, rows, result.inscp_scp_amt, list(result.explanation)
                ),
            },
        )
        answer.run_with_commit()
        return
    writes = Batch(ctx.conn)  # every write and the stored answer: one round trip with COMMIT
    record = service.record(
        writes,
        stored,
        case,
        result,
        ctx.institution,
        msgid=ctx.envelope.msgid,
        infno=ctx.envelope.infno,
        med_type=med_type,
        now=ctx.now,
        invono=invono,
    )
    funds = service.fund_rows(person.scheme, result)
    ctx.answer(writes, settlement_output(ctx.institution, record, visit, person, cert_type, funds))
    writes.run_with_commit()


def settlement_output(
    institution: Institution,
    record: Settlement,
    visit: Visit,
    person: Person,
    cert_type: str,
    funds: list[tuple[str, int]],
) -> dict[str, Any]:
    """setlinfo + setldetail of a stored settlement with its fund rows."""
    info = setlinfo(
        person=person,
        institution=institution,
        visit=visit,
        med_type=record.med_type,
        amounts=amounts_of_settlement(record),
        on=record.setl_date,
        when=record.setl_time,
        msgid=record.msgid,
        setl_id=record.setl_id,
        balc=from_fen(record.balc_fen),
        mdtrt_cert_type=cert_type,
    )
    rows = [(fund_type, from_fen(fen)) for fund_type, fen in funds]
    return {
        "setlinfo": info,
        "setldetail": setldetail(
            person.scheme, rows, from_fen(record.inscp_scp_fen), json.loads(record.explanation)
        ),
    }


def _reverse(ctx: Counter, data: Mapping[str, Any], kind: str) -> None:
    d = fields.node(data, "data")
    p = "input.data"
    mdtrt_id = fields.text(d, "mdtrt_id", p)
    psn_no = fields.text(d, "psn_no", p)
    setl_id = fields.text(d, "setl_id", p)
    loaded, original = service.load_for_reversal(
        ctx.conn, mdtrt_id, ctx.institution_id, setl_id, since=ctx.today.year - 1, run=ctx.read
    )
    stored = _check_visit(ctx, loaded, mdtrt_id, psn_no, kind)
    if original is None:
        raise InterfaceError(f"结算 {setl_id} 不存在", f"{p}.setl_id")
    if original.kind != "settle" or original.reversed:
        raise InterfaceError("该结算已撤销，不能重复撤销", f"{p}.setl_id")
    writes = Batch(ctx.conn)  # every write and the stored answer: one round trip with COMMIT
    reversal, funds = service.reverse(
        writes,
        stored,
        original,
        ctx.institution,
        msgid=ctx.envelope.msgid,
        infno=ctx.envelope.infno,
        now=ctx.now,
    )
    visit = stored.visit
    output = settlement_output(
        ctx.institution, reversal, visit, stored.person, visit.mdtrt_cert_type, funds
    )
    ctx.answer(writes, output)
    writes.run_with_commit()


def presettle_outpatient(ctx: Counter, data: Mapping[str, Any]) -> None:
    """2206 门诊预结算."""
    _settle(ctx, data, kind="outpatient", final=False)


def settle_outpatient(ctx: Counter, data: Mapping[str, Any]) -> None:
    """2207 门诊结算."""
    _settle(ctx, data, kind="outpatient", final=True)


def reverse_outpatient(ctx: Counter, data: Mapping[str, Any]) -> None:
    """2208 门诊结算撤销."""
    _reverse(ctx, data, "outpatient")


def presettle_inpatient(ctx: Counter, data: Mapping[str, Any]) -> None:
    """2303 住院预结算."""
    _settle(ctx, data, kind="inpatient", final=False)


def settle_inpatient(ctx: Counter, data: Mapping[str, Any]) -> None:
    """2304 住院结算."""
    _settle(ctx, data, kind="inpatient", final=True)


def reverse_inpatient(ctx: Counter, data: Mapping[str, Any]) -> None:
    """2305 住院结算撤销."""
    _reverse(ctx, data, "inpatient")


def query_settlement(ctx: Context, data: Mapping[str, Any]) -> Any:
    """5203 结算信息查询: the caller's own settlements only. An unknown person number gets
    the same answer as a person without such a settlement (it reveals nothing)."""
    d = fields.node(data, "data")
    p = "input.data"
    psn_no = fields.text(d, "psn_no", p)
    query = (
        select(Settlement)
        .join(Person, Person.id == Settlement.person_id)
        .where(Settlement.institution_id == ctx.institution.id, Person.psn_no == psn_no)
    )
    setl_id = fields.text(d, "setl_id", p, required=False)
    mdtrt_id = fields.text(d, "mdtrt_id", p, required=False)
    if not setl_id and not mdtrt_id:
        raise InterfaceError("setl_id 与 mdtrt_id 至少给出一个", f"{p}.setl_id")
    if setl_id:
        query = query.where(Settlement.setl_id == setl_id)
    if mdtrt_id:
        query = query.join(Visit, Visit.id == Settlement.visit_id).where(Visit.mdtrt_id == mdtrt_id)
    record = ctx.session.scalars(query.order_by(Settlement.id.desc())).first()
    if record is None:
        raise InterfaceError("未找到结算信息", f"{p}.setl_id" if setl_id else f"{p}.mdtrt_id")
    visit = ctx.session.get(Visit, record.visit_id)
    person = ctx.session.get(Person, record.person_id)
    assert visit is not None
    assert person is not None
    stored = ctx.session.scalars(
        select(SettlementFund)
        .where(SettlementFund.settlement_id == record.id)
        .order_by(SettlementFund.id)
    )
    funds = [(f.fund_pay_type, f.fund_payamt_fen) for f in stored]
    out = settlement_output(ctx.institution, record, visit, person, visit.mdtrt_cert_type, funds)
    info = out["setlinfo"]
    inst = ctx.institution
    info.update(
        {
            "psn_pay": info["psn_part_amt"],
            "cash_payamt": info["psn_cash_pay"],
            "fixmedins_code": inst.code,
            "fixmedins_name": inst.name,
            "hosp_lv": {1: "14", 2: "13", 3: "12"}.get(inst.level or 0, "11"),
            "fixmedins_poolarea": inst.region,
            "insu_optins": person.region,
            "begndate": fields.local_date(visit.begntime).isoformat(),
            "enddate": fields.local_date(visit.endtime or visit.begntime).isoformat(),
            "refd_setl_flag": "1" if record.kind == "reversal" else "0",
            "year": str(record.year),
            "dise_codg": visit.dise_codg or "",
            "dise_name": visit.dise_name or "",
            "pay_loc": "2",
            "setl_type": "2",
        }
    )
    return out
