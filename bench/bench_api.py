"""`make bench-api`: 2207 outpatient settlements over HTTP against `uvicorn` workers, with
`wrk` (closed loop) and a light open-loop client at fixed rates, on PostgreSQL and SQLite.

For each database it creates a fresh schema (or file), enrols ``PERSONS`` persons at one
hospital and prepares one visit with an uploaded fee line per settlement (not timed), starts
``WORKERS`` application processes (uvicorn, one worker each, each on its own port: the load
generators spread their connections evenly over them, as a load balancer would), then:

1. warm-up: ``WARMUP`` seconds of wrk (pools grow, statements get prepared);
2. closed loop: wrk with ``CONNS`` connections for ``DURATION`` seconds; ``N`` visits are
   prepared for it, each message settles a different visit (a run that uses them up is
   reported as invalid);
3. open loop: for each rate in ``RATE`` (per second), ``OPEN_SECONDS`` seconds of messages
   sent on schedule, latency counted from when each was due;
4. history: ``HISTORY`` settlements are added (300 this year for every person, the rest in
   earlier years), then step 2 runs again: a settlement's cost must not grow with history.

Next to each figure it prints the CPU used per settlement by the server and by PostgreSQL's
backends for this run, and the CPU used by everything else on the machine during the run
("outside"), so a run disturbed by other work shows as such. Finally the ledger is checked
and the year-to-date rows are compared with the replay of the settlements.

    python bench/bench_api.py --db pg --workers 2 --conns 8 --n 20000 --rate 300,400
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from yibao.config import ensure_secret_key, get_settings
from yibao.domain.idcard import with_check_digit
from yibao.persistence.db import make_engine, make_session_factory
from yibao.persistence.migrate import upgrade
from yibao.persistence.tables import CatalogItem, FeeLine, Visit
from yibao.services import institutions, ledger, persons
from yibao.services import year_to_date as ytd_sums
from yibao.services.crypto import default_crypto
from yibao.services.settlement import new_id

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOSPITAL = "H15010200001"
DRUG = "XJ01DCK050A001010100001"
HERE = Path(__file__).parent
TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
APP_NAME = "yibao-bench"


@dataclass
class Prepared:
    key: str
    person_ids: list[int]
    bodies: list[bytes]  # one 2207 message per prepared visit
    certs: list[tuple[str, str]]  # (psn_no, ID number) of each person
    used: int = 0

    def take(self, n: int, path: Path) -> Path:
        """The next ``n`` messages, written one per line to ``path``."""
        if self.used + n > len(self.bodies):
            raise SystemExit("not enough prepared visits")
        path.write_bytes(b"\n".join(self.bodies[self.used : self.used + n]) + b"\n")
        self.used += n
        return path


def _envelope(infno: str, msgid: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "infno": infno,
        "msgid": msgid,
        "mdtrtarea_admvs": "150102",
        "insuplc_admdvs": "150102",
        "recer_sys_code": "YBXT",
        "infver": "V1.0",
        "opter_type": "1",
        "opter": "bench",
        "opter_name": "bench",
        "inf_time": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
        "fixmedins_code": HOSPITAL,
        "fixmedins_name": "bench",
        "input": payload,
    }


def _message(seq: int, run: str, psn_no: str, mdtrt_id: str) -> bytes:
    return json.dumps(
        {
            "infno": "2207",
            "msgid": f"{HOSPITAL}{run}{seq:07d}",
            "mdtrtarea_admvs": "150102",
            "insuplc_admdvs": "150102",
            "recer_sys_code": "YBXT",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "bench",
            "opter_name": "bench",
            "inf_time": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": HOSPITAL,
            "fixmedins_name": "bench",
            "input": {
                "data": {
                    "psn_no": psn_no,
                    "mdtrt_cert_type": "02",
                    "med_type": "11",
                    "medfee_sumamt": 180.00,
                    "psn_setlway": "01",
                    "mdtrt_id": mdtrt_id,
                    "chrg_bchno": "1",
                    "acct_used_flag": "1",
                    "insutype": "310",
                }
            },
        },
        separators=(",", ":"),
    ).encode()


def prepare(url: str, n_persons: int, n_visits: int) -> Prepared:
    """Persons, a hospital, a catalog row and ``n_visits`` visits with fees, ready to settle."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
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
        certs: list[tuple[str, str]] = []
        for i in range(n_persons):
            cert = with_check_digit(f"150102{1950 + i // 1000}0101{i % 1000:03d}")
            p = persons.create_person(
                s,
                name=f"基准{i}",
                certno=cert,
                policy_id="national-employee",
                group="in_service",
                region="150102",
                since=date(2020, 1, 1),
            )
            ledger.credit(s, p, 100_000_000, kind="monthly_credit", reason="基准测试")
            people.append((p.id, p.psn_no))
            certs.append((p.psn_no, cert))
        institution_id = inst.id
    visits = []
    for i in range(n_visits):
        visits.append(
            {
                "mdtrt_id": new_id(now)[:14] + f"{i:08d}",
                "institution_id": institution_id,
                "person_id": people[i % len(people)][0],
                "kind": "outpatient",
                "insutype": "310",
                "med_type": "11",
                "ipt_otp_no": f"B{i:08d}",
                "mdtrt_cert_type": "02",
                "begntime": now,
                "oncology_course": False,
                "status": "open",
                "created_at": now,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Visit.__table__), visits)
        ids = dict(conn.execute(text("SELECT mdtrt_id, id FROM visits")).all())
        conn.execute(
            insert(FeeLine.__table__),
            [
                {
                    "visit_id": ids[v["mdtrt_id"]],
                    "feedetl_sn": "1",
                    "chrg_bchno": "1",
                    "med_list_codg": DRUG,
                    "medins_list_codg": "",
                    "name": "头孢克洛胶囊",
                    "cnt": 1,
                    "pric": 180,
                    "amount_fen": 18000,
                    "matched": True,
                    "list_type": "A",
                    "chrgitm_lv": "01",
                    "selfpay_prop": 0,
                }
                for v in visits
            ],
        )
    engine.dispose()
    run = f"{datetime.now(SHANGHAI):%m%d%H%M%S}"
    bodies = [
        _message(i, run, people[i % len(people)][1], v["mdtrt_id"]) for i, v in enumerate(visits)
    ]
    return Prepared(key, [pid for pid, _ in people], bodies, certs)


# -- CPU accounting -----------------------------------------------------------------------


def _busy_ticks() -> int:
    with open("/proc/stat") as fh:
        parts = fh.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in parts[:8])
    return user + nice + system + irq + softirq + steal


def _proc_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return out


class CpuWindow:
    """CPU ticks of the whole machine, the server's processes and PostgreSQL's backends
    serving the benchmark (``application_name``) between start() and stop()."""

    def __init__(self, server_pids: list[int], engine: Engine | None) -> None:
        self.server_pids = server_pids
        self.engine = engine

    def _backends(self) -> list[int]:
        if self.engine is None:
            return []
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :a"),
                    {"a": APP_NAME},
                ).scalars()
            )

    def _snapshot(self) -> tuple[int, dict[int, int], dict[int, int]]:
        server = [p for pid in self.server_pids for p in (pid, *_children(pid))]
        return (
            _busy_ticks(),
            {p: _proc_ticks(p) for p in server},
            {p: _proc_ticks(p) for p in self._backends()},
        )

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.before = self._snapshot()

    def stop(self, client_ticks: int) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        busy1, server1, pg1 = self._snapshot()
        busy0, server0, pg0 = self.before
        server = sum(v - server0.get(p, 0) for p, v in server1.items())
        pg = sum(v - pg0.get(p, 0) for p, v in pg1.items())
        outside = (busy1 - busy0) - server - pg - client_ticks
        return {
            "server_s": server / TICKS,
            "pg_s": pg / TICKS,
            "client_s": client_ticks / TICKS,
            "outside_pct": max(0.0, 100 * outside / TICKS / (wall * CORES)),
        }


def _run_child(cmd: list[str]) -> tuple[str, int]:
    """Run a load generator; its stdout and its CPU ticks."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{cmd[0]} failed: {err or out}")
    return out, round((usage.ru_utime + usage.ru_stime) * TICKS)


# -- one database ---------------------------------------------------------------------------


def run_servers(
    url: str, key_file: Path, args: argparse.Namespace
) -> list[subprocess.Popen[bytes]]:
    """The application's processes: by default ``WORKERS`` uvicorn processes of one worker
    each, on ports of their own, among which the load generators spread their connections
    evenly, as a load balancer in front of stateless processes would (see docs/scaling.md).
    With ``--one-socket``: the shipped command, ``yibao serve --workers WORKERS``, on one
    port (each worker on its own ``SO_REUSEPORT`` socket; the kernel spreads the connections
    by their address hash, so with few connections the split need not be even)."""
    env = dict(os.environ, YIBAO_DATABASE_URL=url, YIBAO_SECRET_KEY_FILE=str(key_file))
    groups = [(args.ports[0], args.workers)] if args.one_socket else [(p, 1) for p in args.ports]
    procs = []
    for port, workers in groups:
        if args.one_socket:
            command = [sys.executable, "-m", "yibao", "serve", "--no-access-log"]
        else:
            command = [sys.executable, "-m", "uvicorn", "yibao.web.app:create_app", "--factory"]
            command += ["--log-level", "warning", "--no-access-log"]
        command += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        procs.append(subprocess.Popen(command, env=env))
    deadline = time.monotonic() + 60
    for port, _ in groups:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    for proc in procs:
                        proc.kill()
                    raise RuntimeError("server did not start") from None
                time.sleep(0.2)
    return procs


def _wrk_command(args: argparse.Namespace, seconds: float, path: Path, key: str) -> list[str]:
    """wrk with one thread per application process (``WRK_PORTS`` in messages.lua points
    each thread's connections at its process); ``CONNS`` spread evenly over them."""
    threads = 2 if args.one_socket else args.workers
    return [
        "wrk",
        f"-t{threads}",
        f"-c{args.conns}",
        f"-d{max(1, round(seconds))}s",
        "-s",
        str(HERE / "messages.lua"),
        f"http://127.0.0.1:{args.ports[0]}",
        "--",
        str(path),
        str(threads),
        key,
    ]


def _settled(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM settlements")).scalar_one())


def _wrk(
    args: argparse.Namespace, prepared: Prepared, tmp: Path, seconds: float, n: int
) -> tuple[dict[str, Any], int]:
    bodies = prepared.take(n, tmp / f"closed-{prepared.used}.txt")
    out, ticks = _run_child(_wrk_command(args, seconds, bodies, prepared.key))
    return json.loads(out.strip().splitlines()[-1]), ticks


def _cpu_line(cpu: dict[str, float], done: int) -> str:
    per = max(done, 1) / 1000
    return (
        f"     CPU per settlement: server {cpu['server_s'] / per:.2f} ms, "
        f"PostgreSQL {cpu['pg_s'] / per:.2f} ms, load generator {cpu['client_s'] / per:.2f} ms"
        f" | CPU used outside the benchmark: {cpu['outside_pct']:.0f}% of {CORES} cores"
    )


def closed_loop(
    label: str, args: argparse.Namespace, prepared: Prepared, tmp: Path, cpu: CpuWindow, db: Engine
) -> float:
    before = _settled(db)
    cpu.start()
    result, ticks = _wrk(args, prepared, tmp, args.seconds, args.n)
    usage = cpu.stop(ticks)
    done = _settled(db) - before
    rate = result["requests"] / (result["duration_us"] / 1e6)
    bad = result["socket_errors"] + result["non2xx"]
    valid = "" if not result["exhausted"] else "  INVALID: N too small for DURATION"
    print(
        f"  {label}: {rate:,.0f} settlements/s   p50 {result['p50_us'] / 1000:.1f} ms   "
        f"p99 {result['p99_us'] / 1000:.1f} ms   max {result['max_us'] / 1000:.0f} ms   "
        f"[{done} settled of {result['requests']} answered, {bad} HTTP errors]{valid}"
    )
    print(_cpu_line(usage, done))
    return rate


def open_loop(
    rate: float, args: argparse.Namespace, prepared: Prepared, tmp: Path, cpu: CpuWindow, db: Engine
) -> None:
    n = int(rate * args.open_seconds)
    bodies = prepared.take(n, tmp / f"open-{prepared.used}.txt")
    before = _settled(db)
    cpu.start()
    out, ticks = _run_child(
        [
            sys.executable,
            str(HERE / "open_loop.py"),
            str(bodies),
            prepared.key,
            "--port",
            ",".join(map(str, args.ports[:1] if args.one_socket else args.ports)),
            "--rate",
            str(rate),
            "--seconds",
            str(args.open_seconds),
        ]
    )
    usage = cpu.stop(ticks)
    r = json.loads(out.strip().splitlines()[-1])
    done = _settled(db) - before
    print(
        f"  open loop at {rate:g}/s ({args.open_seconds:g} s, achieved {r['rate']:g}/s): "
        f"p50 {r['p50_ms']} ms   p99 {r['p99_ms']} ms   max {r['max_ms']} ms   "
        f"[{done} settled of {r['sent']} sent, {r['failed']} failed]"
    )
    print(_cpu_line(usage, done))


def _call(client: httpx.Client, key: str, infno: str, payload: dict[str, Any]) -> tuple[Any, float]:
    msgid = f"{HOSPITAL}{secrets.randbelow(10**18):018d}"
    body = json.dumps(_envelope(infno, msgid, payload), separators=(",", ":"))
    start = time.perf_counter()
    r = client.post(
        "/fsi/api",
        content=body,
        headers={"Authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    took = (time.perf_counter() - start) * 1000
    reply = r.json()
    if reply.get("infcode") != 0:
        raise SystemExit(f"{infno} refused: {reply.get('err_msg')}")
    return reply["output"], took


def long_stay(args: argparse.Namespace, prepared: Prepared, lines: int, runs: int = 3) -> None:
    """2301 uploading ``lines`` fee lines in one message and 2304 settling that stay."""
    now = datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    uploads, settles = [], []
    with httpx.Client(base_url=f"http://127.0.0.1:{args.ports[0]}", timeout=60) as client:
        for run in range(runs):
            psn_no, cert = prepared.certs[run % len(prepared.certs)]
            common = {"psn_no": psn_no, "insutype": "310", "mdtrt_cert_type": "02"}
            out, _ = _call(
                client,
                prepared.key,
                "2401",
                {
                    "mdtrtinfo": {
                        **common,
                        "mdtrt_cert_no": cert,
                        "begntime": now,
                        "med_type": "21",
                        "ipt_no": f"ZY{secrets.randbelow(10**9):09d}",
                        "atddr_no": "D1",
                        "chfpdr_name": "李医生",
                        "adm_dept_name": "心内科",
                    }
                },
            )
            mdtrt_id = out["result"]["mdtrt_id"]
            rows = [
                {
                    "feedetl_sn": str(i + 1),
                    "mdtrt_id": mdtrt_id,
                    "psn_no": psn_no,
                    "chrg_bchno": "B1",
                    "fee_ocur_time": now,
                    "med_list_codg": DRUG,
                    "medins_list_codg": f"H-{DRUG}",
                    "det_item_fee_sumamt": 12.34,
                    "cnt": 1,
                    "pric": 12.34,
                    "med_type": "21",
                }
                for i in range(lines)
            ]
            _, took = _call(client, prepared.key, "2301", {"feedetail": rows})
            uploads.append(took)
            _call(
                client,
                prepared.key,
                "2402",
                {
                    "dscginfo": {
                        "mdtrt_id": mdtrt_id,
                        "psn_no": psn_no,
                        "insutype": "310",
                        "endtime": now,
                        "dscg_way": "1",
                    }
                },
            )
            _, took = _call(
                client,
                prepared.key,
                "2304",
                {
                    "data": {
                        **common,
                        "mdtrt_id": mdtrt_id,
                        "mdtrt_cert_no": cert,
                        "medfee_sumamt": f"{12.34 * lines:.2f}",
                        "psn_setlway": "01",
                        "acct_used_flag": "1",
                        "mid_setl_flag": "0",
                    }
                },
            )
            settles.append(took)
    print(
        f"  {lines:,}-line stay: 2301 upload {min(uploads):.0f} ms (best of {runs}; "
        f"{', '.join(f'{x:.0f}' for x in uploads)}), 2304 settlement {min(settles):.0f} ms "
        f"({', '.join(f'{x:.0f}' for x in settles)})"
    )


def person_info_rate(
    args: argparse.Namespace, prepared: Prepared, tmp: Path, cpu: CpuWindow
) -> None:
    """1101 (person information) in a closed loop with wrk."""
    run = f"{datetime.now(SHANGHAI):%m%d%H%M%S}"
    count = int(args.seconds * 3000)
    lines = []
    for i in range(count):
        _, cert = prepared.certs[i % len(prepared.certs)]
        payload = {
            "data": {
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "psn_cert_type": "01",
                "certno": cert,
            }
        }
        lines.append(json.dumps(_envelope("1101", f"P{run}{i:09d}", payload)).encode())
    path = tmp / "person-info.txt"
    path.write_bytes(b"\n".join(lines) + b"\n")
    cpu.start()
    out, ticks = _run_child(_wrk_command(args, args.seconds / 2, path, prepared.key))
    usage = cpu.stop(ticks)
    r = json.loads(out.strip().splitlines()[-1])
    rate = r["requests"] / (r["duration_us"] / 1e6)
    print(
        f"  1101 person information: {rate:,.0f}/s   p50 {r['p50_us'] / 1000:.1f} ms   "
        f"p99 {r['p99_us'] / 1000:.1f} ms   [{r['socket_errors'] + r['non2xx']} HTTP errors]"
    )
    print(_cpu_line(usage, r["requests"]).replace("per settlement", "per request"))


def add_history(db: Engine, prepared: Prepared, total: int) -> None:
    """``total`` settlements: 300 this year for every person, the rest in earlier years,
    with their year-to-date rows kept equal to the replay (zero contributions)."""
    people = prepared.person_ids
    this_year = min(total, 300 * len(people))
    year = datetime.now(SHANGHAI).year
    started = time.perf_counter()
    sql = """
    WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :total)
    INSERT INTO settlements (setl_id, visit_id, person_id, institution_id, kind, reversed,
        msgid, infno, year, setl_date, setl_time, med_type, insutype, policy, policy_version,
        eligible, medfee_fen, fulamt_ownpay_fen, overlmt_selfpay_fen, preselfpay_fen,
        inscp_scp_fen, act_pay_dedc_fen, hifp_pay_fen, hifmi_pay_fen, fund_pay_sumamt_fen,
        psn_part_fen, acct_pay_fen, psn_cash_pay_fen, balc_fen, ytd_delta, explanation)
    SELECT 'H' || x, (SELECT min(id) FROM visits), :first + (x % :persons),
        (SELECT min(id) FROM institutions), 'settle', :no, 'H' || x, '2207',
        CASE WHEN x <= :this_year THEN :year ELSE :year - 1 - (x % 5) END,
        :day, :moment, '11', '310', 'national-employee', 'v', :yes,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '{}', '[]'
    FROM g"""
    first = min(people)
    assert people == list(range(first, first + len(people)))
    sqlite = db.dialect.name == "sqlite"
    now = datetime.now(UTC)
    with db.begin() as conn:
        conn.execute(
            text(sql),
            {
                "total": total,
                "first": first,
                "persons": len(people),
                "this_year": this_year,
                "year": year,
                "day": date(year, 1, 2).isoformat() if sqlite else date(year, 1, 2),
                "moment": now.replace(tzinfo=None).isoformat(" ") if sqlite else now,
                "no": 0 if sqlite else False,
                "yes": 1 if sqlite else True,
            },
        )
    if not sqlite:
        # what a database with this history has long had done, done now rather than during
        # the measured run: the new rows vacuumed (else autovacuum starts on them mid-run) and
        # analysed, and a checkpoint (the bulk insert's WAL written out; after a checkpoint
        # the first change of each page logs the whole page)
        with db.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            auto.execute(text("VACUUM (ANALYZE) settlements"))
            auto.execute(text("ANALYZE"))
            auto.execute(text("CHECKPOINT"))
    print(
        f"  history: {total:,} settlements added ({this_year // len(people)} this year for "
        f"each of the {len(people)} persons) in {time.perf_counter() - started:.0f} s"
    )


def check(db: Engine) -> None:
    factory = make_session_factory(db)
    with factory() as s:
        problems = ledger.check_ledger(s)
        rows = s.execute(text("SELECT person_id, year, totals FROM year_to_date")).all()
        mismatched = 0
        for person_id, year, totals in rows[:200]:
            deltas = s.execute(
                text(
                    "SELECT ytd_delta FROM settlements WHERE person_id = :p AND year = :y"
                    " ORDER BY id"
                ),
                {"p": person_id, "y": year},
            ).scalars()
            if ytd_sums.replay(deltas) != json.loads(totals):
                mismatched += 1
    print(
        f"  ledger check: {'ok' if not problems else problems[:3]}; year-to-date rows equal "
        f"to the replay: {'ok' if not mismatched else f'{mismatched} differ'} "
        f"({min(len(rows), 200)} checked)"
    )


def bench(label: str, url: str, args: argparse.Namespace, key_file: Path, tmp: Path) -> None:
    print(
        f"\n== {label}: {args.workers} uvicorn workers, wrk {args.conns} connections, "
        f"N={args.n}, {args.seconds:g} s per closed-loop run, warm-up {args.warmup:g} s"
    )
    rates = [float(r) for r in args.rate.split(",") if r]
    warm_n = int(args.warmup * 1500)
    total = warm_n * 2 + args.n * (2 if args.history else 1)
    total += sum(int(r * args.open_seconds) for r in rates)
    started = time.perf_counter()
    prepared = prepare(url, args.persons, total)
    print(
        f"  prepared {args.persons} persons and {total:,} visits with fees "
        f"in {time.perf_counter() - started:.0f} s"
    )
    db = make_engine(url)
    procs = run_servers(url, key_file, args)
    try:
        cpu = CpuWindow([p.pid for p in procs], db if db.dialect.name != "sqlite" else None)
        _wrk(args, prepared, tmp, args.warmup, warm_n)  # warm-up, not measured
        first = closed_loop("closed loop", args, prepared, tmp, cpu, db)
        for rate in rates:
            open_loop(rate, args, prepared, tmp, cpu, db)
        person_info_rate(args, prepared, tmp, cpu)
        long_stay(args, prepared, 1000)
        if args.history:
            add_history(db, prepared, args.history)
            _wrk(args, prepared, tmp, args.warmup, warm_n)
            after = closed_loop("closed loop with history", args, prepared, tmp, cpu, db)
            print(f"     with history / first of the year: {after / first:.0%} of the rate")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    check(db)
    db.dispose()


def main() -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "pg", "all"], default=env("DB", "all"))
    parser.add_argument("--workers", type=int, default=int(env("WORKERS", "2")))
    parser.add_argument("--conns", type=int, default=int(env("CONNS", "8")))
    parser.add_argument("--n", type=int, default=int(env("N", "20000")))
    parser.add_argument("--seconds", type=float, default=float(env("DURATION", "15")))
    parser.add_argument("--rate", default=env("RATE", "300,400"))
    parser.add_argument("--open-seconds", type=float, default=float(env("OPEN_SECONDS", "10")))
    parser.add_argument("--warmup", type=float, default=float(env("WARMUP", "5")))
    parser.add_argument("--history", type=int, default=int(env("HISTORY", "1000000")))
    parser.add_argument("--persons", type=int, default=int(env("PERSONS", "1000")))
    parser.add_argument(
        "--one-socket",
        action="store_true",
        default=env("ONE_SOCKET", "") not in ("", "0"),
        help="yibao serve --workers on one port (SO_REUSEPORT) instead of a process per port",
    )
    args = parser.parse_args()
    if args.conns % args.workers and not args.one_socket:
        raise SystemExit("CONNS must be a multiple of WORKERS (each process gets CONNS/WORKERS)")
    args.ports = []
    for _ in range(args.workers):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            args.ports.append(int(probe.getsockname()[1]))
    os.environ["WRK_PORTS"] = ",".join(map(str, args.ports[:1] if args.one_socket else args.ports))
    tmp = Path(tempfile.mkdtemp(prefix="yibao-bench-"))
    key_file = tmp / "secret.key"
    ensure_secret_key(key_file)
    os.environ["YIBAO_SECRET_KEY_FILE"] = str(key_file)
    get_settings.cache_clear()
    default_crypto.cache_clear()
    print(f"machine: {CORES} cores; load average before the run: {os.getloadavg()[0]:.2f}")
    pg = os.environ.get("YIBAO_BENCH_PG_URL") or os.environ.get("YIBAO_TEST_DATABASE_URL")
    if args.db in ("pg", "all"):
        if not pg:
            print("\nPostgreSQL: skipped (set YIBAO_BENCH_PG_URL or YIBAO_TEST_DATABASE_URL)")
        else:
            schema = f"bench_{secrets.token_hex(4)}"
            admin = create_engine(pg)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = make_url(pg).update_query_dict(
                {"options": f"-csearch_path={schema}", "application_name": APP_NAME}
            )
            try:
                bench("PostgreSQL", url.render_as_string(hide_password=False), args, key_file, tmp)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    if args.db in ("sqlite", "all"):
        bench("SQLite", f"sqlite:///{tmp / 'bench.db'}", args, key_file, tmp)


if __name__ == "__main__":
    main()
