"""参保人服务 (the citizen app): one module of routes per area, its templates in
``templates/`` beside them. Add a module's router to :func:`routers` to serve it."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from yibao.web.pages.citizen import (
        account,
        claims,
        directory,
        estimate,
        filings,
        home,
        identity,
        messages,
        mine,
        my_applications,
        person_changes,
        voucher,
    )

    return [
        home.router,
        account.router,
        voucher.router,
        mine.router,
        estimate.router,
        identity.router,
        claims.router,
        my_applications.router,
        filings.router,
        person_changes.router,
        messages.router,
        directory.router,
    ]
