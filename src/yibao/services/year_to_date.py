"""A person's year-to-date state (spec section 3), kept as the sum of the contributions of
their stored settlements: each settlement stores what it added (``ytd_delta``), a reversal
stores the negation, so reversing any settlement — not only the last — takes exactly its
part out. The running sum per person and year is stored too (table ``year_to_date``), so a
settlement reads one row instead of replaying the year; :func:`total` is that replay."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from yibao.domain.money import ZERO, from_fen, to_fen
from yibao.rules.case import YTD_AMOUNTS, ChronicYtd, YearToDate

_COUNTS = ("admissions", "oncology", *YTD_AMOUNTS)


def delta(before: YearToDate, after: YearToDate) -> dict[str, Any]:
    """What one settlement added to the year (amounts in fen)."""
    out: dict[str, Any] = {
        "admissions": after.admissions - before.admissions,
        "oncology": int(after.oncology_deductible_paid) - int(before.oncology_deductible_paid),
    }
    for name in YTD_AMOUNTS:
        out[name] = to_fen(getattr(after, name)) - to_fen(getattr(before, name))
    chronic: dict[str, Any] = {}
    for code, entry in after.chronic.items():
        old = before.chronic.get(code, ChronicYtd())
        months = {m: to_fen(v) - to_fen(old.months.get(m, ZERO)) for m, v in entry.months.items()}
        chronic[code] = {
            "deductible_paid": to_fen(entry.deductible_paid) - to_fen(old.deductible_paid),
            "fund_paid": to_fen(entry.fund_paid) - to_fen(old.fund_paid),
            "months": {m: v for m, v in months.items() if v},
        }
    out["chronic"] = chronic
    return out


def negate(d: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: -v for k, v in d.items() if k != "chronic"}
    out["chronic"] = {
        code: {
            "deductible_paid": -e["deductible_paid"],
            "fund_paid": -e["fund_paid"],
            "months": {m: -v for m, v in e.get("months", {}).items()},
        }
        for code, e in d.get("chronic", {}).items()
    }
    return out


def empty_totals() -> dict[str, Any]:
    """The totals of a year with no settlement yet."""
    out: dict[str, Any] = dict.fromkeys(_COUNTS, 0)
    out["chronic"] = {}
    return out


def add(totals: Mapping[str, Any], d: Mapping[str, Any]) -> dict[str, Any]:
    """``totals`` plus one contribution ``d`` (both in the ``delta`` form, fen)."""
    out: dict[str, Any] = {k: int(totals.get(k, 0)) + int(d.get(k, 0)) for k in _COUNTS}
    chronic = {
        code: {
            "deductible_paid": e["deductible_paid"],
            "fund_paid": e["fund_paid"],
            "months": dict(e.get("months", {})),
        }
        for code, e in totals.get("chronic", {}).items()
    }
    for code, e in d.get("chronic", {}).items():
        c = chronic.setdefault(code, {"deductible_paid": 0, "fund_paid": 0, "months": {}})
        c["deductible_paid"] += e["deductible_paid"]
        c["fund_paid"] += e["fund_paid"]
        for m, v in e.get("months", {}).items():
            c["months"][m] = c["months"].get(m, 0) + v
    out["chronic"] = chronic
    return out


def state(totals: Mapping[str, Any]) -> YearToDate:
    """The engine's year-to-date state from stored totals."""
    return YearToDate(
        admissions=max(int(totals.get("admissions", 0)), 0),
        oncology_deductible_paid=int(totals.get("oncology", 0)) > 0,
        chronic={
            code: ChronicYtd(
                from_fen(c["deductible_paid"]),
                from_fen(c["fund_paid"]),
                {m: from_fen(v) for m, v in c.get("months", {}).items() if v},
            )
            for code, c in totals.get("chronic", {}).items()
        },
        **{name: from_fen(int(totals.get(name, 0))) for name in YTD_AMOUNTS},
    )


def replay(deltas: Iterable[str]) -> dict[str, Any]:
    """The totals recomputed from stored contributions (JSON texts), in order."""
    totals = empty_totals()
    for text in deltas:
        totals = add(totals, json.loads(text))
    return totals


def total(deltas: Iterable[str]) -> YearToDate:
    """The year-to-date state: the replay of stored contributions (JSON texts)."""
    return state(replay(deltas))
