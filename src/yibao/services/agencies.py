"""医保经办机构 (the agency that handles a person's insurance) per region, for the pages'
"contact" hints. Regions are 6-digit 区划 codes; the most specific known prefix wins."""

from __future__ import annotations

from dataclasses import dataclass

HOTLINE = "12393"  # the national 医保 service hotline


@dataclass(frozen=True, slots=True)
class Agency:
    name: str
    phone: str


_AGENCIES: dict[str, Agency] = {
    "150100": Agency("呼和浩特市医疗保障事务中心", HOTLINE),
    "150200": Agency("包头市医疗保障服务中心", HOTLINE),
    "1500": Agency("内蒙古自治区医疗保障事业服务中心", HOTLINE),
    "140100": Agency("太原市医疗保障服务中心", HOTLINE),
    "1401": Agency("太原市医疗保障服务中心", HOTLINE),
    "1400": Agency("山西省医疗保障事务中心", HOTLINE),
    "510500": Agency("泸州市医疗保障事务中心", HOTLINE),
    "5105": Agency("泸州市医疗保障事务中心", HOTLINE),
    "5100": Agency("四川省医疗保障事务中心", HOTLINE),
}
DEFAULT = Agency("参保地医疗保障经办机构", HOTLINE)


def for_region(region: str) -> Agency:
    """The agency for ``region`` (a 区划 code, or the first six digits of an ID number)."""
    for key in (region[:6], region[:4] + "00", region[:4], region[:2] + "00"):
        if key in _AGENCIES:
            return _AGENCIES[key]
    return DEFAULT
