"""The FastAPI application factory."""

from __future__ import annotations

import gc
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from yibao import __version__
from yibao.config import ConfigError, Settings, get_settings, load_secret_key, rate_or_error
from yibao.domain import voucher
from yibao.persistence.db import (
    READ_ONLY,
    make_engine,
    make_read_session_factory,
    make_session_factory,
)
from yibao.services import clock, policy_documents
from yibao.web import pages
from yibao.web.api import estimate, fsi, me
from yibao.web.body_limit import BodySizeLimit
from yibao.web.pages import staff as staff_pages
from yibao.web.policy_watch import PolicyWatch
from yibao.web.ratelimit import LoginLimits


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # Swagger UI (/docs) and ReDoc (/redoc) with their assets served from the fastapi-offline
    # package (under /static-offline-docs), not a CDN: the docs work with no internet.
    app = FastAPIOffline(
        title="yibao 医保服务平台",
        version=__version__,
        description="医保结算测算、定点医药机构结算接口（国家医保平台风格）、参保人与经办服务。",
        lifespan=_lifespan,
    )
    clock.configure(settings)
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_session_factory = make_read_session_factory(engine)
    with app.state.session_factory() as session:
        policy_documents.refresh_if_ready(session)  # published policy uploads
    try:
        master = load_secret_key(settings.secret_key_file)
    except ConfigError:
        master = b""  # no key yet (before `yibao db upgrade`): no e-vouchers, no sign-in
    app.state.voucher_key = voucher.derive_key(master) if master else b""
    app.state.login_limits = LoginLimits.of(
        rate_or_error(settings.login_limit_per_address, "YIBAO_LOGIN_LIMIT_PER_ADDRESS"),
        rate_or_error(settings.login_limit_per_id, "YIBAO_LOGIN_LIMIT_PER_ID"),
    )
    # Every route, /fsi/api included: 413 past YIBAO_MAX_BODY_BYTES (YIBAO_MAX_UPLOAD_BYTES for
    # form uploads), counted while streaming.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.state.token_key = (
        hmac.new(master, b"yibao/app-token/v1", hashlib.sha256).digest() if master else b""
    )

    @app.get("/healthz", tags=["运维"], summary="健康检查：服务与数据库是否可用")
    def healthz() -> dict[str, str]:
        # a read-only transaction: on SQLite it does not queue behind the writer
        with app.state.engine.execution_options(**{READ_ONLY: True}).connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return {"status": "ok"}

    app.include_router(estimate.router)
    app.include_router(me.router)
    app.include_router(fsi.router)
    staff_pages.install(app)
    pages.install(app, master)
    _freeze_startup_objects()
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While serving: notice policy versions that another process published."""
    watch = PolicyWatch(app.state.session_factory, app.state.settings.policy_refresh_seconds)
    watch.start()
    app.state.policy_watch = watch
    try:
        yield
    finally:
        watch.stop()


_frozen: list[bool] = []


def _freeze_startup_objects() -> None:
    """What start-up built (modules, routes, mappers, policies: about 175,000 objects) lives
    as long as the process: kept out of the garbage collector's full passes, which otherwise
    traverse all of it and stopped a worker for 70-200 ms several times a minute under load.
    Once per process (the first app it creates)."""
    if not _frozen:
        _frozen.append(True)
        gc.collect()
        gc.freeze()
