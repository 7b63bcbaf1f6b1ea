"""A scripted hospital runs whole outpatient and inpatient sequences over HTTP."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hospital_client import Hospital, World, now_text
from sqlalchemy import func, select

from yibao.persistence.tables.hospital import Settlement
from yibao.services import ledger, persons


def _person(h: Hospital, world: World, label: str) -> dict[str, Any]:
    out = h.call(
        "1101",
        {
            "data": {
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": world.people[label],
                "psn_cert_type": "01",
                "certno": world.people[label],
            }
        },
    )
    return {
        "psn_no": out["baseinfo"]["psn_no"],
        "insutype": out["insuinfo"][0]["insutype"],
        "cert": world.people[label],
        "info": out,
    }


def _fee(
    sn: str, mdtrt_id: str, psn_no: str, code: str, cnt: str, pric: str, total: str
) -> dict[str, Any]:
    return {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "rx_circ_flag": "0",
        "fee_ocur_time": now_text(),
        "med_list_codg": code,
        "medins_list_codg": f"H-{code}",
        "det_item_fee_sumamt": Decimal(total),
        "cnt": Decimal(cnt),
        "pric": Decimal(pric),
        "bilg_dept_codg": "A01",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D001",
        "bilg_dr_name": "王医生",
        "hosp_appr_flag": "0",
    }


def _balance(world: World, psn_no: str) -> int:
    with world.session_factory() as s:
        person = persons.get_by_psn_no(s, psn_no)
        assert person is not None
        return ledger.balance_fen(s, person)


def test_outpatient_sequence_settles_then_reverses_everything(
    hospital: Hospital, world: World
) -> None:
    sign = hospital.call("9001", {"signIn": {"opter_no": "001", "mac": "", "ip": "127.0.0.1"}})
    assert len(sign["signinoutb"]["sign_no"]) == 30
    p = _person(hospital, world, "national")
    assert p["info"]["baseinfo"]["certno"].count("*") == 10  # masked
    assert p["insutype"] == "310"
    reg = hospital.call(
        "2201",
        {
            "data": {
                "psn_no": p["psn_no"],
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": p["cert"],
                "ipt_otp_no": "MZ0001",
                "atddr_no": "D001",
                "dr_name": "王医生",
                "dept_code": "A01",
                "dept_name": "内科",
                "caty": "A03",
            }
        },
    )["data"]
    mdtrt_id = reg["mdtrt_id"]
    hospital.call(
        "2203",
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": p["psn_no"],
                "med_type": "11",
                "begntime": now_text(),
                "dise_codg": "J06.900",
                "dise_name": "上呼吸道感染",
            },
            "diseinfo": [
                {
                    "diag_type": "1",
                    "diag_srt_no": 1,
                    "diag_code": "J06.900",
                    "diag_name": "上呼吸道感染",
                    "diag_dept": "内科",
                    "dise_dor_no": "D001",
                    "dise_dor_name": "王医生",
                    "diag_time": now_text(),
                    "vali_flag": "1",
                }
            ],
        },
    )
    fees = hospital.call(
        "2204",
        {
            "feedetail": [
                _fee("1", mdtrt_id, p["psn_no"], "XJ01DCK050A001010100001", "10", "45", "450.00"),
                _fee("2", mdtrt_id, p["psn_no"], "001102000010000", "1", "50", "50.00"),
                _fee("3", mdtrt_id, p["psn_no"], "NOT-IN-CATALOG", "1", "20", "20.00"),
            ]
        },
    )["result"]
    assert [r["chrgitm_lv"] for r in fees] == ["01", "01", "03"]
    assert fees[2]["fulamt_ownpay_amt"] == Decimal("20.00")
    assert "全自费" in fees[2]["memo"]
    settle_input = {
        "psn_no": p["psn_no"],
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p["cert"],
        "med_type": "11",
        "medfee_sumamt": Decimal("520.00"),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "chrg_bchno": "B1",
        "acct_used_flag": "1",
        "insutype": "310",
    }
    pre = hospital.call("2206", {"data": settle_input})["setlinfo"]
    assert "setl_id" not in pre
    # national-employee, in service, level 3 outpatient: deductible 100, 400 × 60% = 240
    assert pre["hifp_pay"] == Decimal("240.00")
    assert pre["act_pay_dedc"] == Decimal("100.00")
    before = _balance(world, p["psn_no"])
    out = hospital.call("2207", {"data": settle_input})
    info = out["setlinfo"]
    assert info["hifp_pay"] == Decimal("240.00")
    assert info["psn_part_amt"] == Decimal("280.00") == info["acct_pay"] + info["psn_cash_pay"]
    assert info["acct_pay"] == Decimal("280.00")
    assert info["medfee_sumamt"] == (
        info["fulamt_ownpay_amt"]
        + info["overlmt_selfpay"]
        + info["preselfpay_amt"]
        + info["inscp_scp_amt"]
    )
    assert {d["fund_pay_type"] for d in out["setldetail"]} == {"310100", "310200"}
    assert _balance(world, p["psn_no"]) == before - 28000
    q = hospital.call("5203", {"data": {"psn_no": p["psn_no"], "setl_id": info["setl_id"]}})
    assert q["setlinfo"]["hifp_pay"] == Decimal("240.00")
    rev = hospital.call(
        "2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}
    )["setlinfo"]
    assert rev["medfee_sumamt"] == Decimal("-520.00")
    assert rev["hifp_pay"] == Decimal("-240.00")
    assert rev["setl_id"] != info["setl_id"]
    assert _balance(world, p["psn_no"]) == before
    again = hospital.call("2206", {"data": settle_input})["setlinfo"]
    assert again["act_pay_dedc"] == Decimal("100.00")  # the year-to-date is restored too
    assert "已撤销" in hospital.fail(
        "2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": p["psn_no"]}}
    )


def test_inpatient_sequence_settles_the_spec_example_then_reverses(
    hospital: Hospital, world: World
) -> None:
    p = _person(hospital, world, "nmg")
    adm = hospital.call(
        "2401",
        {
            "mdtrtinfo": {
                "psn_no": p["psn_no"],
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": p["cert"],
                "med_type": "21",
                "ipt_no": "ZY0001",
                "atddr_no": "D001",
                "chfpdr_name": "李医生",
                "adm_diag_dscr": "冠心病",
                "adm_dept_codg": "A03",
                "adm_dept_name": "心内科",
                "adm_bed": "12",
                "dscg_maindiag_code": "I25.103",
                "dscg_maindiag_name": "冠心病",
            },
            "diseinfo": [
                {
                    "psn_no": p["psn_no"],
                    "diag_type": "1",
                    "maindiag_flag": "1",
                    "diag_srt_no": 1,
                    "diag_code": "I25.103",
                    "diag_name": "冠心病",
                    "diag_dept": "心内科",
                    "dise_dor_no": "D001",
                    "dise_dor_name": "李医生",
                    "diag_time": now_text(),
                }
            ],
        },
    )
    mdtrt_id = adm["result"]["mdtrt_id"]
    lines = [
        _fee("1", mdtrt_id, p["psn_no"], "XJ01DCK050A001010100001", "100", "150", "15000.00"),
        _fee("2", mdtrt_id, p["psn_no"], "XC10AAA126A001010100002", "60", "100", "6000.00"),
        _fee("3", mdtrt_id, p["psn_no"], "001208000010000", "10", "100", "1000.00"),
    ]
    for line in lines:
        line["med_type"] = "21"
    hospital.call("2301", {"feedetail": lines})
    data = {
        "psn_no": p["psn_no"],
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": p["cert"],
        "medfee_sumamt": Decimal("22000.00"),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "insutype": "310",
        "acct_used_flag": "1",
        "mid_setl_flag": "0",
    }
    assert "出院" in hospital.fail("2304", {"data": data})
    hospital.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": p["psn_no"],
                "insutype": "310",
                "endtime": now_text(),
                "dscg_dept_codg": "A03",
                "dscg_dept_name": "心内科",
                "dscg_way": "1",
            }
        },
    )
    pre = hospital.call("2303", {"data": data})["setlinfo"]
    assert pre["hifp_pay"] == Decimal("16970.00")
    for key in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt"):
        data[key] = pre[key]
    out = hospital.call("2304", {"data": data})["setlinfo"]
    # spec worked example 1
    assert out["hifp_pay"] == Decimal("16970.00")
    assert out["acct_pay"] == Decimal("1200.00")
    assert out["psn_cash_pay"] == Decimal("3830.00")
    assert out["balc"] == Decimal("0.00")
    assert _balance(world, p["psn_no"]) == 0
    hospital.call(
        "2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": out["setl_id"], "psn_no": p["psn_no"]}}
    )
    assert _balance(world, p["psn_no"]) == 120000
    with world.session_factory() as s:
        total = s.scalar(select(func.sum(Settlement.hifp_pay_fen)))
    assert total == 0
