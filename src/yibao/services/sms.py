"""Sending SMS verification codes through a pluggable sender.

The default :class:`LogSender` sends nothing: it writes the code to the server log (logger
``yibao.sms``), with the phone number masked. That one log line is the only place the code
appears. A deployment plugs in its SMS gateway by setting ``app.state.sms_sender`` to any
object with the :class:`SmsSender` method.
"""

from __future__ import annotations

import logging
from typing import Protocol

from yibao.domain.idcard import mask_phone

log = logging.getLogger("yibao.sms")


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str, purpose: str) -> None: ...


class LogSender:
    """Writes ``验证码 <code> → <masked phone>`` to the server log instead of sending."""

    def send_code(self, phone: str, code: str, purpose: str) -> None:
        log.warning(
            "短信验证码（%s）%s → %s（未接短信网关，仅写入日志）", purpose, code, mask_phone(phone)
        )


class MemorySender:
    """Keeps the last code per phone in memory: for tests and local scripts."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send_code(self, phone: str, code: str, purpose: str) -> None:
        self.codes[phone] = code
