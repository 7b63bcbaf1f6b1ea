"""参保人服务 (the citizen app): one module of routes per area, its templates in
``templates/`` beside them. Add a module's router to :func:`routers` to serve it."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from yibao.web.pages.citizen import account, estimate, home, identity, mine, voucher

    return [
        home.router,
        account.router,
        voucher.router,
        mine.router,
        estimate.router,
        identity.router,
    ]
