"""居民身份证号码 (GB 11643-1999): validation, derived sex and birth date, display masking.

Validation uses python-stdnum (``stdnum.cn.ric``): 18 characters, the GB 11643 check digit
(ISO 7064 MOD 11-2, ``X`` for 10), a real birth date and a known province code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric


class IdCardError(ValueError):
    """The ID number is not valid; the message says why, in Chinese."""


@dataclass(frozen=True, slots=True)
class IdCard:
    number: str  # 18 characters, upper-case X
    sex: str  # "male" / "female" (the 17th digit: odd male, even female)
    birth_date: date


def parse_certno(raw: str, *, today: date | None = None) -> IdCard:
    """Validate an 18-character ID number and derive sex and birth date."""
    number = raw.strip().replace(" ", "").upper()
    if len(number) != 18:
        raise IdCardError(f"身份证号应为 18 位，实际 {len(number)} 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdCardError("身份证号前 17 位应为数字，最后一位为数字或 X")
    if ric.calc_check_digit(number) != number[17]:
        raise IdCardError("身份证号校验位不正确（GB 11643）")
    if not _known_province(number[:6]):
        raise IdCardError(f"身份证号的地区码 {number[:6]} 不是有效的省级行政区划")
    try:
        born = ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise IdCardError("身份证号中的出生日期无效") from None
    if born > (today or date.today()) or born.year < 1900:
        raise IdCardError("身份证号中的出生日期不合理")
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdCard(number=number, sex=sex, birth_date=born)


def _known_province(region: str) -> bool:
    """The first two digits name a province. (stdnum's own check also requires the county
    code to have existed in the birth year, which refuses real numbers issued later.)"""
    return any("province" in props for _part, props in numdb.get("cn/loc").info(region))


def with_check_digit(first17: str) -> str:
    """Complete 17 digits with their GB 11643 check digit (for synthetic demo data)."""
    return first17 + str(ric.calc_check_digit(first17 + "0"))


def mask_certno(number: str) -> str:
    """``150102199003071237`` → ``1501**********1237`` (first 4, stars, last 4)."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
