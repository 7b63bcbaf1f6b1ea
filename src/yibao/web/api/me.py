"""The citizen app's JSON API: sign-in, and each person's own enrolment, account,
transactions, settlements, e-voucher and a reimbursement estimate from their own state."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from yibao.domain import voucher
from yibao.domain.money import fmt, from_fen
from yibao.persistence.tables import Enrolment, Institution, SettlementRecord
from yibao.rules import CaseError, default_registry
from yibao.services import auth, estimates, ledger, persons
from yibao.web.api.body import BodyError, field_loc, parse_object, raw_body, validation_error
from yibao.web.api.deps import CurrentPerson, PageDep, ReadSessionDep
from yibao.web.api.schemas import (
    INVALID,
    LOGIN_SCHEMA,
    MY_ESTIMATE_SCHEMA,
    RESULT_SCHEMA,
    TOO_LARGE,
    TOO_MANY,
    UNAUTHORIZED,
    json_body,
)
from yibao.web.ratelimit import retry_after

router = APIRouter(prefix="/api/v1", tags=["参保人"], responses=UNAUTHORIZED)


RawBody = Annotated[bytes, Depends(raw_body)]
TOKEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_at"],
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "enum": ["bearer"]},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}


@router.post(
    "/auth/login",
    summary="登录：身份证号 + 密码，返回访问令牌",
    description=(
        "连续 5 次密码错误锁定 15 分钟。每个客户端地址、每个身份证号的尝试次数有上限"
        "（YIBAO_LOGIN_LIMIT_PER_ADDRESS、YIBAO_LOGIN_LIMIT_PER_ID），超出时返回 429 与 Retry-After。"
    ),
    openapi_extra=json_body(LOGIN_SCHEMA),
    responses={
        200: {"description": "访问令牌", "content": {"application/json": {"schema": TOKEN_SCHEMA}}},
        **INVALID,
        **TOO_LARGE,
        **TOO_MANY,
    },
)
def login(request: Request, body: RawBody) -> JSONResponse:
    try:
        data = parse_object(body)
    except BodyError as exc:
        return exc.response()
    for name, longest in (("certno", 32), ("password", auth.MAX_PASSWORD)):
        value = data.get(name)
        if not isinstance(value, str) or not value:
            return validation_error(["body", name], "必填，应为字符串")
        if len(value) > longest:
            return validation_error(["body", name], f"过长（最多 {longest} 个字符）")
    address = request.client.host if request.client else "unknown"
    wait = request.app.state.login_limits.wait(address, data["certno"])
    if wait:
        return JSONResponse(
            status_code=429,
            content={"detail": "登录尝试过于频繁，请稍后再试"},
            headers={"Retry-After": retry_after(wait)},
        )
    now = datetime.now(UTC)
    try:
        person = auth.login(
            request.app.state.session_factory,
            data["certno"],
            data["password"],
            now,
            reader=request.app.state.read_session_factory,
        )
    except auth.LoginFailed:
        return JSONResponse(
            status_code=401, content={"detail": "身份证号或密码错误；连续 5 次错误将锁定 15 分钟"}
        )
    token = auth.issue_token(request.app.state.token_key, person, now)
    return JSONResponse(
        {
            "access_token": token.value,
            "token_type": "bearer",
            "expires_at": token.expires_at.isoformat(),
        }
    )


def _enrolment(e: Enrolment) -> dict[str, Any]:
    return {
        "begin": e.begin.isoformat(),
        "end": e.end.isoformat() if e.end else None,
        "status": e.status,
    }


@router.get("/me", summary="本人参保信息（证件号、手机号已脱敏）")
def me(person: CurrentPerson, session: ReadSessionDep) -> dict[str, Any]:
    policy = default_registry().get(person.policy_id)
    enrolments = session.scalars(
        select(Enrolment).where(Enrolment.person_id == person.id).order_by(Enrolment.begin)
    )
    return {
        "psn_no": person.psn_no,
        "name": person.name,
        "certno": persons.masked_certno(person),
        "phone": persons.masked_phone(person),
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "region": person.region,
        "scheme": person.scheme,
        "insutype": persons.insutype(person),
        "policy": person.policy_id,
        "policy_label": policy.label if policy else None,
        "group": person.person_group,
        "psn_type": persons.psn_type(person),
        "first_visit_hospital": person.first_visit_hospital,
        "continuous_years": person.continuous_years,
        "enrolled_today": persons.enrolment_on(session, person, date.today()) is not None,
        "enrolments": [_enrolment(e) for e in enrolments],
    }


@router.get("/me/account", summary="个人账户余额与收支明细", responses=INVALID)
def account(
    person: CurrentPerson,
    session: ReadSessionDep,
    page: PageDep,
) -> dict[str, Any]:
    rows = ledger.transactions(session, person, limit=page.limit, offset=page.offset)
    return {
        "balance": fmt(from_fen(ledger.balance_fen(session, person))),
        "transactions": [
            {
                "time": r.created_at.isoformat(),
                "kind": r.kind,
                "label": r.label,
                "reason": r.reason,
                "ref": r.ref,
                "amount": fmt(from_fen(r.amount_fen)),
            }
            for r in rows
        ],
    }


@router.get("/me/settlements", summary="本人的结算记录", responses=INVALID)
def settlements(
    person: CurrentPerson,
    session: ReadSessionDep,
    page: PageDep,
) -> dict[str, Any]:
    rows = session.execute(
        select(SettlementRecord, Institution.name)
        .join(Institution, Institution.id == SettlementRecord.institution_id)
        .where(SettlementRecord.person_id == person.id)
        .order_by(SettlementRecord.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    ).all()
    return {
        "settlements": [
            {
                "setl_id": s.setl_id,
                "kind": s.kind,
                "reversed": s.reversed,
                "institution": name,
                "setl_date": s.setl_date.isoformat(),
                "med_type": s.med_type,
                "medfee_sumamt": fmt(from_fen(s.medfee_fen)),
                "fund_pay_sumamt": fmt(from_fen(s.fund_pay_sumamt_fen)),
                "acct_pay": fmt(from_fen(s.acct_pay_fen)),
                "psn_cash_pay": fmt(from_fen(s.psn_cash_pay_fen)),
                "explanation": json.loads(s.explanation),
            }
            for s, name in rows
        ]
    }


@router.get("/me/voucher", summary="医保电子凭证（二维码内容，10 分钟有效）")
def voucher_token(request: Request, person: CurrentPerson) -> dict[str, Any]:
    now = datetime.now(UTC)
    token = voucher.issue(request.app.state.voucher_key, person.psn_no, now)
    return {
        "mdtrt_cert_type": "01",
        "mdtrt_cert_no": token,
        "expires_at": (now + voucher.DEFAULT_TTL).isoformat(),
    }


@router.post(
    "/me/estimate",
    summary="按本人政策、类别、本年累计和账户余额测算报销",
    openapi_extra=json_body(MY_ESTIMATE_SCHEMA),
    responses={
        200: {
            "description": "结算结果",
            "content": {"application/json": {"schema": RESULT_SCHEMA}},
        },
        **INVALID,
        **TOO_LARGE,
    },
)
def estimate_mine(person: CurrentPerson, session: ReadSessionDep, raw: RawBody) -> JSONResponse:
    try:
        body = parse_object(raw)
    except BodyError as exc:
        return exc.response()
    for name in ("policy", "person", "year_to_date"):
        if name in body:
            return validation_error(["body", name], "此字段由本人参保信息决定，不能提交")
    on = body.get("date") or date.today().isoformat()
    try:
        when = date.fromisoformat(on) if isinstance(on, str) else None
    except ValueError:
        when = None
    if when is None:
        return validation_error(["body", "date"], "日期格式应为 YYYY-MM-DD")
    try:
        return JSONResponse(estimates.estimate(session, person, body.get("encounter"), when))
    except CaseError as exc:
        return validation_error(field_loc(exc.field), exc.message)
