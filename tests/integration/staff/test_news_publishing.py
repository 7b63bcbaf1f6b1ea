from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser

from yibao.services import news


def _published_titles(factory: sessionmaker[Session], region: str) -> list[str]:
    with factory() as s:
        return [item.article.title for item in news.published(s, region, None)]


def test_a_draft_is_published_to_its_region_and_appears_in_the_citizen_app(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    admin = signed_in("admin")
    empty = admin.post("/staff/news", {"title": " ", "body": "正文", "region": "150100"})
    assert empty.status_code == 400
    assert "标题不能为空" in empty.text
    bad_region = admin.post("/staff/news", {"title": "t", "body": "b", "region": "15"})
    assert "6 位医保区划" in bad_region.text
    ok = admin.post(
        "/staff/news",
        {"title": "呼和浩特门诊统筹新规", "body": "自 2027 年起……", "region": "150100"},
    )
    assert ok.status_code == 303
    assert "呼和浩特门诊统筹新规" not in _published_titles(session_factory, "150102")
    with session_factory() as s:
        article = next(a for a in news.all_articles(s) if a.title == "呼和浩特门诊统筹新规")
    assert admin.post(f"/staff/news/{article.id}/status", {"to": "published"}).status_code == 303
    assert "呼和浩特门诊统筹新规" in _published_titles(session_factory, "150102")
    assert "呼和浩特门诊统筹新规" not in _published_titles(session_factory, "140105")
    assert admin.post(f"/staff/news/{article.id}/status", {"to": "gone"}).status_code == 400
    assert admin.post(f"/staff/news/{article.id}/status", {"to": "draft"}).status_code == 303
    assert "呼和浩特门诊统筹新规" not in _published_titles(session_factory, "150102")


def test_a_region_limited_admin_publishes_only_to_their_regions(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        other = news.create(s, title="山西资讯", body="正文", region="140100")
    admin = signed_in("admin", regions=("15",))
    r = admin.post("/staff/news", {"title": "t", "body": "b", "region": "140100"})
    assert r.status_code == 400
    assert "只能发布到您的地区" in r.text
    assert "山西资讯" not in admin.get("/staff/news").text
    assert admin.post(f"/staff/news/{other.id}/status", {"to": "published"}).status_code == 404
