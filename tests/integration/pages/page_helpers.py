"""Helpers for page tests, imported by name (like fsi's ``hospital_client``): a browser-like
client that carries the CSRF token, and short steps (register, bind)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from yibao.web.pages.context import CSRF_COOKIE, CSRF_FIELD

PASSWORD = "Yibao-demo-2025"


class PageClient(TestClient):
    def csrf(self) -> str:
        token = self.cookies.get(CSRF_COOKIE)
        if not token:
            self.get("/login")
            token = self.cookies.get(CSRF_COOKIE)
        assert token
        return str(token)

    def post_form(
        self, url: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        body = dict(data or {})
        body.setdefault(CSRF_FIELD, self.csrf())
        kwargs.setdefault("follow_redirects", False)
        return self.post(url, data=body, **kwargs)


@dataclass
class Enrolled:
    person_id: int
    name: str
    certno: str
    phone: str
    region: str


_phones = iter(range(10_000_000, 99_999_999))


def new_phone() -> str:
    return f"139{next(_phones):08d}"


def register(client: PageClient, phone: str, password: str = PASSWORD) -> httpx.Response:
    response = client.post_form(
        "/register", {"phone": phone, "password": password, "confirm": password}
    )
    assert response.status_code == 303, response.text
    return response


def bind(client: PageClient, who: Enrolled) -> None:
    response = client.post_form("/account/real-name", {"name": who.name, "certno": who.certno})
    assert response.status_code == 303, response.text
