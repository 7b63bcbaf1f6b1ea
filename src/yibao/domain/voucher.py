"""The electronic insurance voucher (医保电子凭证) token: ``mdtrt_cert_type`` 01.

The citizen app shows it as a QR code; a hospital scans it and sends it as
``mdtrt_cert_no``. It is signed (HMAC-SHA256 with the service key) and expires, and fits the
interface's 50 characters: ``E`` + psn_no (20 digits) + expiry (8 hex digits, Unix seconds)
+ 20 characters of base64url signature = 49 characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

PREFIX = "E"
LENGTH = 49
DEFAULT_TTL = timedelta(minutes=10)


class VoucherError(ValueError):
    pass


def _sign(key: bytes, body: str) -> str:
    digest = hmac.new(key, f"yibao-voucher:{body}".encode(), hashlib.sha256).digest()[:15]
    return base64.urlsafe_b64encode(digest).decode()


def issue(key: bytes, psn_no: str, now: datetime, ttl: timedelta = DEFAULT_TTL) -> str:
    if len(psn_no) != 20 or not psn_no.isdigit():
        raise VoucherError("psn_no 应为 20 位数字")
    expires = int((now + ttl).timestamp())
    body = f"{PREFIX}{psn_no}{expires:08x}"
    return body + _sign(key, body)


def verify(key: bytes, token: str, now: datetime) -> str:
    """The psn_no the token was issued for; raises VoucherError if forged or expired."""
    if len(token) != LENGTH or not token.startswith(PREFIX):
        raise VoucherError("电子凭证格式不正确")
    body, sig = token[:29], token[29:]
    if not hmac.compare_digest(_sign(key, body), sig):
        raise VoucherError("电子凭证签名无效")
    try:
        expires = int(body[21:29], 16)
    except ValueError:
        raise VoucherError("电子凭证格式不正确") from None
    if now.timestamp() > expires:
        raise VoucherError("电子凭证已过期，请刷新二维码")
    return body[1:21]


def derive_key(master: bytes) -> bytes:
    """The voucher signing key, derived from the service's master key."""
    return hmac.new(master, b"yibao/voucher/v1", hashlib.sha256).digest()
