"""定点医疗机构 for people: filter by region, type, level and cross-province direct settlement;
sort by distance from a point (the browser's location) or from a chosen district's centre."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.persistence.tables import Institution
from yibao.services.errors import InvalidInput

EARTH_RADIUS_KM = 6371.0
LEVEL_LABELS = {1: "一级", 2: "二级", 3: "三级"}
TYPE_LABELS = {"hospital": "医院", "pharmacy": "药店"}


@lru_cache(maxsize=1)
def _places() -> dict[str, Any]:
    text = resources.files("yibao").joinpath("data", "regions.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def region_names() -> dict[str, str]:
    names: dict[str, str] = _places()["regions"]
    return names


def region_name(code: str) -> str:
    names = region_names()
    if code in names:
        return names[code]
    district = districts().get(code)
    return district["name"] if district else code


def districts() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = _places()["districts"]
    return found


@dataclass(frozen=True, slots=True)
class Found:
    institution: Institution
    distance_km: float | None

    @property
    def district(self) -> str:
        return self.institution.code[1:7]

    @property
    def label(self) -> str:
        inst = self.institution
        if inst.type == "pharmacy":
            return "定点药店"
        grade = inst.grade or ""
        return f"{LEVEL_LABELS.get(inst.level or 0, '')}{grade}医院"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _coordinate(raw: str | None, field: str, limit: int) -> float | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(Decimal(raw.strip()))
    except ArithmeticError:
        raise InvalidInput("坐标应为数字", field=field) from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise InvalidInput(f"坐标应在 -{limit} 到 {limit} 之间", field=field)
    return value


def origin(lat: str | None, lon: str | None, district: str | None) -> tuple[float, float] | None:
    """Where to measure from: the browser's location, else the chosen district's centre."""
    la, lo = _coordinate(lat, "lat", 90), _coordinate(lon, "lon", 180)
    if la is not None and lo is not None:
        return la, lo
    if (la is None) != (lo is None):
        raise InvalidInput("经度和纬度应同时给出", field="lat")
    if district:
        place = districts().get(district)
        if place is None:
            raise InvalidInput("未知的区县", field="district")
        return float(place["lat"]), float(place["lon"])
    return None


def search(
    session: Session,
    *,
    region: str | None = None,
    type: str | None = None,
    level: int | None = None,
    cross_province: bool = False,
    near: tuple[float, float] | None = None,
    limit: int = 200,
) -> list[Found]:
    """Designated institutions matching the filters, nearest first when ``near`` is given."""
    query = select(Institution)
    if region:
        if not region.isdigit() or len(region) != 6:
            raise InvalidInput("地区应为 6 位医保区划", field="region")
        prefix = region[:2] if region.endswith("0000") else region[:4]
        query = query.where(Institution.region.like(f"{prefix}%"))
        if not region.endswith("00"):
            query = query.where(Institution.code.like(f"_{region}%"))
    if type:
        if type not in TYPE_LABELS:
            raise InvalidInput("机构类型应为医院或药店", field="type")
        query = query.where(Institution.type == type)
    if level is not None:
        if level not in LEVEL_LABELS:
            raise InvalidInput("医院等级应为一级、二级或三级", field="level")
        query = query.where(Institution.level == level)
    if cross_province:
        query = query.where(Institution.cross_province.is_(True))
    rows = session.scalars(query.order_by(Institution.region, Institution.code).limit(2000))
    found = []
    for inst in rows:
        dist = None
        if near is not None and inst.lat is not None and inst.lon is not None:
            dist = distance_km(near[0], near[1], float(inst.lat), float(inst.lon))
        found.append(Found(inst, dist))
    if near is not None:
        found.sort(key=lambda f: (f.distance_km is None, f.distance_km or 0.0))
    return found[:limit]


def get(session: Session, institution_id: int) -> Institution | None:
    return session.get(Institution, institution_id)


def regions_in_use(session: Session) -> list[str]:
    return sorted(set(session.scalars(select(Institution.region).distinct())))
