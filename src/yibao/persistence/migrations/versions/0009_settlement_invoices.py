"""The invoice number (发票号, 2207/2304's ``invono``) on settlements, for the smart-audit rule
"already settled directly": a nullable column and an index on (invoice, institution) for
the rule's look-up. Not unique: a repeated invoice is flagged for review by the smart audit,
never refused at the counter (a hospital's retry or its own numbering must not stop a
patient at the till).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a nullable column: a plain ALTER TABLE ... ADD COLUMN on both databases
    op.add_column("settlements", sa.Column("invono", sa.String(length=20), nullable=True))
    op.create_index("ix_settlements_invono", "settlements", ["invono", "institution_id"])


def downgrade() -> None:
    op.drop_index("ix_settlements_invono", table_name="settlements")
    with op.batch_alter_table("settlements") as batch:
        batch.drop_column("invono")
