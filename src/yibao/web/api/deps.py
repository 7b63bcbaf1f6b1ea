"""FastAPI dependencies: a database session per request, the signed-in person."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session

from yibao.persistence.tables import Person
from yibao.services import auth, persons


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_read_session(request: Request) -> Iterator[Session]:
    """A session that only reads (on SQLite it never waits for, or holds up, a writer)."""
    with request.app.state.read_session_factory() as session:
        yield session


ReadSessionDep = Annotated[Session, Depends(get_read_session)]


def current_person(request: Request, session: ReadSessionDep) -> Person:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    psn_no = None
    if scheme.lower() == "bearer" and token and request.app.state.token_key:
        psn_no = auth.read_token(request.app.state.token_key, token.strip())
    person = persons.get_by_psn_no(session, psn_no) if psn_no else None
    if person is None:
        raise HTTPException(
            status_code=401,
            detail="请先登录（令牌缺失、无效或已过期）",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return person


CurrentPerson = Annotated[Person, Depends(current_person)]


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


MAX_OFFSET = 1_000_000_000  # far past any real history, and within every database's integer


def page(
    limit: int = Query(20, ge=1, le=200, description="每页条数"),
    offset: int = Query(0, ge=0, le=MAX_OFFSET, description="跳过条数"),
) -> Page:
    return Page(limit, offset)


PageDep = Annotated[Page, Depends(page)]
