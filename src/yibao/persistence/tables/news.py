"""政策资讯: articles (draft or published, by region) and who has read which."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow


class NewsArticle(Base):
    __tablename__ = "news_articles"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        Index("ix_news_articles_status_published", "status", "published_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    # A 6-digit 医保区划; "000000" is nationwide. A province ("150000") covers its cities.
    region: Mapped[str] = mapped_column(String(6), index=True)
    source: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class NewsRead(Base):
    __tablename__ = "news_reads"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("news_articles.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
