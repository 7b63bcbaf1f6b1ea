"""What approved applications change in a settlement: the certified chronic class is used
instead of the one the hospital sends, and an approved filing routes a stay elsewhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hospital_client import Hospital, World, now_text

from yibao.persistence.tables import Person
from yibao.services import applications, persons
from yibao.services.applications import Upload

PDF = b"%PDF-1.4 test %%EOF"


def _approve(
    world: World, person_id: int, kind: str, form: dict[str, Any], files: list[Upload]
) -> None:
    with world.session_factory() as s, s.begin():
        person = s.get(Person, person_id)
        assert person is not None
        app = applications.submit(s, person, kind, form, files)
        applications.decide(s, app.id, "reviewing")
        applications.decide(s, app.id, "approved")


def _call(h: Hospital, infno: str, payload: dict[str, Any], insuplc: str) -> Any:
    body = h.post_raw(h.message(infno, payload, insuplc=insuplc)).json()
    assert body["infcode"] == 0, body["err_msg"]
    return body["output"]


def _fee(sn: str, mdtrt_id: str, psn_no: str, amount: str, med_type: str) -> dict[str, Any]:
    return {
        "feedetl_sn": sn,
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "fee_ocur_time": now_text(),
        "med_list_codg": "XJ01DCK050A001010100001",  # 甲类
        "det_item_fee_sumamt": amount,
        "cnt": "1",
        "pric": amount,
        "med_type": med_type,
    }


def _chronic_presettlement(h: Hospital, world: World, number: str) -> Decimal:
    cert = world.people["nmg"]
    info = h.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert}})
    psn_no = info["baseinfo"]["psn_no"]
    who = {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": cert}
    reg = {
        **who, "insutype": "310", "begntime": now_text(), "ipt_otp_no": number,
        "atddr_no": "D1", "dr_name": "王医生", "dept_code": "A01", "dept_name": "内科",
        "caty": "A03",
    }  # fmt: skip
    mdtrt_id = h.call("2201", {"data": reg})["data"]["mdtrt_id"]
    h.call(
        "2203",
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "14",
                "begntime": now_text(), "dise_codg": "I10", "dise_name": "高血压",
                "exp_content": {"chronic_class": "A"},
            },
            "diseinfo": [{"diag_code": "I10", "diag_name": "高血压", "diag_type": "1"}],
        },
    )  # fmt: skip
    h.call("2204", {"feedetail": [_fee("1", mdtrt_id, psn_no, "1000.00", "14")]})
    pre = h.call(
        "2206",
        {
            "data": {
                **who,
                "mdtrt_id": mdtrt_id,
                "med_type": "14",
                "medfee_sumamt": "1000.00",
                "insutype": "310",
                "psn_setlway": "01",
                "acct_used_flag": "0",
            }
        },
    )
    return Decimal(str(pre["setlinfo"]["hifp_pay"]))


def test_the_certified_chronic_class_is_settled_not_the_one_the_hospital_sends(
    hospital: Hospital, world: World
) -> None:
    # nmg-employee: class A 85 %, no deductible; class B deductible 300, then 80 %
    assert _chronic_presettlement(hospital, world, "MB-1") == Decimal("850.00")
    with world.session_factory() as s:
        person = persons.find_by_certno(s, world.people["nmg"])
        assert person is not None
        person_id = person.id
    files = [
        Upload("diagnosis", "d.pdf", "application/pdf", PDF),
        Upload("inpatient_record", "r.pdf", "application/pdf", PDF),
    ]
    form = {"chronic_class": "B", "disease_code": "I10", "disease_name": "高血压"}
    _approve(world, person_id, "chronic_disease", form, files)
    assert _chronic_presettlement(hospital, world, "MB-2") == Decimal("560.00")


def _stay(h: Hospital, psn_no: str, cert: str, number: str) -> Decimal:
    who = {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": cert}
    adm = {
        **who, "insutype": "390", "begntime": now_text(), "med_type": "21", "ipt_no": number,
        "atddr_no": "D1", "chfpdr_name": "李医生", "adm_diag_dscr": "肺炎", "adm_dept_codg": "A03",
        "adm_dept_name": "呼吸科", "adm_bed": "3",
    }  # fmt: skip
    diag = {"diag_code": "J18.9", "diag_name": "肺炎", "diag_type": "1", "maindiag_flag": "1"}
    mdtrt_id = _call(h, "2401", {"mdtrtinfo": adm, "diseinfo": [diag]}, "140100")["result"][
        "mdtrt_id"
    ]
    _call(h, "2301", {"feedetail": [_fee("1", mdtrt_id, psn_no, "10000.00", "21")]}, "140100")
    _call(
        h,
        "2402",
        {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "insutype": "390",
                      "endtime": now_text(), "dscg_way": "1"}},
        "140100",
    )  # fmt: skip
    data = {
        **who, "mdtrt_id": mdtrt_id, "insutype": "390", "medfee_sumamt": "10000.00",
        "psn_setlway": "01", "acct_used_flag": "0", "mid_setl_flag": "0",
    }  # fmt: skip
    return Decimal(str(_call(h, "2303", {"data": data}, "140100")["setlinfo"]["hifp_pay"]))


def test_an_approved_referral_filing_settles_a_stay_elsewhere_as_a_transfer(
    hospital: Hospital, world: World, new_certno: Callable[..., str]
) -> None:
    cert = new_certno(region="140105")
    with world.session_factory() as s, s.begin():
        person = persons.create_person(
            s, name="太原居民", certno=cert, policy_id="taiyuan-resident", group="adult",
            region="140100", since=date(2020, 1, 1), first_visit_hospital="H14010500002",
        )  # fmt: skip
        person_id, psn_no = person.id, person.psn_no
    # taiyuan-resident at a level-3 hospital of another city, no referral: not covered
    assert _stay(hospital, psn_no, cert, "ZY-1") == Decimal("0.00")
    today = datetime.now(UTC).date().isoformat()
    form = {
        "filing_type": "referral", "destination_region": "150100",
        "institution_code": "H15010200001", "begin": today, "end": today,
    }  # fmt: skip
    _approve(
        world,
        person_id,
        "cross_region_filing",
        form,
        [Upload("referral_form", "z.pdf", "application/pdf", PDF)],
    )
    # with the approved referral: 转外地就医 at 45 % after the level-3 deductible of 750
    assert _stay(hospital, psn_no, cert, "ZY-2") == Decimal("4162.50")
