"""本年度累计: one row per person and year with the sum of that year's settlement
contributions, kept in step by every settlement and reversal (migration 0005)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base


class YearToDateRow(Base):
    """The person's year-to-date totals for ``year``: the sum of the ``ytd_delta`` of their
    settlements and reversals of that year (JSON, amounts in fen). Equal to the replay of
    those deltas at all times; a reversal subtracts exactly what its settlement added."""

    __tablename__ = "year_to_date"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    totals: Mapped[str] = mapped_column(Text)
