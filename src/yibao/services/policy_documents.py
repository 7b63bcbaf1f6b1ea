"""Policy versions uploaded by the agency (管理员): validated, kept as drafts, published to
take effect on their date, and merged into the registry the services settle with.

An upload is the whole text of one existing policy's YAML file with new dated values added.
It is accepted only if it parses and compiles (the loader's checks), if every value that took
effect before the new date is unchanged (history that settlements already used stays as it
was), and if the new date is later than every existing version and not in the past.
See docs/adr/0004-uploaded-policy-versions.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from yibao.persistence.tables import PolicyDocument
from yibao.rules import PolicyError, PolicyRegistry
from yibao.rules.policy import Policy
from yibao.rules.policy_loader import parse_policy
from yibao.rules.registry import builtin_registry, install_registry
from yibao.services import audit
from yibao.services.errors import InvalidInput, NotFound

MAX_BYTES = 200_000


def _history(policy: Policy, before: date) -> set[tuple[str, date, str]]:
    return {(p.path, p.effective, repr(p.value)) for p in policy.parameters if p.effective < before}


def merged_registry(session: Session) -> PolicyRegistry:
    """The built-in policies, each replaced by its newest published upload if any."""
    registry = builtin_registry()
    docs = session.scalars(
        select(PolicyDocument)
        .where(PolicyDocument.status == "published")
        .order_by(PolicyDocument.id)
    )
    for doc in docs:
        registry = registry.with_policy(parse_policy(doc.text, f"upload-{doc.id}.yaml"))
    return registry


def published_mark(session: Session) -> tuple[object, ...]:
    """What changes whenever a version is published or withdrawn: one cheap read, for the
    processes that did not publish it to notice (see ``web/policy_watch.py``)."""
    row = session.execute(
        select(
            func.count(), func.max(PolicyDocument.id), func.max(PolicyDocument.published_at)
        ).where(PolicyDocument.status == "published")
    ).one()
    return tuple(row)


def refresh(session: Session) -> PolicyRegistry:
    """Install the merged registry in this process (at start-up and after a publication)."""
    registry = merged_registry(session)
    install_registry(registry)
    return registry


def refresh_if_ready(session: Session) -> None:
    """:func:`refresh`, unless the database is not migrated yet (then the built-ins stay)."""
    try:
        refresh(session)
    except (OperationalError, ProgrammingError):
        session.rollback()


def validate(text: str, current: PolicyRegistry, today: date) -> tuple[Policy, date]:
    """The parsed policy and the date its new version takes effect, or InvalidInput."""
    if len(text.encode()) > MAX_BYTES:
        raise InvalidInput(f"文件过大（上限 {MAX_BYTES // 1000} KB）", field="file")
    try:
        policy = parse_policy(text, "上传文件")
    except PolicyError as exc:
        raise InvalidInput(f"校验失败：{exc}", field="file") from None
    existing = current.get(policy.id)
    if existing is None:
        raise InvalidInput(
            f"未知的医保政策 {policy.id}：只能为已有政策上传新版本（{'、'.join(current.ids())}）",
            field="file",
        )
    effective = policy.versions[-1].version
    if effective <= existing.versions[-1].version:
        raise InvalidInput(
            f"新版本生效日期 {effective} 应晚于现行最新版本 {existing.versions[-1].version}",
            field="file",
        )
    if effective < today:
        raise InvalidInput(f"新版本生效日期 {effective} 已过，不能追溯生效", field="file")
    if _history(policy, effective) != _history(existing, effective):
        raise InvalidInput(
            f"{effective} 之前已生效的数值不能修改：只能在参数的 values 下新增日期",
            field="file",
        )
    return policy, effective


@dataclass(frozen=True, slots=True)
class Uploaded:
    document: PolicyDocument
    policy: Policy


def upload(session: Session, text: str, actor: audit.Actor, today: date) -> Uploaded:
    policy, effective = validate(text, merged_registry(session), today)
    doc = PolicyDocument(
        policy_id=policy.id,
        text=text,
        effective=effective,
        status="draft",
        uploaded_by=actor.staff_id,
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        actor,
        "policy.upload",
        "policy_document",
        doc.id,
        after={"policy": policy.id, "effective": effective, "status": "draft"},
        region=policy.region or None,
    )
    return Uploaded(doc, policy)


def publish(
    session: Session, document_id: int, actor: audit.Actor, now: datetime, today: date
) -> PolicyDocument:
    """Mark a draft published. The caller calls :func:`refresh` once the transaction has
    committed, so that this process settles with it at once; the other server processes
    notice it within ``YIBAO_POLICY_REFRESH_SECONDS`` (``web/policy_watch.py``)."""
    doc = session.get(PolicyDocument, document_id)
    if doc is None:
        raise NotFound("没有这份政策文件", field="document_id")
    if doc.status != "draft":
        raise InvalidInput("只能发布草稿", field="document_id")
    # Checked again: another version may have been published since the upload.
    policy, _ = validate(doc.text, merged_registry(session), today)
    doc.status = "published"
    doc.published_by = actor.staff_id
    doc.published_at = now
    audit.record(
        session,
        actor,
        "policy.publish",
        "policy_document",
        doc.id,
        before={"status": "draft"},
        after={"status": "published", "policy": doc.policy_id, "effective": doc.effective},
        region=policy.region or None,
    )
    session.flush()
    return doc


def documents(session: Session, policy_id: str | None = None) -> list[PolicyDocument]:
    stmt = select(PolicyDocument).order_by(PolicyDocument.id.desc())
    if policy_id:
        stmt = stmt.where(PolicyDocument.policy_id == policy_id)
    return list(session.scalars(stmt))
