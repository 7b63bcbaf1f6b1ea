"""Server-rendered pages (Jinja2), one folder per audience: ``citizen/`` is the 参保人服务 app.

:func:`install` mounts the static files, the routers and the page error handlers on the app.
"""

from __future__ import annotations

import hashlib
import hmac
import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

from yibao.web.pages import context
from yibao.web.pages.deps import CsrfFailed, LoginRequired, PageNotFound, RealNameRequired
from yibao.web.pages.templating import render

STATIC_DIR = Path(__file__).parent / "static"


class PrecompressedFiles(StaticFiles):
    """Static files; where a brotli-compressed sibling ``NAME.br`` is shipped (the vendored
    ECharts build) and the browser accepts ``br``, that file is sent instead, with
    ``Content-Encoding: br``: about 15% smaller than gzip at its best for minified JS, and no
    compression work per request. Everything else is gzip-compressed on the fly."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        accepted = Headers(scope=scope).get("accept-encoding", "")
        if "br" in {part.split(";")[0].strip() for part in accepted.split(",")}:
            try:
                response = await super().get_response(path + ".br", scope)
            except HTTPException:
                pass  # no compressed sibling: the plain file below
            else:
                kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
                response.headers["content-type"] = kind
                response.headers["content-encoding"] = "br"
                response.headers["vary"] = "Accept-Encoding"
                return response
        return await super().get_response(path, scope)


def install(app: FastAPI, master_key: bytes) -> None:
    from yibao.services.sms import LogSender
    from yibao.web.pages.citizen import routers

    app.state.page_key = hmac.new(
        master_key or b"no-key", b"yibao/pages/v1", hashlib.sha256
    ).digest()
    if not hasattr(app.state, "sms_sender"):
        app.state.sms_sender = LogSender()
    app.mount(
        "/static",
        GZipMiddleware(PrecompressedFiles(directory=STATIC_DIR), minimum_size=1000),
        name="static",
    )
    for router in routers():
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        from urllib.parse import quote

        return context.redirect(request, f"/login?next={quote(target)}", "请先登录", "warn")

    @app.exception_handler(RealNameRequired)
    def _real_name(request: Request, exc: RealNameRequired) -> Response:
        return context.redirect(
            request, "/account/real-name", "请先完成实名认证（姓名 + 身份证号）", "warn"
        )

    @app.exception_handler(CsrfFailed)
    def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return render(
            request,
            "error.html",
            {"title": "页面已过期", "message": "表单已过期或来源不明，请返回上一页刷新后重试。"},
            status_code=403,
        )

    @app.exception_handler(PageNotFound)
    def _not_found(request: Request, exc: PageNotFound) -> Response:
        return render(
            request,
            "error.html",
            {"title": "未找到", "message": "没有找到这条记录，或它不属于您。"},
            status_code=404,
        )
