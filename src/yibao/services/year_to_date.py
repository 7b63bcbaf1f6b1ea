"""A person's year-to-date state (spec section 3), kept as the sum of the contributions of
their stored settlements: each settlement stores what it added, a reversal stores the
negation, so reversing any settlement — not only the last — takes exactly its part out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from yibao.domain.money import ZERO, from_fen, to_fen
from yibao.rules.case import YTD_AMOUNTS, ChronicYtd, YearToDate


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


def total(deltas: Iterable[str]) -> YearToDate:
    """The year-to-date state: the sum of stored contributions (JSON texts)."""
    sums: dict[str, int] = dict.fromkeys(("admissions", "oncology", *YTD_AMOUNTS), 0)
    chronic: dict[str, dict[str, Any]] = {}
    for text in deltas:
        d = json.loads(text)
        for k in sums:
            sums[k] += int(d.get(k, 0))
        for code, e in d.get("chronic", {}).items():
            c = chronic.setdefault(code, {"deductible_paid": 0, "fund_paid": 0, "months": {}})
            c["deductible_paid"] += e["deductible_paid"]
            c["fund_paid"] += e["fund_paid"]
            for m, v in e.get("months", {}).items():
                c["months"][m] = c["months"].get(m, 0) + v
    return YearToDate(
        admissions=max(sums["admissions"], 0),
        oncology_deductible_paid=sums["oncology"] > 0,
        chronic={
            code: ChronicYtd(
                from_fen(c["deductible_paid"]),
                from_fen(c["fund_paid"]),
                {m: from_fen(v) for m, v in c["months"].items() if v},
            )
            for code, c in chronic.items()
        },
        **{name: from_fen(sums[name]) for name in YTD_AMOUNTS},
    )
