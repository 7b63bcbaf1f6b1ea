"""药品目录, 定点医疗机构 (+ detail) and 政策资讯 (+ detail): open to everyone; a signed-in
person's news shows unread marks and defaults to their own region."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from yibao.services import catalog_search, institution_search, news
from yibao.services.errors import InvalidInput, NotFound
from yibao.web.api.deps import SessionDep
from yibao.web.pages.deps import MaybeCitizenDep, PageNotFound, pages_router
from yibao.web.pages.forms import FormErrors
from yibao.web.pages.templating import render

router = pages_router()


@router.get("/drugs")
def drugs_page(request: Request, session: SessionDep, q: str = "") -> HTMLResponse:
    q = q.strip()[: catalog_search.MAX_TEXT]
    hits = catalog_search.search(session, q) if q else []
    return render(request, "directory/drugs.html", {"title": "药品目录", "q": q, "hits": hits})


def _level(raw: str, errors: FormErrors) -> int | None:
    if not raw:
        return None
    if raw not in ("1", "2", "3"):
        errors.add("level", "医院等级应为一级、二级或三级")
        return None
    return int(raw)


@router.get("/hospitals")
def hospitals_page(
    request: Request,
    session: SessionDep,
    region: str = "",
    type: str = "",
    level: str = "",
    cross: str = "",
    district: str = "",
    lat: str = "",
    lon: str = "",
) -> HTMLResponse:
    errors = FormErrors()
    values = {
        "region": region[:6],
        "type": type[:10],
        "level": level[:1],
        "cross": "1" if cross else "",
        "district": district[:6],
        "lat": lat[:20],
        "lon": lon[:20],
    }
    near = None
    try:
        near = institution_search.origin(
            values["lat"] or None, values["lon"] or None, values["district"] or None
        )
    except InvalidInput as exc:
        errors.add_service_error(exc)
    found: list[institution_search.Found] = []
    lvl = _level(values["level"], errors)
    if not errors:
        try:
            found = institution_search.search(
                session,
                region=values["region"] or None,
                type=values["type"] or None,
                level=lvl,
                cross_province=bool(values["cross"]),
                near=near,
            )
        except InvalidInput as exc:
            errors.add_service_error(exc)
    return render(
        request,
        "directory/hospitals.html",
        {
            "title": "定点医疗机构",
            "found": found,
            "values": values,
            "errors": errors,
            "regions": {
                code: institution_search.region_name(code)
                for code in institution_search.regions_in_use(session)
            },
            "districts": institution_search.districts(),
            "region_name": institution_search.region_name,
            "near": near,
        },
        status_code=400 if errors else 200,
    )


@router.get("/hospitals/{institution_id}")
def hospital_page(request: Request, session: SessionDep, institution_id: int) -> HTMLResponse:
    inst = institution_search.get(session, institution_id)
    if inst is None:
        raise PageNotFound
    return render(
        request,
        "directory/hospital.html",
        {
            "title": inst.name,
            "found": institution_search.Found(inst, None),
            "region_name": institution_search.region_name,
        },
    )


@router.get("/news")
def news_page(
    request: Request, session: SessionDep, citizen: MaybeCitizenDep, region: str = ""
) -> HTMLResponse:
    person = citizen.person if citizen is not None else None
    chosen = region[:6] or (person.region if person is not None else "all")
    errors = FormErrors()
    items: list[news.Listed] = []
    try:
        items = news.published(session, None if chosen == "all" else chosen, person)
    except InvalidInput as exc:
        errors.add("region", exc.message)
    return render(
        request,
        "directory/news.html",
        {
            "title": "政策资讯",
            "items": items,
            "chosen": chosen,
            "regions": institution_search.region_names(),
            "region_name": institution_search.region_name,
            "errors": errors,
        },
        status_code=400 if errors else 200,
    )


@router.get("/news/{article_id}")
def article_page(
    request: Request, session: SessionDep, citizen: MaybeCitizenDep, article_id: int
) -> HTMLResponse:
    person = citizen.person if citizen is not None else None
    try:
        article = news.read_article(session, article_id, person)
    except NotFound:
        raise PageNotFound from None
    session.commit()
    return render(
        request,
        "directory/article.html",
        {
            "title": article.title,
            "article": article,
            "paragraphs": [p for p in article.body.split("\n") if p.strip()],
            "region_name": institution_search.region_name,
        },
    )
