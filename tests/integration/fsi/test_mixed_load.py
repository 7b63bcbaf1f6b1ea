"""Mixed traffic on SQLite against a real uvicorn server: citizens signing in, citizens reading
their account, a flood of sign-ins for unknown ID numbers, and a hospital settling visits, all
at once for 10 s. No answer may be a 5xx, and the 99th percentile stays under a second.

Nothing blocking may run on the event loop: argon2 and every database call happen in the
thread pool, so a request holding SQLite's write lock always gets to finish.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from hospital_client import Hospital, World, now_text

from servers import server_process
from yibao.config import Settings
from yibao.domain.idcard import with_check_digit
from yibao.services import auth, persons

DURATION_S = 10.0
_visit_no = itertools.count(1)
PASSWORD = "Yibao#2026load"
pytestmark = [pytest.mark.slow, pytest.mark.load]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the deadlock this guards against is SQLite's single writer."""
    return f"sqlite:///{tmp_path / 'yibao.db'}"


@pytest.fixture
def server_url(migrated_url: str, secret_key_file: Path) -> Iterator[str]:
    """uvicorn in its own process, as deployed (the clients here must not share its GIL)."""
    settings = Settings(database_url=migrated_url, secret_key_file=secret_key_file)
    with server_process(
        settings,
        YIBAO_LOGIN_LIMIT_PER_ADDRESS="100000/60",  # this test is about the loop, not the limits
        YIBAO_LOGIN_LIMIT_PER_ID="100000/60",
    ) as url:
        yield url


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.counts: dict[str, int] = {}
        self.by_kind: dict[str, list[float]] = {}

    def summary(self) -> dict[str, str]:
        return {
            k: f"n={len(v)} p50={sorted(v)[len(v) // 2]:.3f} max={max(v):.3f}"
            for k, v in self.by_kind.items()
        }

    def record(self, kind: str, started: float, response: httpx.Response) -> None:
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.by_kind.setdefault(kind, []).append(self.latencies[-1])
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if response.status_code >= 500:
                self.errors.append(f"{kind}: {response.status_code} {response.text[:200]}")

    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(len(ordered) * 0.99)]


def _settle_one(h: Hospital, cert: str, psn_no: str, timings: Timings) -> None:
    def call(infno: str, payload: dict[str, object]) -> dict[str, object]:
        started = time.perf_counter()
        response = h.post_raw(h.message(infno, payload))
        timings.record(infno, started, response)
        body = response.json()
        if body["infcode"] != 0:
            raise RuntimeError(f"{infno}: {body['err_msg']}")
        return dict(body["output"])

    reg = call(
        "2201",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "ipt_otp_no": f"MZ{next(_visit_no):06d}",
                "atddr_no": "D001",
                "dr_name": "王医生",
                "dept_code": "A01",
                "dept_name": "内科",
                "caty": "A03",
            }
        },
    )
    mdtrt_id = reg["data"]["mdtrt_id"]  # type: ignore[index]
    fee = {
        "feedetl_sn": "1",
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "rx_circ_flag": "0",
        "fee_ocur_time": now_text(),
        "med_list_codg": "001102000010000",
        "medins_list_codg": "H-1",
        "det_item_fee_sumamt": Decimal("50.00"),
        "cnt": Decimal("1"),
        "pric": Decimal("50"),
        "bilg_dept_codg": "A01",
        "bilg_dept_name": "内科",
        "bilg_dr_codg": "D001",
        "bilg_dr_name": "王医生",
        "hosp_appr_flag": "0",
    }
    call("2204", {"feedetail": [fee]})
    call(
        "2207",
        {
            "data": {
                "psn_no": psn_no,
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "med_type": "11",
                "medfee_sumamt": Decimal("50.00"),
                "psn_setlway": "01",
                "mdtrt_id": mdtrt_id,
                "chrg_bchno": "B1",
                "acct_used_flag": "1",
                "insutype": "310",
            }
        },
    )


def test_logins_account_reads_and_settlements_together_on_sqlite_stay_fast_and_never_fail(
    world: World, hospital: Hospital
) -> None:
    cert = world.people["nmg"]
    with world.session_factory() as s, s.begin():
        person = persons.find_by_certno(s, cert)
        assert person is not None
        auth.set_password(s, person, PASSWORD)
        psn_no = person.psn_no
    timings = Timings()
    deadline = time.monotonic() + DURATION_S
    token = httpx.post(
        f"{world.url}/api/v1/auth/login", json={"certno": cert, "password": PASSWORD}
    ).json()["access_token"]

    def loop(work: Callable[[httpx.Client], None]) -> Callable[[], None]:
        def run() -> None:
            with httpx.Client(base_url=world.url, timeout=30) as client:
                while time.monotonic() < deadline:
                    work(client)

        return run

    def login(client: httpx.Client) -> None:
        started = time.perf_counter()
        r = client.post("/api/v1/auth/login", json={"certno": cert, "password": PASSWORD})
        timings.record("login", started, r)

    def unknown_login(client: httpx.Client) -> None:
        nobody = with_check_digit(f"150102199001{random.randrange(10**5):05d}")
        started = time.perf_counter()
        r = client.post("/api/v1/auth/login", json={"certno": nobody, "password": "x" * 10})
        timings.record("unknown-login", started, r)

    def read_account(client: httpx.Client) -> None:
        started = time.perf_counter()
        r = client.get("/api/v1/me/account", headers={"Authorization": f"Bearer {token}"})
        timings.record("account", started, r)

    def settle(_client: httpx.Client) -> None:
        try:
            _settle_one(hospital, cert, psn_no, timings)
        except (RuntimeError, httpx.HTTPError) as exc:
            with timings.lock:
                timings.errors.append(str(exc))

    workers = [login, login, unknown_login, read_account, read_account, read_account, read_account]
    threads = [threading.Thread(target=loop(w)) for w in workers]
    settler = threading.Thread(target=loop(settle))
    for t in [*threads, settler]:
        t.start()
    for t in [*threads, settler]:
        t.join(timeout=DURATION_S + 60)
    assert timings.errors == []
    assert timings.counts.get("2207", 0) >= 5, timings.counts
    assert timings.counts.get("login", 0) >= 5, timings.counts
    print(f"p99 {timings.p99():.3f}s", timings.summary())
    assert timings.p99() < 1.0, (timings.p99(), timings.summary())
