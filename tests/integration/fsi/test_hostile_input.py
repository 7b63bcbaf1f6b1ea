"""Hostile input on /fsi/api gets infcode -1 naming the field, never a 500, and stores nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hospital_client import Hospital, World, now_text
from sqlalchemy import func, select

from yibao.persistence.tables import FsiMessage
from yibao.persistence.tables.hospital import FeeLine, Settlement, Visit


def _count(world: World, model: Any) -> int:
    with world.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    body = json.loads(response.content)
    assert body["infcode"] == -1, body
    return str(body["err_msg"])


def _post_text(h: Hospital, text: str) -> httpx.Response:
    return h.client.post("/fsi/api", content=text, headers={"content-type": "application/json"})


def _registration(h: Hospital, world: World, **changes: Any) -> dict[str, Any]:
    cert = world.people["national"]
    out = h.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert}})
    data = {
        "psn_no": out["baseinfo"]["psn_no"],
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
    data.update(changes)
    return {"data": data}


def test_deeply_nested_json_is_refused_before_it_is_decoded(hospital: Hospital) -> None:
    envelope = json.dumps(hospital.message("9001", {"signIn": {"opter_no": "1", "ip": "x"}}))
    deep_array = "[" * 100_000 + "]" * 100_000
    deep_object = '{"a":' * 5_000 + "1" + "}" * 5_000
    for deep in (deep_array, deep_object):
        assert "嵌套" in _refusal(_post_text(hospital, deep))
        inside = envelope.replace('"input": {', f'"extra": {deep}, "input": {{', 1)
        assert "嵌套" in _refusal(_post_text(hospital, inside))
    # brackets inside strings are text, not nesting
    text = envelope.replace('"opter_no": "1"', '"opter_no": "[[[[{{{{"', 1)
    assert json.loads(_post_text(hospital, text).content)["infcode"] == 0


@pytest.mark.parametrize("bad", ["内\ud800科", "内\x00科", "\udfff"])
def test_a_nul_or_a_lone_surrogate_in_any_text_is_refused_naming_the_field(
    hospital: Hospital, world: World, bad: str
) -> None:
    registration = _registration(hospital, world, dept_name=bad)
    odd_key = hospital.message("2201", _registration(hospital, world))
    odd_key["input"]["data"][f"x{bad}"] = "1"
    sign_in = hospital.message("9001", {"signIn": {"opter_no": "1", "ip": "127.0.0.1"}})
    sign_in["opter_name"] = bad
    messages = _count(world, FsiMessage)
    assert "input.data.dept_name" in hospital.fail("2201", registration)
    assert "input.data.x" in _refusal(hospital.post_raw(odd_key))
    assert "opter_name" in _refusal(hospital.post_raw(sign_in))
    assert _count(world, FsiMessage) == messages
    assert _count(world, Visit) == 0


def test_a_page_number_too_large_for_the_database_is_refused(hospital: Hospital) -> None:
    for page_num in (99999999999999999999, "99999999999999999999", Decimal("9" * 5000), -1, 1.5):
        err = hospital.fail("1312", {"data": {"page_num": page_num, "page_size": 10}})
        assert "input.data.page_num" in err
    assert hospital.call("1312", {"data": {"page_num": 1_000_000}})["data"] == []


def _fee(mdtrt_id: str, psn_no: str, amount: Any) -> dict[str, Any]:
    return {
        "feedetl_sn": "1",
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "fee_ocur_time": now_text(),
        "med_list_codg": "XJ01DCK050A001010100001",
        "det_item_fee_sumamt": amount,
        "cnt": Decimal("1"),
        "pric": Decimal("1.23"),
    }


def test_money_is_only_a_json_number_or_a_decimal_string(hospital: Hospital, world: World) -> None:
    reg = _registration(hospital, world)
    psn_no = reg["data"]["psn_no"]
    mdtrt_id = hospital.call("2201", reg)["data"]["mdtrt_id"]
    for amount in (
        [0, [1, 2, 3], -2],
        [0, [1, 2, 3], "-2"],
        {"sign": 0},
        True,
        "1_23",
        "1.23e0",
        "NaN",
        "１.２３",
        Decimal("9" * 5000),
        Decimal("1E+999999999"),
    ):
        err = hospital.fail("2204", {"feedetail": [_fee(mdtrt_id, psn_no, amount)]})
        assert "input.feedetail[0].det_item_fee_sumamt" in err, (amount, err)
    assert _count(world, FeeLine) == 0
    out = hospital.call("2204", {"feedetail": [_fee(mdtrt_id, psn_no, "1.23")]})
    assert out["result"][0]["det_item_fee_sumamt"] == Decimal("1.23")
    settle = {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "mdtrt_cert_type": "02",
        "insutype": "310",
        "medfee_sumamt": [0, [1, 2, 3], -2],
    }
    assert "input.data.medfee_sumamt" in hospital.fail("2207", {"data": settle})
    assert _count(world, Settlement) == 0


def test_a_huge_integer_in_a_text_field_is_refused_naming_the_field(
    hospital: Hospital, world: World
) -> None:
    err = hospital.fail("2201", _registration(hospital, world, ipt_otp_no=Decimal("9" * 5000)))
    assert "input.data.ipt_otp_no" in err
    assert _count(world, Visit) == 0


def test_5203_answers_an_unknown_person_like_a_person_without_that_settlement(
    hospital: Hospital, world: World
) -> None:
    psn_no = _registration(hospital, world)["data"]["psn_no"]
    unknown = hospital.fail("5203", {"data": {"psn_no": "15010299999999999999", "setl_id": "1"}})
    known = hospital.fail("5203", {"data": {"psn_no": psn_no, "setl_id": "1"}})
    assert unknown == known
    assert "input.data.setl_id" in known
