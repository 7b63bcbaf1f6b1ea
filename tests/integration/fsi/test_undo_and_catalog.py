"""Undoing a visit step by step, and the catalogue query (1312)."""

from __future__ import annotations

from decimal import Decimal

from hospital_client import Hospital, World, now_text
from sqlalchemy import func, select

from yibao.persistence.tables import FeeLine, Visit


def _psn(h: Hospital, world: World, label: str) -> str:
    out = h.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": world.people[label]}})
    return str(out["baseinfo"]["psn_no"])


def _line(sn: str, mdtrt_id: str, psn_no: str, batch: str = "B1") -> dict[str, object]:
    return {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": batch,
        "fee_ocur_time": now_text(),
        "med_list_codg": "XJ01DCK050A001010100001",
        "det_item_fee_sumamt": Decimal("100.00"),
        "cnt": Decimal("2"),
        "pric": Decimal("50.00"),
    }


def _lines(world: World, mdtrt_id: str) -> int:
    with world.session_factory() as s:
        visit_id = s.scalar(select(Visit.id).where(Visit.mdtrt_id == mdtrt_id))
        return int(s.scalar(select(func.count()).where(FeeLine.visit_id == visit_id)) or 0)


def test_an_outpatient_visit_is_undone_with_2208_2205_and_2202(
    hospital: Hospital, world: World
) -> None:
    psn_no = _psn(hospital, world, "national")
    cert = world.people["national"]
    mdtrt_id = hospital.call(
        "2201",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "ipt_otp_no": "UNDO-1",
                "atddr_no": "D1",
                "dr_name": "王医生",
                "dept_code": "A01",
                "dept_name": "内科",
                "caty": "A03",
            }
        },
    )["data"]["mdtrt_id"]
    hospital.call(
        "2204",
        {"feedetail": [_line("1", mdtrt_id, psn_no, "B1"), _line("2", mdtrt_id, psn_no, "B2")]},
    )
    assert "已上传" in hospital.fail("2204", {"feedetail": [_line("1", mdtrt_id, psn_no)]})
    hospital.call("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B2", "psn_no": psn_no}})
    assert _lines(world, mdtrt_id) == 1
    data = {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": cert,
        "med_type": "11",
        "medfee_sumamt": Decimal("100.00"),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "chrg_bchno": "B1",
        "acct_used_flag": "0",
        "insutype": "310",
    }
    setl_id = hospital.call("2207", {"data": data})["setlinfo"]["setl_id"]
    assert "结算" in hospital.fail(
        "2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": psn_no}}
    )
    assert "结算" in hospital.fail(
        "2202", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": "UNDO-1"}}
    )
    hospital.call("2208", {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    hospital.call("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": psn_no}})
    assert _lines(world, mdtrt_id) == 0
    hospital.call(
        "2202", {"data": {"psn_no": psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": "UNDO-1"}}
    )
    assert "已撤销" in hospital.fail("2204", {"feedetail": [_line("3", mdtrt_id, psn_no)]})


def test_an_admission_is_undone_with_2305_2405_2302_and_2404(
    hospital: Hospital, world: World
) -> None:
    psn_no = _psn(hospital, world, "nmg")
    cert = world.people["nmg"]
    mdtrt_id = hospital.call(
        "2401",
        {
            "mdtrtinfo": {
                "psn_no": psn_no,
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "med_type": "21",
                "ipt_no": "ZY-UNDO",
            }
        },
    )["result"]["mdtrt_id"]
    lines = [
        dict(_line("1", mdtrt_id, psn_no), med_type="21"),
        dict(_line("2", mdtrt_id, psn_no), med_type="21"),
    ]
    hospital.call("2301", {"feedetail": lines})
    hospital.call("2302", {"data": [{"feedetl_sn": "2", "mdtrt_id": mdtrt_id, "psn_no": psn_no}]})
    assert _lines(world, mdtrt_id) == 1
    hospital.call(
        "2402",
        {
            "dscginfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "insutype": "310",
                "endtime": now_text(),
                "dscg_way": "1",
            }
        },
    )
    data = {
        "psn_no": psn_no,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": cert,
        "medfee_sumamt": Decimal("100.00"),
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "insutype": "310",
        "acct_used_flag": "1",
        "mid_setl_flag": "0",
    }
    setl_id = hospital.call("2304", {"data": data})["setlinfo"]["setl_id"]
    assert "2305" in hospital.fail("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    hospital.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": setl_id, "psn_no": psn_no}})
    hospital.call("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    assert "出院" in hospital.fail("2304", {"data": data})
    hospital.call(
        "2302", {"data": [{"feedetl_sn": "0000", "mdtrt_id": mdtrt_id, "psn_no": psn_no}]}
    )
    assert _lines(world, mdtrt_id) == 0
    hospital.call("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}})
    with world.session_factory() as s:
        status = s.scalar(select(Visit.status).where(Visit.mdtrt_id == mdtrt_id))
    assert status == "cancelled"


def test_the_catalogue_query_pages_and_filters(hospital: Hospital) -> None:
    everything = hospital.call(
        "1312",
        {
            "data": {
                "page_num": 1,
                "page_size": 2,
                "insu_admdvs": "150102",
                "updt_time": "2020-01-01 00:00:00",
            }
        },
    )
    assert everything["recordCounts"] == 5
    assert everything["pages"] == 3
    assert len(everything["data"]) == 2
    one = hospital.call(
        "1312", {"data": {"hilist_code": "XC10AAA126A001010100002", "page_num": 1, "page_size": 10}}
    )
    assert [d["chrgitm_lv"] for d in one["data"]] == ["02"]
    assert one["data"][0]["hilist_name"] == "阿托伐他汀钙片"
    by_name = hospital.call(
        "1312", {"data": {"hilist_name": "护工", "page_num": 1, "page_size": 10}}
    )
    assert [d["hilist_code"] for d in by_name["data"]] == ["001208000010000"]
    assert "page_size" in hospital.fail("1312", {"data": {"page_num": 1, "page_size": 0}})
