"""What approved applications change at the hospital counter: 1101 shows filings and
certified chronic classes; a card reported lost is refused by 1101 and 2201 until 解挂."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hospital_client import Hospital, World, now_text

from yibao.persistence.tables import Person
from yibao.services import applications, persons
from yibao.services.applications import Upload


def _person(world: World, label: str) -> tuple[int, str]:
    with world.session_factory() as s:
        person = persons.find_by_certno(s, world.people[label])
        assert person is not None
        return person.id, person.psn_no


def _file_and_approve(
    world: World, label: str, kind: str, form: dict[str, Any], files: list[Upload]
) -> None:
    person_id, _ = _person(world, label)
    with world.session_factory() as s, s.begin():
        person = s.get(Person, person_id)
        assert person is not None
        app = applications.submit(s, person, kind, form, files)
        if kind != "card_loss":
            applications.decide(s, app.id, "reviewing")
            applications.decide(s, app.id, "approved")


def _card(world: World, label: str) -> dict[str, str]:
    return {"mdtrt_cert_type": "03", "mdtrt_cert_no": world.people[label], "card_sn": "CARD1"}


def test_a_card_reported_lost_is_refused_until_it_is_found_again(
    hospital: Hospital, world: World
) -> None:
    assert hospital.call("1101", {"data": _card(world, "nmg")})["baseinfo"]["psn_no"]
    _file_and_approve(world, "nmg", "card_loss", {"action": "loss"}, [])
    message = hospital.fail("1101", {"data": _card(world, "nmg")})
    assert "已挂失" in message
    by_id = {"mdtrt_cert_type": "02", "mdtrt_cert_no": world.people["nmg"]}
    psn_no = hospital.call("1101", {"data": by_id})["baseinfo"]["psn_no"]
    registration = {
        "psn_no": psn_no,
        "insutype": "310",
        "begntime": now_text(),
        **_card(world, "nmg"),
        "ipt_otp_no": "LOST-1",
        "atddr_no": "D1",
        "dr_name": "王医生",
        "dept_code": "A01",
        "dept_name": "内科",
        "caty": "A03",
    }
    assert "已挂失" in hospital.fail("2201", {"data": registration})
    person_id, _ = _person(world, "nmg")
    with world.session_factory() as s, s.begin():
        person = s.get(Person, person_id)
        assert person is not None
        [loss] = applications.list_for_person(s, person)
        applications.decide(s, loss.id, "reviewing")
        applications.decide(s, loss.id, "approved")
        unloss = applications.submit(s, person, "card_loss", {"action": "unloss"})
        applications.decide(s, unloss.id, "reviewing")
        applications.decide(s, unloss.id, "approved")
    assert hospital.call("2201", {"data": registration})["data"]["mdtrt_id"]


def test_1101_shows_an_approved_filing_and_a_certified_chronic_class(
    hospital: Hospital, world: World
) -> None:
    today = datetime.now(UTC).date()
    filing = {
        "filing_type": "long_term",
        "destination_region": "110000",
        "begin": today.isoformat(),
    }
    proof = [Upload("residence", "居住证.pdf", "application/pdf", b"%PDF-1.4")]
    _file_and_approve(world, "nmg", "cross_region_filing", filing, proof)
    chronic = {"chronic_class": "B", "disease_code": "I10", "disease_name": "高血压"}
    files = [
        Upload("diagnosis", "诊断.pdf", "application/pdf", b"%PDF-1.4"),
        Upload("inpatient_record", "病历.pdf", "application/pdf", b"%PDF-1.4"),
    ]
    _file_and_approve(world, "nmg", "chronic_disease", chronic, files)
    out = hospital.call(
        "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": world.people["nmg"]}}
    )
    rows = {row["psn_idet_type"]: row for row in out["idetinfo"]}
    assert rows["901"]["memo"] == "异地就医备案：异地长期居住，就医地 110000"
    assert rows["901"]["begntime"] == f"{today.isoformat()} 00:00:00"
    assert rows["901"]["endtime"] == ""
    assert rows["911"]["psn_type_lv"] == "B"
    assert "高血压" in rows["911"]["memo"]
    end = today + timedelta(days=364)
    assert rows["911"]["endtime"][:4] in (str(end.year), str(end.year + 1))
