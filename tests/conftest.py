"""Fixtures for every test folder: one master key file per test session (per xdist worker).

The key is named by ``YIBAO_SECRET_KEY_FILE`` for the whole session, so the process-wide
:func:`yibao.services.crypto.default_crypto` and every app built in the tests agree on it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from yibao.config import ensure_secret_key, get_settings
from yibao.services.crypto import default_crypto


@pytest.fixture(scope="session", autouse=True)
def secret_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("keys") / "secret.key"
    ensure_secret_key(path)
    old = os.environ.get("YIBAO_SECRET_KEY_FILE")
    os.environ["YIBAO_SECRET_KEY_FILE"] = str(path)
    get_settings.cache_clear()
    default_crypto.cache_clear()
    yield path
    if old is None:
        os.environ.pop("YIBAO_SECRET_KEY_FILE", None)
    else:
        os.environ["YIBAO_SECRET_KEY_FILE"] = old
    get_settings.cache_clear()
    default_crypto.cache_clear()
