"""药品目录查询 for people: by Chinese name, full pinyin or initials (``amxl`` → 阿莫西林),
tolerant of typos.

Exact matches come first (the indexed search of :mod:`catalog`); when they are fewer than
asked, the items in force are scored with rapidfuzz — the Chinese name against the text, the
pinyin against the letters typed or the sound of the characters typed (a homophone from the
input method) — and those above :data:`MIN_SCORE` follow, best first. The
in-force list is read once and kept until the catalogue changes (row count and last update).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date, datetime

from rapidfuzz import fuzz, process
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from yibao.persistence.tables import CatalogItem
from yibao.services import catalog

MIN_SCORE = 70.0
MAX_TEXT = 50
LIST_TYPE_LABELS = {"A": "甲类", "B": "乙类", "C": "丙类"}
CATEGORY_LABELS = {
    "drug": "药品",
    "service": "诊疗项目",
    "material": "医用耗材",
    "facility": "服务设施",
}
SEX_LABELS = {"male": "限男性", "female": "限女性"}


@dataclass(frozen=True, slots=True)
class Hit:
    item: CatalogItem
    exact: bool

    @property
    def list_type_label(self) -> str:
        return LIST_TYPE_LABELS[self.item.list_type]

    @property
    def selfpay_percent(self) -> str:
        """The self-pay ratio as people read it: 甲 0%, 乙 its ratio, 丙 100%."""
        prop = self.item.selfpay_prop
        if prop is None:
            return "按政策缺省比例"
        return f"{(prop * 100).normalize():f}%"

    @property
    def restrictions(self) -> list[str]:
        item = self.item
        out = []
        if item.sex_limit:
            out.append(SEX_LABELS[item.sex_limit])
        if item.min_age is not None and item.max_age is not None:
            out.append(f"限 {item.min_age}–{item.max_age} 岁")
        elif item.min_age is not None:
            out.append(f"限 {item.min_age} 岁及以上")
        elif item.max_age is not None:
            out.append(f"限 {item.max_age} 岁及以下")
        if item.indication:
            out.append(f"限定支付范围：{item.indication}")
        return out


@dataclass(frozen=True, slots=True)
class _Entry:
    id: int
    name: str
    pinyin_full: str
    pinyin_initials: str


_cache_lock = threading.Lock()
_cache: dict[tuple[str, date, int, datetime | None], list[_Entry]] = {}


def _in_force(on: date) -> tuple[ColumnElement[bool], ...]:
    return (
        CatalogItem.begin_date <= on,
        or_(CatalogItem.end_date.is_(None), CatalogItem.end_date >= on),
    )


def _entries(session: Session, on: date) -> list[_Entry]:
    count, last = session.execute(
        select(func.count(), func.max(CatalogItem.updated_at)).where(*_in_force(on))
    ).one()
    key = (str(session.get_bind().engine.url), on, int(count), last)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    rows = session.execute(
        select(
            CatalogItem.id,
            CatalogItem.hilist_code,
            CatalogItem.name,
            CatalogItem.pinyin_full,
            CatalogItem.pinyin_initials,
        )
        .where(*_in_force(on))
        .order_by(CatalogItem.hilist_code, CatalogItem.begin_date.desc())
    )
    seen: set[str] = set()
    entries = []
    for id_, code, name, full, initials in rows:
        if code not in seen:
            seen.add(code)
            entries.append(_Entry(id_, name, full, initials))
    with _cache_lock:
        _cache.clear()
        _cache[key] = entries
    return entries


def search(session: Session, text: str, limit: int = 20, on: date | None = None) -> list[Hit]:
    """Items matching ``text``, exact matches first, then close ones (typos)."""
    text = text.strip()[:MAX_TEXT]
    if not text:
        return []
    on = on or date.today()
    limit = max(1, min(limit, 100))
    exact = catalog.search(session, text, limit=limit, on_date=on)
    hits = [Hit(item, True) for item in exact]
    if len(hits) >= limit:
        return hits
    found = {item.id for item in exact}
    letters = re.sub(r"[^a-z0-9]", "", text.lower())
    latin = bool(letters) and letters == re.sub(r"\s", "", text.lower())
    entries = [e for e in _entries(session, on) if e.id not in found]
    if latin:
        query, scorer = letters, _pinyin_score
    else:  # Chinese: the characters, or their sound (a homophone typed by the IME)
        full, _initials = catalog.pinyin_keys(text)
        query, scorer = f"{text}\t{full}", _name_score
    choices = {i: f"{e.name}\t{e.pinyin_initials} {e.pinyin_full}" for i, e in enumerate(entries)}
    scored = process.extract(query, choices, scorer=scorer, limit=limit, score_cutoff=MIN_SCORE)
    ids = [entries[key].id for _choice, _score, key in scored][: limit - len(hits)]
    if ids:
        items = {
            i.id: i for i in session.scalars(select(CatalogItem).where(CatalogItem.id.in_(ids)))
        }
        hits += [Hit(items[i], False) for i in ids if i in items]
    return hits


def _name_score(query: str, choice: str, **_: object) -> float:
    """Chinese text: the better of the name's likeness and the likeness of its sound."""
    text, _sep, sound = query.partition("\t")
    name, _sep, keys = choice.partition("\t")
    full = keys.partition(" ")[2]
    return max(fuzz.WRatio(text, name), fuzz.partial_ratio(sound, full) if len(sound) >= 6 else 0.0)


def _pinyin_score(query: str, choice: str, **_: object) -> float:
    """The better of: the letters against the initials, and against the full pinyin."""
    initials, _sep, full = choice.partition("\t")[2].partition(" ")
    return max(
        fuzz.ratio(query, initials),
        fuzz.ratio(query, full),
        fuzz.partial_ratio(query, full) if len(query) >= 4 else 0.0,
    )


def get(session: Session, item_id: int) -> CatalogItem | None:
    return session.get(CatalogItem, item_id)
