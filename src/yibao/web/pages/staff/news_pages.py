"""政策资讯 publishing (管理员): write a draft targeted at a region, publish it (it then shows
in the citizen app for that region), or take it back to draft. Region-limited admins write
and change only articles of their regions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yibao.domain.text import N_, Joined, Text
from yibao.persistence.tables import NewsArticle
from yibao.services import audit, news
from yibao.services.errors import NotFound, ServiceError
from yibao.web.pages.staff.access import (
    StaffAction,
    StaffContext,
    StaffPage,
    now,
    render,
    transaction,
)

router = APIRouter()
AdminPage = Annotated[StaffContext, Depends(StaffPage("admin"))]
AdminAction = Annotated[StaffContext, Depends(StaffAction("admin"))]


def _page(
    request: Request,
    ctx: StaffContext,
    status: int = 200,
    errors: Mapping[str, str | Text] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    with transaction(request) as session:
        articles = [a for a in news.all_articles(session) if _mine(ctx, a.region)]
    return render(
        request, "news.html", ctx, status, articles=articles, errors=errors or {},
        values=values or {"region": ctx.regions[0].ljust(6, "0") if ctx.regions else "000000"},
    )  # fmt: skip


def _mine(ctx: StaffContext, region: str) -> bool:
    return not ctx.regions or ctx.sees(region)


@router.get("/news", response_class=HTMLResponse)
def news_list(request: Request, ctx: AdminPage) -> Response:
    return _page(request, ctx)


@router.post("/news")
def news_create(
    request: Request,
    ctx: AdminAction,
    title: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    region: Annotated[str, Form()] = "",
    source: Annotated[str, Form()] = "",
) -> Response:
    values = {
        "title": title[:200],
        "body": body[:20000],
        "region": region[:10],
        "source": source[:300],
    }
    region = region.strip()
    if ctx.regions and not ctx.sees(region):
        return _page(
            request,
            ctx,
            400,
            {
                "region": Text(
                    N_("只能发布到您的地区（{regions}）"), regions=Joined(N_("、"), ctx.regions)
                )
            },
            values,
        )
    try:
        with transaction(request) as session:
            article = news.create(
                session, title=title, body=body, region=region, source=source, now=now()
            )
            audit.record(
                session, ctx.actor, "news.create", "news", article.id,
                after={"title": article.title, "region": article.region}, region=article.region,
            )  # fmt: skip
    except ServiceError as exc:
        return _page(request, ctx, 400, {exc.field or "title": exc.message}, values)
    return RedirectResponse("/staff/news", 303)


def _article(session: Session, ctx: StaffContext, article_id: int) -> NewsArticle:
    article = session.get(NewsArticle, article_id)
    if article is None or not _mine(ctx, article.region):
        raise NotFound(N_("没有这篇资讯"), field="id")
    return article


@router.post("/news/{article_id}/status")
def news_status(
    request: Request, ctx: AdminAction, article_id: int, to: Annotated[str, Form()] = ""
) -> Response:
    if to not in ("published", "draft"):
        return _page(request, ctx, 400, {"status": N_("请选择发布或撤回")})
    try:
        with transaction(request) as session:
            article = _article(session, ctx, article_id)
            before = article.status
            if to == "published":
                news.publish(session, article.id, now())
            else:
                news.unpublish(session, article.id)
            audit.record(
                session, ctx.actor, f"news.{'publish' if to == 'published' else 'unpublish'}",
                "news", article.id, before={"status": before}, after={"status": to},
                region=article.region,
            )  # fmt: skip
    except NotFound:
        return render(request, "forbidden.html", ctx, 404, message=N_("没有这篇资讯。"))
    return RedirectResponse("/staff/news", 303)
