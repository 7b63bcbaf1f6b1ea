"""政策资讯: articles written as drafts, published, listed by region with unread marks.

An article's region is a 6-digit 医保区划: ``000000`` is nationwide, a province (``150000``)
covers its cities, a city (``150100``) only itself. A person sees the articles of their own
region (nationwide, their province, their city); anyone can list another region's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.persistence.base import utcnow
from yibao.persistence.tables import NewsArticle, NewsRead, Person
from yibao.services.errors import InvalidInput, NotFound

NATIONWIDE = "000000"
REGION_RE = re.compile(r"^\d{6}$")
MAX_TITLE = 100
MAX_BODY = 20_000


@dataclass(frozen=True, slots=True)
class Listed:
    article: NewsArticle
    unread: bool


def _check(title: str, body: str, region: str, source: str) -> tuple[str, str, str, str]:
    title, body, source = title.strip(), body.strip(), source.strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"标题不能为空，且不超过 {MAX_TITLE} 个字", field="title")
    if not body or len(body) > MAX_BODY:
        raise InvalidInput(f"正文不能为空，且不超过 {MAX_BODY} 个字", field="body")
    if not REGION_RE.match(region):
        raise InvalidInput("地区应为 6 位医保区划（全国为 000000）", field="region")
    if len(source) > 200:
        raise InvalidInput("来源不能超过 200 个字", field="source")
    return title, body, region, source


def create(
    session: Session,
    *,
    title: str,
    body: str,
    region: str = NATIONWIDE,
    source: str = "",
    demo: bool = False,
    now: datetime | None = None,
) -> NewsArticle:
    """A new draft (not shown to people until published)."""
    title, body, region, source = _check(title, body, region, source)
    now = now or utcnow()
    article = NewsArticle(
        title=title,
        body=body,
        region=region,
        source=source,
        status="draft",
        demo=demo,
        created_at=now,
        updated_at=now,
    )
    session.add(article)
    session.flush()
    return article


def update(
    session: Session, article_id: int, *, title: str, body: str, region: str, source: str = ""
) -> NewsArticle:
    article = _get(session, article_id)
    article.title, article.body, article.region, article.source = _check(
        title, body, region, source
    )
    article.updated_at = utcnow()
    return article


def publish(session: Session, article_id: int, now: datetime | None = None) -> NewsArticle:
    article = _get(session, article_id)
    if article.status != "published":
        article.status = "published"
        article.published_at = now or utcnow()
    return article


def unpublish(session: Session, article_id: int) -> NewsArticle:
    article = _get(session, article_id)
    article.status = "draft"
    return article


def _get(session: Session, article_id: int) -> NewsArticle:
    article = session.get(NewsArticle, article_id)
    if article is None:
        raise NotFound(f"没有编号为 {article_id} 的资讯", field="id")
    return article


def regions_covering(region: str) -> tuple[str, ...]:
    """The article regions a reader in ``region`` sees: nationwide, province, city."""
    return (NATIONWIDE, f"{region[:2]}0000", f"{region[:4]}00", region)


def published(
    session: Session, region: str | None, person: Person | None, limit: int = 50
) -> list[Listed]:
    """Published articles for ``region`` (all when None), newest first, with unread marks."""
    query = select(NewsArticle).where(NewsArticle.status == "published")
    if region:
        if not REGION_RE.match(region):
            raise InvalidInput("地区应为 6 位医保区划", field="region")
        query = query.where(NewsArticle.region.in_(regions_covering(region)))
    articles = list(
        session.scalars(
            query.order_by(NewsArticle.published_at.desc(), NewsArticle.id.desc()).limit(limit)
        )
    )
    read: set[int] = set()
    if person is not None and articles:
        read = set(
            session.scalars(
                select(NewsRead.article_id).where(
                    NewsRead.person_id == person.id,
                    NewsRead.article_id.in_([a.id for a in articles]),
                )
            )
        )
    return [Listed(a, person is not None and a.id not in read) for a in articles]


def read_article(
    session: Session, article_id: int, person: Person | None, now: datetime | None = None
) -> NewsArticle:
    """A published article (drafts are :class:`NotFound`); marks it read for ``person``."""
    article = session.get(NewsArticle, article_id)
    if article is None or article.status != "published":
        raise NotFound("没有找到这篇资讯", field="id")
    if person is not None:
        seen = session.get(NewsRead, (person.id, article.id))
        if seen is None:
            session.add(
                NewsRead(person_id=person.id, article_id=article.id, read_at=now or utcnow())
            )
            session.flush()
    return article


def unread_count(session: Session, person: Person) -> int:
    return sum(1 for item in published(session, person.region, person) if item.unread)


def all_articles(session: Session, limit: int = 200) -> list[NewsArticle]:
    """Every article, drafts included, newest first (the staff side's list)."""
    return list(session.scalars(select(NewsArticle).order_by(NewsArticle.id.desc()).limit(limit)))
