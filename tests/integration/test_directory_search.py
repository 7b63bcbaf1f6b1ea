"""药品目录查询 (pinyin, initials, typos) and 定点医疗机构 (filters, distance)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from yibao.services import catalog, catalog_search, demo, institution_search, institutions
from yibao.services.errors import InvalidInput

ON = date(2025, 6, 1)


@pytest.fixture
def demo_catalog(session: Session) -> Session:
    catalog.import_rows(session, demo._data("catalog.csv"))
    return session


@pytest.fixture
def demo_institutions(session: Session) -> Session:
    for row in json.loads(demo._data("institutions.json"))["institutions"]:
        institutions.create_institution(
            session,
            **{k: row[k] for k in ("code", "name", "type", "level", "grade", "region")},
            lat=Decimal(row["lat"]),
            lon=Decimal(row["lon"]),
            cross_province=row["cross_province"],
            designated_begin=date(2020, 1, 1),
        )
    return session


def names(hits: list[catalog_search.Hit]) -> list[str]:
    return [h.item.name for h in hits]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("阿莫西林", "阿莫西林胶囊"),
        ("amxl", "阿莫西林胶囊"),
        ("amoxilin", "阿莫西林胶囊"),
        ("amoxlin", "阿莫西林胶囊"),  # a letter missing
        ("amxk", "阿莫西林胶囊"),  # a wrong initial
        ("阿莫西材胶囊", "阿莫西林胶囊"),  # a wrong character
        ("二甲双瓜", "盐酸二甲双胍片"),
    ],
)
def test_drugs_are_found_by_name_pinyin_initials_and_despite_typos(
    demo_catalog: Session, text: str, expected: str
) -> None:
    hits = catalog_search.search(demo_catalog, text, limit=5, on=ON)
    assert expected in names(hits)


def test_exact_matches_come_before_close_ones(demo_catalog: Session) -> None:
    hits = catalog_search.search(demo_catalog, "amxl", limit=10, on=ON)
    assert hits[0].item.name == "阿莫西林胶囊"
    assert hits[0].exact
    assert all(not h.exact for h in hits[1:])


def test_a_hit_shows_its_class_self_pay_ratio_price_limit_and_restrictions(
    demo_catalog: Session,
) -> None:
    [insulin] = catalog_search.search(demo_catalog, "精蛋白生物合成人胰岛素", limit=1, on=ON)
    assert insulin.list_type_label == "乙类"
    assert insulin.selfpay_percent == "10%"
    assert insulin.restrictions == ["限定支付范围：限胰岛素依赖的糖尿病患者或口服降糖药无效者"]
    [statin] = catalog_search.search(demo_catalog, "阿托伐他汀", limit=1, on=ON)
    assert statin.selfpay_percent == "5%"
    assert statin.item.price_cap == Decimal("25.00")
    [child] = catalog_search.search(demo_catalog, "小儿氨酚黄那敏", limit=1, on=ON)
    assert child.restrictions == ["限 14 岁及以下"]
    [gel] = catalog_search.search(demo_catalog, "复方阿胶浆", limit=1, on=ON)
    assert gel.list_type_label == "丙类"
    assert gel.selfpay_percent == "100%"


def test_nothing_is_searched_for_blank_text_and_nonsense_finds_nothing(
    demo_catalog: Session,
) -> None:
    assert catalog_search.search(demo_catalog, "   ", on=ON) == []
    assert catalog_search.search(demo_catalog, "qqqqqqqq", on=ON) == []


def test_institutions_filter_by_region_type_level_and_cross_province(
    demo_institutions: Session,
) -> None:
    found = institution_search.search(demo_institutions, region="150000", type="hospital")
    assert {f.institution.region for f in found} == {"150100", "150200"}
    level3 = institution_search.search(demo_institutions, region="140100", level=3)
    assert [f.institution.code for f in level3] == ["H14010600001"]
    cross = institution_search.search(demo_institutions, cross_province=True)
    assert all(f.institution.cross_province for f in cross)
    assert len(cross) == 6
    district = institution_search.search(demo_institutions, region="150102")
    assert {f.institution.code[1:7] for f in district} == {"150102"}


def test_institutions_sort_by_distance_from_a_point_or_a_district(
    demo_institutions: Session,
) -> None:
    near = institution_search.origin("40.8105", "111.6839", None)
    found = institution_search.search(demo_institutions, near=near)
    assert found[0].institution.code == "H15010200001"
    assert found[0].distance_km is not None
    assert found[0].distance_km < 0.1
    distances = [f.distance_km for f in found if f.distance_km is not None]
    assert distances == sorted(distances)
    xiaodian = institution_search.origin(None, None, "140105")
    first = institution_search.search(demo_institutions, region="140100", near=xiaodian)[0]
    assert first.institution.code == "H14010500002"


@pytest.mark.parametrize(
    ("lat", "lon", "district", "field"),
    [
        ("91", "111", None, "lat"),
        ("abc", "111", None, "lat"),
        ("40", None, None, "lat"),
        (None, None, "999999", "district"),
    ],
)
def test_bad_locations_are_refused_naming_the_field(
    lat: str | None, lon: str | None, district: str | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        institution_search.origin(lat, lon, district)
    assert err.value.field == field


def test_bad_institution_filters_are_refused(demo_institutions: Session) -> None:
    with pytest.raises(InvalidInput):
        institution_search.search(demo_institutions, region="15")
    with pytest.raises(InvalidInput):
        institution_search.search(demo_institutions, type="clinic")
    with pytest.raises(InvalidInput):
        institution_search.search(demo_institutions, level=4)
