"""The settlement engine: for one bill, who pays what, to the cent, and why.

Pure: a function of the case (spec ``shared/spec/settlement.md``) and nothing else; no I/O,
no clock, no database or web imports. Amounts are exact Decimals; rounding (ROUND_HALF_UP
to 0.01) happens only at the points the spec names: each item's 超限价 and 先行自付, and each
fund's payment for the encounter.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from yibao.domain.money import ZERO, fmt, round_cents
from yibao.rules import labels
from yibao.rules.case import Case, ChronicYtd, Item, YearToDate, parse_case
from yibao.rules.policy import Band, Bands, Benefit, PolicyVersion
from yibao.rules.registry import PolicyRegistry
from yibao.rules.result import LineSplit, Result

ONE = Decimal(1)


def split_item(item: Item, default_prop: Decimal, b_preselfpay: bool = True) -> LineSplit:
    """Spec 2.1: 全自费, 超限价自费, 先行自付 and the in-scope rest of one line."""
    amount = item.amount
    if item.list_type == "C":
        return LineSplit(item.name, "C", amount, amount, ZERO, ZERO, ZERO, ONE)
    over = ZERO
    if item.limit_amount is not None and amount > item.limit_amount:
        over = round_cents(amount - item.limit_amount)
    rest = amount - over
    prop = ZERO
    pre = ZERO
    if item.list_type == "B" and b_preselfpay:
        prop = default_prop if item.selfpay_prop is None else item.selfpay_prop
        pre = round_cents(rest * prop)
    return LineSplit(item.name, item.list_type, amount, ZERO, over, pre, rest - pre, prop)


def _ineligible_reason(case: Case, benefit: Benefit | None) -> str | None:
    """Spec 2.2, first matching row wins."""
    if not case.designated and not case.approved:
        return "non_designated"
    cause = case.cause
    if cause is not None and not (cause == "self_harm" and case.mental_illness):
        return cause
    policy = case.policy
    if policy.first_visit_hospital and not case.at_first_visit_hospital:
        if case.med_type == "outpatient":
            return "not_first_visit_hospital"
        if case.med_type == "inpatient" and case.route == "normal":
            return "no_referral"
    if benefit is not None and case.continuous_years < benefit.waiting_years:
        return "waiting_period"
    if benefit is None:
        return "benefit_not_covered"
    return None


def _pay_bands(bands: Bands, lo: Decimal, hi: Decimal, lines: list[str] | None) -> Decimal:
    """Sum of rate × the part of [lo, hi) in each band (unrounded)."""
    total = ZERO
    for band in bands:
        top = hi if band.hi is None or band.hi > hi else band.hi
        bottom = lo if lo > band.lo else band.lo
        if top <= bottom:
            continue
        paid = (top - bottom) * band.rate
        total += paid
        if lines is not None and paid:
            lines.append(
                f"{fmt(bottom)}–{fmt(top)} 元部分按 {labels.pct(band.rate)} 支付 "
                f"{fmt(round_cents(paid))} 元"
            )
    return total


def _pooled_pay(
    bands: Bands, axis: str, year_before: Decimal, dedc: Decimal, inscp: Decimal, why: list[str]
) -> Decimal:
    """Spec 2.4: the pooled fund's payment for the encounter, before the caps: the bands over
    ``[dedc, inscp)`` (on a yearly axis, shifted by the year's in-scope cost so far), summed,
    then rounded once (spec 2: rounding at exactly this point)."""
    offset = year_before if axis == "year" else ZERO
    if offset:
        why.append(
            f"按本年度累计计算：本次为本年政策范围内费用 {fmt(offset + dedc)}–"
            f"{fmt(offset + inscp)} 元部分"
        )
    return round_cents(_pay_bands(bands, offset + dedc, offset + inscp, why))


def _bands_for(case: Case, benefit: Benefit) -> tuple[Bands, str]:
    """The bands that apply to this case, with a note on why they differ from the normal ones."""
    route = benefit.route_rates.get(case.route)
    if route is not None and not (route.elsewhere_only and case.at_first_visit_hospital):
        bands: Bands = (Band(ZERO, None, route.rate),)
        note = labels.ROUTE[case.route]
    else:
        found = benefit.rates.bands(case.group, case.hospital_level)
        bands = found if found is not None else ()
        note = ""
    bonus = benefit.group_bonus.get(case.group, ZERO)
    if case.therapy is not None:
        bonus += benefit.therapy_bonus.get(case.therapy, ZERO)
    if bonus:
        bands = tuple(Band(b.lo, b.hi, min(ONE, b.rate + bonus)) for b in bands)
    return bands, note


def _deductible_due(
    case: Case, benefit: Benefit, chronic: ChronicYtd | None
) -> tuple[Decimal, str]:
    rule = benefit.deductible
    if rule is None:
        return ZERO, ""
    ytd = case.ytd
    standard = rule.standard(case.group, case.hospital_level, ytd.admissions)
    if rule.per == "admission":
        if benefit.oncology_once and case.oncology_course and ytd.oncology_deductible_paid:
            return ZERO, "本年度放化疗已付过起付线"
        return standard, labels.LEVEL[case.hospital_level]
    if rule.per == "admission_order":
        return standard, f"本年度第 {ytd.admissions + 1} 次住院"
    paid = (
        ytd.outpatient_deductible_paid
        if rule.per == "year"
        else (chronic.deductible_paid if chronic else ZERO)
    )
    due = standard - paid
    scope = "本年度门诊" if rule.per == "year" else "本年度该病种"
    return (due if due > ZERO else ZERO), f"{scope}起付线 {fmt(standard)} 元，已付 {fmt(paid)} 元"


def settle_case(case: Case) -> Result:
    """Compute the settlement of a validated case."""
    policy = case.policy
    benefit = policy.benefit_for(case.med_type, case.chronic_class)
    prop = policy.default_selfpay_prop
    b_pre = benefit.b_list_preselfpay if benefit is not None else True
    lines = tuple(split_item(i, prop, b_pre) for i in case.items)
    medfee = sum((ln.amount for ln in lines), ZERO)
    reason = _ineligible_reason(case, benefit)
    if reason is not None or benefit is None:
        return _ineligible(case, reason or "benefit_not_covered", medfee, lines)
    fulamt = sum((ln.fulamt_ownpay_amt for ln in lines), ZERO)
    overlmt = sum((ln.overlmt_selfpay for ln in lines), ZERO)
    pre = sum((ln.preselfpay_amt for ln in lines), ZERO)
    inscp = medfee - fulamt - overlmt - pre
    why: list[str] = []
    if fulamt:
        why.append(f"丙类及目录外费用 {fmt(fulamt)} 元全部自付")
    if overlmt:
        why.append(f"超过支付标准（限价）的 {fmt(overlmt)} 元自付")
    if pre:
        why.append(f"乙类项目先行自付 {fmt(pre)} 元")

    ytd = case.ytd
    disease = case.chronic_disease if case.med_type == "chronic_outpatient" else None
    chronic = ytd.chronic.get(disease) if disease is not None else None
    due, due_note = _deductible_due(case, benefit, chronic)
    dedc = due if due < inscp else inscp
    if dedc:
        why.append(f"起付线 {fmt(dedc)} 元（{due_note}）由个人负担")
    elif due_note and benefit.deductible is not None and inscp:
        why.append(f"本次不再计起付线（{due_note}）")

    bands, band_note = _bands_for(case, benefit)
    if band_note:
        why.append(f"{band_note}：按 {labels.pct(bands[0].rate)} 支付")
    hifp = _pooled_pay(bands, benefit.axis, ytd.outpatient_eligible, dedc, inscp, why)
    hifp = _apply_caps(case, benefit, chronic, hifp, why)

    hifmi = ZERO
    si = policy.serious_illness
    base_after = ytd.serious_illness_base
    if si is not None and case.med_type in si.applies_to:
        base_after = ytd.serious_illness_base + inscp - hifp
        raw = _pay_bands(si.bands, ytd.serious_illness_base, base_after, None)
        hifmi = round_cents(raw)
        if hifmi:
            why.append(
                f"大病保险：本年政策范围内个人负担累计 {fmt(base_after)} 元，"
                f"按 {labels.pct(si.bands[0].rate)} 支付 {fmt(hifmi)} 元"
            )

    fund = hifp + hifmi
    psn_part = medfee - fund
    acct = _account_pay(case, psn_part)
    cash = psn_part - acct
    if hifp:
        why.append(f"统筹基金支付 {fmt(hifp)} 元")
    if acct:
        why.append(f"个人账户支付 {fmt(acct)} 元")
    if cash:
        why.append(f"个人现金支付 {fmt(cash)} 元")

    after = _ytd_after(case, benefit, disease, chronic, dedc, hifp, hifmi, inscp, base_after)
    return Result(
        policy.id,
        policy.version.isoformat(),
        True,
        None,
        medfee,
        fulamt,
        overlmt,
        pre,
        inscp,
        dedc,
        hifp,
        hifmi,
        fund,
        psn_part,
        acct,
        cash,
        after,
        tuple(why),
        lines,
    )


def _apply_caps(
    case: Case, benefit: Benefit, chronic: ChronicYtd | None, hifp: Decimal, why: list[str]
) -> Decimal:
    policy, ytd = case.policy, case.ytd
    limits: list[tuple[Decimal, str]] = []
    if benefit.cap == "shared" and policy.annual_cap is not None:
        limits.append(
            (
                policy.annual_cap - ytd.fund_paid,
                f"统筹基金年度最高支付限额 {fmt(policy.annual_cap)} 元",
            )
        )
    elif benefit.cap == "own" and benefit.own_cap is not None:
        limits.append(
            (
                benefit.own_cap - ytd.outpatient_fund_paid,
                f"{benefit.label}年度最高支付限额 {fmt(benefit.own_cap)} 元",
            )
        )
    paid_for_disease = chronic.fund_paid if chronic else ZERO
    if benefit.disease_cap is not None:
        limits.append(
            (
                benefit.disease_cap - paid_for_disease,
                f"该病种年度最高支付限额 {fmt(benefit.disease_cap)} 元",
            )
        )
    if benefit.monthly_quota is not None and case.chronic_disease is not None:
        quota = benefit.monthly_quota[case.chronic_disease]
        month = case.date.strftime("%m")
        used = chronic.months.get(month, ZERO) if chronic else ZERO
        limits.append((quota - used, f"该病种每月定额 {fmt(quota)} 元"))
    for room, text in limits:
        room = room if room > ZERO else ZERO
        if hifp > room:
            why.append(f"受{text}限制，统筹基金本次最多支付 {fmt(room)} 元")
            hifp = room
    return hifp


def _account_pay(case: Case, psn_part: Decimal) -> Decimal:
    balance = case.account_balance
    if balance is None or not case.use_account or not case.policy.personal_account:
        return ZERO
    return psn_part if psn_part < balance else balance


def _ytd_after(
    case: Case,
    benefit: Benefit,
    disease: str | None,
    chronic: ChronicYtd | None,
    dedc: Decimal,
    hifp: Decimal,
    hifmi: Decimal,
    inscp: Decimal,
    base_after: Decimal,
) -> YearToDate:
    ytd = case.ytd
    changes: dict[str, Any] = {}
    med = case.med_type
    if med == "inpatient":
        changes["admissions"] = ytd.admissions + 1
        if case.oncology_course and benefit.oncology_once and dedc:
            changes["oncology_deductible_paid"] = True
    if benefit.cap == "shared":
        changes["fund_paid"] = ytd.fund_paid + hifp
    if med == "outpatient":
        changes["outpatient_deductible_paid"] = ytd.outpatient_deductible_paid + dedc
        changes["outpatient_fund_paid"] = ytd.outpatient_fund_paid + hifp
        changes["outpatient_eligible"] = ytd.outpatient_eligible + inscp
    if disease is not None:
        old = chronic or ChronicYtd()
        months = dict(old.months)
        if benefit.monthly_quota is not None:
            m = case.date.strftime("%m")
            months[m] = months.get(m, ZERO) + hifp
        entry = ChronicYtd(old.deductible_paid + dedc, old.fund_paid + hifp, months)
        changes["chronic"] = {**ytd.chronic, disease: entry}
    if hifmi or base_after != ytd.serious_illness_base:
        changes["serious_illness_base"] = base_after
        changes["serious_illness_paid"] = ytd.serious_illness_paid + hifmi
    return replace(ytd, **changes) if changes else ytd


def _ineligible(case: Case, reason: str, medfee: Decimal, lines: tuple[LineSplit, ...]) -> Result:
    policy = case.policy
    why = (f"不予报销：{labels.INELIGIBLE[reason]}，全部费用 {fmt(medfee)} 元由个人负担",)
    return Result(
        policy.id,
        policy.version.isoformat(),
        False,
        reason,
        medfee,
        medfee,
        ZERO,
        ZERO,
        ZERO,
        ZERO,
        ZERO,
        ZERO,
        ZERO,
        medfee,
        ZERO,
        medfee,
        case.ytd,
        why,
        lines,
    )


def settle(raw: Any, registry: PolicyRegistry | None = None) -> dict[str, Any]:
    """Validate a case given as decoded JSON and return the result as JSON-ready data."""
    return settle_case(parse_case(raw, registry)).to_dict()


__all__ = ["PolicyVersion", "settle", "settle_case", "split_item"]
