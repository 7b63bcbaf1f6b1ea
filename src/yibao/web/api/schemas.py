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


# JSON Schemas of the request bodies, for the OpenAPI document. The handlers validate with
# the engine's own parser (same errors as the CLI); these schemas describe the same shape.
MONEY: dict[str, Any] = {
    "description": '金额（元）：十进制字符串如 "12.50"，或 JSON 数字；最多两位小数',
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]{1,14}(\.[0-9]{1,2})?$"},
        {"type": "number", "minimum": 0},
    ],
}
RATIO: dict[str, Any] = {
    "description": '0 到 1 之间的比例，如 "0.10"',
    "anyOf": [{"type": "string", "pattern": r"^(0(\.[0-9]+)?|1(\.0+)?)$"}, {"type": "number"}],
}
ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["list_type", "amount"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "code": {"type": "string", "maxLength": 50},
        "list_type": {"type": "string", "enum": ["A", "B", "C"], "description": "甲类/乙类/丙类"},
        "amount": MONEY,
        "selfpay_prop": RATIO,
        "limit_amount": MONEY,
    },
}
ENCOUNTER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["med_type", "hospital_level", "items"],
    "properties": {
        "med_type": {"type": "string", "description": "就诊类型，如 inpatient、outpatient"},
        "hospital_level": {"type": "integer", "enum": [1, 2, 3]},
        "designated": {"type": "boolean"},
        "approved": {"type": "boolean"},
        "route": {"type": "string"},
        "at_first_visit_hospital": {"type": "boolean"},
        "cause": {"type": "string"},
        "mental_illness": {"type": "boolean"},
        "oncology_course": {"type": "boolean"},
        "therapy": {"type": "string"},
        "chronic": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"class": {"type": "string"}, "disease": {"type": "string"}},
        },
        "items": {"type": "array", "items": ITEM_SCHEMA, "maxItems": 1000},
    },
}
YEAR_TO_DATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "admissions": {"type": "integer", "minimum": 0},
        "oncology_deductible_paid": {"type": "boolean"},
        "fund_paid": MONEY,
        "outpatient_deductible_paid": MONEY,
        "outpatient_fund_paid": MONEY,
        "outpatient_eligible": MONEY,
        "serious_illness_base": MONEY,
        "serious_illness_paid": MONEY,
        "chronic": {"type": "object", "description": "按病种：deductible_paid、fund_paid、months"},
    },
}
CASE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["policy", "date", "person", "encounter"],
    "properties": {
        "policy": {"type": "string", "description": "医保政策，如 nmg-employee"},
        "date": {"type": "string", "format": "date"},
        "person": {
            "type": "object",
            "additionalProperties": False,
            "required": ["group"],
            "properties": {
                "group": {"type": "string", "description": "人员类别，如 in_service、retired"},
                "account_balance": MONEY,
                "use_account": {"type": "boolean"},
                "continuous_years": {"type": "integer", "minimum": 0},
            },
        },
        "year_to_date": YEAR_TO_DATE_SCHEMA,
        "encounter": ENCOUNTER_SCHEMA,
    },
}
MY_ESTIMATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["encounter"],
    "properties": {
        "date": {"type": "string", "format": "date", "description": "默认今天"},
        "encounter": ENCOUNTER_SCHEMA,
    },
}
LOGIN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["certno", "password"],
    "properties": {
        "certno": {"type": "string", "minLength": 1, "maxLength": 18, "description": "身份证号"},
        "password": {"type": "string", "minLength": 1, "maxLength": 128},
    },
}
RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["eligible", "medfee_sumamt", "fund_pay_sumamt", "psn_cash_pay"],
    "properties": {
        "eligible": {"type": "boolean"},
        "medfee_sumamt": {"type": "string"},
        "fund_pay_sumamt": {"type": "string"},
        "psn_cash_pay": {"type": "string"},
        "explanation": {"type": "array", "items": {"type": "string"}},
    },
}


def json_body(schema: dict[str, Any], example: Any = None) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body itself."""
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


_DETAIL = {
    "application/json": {
        "schema": {
            "type": "object",
            "required": ["detail"],
            "properties": {"detail": {"type": "string"}},
        }
    }
}
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录：令牌缺失、无效或已过期", "content": _DETAIL}
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "请求体超过上限（YIBAO_MAX_BODY_BYTES，默认 1 MiB）", "content": _DETAIL}
}
# FastAPI's 422 shape, inline (its own HTTPValidationError component is only emitted when
# FastAPI adds the 422 itself).
VALIDATION_ERROR: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}
INVALID: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "输入有误：detail[].loc 指出字段，msg 说明原因",
        "content": {"application/json": {"schema": VALIDATION_ERROR}},
    }
}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "尝试过于频繁：按 Retry-After 秒后再试",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": _DETAIL,
    }
}
