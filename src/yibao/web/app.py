"""The FastAPI application factory."""

from __future__ import annotations

from fastapi import FastAPI

from yibao import __version__
from yibao.web.api import estimate


def create_app() -> FastAPI:
    app = FastAPI(
        title="yibao 医保服务平台",
        version=__version__,
        description="医保结算测算、定点医药机构结算接口（国家医保平台风格）、参保人与经办服务。",
    )
    app.include_router(estimate.router)
    return app
