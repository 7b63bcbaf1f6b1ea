"""The part of settlement that depends on the year so far (spec 2.3-2.6), one wave at a time
(:mod:`yibao.batch.chains`): the deductible due, the pooled fund's bands, the caps, 大病保险
and the personal account, in integer fen, rounding half up to the fen exactly where
:func:`yibao.rules.engine.settle_case` rounds. State per person-year lives in arrays carried
from wave to wave; state per (person-year, disease) and per (person-year, disease, month) in
arrays indexed by a number given to each pair.

Only what some profile in use needs is computed, and state is carried only when a later
wave reads it: a table with one claim per person is a single wave with no state at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from yibao.batch.chains import Layout
from yibao.batch.params import (
    ADMISSION,
    ADMISSION_ORDER,
    BIG,
    CHRONIC,
    DISEASE_YEAR,
    HALF,
    INPATIENT,
    OUTPATIENT,
    OWN_CAP,
    SCALE,
    SHARED_CAP,
    YEAR,
    Profiles,
)
from yibao.batch.profiles import distinct

I64 = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]


@dataclass
class WaveInput:
    """Per claim row, in input order."""

    profile: I64
    med: npt.NDArray[np.int32]
    inscp: I64  # 0 for an ineligible claim: then nothing is paid and nothing carried
    medfee: I64
    eligible: Flags
    oncology: Flags
    use_account: Flags
    balance: I64
    has_balance: Flags
    disease: npt.NDArray[np.int32]  # chronic disease code, -1 none
    day: npt.NDArray[np.int32]  # for the month of a monthly quota
    quota: I64


@dataclass
class WaveOutput:
    """Per claim row, in input order."""

    dedc: I64
    hifp: I64
    hifmi: I64
    acct: I64
    capped: Flags


class _Features:
    """Which parts of the computation the profiles need."""

    def __init__(self, p: Profiles, balances: bool) -> None:
        kind = p.deductible_kind
        self.deductible = bool((kind != 0).any())
        self.oncology = bool((p.oncology_once & (kind == ADMISSION)).any())
        self.order = bool((kind == ADMISSION_ORDER).any())
        self.year = bool((kind == YEAR).any())
        self.disease_year = bool((kind == DISEASE_YEAR).any())
        self.year_axis = bool(p.year_axis.any())
        self.shared_limit = bool(((p.cap_kind == SHARED_CAP) & (p.cap < BIG)).any())
        self.own = bool((p.cap_kind == OWN_CAP).any())
        self.caps = self.shared_limit or self.own
        self.disease_cap = bool((p.disease_cap < BIG).any())
        self.quota = bool(p.has_quota.any())
        self.serious_illness = bool(p.serious_illness.any())
        self.account = balances and bool(p.personal_account.any())


def _pairs(segment: I64, codes: I64) -> tuple[I64, int]:
    """A number for each distinct (segment, code) pair, and how many there are."""
    width = int(codes.max()) + 1
    pairs, number = distinct(segment * width + codes, (int(segment.max()) + 1) * width)
    return number, len(pairs)


def _bands(p: Profiles, prefix: str, prof: I64, bottom: I64, top: I64) -> I64:
    """Σ rate × |[bottom, top) ∩ [lo, hi)| over the bands (fen × millionths, exact), then
    rounded half up to the fen: one rounding per payment, as the scalar engine does."""
    width = p.band_width if prefix == "band" else p.si_width
    raw: I64 | None = None
    for j in range(width):
        lo = p.per_row(f"{prefix}_lo_{j}", prof)
        hi = p.per_row(f"{prefix}_hi_{j}", prof)
        rate = p.per_row(f"{prefix}_rate_{j}", prof)
        if np.ndim(rate) == 0 and rate == 0:
            continue
        upper = top if np.ndim(hi) == 0 and hi >= BIG else np.minimum(hi, top)
        lower = bottom if np.ndim(lo) == 0 and lo == 0 else np.maximum(lo, bottom)
        part = upper - lower
        np.maximum(part, 0, out=part)
        part *= rate
        raw = part if raw is None else raw + part
    if raw is None:
        return np.zeros(len(bottom), np.int64)
    raw += HALF
    raw //= SCALE
    return raw


# bits of the packed per-row flags (one small gather into wave order instead of five)
MED_BITS, ONCOLOGY, ELIGIBLE, USE_ACCOUNT, HAS_DISEASE = 3, 4, 8, 16, 32


def _flags(rows: WaveInput) -> npt.NDArray[np.int8]:
    flags = rows.med.astype(np.int8) & MED_BITS
    flags |= rows.oncology.view(np.int8) << 2
    flags |= rows.eligible.view(np.int8) << 3
    flags |= (rows.use_account & rows.eligible).view(np.int8) << 4
    flags |= ((rows.med == CHRONIC) & (rows.disease >= 0)).view(np.int8) << 5
    return flags


class _Year:
    """The year-to-date state of every person-year (and of its diseases and months)."""

    def __init__(
        self,
        layout: Layout,
        rows: WaveInput,
        f: _Features,
        p: Profiles,
        flags_w: npt.NDArray[np.int8],
    ) -> None:
        segs = layout.segments
        self.admissions = np.zeros(segs, np.int64)
        self.oncology_paid = np.zeros(segs, np.bool_)
        self.fund_paid = np.zeros(segs, np.int64)
        self.out_deductible = np.zeros(segs, np.int64)
        self.out_fund = np.zeros(segs, np.int64)
        self.out_eligible = np.zeros(segs, np.int64)
        self.si_base = np.zeros(segs, np.int64)
        self.balance = np.zeros(0, np.int64)
        self.has_balance = np.zeros(0, np.bool_)
        first = layout.bounds[1]  # wave 0: each person-year's first claim opens its year
        if f.account:
            opening = np.arange(first) if layout.rows is None else layout.rows[:first]
            self.balance = rows.balance[opening]
            self.has_balance = rows.has_balance[opening]
        n = len(flags_w)
        self.disease_key = np.full(n, -1, np.int64)
        self.month_key = self.disease_key
        self.diseases = self.months = 0
        at = np.flatnonzero(flags_w & HAS_DISEASE)  # wave positions of chronic rows
        if len(at):
            source = at if layout.rows is None else layout.rows[at]
            self.disease_key[at], self.diseases = _pairs(
                layout.segment[at], rows.disease[source].astype(np.int64)
            )
            if f.quota:
                quota_rows = p.has_quota[rows.profile[source]]
                self._months(rows, at[quota_rows], source[quota_rows])
        self.d_deductible = np.zeros(self.diseases, np.int64)
        self.d_fund = np.zeros(self.diseases, np.int64)
        self.m_used = np.zeros(self.months, np.int64)

    def _months(self, rows: WaveInput, at: I64, source: I64) -> None:
        """Number the (person-year, disease, month) of the rows with a monthly quota."""
        if not len(at):
            return
        month = rows.day[source].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        self.month_key = np.full(len(self.disease_key), -1, np.int64)
        self.month_key[at], self.months = _pairs(self.disease_key[at], month % 12)
        self.m_quota = np.zeros(self.months, np.int64)
        self.m_quota[self.month_key[at]] = rows.quota[source]


def _room(hifp: I64, room: Any) -> I64:
    """The payment, at most ``room`` (none when ``room`` is negative)."""
    out: I64 = np.minimum(hifp, np.maximum(room, 0))
    return out


BLOCK = 1 << 16  # rows computed together: temporaries stay small, in cache, and reused


class _Run:
    """The arrays of one settlement in wave order, and the loop over waves and blocks."""

    def __init__(self, layout: Layout, rows: WaveInput, p: Profiles) -> None:
        take = layout.take
        self.p, self.layout = p, layout
        self.f = f = _Features(p, bool(rows.has_balance.any()))
        self.flags: npt.NDArray[np.int8] = take(_flags(rows))
        self.y = _Year(layout, rows, f, p, self.flags)
        small = np.int16 if len(p.items) < (1 << 15) else np.int64
        self.prof: npt.NDArray[np.integer] = take(rows.profile.astype(small))
        self.inscp: I64 = take(rows.inscp)
        self.medfee: I64 = take(rows.medfee) if f.account else self.inscp
        n = len(self.prof)
        self.out = WaveOutput(
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.int64),
            np.zeros(n, np.bool_),
        )

    def run(self) -> WaveOutput:
        bounds = self.layout.bounds
        last = len(bounds) - 2
        for k in range(last + 1):
            for a in range(bounds[k], bounds[k + 1], BLOCK):
                b = min(a + BLOCK, bounds[k + 1])
                self.block(k, a, b, a - bounds[k], k < last)
        back, o, f = self.layout.back, self.out, self.f
        return WaveOutput(
            back(o.dedc),
            back(o.hifp),
            back(o.hifmi) if f.serious_illness else o.hifmi,
            back(o.acct) if f.account else o.acct,
            back(o.capped),
        )

    def block(self, k: int, a: int, b: int, s: int, carry: bool) -> None:
        """Rows a..b of wave k; their person-years' state is at s..s+(b-a)."""
        p, f, y, out = self.p, self.f, self.y, self.out
        st = slice(s, s + b - a)
        prof = self.prof[a:b].astype(np.intp)
        inscp = self.inscp[a:b]
        flags = self.flags[a:b]
        if k and y.diseases and (f.disease_year or f.disease_cap):
            dk = y.disease_key[a:b]
            has_d = dk >= 0
            dk0 = np.where(has_d, dk, 0)

        # the deductible due (engine._deductible_due), at most the in-scope cost
        if f.deductible:
            kind = p.per_row("deductible_kind", prof)
            due = p.per_row("deductible", prof)
            if f.oncology and k:
                once = (kind == ADMISSION) & p.per_row("oncology_once", prof)
                once &= ((flags & ONCOLOGY) != 0) & y.oncology_paid[st]
                due = np.where(once, 0, due)
            if f.order:
                step = np.minimum(y.admissions[st], p.order_width - 1)
                due = np.where(kind == ADMISSION_ORDER, p.admission_order[prof, step], due)
            if f.year and k:
                due = np.where(kind == YEAR, np.maximum(due - y.out_deductible[st], 0), due)
            if f.disease_year and k and y.diseases:
                paid = np.where(has_d, y.d_deductible[dk0], 0)
                due = np.where(kind == DISEASE_YEAR, np.maximum(due - paid, 0), due)
            dedc = np.minimum(due, inscp)
        else:
            dedc = np.zeros(b - a, np.int64)

        # the pooled fund's bands, on the year's axis where the benefit says so
        if f.year_axis and k:
            offset = np.where(p.per_row("year_axis", prof), y.out_eligible[st], 0)
            pooled = _bands(p, "band", prof, offset + dedc, offset + inscp)
        else:
            pooled = _bands(p, "band", prof, dedc, inscp)

        # the caps (engine._apply_caps): at most the room left under each
        hifp = pooled
        if f.caps:
            room = p.per_row("cap", prof)
            if k:
                cap_kind = p.per_row("cap_kind", prof)
                used = np.where(cap_kind == SHARED_CAP, y.fund_paid[st], 0)
                if f.own:
                    used = np.where(cap_kind == OWN_CAP, y.out_fund[st], used)
                room = room - used
            hifp = _room(hifp, room)
        if f.disease_cap:
            room = p.per_row("disease_cap", prof)
            if k and y.diseases:
                room = room - np.where(has_d, y.d_fund[dk0], 0)
            hifp = _room(hifp, room)
        if y.months:
            mk = y.month_key[a:b]
            has_m = mk >= 0
            mk0 = np.where(has_m, mk, 0)
            left = y.m_quota[mk0] - y.m_used[mk0] if k else y.m_quota[mk0]
            hifp = _room(hifp, np.where(has_m, left, BIG))
        out.capped[a:b] = hifp < pooled
        out.dedc[a:b] = dedc
        out.hifp[a:b] = hifp

        # 大病保险 on the in-scope cost the person bore this year so far
        if f.serious_illness:
            si = p.per_row("serious_illness", prof)
            base = y.si_base[st]
            after = base + (inscp - hifp) * si
            hifmi = _bands(p, "si", prof, base, after)
            out.hifmi[a:b] = hifmi
            if carry:
                y.si_base[st] = after
        else:
            hifmi = np.zeros(b - a, np.int64)

        # the personal account, from the running balance
        if f.account:
            use = y.has_balance[st] & ((flags & USE_ACCOUNT) != 0)
            use &= p.per_row("personal_account", prof)
            acct = np.minimum(self.medfee[a:b] - hifp - hifmi, y.balance[st]) * use
            out.acct[a:b] = acct
            if carry:
                y.balance[st] -= acct
        if carry:
            _carry(y, f, p, (a, b, s), prof, flags, inscp, dedc, hifp)


def settle_waves(layout: Layout, rows: WaveInput, p: Profiles) -> WaveOutput:
    return _Run(layout, rows, p).run()


def _carry(
    y: _Year,
    f: _Features,
    p: Profiles,
    span: tuple[int, int, int],
    prof: I64,
    flags: npt.NDArray[np.int8],
    inscp: I64,
    dedc: I64,
    hifp: I64,
) -> None:
    """The year after this wave (engine._ytd_after), for the parts a later wave reads."""
    a, b, s = span
    st = slice(s, s + b - a)
    med = flags & MED_BITS
    if f.order or f.oncology:
        inpatient = med == INPATIENT
        if f.order:
            y.admissions[st] += inpatient & ((flags & ELIGIBLE) != 0)
        if f.oncology:
            once = inpatient & ((flags & ONCOLOGY) != 0) & (dedc > 0)
            once &= p.per_row("oncology_once", prof)
            y.oncology_paid[st] |= once
    if f.shared_limit:
        y.fund_paid[st] += hifp * (p.per_row("cap_kind", prof) == SHARED_CAP)
    if f.year or f.own or f.year_axis:
        outpatient = med == OUTPATIENT
        if f.year:
            y.out_deductible[st] += dedc * outpatient
        if f.own:
            y.out_fund[st] += hifp * outpatient
        if f.year_axis:
            y.out_eligible[st] += inscp * outpatient
    if y.diseases and (f.disease_year or f.disease_cap):
        dk = y.disease_key[a:b]
        at = dk >= 0
        if at.any():
            y.d_deductible[dk[at]] += dedc[at]
            y.d_fund[dk[at]] += hifp[at]
    if y.months:
        mk = y.month_key[a:b]
        at = mk >= 0
        if at.any():
            y.m_used[mk[at]] += hifp[at]


__all__ = ["WaveInput", "WaveOutput", "settle_waves"]
