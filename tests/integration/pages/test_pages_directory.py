"""药品目录, 定点医疗机构 and 政策资讯 pages: open to everyone, bad filters beside their field,
unread marks per person, drafts and unknown ids answered with 404."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from page_helpers import Enrolled, PageClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yibao.persistence.tables import Institution, NewsArticle
from yibao.services import catalog, demo, institutions, news


@pytest.fixture
def directory(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as s, s.begin():
        catalog.import_rows(s, demo._data("catalog.csv"))
        for row in json.loads(demo._data("institutions.json"))["institutions"]:
            institutions.create_institution(
                s,
                **{k: row[k] for k in ("code", "name", "type", "level", "grade", "region")},
                address=row["address"],
                lat=Decimal(row["lat"]),
                lon=Decimal(row["lon"]),
                cross_province=row["cross_province"],
                designated_begin=date(2020, 1, 1),
            )
        demo.load_demo_news(s)
        news.create(s, title="草稿不公开", body="正文", region="150000")


def test_drugs_are_found_by_initials_with_class_ratio_limit_and_restrictions(
    page_client: PageClient, directory: None
) -> None:
    html = page_client.get("/drugs", params={"q": "amxl"}).text
    assert ">药品或项目名称、拼音或首字母</label>" in html
    assert "阿莫西林胶囊" in html
    assert "甲类" in html
    statin = page_client.get("/drugs", params={"q": "阿托伐他汀"}).text
    assert "乙类" in statin
    assert "5%" in statin
    assert "25.00 元" in statin
    typo = page_client.get("/drugs", params={"q": "amoxlin"}).text
    assert "阿莫西林胶囊" in typo
    assert "近似" in typo
    long_text = page_client.get("/drugs", params={"q": "药" * 500})
    assert long_text.status_code == 200


def test_hospitals_filter_sort_by_district_and_have_a_detail_page(
    page_client: PageClient, directory: None, session_factory: sessionmaker[Session]
) -> None:
    html = page_client.get(
        "/hospitals", params={"region": "140100", "type": "hospital", "district": "140105"}
    ).text
    for label in ("地区", "机构类型", "医院等级", "只看开通跨省直接结算的", "按所选区县的距离排序"):
        assert f">{label}</label>" in html
    assert html.index("太原市小店区人民医院") < html.index("山西医科大学第一医院")
    assert "公里" in html
    assert "按我的位置排序" in html
    cross = page_client.get("/hospitals", params={"cross": "1"}).text
    assert "包头市东河区人民医院" not in cross
    assert "包头医学院第一附属医院" in cross
    with session_factory() as s:
        inst_id = s.scalars(select(Institution.id).where(Institution.code == "H15010200001")).one()
    detail = page_client.get(f"/hospitals/{inst_id}").text
    assert "内蒙古呼和浩特市新城区昭乌达路20号" in detail
    assert "已开通" in detail
    assert page_client.get("/hospitals/999999").status_code == 404


@pytest.mark.parametrize(
    ("params", "error_id"),
    [
        ({"lat": "95", "lon": "111"}, "e-lat"),
        ({"lat": "40"}, "e-lat"),
        ({"district": "000001"}, "e-district"),
        ({"level": "7"}, "e-level"),
        ({"type": "clinic"}, "e-type"),
        ({"region": "15"}, "e-region"),
    ],
)
def test_bad_hospital_filters_are_shown_beside_their_field(
    page_client: PageClient, directory: None, params: dict[str, str], error_id: str
) -> None:
    response = page_client.get("/hospitals", params=params)
    assert response.status_code == 400
    assert f'id="{error_id}"' in response.text


def test_news_by_region_with_unread_marks_for_the_signed_in_person(
    page_client: PageClient,
    directory: None,
    bound_citizen: Enrolled,
    new_client: Any,
    session_factory: sessionmaker[Session],
) -> None:
    html = page_client.get("/news").text  # the person's region 150100 by default
    assert "内蒙古：2024 年职工医保住院起付线与报销比例" in html
    assert "太原：城镇居民首诊医院" not in html
    assert "草稿不公开" not in html
    assert html.count(">未读</span>") == 3
    with session_factory() as s:
        article_id = s.scalars(
            select(NewsArticle.id).where(NewsArticle.title.like("内蒙古：2024%"))
        ).one()
        draft_id = s.scalars(select(NewsArticle.id).where(NewsArticle.status == "draft")).one()
    article = page_client.get(f"/news/{article_id}").text
    assert "三级医院八百元" in article or "三级医院 800 元" in article
    assert page_client.get("/news").text.count(">未读</span>") == 2
    visitor: PageClient = new_client()
    everything = visitor.get("/news", params={"region": "all"}).text
    assert "太原：城镇居民首诊医院" in everything
    assert ">未读</span>" not in everything
    assert visitor.get(f"/news/{draft_id}").status_code == 404
    assert visitor.get("/news/999999").status_code == 404
    assert visitor.get("/news", params={"region": "abc"}).status_code == 400
