"""Errors of the rules layer. Each names what is wrong and where."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy file is invalid: names the file, the key and what is wrong."""

    def __init__(self, file: str, key: str, message: str) -> None:
        self.file = file
        self.key = key
        self.message = message
        super().__init__(f"{file}: {key}: {message}")


class CaseError(ValueError):
    """A settlement case is invalid: names the field (a dotted path) and what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict[str, str]:
        return {"error": self.message, "field": self.field}
