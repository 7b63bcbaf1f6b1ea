"""The pages' English catalog: it parses, and a translation keeps the placeholders."""

from __future__ import annotations

import re

from babel.messages.pofile import read_po

from yibao.web.pages import i18n

PO = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"


def test_the_english_catalog_keeps_every_placeholder() -> None:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    translated = [m for m in catalog if m.id and m.string]
    assert len(translated) > 150
    for message in translated:
        assert set(re.findall(r"\{\w*\}", str(message.id))) == set(
            re.findall(r"\{\w*\}", str(message.string))
        ), message.id


def test_english_is_served_from_the_committed_catalog_without_a_build_step() -> None:
    i18n.set_lang("en")
    try:
        assert i18n.gettext("账户余额") == "Account balance"
        assert i18n.gettext("请填写{label}").format(label=i18n.gettext("姓名")) == (
            "Please fill in Name"
        )
    finally:
        i18n.set_lang("zh")
    assert i18n.gettext("账户余额") == "账户余额"
