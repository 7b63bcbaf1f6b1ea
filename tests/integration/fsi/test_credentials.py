"""A person number alone identifies nobody: opening a visit needs a credential of that person."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hospital_client import Hospital, World, now_text
from sqlalchemy import func, select

from yibao.config import load_secret_key
from yibao.domain import voucher
from yibao.persistence.tables.hospital import Visit


def _psn_no(h: Hospital, cert: str) -> str:
    out = h.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert}})
    return str(out["baseinfo"]["psn_no"])


def _visits(world: World) -> int:
    with world.session_factory() as s:
        return int(s.scalar(select(func.count()).select_from(Visit)) or 0)


def _registration(h: Hospital, psn_no: str, **credential: str) -> dict[str, Any]:
    return {
        "data": {
            "psn_no": psn_no,
            "insutype": "310",
            "begntime": now_text(),
            "ipt_otp_no": h.msgid()[-12:],
            "atddr_no": "D1",
            "dr_name": "王医生",
            "dept_code": "A01",
            "dept_name": "内科",
            "caty": "A03",
            **credential,
        }
    }


def _admission(h: Hospital, psn_no: str, **credential: str) -> dict[str, Any]:
    return {
        "mdtrtinfo": {
            "psn_no": psn_no,
            "insutype": "310",
            "begntime": now_text(),
            "med_type": "21",
            "ipt_no": h.msgid()[-12:],
            **credential,
        }
    }


@pytest.mark.parametrize(
    ("infno", "make", "path"),
    [("2201", _registration, "input.data"), ("2401", _admission, "input.mdtrtinfo")],
)
def test_a_person_number_alone_opens_no_visit(
    hospital: Hospital, world: World, infno: str, make: Any, path: str
) -> None:
    psn_no = _psn_no(hospital, world.people["national"])
    err = hospital.fail(infno, make(hospital, psn_no))
    assert f"{path}.mdtrt_cert_type" in err
    assert "凭证" in err
    err = hospital.fail(infno, make(hospital, psn_no, mdtrt_cert_type="02"))
    assert f"{path}.mdtrt_cert_no" in err
    err = hospital.fail(infno, make(hospital, psn_no, mdtrt_cert_type="02", mdtrt_cert_no=""))
    assert f"{path}.mdtrt_cert_no" in err
    assert _visits(world) == 0


def test_another_persons_credential_opens_no_visit(hospital: Hospital, world: World) -> None:
    psn_no = _psn_no(hospital, world.people["national"])
    other = world.people["nmg"]
    err = hospital.fail(
        "2201", _registration(hospital, psn_no, mdtrt_cert_type="02", mdtrt_cert_no=other)
    )
    assert "input.data.mdtrt_cert_no" in err
    assert "不符" in err
    # an unknown person number with a real credential says the same, revealing nothing
    err = hospital.fail(
        "2201",
        _registration(hospital, "15010299999999999999", mdtrt_cert_type="02", mdtrt_cert_no=other),
    )
    assert "不符" in err
    assert _visits(world) == 0


def test_an_id_number_an_e_voucher_or_a_card_opens_a_visit(
    hospital: Hospital, world: World, secret_key_file: Any
) -> None:
    cert = world.people["national"]
    psn_no = _psn_no(hospital, cert)
    token = voucher.issue(
        voucher.derive_key(load_secret_key(secret_key_file)), psn_no, datetime.now(UTC)
    )
    credentials = [
        {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert},
        {"mdtrt_cert_type": "01", "mdtrt_cert_no": token},
        {"mdtrt_cert_type": "03", "mdtrt_cert_no": cert, "card_sn": "A12345678"},
    ]
    for credential in credentials:
        out = hospital.call("2201", _registration(hospital, psn_no, **credential))
        assert out["data"]["psn_no"] == psn_no
    err = hospital.fail(
        "2201", _registration(hospital, psn_no, mdtrt_cert_type="03", mdtrt_cert_no=cert)
    )
    assert "input.data.card_sn" in err
    assert _visits(world) == 3
