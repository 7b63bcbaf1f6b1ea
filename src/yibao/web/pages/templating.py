"""One Jinja2 environment for every audience's pages, with gettext, and :func:`render`.

Templates are looked up in ``web/pages/templates`` (the base layout and shared macros) and
in each audience's ``templates`` folder beside its routes (``web/pages/citizen/templates``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from yibao.web.pages import i18n

PAGES_DIR = Path(__file__).parent
TEMPLATE_DIRS = [PAGES_DIR / "templates", PAGES_DIR / "citizen" / "templates"]


@functools.cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    from yibao.web.pages.context import CSRF_FIELD, current_csrf_token

    env.globals["csrf_token_value"] = current_csrf_token
    env.globals["csrf_field_name"] = CSRF_FIELD
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
    )
    return env


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the page context (language, 长辈模式, CSRF token, notices,
    the signed-in citizen) plus ``context``."""
    from yibao.web.pages import context as page_context

    values = page_context.base_context(request)
    values.update(context or {})
    html = environment().get_template(template).render(values)
    response = HTMLResponse(html, status_code=status_code)
    page_context.after_render(request, response)
    return response
