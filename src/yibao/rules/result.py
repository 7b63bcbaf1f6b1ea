"""The settlement result (spec section 5), with the field names of the national platform."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from yibao.domain.money import ZERO, fmt
from yibao.rules.case import YearToDate


@dataclass(frozen=True, slots=True)
class LineSplit:
    """One fee line split as the platform's 2204/2301 ``result[]`` row."""

    name: str
    list_type: str
    amount: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    selfpay_prop: Decimal


# The result's amounts, in the order of the spec (and of :class:`Result`'s fields).
AMOUNT_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
    "acct_pay",
    "psn_cash_pay",
)


@dataclass(frozen=True, slots=True)
class Result:
    policy: str
    policy_version: str
    eligible: bool
    ineligible_reason: str | None
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    act_pay_dedc: Decimal
    hifp_pay: Decimal
    hifmi_pay: Decimal
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    acct_pay: Decimal
    psn_cash_pay: Decimal
    year_to_date_after: YearToDate
    explanation: tuple[str, ...]
    lines: tuple[LineSplit, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "policy_version": self.policy_version,
            "eligible": self.eligible,
            "ineligible_reason": self.ineligible_reason,
            "medfee_sumamt": fmt(self.medfee_sumamt),
            "fulamt_ownpay_amt": fmt(self.fulamt_ownpay_amt),
            "overlmt_selfpay": fmt(self.overlmt_selfpay),
            "preselfpay_amt": fmt(self.preselfpay_amt),
            "inscp_scp_amt": fmt(self.inscp_scp_amt),
            "act_pay_dedc": fmt(self.act_pay_dedc),
            "hifp_pay": fmt(self.hifp_pay),
            "hifmi_pay": fmt(self.hifmi_pay),
            "fund_pay_sumamt": fmt(self.fund_pay_sumamt),
            "psn_part_amt": fmt(self.psn_part_amt),
            "acct_pay": fmt(self.acct_pay),
            "psn_cash_pay": fmt(self.psn_cash_pay),
            "year_to_date_after": ytd_to_dict(self.year_to_date_after),
            "explanation": list(self.explanation),
        }


def ytd_to_dict(y: YearToDate) -> dict[str, Any]:
    return {
        "admissions": y.admissions,
        "oncology_deductible_paid": y.oncology_deductible_paid,
        "fund_paid": fmt(y.fund_paid),
        "outpatient_deductible_paid": fmt(y.outpatient_deductible_paid),
        "outpatient_fund_paid": fmt(y.outpatient_fund_paid),
        "outpatient_eligible": fmt(y.outpatient_eligible),
        "chronic": {
            code: _chronic_dict(c.deductible_paid, c.fund_paid, c.months)
            for code, c in y.chronic.items()
        },
        "serious_illness_base": fmt(y.serious_illness_base),
        "serious_illness_paid": fmt(y.serious_illness_paid),
    }


def _chronic_dict(dedc: Decimal, fund: Decimal, months: Mapping[str, Decimal]) -> dict[str, Any]:
    out: dict[str, Any] = {"deductible_paid": fmt(dedc), "fund_paid": fmt(fund)}
    if months:
        out["months"] = {m: fmt(v) for m, v in sorted(months.items())}
    return out


__all__ = ["ZERO", "LineSplit", "Result", "ytd_to_dict"]
