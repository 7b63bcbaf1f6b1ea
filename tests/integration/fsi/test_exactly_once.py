"""Exactly once, isolation between institutions, validity dates and bad input."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from hospital_client import Hospital, World, now_text
from sqlalchemy import func, select

from yibao.config import load_secret_key
from yibao.domain import voucher
from yibao.persistence.tables import FsiMessage, SettlementRecord
from yibao.services import institutions, persons


def _ready_visit(h: Hospital, world: World, label: str = "national") -> dict[str, Any]:
    """Register a visit and upload 500.00 of class A fees; the 2207 input to settle it."""
    cert = world.people[label]
    psn_no = h.call(
        "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "psn_cert_type": "01"}}
    )["baseinfo"]["psn_no"]
    mdtrt_id = h.call(
        "2201",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "ipt_otp_no": h.msgid()[-12:],
                "atddr_no": "D1",
                "dr_name": "王医生",
                "dept_code": "A01",
                "dept_name": "内科",
                "caty": "A03",
            }
        },
    )["data"]["mdtrt_id"]
    h.call(
        "2204",
        {
            "feedetail": [
                {
                    "feedetl_sn": "1",
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "chrg_bchno": "B1",
                    "rx_circ_flag": "0",
                    "fee_ocur_time": now_text(),
                    "med_list_codg": "XJ01DCK050A001010100001",
                    "medins_list_codg": "L1",
                    "det_item_fee_sumamt": Decimal("500.00"),
                    "cnt": Decimal("10"),
                    "pric": Decimal("50"),
                    "bilg_dept_codg": "A01",
                    "bilg_dept_name": "内科",
                    "bilg_dr_codg": "D1",
                    "bilg_dr_name": "王医生",
                    "hosp_appr_flag": "0",
                }
            ]
        },
    )
    return {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": cert,
        "med_type": "11",
        "medfee_sumamt": Decimal("500.00"),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "chrg_bchno": "B1",
        "acct_used_flag": "1",
        "insutype": "310",
    }


def _count(world: World, model: Any) -> int:
    with world.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_repeated_msgid_returns_the_first_answer_and_changes_nothing(
    hospital: Hospital, world: World
) -> None:
    data = _ready_visit(hospital, world)
    body = hospital.message("2207", {"data": data})
    first = hospital.post_raw(body)
    second = hospital.post_raw(body)
    assert json.loads(first.content)["infcode"] == 0
    assert first.content == second.content
    assert _count(world, SettlementRecord) == 1


def test_the_same_msgid_with_a_different_body_is_refused(hospital: Hospital, world: World) -> None:
    data = _ready_visit(hospital, world)
    msgid = hospital.msgid()
    hospital.call("2207", {"data": data}, msgid=msgid)
    changed = dict(data, acct_used_flag="0")
    assert "msgid" in hospital.fail("2207", {"data": changed}, msgid=msgid)
    assert _count(world, SettlementRecord) == 1


def test_fifty_parallel_retries_of_one_msgid_have_one_effect_and_one_answer(
    hospital: Hospital, world: World
) -> None:
    data = _ready_visit(hospital, world)
    body = hospital.message("2207", {"data": data})

    def send(_: int) -> bytes:
        with httpx.Client(
            base_url=world.url, timeout=60, headers={"Authorization": f"Bearer {world.key}"}
        ) as c:
            return c.post(
                "/fsi/api",
                content=json.dumps(body, default=str),
                headers={"content-type": "application/json"},
            ).content

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, range(50)))
    assert len(set(answers)) == 1
    assert json.loads(answers[0])["infcode"] == 0
    assert _count(world, SettlementRecord) == 1


def test_bad_input_names_the_field_and_stores_nothing(hospital: Hospital, world: World) -> None:
    data = _ready_visit(hospital, world)
    messages = _count(world, FsiMessage)
    bad = dict(data, medfee_sumamt="12.345")
    assert "medfee_sumamt" in hospital.fail("2207", {"data": bad})
    wrong_total = dict(data, medfee_sumamt=Decimal("499.00"))
    assert "medfee_sumamt" in hospital.fail("2207", {"data": wrong_total})
    missing = {k: v for k, v in data.items() if k != "mdtrt_id"}
    assert "mdtrt_id" in hospital.fail("2207", {"data": missing})
    envelope = hospital.message("2207", {"data": data})
    del envelope["msgid"]
    reply = json.loads(hospital.post_raw(envelope).content)
    assert reply["infcode"] == -1
    assert "msgid" in reply["err_msg"]
    assert "infno" in hospital.fail("9999", {"data": {}})
    assert _count(world, FsiMessage) == messages
    assert _count(world, SettlementRecord) == 0


def test_a_request_without_a_valid_key_is_unauthorized(hospital: Hospital) -> None:
    body = hospital.message("9001", {"signIn": {"opter_no": "1", "ip": "127.0.0.1"}})
    with httpx.Client(base_url=hospital.world.url) as c:
        assert c.post("/fsi/api", json=body).status_code == 401
        bad = c.post("/fsi/api", json=body, headers={"Authorization": "Bearer yb_wrong"})
        assert bad.status_code == 401
        assert json.loads(bad.content)["infcode"] == -1


def test_only_the_settling_institution_can_query_or_reverse(
    hospital: Hospital, world: World
) -> None:
    data = _ready_visit(hospital, world)
    setl_id = hospital.call("2207", {"data": data})["setlinfo"]["setl_id"]
    with world.session_factory() as s, s.begin():
        other = institutions.create_institution(
            s,
            code="H15010200002",
            name="另一家医院",
            type="hospital",
            region="150102",
            level=2,
            designated_begin=date(2020, 1, 1),
        )
        other_key = institutions.create_api_key(s, other)
    rival = Hospital(World(world.url, other_key, world.session_factory), code="H15010200002")
    query = {"data": {"psn_no": data["psn_no"], "setl_id": setl_id}}
    assert "未找到" in rival.fail("5203", query)
    assert "不存在" in rival.fail(
        "2208",
        {"data": {"setl_id": setl_id, "mdtrt_id": data["mdtrt_id"], "psn_no": data["psn_no"]}},
    )
    assert hospital.call("5203", query)["setlinfo"]["setl_id"] == setl_id


def test_persons_and_institutions_outside_their_dates_are_refused(
    hospital: Hospital, world: World
) -> None:
    data = _ready_visit(hospital, world)
    with world.session_factory() as s, s.begin():
        person = persons.get_by_psn_no(s, data["psn_no"])
        assert person is not None
        persons.record_death(s, person, date(2021, 1, 1))
    assert "psn_no" in hospital.fail("2207", {"data": data})
    with world.session_factory() as s, s.begin():
        inst = institutions.get_by_code(s, hospital.code)
        assert inst is not None
        inst.designated_end = date(2021, 12, 31)
    assert "定点" in hospital.fail("2207", {"data": data})


def test_an_e_voucher_identifies_the_person_until_it_expires(
    hospital: Hospital, world: World, secret_key_file: Any
) -> None:
    key = voucher.derive_key(load_secret_key(secret_key_file))
    psn_no = hospital.call(
        "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": world.people["nmg"]}}
    )["baseinfo"]["psn_no"]
    token = voucher.issue(key, psn_no, datetime.now(UTC))
    out = hospital.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    assert out["baseinfo"]["psn_no"] == psn_no
    old = voucher.issue(key, psn_no, datetime.now(UTC) - timedelta(hours=1))
    assert "过期" in hospital.fail(
        "1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": old}}
    )
    forged = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert "签名" in hospital.fail(
        "1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": forged}}
    )


def test_an_envelope_with_only_the_essential_fields_is_processed(hospital: Hospital) -> None:
    body = {
        "infno": "9001",
        "msgid": hospital.msgid(),
        "mdtrtarea_admvs": "150102",
        "fixmedins_code": hospital.code,
        "input": {"signIn": {"opter_no": "001", "ip": "127.0.0.1"}},
    }
    reply = json.loads(hospital.post_raw(body).content)
    assert reply["infcode"] == 0, reply
    bad_time = dict(body, msgid=hospital.msgid(), inf_time="2026/11/25")
    reply = json.loads(hospital.post_raw(bad_time).content)
    assert reply["infcode"] == -1
    assert "inf_time" in reply["err_msg"]
    other = dict(body, msgid=hospital.msgid(), fixmedins_code="H15010200099")
    reply = json.loads(hospital.post_raw(other).content)
    assert reply["infcode"] == -1
    assert "fixmedins_code" in reply["err_msg"]
