"""Every field of every transaction, replaced by each hostile value, gets an answer (infcode 0
or -1), never a 500 and never a broken envelope. SQLite only: the point is the checks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hospital_client import Hospital, World, now_text

HOSTILE: list[Any] = [
    None,
    "",
    [0, [1, 2, 3], -2],
    {"a": 1},
    True,
    Decimal("-9" + "9" * 60),
    Decimal("1E+999999"),
    "x" * 5000,
    "内\x00科",
    "\ud800",
    "2099-01-01 00:00:00",
]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path


def _replaced(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(payload, default=str))
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return dict(copy)


def _payloads(h: Hospital, world: World) -> dict[str, dict[str, Any]]:
    """A valid input of each transaction, on a real visit and admission."""
    cert = world.people["national"]
    out = h.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert}})
    psn_no = out["baseinfo"]["psn_no"]
    who = {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "insutype": "310"}
    reg = {
        **who,
        "begntime": now_text(),
        "ipt_otp_no": "MZ1",
        "atddr_no": "D1",
        "dr_name": "王医生",
        "dept_code": "A01",
        "dept_name": "内科",
        "caty": "A03",
    }
    mdtrt_id = h.call("2201", {"data": reg})["data"]["mdtrt_id"]
    adm = {**who, "begntime": now_text(), "med_type": "21", "ipt_no": "ZY1"}
    ipt_id = h.call("2401", {"mdtrtinfo": adm})["result"]["mdtrt_id"]
    fee = {
        "feedetl_sn": "1",
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "fee_ocur_time": now_text(),
        "med_list_codg": "XJ01DCK050A001010100001",
        "det_item_fee_sumamt": "10.00",
        "cnt": "1",
        "pric": "10.00",
    }
    settle = {**who, "mdtrt_id": mdtrt_id, "med_type": "11", "medfee_sumamt": "10.00"}
    diag = {"diag_code": "J06.900", "diag_name": "上感", "diag_type": "1"}
    return {
        "9001": {"signIn": {"opter_no": "001", "ip": "127.0.0.1"}},
        "1101": {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "card_sn": "A1"}},
        "1312": {"data": {"page_num": 1, "page_size": 5, "query_date": "2026-01-01"}},
        "2201": {"data": dict(reg, ipt_otp_no="MZ2")},
        "2202": {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": "MZ1"}},
        "2203": {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "med_type": "14",
                "begntime": now_text(),
                "dise_codg": "J06.900",
                "exp_content": {"chronic_class": "A", "oncology_course": "1"},
            },
            "diseinfo": [diag],
        },
        "2204": {"feedetail": [fee]},
        "2205": {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B1", "psn_no": psn_no}},
        "2206": {"data": settle},
        "2207": {"data": dict(settle, inscp_scp_amt="10.00", acct_used_flag="1")},
        "2208": {"data": {"setl_id": "1", "mdtrt_id": mdtrt_id, "psn_no": psn_no}},
        "2301": {"feedetail": [dict(fee, mdtrt_id=ipt_id, med_type="21")]},
        "2302": {"data": [{"feedetl_sn": "1", "mdtrt_id": ipt_id, "psn_no": psn_no}]},
        "2303": {"data": dict(settle, mdtrt_id=ipt_id, med_type="21", mid_setl_flag="1")},
        "2401": {"mdtrtinfo": dict(adm, ipt_no="ZY2"), "diseinfo": [diag]},
        "2402": {"dscginfo": {"mdtrt_id": ipt_id, "psn_no": psn_no, "endtime": now_text()}},
        "2404": {"data": {"mdtrt_id": ipt_id, "psn_no": psn_no}},
        "2405": {"data": {"mdtrt_id": ipt_id, "psn_no": psn_no}},
        "5203": {"data": {"psn_no": psn_no, "setl_id": "1", "mdtrt_id": mdtrt_id}},
    }


def test_every_field_of_every_transaction_survives_hostile_values(
    hospital: Hospital, world: World, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the checks come before the database: once, on SQLite, is enough")
    failures = []
    for infno, payload in _payloads(hospital, world).items():
        for path in _leaves(payload):
            for value in HOSTILE:
                body = hospital.message(infno, _replaced(payload, path, value))
                response = hospital.post_raw(body)
                ok = response.status_code == 200
                if ok:
                    answer = json.loads(response.content)
                    ok = answer["infcode"] in (0, -1) and isinstance(answer["output"], dict)
                if not ok:
                    failures.append((infno, path, repr(value)[:40], response.status_code))
    assert failures == []
