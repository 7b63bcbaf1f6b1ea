from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from yibao.persistence.tables import Person
from yibao.services import demo, news
from yibao.services.errors import InvalidInput, NotFound

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def test_drafts_are_hidden_until_published_and_regions_cover_their_cities(
    session: Session, make_person: Callable[..., Person]
) -> None:
    reader = make_person()  # region 150100
    national = news.create(session, title="全国", body="正文", region="000000", now=NOW)
    province = news.create(session, title="内蒙古", body="正文", region="150000", now=NOW)
    other = news.create(session, title="太原", body="正文", region="140100", now=NOW)
    assert news.published(session, reader.region, reader) == []
    with pytest.raises(NotFound):
        news.read_article(session, national.id, reader)
    for i, article in enumerate((national, province, other)):
        news.publish(session, article.id, now=NOW + timedelta(hours=i))
    listed = news.published(session, reader.region, reader)
    assert [x.article.title for x in listed] == ["内蒙古", "全国"]
    assert [x.unread for x in listed] == [True, True]
    assert len(news.published(session, None, None)) == 3


def test_reading_an_article_clears_its_unread_mark_for_that_person_only(
    session: Session, make_person: Callable[..., Person], new_certno: Callable[..., str]
) -> None:
    reader = make_person()
    other = make_person(certno=new_certno())
    article = news.publish(
        session, news.create(session, title="标题", body="正文", now=NOW).id, now=NOW
    )
    news.read_article(session, article.id, reader)
    news.read_article(session, article.id, reader)  # twice is harmless
    assert news.unread_count(session, reader) == 0
    assert news.unread_count(session, other) == 1
    news.unpublish(session, article.id)
    assert news.unread_count(session, other) == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "长" * 101}, "title"),
        ({"body": ""}, "body"),
        ({"region": "15"}, "region"),
    ],
)
def test_bad_articles_are_refused_naming_the_field(
    session: Session, fields: dict[str, str], field: str
) -> None:
    values = {"title": "标题", "body": "正文", "region": "000000", **fields}
    with pytest.raises(InvalidInput) as err:
        news.create(session, **values)
    assert err.value.field == field


def test_demo_news_is_drawn_from_the_sources_and_published(session: Session) -> None:
    assert demo.load_demo_news(session, now=NOW) == 5
    listed = news.published(session, "140100", None)
    assert [x.article.region for x in listed] == ["000000", "140100"]
    assert all("来源 00" in x.article.source for x in news.published(session, None, None))
