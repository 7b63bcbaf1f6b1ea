"""Page fixtures: the app on a migrated database (SMS codes kept in memory), browser-like
clients, and citizens at each stage. Helpers: ``page_helpers`` (``post_form`` adds the
CSRF field; ``register``; ``bind``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from page_helpers import Enrolled, PageClient, bind, new_phone, register
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import Settings
from yibao.domain.money import to_fen
from yibao.persistence.tables import Institution, Person, SettlementRecord, Visit
from yibao.rules.case import YTD_AMOUNTS
from yibao.services import institutions, ledger, persons
from yibao.services.settlement import COLUMN_OF_FIELD
from yibao.services.sms import MemorySender
from yibao.web.app import create_app


@pytest.fixture
def page_app(
    migrated_url: str, secret_key_file: Path, session_factory: sessionmaker[Session]
) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=migrated_url, secret_key_file=secret_key_file))
    app.state.sms_sender = MemorySender()
    yield app
    app.state.engine.dispose()  # its pooled connections: PostgreSQL allows only so many


@pytest.fixture
def page_client(page_app: FastAPI) -> Iterator[PageClient]:
    with PageClient(page_app) as client:
        yield client


@pytest.fixture
def new_client(page_app: FastAPI) -> Iterator[Any]:
    """``new_client()``: another independent browser on the same app."""
    made: list[PageClient] = []

    def make() -> PageClient:
        client = PageClient(page_app)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


@pytest.fixture
def enrol(session_factory: sessionmaker[Session], new_certno: Any) -> Any:
    """``enrol(**overrides)``: an enrolled person (nmg-employee, in service) with a phone."""

    def make(**overrides: Any) -> Enrolled:
        number = new_certno(region=overrides.pop("certno_region", "150102"))
        phone = overrides.pop("phone", new_phone())
        fields: dict[str, Any] = {
            "name": "王小明",
            "certno": number,
            "policy_id": "nmg-employee",
            "group": "in_service",
            "region": "150100",
            "since": date(2024, 1, 1),
            "phone": phone,
        }
        fields.update(overrides)
        with session_factory() as session:
            person: Person = persons.create_person(session, **fields)
            session.commit()
            return Enrolled(person.id, person.name, number, phone, person.region)

    return make


@pytest.fixture
def bound_citizen(page_client: PageClient, enrol: Any) -> Enrolled:
    """``page_client`` registered with a fresh phone, signed in and bound to a new person."""
    who: Enrolled = enrol()
    register(page_client, who.phone)
    bind(page_client, who)
    return who


@pytest.fixture
def settle_for(session_factory: sessionmaker[Session]) -> Any:
    """``settle_for(person_id, fund="800.00", cash="200.00")``: a stored settlement at a
    designated hospital (what a hospital's 2207 would leave), plus 500.00 credited to the
    person's account. Returns the setl_id."""
    serial = iter(range(1, 10_000))

    def make(person_id: int, fund: str = "800.00", cash: str = "200.00") -> str:
        n = next(serial)
        now = datetime.now(UTC)
        with session_factory() as session:
            person = session.get(Person, person_id)
            assert person is not None
            code = f"H15010{person_id % 100000:05d}{n % 10}"
            institution = session.scalar(select(Institution).where(Institution.code == code))
            if institution is None:
                institution = institutions.create_institution(
                    session, code=code, name="呼和浩特市第一医院", type="hospital",
                    region="150100", level=3, designated_begin=date(2000, 1, 1),
                )  # fmt: skip
            visit = Visit(
                mdtrt_id=f"V{now:%Y%m%d%H%M%S}{person_id:04d}{n:03d}",
                institution_id=institution.id,
                person_id=person_id,
                kind="inpatient",
                insutype="310",
                med_type="21",
                ipt_otp_no=f"ZY{n}",
                mdtrt_cert_type="02",
                begntime=now,
                status="settled",
            )
            session.add(visit)
            session.flush()
            fund_fen, cash_fen = to_fen(Decimal(fund)), to_fen(Decimal(cash))
            amounts = dict.fromkeys(COLUMN_OF_FIELD.values(), 0)
            amounts.update(
                medfee_fen=fund_fen + cash_fen,
                inscp_scp_fen=fund_fen + cash_fen,
                hifp_pay_fen=fund_fen,
                fund_pay_sumamt_fen=fund_fen,
                psn_part_fen=cash_fen,
                psn_cash_pay_fen=cash_fen,
            )
            ytd = dict.fromkeys(YTD_AMOUNTS, 0)
            ytd.update(fund_paid=fund_fen, admissions=1, oncology=0, chronic={})
            setl_id = f"S{now:%Y%m%d%H%M%S}{person_id:04d}{n:03d}"
            session.add(
                SettlementRecord(
                    setl_id=setl_id, visit_id=visit.id, person_id=person_id,
                    institution_id=institution.id, kind="settle", msgid=setl_id, infno="2304",
                    year=now.year, setl_date=now.date(), med_type="21", insutype="310",
                    policy=person.policy_id, policy_version="2024-01-01", eligible=True,
                    ytd_delta=json.dumps(ytd),
                    explanation=json.dumps(
                        ["住院起付线 800.00 元由个人负担", f"统筹基金按 90% 支付 {fund} 元"],
                        ensure_ascii=False,
                    ),
                    **amounts,
                )
            )  # fmt: skip
            if ledger.account_of(session, person) is not None:
                ledger.credit(session, person, 50_000, "monthly_credit", "个人账户划入 测试")
            session.commit()
            return setl_id

    return make
