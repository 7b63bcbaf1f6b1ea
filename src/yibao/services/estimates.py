"""A reimbursement estimate from the person's own policy, group, year-to-date and account
balance: what the settlement engine would pay for an encounter today. Nothing is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from yibao.domain.money import fmt, from_fen
from yibao.persistence.tables import Person
from yibao.rules import settle
from yibao.rules.result import ytd_to_dict
from yibao.services import ledger
from yibao.services.settlement import year_to_date


def case_for(session: Session, person: Person, encounter: Any, when: date) -> dict[str, Any]:
    """The engine's case for ``encounter`` as this person on ``when``."""
    person_part: dict[str, Any] = {
        "group": person.person_group,
        "continuous_years": person.continuous_years,
    }
    if person.scheme == "employee":
        person_part["account_balance"] = fmt(from_fen(ledger.balance_fen(session, person)))
    return {
        "policy": person.policy_id,
        "date": when.isoformat(),
        "person": person_part,
        "year_to_date": ytd_to_dict(year_to_date(session, person.id, when.year)),
        "encounter": encounter,
    }


def estimate(session: Session, person: Person, encounter: Any, when: date) -> dict[str, Any]:
    """The engine's result (a dict); raises the engine's ``CaseError`` naming the field."""
    return settle(case_for(session, person, encounter, when))
