"""A pure ASGI middleware that refuses request bodies over a size limit with 413.

It answers at once when ``Content-Length`` says too much, and otherwise counts the bytes as
the application reads them (chunked uploads have no ``Content-Length``): the moment the count
passes the limit, reading stops and the client gets 413. Every route is covered, whatever it
does with its body, because the check sits below the framework. Form uploads
(``multipart/form-data``: the photos and scans of the citizen pages) have their own, larger
limit; every other body (JSON above all) has the general one.

The API (``/api``, ``/fsi``) answers JSON. A page answers as a page: a file too large for
it reaches its route cut short (:mod:`yibao.web.page_uploads`), so the form comes back with
its own error beside the field; a body that is still too large gets a short HTML page in the
page language naming the field being read.
"""

from __future__ import annotations

import json
from html import escape
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yibao.domain.text import N_
from yibao.web.page_uploads import READ_FACTOR, Trimmer, field_label, is_page
from yibao.web.pages import i18n
from yibao.web.pages.context import lang_of


class BodyTooLarge(HTTPException):
    """Raised into the application from ``receive`` when the body passes the limit."""

    def __init__(self, limit: int, field: str | None = None) -> None:
        super().__init__(413, too_large_message(limit))
        self.field = field


def too_large_message(limit: int) -> str:
    return f"请求体过大：上限 {limit} 字节"


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type") or ""
        upload = content_type.lower().startswith("multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_bytes
        page = is_page(scope["path"])
        trimmer = Trimmer(content_type) if page and upload else None
        # a page's upload is read further (the rest of a large file is dropped), up to this
        read_limit = limit * READ_FACTOR if trimmer is not None else limit
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > read_limit):
            await self._refuse(scope, send, limit, None)
            return
        if trimmer is not None:  # the body the route gets is shorter than the one declared
            headers = scope.get("headers", [])
            scope = {**scope, "headers": [h for h in headers if h[0] != b"content-length"]}
        received = 0
        forwarded = 0
        started = False
        refused: list[str | None] = []  # the field being read when the limit was passed

        def too_large(field: str | None) -> BodyTooLarge:
            if not started:
                refused.append(field)
            return BodyTooLarge(limit, field)

        async def counting_receive() -> Message:
            nonlocal received, forwarded
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                received += len(body)
                if received > read_limit:
                    raise too_large(trimmer.field if trimmer is not None else None)
                if trimmer is not None:
                    body = trimmer.feed(body)
                    message = {**message, "body": body}
                forwarded += len(body)
                if forwarded > limit:
                    raise too_large(trimmer.field if trimmer is not None else None)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if refused and page:  # the app's own answer to the refusal (JSON): ours instead
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._refuse(scope, send, limit, exc.field)
            return
        if refused and page:
            await self._refuse(scope, send, limit, refused[0])

    async def _refuse(self, scope: Scope, send: Send, limit: int, field: str | None) -> None:
        if is_page(scope["path"]):
            data = _refusal_page(scope, limit, field).encode()
            content_type = b"text/html; charset=utf-8"
        else:
            data = json.dumps({"detail": too_large_message(limit)}, ensure_ascii=False).encode()
            content_type = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(data)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})


PAGE_MESSAGES = (
    N_("“{field}”过大：一次提交的内容不能超过 {megabytes} MB。请压缩或分开上传后重新提交。"),
    N_("提交的内容过大：一次不能超过 {megabytes} MB。请压缩或分开上传后重新提交。"),
)


def _refusal_page(scope: Scope, limit: int, field: str | None) -> str:
    """A short page in the page language: what was too large and the way back."""
    request = Request(scope)
    lang = lang_of(request)
    translations = i18n.translations(lang)
    _ = translations.gettext
    megabytes = f"{limit / (1 << 20):g}"
    label = field_label(field)
    if label:
        message = _(PAGE_MESSAGES[0]).format(field=_(label), megabytes=megabytes)
    else:
        message = _(PAGE_MESSAGES[1]).format(megabytes=megabytes)
    referer = urlsplit(request.headers.get("referer", ""))
    back = (
        referer.path if referer.path.startswith("/") and not referer.path.startswith("//") else "/"
    )
    if referer.query:
        back += "?" + referer.query
    title, back_label = escape(_("提交失败")), escape(_("返回"))
    return (
        f'<!doctype html>\n<html lang="{i18n.HTML_LANG[lang]}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head><body><main>"
        f'<h1>{title}</h1><p class="error" role="alert">{escape(message)}</p>'
        f'<p><a href="{escape(back)}">{back_label}</a></p></main></body></html>\n'
    )


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return str(value.decode("latin-1").strip())
    return None
