"""支付 (payer): approved claims → a payment batch → a bank payment file → 已支付.

A claim enters at most one batch: ``payment_items.application_id`` is unique, so two batches
built at the same moment cannot both take it (the later one fails and writes nothing). The
amount paid is the approved amount, to the person's bank account (not the personal account).
Each payment is a money movement in the audit log; the person's timeline and 站内消息 follow
from the status change to 已支付.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.domain.money import fmt, from_fen
from yibao.persistence.tables import Application, PaymentBatch, PaymentItem, Person
from yibao.services import applications, audit, bank_accounts, staff
from yibao.services.claim_review import to_fen_str
from yibao.services.errors import Conflict, InvalidInput, NotFound


def eligible(session: Session, regions: tuple[str, ...]) -> list[tuple[Application, Person, int]]:
    """Approved claims not yet in a batch, with the approved amount in fen."""
    taken = select(PaymentItem.application_id)
    rows = session.execute(
        select(Application, Person)
        .join(Person, Person.id == Application.person_id)
        .where(
            Application.kind == "claim",
            Application.status == "approved",
            Application.id.not_in(taken),
        )
        .order_by(Application.id)
    ).all()
    out = []
    for app, person in rows:
        if staff.region_visible(regions, person.region):
            details: dict[str, Any] = json.loads(app.details)
            out.append((app, person, to_fen_str(details.get("approved_amount", "0"))))
    return out


def build_batch(
    session: Session, actor: audit.Actor, regions: tuple[str, ...], now: datetime
) -> PaymentBatch:
    claims = eligible(session, regions)
    if not claims:
        raise InvalidInput("没有待支付的已通过申请", field="batch")
    assert actor.staff_id is not None
    batch = PaymentBatch(
        status="built",
        total_fen=sum(fen for _, _, fen in claims),
        created_by=actor.staff_id,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    try:
        with session.begin_nested():
            for app, person, fen in claims:
                session.add(
                    PaymentItem(
                        batch_id=batch.id,
                        application_id=app.id,
                        person_id=person.id,
                        amount_fen=fen,
                    )
                )
            session.flush()
    except IntegrityError:
        raise Conflict("部分申请已被另一个批次收录，请刷新后重试", field="batch") from None
    audit.record(
        session,
        actor,
        "payment.batch",
        "payment_batch",
        batch.id,
        after={"claims": [a.id for a, _, _ in claims], "total": fmt(from_fen(batch.total_fen))},
    )
    return batch


def items(session: Session, batch: PaymentBatch) -> list[tuple[PaymentItem, Application, Person]]:
    rows = session.execute(
        select(PaymentItem, Application, Person)
        .join(Application, Application.id == PaymentItem.application_id)
        .join(Person, Person.id == PaymentItem.person_id)
        .where(PaymentItem.batch_id == batch.id)
        .order_by(PaymentItem.id)
    ).all()
    return [(i, a, p) for i, a, p in rows]


def get(session: Session, batch_id: int, regions: tuple[str, ...]) -> PaymentBatch:
    """The batch, if every claim in it is in the staff's regions; else NotFound."""
    batch = session.get(PaymentBatch, batch_id)
    if batch is None or not all(
        staff.region_visible(regions, p.region) for _, _, p in items(session, batch)
    ):
        raise NotFound("没有这个支付批次", field="batch")
    return batch


def batches(session: Session, regions: tuple[str, ...]) -> list[PaymentBatch]:
    out = []
    for batch in session.scalars(select(PaymentBatch).order_by(PaymentBatch.id.desc()).limit(50)):
        if all(staff.region_visible(regions, p.region) for _, _, p in items(session, batch)):
            out.append(batch)
    return out


def bank_file(session: Session, batch: PaymentBatch) -> str:
    """The bank's payment file (CSV): one transfer per claim, the full account number (the only
    place it is decrypted)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["序号", "收款人", "银行卡号", "金额（元）", "摘要"])
    for n, (item, app, person) in enumerate(items(session, batch), start=1):
        account = bank_accounts.number_of(json.loads(app.details))
        writer.writerow(
            [n, person.name, account, fmt(from_fen(item.amount_fen)), f"医保手工报销 申请{app.id}"]
        )
    return buf.getvalue()


def mark_paid(session: Session, batch: PaymentBatch, actor: audit.Actor, now: datetime) -> None:
    """The bank confirmed the transfers: every claim → 已支付 (with its notice). The batch is
    claimed with a conditional UPDATE first, so two payers marking it at once record it once."""
    claimed = session.execute(
        update(PaymentBatch)
        .where(PaymentBatch.id == batch.id, PaymentBatch.status == "built")
        .values(status="paid", paid_by=actor.staff_id, paid_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput("这个批次已支付", field="batch")
    session.refresh(batch)
    for item, app, person in items(session, batch):
        applications.decide(session, app.id, "paid", now=now)
        audit.record(
            session,
            actor,
            "payment.pay",
            "application",
            app.id,
            before={"status": "approved"},
            after={
                "status": "paid",
                "amount": fmt(from_fen(item.amount_fen)),
                "to": bank_accounts.masked_of(json.loads(app.details)),
                "batch": batch.id,
            },
            region=person.region,
        )
    audit.record(
        session,
        actor,
        "payment.batch_paid",
        "payment_batch",
        batch.id,
        before={"status": "built"},
        after={"status": "paid", "total": fmt(from_fen(batch.total_fen))},
    )
