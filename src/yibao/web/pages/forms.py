"""The form convention: read a posted form, collect Chinese messages per field, and re-render
the same page with the messages beside the fields (status 400) when any is wrong. Nothing is
written until every field is right; services raise :class:`InvalidInput` naming the field,
which :meth:`FormErrors.add_service_error` puts beside it.

Templates show a field with the ``field`` macro from ``_form.html``:
``{{ field("phone", _("手机号"), errors, values, type="tel") }}``.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile

from yibao.services.errors import ServiceError
from yibao.web.pages.i18n import gettext


class FormErrors(dict[str, str]):
    """Field name → message (already translated). ``"_form"`` is for the whole form."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, gettext(message))

    def add_service_error(self, exc: ServiceError, default_field: str = "_form") -> None:
        self.add(exc.field or default_field, exc.message)


def text(form: FormData, name: str, max_length: int = 200) -> str:
    """A text field, stripped, cut to ``max_length`` (never a file)."""
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return ""
    return value.strip()[:max_length]


def require(
    form: FormData, errors: FormErrors, name: str, label: str, max_length: int = 200
) -> str:
    value = text(form, name, max_length)
    if not value:
        errors.setdefault(name, gettext("请填写{label}").format(label=gettext(label)))
    return value


def upload(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return value
    return None


def values_of(form: FormData, *names: str) -> dict[str, Any]:
    """The submitted values to show again (never passwords)."""
    return {n: text(form, n) for n in names}
