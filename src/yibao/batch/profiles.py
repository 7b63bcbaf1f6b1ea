"""Each claim row's policy version and profile (:mod:`yibao.batch.params`), its ineligibility
reason, and the rows that need a closer look: a code the engine does not know, a value the
scalar engine would refuse. Those are *suspects*: the engine parses each one with the scalar
parser, which either names the error or lets the row through to the scalar engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from yibao.batch.columns import Columns
from yibao.batch.params import (
    CHRONIC,
    REASON_CODE,
    SELF_HARM,
    Profile,
    ProfileKey,
    Profiles,
    build_profile,
    fen,
)
from yibao.rules.policy import PolicyVersion
from yibao.rules.registry import PolicyRegistry

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
Flags = npt.NDArray[np.bool_]
EPOCH = date(1970, 1, 1).toordinal()
MAX_LUT_DAYS = 200_000


def calendar_year(day: I32) -> I32 | None:
    """Each day's calendar year; None when every day is in the same year."""
    if len(day) == 0:
        return None
    lo, hi = int(day.min()), int(day.max())
    first, final = np.array([lo, hi]).astype("datetime64[D]").astype("datetime64[Y]")
    if first == final:
        return None
    if hi - lo < MAX_LUT_DAYS:
        span = np.arange(lo, hi + 1, dtype="int64").astype("datetime64[D]")
        years = span.astype("datetime64[Y]").astype(np.int32)
        return years[day - lo]
    return day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int32)


def version_index(cols: Columns, registry: PolicyRegistry) -> tuple[I32, list[PolicyVersion]]:
    """The policy version in force for each row (-1: unknown policy or before its start)."""
    versions: list[PolicyVersion] = []
    out = np.full(cols.n, -1, np.int32)
    codes = cols.policy.codes
    single = len(cols.policy.words) == 1
    for code, word in enumerate(cols.policy.words):
        policy = registry.get(word)
        if policy is None:
            continue
        starts = np.array([v.version.toordinal() - EPOCH for v in policy.versions], np.int64)
        at = slice(None) if single else codes == code
        days = cols.day[at]
        if len(days):
            first, last = np.searchsorted(starts, [days.min(), days.max()], side="right") - 1
            if first == last:  # one version for all these rows
                out[at] = first + len(versions) if first >= 0 else -1
            else:
                found = np.searchsorted(starts, days, side="right") - 1
                out[at] = np.where(found >= 0, found + len(versions), -1)
        versions.extend(policy.versions)
    return out, versions


def _below(values: npt.NDArray[np.integer], lo: int) -> bool:
    return len(values) > 0 and int(values.min()) < lo


def _above(values: npt.NDArray[np.integer], hi: int) -> bool:
    return len(values) > 0 and int(values.max()) > hi


def row_suspects(cols: Columns, version: I32) -> Flags:
    """Rows with a value the engine cannot settle as it stands (unknown code, negative
    amount, proportion above 1, ...). Cheap checks first: most columns need no mask."""
    bad = np.zeros(cols.n, np.bool_)
    checks: list[tuple[npt.NDArray[np.integer], int]] = [
        (version, 0),
        (cols.med_type, 0),
        (cols.route, 0),
        (cols.cause, -1),
        (cols.therapy, -1),
        (cols.level, 1),
        (cols.continuous_years, 0),
    ]
    for values, lo in checks:
        if _below(values, lo):
            bad |= values < lo
    if _above(cols.level, 3):
        bad |= cols.level > 3
    if _below(cols.balance, 0):
        bad |= cols.has_balance & (cols.balance < 0)
    line_bad = None
    for values, lo, hi in (
        (cols.item_type, 0, 2),
        (cols.item_amount, 0, None),
        (cols.item_prop, 0, 1_000_000),
        (cols.item_limit, 0, None),
    ):
        if _below(values, lo) or (hi is not None and _above(values, hi)):
            wrong = (values < lo) if hi is None else ((values < lo) | (values > hi))
            line_bad = wrong if line_bad is None else line_bad | wrong
    if line_bad is not None and line_bad.any():
        lines = np.flatnonzero(line_bad)
        bad[np.searchsorted(cols.item_offsets, lines, side="right") - 1] = True
    blank = np.array([not w.strip() for w in cols.chronic_disease.words] + [False], np.bool_)
    if blank.any():
        bad |= blank[cols.chronic_disease.codes]  # code -1 (null) reads the final False
    return bad


Part = tuple[npt.NDArray[np.integer] | int, int]  # values (or one value for all), how many


def _key_parts(cols: Columns, version: I32, bad: Flags) -> list[Part]:
    suspects = bool(bad.any())

    def clean(values: npt.NDArray[np.integer]) -> npt.NDArray[np.integer]:
        return np.where(bad, 0, values) if suspects else values

    med = clean(cols.med_type)
    chronic = med == CHRONIC
    classes = len(cols.chronic_class.words) + 1
    chronic_class: npt.NDArray[np.integer] | int = 0
    if classes > 1 and chronic.any():
        chronic_class = np.where(chronic, cols.chronic_class.codes + 1, 0)
    return [
        (clean(version), max(1, int(version.max(initial=0)) + 1)),
        (med, 4),
        (chronic_class, classes),
        (cols.group.codes, max(1, len(cols.group.words))),
        (clean(cols.level - 1), 3),
        (clean(cols.route), 4),
        (cols.at_first_visit.view(np.int8), 2),
        (clean(cols.therapy + 1), 3),
    ]


def distinct(key: I64, radix: int) -> tuple[I64, I64]:
    """The distinct values of ``key`` (all in 0..radix-1), sorted, and each row's number
    among them: by a table of size ``radix`` when that is small, else by sorting."""
    if radix <= max(4 * len(key), 1 << 20):
        present = np.zeros(radix, np.bool_)
        present[key] = True
        values = np.flatnonzero(present)
        lookup = np.zeros(radix, np.int64)
        lookup[values] = np.arange(len(values))
        return values, lookup[key]
    values, number = np.unique(key, return_inverse=True)
    return values, np.asarray(number, np.int64)


def _combine(parts: list[Part], n: int) -> tuple[I64, list[list[int]]]:
    """Each row's profile number, and each profile's part values. Parts with one value for
    every row stay out of the key; the profiles are numbered in key order."""
    key: I64 | None = None
    used: list[tuple[int, int, int]] = []  # (part, size, the constant value or -1)
    radix = 1
    for i, (values, size) in enumerate(parts):
        if isinstance(values, int) or n == 0 or int(values.min()) == int(values.max()):
            constant = values if isinstance(values, int) else (int(values[0]) if n else 0)
            used.append((i, 1, constant if 0 <= constant < size else 0))
            continue
        key = values.astype(np.int64) if key is None else key * size + values
        used.append((i, size, -1))
        radix *= size
    if key is None:
        keys, number = np.zeros(1, np.int64), np.zeros(n, np.int64)
    else:
        keys, number = distinct(key, radix)
    decoded = []
    for whole in keys.tolist():
        digits = [0] * len(parts)
        for i, size, constant in reversed(used):
            if constant >= 0 and size == 1:
                digits[i] = constant
            else:
                whole, digits[i] = divmod(whole, size)
        decoded.append(digits)
    return np.asarray(number, np.int64), decoded


@dataclass
class RowProfiles:
    version: I32
    profile: I64
    profiles: Profiles
    suspect: Flags  # parse with the scalar parser: an error, or a fallback row
    fallback: Flags  # settled by the scalar engine (inexact policy values)
    quota: I64  # monthly quota in fen (rows of quota classes with a disease)

    def rows(self, lo: int, hi: int) -> RowProfiles:
        """Rows lo..hi (views)."""
        return RowProfiles(
            self.version[lo:hi],
            self.profile[lo:hi],
            self.profiles,
            self.suspect[lo:hi],
            self.fallback[lo:hi],
            self.quota[lo:hi],
        )


def assign_profiles(
    cols: Columns, registry: PolicyRegistry
) -> tuple[RowProfiles, list[PolicyVersion]]:
    version, versions = version_index(cols, registry)
    bad = row_suspects(cols, version)
    number, decoded = _combine(_key_parts(cols, version, bad), cols.n)
    items = []
    for v, med, cls, group, level, route, first, therapy in decoded:
        key = ProfileKey(
            version=v,
            med=med,
            chronic_class=None if cls == 0 else cols.chronic_class.words[cls - 1],
            group=cols.group.words[group] if cols.group.words else "",
            level=level + 1,
            route=route,
            at_first_visit=bool(first),
            therapy=therapy - 1,
        )
        items.append(build_profile(key, versions[v]) if v < len(versions) else Profile(valid=False))
    profiles = Profiles(items)
    valid = np.array([p.valid for p in items], np.bool_)
    fallback = np.zeros(cols.n, np.bool_)
    if not valid.all():
        bad |= ~valid[number]
    if not profiles.usable.all():
        fallback = (~profiles.usable & valid)[number]
    if cols.has_balance.any() and not profiles.personal_account.all():
        bad |= cols.has_balance & ~profiles.personal_account[number]
    quota, disease_bad, disease_inexact = _diseases(cols, number, profiles, bad)
    if disease_bad is not None:
        bad |= disease_bad
    if disease_inexact is not None:
        fallback |= disease_inexact
    return RowProfiles(version, number, profiles, bad, fallback, quota), versions


def _diseases(
    cols: Columns, number: I64, profiles: Profiles, bad: Flags
) -> tuple[I64, Flags | None, Flags | None]:
    """Per chronic row: the monthly quota of its disease, and whether the disease fits the
    class (given when the class counts per disease, one of the class's diseases)."""
    quota = np.zeros(cols.n, np.int64)
    rows = np.flatnonzero((cols.med_type == CHRONIC) & ~bad)
    if len(rows) == 0:
        return quota, None, None
    wrong = np.zeros(cols.n, np.bool_)
    inexact = np.zeros(cols.n, np.bool_)
    width = len(cols.chronic_disease.words) + 1
    pair = number[rows] * width + (cols.chronic_disease.codes[rows] + 1)
    pairs, which = distinct(pair, (int(number.max()) + 1) * width)
    q = np.zeros(len(pairs), np.int64)
    w = np.zeros(len(pairs), np.bool_)
    x = np.zeros(len(pairs), np.bool_)
    for i, k in enumerate(pairs.tolist()):
        p, d = divmod(k, width)
        prof = profiles.items[p]
        disease = None if d == 0 else cols.chronic_disease.words[d - 1]
        if disease is None and prof.needs_disease:
            w[i] = True
        if prof.diseases is not None and disease not in prof.diseases:
            w[i] = True
        if prof.quota is not None and disease is not None and not w[i]:
            amount = prof.quota.get(disease)
            if amount is None:
                x[i] = True
            else:
                q[i] = fen(amount)
    quota[rows] = q[which]
    wrong[rows] = w[which]
    inexact[rows] = x[which]
    return quota, wrong, inexact


def reasons(cols: Columns, rows: RowProfiles) -> npt.NDArray[np.int8]:
    """Spec 2.2 as a code per row (params.REASONS), first matching rule wins (the rules are
    applied last to first, each overriding the ones after it). Cheap checks first."""
    p = rows.profiles
    code = p.fixed_reason[rows.profile] if p.fixed_reason.any() else np.zeros(cols.n, np.int8)
    if p.waiting_years.any():
        late = cols.continuous_years < p.waiting_years[rows.profile]
        code[late & (code == 0)] = REASON_CODE["waiting_period"]
    cause = cols.cause
    if int(cause.max(initial=-1)) >= 0:
        excluded = (cause >= 0) & ~((cause == SELF_HARM) & cols.mental_illness)
        code[excluded] = (cause[excluded] + 2).astype(np.int8)
    if not cols.designated.all():
        code[~cols.designated & ~cols.approved] = REASON_CODE["non_designated"]
    return code


__all__ = ["RowProfiles", "assign_profiles", "calendar_year", "distinct", "reasons"]
