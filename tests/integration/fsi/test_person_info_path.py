"""1101 on the hot path: the key check, the msgid claim and the person's reads go to the
database together, the stored answer after them, and the answer is the same as over HTTP."""

from __future__ import annotations

from typing import Any

from hospital_client import Hospital, World
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import sessionmaker

from yibao.national import dispatch, jsonout
from yibao.persistence.tables.hospital import FsiMessage


def _statements(engine: Engine, body: bytes, key: str) -> tuple[dict[str, Any], list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split())[:60].upper())

    factory = sessionmaker(bind=engine)
    event.listen(engine, "before_cursor_execute", record)
    try:
        answer = jsonout.loads(dispatch.process(factory, key, body, b""))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return answer, [s for s in seen if not s.startswith("BEGIN")]


def test_1101_reads_everything_with_the_key_check_and_the_claim_then_stores_its_answer(
    hospital: Hospital, world: World, engine: Engine
) -> None:
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": world.people["nmg"]}}
    over_http = hospital.call("1101", payload)
    body = jsonout.dumps(hospital.message("1101", payload)).encode()
    answer, statements = _statements(engine, body, world.key)
    assert answer["infcode"] == 0
    assert answer["output"] == over_http
    assert statements[0].startswith("SELECT K.REVOKED_AT")  # the key, every message
    assert statements[1].startswith("INSERT INTO FSI_MESSAGES")  # the msgid claim
    assert [s.split()[0] for s in statements[2:5]] == ["SELECT"] * 3  # the person's reads
    assert statements[5].startswith("UPDATE FSI_MESSAGES SET RESPONSE")
    assert len(statements) == 6


def test_1101_of_an_unknown_person_stores_nothing(
    hospital: Hospital, world: World, engine: Engine
) -> None:
    payload = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "150102199001011237"}}
    body = jsonout.dumps(hospital.message("1101", payload)).encode()
    answer, statements = _statements(engine, body, world.key)
    assert "未找到该参保人" in answer["err_msg"]
    assert not any(s.startswith("UPDATE FSI_MESSAGES") for s in statements)
    msgid = jsonout.loads(body)["msgid"]
    with world.session_factory() as s:
        assert s.scalar(select(FsiMessage.id).where(FsiMessage.msgid == msgid)) is None
