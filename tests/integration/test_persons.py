from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from yibao.domain.idcard import (
    IdCardError,
    mask_certno,
    mask_phone,
    parse_certno,
    with_check_digit,
)
from yibao.persistence.tables import Person
from yibao.services import ledger, persons
from yibao.services.errors import Conflict, InvalidInput


def test_a_person_is_enrolled_with_sex_and_birth_date_from_the_id_number(
    new_certno: Callable[..., str],
    session: Session,
) -> None:
    number = new_certno(region="150102", born=date(1990, 3, 7), sex="female")
    p = persons.create_person(
        session,
        name="王芳",
        certno=number,
        policy_id="nmg-employee",
        group="in_service",
        region="150100",
        since=date(2024, 1, 1),
        phone="13812341234",
        continuous_years=12,
    )
    session.commit()
    assert p.sex == "female"
    assert p.birth_date == date(1990, 3, 7)
    assert len(p.psn_no) == 20
    assert p.psn_no.startswith("150100")
    assert p.psn_no.isdigit()
    assert persons.insutype(p) == "310"
    assert persons.psn_type(p) == "1101"
    assert persons.masked_certno(p) == number[:4] + "*" * 10 + number[-4:]
    assert persons.masked_phone(p) == "138****1234"
    assert persons.certno_of(p) == number
    assert persons.get_by_psn_no(session, p.psn_no) is p
    assert persons.find_by_certno(session, number.lower()) is p
    assert persons.find_by_certno(session, new_certno()) is None


def test_the_id_and_phone_numbers_are_unreadable_in_the_database(
    new_certno: Callable[..., str], session: Session
) -> None:
    number = new_certno()
    persons.create_person(
        session,
        name="李强",
        certno=number,
        policy_id="nmg-employee",
        group="retired",
        region="150200",
        phone="13900001111",
    )
    session.commit()
    row = session.execute(text("SELECT * FROM persons")).mappings().one()
    dump = " ".join(str(v) for v in row.values())
    assert number not in dump
    assert number[6:14] not in row["certno_hash"]
    assert b"13900001111" not in bytes(row["phone_ciphertext"])
    assert number.encode() not in bytes(row["certno_ciphertext"])


def test_a_wrong_check_digit_is_refused_naming_the_certno_field(
    new_certno: Callable[..., str], session: Session
) -> None:
    good = new_certno()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(InvalidInput) as err:
        persons.create_person(
            session,
            name="张三",
            certno=bad,
            policy_id="nmg-employee",
            group="in_service",
            region="150100",
        )
    assert err.value.field == "certno"
    assert "校验位" in err.value.message
    session.rollback()
    assert session.scalar(select(Person.id)) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"policy_id": "nowhere"}, "policy"),
        ({"group": "adult"}, "group"),
        ({"region": "1501"}, "region"),
        ({"region": "140100"}, "region"),
        ({"name": "  "}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"first_visit_hospital": "H15010000001"}, "first_visit_hospital"),
        ({"continuous_years": -1}, "continuous_years"),
        ({"since": date(1970, 1, 1)}, "since"),
    ],
)
def test_bad_enrolment_input_is_refused_naming_the_field(
    make_person: Callable[..., Person], overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        make_person(**overrides)
    assert err.value.field == field


def test_the_same_id_number_cannot_be_enrolled_twice(
    new_certno: Callable[..., str],
    make_person: Callable[..., Person],
) -> None:
    number = new_certno()
    make_person(certno=number)
    with pytest.raises(Conflict) as err:
        make_person(certno=number, name="另一人")
    assert err.value.field == "certno"


def test_resident_persons_have_resident_codes_and_a_first_visit_hospital(
    new_certno: Callable[..., str], make_person: Callable[..., Person], session: Session
) -> None:
    minor = make_person(
        certno=new_certno(region="140105", born=date(2015, 6, 1)),
        policy_id="taiyuan-resident",
        group="minor",
        region="140100",
        since=date(2024, 1, 1),
        first_visit_hospital="H14010500001",
    )
    student = make_person(
        certno=new_certno(region="140105", born=date(2004, 6, 1)),
        policy_id="taiyuan-resident",
        group="student",
        region="140100",
    )
    adult = make_person(policy_id="taiyuan-resident", group="adult", region="140100")
    assert (persons.insutype(minor), persons.psn_type(minor)) == ("390", "1403")
    assert persons.psn_type(student) == "1404"
    assert persons.psn_type(adult) == "1501"
    assert minor.first_visit_hospital == "H14010500001"
    # Resident schemes here have no personal account.
    assert ledger.account_of(session, minor) is None
    assert ledger.balance_fen(session, minor) == 0


def test_enrolment_periods_decide_who_is_insured_on_a_date(
    make_person: Callable[..., Person], session: Session
) -> None:
    p = make_person(since=date(2024, 1, 1))
    assert persons.enrolment_on(session, p, date(2023, 12, 31)) is None
    assert persons.enrolment_on(session, p, date(2024, 1, 1)) is not None
    persons.change_enrolment(session, p, date(2024, 6, 1), "paused")
    assert persons.enrolment_on(session, p, date(2024, 5, 31)) is not None
    assert persons.enrolment_on(session, p, date(2024, 7, 1)) is None
    persons.change_enrolment(session, p, date(2024, 9, 1), "active")
    assert persons.enrolment_on(session, p, date(2024, 9, 2)) is not None
    persons.record_death(session, p, date(2025, 2, 3))
    assert p.death_date == date(2025, 2, 3)
    assert persons.enrolment_on(session, p, date(2025, 2, 3)) is not None
    assert persons.enrolment_on(session, p, date(2025, 2, 4)) is None
    statuses = [(e.begin, e.end, e.status) for e in p.enrolments]
    assert statuses[0] == (date(2024, 1, 1), date(2024, 5, 31), "active")
    assert statuses[-1] == (date(2025, 2, 4), None, "ended")


def test_id_number_parsing_and_masking() -> None:
    card = parse_certno("11010519491231002X".lower())
    assert card.number == "11010519491231002X"
    assert card.sex == "female"
    assert card.birth_date == date(1949, 12, 31)
    assert mask_certno(card.number) == "1101**********002X"
    assert mask_phone("13812341234") == "138****1234"
    for bad, why in [
        ("1101051949123100", "18 位"),
        ("11010519491231002Y", "最后一位"),
        ("110105194912310021", "校验位"),
        (with_check_digit("99010519491231002"), "地区码"),
    ]:
        with pytest.raises(IdCardError, match=why):
            parse_certno(bad)
