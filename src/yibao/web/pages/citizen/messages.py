"""站内消息: notices about the person's applications, newest first, with unread marks."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from yibao.services import notices
from yibao.web.api.deps import SessionDep
from yibao.web.pages.citizen.application_pages import local_time
from yibao.web.pages.context import redirect
from yibao.web.pages.deps import RealNameDep, pages_router
from yibao.web.pages.templating import render

router = pages_router()


@router.get("/messages")
def messages_page(request: Request, session: SessionDep, citizen: RealNameDep) -> HTMLResponse:
    assert citizen.person is not None
    items = notices.list_for_person(session, citizen.person)
    return render(
        request,
        "applications/messages.html",
        {
            "title": "站内消息",
            "items": items,
            "unread": sum(1 for n in items if n.read_at is None),
            "local": local_time,
        },
    )


@router.post("/messages/read")
def mark_all_read(request: Request, session: SessionDep, citizen: RealNameDep) -> Response:
    assert citizen.person is not None
    notices.mark_all_read(session, citizen.person)
    session.commit()
    return redirect(request, "/messages", "已全部标为已读")
