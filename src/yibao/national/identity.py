"""Who the patient is: by e-voucher token (01), ID card number (02) or social-security card
(03, whose card number is the ID number). A card reported lost (挂失) is refused until 解挂;
the e-voucher and the ID card still work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yibao.domain import voucher
from yibao.national import codes, fields
from yibao.national.context import Context
from yibao.national.envelope import InterfaceError
from yibao.persistence.tables import Person
from yibao.services import persons
from yibao.services.person_info import BY_CERTNO, BY_PSN_NO


@dataclass(frozen=True, slots=True)
class Credential:
    """A checked credential: its type and how it finds the person (``key`` is the column,
    :data:`BY_PSN_NO` for an e-voucher, :data:`BY_CERTNO` with the ID number's keyed hash
    otherwise)."""

    cert_type: str
    key: str
    value: str


def credential(
    data: Mapping[str, Any], path: str, *, voucher_key: bytes, now: datetime
) -> Credential:
    """The credential in ``data``, checked without the database (an e-voucher's signature
    and time)."""
    cert_type = fields.code(data, "mdtrt_cert_type", path, codes.CERT_TYPES)
    cert_no = fields.text(data, "mdtrt_cert_no", path, max_len=50)
    if cert_type == "01":
        if not voucher_key:
            raise InterfaceError("电子凭证服务未初始化（缺少密钥）", f"{path}.mdtrt_cert_type")
        try:
            psn_no = voucher.verify(voucher_key, cert_no, now)
        except voucher.VoucherError as exc:
            raise InterfaceError(str(exc), f"{path}.mdtrt_cert_no") from None
        return Credential(cert_type, BY_PSN_NO, psn_no)
    if cert_type == "03":
        fields.text(data, "card_sn", path, max_len=50)
    return Credential(cert_type, BY_CERTNO, persons.certno_hash(cert_no))


def check_holder(found: Person | None, cert_type: str, path: str) -> Person:
    """The person the credential found: refused when there is none, or when the credential
    is a card reported lost."""
    if found is None:
        raise InterfaceError("未找到该参保人", f"{path}.mdtrt_cert_no")
    if cert_type == "03" and found.card_lost_at is not None:
        raise InterfaceError(
            "该社会保障卡已挂失，不能使用；请出示医保电子凭证或身份证件", f"{path}.mdtrt_cert_type"
        )
    return found


def person_by_credential(ctx: Context, data: Mapping[str, Any], path: str) -> Person:
    cred = credential(data, path, voucher_key=ctx.voucher_key, now=ctx.now)
    if cred.key == BY_PSN_NO:
        person = persons.get_by_psn_no(ctx.session, cred.value)
    else:
        person = persons.find_by_certno_hash(ctx.session, cred.value)
    return check_holder(person, cred.cert_type, path)


def person_for(ctx: Context, data: Mapping[str, Any], path: str) -> Person:
    """The person named by ``psn_no``, who must hold the credential sent with it: a person
    number alone identifies nobody (it is printed on every receipt)."""
    psn_no = fields.text(data, "psn_no", path)
    for key in ("mdtrt_cert_type", "mdtrt_cert_no"):
        if data.get(key) is None or data.get(key) == "":
            raise InterfaceError(
                "必填：就诊凭证（01 电子凭证、02 身份证、03 社保卡），仅凭人员编号不能办理",
                f"{path}.{key}",
            )
    holder = person_by_credential(ctx, data, path)
    if holder.psn_no != psn_no:
        raise InterfaceError("就诊凭证与人员编号不符", f"{path}.mdtrt_cert_no")
    return holder
