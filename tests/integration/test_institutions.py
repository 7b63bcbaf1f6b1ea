from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from yibao.services import institutions
from yibao.services.errors import Conflict, InvalidInput


def _hospital(session: Session, **overrides: object) -> institutions.Institution:
    fields: dict[str, object] = {
        "code": "H15010300001",
        "name": "测试三甲医院",
        "type": "hospital",
        "region": "150100",
        "level": 3,
        "grade": "甲",
        "lat": "40.8216",
        "lon": "111.6556",
    }
    fields.update(overrides)
    return institutions.create_institution(session, **fields)  # type: ignore[arg-type]


def test_an_institution_key_authenticates_only_its_own_institution(session: Session) -> None:
    a = _hospital(session)
    b = _hospital(session, code="P15010200009", name="测试药房", type="pharmacy", level=None)
    key_a = institutions.create_api_key(session, a)
    key_b = institutions.create_api_key(session, b)
    session.commit()
    assert key_a.startswith("yb_")
    assert len(key_a) == 43
    assert institutions.authenticate(session, key_a) is a
    assert institutions.authenticate(session, key_a) is a  # cached path
    assert institutions.authenticate(session, key_b) is b
    assert (
        institutions.authenticate(session, key_a[:-1] + ("A" if key_a[-1] != "A" else "B")) is None
    )
    assert institutions.authenticate(session, "yb_short") is None
    stored = session.execute(text("SELECT prefix, key_hash FROM api_keys")).all()
    assert all(key_a not in h and key_b not in h for _, h in stored)
    assert {p for p, _ in stored} == {key_a[:12], key_b[:12]}
    assert a.lat == Decimal("40.821600")
    assert a.lon == Decimal("111.655600")


def test_a_revoked_key_stops_working_even_after_it_was_cached(session: Session) -> None:
    inst = _hospital(session)
    key = institutions.create_api_key(session, inst)
    assert institutions.authenticate(session, key) is inst
    assert institutions.revoke_api_keys(session, inst) == 1
    assert institutions.authenticate(session, key) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "H1501030001"}, "code"),
        ({"code": "X15010300001"}, "code"),
        ({"code": "P15010300001"}, "code"),
        ({"code": "H14010500001"}, "code"),
        ({"type": "clinic"}, "type"),
        ({"level": 4}, "level"),
        ({"level": None}, "level"),
        ({"grade": "丙"}, "grade"),
        ({"region": "15010"}, "region"),
        ({"lat": "95"}, "lat"),
        ({"lon": None}, "lon"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_institution_input_is_refused_naming_the_field(
    session: Session, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        _hospital(session, **overrides)
    assert err.value.field == field


def test_institution_codes_are_unique_and_designation_has_dates(session: Session) -> None:
    inst = _hospital(session, designated_begin=date(2020, 1, 1), designated_end=date(2025, 12, 31))
    with pytest.raises(Conflict):
        _hospital(session)
    assert institutions.get_by_code(session, "h15010300001") is inst
    assert institutions.is_designated_on(inst, date(2024, 6, 1))
    assert not institutions.is_designated_on(inst, date(2026, 1, 1))
    assert not institutions.is_designated_on(inst, date(2019, 12, 31))
