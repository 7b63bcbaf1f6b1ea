"""Words for people, kept translatable by the layers that must not know about the pages.

Chinese is the source language. A fixed label defined in Python is marked with :func:`N_`
(``make messages`` extracts it) and translated where it is shown. A sentence with values is a
:class:`Text`: a Chinese format string with named placeholders (the catalog's msgid) and its
values; the page translates the format string, then fills it (values that are themselves
:class:`Text` are translated too). ``str()`` of a :class:`Text` is the Chinese sentence, so
the command line, logs and stored records read as before. No framework is imported here:
the rules engine and the services use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a fixed label for extraction (``make messages``); it is translated where shown."""
    return message


def _same(message: str) -> str:
    return message


class Text:
    """A translatable sentence: ``Text(N_("发票 {invoice} 已结算"), invoice="FP1")``.
    A template without values is a label (``Text(N_("三级医院"))``)."""

    __slots__ = ("template", "values")

    def __init__(self, template: str, /, **values: Any) -> None:
        self.template = template
        self.values = values

    def render(self, gettext: Gettext = _same) -> str:
        """Translated with ``gettext``, then filled."""
        if not self.values:
            return gettext(self.template)
        filled = {k: shown_in(v, gettext) for k, v in self.values.items()}
        return gettext(self.template).format(**filled)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return "Text(" + ", ".join(map(repr, (self.template, self.values))) + ")"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Text)
            and type(other) is type(self)
            and (self.template, self.values) == (other.template, other.values)
        )

    def __hash__(self) -> int:
        return hash(self.template)


class Verbatim(Text):
    """Words that are not translated (a number, a name from the data) where a :class:`Text`
    is expected."""

    __slots__ = ()

    def __init__(self, words: object) -> None:
        super().__init__(str(words))

    def render(self, gettext: Gettext = _same) -> str:
        return self.template


class Joined(Text):
    """Several texts joined by a separator that is translated too (``、`` → ``, ``)."""

    __slots__ = ("parts",)

    def __init__(self, separator: str, parts: Iterable[Any]) -> None:
        super().__init__(separator)
        self.parts = tuple(parts)

    def render(self, gettext: Gettext = _same) -> str:
        return gettext(self.template).join(shown_in(p, gettext) for p in self.parts)

    def __repr__(self) -> str:
        return "Joined(" + ", ".join(map(repr, (self.template, self.parts))) + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Joined) and (self.template, self.parts) == (
            other.template,
            other.parts,
        )

    def __hash__(self) -> int:
        return hash((self.template, self.parts))


def shown_in(value: Any, gettext: Gettext) -> str:
    """A value as shown in the language of ``gettext``: a :class:`Text` (or anything with a
    ``render(gettext)``) translated, anything else as it is (a name, a number, a date)."""
    render = getattr(value, "render", None)
    if callable(render):
        return str(render(gettext))
    return str(value)
