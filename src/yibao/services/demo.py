"""Demo data (演示数据): a few hundred synthetic insured persons across the four built-in
policies, institutions in Hohhot, Baotou, Taiyuan and Luzhou, and a catalog sample.

Everything written here has ``demo = True``. ID numbers are synthetic (valid GB 11643 check
digits) and names are random combinations of common surnames and given names.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.domain.idcard import with_check_digit
from yibao.persistence.tables import Person
from yibao.services import auth, catalog, institutions, ledger, persons
from yibao.services.crypto import FieldCrypto

# (policy, person region, county codes for ID numbers, how many)
PLAN = (
    ("nmg-employee", "150100", ("150102", "150103", "150105"), 60),
    ("nmg-employee", "150200", ("150202", "150203", "150207"), 50),
    ("taiyuan-employee", "140100", ("140105", "140106", "140107"), 60),
    ("taiyuan-resident", "140100", ("140105", "140106", "140107"), 60),
    ("national-employee", "510500", ("510502", "510503", "510504"), 40),
)
FIRST_VISIT_HOSPITALS = ("H14010500002", "H14010700003")
ENROLLED_SINCE = date(2024, 1, 1)

# The README's worked examples use these: the hospital (H15010200001, in institutions.json),
# the patient of examples/hospital_exchange.py, and a citizen who can sign in to the app.
EXAMPLE_HOSPITAL = "H15010200001"
EXAMPLE_PATIENT_CERTNO = "150102198505052023"  # 李四, national-employee, account 300.00
CITIZEN_CERTNO = "150102199003150023"  # 王芳, nmg-employee
CITIZEN_PASSWORD = "yibao-demo-2026"  # documented in the README; demo data only


@dataclass
class DemoReport:
    persons: int = 0
    institutions: int = 0
    keys: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, key)
    catalog: catalog.ImportReport | None = None


def _data(name: str) -> str:
    return resources.files("yibao").joinpath("demo", name).read_text(encoding="utf-8")


def has_persons(session: Session) -> bool:
    return session.scalar(select(Person.id).limit(1)) is not None


def _birth_date(rng: random.Random, group: str, today: date) -> date:
    ages = {
        "in_service": (22, 59),
        "retired": (61, 88),
        "adult": (25, 80),
        "minor": (1, 17),
        "student": (18, 23),
    }[group]
    age = rng.randint(*ages)
    return date(today.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))


def _group(rng: random.Random, policy_id: str) -> str:
    if policy_id == "taiyuan-resident":
        return rng.choices(("adult", "minor", "student"), weights=(6, 3, 1))[0]
    return rng.choices(("in_service", "retired"), weights=(7, 3))[0]


def load_demo(
    session: Session,
    *,
    crypto: FieldCrypto | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    seed: int = 2024,
    today: date | None = None,
) -> DemoReport:
    """Write the demo data into the caller's transaction. Deterministic for a given seed."""
    rng = random.Random(seed)
    today = today or date.today()
    report = DemoReport()

    inst_doc: dict[str, Any] = json.loads(_data("institutions.json"))
    for row in inst_doc["institutions"]:
        inst = institutions.create_institution(
            session,
            code=row["code"],
            name=row["name"],
            type=row["type"],
            level=row["level"],
            grade=row["grade"],
            region=row["region"],
            address=row["address"],
            lat=Decimal(row["lat"]),
            lon=Decimal(row["lon"]),
            designated_begin=date(2020, 1, 1),
            cross_province=row["cross_province"],
            demo=True,
        )
        report.keys.append((inst.code, inst.name, institutions.create_api_key(session, inst)))
        report.institutions += 1
    progress(f"定点医药机构：{report.institutions} 家（含 API 密钥）")

    report.catalog = catalog.import_rows(session, _data("catalog.csv"))
    progress(f"医保目录：{report.catalog.added} 条")

    _named_persons(session, crypto, report)
    progress("示例参保人：李四（医院接口示例）、王芳（可登录 app，密码见 README）")

    names: dict[str, Any] = json.loads(_data("names.json"))
    serial = 0
    for policy_id, region, counties, count in PLAN:
        for _ in range(count):
            serial += 1
            group = _group(rng, policy_id)
            born = _birth_date(rng, group, today)
            sex_digit = rng.randint(0, 9)
            county = rng.choice(counties)
            number = with_check_digit(f"{county}{born:%Y%m%d}{serial % 100:02d}{sex_digit}")
            name = rng.choice(names["surnames"]) + rng.choice(names["given"])
            resident = policy_id == "taiyuan-resident"
            person = persons.create_person(
                session,
                name=name,
                certno=number,
                policy_id=policy_id,
                group=group,
                region=region,
                since=max(ENROLLED_SINCE, born),
                phone=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
                first_visit_hospital=rng.choice(FIRST_VISIT_HOSPITALS) if resident else None,
                continuous_years=min(rng.randint(0, 30), today.year - born.year),
                demo=True,
                crypto=crypto,
            )
            if ledger.account_of(session, person) is not None:
                fen = rng.randint(20, 300) * 1000
                ledger.credit(session, person, fen, "monthly_credit", "演示数据：期初划入", "DEMO")
            report.persons += 1
        progress(f"参保人：{policy_id} @ {region} 共 {count} 人")
    load_demo_news(session, progress=progress)
    return report


def load_demo_news(
    session: Session,
    *,
    progress: Callable[[str], None] = lambda _msg: None,
    now: datetime | None = None,
) -> int:
    """Publish the demo 政策资讯 (drawn from the source documents' own policy content)."""
    from yibao.services import news

    now = now or datetime.now(UTC)
    doc: dict[str, Any] = json.loads(_data("news.json"))
    for row in doc["articles"]:
        article = news.create(
            session,
            title=row["title"],
            body=row["body"],
            region=row["region"],
            source=row["source"],
            demo=True,
            now=now,
        )
        news.publish(session, article.id, now=now - timedelta(days=row["days_ago"]))
    progress(f"政策资讯：{len(doc['articles'])} 篇")
    return len(doc["articles"])


def _named_persons(session: Session, crypto: FieldCrypto | None, report: DemoReport) -> None:
    """The two fixed persons the README's examples use."""
    patient = persons.create_person(
        session,
        name="李四",
        certno=EXAMPLE_PATIENT_CERTNO,
        policy_id="national-employee",
        group="in_service",
        region="150100",
        since=ENROLLED_SINCE,
        continuous_years=15,
        demo=True,
        crypto=crypto,
    )
    ledger.credit(session, patient, 30000, "monthly_credit", "演示数据：期初划入", "DEMO")
    citizen = persons.create_person(
        session,
        name="王芳",
        certno=CITIZEN_CERTNO,
        policy_id="nmg-employee",
        group="in_service",
        region="150100",
        since=ENROLLED_SINCE,
        phone="13800000000",
        continuous_years=10,
        demo=True,
        crypto=crypto,
    )
    ledger.credit(session, citizen, 120000, "monthly_credit", "演示数据：期初划入", "DEMO")
    auth.set_password(session, citizen, CITIZEN_PASSWORD)
    report.persons += 2
