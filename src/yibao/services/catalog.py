"""医保目录: import from CSV, look up by code on a date, search by name or pinyin.

CSV header (national field names)::

    hilist_code,hilist_name,list_type,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate

``list_type`` is the national 3-digit catalogue category (101 西药中成药, 102 中药饮片,
201 医疗服务项目, 301 医用耗材 ...); ``chrgitm_lv`` 01/02/03 = 甲/乙/丙. Optional extra
columns: ``category`` (drug/service/material/facility, overrides the one derived from
``list_type``), ``dosage_form``, ``specification``, ``sex_limit`` (male/female/男/女),
``min_age``, ``max_age``, ``indication``, ``demo`` (1/0). A row is keyed by
(``hilist_code``, ``begndate``): a new key is *added*, an existing one with different values
is *changed*, an identical one is *unchanged*; a bad row is *refused* with its reason and
skipped. The caller's transaction holds the whole import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from yibao.domain.shown import shown
from yibao.persistence.base import utcnow
from yibao.persistence.tables import CatalogItem

REQUIRED_COLUMNS = (
    "hilist_code",
    "hilist_name",
    "list_type",
    "chrgitm_lv",
    "selfpay_prop",
    "pric_uplmt_amt",
    "begndate",
    "enddate",
)
CATEGORY_BY_LIST_TYPE = {
    "101": "drug",
    "102": "drug",
    "103": "drug",
    "104": "drug",
    "105": "drug",
    "106": "drug",
    "201": "service",
    "301": "material",
    "501": "service",
}
LIST_TYPE_LABELS = {
    "101": "西药中成药",
    "102": "中药饮片",
    "103": "医疗机构制剂",
    "104": "民族药",
    "105": "其他",
    "106": "中药颗粒",
    "201": "医疗服务项目",
    "301": "医用耗材",
    "501": "长期服务项目",
}
CATEGORIES = ("drug", "service", "material", "facility")
CHRGITM_LVS = ("01", "02", "03")
CODE_RE = re.compile(r"^[A-Za-z0-9.\-]{1,50}$")
SEX_LIMITS = {
    "male": "male",
    "female": "female",
    "男": "male",
    "女": "female",
    "1": "male",
    "2": "female",
}
_COMPARED = (
    "name",
    "category",
    "list_category",
    "chrgitm_lv",
    "dosage_form",
    "specification",
    "selfpay_prop",
    "price_cap",
    "end_date",
    "sex_limit",
    "min_age",
    "max_age",
    "indication",
    "demo",
)


class RowError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}：{message}")


@dataclass(frozen=True, slots=True)
class Refused:
    line: int  # 1-based line in the file (the header is line 1)
    hilist_code: str
    reason: str


@dataclass
class ImportReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)
    removed: int = 0
    codes: set[str] = field(default_factory=set)  # every code in the file's accepted rows


def list_type_codes() -> str:
    """The accepted ``list_type`` codes with their names, for messages and help texts."""
    return "、".join(f"{code} {label}" for code, label in LIST_TYPE_LABELS.items())


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials), lower-case letters and digits only: 阿莫西林 → amoxilin, amxl."""
    from pypinyin import Style, lazy_pinyin  # its dictionaries take ~0.3 s to load: only on use

    full = "".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default"))

    def clean(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", s.lower())

    return clean(full)[:400], clean(initials)[:200]


def _date(raw: str, name: str) -> date:
    text = raw.strip()
    for candidate in (text, f"{text[:4]}-{text[4:6]}-{text[6:8]}" if len(text) == 8 else ""):
        try:
            return date.fromisoformat(candidate[:10])
        except ValueError:
            continue
    raise RowError(name, f"日期格式不正确：{shown(raw)}（应为 YYYY-MM-DD）")


def _decimal(raw: str, name: str, places: int) -> Decimal:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise RowError(name, f"应为数字：{shown(raw)}") from None
    if not value.is_finite() or value < 0:
        raise RowError(name, f"应为非负数：{shown(raw)}")
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum):
        raise RowError(name, f"最多 {places} 位小数：{shown(raw)}")
    return value.quantize(quantum)


def _int(raw: str, name: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) > 150:
        raise RowError(name, f"应为 0–150 的整数：{shown(raw)}")
    return int(text)


def parse_row(row: Mapping[str, str | None]) -> dict[str, Any]:
    """Validate one CSV row into CatalogItem values, or raise :class:`RowError`."""
    cell = {k: (v or "").strip() for k, v in row.items() if k is not None}
    code = cell.get("hilist_code", "")
    if not CODE_RE.match(code):
        raise RowError("hilist_code", "医保目录编码不能为空，只含字母和数字，且不超过 50 位")
    name = cell.get("hilist_name", "")
    if not name or len(name) > 200:
        raise RowError("hilist_name", "名称不能为空，且不超过 200 个字")
    list_category = cell.get("list_type", "")
    category = cell.get("category") or CATEGORY_BY_LIST_TYPE.get(list_category)
    if not re.fullmatch(r"\d{3}", list_category) or category is None:
        raise RowError("list_type", f"目录类别“{list_category}”未知（应为 {list_type_codes()}）")
    if category not in CATEGORIES:
        raise RowError("category", f"应为 {'、'.join(CATEGORIES)} 之一")
    lv = cell.get("chrgitm_lv", "")
    if lv not in CHRGITM_LVS:
        raise RowError(
            "chrgitm_lv", f"收费项目等级应为 01（甲）、02（乙）或 03（丙），实际 {shown(lv)}"
        )
    prop = None
    if cell.get("selfpay_prop"):
        prop = _decimal(cell["selfpay_prop"], "selfpay_prop", 4)
        if prop > 1:
            raise RowError("selfpay_prop", "先行自付比例应在 0 到 1 之间")
    if lv == "01" and prop not in (None, 0):
        raise RowError("selfpay_prop", "甲类项目的先行自付比例应为 0")
    if lv == "03" and prop not in (None, 1):
        raise RowError("selfpay_prop", "丙类项目全自费，先行自付比例应为 1 或留空")
    if lv == "01":
        prop = Decimal("0.0000")
    elif lv == "03":
        prop = Decimal("1.0000")
    cap = (
        _decimal(cell["pric_uplmt_amt"], "pric_uplmt_amt", 2)
        if cell.get("pric_uplmt_amt")
        else None
    )
    if not cell.get("begndate"):
        raise RowError("begndate", "开始日期不能为空")
    begin = _date(cell["begndate"], "begndate")
    end = _date(cell["enddate"], "enddate") if cell.get("enddate") else None
    if end is not None and end < begin:
        raise RowError("enddate", "结束日期早于开始日期")
    sex_raw = cell.get("sex_limit", "")
    if sex_raw and sex_raw not in SEX_LIMITS:
        raise RowError("sex_limit", "性别限制应为 male/female（男/女）或留空")
    min_age, max_age = (
        _int(cell.get("min_age", ""), "min_age"),
        _int(cell.get("max_age", ""), "max_age"),
    )
    if min_age is not None and max_age is not None and min_age > max_age:
        raise RowError("max_age", "最大年龄小于最小年龄")
    full, initials = pinyin_keys(name)
    return {
        "hilist_code": code,
        "name": name,
        "category": category,
        "list_category": list_category,
        "chrgitm_lv": lv,
        "dosage_form": cell.get("dosage_form") or None,
        "specification": cell.get("specification") or None,
        "selfpay_prop": prop,
        "price_cap": cap,
        "begin_date": begin,
        "end_date": end,
        "sex_limit": SEX_LIMITS.get(sex_raw) if sex_raw else None,
        "min_age": min_age,
        "max_age": max_age,
        "indication": cell.get("indication") or None,
        "pinyin_full": full,
        "pinyin_initials": initials,
        "demo": cell.get("demo", "") in ("1", "true", "yes"),
    }


def read_csv_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else GB18030 (Excel on Chinese Windows)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def import_csv(session: Session, path: Path) -> ImportReport:
    """Import a catalog CSV into the caller's transaction. Raises ValueError for a bad header."""
    return import_rows(session, read_csv_text(path))


def import_rows(
    session: Session, text: str, progress: Callable[[int], None] | None = None
) -> ImportReport:
    """Import CSV text; ``progress(n)`` is called as rows are read (n rows so far)."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValueError(
            f"CSV 表头缺少列：{', '.join(missing)}（应为 {','.join(REQUIRED_COLUMNS)}）"
        )
    report = ImportReport()
    parsed: list[tuple[int, dict[str, Any]]] = []
    seen: set[tuple[str, date]] = set()
    for row in reader:
        line = reader.line_num
        code = (row.get("hilist_code") or "").strip()
        if None in row:
            report.refused.append(Refused(line, code, "列数多于表头"))
            continue
        try:
            values = parse_row(row)
        except RowError as exc:
            report.refused.append(Refused(line, code, str(exc)))
            continue
        key = (values["hilist_code"], values["begin_date"])
        if key in seen:
            report.refused.append(Refused(line, code, "文件中重复的编码和开始日期"))
            continue
        seen.add(key)
        parsed.append((line, values))
        if progress is not None and len(parsed) % 500 == 0:
            progress(len(parsed) + len(report.refused))
    existing = _existing(session, {v["hilist_code"] for _, v in parsed})
    now = utcnow()
    for _line, values in parsed:
        item = existing.get((values["hilist_code"], values["begin_date"]))
        if item is None:
            session.add(CatalogItem(**values, updated_at=now))
            report.added += 1
        elif any(getattr(item, k) != values[k] for k in _COMPARED):
            for k, v in values.items():
                setattr(item, k, v)
            item.updated_at = now
            report.changed += 1
        else:
            report.unchanged += 1
    session.flush()
    if progress is not None:
        progress(len(parsed) + len(report.refused))
    report.codes = {v["hilist_code"] for _, v in parsed}
    return report


def _existing(session: Session, codes: Iterable[str]) -> dict[tuple[str, date], CatalogItem]:
    found: dict[tuple[str, date], CatalogItem] = {}
    code_list = sorted(codes)
    for i in range(0, len(code_list), 500):
        chunk = code_list[i : i + 500]
        for item in session.scalars(select(CatalogItem).where(CatalogItem.hilist_code.in_(chunk))):
            found[(item.hilist_code, item.begin_date)] = item
    return found


def lookup(session: Session, code: str, on_date: date) -> CatalogItem | None:
    """The version of ``code`` in force on ``on_date``, or None."""
    return session.scalars(
        select(CatalogItem)
        .where(
            CatalogItem.hilist_code == code.strip(),
            CatalogItem.begin_date <= on_date,
            or_(CatalogItem.end_date.is_(None), CatalogItem.end_date >= on_date),
        )
        .order_by(CatalogItem.begin_date.desc())
        .limit(1)
    ).first()


def lookup_many(
    session: Session, codes: Iterable[str]
) -> Callable[[str, date], CatalogItem | None]:
    """:func:`lookup` for many codes with one query: every version of each code is read
    once, and the returned function picks the version in force on a date."""
    wanted = sorted({c.strip() for c in codes})
    versions: dict[str, list[CatalogItem]] = {}
    for start in range(0, len(wanted), 500):
        for item in session.scalars(
            select(CatalogItem)
            .where(CatalogItem.hilist_code.in_(wanted[start : start + 500]))
            .order_by(CatalogItem.begin_date.desc())
        ):
            versions.setdefault(item.hilist_code, []).append(item)

    def find(code: str, on_date: date) -> CatalogItem | None:
        for item in versions.get(code.strip(), ()):
            if item.begin_date <= on_date and (item.end_date is None or item.end_date >= on_date):
                return item
        return None

    return find


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    session: Session, text: str, limit: int = 20, on_date: date | None = None
) -> list[CatalogItem]:
    """Items whose name contains ``text``, or whose pinyin initials start with / full pinyin
    contains it (``amxl``, ``amoxilin``), or whose code starts with it; in force on
    ``on_date`` (default today), one row per code."""
    text = text.strip()
    if not text:
        return []
    on = on_date or date.today()
    q = _like_escape(text)
    conditions = [
        CatalogItem.name.like(f"%{q}%", escape="\\"),
        CatalogItem.hilist_code.like(f"{q}%", escape="\\"),
    ]
    letters = re.sub(r"[^a-z0-9]", "", text.lower())
    if letters and letters == text.lower().replace(" ", ""):
        conditions.append(CatalogItem.pinyin_initials.like(f"{letters}%"))
        conditions.append(CatalogItem.pinyin_full.like(f"%{letters}%"))
    rows = session.scalars(
        select(CatalogItem)
        .where(
            or_(*conditions),
            CatalogItem.begin_date <= on,
            or_(CatalogItem.end_date.is_(None), CatalogItem.end_date >= on),
        )
        .order_by(CatalogItem.name, CatalogItem.hilist_code, CatalogItem.begin_date.desc())
        .limit(max(1, min(limit, 200)) * 3)
    ).all()
    result: list[CatalogItem] = []
    seen: set[str] = set()
    for item in rows:
        if item.hilist_code not in seen:
            seen.add(item.hilist_code)
            result.append(item)
    return result[: max(1, min(limit, 200))]
