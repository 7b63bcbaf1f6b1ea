"""One entry point for every transaction, processed exactly once per (institution, msgid).

The message row is claimed (a unique insert) *before* the work, in the same transaction:
a retry that arrives while the first attempt is still running waits on that unique key and
then replays the stored answer; a retry after it returns the stored answer byte for byte;
the same msgid with a different body is refused. A refused request stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from yibao.national import fees, jsonout, misc, settle, visits
from yibao.national.context import Context, Counter, CounterHandler, Handler, Unauthorized
from yibao.national.envelope import Envelope, InterfaceError, parse_envelope, response
from yibao.persistence.db import run_in_transaction, transaction
from yibao.persistence.tables.hospital import FsiMessage
from yibao.services import institutions
from yibao.services.errors import ServiceError

log = logging.getLogger("yibao.fsi")

# The counter's hot path: Core connection, SQL in yibao.services.settlement and
# yibao.services.person_info (no ORM).
COUNTER: dict[str, CounterHandler] = {
    "1101": misc.person_info,
    "2206": settle.presettle_outpatient,
    "2207": settle.settle_outpatient,
    "2208": settle.reverse_outpatient,
    "2303": settle.presettle_inpatient,
    "2304": settle.settle_inpatient,
    "2305": settle.reverse_inpatient,
}
HANDLERS: dict[str, Handler] = {
    "9001": misc.sign_in,
    "1312": misc.query_catalog,
    "2201": visits.register_outpatient,
    "2202": visits.cancel_registration,
    "2203": visits.upload_visit_info,
    "2204": fees.upload_outpatient,
    "2205": fees.cancel_outpatient,
    "2301": fees.upload_inpatient,
    "2302": fees.cancel_inpatient,
    "2401": visits.admit,
    "2402": visits.discharge,
    "2404": visits.cancel_admission,
    "2405": visits.cancel_discharge,
    "5203": settle.query_settlement,
}
SUPPORTED = tuple(sorted({*HANDLERS, *COUNTER}))


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def body_hash(env: Envelope) -> str:
    text = json.dumps([env.infno, _canonical(env.input)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _error(message: str, admdvs: str, received: datetime) -> str:
    return jsonout.dumps(response({}, admdvs=admdvs, received=received, error=message))


def _replay(
    factory: sessionmaker[Session],
    institution_id: int,
    env: Envelope,
    digest: str,
    received: datetime,
) -> str:
    with factory() as session:
        stored = session.scalars(
            select(FsiMessage).where(
                FsiMessage.institution_id == institution_id, FsiMessage.msgid == env.msgid
            )
        ).first()
    if stored is None:
        return _error("系统繁忙，请稍后重试", env.mdtrtarea_admvs, received)
    if stored.body_hash != digest:
        return _error(
            f"[msgid] 报文 ID {env.msgid} 已用于另一笔不同内容的交易", env.mdtrtarea_admvs, received
        )
    return stored.response


def process(factory: sessionmaker[Session], key: str, body: bytes, voucher_key: bytes) -> str:
    """The response text for one request authenticated by ``key``; raises
    :class:`Unauthorized` for a bad key. Authentication, the msgid claim and the work share
    one transaction (one connection, one lock on SQLite)."""
    received = datetime.now(UTC)
    error = "请求报文不是合法的 JSON"
    try:
        raw = jsonout.loads(body)
    except jsonout.TooDeep as exc:
        raw, error = None, f"请求报文{exc}"
    except ValueError:  # UnicodeDecodeError is one
        raw = None
    env: Envelope | None = None
    if raw is not None:
        try:
            env = parse_envelope(raw, jsonout.bad_text(raw, ""))
        except InterfaceError as exc:
            error = str(exc)
    handler = HANDLERS.get(env.infno) if env is not None else None
    counter = COUNTER.get(env.infno) if env is not None else None
    if env is not None and handler is None and counter is None:
        error = f"[infno] 不支持的交易编号 {env.infno}，支持：{', '.join(SUPPORTED)}"
    digest = body_hash(env) if env is not None else ""
    if env is not None and counter is not None:
        return _process_counter(factory, key, env, digest, received, counter, voucher_key)
    seen: list[int] = []  # the authenticated institution's id, for a replay

    def work(session: Session) -> str:
        institution = institutions.authenticate(session, key)
        if institution is None:
            raise Unauthorized
        seen.append(institution.id)
        if env is None or handler is None:
            raise InterfaceError(error)
        if env.fixmedins_code != institution.code:
            raise InterfaceError("与认证的医药机构不符", "fixmedins_code")
        claim = FsiMessage(
            institution_id=institution.id,
            msgid=env.msgid,
            infno=env.infno,
            body_hash=digest,
            response="",
        )
        session.add(claim)
        session.flush()  # waits here while another attempt with this msgid is in flight
        ctx = Context(session, institution, env, datetime.now(UTC), voucher_key)
        output = handler(ctx, env.input)
        claim.response = jsonout.dumps(
            response(output, admdvs=env.mdtrtarea_admvs, received=received)
        )
        return claim.response

    admdvs = env.mdtrtarea_admvs if env is not None else "000000"
    try:
        return transaction(factory, work, retry_disconnect=True)
    except IntegrityError:
        assert env is not None
        return _replay(factory, seen[-1], env, digest, received)
    except (InterfaceError, ServiceError) as exc:
        if isinstance(exc, ServiceError):  # the service layer's refusal, in this layer's words
            exc = InterfaceError(exc.message, exc.field)
        if env is not None:
            log.info("infno %s msgid %s refused: %s", env.infno, env.msgid, exc)
        return _error(str(exc), admdvs, received)


# -- the counter's hot path ---------------------------------------------------------------


def _process_counter(
    factory: sessionmaker[Session],
    key: str,
    env: Envelope,
    digest: str,
    received: datetime,
    handler: CounterHandler,
    voucher_key: bytes,
) -> str:
    """:func:`process` for the hot path, on a Core connection: the key check, the msgid
    claim and the handler's reads share one round trip (:meth:`Counter.read`), its writes
    and the stored answer another, then COMMIT."""
    engine = factory.kw["bind"]
    owner: list[int] = []  # the key's institution, for a replay

    def work(conn: Connection) -> str:
        found = institutions.key_of(conn, key)
        if found is None:
            raise Unauthorized
        owner.append(found[1])
        ctx = Counter(conn, *found, env, digest, datetime.now(UTC), received, voucher_key)
        handler(ctx, env.input)
        assert ctx.response is not None, "a counter handler must answer"
        return ctx.response

    try:
        return run_in_transaction(engine, work, retry_disconnect=True)
    except IntegrityError:
        return _replay(factory, owner[-1], env, digest, received)
    except (InterfaceError, ServiceError) as exc:
        log.info("infno %s msgid %s refused: %s", env.infno, env.msgid, exc)
        return _error(str(exc), env.mdtrtarea_admvs, received)
