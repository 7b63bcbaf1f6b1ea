"""What applications change, and the lookups that the hospital interface and the settlement use.

- 挂失 takes effect when it is submitted (the card is refused at once, as at a counter);
  解挂 takes effect when approved; a refused 挂失 gives the card back.
- An approved 异地就医备案 becomes a :class:`CrossRegionFiling` in force between its dates.
- An approved 慢特病认定 becomes a :class:`ChronicCertification` for one year from approval
  (source 001: 門診慢性病一年認定一次).
- An approved 首诊医院选择/变更 updates the person's first-visit hospital.
- An approved claim records the amount to pay (the estimate's fund share); 已支付 records when.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.domain.money import fmt
from yibao.persistence.tables import (
    Application,
    ChronicCertification,
    CrossRegionFiling,
    Person,
)
from yibao.rules import settle_case
from yibao.rules.case import Case, Item
from yibao.services import application_forms as forms
from yibao.services import clock
from yibao.services.errors import Conflict

MAX_CLASS_B = 2  # source 000: a person may hold two 乙类 chronic diseases at once
# Local identity codes for 1101 ``idetinfo`` (the national list leaves room for local codes).
IDET_FILING = {"long_term": "901", "temporary": "902", "referral": "903"}
IDET_CHRONIC = "911"


def _today(now: datetime) -> date:
    return now.astimezone(clock.zone()).date()


def claim_case(session: Session, person: Person, details: Mapping[str, Any]) -> Case:
    """The engine case of a claim: its items on the visit date, the person's own year so far,
    no personal account (the person already paid the hospital)."""
    from yibao.services.settlement import year_to_date

    on = date.fromisoformat(details["visit_date"])
    version = forms.policy_version(person, on)
    med_type = details["claim_type"]
    certified = certified_classes(session, person, on) if med_type == "chronic_outpatient" else []
    return Case(
        policy=version,
        date=on,
        group=person.person_group,
        med_type=med_type,
        hospital_level=int(details["hospital_level"]),
        items=tuple(
            Item(name=i["name"], list_type=i["list_type"], amount=Decimal(i["amount"]))
            for i in details["items"]
        ),
        use_account=False,
        continuous_years=person.continuous_years,
        ytd=year_to_date(session, person.id, on.year),
        route="emergency" if details["claim_case"] == "emergency_no_card" else "normal",
        chronic_class=certified[0].chronic_class if certified else None,
        chronic_disease=certified[0].disease_code if certified else None,
    )


def estimate_claim(session: Session, person: Person, details: Mapping[str, Any]) -> dict[str, str]:
    """What the fund would pay for a claim, from the person's own year so far (nothing stored)."""
    case = claim_case(session, person, details)
    r = settle_case(case)
    return {
        "medfee_sumamt": fmt(r.medfee_sumamt),
        "hifp_pay": fmt(r.hifp_pay),
        "fund_pay_sumamt": fmt(r.fund_pay_sumamt),
        "acct_pay": fmt(r.acct_pay),
        "psn_cash_pay": fmt(r.psn_cash_pay),
        "explanation": "\n".join(r.explanation),
    }


def check_chronic_limits(
    session: Session, person: Person, details: Mapping[str, Any], today: date
) -> None:
    held = certified_classes(session, person, today)
    if any(c.disease_code == details["disease_code"] for c in held):
        raise Conflict("这个病种已认定，仍在有效期内", field="disease_code")
    pending = session.scalars(
        select(Application.details).where(
            Application.person_id == person.id,
            Application.kind == "chronic_disease",
            Application.status.in_(("submitted", "reviewing", "returned")),
        )
    )
    if any(json.loads(d).get("disease_code") == details["disease_code"] for d in pending):
        raise Conflict("这个病种已有办理中的认定申请", field="disease_code")
    held_b = sum(1 for c in held if c.chronic_class == "B")
    if details["chronic_class"] == "B" and held_b >= MAX_CLASS_B:
        raise Conflict(
            f"最多可同时认定 {MAX_CLASS_B} 种乙类慢性病（来源 000）", field="chronic_class"
        )


def on_submitted(
    session: Session, person: Person, app: Application, details: Mapping[str, Any], now: datetime
) -> None:
    if app.kind == "card_loss" and details["action"] == "loss":
        person.card_lost_at = now


def on_decided(session: Session, person: Person, app: Application, to: str, now: datetime) -> None:
    details: dict[str, Any] = json.loads(app.details)
    if to == "rejected" and app.kind == "card_loss" and details["action"] == "loss":
        person.card_lost_at = None
    if to == "paid":
        details["paid_at"] = now.isoformat()
        app.details = json.dumps(details, ensure_ascii=False)
    if to != "approved":
        return
    today = _today(now)
    if app.kind == "claim":
        details["approved_amount"] = details.get("estimate", {}).get("fund_pay_sumamt", "0.00")
        app.details = json.dumps(details, ensure_ascii=False)
    elif app.kind == "card_loss":
        if details["action"] == "unloss":
            person.card_lost_at = None
    elif app.kind == "first_visit_hospital":
        person.first_visit_hospital = details["hospital_code"]
    elif app.kind == "cross_region_filing":
        session.add(
            CrossRegionFiling(
                application_id=app.id,
                person_id=person.id,
                filing_type=details["filing_type"],
                destination_region=details["destination_region"],
                institution_code=details.get("institution_code"),
                begin=date.fromisoformat(details["begin"]),
                end=date.fromisoformat(details["end"]) if details.get("end") else None,
                created_at=now,
            )
        )
    elif app.kind == "chronic_disease":
        session.add(
            ChronicCertification(
                application_id=app.id,
                person_id=person.id,
                chronic_class=details["chronic_class"],
                disease_code=details["disease_code"],
                disease_name=details["disease_name"],
                begin=today,
                end=forms.add_months(today, 12) - timedelta(days=1),
                created_at=now,
            )
        )
    session.flush()


def filings_in_force(session: Session, person_id: int, on: date) -> list[CrossRegionFiling]:
    return list(
        session.scalars(
            select(CrossRegionFiling)
            .where(
                CrossRegionFiling.person_id == person_id,
                CrossRegionFiling.begin <= on,
                or_(CrossRegionFiling.end.is_(None), CrossRegionFiling.end >= on),
            )
            .order_by(CrossRegionFiling.id.desc())
        )
    )


def covers(filing: CrossRegionFiling, institution_code: str, institution_region: str) -> bool:
    """The filing names this hospital, or (naming none) this hospital's province or city."""
    if filing.institution_code:
        return filing.institution_code == institution_code
    dest = filing.destination_region
    if dest.endswith("0000"):
        return institution_region[:2] == dest[:2]
    return institution_region[:4] == dest[:4]


def certified_classes(session: Session, person: Person, on: date) -> list[ChronicCertification]:
    return list(
        session.scalars(
            select(ChronicCertification)
            .where(
                ChronicCertification.person_id == person.id,
                ChronicCertification.begin <= on,
                ChronicCertification.end >= on,
            )
            .order_by(ChronicCertification.id)
        )
    )


@dataclass(frozen=True, slots=True)
class Standing:
    """What a hospital sees in 1101 ``idetinfo``: filings and certifications in force."""

    code: str
    level: str
    memo: str
    begin: date
    end: date | None


def filing_standing(
    filing_type: str, destination: str, institution_code: str | None, begin: date, end: date | None
) -> Standing:
    """An approved 异地就医备案 in 1101 ``idetinfo``."""
    return Standing(
        IDET_FILING[filing_type],
        "",
        f"异地就医备案：{forms.FILING_TYPES[filing_type]}，就医地 {destination}"
        + (f"，医院 {institution_code}" if institution_code else ""),
        begin,
        end,
    )


def chronic_standing(
    chronic_class: str, disease_code: str, disease_name: str, begin: date, end: date | None
) -> Standing:
    """A 慢特病认定 in 1101 ``idetinfo``."""
    return Standing(
        IDET_CHRONIC, chronic_class, f"门诊慢特病认定：{disease_name}（{disease_code}）", begin, end
    )


def standing(session: Session, person: Person, on: date) -> list[Standing]:
    rows = [
        filing_standing(f.filing_type, f.destination_region, f.institution_code, f.begin, f.end)
        for f in filings_in_force(session, person.id, on)
    ]
    rows += [
        chronic_standing(c.chronic_class, c.disease_code, c.disease_name, c.begin, c.end)
        for c in certified_classes(session, person, on)
    ]
    return rows


# -- what a settlement takes from approved applications ----------------------------------------

# One statement, joined through the visit being settled, so the hot path can send it in the
# same round trip as its other reads: (kind, type or class, region or disease, hospital, begin,
# end) for every filing and certification of the visit's person (a handful of rows, found by
# the person_id indexes).
STANDING_BY_VISIT_SQL = """
SELECT 'filing', f.filing_type, f.destination_region, f.institution_code, f."begin", f."end"
FROM cross_region_filings f JOIN visits v ON v.person_id = f.person_id
WHERE v.mdtrt_id = :mdtrt_id AND v.institution_id = :institution_id
UNION ALL
SELECT 'chronic', c.chronic_class, c.disease_code, NULL, c."begin", c."end"
FROM chronic_certifications c JOIN visits v ON v.person_id = c.person_id
WHERE v.mdtrt_id = :mdtrt_id AND v.institution_id = :institution_id"""


@dataclass(frozen=True, slots=True)
class CaseTerms:
    """The parts of an engine case that approved applications may change."""

    route: str
    at_first_visit_hospital: bool
    chronic_class: str | None
    chronic_disease: str | None


def _day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def apply_standing(
    rows: list[tuple[Any, ...]],
    terms: CaseTerms,
    *,
    on: date,
    person_region: str,
    institution_code: str,
    institution_region: str,
    engine_med: str,
    visit_disease: str | None,
) -> CaseTerms:
    """The case terms after the person's filings and certifications in force on ``on``:

    - at a hospital outside the person's city that an approved 异地就医备案 covers, the
      first-visit-hospital rule does not apply, and a referral filing settles a normal stay
      as 转外地就医 (route ``transfer_out``, the policy's rate for it);
    - a chronic outpatient visit is settled under the certified class (and disease) instead
      of what the hospital sent: the one certified for the visit's disease, else the first.
    """
    route, at_first = terms.route, terms.at_first_visit_hospital
    chronic_class, chronic_disease = terms.chronic_class, terms.chronic_disease
    certified: list[tuple[str, str]] = []
    for kind, first, second, code, begin, end in rows:
        b, e = _day(begin), _day(end)
        if b is None or b > on or (e is not None and e < on):
            continue
        if kind == "chronic":
            certified.append((str(first), str(second)))
            continue
        elsewhere = institution_region[:4] != person_region[:4]
        dest = str(second)
        covered = (
            code == institution_code
            if code
            else (
                institution_region[:2] == dest[:2]
                if dest.endswith("0000")
                else institution_region[:4] == dest[:4]
            )
        )
        if elsewhere and covered:
            at_first = True
            if first == "referral" and route == "normal":
                route = "transfer_out"
    if engine_med == "chronic_outpatient" and certified:
        match = next((c for c in certified if c[1] == visit_disease), certified[0])
        if match[0] != "default":
            chronic_class = match[0]
        chronic_disease = match[1]
    return CaseTerms(route, at_first, chronic_class, chronic_disease)


def standing_rows(session: Session, person_id: int) -> list[tuple[Any, ...]]:
    """The same rows as :data:`STANDING_BY_VISIT_SQL`, by person (for the ORM paths)."""
    filings = session.execute(
        select(
            CrossRegionFiling.filing_type,
            CrossRegionFiling.destination_region,
            CrossRegionFiling.institution_code,
            CrossRegionFiling.begin,
            CrossRegionFiling.end,
        ).where(CrossRegionFiling.person_id == person_id)
    )
    certs = session.execute(
        select(
            ChronicCertification.chronic_class,
            ChronicCertification.disease_code,
            ChronicCertification.begin,
            ChronicCertification.end,
        ).where(ChronicCertification.person_id == person_id)
    )
    rows: list[tuple[Any, ...]] = [("filing", t, r, c, b, e) for t, r, c, b, e in filings]
    rows += [("chronic", k, d, None, b, e) for k, d, b, e in certs]
    return rows
