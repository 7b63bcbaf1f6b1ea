"""Output nodes of the settlement transactions: ``setlinfo`` and ``setldetail`` (§4)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from yibao.domain.money import ZERO, from_fen, to_fen
from yibao.national import codes
from yibao.persistence.tables import Institution, Person
from yibao.persistence.tables.hospital import Settlement, Visit
from yibao.rules.result import Result
from yibao.services import clock, persons
from yibao.services.settlement import COLUMN_OF_FIELD


def amounts_of_result(r: Result) -> dict[str, Decimal]:
    return {name: from_fen(to_fen(getattr(r, name))) for name in COLUMN_OF_FIELD}


def amounts_of_settlement(s: Settlement) -> dict[str, Decimal]:
    return {name: from_fen(getattr(s, col)) for name, col in COLUMN_OF_FIELD.items()}


def _age(birth: date, on: date) -> Decimal:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return Decimal(years).quantize(Decimal("0.1"))


def person_fields(person: Person, on: date) -> dict[str, Any]:
    return {
        "psn_no": person.psn_no,
        "psn_name": person.name,
        "psn_cert_type": "01",
        "certno": persons.masked_certno(person),
        "gend": "1" if person.sex == "male" else "2",
        "naty": "01",
        "brdy": person.birth_date.isoformat(),
        "age": _age(person.birth_date, on),
        "insutype": persons.insutype(person),
        "psn_type": persons.psn_type(person),
        "cvlserv_flag": "0",
    }


def setlinfo(
    *,
    person: Person,
    institution: Institution,
    visit: Visit,
    med_type: str,
    amounts: dict[str, Decimal],
    on: date,
    when: datetime,
    msgid: str,
    setl_id: str | None,
    balc: Decimal,
    mdtrt_cert_type: str,
) -> dict[str, Any]:
    hifp = amounts["hifp_pay"]
    in_scope = amounts["inscp_scp_amt"] - amounts["act_pay_dedc"]
    ratio = (hifp / in_scope).quantize(Decimal("0.0001")) if in_scope else Decimal("0.0000")
    info: dict[str, Any] = {"mdtrt_id": visit.mdtrt_id}
    if setl_id is not None:
        info["setl_id"] = setl_id
    info.update(person_fields(person, on))
    info.update(
        {
            "setl_time": clock.local_text(when),
            "mdtrt_cert_type": mdtrt_cert_type,
            "med_type": med_type,
            **amounts,
            "pool_prop_selfpay": ratio,
            "cvlserv_pay": ZERO,
            "hifes_pay": ZERO,
            "hifob_pay": ZERO,
            "maf_pay": ZERO,
            "oth_pay": ZERO,
            "hosp_part_amt": ZERO,
            "acct_mulaid_pay": ZERO,
            "balc": balc,
            "medins_setl_id": msgid,
            "clr_optins": institution.region,
            "clr_way": "1",
            "clr_type": codes.CLR_INPATIENT
            if visit.kind == "inpatient"
            else (codes.CLR_PHARMACY if institution.type == "pharmacy" else codes.CLR_OUTPATIENT),
        }
    )
    # keep the documented order: move the two derived fields after fund_pay_sumamt
    return info


def setldetail(
    scheme: str, rows: list[tuple[str, Decimal]], inscp: Decimal, explanation: list[str]
) -> list[dict[str, Any]]:
    proc = "；".join(explanation)[:4000]
    return [
        {
            "fund_pay_type": fund_type,
            "inscp_scp_amt": inscp,
            "crt_payb_lmt_amt": amount,
            "fund_payamt": amount,
            "fund_pay_type_name": codes.FUND_NAMES.get(fund_type, fund_type),
            "setl_proc_info": proc,
        }
        for fund_type, amount in rows
    ]
