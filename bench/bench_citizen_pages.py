"""`make bench-pages` (citizen part): server-side render time and page weight of every
citizen page, in-process on a fresh SQLite demo database.

For each page: p50 of N renders (milliseconds, through the whole app: routing, session
lookup, queries, template) and the weight a browser downloads: the HTML plus every local
stylesheet and script it links, as served (static files gzip-compressed). Goals: p50 under
50 ms, weight under 150 KB.

    python bench/bench_citizen_pages.py [--runs 30]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from yibao.config import Settings, ensure_secret_key, get_settings
from yibao.persistence.migrate import upgrade
from yibao.persistence.tables import Person
from yibao.services import demo, persons
from yibao.services.crypto import default_crypto
from yibao.web.app import create_app
from yibao.web.pages.context import CSRF_COOKIE, CSRF_FIELD

PAGES = (
    "/", "/login", "/register", "/account", "/account/real-name", "/account/password",
    "/account/face", "/account/face/records", "/voucher", "/me", "/me/account",
    "/me/settlements", "/me/year", "/estimate", "/claims", "/filings", "/chronic",
    "/first-visit", "/card-loss", "/messages", "/applications", "/drugs?q=amxl",
    "/hospitals", "/news",
)  # fmt: skip
GOAL_MS = 50.0
GOAL_KB = 150.0
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"')


def signed_in_client(tmp: Path) -> TestClient:
    import os

    key = tmp / "secret.key"
    ensure_secret_key(key)
    os.environ["YIBAO_SECRET_KEY_FILE"] = str(key)
    get_settings.cache_clear()
    default_crypto.cache_clear()
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    app = create_app(Settings(database_url=url, secret_key_file=key))
    with app.state.session_factory() as session:
        demo.load_demo(session)
        session.commit()
        person = session.scalars(
            select(Person).where(Person.policy_id == "nmg-employee").limit(1)
        ).one()
        name, certno = person.name, persons.certno_of(person)
    client = TestClient(app)
    client.get("/register")
    token = client.cookies[CSRF_COOKIE]
    password = "Bench-pages-2026"
    for url_, data in (
        ("/register", {"phone": "13700001234", "password": password, "confirm": password}),
        ("/account/real-name", {"name": name, "certno": certno}),
        ("/voucher/activate", {}),
    ):
        response = client.post(url_, data={CSRF_FIELD: token, **data}, follow_redirects=False)
        assert response.status_code == 303, (url_, response.text[:300])
    return client


def weight(client: TestClient, html: str) -> tuple[int, int]:
    """(bytes as transferred, bytes uncompressed) of the page with its CSS and JS."""
    sent = raw = len(html.encode())
    for asset in sorted(set(ASSET_RE.findall(html))):
        # as a browser gets it: brotli where a precompressed file is shipped, else gzip
        response = client.get(asset, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, asset
        sent += response.num_bytes_downloaded
        plain = client.get(asset, headers={"Accept-Encoding": "identity"})
        raw += len(plain.content)
    return sent, raw


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        client = signed_in_client(Path(tmp))
        print(f"{'page':<24} {'p50 ms':>7} {'KB sent':>8} {'KB raw':>8}")
        worst_ms = worst_kb = 0.0
        for page in PAGES:
            first = client.get(page)
            if first.status_code == 404 and "未找到" not in first.text:
                print(f"{page:<24} {'(no such page yet)':>25}")
                continue
            assert first.status_code == 200, (page, first.status_code)
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                client.get(page)
                times.append((time.perf_counter() - start) * 1000)
            p50 = statistics.median(times)
            sent, raw = weight(client, first.text)
            worst_ms, worst_kb = max(worst_ms, p50), max(worst_kb, sent / 1024)
            flag = "" if p50 < GOAL_MS and sent / 1024 < GOAL_KB else "  <-- over goal"
            print(f"{page:<24} {p50:7.1f} {sent / 1024:8.1f} {raw / 1024:8.1f}{flag}")
        print(
            f"worst p50 {worst_ms:.1f} ms (goal < {GOAL_MS:.0f}); "
            f"heaviest {worst_kb:.1f} KB (goal < {GOAL_KB:.0f})"
        )
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
