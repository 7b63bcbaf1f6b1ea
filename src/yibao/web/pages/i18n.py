"""Translations for the pages: Chinese (zh-CN) is the source language and the default;
English comes from the committed gettext catalog ``locale/en/LC_MESSAGES/messages.po``.

The catalog is read with Babel at start-up and compiled in memory, so a fresh clone needs no
build step. ``make messages`` re-extracts the strings (Python ``_()`` calls and the
templates' ``{% trans %}`` / ``_()``) and updates the catalog.
"""

from __future__ import annotations

import functools
import io
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT_LANG = "zh"
LANGS = {"zh": "中文", "en": "English"}
HTML_LANG = {"zh": "zh-CN", "en": "en"}

_lang: ContextVar[str] = ContextVar("yibao_page_lang", default=DEFAULT_LANG)


@functools.cache
def translations(lang: str) -> NullTranslations:
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANG or not po.is_file():
        return NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(fp=buf)


def set_lang(lang: str) -> None:
    _lang.set(lang if lang in LANGS else DEFAULT_LANG)


def current_lang() -> str:
    return _lang.get()


def gettext(message: str) -> str:
    return translations(_lang.get()).gettext(message)


def pgettext(context: str, message: str) -> str:
    """``message`` in the sense ``context`` (停用 as a status, not the button)."""
    return str(translations(_lang.get()).pgettext(context, message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_lang.get()).ngettext(singular, plural, n)


_ = gettext
