"""A covering index for the 统计看板 (back-office dashboards): the settlements of a date
range with every column the dashboards group or sum, so each query is one index range scan
(under 200 ms on 10^5 settlements: ``make bench-pages``). Kept here, beside the table
definitions, so that the hot path's table module stays as it is."""

from __future__ import annotations

from sqlalchemy import Index

from yibao.persistence.tables.hospital import Settlement

DASHBOARD_COLUMNS = (
    "setl_date",
    "person_id",
    "institution_id",
    "kind",
    "reversed",
    "med_type",
    "policy",
    "medfee_fen",
    "fund_pay_sumamt_fen",
    "psn_part_fen",
)

settlements_dashboard = Index(
    "ix_settlements_dashboard", *(Settlement.__table__.c[name] for name in DASHBOARD_COLUMNS)
)
