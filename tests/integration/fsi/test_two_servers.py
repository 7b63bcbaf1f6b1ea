"""Two application servers on one database, as behind a load balancer (docs/scaling.md): the
server keeps nothing between messages that another server would need, so exactly once by
msgid holds across servers too.

Two uvicorn processes run on the test database. Every settlement (2207) is sent to both at
once, twice each, while the first attempts are still running; then every reversal (2208) the
same way. Each msgid is processed once: one message row, one settlement or reversal per
visit, every answer for a msgid the same bytes, each account debited and credited back
exactly once, and the books balance (the ``session_factory`` fixture checks the ledger after
the test; the year-to-date rows are compared with their replay here).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hospital_client import HOSPITAL, Hospital, World, add_catalog, now_text
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from servers import server_process
from yibao.config import Settings
from yibao.persistence.tables import Account, FsiMessage, SettlementRecord, YearToDateRow
from yibao.services import institutions, ledger, persons
from yibao.services import year_to_date as ytd_sums

OPENING_FEN = 500_000
PERSONS = 3
VISITS = 8
SENDS_PER_SERVER = 2


@pytest.fixture
def two_servers(migrated_url: str, secret_key_file: Path) -> Iterator[tuple[str, str]]:
    if migrated_url.startswith("sqlite"):
        pytest.skip("several servers share PostgreSQL; SQLite is the one-machine embedded store")
    settings = Settings(database_url=migrated_url, secret_key_file=secret_key_file)
    servers = [server_process(settings), server_process(settings)]
    with ThreadPoolExecutor(max_workers=2) as pool:  # started side by side: half the wait
        started = [pool.submit(server.__enter__) for server in servers]
    try:
        first, second = (future.result() for future in started)
        yield first, second
    finally:
        for server, future in zip(servers, started, strict=True):
            if future.exception() is None:
                server.__exit__(None, None, None)


def _setup(
    factory: sessionmaker[Session], new_certno: Callable[..., str]
) -> tuple[str, list[tuple[int, str]]]:
    """The hospital's key and the persons (id, ID number), each with an opening balance."""
    with factory() as s, s.begin():
        inst = institutions.create_institution(
            s,
            code=HOSPITAL,
            name="两台服务器测试医院",
            type="hospital",
            region="150102",
            level=3,
            designated_begin=date(2020, 1, 1),
        )
        key = institutions.create_api_key(s, inst)
        add_catalog(s)
        people = []
        for i in range(PERSONS):
            cert = new_certno(region="150102")
            p = persons.create_person(
                s,
                name=f"两台服务器{i}",
                certno=cert,
                policy_id="national-employee",
                group="in_service",
                region="150102",
                since=date(2020, 1, 1),
            )
            ledger.credit(s, p, OPENING_FEN, kind="monthly_credit", reason="期初余额")
            people.append((p.id, cert))
    return key, people


def _ready_visit(h: Hospital, cert: str) -> dict[str, Any]:
    """A registered visit with 300.00 of class A fees: the 2207 input that settles it."""
    psn_no = h.call(
        "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "psn_cert_type": "01"}}
    )["baseinfo"]["psn_no"]
    mdtrt_id = h.call(
        "2201",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": "310",
                "begntime": now_text(),
                "mdtrt_cert_type": "02",
                "mdtrt_cert_no": cert,
                "ipt_otp_no": h.msgid()[-12:],
                "atddr_no": "D1",
                "dr_name": "王医生",
                "dept_code": "A01",
                "dept_name": "内科",
                "caty": "A03",
            }
        },
    )["data"]["mdtrt_id"]
    line = {
        "feedetl_sn": "1",
        "mdtrt_id": mdtrt_id,
        "psn_no": psn_no,
        "chrg_bchno": "B1",
        "fee_ocur_time": now_text(),
        "med_list_codg": "XJ01DCK050A001010100001",
        "det_item_fee_sumamt": Decimal("300.00"),
        "cnt": Decimal("6"),
        "pric": Decimal("50"),
    }
    h.call("2204", {"feedetail": [line]})
    return {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "mdtrt_cert_type": "02",
        "mdtrt_cert_no": cert,
        "med_type": "11",
        "medfee_sumamt": Decimal("300.00"),
        "psn_setlway": "01",
        "acct_used_flag": "1",
        "insutype": "310",
    }


def _storm(hospitals: list[Hospital], messages: list[dict[str, Any]]) -> dict[str, set[bytes]]:
    """Send every message to every server SENDS_PER_SERVER times, all at once in random
    order; the distinct answers (bytes) per msgid."""
    sends = [(h, m) for m in messages for h in hospitals for _ in range(SENDS_PER_SERVER)]
    random.Random(7).shuffle(sends)

    def send(job: tuple[Hospital, dict[str, Any]]) -> tuple[str, bytes]:
        hospital, message = job
        response = hospital.post_raw(message)
        assert response.status_code == 200, response.text
        return message["msgid"], response.content

    answers: dict[str, set[bytes]] = {}
    with ThreadPoolExecutor(max_workers=16) as pool:
        for msgid, content in pool.map(send, sends):
            answers.setdefault(msgid, set()).add(content)
    return answers


def _count(factory: sessionmaker[Session], model: Any, *where: Any) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_two_servers_under_concurrent_retries_settle_each_msgid_once(
    two_servers: tuple[str, str],
    session_factory: sessionmaker[Session],
    new_certno: Callable[..., str],
) -> None:
    key, people = _setup(session_factory, new_certno)
    hospitals = [Hospital(World(url, key, session_factory)) for url in two_servers]
    try:
        visits = [_ready_visit(hospitals[i % 2], people[i % PERSONS][1]) for i in range(VISITS)]
        messages_before = _count(session_factory, FsiMessage)
        settles = [hospitals[0].message("2207", {"data": v}) for v in visits]
        answers = _storm(hospitals, settles)

        assert len(answers) == VISITS
        assert all(len(texts) == 1 for texts in answers.values()), "a msgid answered twice"
        outputs = {m: json.loads(next(iter(t))) for m, t in answers.items()}
        assert all(o["infcode"] == 0 for o in outputs.values()), outputs
        assert _count(session_factory, FsiMessage) == messages_before + VISITS
        assert _count(session_factory, SettlementRecord) == VISITS
        paid = {pid: 0 for pid, _ in people}
        for i, message in enumerate(settles):
            info = outputs[message["msgid"]]["output"]["setlinfo"]
            assert info["mdtrt_id"] == visits[i]["mdtrt_id"]
            paid[people[i % PERSONS][0]] += round(Decimal(str(info["acct_pay"])) * 100)
        assert all(fen > 0 for fen in paid.values())
        with session_factory() as s:
            for pid, fen in paid.items():
                balance = s.scalar(select(Account.balance_fen).where(Account.person_id == pid))
                assert balance == OPENING_FEN - fen

        reversals = [
            hospitals[1].message(
                "2208",
                {
                    "data": {
                        "setl_id": outputs[m["msgid"]]["output"]["setlinfo"]["setl_id"],
                        "mdtrt_id": v["mdtrt_id"],
                        "psn_no": v["psn_no"],
                    }
                },
            )
            for m, v in zip(settles, visits, strict=True)
        ]
        answers = _storm(hospitals, reversals)
        assert all(len(texts) == 1 for texts in answers.values()), "a msgid answered twice"
        assert all(json.loads(next(iter(t)))["infcode"] == 0 for t in answers.values())
        assert _count(session_factory, FsiMessage) == messages_before + 2 * VISITS
        assert _count(session_factory, SettlementRecord) == 2 * VISITS
        assert _count(session_factory, SettlementRecord, SettlementRecord.reversed) == VISITS
        with session_factory() as s:
            for pid, _ in people:
                balance = s.scalar(select(Account.balance_fen).where(Account.person_id == pid))
                assert balance == OPENING_FEN
            for row in s.scalars(select(YearToDateRow)):
                deltas = s.scalars(
                    select(SettlementRecord.ytd_delta)
                    .where(
                        SettlementRecord.person_id == row.person_id,
                        SettlementRecord.year == row.year,
                    )
                    .order_by(SettlementRecord.id)
                )
                assert ytd_sums.replay(deltas) == json.loads(row.totals)
    finally:
        for h in hospitals:
            h.client.close()
