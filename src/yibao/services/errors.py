"""Errors raised by the service layer. Messages are Chinese and name the offending field."""

from __future__ import annotations


class ServiceError(Exception):
    """Base class. ``field`` names the input at fault (national field name or option), if any."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}：{self.message}" if self.field else self.message


class InvalidInput(ServiceError):
    """The input is malformed or not allowed; nothing was written."""


class NotFound(ServiceError):
    """The record asked for does not exist."""


class Conflict(ServiceError):
    """The record already exists (duplicate ID number, code, ...)."""


class InsufficientBalance(ServiceError):
    """A debit would make a personal account negative; nothing was written."""
