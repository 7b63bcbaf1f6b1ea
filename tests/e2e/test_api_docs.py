"""The API documentation works with no internet: every asset comes from this server."""

from __future__ import annotations

from typing import Any

import httpx

from servers import LiveServer


def test_the_swagger_page_lists_the_operations_with_the_network_blocked(
    live_server: LiveServer, page: Any, blocked_requests: list[str]
) -> None:
    page.goto(f"{live_server.url}/docs")
    page.locator(".opblock-summary").first.wait_for()
    summaries = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/settlements/estimate" in " ".join(summaries)
    assert "/fsi/api" in " ".join(summaries)
    assert blocked_requests == []


def test_the_redoc_page_renders_the_operations_with_the_network_blocked(
    live_server: LiveServer, page: Any, blocked_requests: list[str]
) -> None:
    page.goto(f"{live_server.url}/redoc")
    heading = page.locator("h2", has_text="结算测算：一张账单谁付多少、为什么")
    heading.wait_for(timeout=30_000)  # ReDoc renders the whole document first
    # ReDoc's bundle links its own "API docs by Redocly" logo, an image it hides when it fails
    # to load; nothing else may try to leave the machine.
    assert all(url.endswith("/logo-mini.svg") for url in blocked_requests), blocked_requests


def test_the_docs_pages_reference_no_outside_host(live_server: LiveServer) -> None:
    for path in ("/docs", "/redoc"):
        html = httpx.get(f"{live_server.url}{path}").text
        assert "cdn" not in html.lower(), path
        assert "https://" not in html, path
