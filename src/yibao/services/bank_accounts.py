"""The person's bank account for a claim's payment, protected like the ID number.

A claim's ``applications.details`` never holds the number in clear: :func:`seal` replaces it
with its AES-GCM ciphertext (``bank_account_sealed``, base64, bound to the purpose
"bank_account") and its masked form (``bank_account_masked``, for every page, the audit log
and the logs). Only the bank payment file calls :func:`number_of` to decrypt it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from yibao.services.crypto import FieldCrypto, default_crypto

_PURPOSE = "bank_account"
SEALED = "bank_account_sealed"
MASKED = "bank_account_masked"


def mask(number: str) -> str:
    """6222 **** **** 1234: the first and last four digits."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 8:
        return "****"
    return f"{digits[:4]} **** **** {digits[-4:]}"


def seal(details: dict[str, Any], *, crypto: FieldCrypto | None = None) -> dict[str, Any]:
    """Replace a clear ``bank_account`` in ``details`` (in place) by its ciphertext and mask."""
    number = details.pop("bank_account", None)
    if number:
        blob = (crypto or default_crypto()).encrypt(str(number), purpose=_PURPOSE)
        details[SEALED] = base64.b64encode(blob).decode("ascii")
        details[MASKED] = mask(str(number))
    return details


def masked_of(details: Mapping[str, Any]) -> str:
    """The account as shown on pages and in the audit log ("" when there is none)."""
    if details.get(MASKED):
        return str(details[MASKED])
    return mask(str(details["bank_account"])) if details.get("bank_account") else ""


def number_of(details: Mapping[str, Any], *, crypto: FieldCrypto | None = None) -> str:
    """The full number, for the bank payment file only."""
    if details.get(SEALED):
        blob = base64.b64decode(str(details[SEALED]))
        return (crypto or default_crypto()).decrypt(blob, purpose=_PURPOSE)
    return str(details.get("bank_account", ""))
