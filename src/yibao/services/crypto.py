"""Field protection: AES-256-GCM for encrypted columns, HMAC-SHA256 for lookup hashes.

The keys are derived (HKDF) from the master key file named by the settings; a database dump
alone reveals neither ID numbers nor phone numbers.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from yibao.config import (
    Settings,
    field_encryption_key,
    get_settings,
    load_secret_key,
    lookup_hash_key,
)

_NONCE_BYTES = 12
_VERSION = b"\x01"


class FieldCrypto:
    def __init__(self, master_key: bytes) -> None:
        self._aead = AESGCM(field_encryption_key(master_key))
        self._hash_key = lookup_hash_key(master_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> FieldCrypto:
        return cls(load_secret_key(settings.secret_key_file))

    def encrypt(self, plaintext: str, *, purpose: str) -> bytes:
        """``purpose`` (e.g. "certno") is bound as associated data: a ciphertext copied into
        another column does not decrypt."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())
        return _VERSION + nonce + sealed

    def decrypt(self, blob: bytes, *, purpose: str) -> str:
        if blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        return self._aead.decrypt(nonce, sealed, purpose.encode()).decode()

    def lookup_hash(self, value: str, *, purpose: str) -> str:
        msg = purpose.encode() + b"\x00" + value.encode()
        return hmac.new(self._hash_key, msg, hashlib.sha256).hexdigest()


@functools.cache
def default_crypto() -> FieldCrypto:
    """The process-wide instance, from :func:`yibao.config.get_settings`."""
    return FieldCrypto.from_settings(get_settings())
