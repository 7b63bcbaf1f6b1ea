"""The citizen app's JSON API: sign-in, and each person's own enrolment, account,
transactions, settlements, e-voucher and a reimbursement estimate from their own state."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from yibao.domain import voucher
from yibao.domain.money import fmt, from_fen
from yibao.persistence.tables import Enrolment, Institution, SettlementRecord
from yibao.rules import CaseError, default_registry
from yibao.services import auth, estimates, ledger, persons
from yibao.web.api.deps import CurrentPerson, PageDep, SessionDep
from yibao.web.api.estimate import field_loc, read_json, validation_error

router = APIRouter(prefix="/api/v1", tags=["参保人"])


@router.post("/auth/login", summary="登录：身份证号 + 密码，返回访问令牌")
async def login(request: Request, session: SessionDep) -> JSONResponse:
    try:
        body = await read_json(request)
    except (ValueError, UnicodeDecodeError):
        return validation_error(["body"], "请求体不是合法的 JSON", "json_invalid")
    if not isinstance(body, dict):
        return validation_error(["body"], "应为 JSON 对象")
    for name in ("certno", "password"):
        if not isinstance(body.get(name), str) or not body[name]:
            return validation_error(["body", name], "必填")
    now = datetime.now(UTC)
    try:
        person = auth.login(session, body["certno"], body["password"], now)
    except auth.LoginFailed:
        session.commit()  # keep the failure count
        return JSONResponse(
            status_code=401, content={"detail": "身份证号或密码错误；连续 5 次错误将锁定 15 分钟"}
        )
    session.commit()
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
def me(person: CurrentPerson, session: SessionDep) -> dict[str, Any]:
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


@router.get("/me/account", summary="个人账户余额与收支明细")
def account(
    person: CurrentPerson,
    session: SessionDep,
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


@router.get("/me/settlements", summary="本人的结算记录")
def settlements(
    person: CurrentPerson,
    session: SessionDep,
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


@router.post("/me/estimate", summary="按本人政策、类别、本年累计和账户余额测算报销")
async def estimate_mine(
    request: Request, person: CurrentPerson, session: SessionDep
) -> JSONResponse:
    try:
        body = await read_json(request)
    except (ValueError, UnicodeDecodeError):
        return validation_error(["body"], "请求体不是合法的 JSON", "json_invalid")
    if not isinstance(body, dict):
        return validation_error(["body"], "应为 JSON 对象")
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


__all__ = ["Decimal"]
