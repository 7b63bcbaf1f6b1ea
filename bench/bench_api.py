"""`make bench-api`: drive 2207 (outpatient settlement) against a running yibao server.

For each database (SQLite file, and PostgreSQL when YIBAO_BENCH_PG_URL or
YIBAO_TEST_DATABASE_URL is set) it: creates a fresh database, enrols persons and one
hospital, prepares visits with uploaded fee lines (not timed), starts `uvicorn` with the
app in a subprocess, then sends N settlements from C concurrent clients over HTTP and prints
settlements/s, p50 and p99 latency. Finally it checks the ledger.

    python bench/bench_api.py [--settlements 2000] [--clients 16] [--workers 2] [--db sqlite|pg|all]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from yibao.config import ensure_secret_key, get_settings
from yibao.domain.idcard import with_check_digit
from yibao.persistence.db import make_engine, make_session_factory
from yibao.persistence.migrate import upgrade
from yibao.persistence.tables import CatalogItem, FeeLine, Visit
from yibao.services import institutions, ledger, persons
from yibao.services.crypto import default_crypto
from yibao.services.settlement import new_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOSPITAL = "H15010200001"
DRUG = "XJ01DCK050A001010100001"
RUN = datetime.now(SHANGHAI)  # msgid = hospital code + run start + sequence: unique per run


def prepare(url: str, n: int) -> tuple[str, list[dict[str, Any]]]:
    """Persons, a hospital, a catalog row and ``n`` visits ready to settle."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    bodies: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    with factory() as s, s.begin():
        inst = institutions.create_institution(
            s,
            code=HOSPITAL,
            name="基准测试医院",
            type="hospital",
            region="150102",
            level=2,
            designated_begin=date(2020, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
        s.add(
            CatalogItem(
                hilist_code=DRUG,
                name="头孢克洛胶囊",
                category="drug",
                list_category="101",
                chrgitm_lv="01",
                begin_date=date(2020, 1, 1),
                pinyin_full="toubaokeluojiaonang",
                pinyin_initials="tbkljn",
            )
        )
        people = []
        for i in range(200):
            cert = with_check_digit(f"150102198{i % 10}0101{i:03d}")
            p = persons.create_person(
                s,
                name=f"基准{i}",
                certno=cert,
                policy_id="national-employee",
                group="in_service",
                region="150102",
                since=date(2020, 1, 1),
            )
            ledger.credit(s, p, 10_000_000, kind="monthly_credit", reason="基准测试")
            people.append(p)
        for i in range(n):
            p = people[i % len(people)]
            visit = Visit(
                mdtrt_id=new_id(now) + f"{i:06d}"[-6:],
                institution_id=inst.id,
                person_id=p.id,
                kind="outpatient",
                insutype="310",
                med_type="11",
                ipt_otp_no=f"B{i:08d}",
                mdtrt_cert_type="02",
                begntime=now,
            )
            s.add(visit)
            s.flush()
            s.add(
                FeeLine(
                    visit_id=visit.id,
                    feedetl_sn="1",
                    med_list_codg=DRUG,
                    name="头孢克洛胶囊",
                    cnt=1,
                    pric=180,
                    amount_fen=18000,
                    matched=True,
                    list_type="A",
                    chrgitm_lv="01",
                    selfpay_prop=0,
                )
            )
            bodies.append(
                {
                    "psn_no": p.psn_no,
                    "mdtrt_cert_type": "02",
                    "mdtrt_cert_no": "",
                    "med_type": "11",
                    "medfee_sumamt": "180.00",
                    "psn_setlway": "01",
                    "mdtrt_id": visit.mdtrt_id,
                    "chrg_bchno": "1",
                    "acct_used_flag": "1",
                    "insutype": "310",
                }
            )
    engine.dispose()
    return key, bodies


def envelope(i: int, data: dict[str, Any]) -> bytes:
    local = datetime.now(SHANGHAI)
    return json.dumps(
        {
            "infno": "2207",
            "msgid": f"{HOSPITAL}{RUN:%Y%m%d%H%M%S}{i % 10000:04d}",
            "mdtrtarea_admvs": "150102",
            "insuplc_admdvs": "150102",
            "recer_sys_code": "YBXT",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "bench",
            "opter_name": "基准",
            "inf_time": local.strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": HOSPITAL,
            "fixmedins_name": "基准测试医院",
            "input": {"data": {k: v for k, v in data.items() if k != "mdtrt_cert_no"}},
        }
    ).encode()


async def drive(
    base: str, key: str, bodies: list[dict[str, Any]], clients: int, first: int = 0
) -> list[float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(first, first + len(bodies)):
        queue.put_nowait(i)
    latencies: list[float] = []
    failures: list[str] = []
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base,
        limits=limits,
        timeout=60,
        headers={"Authorization": f"Bearer {key}", "content-type": "application/json"},
    ) as client:

        async def worker() -> None:
            while not queue.empty():
                i = queue.get_nowait()
                start = time.perf_counter()
                r = await client.post("/fsi/api", content=envelope(i, bodies[i - first]))
                latencies.append(time.perf_counter() - start)
                body = r.json()
                if body.get("infcode") != 0:
                    failures.append(body.get("err_msg", r.text))

        await asyncio.gather(*(worker() for _ in range(clients)))
    if failures:
        print(f"  {len(failures)} failed, e.g. {failures[0]}")
    return latencies


def run_server(url: str, key_file: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, YIBAO_DATABASE_URL=url, YIBAO_SECRET_KEY_FILE=str(key_file))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "yibao.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def bench(label: str, url: str, args: argparse.Namespace, key_file: Path) -> None:
    print(
        f"\n== {label}: {args.settlements} settlements, {args.clients} clients, "
        f"{args.workers} server worker(s)"
    )
    key, bodies = prepare(url, args.settlements)
    proc = run_server(url, key_file, args.port, args.workers)
    try:
        asyncio.run(drive(f"http://127.0.0.1:{args.port}", key, bodies[:50], 4))  # warm up
        start = time.perf_counter()
        lat = asyncio.run(
            drive(f"http://127.0.0.1:{args.port}", key, bodies[50:], args.clients, first=50)
        )
        wall = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(
        f"  {len(lat) / wall:,.0f} settlements/s   p50 {pct(lat, 0.50):.1f} ms   "
        f"p99 {pct(lat, 0.99):.1f} ms"
    )
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        problems = ledger.check_ledger(s)
    engine.dispose()
    print(f"  ledger check: {'ok' if not problems else problems[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settlements", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", choices=["sqlite", "pg", "all"], default="all")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-"))
    key_file = tmp / "secret.key"
    ensure_secret_key(key_file)
    os.environ["YIBAO_SECRET_KEY_FILE"] = str(key_file)
    get_settings.cache_clear()
    default_crypto.cache_clear()
    if args.db in ("sqlite", "all"):
        bench("SQLite", f"sqlite:///{tmp / 'bench.db'}", args, key_file)
    pg = os.environ.get("YIBAO_BENCH_PG_URL") or os.environ.get("YIBAO_TEST_DATABASE_URL")
    if args.db in ("pg", "all"):
        if not pg:
            print("\nPostgreSQL: skipped (set YIBAO_BENCH_PG_URL or YIBAO_TEST_DATABASE_URL)")
            return
        schema = f"bench_{secrets.token_hex(4)}"
        admin = create_engine(pg)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
        try:
            bench("PostgreSQL", url.render_as_string(hide_password=False), args, key_file)
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
