"""Year-to-date rows (issue 7): one row per person and year with the sum of that year's
settlement contributions, so a settlement reads one row instead of replaying the year.
Existing settlements are summed into the new rows.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from yibao.services.year_to_date import add, empty_totals

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "year_to_date",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("totals", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_year_to_date_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", "year", name=op.f("pk_year_to_date")),
    )
    sum_settlements(op.get_bind())


def sum_settlements(conn: sa.Connection) -> None:
    """Fill the (empty) table with the sum of the stored settlements' contributions."""
    sums: dict[tuple[int, int], dict[str, object]] = {}
    rows = conn.execute(sa.text("SELECT person_id, year, ytd_delta FROM settlements ORDER BY id"))
    for person_id, year, delta in rows:
        key = (person_id, year)
        sums[key] = add(sums.get(key) or empty_totals(), json.loads(delta))
    if sums:
        conn.execute(
            sa.text("INSERT INTO year_to_date (person_id, year, totals) VALUES (:p, :y, :t)"),
            [{"p": p, "y": y, "t": json.dumps(t)} for (p, y), t in sums.items()],
        )


def downgrade() -> None:
    op.drop_table("year_to_date")
