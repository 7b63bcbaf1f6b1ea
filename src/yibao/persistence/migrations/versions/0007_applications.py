"""Applications (申请) with their status timeline, uploads and notices; cross-region filings and
chronic disease certifications in force; 政策资讯 news; the 挂失 mark on persons.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "notices",
    "cross_region_filings",
    "chronic_certifications",
    "application_files",
    "application_events",
    "news_reads",
    "applications",
    "news_articles",
)


def upgrade() -> None:
    op.create_table(
        "news_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'published')", name=op.f("ck_news_articles_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_articles")),
    )
    op.create_index(op.f("ix_news_articles_region"), "news_articles", ["region"], unique=False)
    op.create_index(
        "ix_news_articles_status_published",
        "news_articles",
        ["status", "published_at"],
        unique=False,
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('claim', 'cross_region_filing', 'chronic_disease', 'first_visit_hospital', 'card_loss')",
            name=op.f("ck_applications_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'reviewing', 'returned', 'approved', 'rejected', 'paid')",
            name=op.f("ck_applications_status"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_applications_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        "ix_applications_person_kind", "applications", ["person_id", "kind"], unique=False
    )
    op.create_table(
        "news_reads",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["news_articles.id"],
            name=op.f("fk_news_reads_article_id_news_articles"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_news_reads_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", "article_id", name=op.f("pk_news_reads")),
    )
    op.create_table(
        "application_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_events_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_events")),
    )
    op.create_index(
        op.f("ix_application_events_application_id"),
        "application_events",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "application_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("material", sa.String(length=30), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_files_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_files")),
    )
    op.create_index(
        op.f("ix_application_files_application_id"),
        "application_files",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "chronic_certifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("chronic_class", sa.String(length=12), nullable=False),
        sa.Column("disease_code", sa.String(length=30), nullable=False),
        sa.Column("disease_name", sa.String(length=100), nullable=False),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_chronic_certifications_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_chronic_certifications_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chronic_certifications")),
        sa.UniqueConstraint(
            "application_id", name=op.f("uq_chronic_certifications_application_id")
        ),
    )
    op.create_index(
        op.f("ix_chronic_certifications_person_id"),
        "chronic_certifications",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "cross_region_filings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("filing_type", sa.String(length=10), nullable=False),
        sa.Column("destination_region", sa.String(length=6), nullable=False),
        sa.Column("institution_code", sa.String(length=12), nullable=True),
        sa.Column("begin", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "filing_type IN ('long_term', 'temporary', 'referral')",
            name=op.f("ck_cross_region_filings_type"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_cross_region_filings_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_cross_region_filings_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cross_region_filings")),
        sa.UniqueConstraint("application_id", name=op.f("uq_cross_region_filings_application_id")),
    )
    op.create_index(
        op.f("ix_cross_region_filings_person_id"),
        "cross_region_filings",
        ["person_id"],
        unique=False,
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_notices_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_notices_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_person_id"), "notices", ["person_id"], unique=False)

    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("card_lost_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("card_lost_at")
    for table in TABLES:
        op.drop_table(table)
