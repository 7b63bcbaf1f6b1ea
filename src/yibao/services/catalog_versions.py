"""Catalog versions: read Excel (python-calamine) as well as CSV, end the codes that a new
full catalog no longer lists, and record each import (and the audit log).

A catalog row is one version of a code, in force from ``begin_date`` to ``end_date``; fee
lines are matched on the day the fee arose (``catalog.lookup``), so a settlement uses the
version in force on its date. Importing a *full* catalog with an effective date ends, the day
before, every code in force then that the file no longer lists (reported as removed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.persistence.base import utcnow
from yibao.persistence.tables import CatalogImport, CatalogItem
from yibao.services import audit, catalog

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as binary floats: 0.1 comes back as 0.1, 12 as 12.0.
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def excel_to_csv_text(path: Path) -> str:
    """The first sheet of an Excel/ODS workbook as CSV text (header on the first row)."""
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for row in sheet.to_python(skip_empty_area=True):
        cells = [_cell(v) for v in row]
        if any(cells):
            writer.writerow(cells)
    return buf.getvalue()


def read_table(path: Path) -> str:
    """CSV text from a CSV (UTF-8 or GB18030) or Excel file."""
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return excel_to_csv_text(path)
    return catalog.read_csv_text(path)


def end_missing(session: Session, codes: set[str], effective: date) -> int:
    """End (the day before ``effective``) each code in force on that day not in ``codes``."""
    ended = 0
    day_before = effective - timedelta(days=1)
    rows = session.scalars(
        select(CatalogItem).where(
            CatalogItem.begin_date < effective,
            or_(CatalogItem.end_date.is_(None), CatalogItem.end_date >= effective),
        )
    )
    now = utcnow()
    for item in rows:
        if item.hilist_code not in codes:
            item.end_date = day_before
            item.updated_at = now
            ended += 1
    session.flush()
    return ended


def import_file(
    session: Session,
    path: Path,
    *,
    effective: date | None = None,
    actor: audit.Actor = audit.COMMAND_LINE,
    progress: Callable[[int], None] | None = None,
    text: str | None = None,
) -> catalog.ImportReport:
    """Import a catalog file into the caller's transaction. With ``effective`` the file is the
    whole catalog from that date: codes it no longer lists end the day before."""
    report = catalog.import_rows(session, text if text is not None else read_table(path), progress)
    if effective is not None:
        report.removed = end_missing(session, report.codes, effective)
    row = CatalogImport(
        file_name=path.name[:200],
        effective=effective or date.today(),
        added=report.added,
        changed=report.changed,
        removed=report.removed,
        unchanged=report.unchanged,
        refused=len(report.refused),
        staff_id=actor.staff_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "catalog.import",
        "catalog_import",
        row.id,
        after={
            "file": row.file_name,
            "effective": effective,
            "added": report.added,
            "changed": report.changed,
            "removed": report.removed,
            "refused": len(report.refused),
        },
    )
    return report


def imports(session: Session, limit: int = 20) -> list[CatalogImport]:
    return list(
        session.scalars(select(CatalogImport).order_by(CatalogImport.id.desc()).limit(limit))
    )


def versions(session: Session, code: str) -> list[CatalogItem]:
    """Every version of one code, newest first."""
    return list(
        session.scalars(
            select(CatalogItem)
            .where(CatalogItem.hilist_code == code.strip())
            .order_by(CatalogItem.begin_date.desc())
        )
    )
