"""Dates on the hospital interface: nothing from the future, designation and enrolment on the
visit's dates and on the day of settlement, and Beijing business time stored as exact UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hospital_client import SHANGHAI, Hospital, World, now_text
from sqlalchemy import func, select

from yibao.config import ConfigError, Settings, get_settings
from yibao.national import fields
from yibao.persistence.tables.hospital import FeeLine, Settlement, Visit
from yibao.services import clock, institutions, persons


def _count(world: World, model: Any) -> int:
    with world.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _registration(h: Hospital, cert: str, psn_no: str, begntime: str) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": psn_no,
            "insutype": "310",
            "begntime": begntime,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": cert,
            "ipt_otp_no": h.msgid()[-12:],
            "atddr_no": "D1",
            "dr_name": "王医生",
            "dept_code": "A01",
            "dept_name": "内科",
            "caty": "A03",
        }
    }


def _admission(cert: str, psn_no: str, begntime: str) -> dict[str, Any]:
    return {
        "mdtrtinfo": {
            "psn_no": psn_no,
            "insutype": "310",
            "begntime": begntime,
            "mdtrt_cert_type": "02",
            "mdtrt_cert_no": cert,
            "med_type": "21",
            "ipt_no": f"ZY{datetime.now(UTC):%H%M%S%f}",
        }
    }


def _psn_no(h: Hospital, cert: str) -> str:
    out = h.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert}})
    return str(out["baseinfo"]["psn_no"])


def _ready(h: Hospital, cert: str, begntime: str) -> dict[str, Any]:
    """Register a visit at ``begntime`` with 500.00 of fees: the 2206/2207 input."""
    psn_no = _psn_no(h, cert)
    mdtrt_id = h.call("2201", _registration(h, cert, psn_no, begntime))["data"]["mdtrt_id"]
    fee = {
        "feedetl_sn": "1",
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "fee_ocur_time": begntime,
        "med_list_codg": "XJ01DCK050A001010100001",
        "det_item_fee_sumamt": Decimal("500.00"),
        "cnt": Decimal("10"),
        "pric": Decimal("50"),
    }
    h.call("2204", {"feedetail": [fee]})
    return {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": cert,
        "med_type": "11",
        "medfee_sumamt": Decimal("500.00"),
        "mdtrt_id": mdtrt_id,
        "acct_used_flag": "1",
        "insutype": "310",
    }


def _move_visit(world: World, mdtrt_id: str, begntime: datetime) -> None:
    """As if the visit had been stored at ``begntime`` (before these checks existed)."""
    with world.session_factory() as s, s.begin():
        visit = s.scalars(select(Visit).where(Visit.mdtrt_id == mdtrt_id)).one()
        visit.begntime = begntime


def test_a_visit_admission_or_discharge_in_the_future_is_refused_and_nothing_is_stored(
    hospital: Hospital, world: World
) -> None:
    cert = world.people["national"]
    psn_no = _psn_no(hospital, cert)
    for begntime in ("2099-01-01 08:00:00", "2099-01-01"):
        err = hospital.fail("2201", _registration(hospital, cert, psn_no, begntime))
        assert "input.data.begntime" in err
        assert "将来" in err
    err = hospital.fail("2401", _admission(cert, psn_no, "2099-01-01 08:00:00"))
    assert "input.mdtrtinfo.begntime" in err
    assert _count(world, Visit) == 0
    # a hospital clock a minute fast is within the allowed skew
    soon = (datetime.now(SHANGHAI) + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")
    mdtrt_id = hospital.call("2401", _admission(cert, psn_no, soon))["result"]["mdtrt_id"]
    later = (datetime.now(SHANGHAI) + timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")
    err = hospital.fail(
        "2402",
        {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "insutype": "310", "endtime": later}},
    )
    assert "input.dscginfo.endtime" in err
    with world.session_factory() as s:
        visit = s.scalars(select(Visit).where(Visit.mdtrt_id == mdtrt_id)).one()
        assert (visit.status, visit.endtime) == ("open", None)


def test_a_visit_stored_in_the_future_is_not_settled(hospital: Hospital, world: World) -> None:
    data = _ready(hospital, world.people["national"], now_text())
    _move_visit(world, data["mdtrt_id"], datetime(2099, 1, 1, tzinfo=UTC))
    assert "begntime" in hospital.fail("2206", {"data": data})
    assert "begntime" in hospital.fail("2207", {"data": data})
    assert _count(world, Settlement) == 0


def test_an_institution_designated_from_2030_cannot_register_or_settle(
    hospital: Hospital, world: World
) -> None:
    with world.session_factory() as s, s.begin():
        inst = institutions.create_institution(
            s,
            code="H15010200030",
            name="2030 年起定点的医院",
            type="hospital",
            region="150102",
            level=2,
            designated_begin=date(2030, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
    future = Hospital(World(world.url, key, world.session_factory), code="H15010200030")
    cert = world.people["national"]
    psn_no = _psn_no(hospital, cert)
    assert "begntime" in future.fail("2201", _registration(future, cert, psn_no, "2031-01-01"))
    err = future.fail("2201", _registration(future, cert, psn_no, now_text()))
    assert "fixmedins_code" in err
    assert "定点" in err
    assert "fixmedins_code" in future.fail("2401", _admission(cert, psn_no, now_text()))
    assert _count(world, Visit) == 0
    future.client.close()


def test_a_person_enrolled_from_2030_cannot_register(hospital: Hospital, world: World) -> None:
    cert = world.people["national"]
    psn_no = _psn_no(hospital, cert)
    with world.session_factory() as s, s.begin():
        person = persons.get_by_psn_no(s, psn_no)
        assert person is not None
        for enrolment in person.enrolments:
            enrolment.begin = date(2030, 1, 1)
    assert "begntime" in hospital.fail("2201", _registration(hospital, cert, psn_no, "2031-01-01"))
    err = hospital.fail("2201", _registration(hospital, cert, psn_no, now_text()))
    assert "input.data.psn_no" in err
    assert "参保" in err
    assert _count(world, Visit) == 0


def test_designation_that_ended_since_the_visit_stops_its_settlement(
    hospital: Hospital, world: World
) -> None:
    data = _ready(hospital, world.people["national"], now_text())
    _move_visit(world, data["mdtrt_id"], datetime(2024, 6, 1, 2, tzinfo=UTC))
    with world.session_factory() as s, s.begin():
        inst = institutions.get_by_code(s, hospital.code)
        assert inst is not None
        inst.designated_end = date(2025, 12, 31)
    assert "fixmedins_code" in hospital.fail("2206", {"data": data})
    assert "fixmedins_code" in hospital.fail("2207", {"data": data})
    assert _count(world, Settlement) == 0


def test_enrolment_that_ended_since_the_visit_stops_its_settlement(
    hospital: Hospital, world: World
) -> None:
    data = _ready(hospital, world.people["national"], now_text())
    _move_visit(world, data["mdtrt_id"], datetime(2024, 6, 1, 2, tzinfo=UTC))
    with world.session_factory() as s, s.begin():
        person = persons.get_by_psn_no(s, data["psn_no"])
        assert person is not None
        persons.change_enrolment(s, person, date(2026, 1, 1), "ended")
    assert "input.data.psn_no" in hospital.fail("2207", {"data": data})
    assert _count(world, Settlement) == 0


def test_times_without_a_zone_are_beijing_time_and_round_trip_as_utc(
    hospital: Hospital, world: World
) -> None:
    data = _ready(hospital, world.people["national"], "2026-11-27 03:59:57")
    with world.session_factory() as s:
        visit = s.scalars(select(Visit).where(Visit.mdtrt_id == data["mdtrt_id"])).one()
        assert visit.begntime == datetime(2026, 11, 26, 19, 59, 57, tzinfo=UTC)
        assert visit.begntime.utcoffset() == timedelta(0)
        line = s.scalars(select(FeeLine).where(FeeLine.visit_id == visit.id)).one()
        assert line.fee_ocur_time == datetime(2026, 11, 26, 19, 59, 57, tzinfo=UTC)
    setl = hospital.call("2207", {"data": data})["setlinfo"]
    found = hospital.call("5203", {"data": {"psn_no": data["psn_no"], "setl_id": setl["setl_id"]}})
    info = found["setlinfo"]
    assert (info["begndate"], info["enddate"], info["year"]) == ("2026-11-27", "2026-11-27", "2026")
    with world.session_factory() as s:
        stored = s.scalars(select(Settlement).where(Settlement.setl_id == setl["setl_id"])).one()
        assert stored.setl_date == date(2026, 11, 27)
        assert clock.local_text(stored.setl_time) == info["setl_time"]


def test_new_years_morning_in_beijing_counts_towards_the_new_year(
    hospital: Hospital, world: World
) -> None:
    data = _ready(hospital, world.people["nmg"], "2026-01-01 05:00:00")
    setl = hospital.call("2207", {"data": data})["setlinfo"]
    info = hospital.call(
        "5203", {"data": {"psn_no": data["psn_no"], "mdtrt_id": data["mdtrt_id"]}}
    )["setlinfo"]
    assert (info["begndate"], info["year"]) == ("2026-01-01", "2026")
    assert setl["setl_id"] == info["setl_id"]


def test_the_business_time_zone_is_configured_by_yibao_timezone(tmp_path: Any) -> None:
    assert Settings.from_env({}).timezone == "Asia/Shanghai"
    assert Settings.from_env({}).clock_skew_seconds == 300
    with pytest.raises(ConfigError, match="YIBAO_TIMEZONE"):
        Settings.from_env({"YIBAO_TIMEZONE": "Mars/Olympus_Mons"})
    with pytest.raises(ConfigError, match="YIBAO_CLOCK_SKEW_SECONDS"):
        Settings.from_env({"YIBAO_CLOCK_SKEW_SECONDS": "-5"})
    utc = Settings.from_env({"YIBAO_TIMEZONE": "UTC", "YIBAO_CLOCK_SKEW_SECONDS": "0"})
    try:
        clock.configure(utc)
        moment = fields.moment({"t": "2026-11-27 03:59:57"}, "t", "input")
        assert moment == datetime(2026, 11, 27, 3, 59, 57, tzinfo=UTC)
        assert fields.local_date(datetime(2026, 11, 26, 19, 59, 57, tzinfo=UTC)) == date(
            2026, 11, 26
        )
        with pytest.raises(ValueError, match="t"):
            fields.not_future(datetime.now(UTC) + timedelta(seconds=5), datetime.now(UTC), "t")
    finally:
        clock.configure(get_settings())
    moment = fields.moment({"t": "2026-11-27 03:59:57"}, "t", "input")
    assert moment == datetime(2026, 11, 26, 19, 59, 57, tzinfo=UTC)


def test_the_last_visit_of_a_person_who_died_since_is_still_settled(
    hospital: Hospital, world: World
) -> None:
    data = _ready(hospital, world.people["national"], now_text())
    _move_visit(world, data["mdtrt_id"], datetime(2024, 6, 1, 2, tzinfo=UTC))
    with world.session_factory() as s, s.begin():
        person = persons.get_by_psn_no(s, data["psn_no"])
        assert person is not None
        persons.record_death(s, person, date(2024, 6, 1))
    setl_id = hospital.call("2207", {"data": data})["setlinfo"]["setl_id"]
    with world.session_factory() as s:
        stored = s.scalars(select(Settlement).where(Settlement.setl_id == setl_id)).one()
        assert (stored.setl_date, stored.year) == (date(2024, 6, 1), 2024)
