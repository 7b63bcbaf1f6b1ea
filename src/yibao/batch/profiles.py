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


@dataclass
class Calendar:
    year: I32
    month: I32  # 1..12


def calendar(day: I32) -> Calendar:
    """Each day's calendar year and month (a table over the days present)."""
    if len(day) == 0:
        return Calendar(np.zeros(0, np.int32), np.zeros(0, np.int32))
    lo, hi = int(day.min()), int(day.max())
    if hi - lo < MAX_LUT_DAYS:
        span = np.arange(lo, hi + 1, dtype="int64").astype("datetime64[D]")
        years = span.astype("datetime64[Y]").astype(np.int64) + 1970
        months = span.astype("datetime64[M]").astype(np.int64) % 12 + 1
        at = day - lo
        return Calendar(years.astype(np.int32)[at], months.astype(np.int32)[at])
    stamps = day.astype("datetime64[D]")
    return Calendar(
        (stamps.astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int32),
        (stamps.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int32),
    )


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
        found = np.searchsorted(starts, cols.day[at], side="right") - 1
        out[at] = np.where(found >= 0, found + len(versions), -1)
        versions.extend(policy.versions)
    return out, versions


def row_suspects(cols: Columns, version: I32) -> Flags:
    """Rows with a value the engine cannot settle as it stands (unknown code, negative
    amount, proportion above 1, ...)."""
    bad = (version < 0) | (cols.med_type < 0) | (cols.route < 0) | (cols.cause == -2)
    bad |= (cols.therapy == -2) | (cols.level < 1) | (cols.level > 3)
    bad |= cols.continuous_years < 0
    bad |= cols.has_balance & (cols.balance < 0)
    line_bad = (cols.item_type < 0) | (cols.item_amount < 0)
    line_bad |= cols.item_has_prop & ((cols.item_prop < 0) | (cols.item_prop > 1_000_000))
    line_bad |= cols.item_has_limit & (cols.item_limit < 0)
    if line_bad.any():
        lines = np.flatnonzero(line_bad)
        bad[np.searchsorted(cols.item_offsets, lines, side="right") - 1] = True
    words = cols.chronic_disease.words
    blank = np.array([not w.strip() for w in words] + [False], np.bool_)
    bad |= blank[cols.chronic_disease.codes]  # code -1 (null) reads the final False
    return np.asarray(bad, np.bool_)


def _key_parts(cols: Columns, version: I32, bad: Flags) -> list[tuple[I64, int]]:
    med = np.where(bad, 0, cols.med_type).astype(np.int64)
    chronic = med == CHRONIC
    parts = [
        (np.where(bad, 0, version), max(1, int(version.max(initial=0)) + 1)),
        (med, 4),
        (np.where(chronic, cols.chronic_class.codes + 1, 0), len(cols.chronic_class.words) + 1),
        (cols.group.codes, max(1, len(cols.group.words))),
        (np.where(bad, 0, cols.level - 1), 3),
        (np.where(bad, 0, cols.route), 4),
        (cols.at_first_visit, 2),
        (np.where(bad, 0, cols.therapy + 1), 3),
    ]
    return [(np.asarray(a, np.int64), size) for a, size in parts]


def _combine(parts: list[tuple[I64, int]], n: int) -> tuple[I64, list[list[int]]]:
    """Each row's profile number, and each profile's part values."""
    key = np.zeros(n, np.int64)
    used: list[tuple[int, int, int]] = []  # (part, size, constant value or -1)
    radix = 1
    for i, (values, size) in enumerate(parts):
        if n == 0 or int(values.min()) == int(values.max()):
            used.append((i, 1, int(values[0]) if n else 0))
            continue
        key = key * size + values
        used.append((i, size, -1))
        radix *= size
    if radix <= max(4 * n, 1 << 20):
        present = np.zeros(radix, np.bool_)
        present[key] = True
        keys = np.flatnonzero(present)
        lookup = np.zeros(radix, np.int64)
        lookup[keys] = np.arange(len(keys))
        number = lookup[key]
    else:
        keys, number = np.unique(key, return_inverse=True)
    decoded = []
    for whole in keys.tolist():
        digits = [0] * len(parts)
        for i, size, constant in reversed(used):
            if constant >= 0:
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
    ok = profiles.usable[number]
    invalid = np.array([not p.valid for p in items], np.bool_)[number]
    bad |= invalid
    bad |= cols.has_balance & ~profiles.personal_account[number]
    quota, disease_bad, disease_inexact = _diseases(cols, number, profiles, bad)
    bad |= disease_bad
    fallback = ~ok & ~invalid
    fallback |= disease_inexact
    return RowProfiles(version, number, profiles, bad, fallback, quota), versions


def _diseases(
    cols: Columns, number: I64, profiles: Profiles, bad: Flags
) -> tuple[I64, Flags, Flags]:
    """Per chronic row: the monthly quota of its disease, and whether the disease fits the
    class (given when the class counts per disease, one of the class's diseases)."""
    quota = np.full(cols.n, 0, np.int64)
    wrong = np.zeros(cols.n, np.bool_)
    inexact = np.zeros(cols.n, np.bool_)
    rows = np.flatnonzero((cols.med_type == CHRONIC) & ~bad)
    if len(rows) == 0:
        return quota, wrong, inexact
    width = len(cols.chronic_disease.words) + 1
    pair = number[rows] * width + (cols.chronic_disease.codes[rows] + 1)
    pairs, which = np.unique(pair, return_inverse=True)
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
    """Spec 2.2 as a code per row (params.REASONS), first matching rule wins."""
    p = rows.profiles
    code = p.fixed_reason[rows.profile]
    waiting = p.waiting_years[rows.profile]
    code = np.where(
        (code == 0) & (cols.continuous_years < waiting), REASON_CODE["waiting_period"], code
    )
    cause = cols.cause
    excluded = (cause >= 0) & ~((cause == SELF_HARM) & cols.mental_illness)
    code = np.where(excluded, cause + 2, code)
    code = np.where(~cols.designated & ~cols.approved, REASON_CODE["non_designated"], code)
    return code.astype(np.int8)


__all__ = ["RowProfiles", "assign_profiles", "calendar", "reasons"]
