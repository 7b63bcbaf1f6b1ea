"""Registration and admission: 2201/2202, 2203, 2401/2402/2404/2405."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from yibao.national import codes, fields
from yibao.national.context import Context
from yibao.national.envelope import InterfaceError
from yibao.national.identity import person_for
from yibao.persistence.tables.hospital import FeeLine, Visit
from yibao.services import persons
from yibao.services.settlement import new_id


def _open_visit(
    ctx: Context, d: Mapping[str, Any], path: str, *, kind: str, med_type: str, number_key: str
) -> Visit:
    person = person_for(ctx, d, path)
    begntime = fields.moment(d, "begntime", path)
    fields.not_future(begntime, ctx.now, f"{path}.begntime")
    ctx.check_eligible(person, [fields.local_date(begntime), ctx.today], f"{path}.psn_no")
    insutype = fields.code(d, "insutype", path, codes.INSUTYPE_NAMES)
    if insutype != persons.insutype(person):
        raise InterfaceError(
            f"参保人的险种为 {persons.insutype(person)}，不是 {insutype}", f"{path}.insutype"
        )
    number = fields.text(d, number_key, path)
    clash = ctx.session.scalars(
        select(Visit.mdtrt_id).where(
            Visit.institution_id == ctx.institution.id,
            Visit.ipt_otp_no == number,
            Visit.status != "cancelled",
        )
    ).first()
    if clash is not None:
        raise InterfaceError(f"院内编号 {number} 已用于就诊 {clash}", f"{path}.{number_key}")
    visit = Visit(
        mdtrt_id=new_id(ctx.now),
        institution_id=ctx.institution.id,
        person_id=person.id,
        kind=kind,
        insutype=insutype,
        med_type=med_type,
        ipt_otp_no=number,
        mdtrt_cert_type=fields.code(d, "mdtrt_cert_type", path, codes.CERT_TYPES),
        begntime=begntime,
    )
    ctx.session.add(visit)
    ctx.session.flush()
    return visit


def register_outpatient(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2201 门诊挂号."""
    d = fields.node(data, "data")
    for key in ("atddr_no", "dr_name", "dept_code", "dept_name", "caty"):
        fields.text(d, key, "input.data", max_len=50)
    visit = _open_visit(
        ctx, d, "input.data", kind="outpatient", med_type="11", number_key="ipt_otp_no"
    )
    visit.dept_name = str(d["dept_name"])
    visit.dr_name = str(d["dr_name"])
    return {
        "data": {"mdtrt_id": visit.mdtrt_id, "psn_no": d["psn_no"], "ipt_otp_no": visit.ipt_otp_no}
    }


def cancel_registration(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2202 门诊挂号撤销."""
    d = fields.node(data, "data")
    visit = ctx.visit_named(d, "input.data", kind="outpatient", lock=True)
    if fields.text(d, "ipt_otp_no", "input.data") != visit.ipt_otp_no:
        raise InterfaceError("门诊号与就诊记录不符", "input.data.ipt_otp_no")
    _cancel(ctx, visit)
    return {}


def _cancel(ctx: Context, visit: Visit) -> None:
    if visit.status == "settled":
        raise InterfaceError("就诊已结算，请先撤销结算", "mdtrt_id")
    ctx.session.execute(
        delete(FeeLine).where(FeeLine.visit_id == visit.id, FeeLine.settlement_id.is_(None))
    )
    visit.status = "cancelled"


def upload_visit_info(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2203 门诊就诊信息上传: med_type and diagnoses."""
    info = fields.node(data, "mdtrtinfo")
    path = "input.mdtrtinfo"
    visit = ctx.visit_named(info, path, kind="outpatient", lock=True)
    if visit.status == "settled":
        raise InterfaceError("就诊已结算，不能修改", f"{path}.mdtrt_id")
    visit.med_type = fields.code(info, "med_type", path, codes.OUTPATIENT_MED_TYPES)
    fields.not_future(fields.moment(info, "begntime", path), ctx.now, f"{path}.begntime")
    _diagnosis(visit, info, path)
    _diseases(data)
    return {}


def _diagnosis(visit: Visit, info: Mapping[str, Any], path: str) -> None:
    visit.dise_codg = fields.text(info, "dise_codg", path, required=False) or None
    visit.dise_name = fields.text(info, "dise_name", path, max_len=500, required=False) or None
    ext = info.get("exp_content")
    if ext is not None and not isinstance(ext, Mapping):
        raise InterfaceError("应为 JSON 对象", f"{path}.exp_content")
    if ext:
        visit.chronic_class = (
            fields.text(ext, "chronic_class", f"{path}.exp_content", max_len=12, required=False)
            or None
        )
        visit.oncology_course = fields.flag(ext, "oncology_course", f"{path}.exp_content")


def _diseases(data: Mapping[str, Any]) -> None:
    raw = data.get("diseinfo")
    if raw is None:
        return
    for i, row in enumerate(fields.rows(data, "diseinfo")):
        p = f"input.diseinfo[{i}]"
        fields.text(row, "diag_code", p, max_len=20)
        fields.text(row, "diag_name", p, max_len=300)


def admit(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2401 入院办理."""
    info = fields.node(data, "mdtrtinfo")
    path = "input.mdtrtinfo"
    med_type = fields.code(info, "med_type", path, codes.INPATIENT_MED_TYPES)
    visit = _open_visit(ctx, info, path, kind="inpatient", med_type=med_type, number_key="ipt_no")
    visit.dept_name = fields.text(info, "adm_dept_name", path, max_len=100, required=False)
    _diagnosis(visit, info, path)
    _diseases(data)
    out = {"mdtrt_id": visit.mdtrt_id}
    return {"result": out, "data": out}


def discharge(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2402 出院办理."""
    info = fields.node(data, "dscginfo")
    path = "input.dscginfo"
    visit = ctx.visit_named(info, path, kind="inpatient", lock=True)
    if visit.status != "open":
        raise InterfaceError("该住院已出院或已结算", f"{path}.mdtrt_id")
    endtime = fields.moment(info, "endtime", path)
    fields.not_future(endtime, ctx.now, f"{path}.endtime")
    if endtime < visit.begntime:
        raise InterfaceError("出院时间早于入院时间", f"{path}.endtime")
    visit.endtime = endtime
    if info.get("dise_codg"):
        visit.dise_codg = fields.text(info, "dise_codg", path)
    visit.status = "discharged"
    _diseases(data)
    return {}


def cancel_admission(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2404 入院撤销."""
    d = fields.node(data, "data")
    visit = ctx.visit_named(d, "input.data", kind="inpatient", lock=True)
    _cancel(ctx, visit)
    return {}


def cancel_discharge(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2405 出院撤销."""
    d = fields.node(data, "data")
    visit = ctx.visit_named(d, "input.data", kind="inpatient", lock=True)
    if visit.status == "settled":
        raise InterfaceError("已结算，请先撤销结算（2305）", "input.data.mdtrt_id")
    if visit.status != "discharged":
        raise InterfaceError("该住院尚未出院", "input.data.mdtrt_id")
    visit.endtime = None
    visit.status = "open"
    return {}
