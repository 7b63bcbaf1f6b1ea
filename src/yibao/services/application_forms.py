"""The form of each kind of application: checked field by field into the ``details`` JSON.

Every check raises :class:`InvalidInput` (or :class:`Conflict`) naming the field, in Chinese,
before anything is written.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.domain.money import AmountError, parse_amount
from yibao.persistence.tables import Institution, Person
from yibao.rules import default_registry
from yibao.rules.policy import PolicyVersion
from yibao.services import institutions
from yibao.services.errors import InvalidInput
from yibao.services.materials import CLAIM_TYPES

CLAIM_CASES = {
    "not_filed": "异地就医未备案",
    "not_networked": "医院未联网",
    "emergency_no_card": "急诊未带卡等未直接结算",
}
FILING_TYPES = {
    "long_term": "异地长期居住",
    "temporary": "临时外出就医",
    "referral": "转诊转院",
}
CARD_ACTIONS = {"loss": "挂失", "unloss": "解挂"}
LIST_TYPES = {"A": "甲类", "B": "乙类", "C": "丙类"}
MAX_ITEMS = 50
TEMPORARY_MAX_DAYS = 180  # declared: a temporary stay is filed for at most six months
BACKDATE_MAX_DAYS = 180  # declared: a filing may start up to six months back (补办备案, 003)
INVOICE_RE = re.compile(r"^[A-Za-z0-9\-]{4,30}$")
BANK_RE = re.compile(r"^\d{12,19}$")
REGION_RE = re.compile(r"^\d{6}$")
DISEASE_CODE_RE = re.compile(r"^[A-Za-z0-9.\-]{1,30}$")


def policy_version(person: Person, on: date) -> PolicyVersion:
    policy = default_registry().get(person.policy_id)
    version = policy.version_on(on) if policy else None
    if version is None:
        raise InvalidInput(f"你的医保政策在 {on} 没有生效的版本", field="visit_date")
    return version


def text(data: Mapping[str, Any], key: str, label: str, max_len: int, required: bool = True) -> str:
    raw = data.get(key)
    value = "" if raw is None else str(raw).strip()
    if required and not value:
        raise InvalidInput(f"请填写{label}", field=key)
    if len(value) > max_len:
        raise InvalidInput(f"{label}不能超过 {max_len} 个字", field=key)
    return value


def choice(data: Mapping[str, Any], key: str, label: str, options: Mapping[str, str]) -> str:
    value = str(data.get(key) or "").strip()
    if value not in options:
        raise InvalidInput(f"请选择{label}（{'、'.join(options.values())}）", field=key)
    return value


def day(data: Mapping[str, Any], key: str, label: str, required: bool = True) -> date | None:
    raw = data.get(key)
    if raw is None or str(raw).strip() == "":
        if required:
            raise InvalidInput(f"请填写{label}", field=key)
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip())
    except ValueError:
        raise InvalidInput(f"{label}格式应为 年-月-日（如 2025-03-01）", field=key) from None


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _items(raw: Any) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("请至少填写一项费用", field="items")
    if len(raw) > MAX_ITEMS:
        raise InvalidInput(f"费用项目最多 {MAX_ITEMS} 项", field="items")
    items = []
    for i, row in enumerate(raw):
        if not isinstance(row, Mapping):
            raise InvalidInput("费用项目格式不正确", field=f"items[{i}]")
        name = text(row, "name", "项目名称", 100)
        if not name:
            raise InvalidInput("请填写项目名称", field=f"items[{i}].name")
        kind = str(row.get("list_type") or "").strip().upper()
        if kind not in LIST_TYPES:
            raise InvalidInput("请选择甲类、乙类或丙类", field=f"items[{i}].list_type")
        try:
            amount = parse_amount(row.get("amount"))
        except (AmountError, ArithmeticError):
            raise InvalidInput(
                "金额应为正数，最多两位小数（如 128.50）", field=f"items[{i}].amount"
            ) from None
        if amount <= 0 or amount > Decimal("10000000"):
            raise InvalidInput("金额应大于 0 且不超过 1000 万元", field=f"items[{i}].amount")
        items.append({"name": name, "list_type": kind, "amount": f"{amount:.2f}"})
    return items


def claim(person: Person, data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """手工报销: the visit, the invoice, the fee items; checked against the claim deadline."""
    claim_case = choice(data, "claim_case", "未直接结算的原因", CLAIM_CASES)
    claim_type = choice(data, "claim_type", "报销类别", CLAIM_TYPES)
    institution_name = text(data, "institution_name", "就诊医院", 100)
    level_raw = str(data.get("hospital_level") or "").strip()
    if level_raw not in ("1", "2", "3"):
        raise InvalidInput("请选择医院等级（一级、二级、三级）", field="hospital_level")
    visit_date = day(data, "visit_date", "费用发生日期")
    assert visit_date is not None
    if visit_date > today:
        raise InvalidInput("费用发生日期不能晚于今天", field="visit_date")
    version = policy_version(person, visit_date)
    months = version.claim_deadline_months
    if months is not None and add_months(visit_date, months) < today:
        raise InvalidInput(
            f"已超过报销时限：{version.label}规定费用发生后 {months} 个月内申请"
            f"（应在 {add_months(visit_date, months)} 前）",
            field="visit_date",
        )
    invoice_no = text(data, "invoice_no", "发票号", 30)
    if not INVOICE_RE.match(invoice_no):
        raise InvalidInput("发票号应为 4–30 位字母、数字或连字符", field="invoice_no")
    bank = re.sub(r"\s", "", str(data.get("bank_account") or ""))
    if not BANK_RE.match(bank):
        raise InvalidInput("银行卡号应为 12–19 位数字", field="bank_account")
    return {
        "claim_case": claim_case,
        "claim_type": claim_type,
        "institution_name": institution_name,
        "hospital_level": int(level_raw),
        "visit_date": visit_date.isoformat(),
        "invoice_no": invoice_no,
        "bank_account": bank,
        "items": _items(data.get("items")),
    }


def _same_city(a: str, b: str) -> bool:
    return a[:4] == b[:4]


def filing(
    session: Session, person: Person, data: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """异地就医备案: the kind, the destination (region, optionally a hospital) and the dates."""
    filing_type = choice(data, "filing_type", "备案类型", FILING_TYPES)
    region = text(data, "destination_region", "就医地医保区划", 6)
    if not REGION_RE.match(region):
        raise InvalidInput("就医地医保区划应为 6 位数字（如 110000）", field="destination_region")
    if _same_city(region, person.region):
        raise InvalidInput("就医地与参保地在同一统筹区，不需要备案", field="destination_region")
    code = text(data, "institution_code", "就医医院编码", 12, required=filing_type == "referral")
    if code:
        inst = institutions.get_by_code(session, code)
        if inst is None or inst.type != "hospital":
            raise InvalidInput("未找到该定点医院，请核对机构编码", field="institution_code")
        if inst.region[:2] != region[:2] or (
            not region.endswith("0000") and not _same_city(inst.region, region)
        ):
            raise InvalidInput("该医院不在所填的就医地", field="institution_code")
        code = inst.code
    begin = day(data, "begin", "开始日期")
    assert begin is not None
    if begin < today - timedelta(days=BACKDATE_MAX_DAYS):
        raise InvalidInput(f"开始日期最早可补办到 {BACKDATE_MAX_DAYS} 天前", field="begin")
    end = day(data, "end", "结束日期", required=filing_type != "long_term")
    if end is not None and end < begin:
        raise InvalidInput("结束日期不能早于开始日期", field="end")
    if filing_type == "temporary" and end is not None and (end - begin).days > TEMPORARY_MAX_DAYS:
        raise InvalidInput(
            f"临时外出就医备案最长 {TEMPORARY_MAX_DAYS} 天，长期在外请选择异地长期居住",
            field="end",
        )
    return {
        "filing_type": filing_type,
        "destination_region": region,
        "institution_code": code or None,
        "begin": begin.isoformat(),
        "end": end.isoformat() if end else None,
    }


def chronic(person: Person, data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """慢特病认定: the class of the person's policy and the disease."""
    version = policy_version(person, today)
    classes = version.chronic_classes
    if not classes:
        if "chronic_outpatient" not in version.benefits:
            raise InvalidInput(f"{version.label}没有门诊慢特病待遇", field="chronic_class")
        options = {"default": "门诊慢特病"}
    else:
        options = {k: b.label for k, b in classes.items()}
    chronic_class = choice(data, "chronic_class", "慢特病类别", options)
    code = text(data, "disease_code", "病种编码", 30)
    if not DISEASE_CODE_RE.match(code):
        raise InvalidInput("病种编码只含字母、数字、点和连字符", field="disease_code")
    name = text(data, "disease_name", "病种名称", 100, required=False)
    benefit = classes.get(chronic_class)
    if benefit is not None and benefit.diseases is not None:
        if code not in benefit.diseases:
            raise InvalidInput(
                f"{benefit.label}的病种为：{'、'.join(benefit.diseases.values())}",
                field="disease_code",
            )
        name = benefit.diseases[code]
    if not name:
        raise InvalidInput("请填写病种名称", field="disease_name")
    return {"chronic_class": chronic_class, "disease_code": code, "disease_name": name}


def first_visit(
    session: Session, person: Person, data: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """首诊医院选择/变更: a designated hospital in the person's city."""
    version = policy_version(person, today)
    if not version.first_visit_hospital:
        raise InvalidInput(f"{version.label}不实行首诊医院制度", field="hospital_code")
    code = text(data, "hospital_code", "首诊医院", 12)
    inst = institutions.get_by_code(session, code)
    if inst is None or inst.type != "hospital" or not institutions.is_designated_on(inst, today):
        raise InvalidInput("请选择本市的定点医院", field="hospital_code")
    if not _same_city(inst.region, person.region):
        raise InvalidInput("首诊医院应在参保地所在城市", field="hospital_code")
    if inst.code == person.first_visit_hospital:
        raise InvalidInput("这已是你的首诊医院", field="hospital_code")
    return {
        "hospital_code": inst.code,
        "hospital_name": inst.name,
        "previous": person.first_visit_hospital,
    }


def card(person: Person, data: Mapping[str, Any]) -> dict[str, Any]:
    """挂失 / 解挂 of the social-security card."""
    action = choice(data, "action", "办理事项", CARD_ACTIONS)
    if action == "loss" and person.card_lost_at is not None:
        raise InvalidInput("你的医保卡已挂失", field="action")
    if action == "unloss" and person.card_lost_at is None:
        raise InvalidInput("你的医保卡没有挂失，不需要解挂", field="action")
    note = text(data, "note", "说明", 200, required=False)
    return {"action": action, "note": note}


def hospital_options(session: Session, person: Person, today: date) -> list[Institution]:
    """Designated hospitals in the person's city, for the first-visit hospital form."""
    rows = session.scalars(
        select(Institution)
        .where(Institution.type == "hospital", Institution.region.like(f"{person.region[:4]}%"))
        .order_by(Institution.level.desc(), Institution.name)
    )
    return [i for i in rows if institutions.is_designated_on(i, today)]
