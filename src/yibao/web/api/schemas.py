"""Examples shown in the OpenAPI docs."""

from __future__ import annotations

from typing import Any

CASE_SCHEMA_EXAMPLE: dict[str, Any] = {
    "policy": "nmg-employee",
    "date": "2025-03-10",
    "person": {"group": "in_service", "account_balance": "1200.00", "use_account": True},
    "year_to_date": {"admissions": 0, "fund_paid": "0.00"},
    "encounter": {
        "med_type": "inpatient",
        "hospital_level": 3,
        "items": [
            {"name": "头孢克洛胶囊", "list_type": "A", "amount": "15000.00"},
            {"name": "某乙类药", "list_type": "B", "amount": "6000.00", "selfpay_prop": "0.10"},
            {"name": "护工费", "list_type": "C", "amount": "1000.00"},
        ],
    },
}

RESULT_EXAMPLE: dict[str, Any] = {
    "policy": "nmg-employee",
    "policy_version": "2024-01-01",
    "eligible": True,
    "ineligible_reason": None,
    "medfee_sumamt": "22000.00",
    "fulamt_ownpay_amt": "1000.00",
    "overlmt_selfpay": "0.00",
    "preselfpay_amt": "600.00",
    "inscp_scp_amt": "20400.00",
    "act_pay_dedc": "800.00",
    "hifp_pay": "16970.00",
    "hifmi_pay": "0.00",
    "fund_pay_sumamt": "16970.00",
    "psn_part_amt": "5030.00",
    "acct_pay": "1200.00",
    "psn_cash_pay": "3830.00",
    "explanation": [
        "起付线 800.00 元（三级医院）由个人负担",
        "800.00–5000.00 元部分按 80% 支付 3360.00 元",
    ],
}
