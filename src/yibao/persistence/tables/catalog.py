"""医保目录: drugs, service items, materials and facility items, one row per version."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from yibao.persistence.base import Base, UtcDateTime, utcnow

LIST_TYPE_BY_CHRGITM_LV = {"01": "A", "02": "B", "03": "C"}


class CatalogItem(Base):
    __tablename__ = "catalog_items"
    __table_args__ = (
        UniqueConstraint("hilist_code", "begin_date"),
        CheckConstraint("category IN ('drug', 'service', 'material', 'facility')", name="category"),
        CheckConstraint("chrgitm_lv IN ('01', '02', '03')", name="chrgitm_lv"),
        CheckConstraint(
            "selfpay_prop IS NULL OR (selfpay_prop >= 0 AND selfpay_prop <= 1)",
            name="selfpay_prop",
        ),
        CheckConstraint("sex_limit IS NULL OR sex_limit IN ('male', 'female')", name="sex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hilist_code: Mapped[str] = mapped_column(String(50), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(10))
    # The national 3-digit catalogue category (wire ``list_type``: 101, 102, 201, 301...).
    list_category: Mapped[str] = mapped_column(String(3))
    # 收费项目等级 01/02/03 = 甲/乙/丙 (list type A/B/C, see ``list_type``).
    chrgitm_lv: Mapped[str] = mapped_column(String(2))
    dosage_form: Mapped[str | None] = mapped_column(String(50))
    specification: Mapped[str | None] = mapped_column(String(100))
    selfpay_prop: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    price_cap: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    begin_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    sex_limit: Mapped[str | None] = mapped_column(String(6))
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    indication: Mapped[str | None] = mapped_column(Text)
    pinyin_full: Mapped[str] = mapped_column(String(400), index=True)
    pinyin_initials: Mapped[str] = mapped_column(String(200), index=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    @property
    def list_type(self) -> str:
        """甲/乙/丙类 as A/B/C."""
        return LIST_TYPE_BY_CHRGITM_LV[self.chrgitm_lv]
