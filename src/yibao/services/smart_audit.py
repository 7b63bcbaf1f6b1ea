"""智能审核: rules run on every claim, each with a code, a Chinese explanation and parameters
kept as data (``yibao/data/audit-rules.json``). A rule reads :class:`ClaimFacts` (gathered
from the database by :func:`facts_of`) and returns a flag message, or None.

The rules: the same invoice claimed twice, or already settled directly (2207/2304 with the
invoice number at the institution the claim names, not reversed); not enrolled on the visit date, or the visit after
death; an excluded cause; past the claim deadline; readmission to the same institution within
N days; items restricted by sex or age (the catalog's restrictions); amounts that do not add
up; the same person at two institutions at once. The rules that are not about a claim's
paperwork also run on direct settlements (:func:`recent_settlement_flags`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.domain.money import to_fen
from yibao.domain.text import N_, Gettext, Joined, Text
from yibao.persistence.tables import (
    Application,
    FeeLine,
    Institution,
    Person,
    SettlementRecord,
    Visit,
)
from yibao.services import application_forms, catalog, persons


@dataclass(frozen=True, slots=True)
class RestrictedItem:
    name: str
    sex_limit: str | None
    min_age: int | None
    max_age: int | None


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    visit_date: date
    submitted_on: date
    claim_type: str
    institution_name: str
    invoice_no: str
    item_names: tuple[str, ...]
    items_total_fen: int
    medfee_fen: int  # the engine's 医疗费总额 for the claim
    sex: str
    age: int
    enrolled: bool
    death_date: date | None = None
    deadline_months: int | None = None
    other_claims_same_invoice: int = 0
    # (setl_id, date) of the direct settlements of this invoice at this institution that are
    # not reversed (a reversed settlement gave the funds' share back: the invoice may be claimed)
    settled_directly: tuple[tuple[str, date], ...] = ()
    # (date, institution name) of the person's other inpatient claims and hospital visits
    other_inpatient: tuple[tuple[date, str], ...] = ()
    # (begin, end, institution name) of the person's other visits and claims
    other_visits: tuple[tuple[date, date, str], ...] = ()
    restricted: tuple[RestrictedItem, ...] = field(default=())


Rule = Callable[[ClaimFacts, Mapping[str, Any]], Text | None]


def dup_invoice(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    found = []
    if f.other_claims_same_invoice:
        found.append(Text(N_("另有 {count} 件报销申请"), count=f.other_claims_same_invoice))
    for setl_id, on in f.settled_directly:
        found.append(
            Text(
                N_("已于 {date} 在{institution}直接结算（结算号 {setl_id}，未撤销）"),
                date=on,
                institution=f.institution_name,
                setl_id=setl_id,
            )
        )
    if not found:
        return None
    return Text(N_("发票 {invoice} {found}"), invoice=f.invoice_no, found=Joined(N_("；"), found))


def not_enrolled(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    return None if f.enrolled else Text(N_("{date} 不在参保期内"), date=f.visit_date)


def after_death(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    if f.death_date is not None and f.visit_date > f.death_date:
        return Text(
            N_("就诊日期 {visit_date} 晚于死亡日期 {death_date}"),
            visit_date=f.visit_date,
            death_date=f.death_date,
        )
    return None


def excluded_cause(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    text = " ".join((f.institution_name, *f.item_names))
    hits = [k for k in p.get("keywords", ()) if k in text]
    if not hits:
        return None
    return Text(N_("涉及不予支付的情形：{keywords}"), keywords=Joined(N_("、"), hits))


def past_deadline(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    months = f.deadline_months if f.deadline_months is not None else p.get("default_months")
    if months is None:
        return None
    last = application_forms.add_months(f.visit_date, int(months))
    if f.submitted_on > last:
        return Text(
            N_("费用发生后 {months} 个月内应申请（截止 {last}），{submitted} 才提交"),
            months=months,
            last=last,
            submitted=f.submitted_on,
        )
    return None


def readmission(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    if f.claim_type != "inpatient":
        return None
    days = int(p.get("days", 15))
    for when, where in f.other_inpatient:
        if where == f.institution_name and 0 < (f.visit_date - when).days <= days:
            return Text(
                N_("{days} 天内在{institution}再次住院（上次 {last}）"),
                days=days,
                institution=where,
                last=when,
            )
    return None


def sex_age_limit(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    out = []
    for item in f.restricted:
        if item.sex_limit and item.sex_limit != f.sex:
            only = N_("{item}限男性") if item.sex_limit == "male" else N_("{item}限女性")
            out.append(Text(only, item=item.name))
        if item.min_age is not None and f.age < item.min_age:
            out.append(Text(N_("{item}限 {age} 岁以上"), item=item.name, age=item.min_age))
        if item.max_age is not None and f.age > item.max_age:
            out.append(Text(N_("{item}限 {age} 岁以下"), item=item.name, age=item.max_age))
    if not out:
        return None
    return Text(N_("与参保人（{age} 岁）不符：{limits}"), age=f.age, limits=Joined(N_("；"), out))


def amounts_mismatch(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    if abs(f.items_total_fen - f.medfee_fen) > int(p.get("tolerance_fen", 0)):
        return Text(
            N_("明细合计 {items} 元，医疗费总额 {medfee} 元"),
            items=f"{Decimal(f.items_total_fen) / 100:.2f}",
            medfee=f"{Decimal(f.medfee_fen) / 100:.2f}",
        )
    return None


def two_places(f: ClaimFacts, p: Mapping[str, Any]) -> Text | None:
    for begin, end, where in f.other_visits:
        if where != f.institution_name and begin <= f.visit_date <= end:
            return Text(
                N_("{date} 同时在{institution}就诊（{begin} 至 {end}）"),
                date=f.visit_date,
                institution=where,
                begin=begin,
                end=end,
            )
    return None


RULES: dict[str, Rule] = {
    "DUP_INVOICE": dup_invoice,
    "NOT_ENROLLED": not_enrolled,
    "AFTER_DEATH": after_death,
    "EXCLUDED_CAUSE": excluded_cause,
    "PAST_DEADLINE": past_deadline,
    "READMISSION": readmission,
    "SEX_AGE_LIMIT": sex_age_limit,
    "AMOUNTS_MISMATCH": amounts_mismatch,
    "TWO_PLACES": two_places,
}
# The rules' labels as shipped in audit-rules.json, for `make messages` (a label edited in
# the data shows in Chinese until the catalog has it).
LABELS_FOR_CATALOG = (
    N_("同一张发票重复报销，或已在医院直接结算"),
    N_("就诊日未参保或参保已中止"),
    N_("就诊日期在死亡日期之后"),
    N_("费用属于不予支付的情形"),
    N_("超过手工报销申请时限"),
    N_("同一医院短期内再次住院"),
    N_("项目限定性别或年龄，与参保人不符"),
    N_("费用明细合计与医疗费总额不符"),
    N_("同一时间在两家医疗机构就诊"),
)


@dataclass(frozen=True, slots=True)
class Flag:
    """A rule that fired: its code, its label (from the data) and what it found. ``str()``
    is the Chinese line ``"CODE 说明：详情"``; a page shows ``render(gettext)``."""

    code: str
    label: str
    detail: Text

    def render(self, gettext: Gettext = str) -> str:
        line = Text(
            N_("{code} {label}：{detail}"),
            code=self.code,
            label=Text(self.label),
            detail=self.detail,
        )
        return line.render(gettext)

    def __str__(self) -> str:
        return self.render()


@functools.cache
def rule_table() -> dict[str, dict[str, Any]]:
    text = resources.files("yibao").joinpath("data/audit-rules.json").read_text("utf-8")
    table: dict[str, dict[str, Any]] = json.loads(text)["rules"]
    missing = set(RULES) ^ set(table)
    if missing:
        raise RuntimeError(f"audit-rules.json and the rule functions differ: {sorted(missing)}")
    return table


def run(f: ClaimFacts, table: Mapping[str, Mapping[str, Any]] | None = None) -> list[Flag]:
    """A :class:`Flag` for every enabled rule that fires."""
    table = table or rule_table()
    flags = []
    for code, rule in RULES.items():
        spec = table[code]
        if not spec.get("enabled", True):
            continue
        message = rule(f, spec.get("params", {}))
        if message:
            flags.append(Flag(code, str(spec["label"]), message))
    return flags


def direct_settlements(
    session: Session, invono: str, institution_name: str
) -> tuple[tuple[str, date], ...]:
    """(setl_id, date) of the direct settlements (2207/2304) of invoice ``invono`` at the
    institution named ``institution_name`` that are not reversed. A lookup by the invoice's
    index."""
    if not invono:
        return ()
    rows = session.execute(
        select(SettlementRecord.setl_id, SettlementRecord.setl_date)
        .join(Institution, Institution.id == SettlementRecord.institution_id)
        .where(
            SettlementRecord.invono == invono.upper(),
            SettlementRecord.kind == "settle",
            ~SettlementRecord.reversed,
            Institution.name == institution_name.strip(),
        )
        .order_by(SettlementRecord.id)
    ).all()
    return tuple((setl_id, on) for setl_id, on in rows)


def facts_of(session: Session, app: Application, person: Person) -> ClaimFacts:
    d: dict[str, Any] = json.loads(app.details)
    visit_date = date.fromisoformat(d["visit_date"])
    invoice = str(d.get("invoice_no", "")).upper()
    same_invoice = 0
    for raw, status in session.execute(
        select(Application.details, Application.status).where(
            Application.kind == "claim", Application.id != app.id
        )
    ):
        if status != "rejected" and str(json.loads(raw).get("invoice_no", "")).upper() == invoice:
            same_invoice += 1
    other_inpatient: list[tuple[date, str]] = []
    other_visits: list[tuple[date, date, str]] = []
    for raw in session.scalars(
        select(Application.details).where(
            Application.kind == "claim",
            Application.person_id == person.id,
            Application.id != app.id,
            Application.status != "rejected",
        )
    ):
        od = json.loads(raw)
        when, where = date.fromisoformat(od["visit_date"]), od.get("institution_name", "")
        other_visits.append((when, when, where))
        if od.get("claim_type") == "inpatient":
            other_inpatient.append((when, where))
    for v, where in session.execute(
        select(Visit, Institution.name)
        .join(Institution, Institution.id == Visit.institution_id)
        .where(Visit.person_id == person.id, Visit.ipt_otp_no != f"CLAIM{app.id}")
    ).all():
        begin, end = v.begntime.date(), (v.endtime or v.begntime).date()
        other_visits.append((begin, end, where))
        if v.kind == "inpatient":
            other_inpatient.append((begin, where))
    restricted = []
    for item in d.get("items", []):
        found = catalog.search(session, item["name"], limit=1, on_date=visit_date)
        hit = next((c for c in found if c.name == item["name"]), None)
        if hit is not None and (
            hit.sex_limit or hit.min_age is not None or hit.max_age is not None
        ):
            restricted.append(RestrictedItem(hit.name, hit.sex_limit, hit.min_age, hit.max_age))
    total = sum(to_fen(Decimal(i["amount"])) for i in d.get("items", []))
    medfee = to_fen(Decimal(d.get("estimate", {}).get("medfee_sumamt", "0")))
    version = application_forms.policy_version(person, visit_date)
    return ClaimFacts(
        visit_date=visit_date,
        submitted_on=app.created_at.date(),
        claim_type=d.get("claim_type", ""),
        institution_name=d.get("institution_name", ""),
        invoice_no=invoice,
        item_names=tuple(i["name"] for i in d.get("items", [])),
        items_total_fen=total,
        medfee_fen=medfee,
        sex=person.sex,
        age=persons.age_on(person, visit_date),
        enrolled=persons.enrolment_on(session, person, visit_date) is not None,
        death_date=person.death_date,
        deadline_months=version.claim_deadline_months,
        other_claims_same_invoice=same_invoice,
        settled_directly=direct_settlements(session, invoice, d.get("institution_name", "")),
        other_inpatient=tuple(other_inpatient),
        other_visits=tuple(other_visits),
        restricted=tuple(restricted),
    )


def flags_for(session: Session, app: Application, person: Person) -> list[Flag]:
    return run(facts_of(session, app, person))


def claims_of_invoice(session: Session, invono: str, institution_name: str) -> int:
    """How many claims (not rejected) name invoice ``invono`` at ``institution_name``."""
    count = 0
    for raw in session.scalars(
        select(Application.details).where(
            Application.kind == "claim",
            Application.status != "rejected",
            Application.details.ilike(f"%{invono}%"),  # letters, digits, hyphens only
        )
    ):
        d = json.loads(raw)
        if (
            str(d.get("invoice_no", "")).upper() == invono
            and str(d.get("institution_name", "")).strip() == institution_name
        ):
            count += 1
    return count


def settlement_facts(session: Session, setl: SettlementRecord) -> ClaimFacts:
    """The same rules' facts for a direct settlement (its visit and fee lines)."""
    person = session.get(Person, setl.person_id)
    visit = session.get(Visit, setl.visit_id)
    inst = session.get(Institution, setl.institution_id)
    assert person is not None
    assert visit is not None
    assert inst is not None
    lines = session.scalars(select(FeeLine).where(FeeLine.settlement_id == setl.id)).all()
    restricted = []
    for line in lines:
        item = catalog.lookup(session, line.med_list_codg, setl.setl_date)
        if item is not None and (
            item.sex_limit or item.min_age is not None or item.max_age is not None
        ):
            restricted.append(RestrictedItem(item.name, item.sex_limit, item.min_age, item.max_age))
    others = session.execute(
        select(Visit, Institution.name)
        .join(Institution, Institution.id == Visit.institution_id)
        .where(Visit.person_id == person.id, Visit.id != visit.id, Visit.status != "cancelled")
    ).all()
    begin = visit.begntime.date()
    return ClaimFacts(
        visit_date=begin,
        submitted_on=setl.setl_date,
        claim_type=visit.kind,
        institution_name=inst.name,
        invoice_no=setl.invono or "",
        other_claims_same_invoice=(
            claims_of_invoice(session, setl.invono, inst.name) if setl.invono else 0
        ),
        settled_directly=tuple(
            found
            for found in direct_settlements(session, setl.invono or "", inst.name)
            if found[0] != setl.setl_id
        ),
        item_names=tuple(line.name for line in lines),
        items_total_fen=sum(line.amount_fen for line in lines),
        medfee_fen=setl.medfee_fen,
        sex=person.sex,
        age=persons.age_on(person, begin),
        enrolled=persons.enrolment_on(session, person, begin) is not None,
        death_date=person.death_date,
        deadline_months=None,
        other_inpatient=tuple(
            (v.begntime.date(), name) for v, name in others if v.kind == "inpatient"
        ),
        other_visits=tuple(
            (v.begntime.date(), (v.endtime or v.begntime).date(), name) for v, name in others
        ),
        restricted=tuple(restricted),
    )


# Rules that concern a claim only (a direct settlement has no claim deadline); the others
# run on direct settlements too (DUP_INVOICE: a claim names the settlement's invoice).
CLAIM_ONLY = ("PAST_DEADLINE",)


def settlement_flags(session: Session, setl: SettlementRecord) -> list[Flag]:
    table = {
        code: ({**spec, "enabled": False} if code in CLAIM_ONLY else spec)
        for code, spec in rule_table().items()
    }
    return run(settlement_facts(session, setl), table)


def recent_settlement_flags(
    session: Session, regions: tuple[str, ...], limit: int = 200
) -> list[tuple[SettlementRecord, str, list[Flag]]]:
    """The latest direct settlements (not claims, not reversals) that raise a flag."""
    rows = session.execute(
        select(SettlementRecord, Person.region, Person.name)
        .join(Person, Person.id == SettlementRecord.person_id)
        .where(SettlementRecord.kind == "settle", SettlementRecord.infno != "CLAIM")
        .order_by(SettlementRecord.id.desc())
        .limit(limit)
    ).all()
    out = []
    for setl, region, name in rows:
        if regions and not any(region.startswith(r) for r in regions):
            continue
        flags = settlement_flags(session, setl)
        if flags:
            out.append((setl, name, flags))
    return out
