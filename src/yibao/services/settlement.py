"""Direct settlement of a visit (2206/2207, 2303/2304) and its reversal (2208/2305).

The only place where the engine, the stored visit and the ledger meet. Recording a
settlement writes the settlement, its fund rows, the personal-account debit and the
fee lines' link in the caller's transaction, so all of it commits together or not at all.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from yibao.domain.money import ZERO, from_fen, to_fen
from yibao.domain.shown import shown
from yibao.national import codes
from yibao.persistence.tables import Account, Institution, Person, YearToDateRow
from yibao.persistence.tables.hospital import FeeLine, Settlement, SettlementFund, Visit
from yibao.rules import default_registry, settle_case
from yibao.rules.case import Case, Item, YearToDate
from yibao.rules.result import Result
from yibao.services import ledger
from yibao.services import year_to_date as ytd_sums
from yibao.services.errors import Conflict, InvalidInput


@dataclass(frozen=True, slots=True)
class Computed:
    case: Case
    result: Result
    lines: list[FeeLine]
    account: Account | None  # the person's account (employee schemes), balance before
    balance_before: Decimal | None


def new_id(now: datetime) -> str:
    """An opaque platform serial (``mdtrt_id``, ``setl_id``): time + random, 22 digits."""
    return f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


def year_to_date(session: Session, person_id: int, year: int) -> YearToDate:
    """The person's year-to-date state: their stored row for the year (one read)."""
    row = session.get(YearToDateRow, (person_id, year))
    return ytd_sums.state(json.loads(row.totals) if row is not None else {})


def add_to_year(session: Session, person_id: int, year: int, delta: dict[str, Any]) -> None:
    """Add one settlement's (or reversal's) contribution to the person's year row."""
    row = session.get(YearToDateRow, (person_id, year))
    if row is None:
        session.add(
            YearToDateRow(
                person_id=person_id,
                year=year,
                totals=json.dumps(ytd_sums.add(ytd_sums.empty_totals(), delta)),
            )
        )
    else:
        row.totals = json.dumps(ytd_sums.add(json.loads(row.totals), delta))


def unsettled_lines(session: Session, visit: Visit) -> list[FeeLine]:
    return list(
        session.scalars(
            select(FeeLine)
            .where(FeeLine.visit_id == visit.id, FeeLine.settlement_id.is_(None))
            .order_by(FeeLine.id)
        )
    )


def compute(
    session: Session,
    visit: Visit,
    person: Person,
    institution: Institution,
    *,
    med_type: str,
    use_account: bool,
    on: date,
    lines: list[FeeLine] | None = None,
) -> Computed:
    """Build the engine case from what is stored and settle it (nothing is written).
    ``lines``: the visit's unsettled fee lines, if the caller has read them already."""
    policy = default_registry().get(person.policy_id)
    version = policy.version_on(on) if policy else None
    if version is None:
        raise InvalidInput(
            f"参保人的医保政策 {person.policy_id} 在 {on} 没有生效的版本", field="psn_no"
        )
    engine_med, route = codes.MED_TYPES[med_type]
    if lines is None:
        lines = unsettled_lines(session, visit)
    items = tuple(
        Item(
            name=ln.name,
            list_type=ln.list_type,
            amount=from_fen(ln.amount_fen),
            selfpay_prop=ln.selfpay_prop if ln.list_type == "B" else None,
            limit_amount=None if ln.limit_fen is None else from_fen(ln.limit_fen),
        )
        for ln in lines
    )
    account = ledger.account_of(session, person) if version.personal_account else None
    balance = None if account is None else from_fen(account.balance_fen or 0)
    at_first = not version.first_visit_hospital or person.first_visit_hospital == institution.code
    chronic_class = visit.chronic_class if engine_med == "chronic_outpatient" else None
    if engine_med == "chronic_outpatient" and version.chronic_classes:
        if chronic_class is None or chronic_class not in version.chronic_classes:
            raise InvalidInput(
                f"{version.id} 的门诊慢特病须在 2203 的 exp_content.chronic_class 中注明类别"
                f"（{', '.join(version.chronic_classes)}）",
                field="exp_content.chronic_class",
            )
        benefit = version.chronic_classes[chronic_class]
        if benefit.diseases is not None and visit.dise_codg not in benefit.diseases:
            raise InvalidInput(
                f"病种 {shown(visit.dise_codg)} 不是{benefit.label}的病种",
                field="mdtrtinfo.dise_codg",
            )
    case = Case(
        policy=version,
        date=on,
        group=person.person_group,
        med_type=engine_med,
        hospital_level=institution.level or 1,
        items=items,
        account_balance=balance if use_account else None,
        use_account=use_account,
        continuous_years=person.continuous_years,
        ytd=year_to_date(session, person.id, on.year),
        route=route,
        at_first_visit_hospital=at_first,
        oncology_course=visit.oncology_course,
        chronic_class=chronic_class,
        chronic_disease=visit.dise_codg if engine_med == "chronic_outpatient" else None,
    )
    return Computed(case, settle_case(case), lines, account, balance)


def record(
    session: Session,
    computed: Computed,
    visit: Visit,
    person: Person,
    institution: Institution,
    *,
    msgid: str,
    infno: str,
    med_type: str,
    now: datetime,
) -> Settlement:
    """Write the settlement, its fund rows and the account debit (the caller commits)."""
    r = computed.result
    setl_id = new_id(now)
    ytd_delta = ytd_sums.delta(computed.case.ytd, r.year_to_date_after)
    add_to_year(session, person.id, computed.case.date.year, ytd_delta)
    acct_fen = to_fen(r.acct_pay)
    if acct_fen:
        ledger.debit(
            session,
            person,
            acct_fen,
            kind="settlement_debit",
            reason=f"医保结算 {setl_id}（{institution.name}）",
            ref=setl_id,
            account=computed.account,
        )
    # the account's balance after the debit (kept current by the ledger's UPDATE … RETURNING)
    balc_fen = (computed.account.balance_fen or 0) if computed.account is not None else 0
    settlement = Settlement(
        setl_id=setl_id,
        visit_id=visit.id,
        person_id=person.id,
        institution_id=institution.id,
        kind="settle",
        msgid=msgid,
        infno=infno,
        year=computed.case.date.year,
        setl_date=computed.case.date,
        setl_time=now,
        med_type=med_type,
        insutype=visit.insutype,
        policy=r.policy,
        policy_version=r.policy_version,
        eligible=r.eligible,
        balc_fen=balc_fen,
        ytd_delta=json.dumps(ytd_delta),
        explanation=json.dumps(list(r.explanation), ensure_ascii=False),
        **_amounts_fen(r),
    )
    session.add(settlement)
    visit.status = "settled"
    session.flush()
    rows = [
        {
            "settlement_id": settlement.id,
            "fund_pay_type": fund_type,
            "inscp_scp_fen": to_fen(r.inscp_scp_amt),
            "fund_payamt_fen": fen,
        }
        for fund_type, fen in fund_rows(person.scheme, r)
    ]
    if rows:
        session.execute(insert(SettlementFund), rows)
    session.execute(
        update(FeeLine)
        .where(FeeLine.id.in_([ln.id for ln in computed.lines]))
        .values(settlement_id=settlement.id)
        .execution_options(synchronize_session=False)
    )
    return settlement


def fund_rows(scheme: str, r: Result) -> list[tuple[str, int]]:
    rows = [
        (codes.FUND_POOLED[scheme], to_fen(r.hifp_pay)),
        (codes.FUND_SERIOUS[scheme], to_fen(r.hifmi_pay)),
        (codes.FUND_ACCOUNT, to_fen(r.acct_pay)),
    ]
    return [(t, fen) for t, fen in rows if fen]


# Result field (national name) -> stored column, in integer fen.
COLUMN_OF_FIELD = {
    "medfee_sumamt": "medfee_fen",
    "fulamt_ownpay_amt": "fulamt_ownpay_fen",
    "overlmt_selfpay": "overlmt_selfpay_fen",
    "preselfpay_amt": "preselfpay_fen",
    "inscp_scp_amt": "inscp_scp_fen",
    "act_pay_dedc": "act_pay_dedc_fen",
    "hifp_pay": "hifp_pay_fen",
    "hifmi_pay": "hifmi_pay_fen",
    "fund_pay_sumamt": "fund_pay_sumamt_fen",
    "psn_part_amt": "psn_part_fen",
    "acct_pay": "acct_pay_fen",
    "psn_cash_pay": "psn_cash_pay_fen",
}


def _amounts_fen(r: Result) -> dict[str, int]:
    return {col: to_fen(getattr(r, name)) for name, col in COLUMN_OF_FIELD.items()}


def reverse(
    session: Session,
    original: Settlement,
    person: Person,
    institution: Institution,
    *,
    msgid: str,
    infno: str,
    now: datetime,
) -> Settlement:
    """冲销: a new settlement with every amount negated; account and year-to-date restored."""
    if original.kind != "settle" or original.reversed:
        raise Conflict("该结算已撤销，不能重复撤销", field="setl_id")
    setl_id = new_id(now)
    taken_out = ytd_sums.negate(json.loads(original.ytd_delta))
    add_to_year(session, original.person_id, original.year, taken_out)
    if original.acct_pay_fen:
        ledger.credit(
            session,
            person,
            original.acct_pay_fen,
            kind="reversal",
            reason=f"撤销结算 {original.setl_id}",
            ref=setl_id,
        )
    balc_fen = (
        ledger.balance_fen(session, person) if original.balc_fen or original.acct_pay_fen else 0
    )
    reversal = Settlement(
        setl_id=setl_id,
        visit_id=original.visit_id,
        person_id=original.person_id,
        institution_id=original.institution_id,
        kind="reversal",
        reverses_id=original.id,
        msgid=msgid,
        infno=infno,
        year=original.year,
        setl_date=original.setl_date,
        setl_time=now,
        med_type=original.med_type,
        insutype=original.insutype,
        policy=original.policy,
        policy_version=original.policy_version,
        eligible=original.eligible,
        balc_fen=balc_fen,
        ytd_delta=json.dumps(taken_out),
        explanation=json.dumps(
            [f"撤销结算 {original.setl_id}：基金、个人账户与本年度累计已恢复"], ensure_ascii=False
        ),
        **{col: -getattr(original, col) for col in COLUMN_OF_FIELD.values()},
    )
    original.reversed = True
    session.add(reversal)
    session.flush()
    for fund in session.scalars(
        select(SettlementFund).where(SettlementFund.settlement_id == original.id)
    ):
        session.add(
            SettlementFund(
                settlement_id=reversal.id,
                fund_pay_type=fund.fund_pay_type,
                inscp_scp_fen=-fund.inscp_scp_fen,
                fund_payamt_fen=-fund.fund_payamt_fen,
            )
        )
    for line in session.scalars(select(FeeLine).where(FeeLine.settlement_id == original.id)):
        line.settlement_id = None
    visit = session.get(Visit, original.visit_id)
    if visit is not None:
        visit.status = "discharged" if visit.endtime is not None else "open"
    session.flush()
    return reversal


__all__ = ["ZERO", "Computed", "compute", "record", "reverse", "year_to_date"]
