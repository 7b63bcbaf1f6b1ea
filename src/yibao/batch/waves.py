"""The part of settlement that depends on the year so far (spec 2.3-2.6), one wave at a time
(:mod:`yibao.batch.chains`): the deductible due, the pooled fund's bands, the caps, 大病保险
and the personal account, in integer fen, rounding half up to the fen exactly where
:func:`yibao.rules.engine.settle_case` rounds. State per person-year lives in arrays carried
from wave to wave; state per (person-year, disease) and per (person-year, disease, month) in
arrays indexed by a number given to each pair."""

from __future__ import annotations

from dataclasses import dataclass

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
    month: npt.NDArray[np.int32]
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
    """Which parts of the computation any profile in use needs."""

    def __init__(self, p: Profiles, used: I64) -> None:
        kind = p.deductible_kind[used]
        self.deductible = bool((kind != 0).any())
        self.oncology = bool((p.oncology_once[used] & (kind == ADMISSION)).any())
        self.order = bool((kind == ADMISSION_ORDER).any())
        self.year = bool((kind == YEAR).any())
        self.disease_year = bool((kind == DISEASE_YEAR).any())
        self.year_axis = bool(p.year_axis[used].any())
        self.shared = bool((p.cap_kind[used] == SHARED_CAP).any())
        self.shared_limit = bool(((p.cap_kind[used] == SHARED_CAP) & (p.cap[used] < BIG)).any())
        self.own = bool((p.cap_kind[used] == OWN_CAP).any())
        self.disease_cap = bool((p.disease_cap[used] < BIG).any())
        self.quota = bool(p.has_quota[used].any())
        self.serious_illness = bool(p.serious_illness[used].any())
        self.account = bool(p.personal_account[used].any())


def _keys(segment: I64, codes: I64, rows: Flags) -> tuple[I64, int]:
    """A number for each distinct (segment, code) pair among ``rows`` (-1 elsewhere)."""
    out = np.full(len(segment), -1, np.int64)
    at = np.flatnonzero(rows)
    if len(at) == 0:
        return out, 0
    pairs, number = np.unique(segment[at] * (int(codes.max()) + 1) + codes[at], return_inverse=True)
    out[at] = number
    return out, len(pairs)


def _bands(lo: I64, hi: I64, rate: I64, bottom: I64, top: I64) -> I64:
    """Σ rate × |[bottom, top) ∩ [lo, hi)| per row (fen × millionths, unrounded), then
    rounded half up to the fen: one rounding per payment, as the scalar engine does."""
    raw = np.zeros(len(bottom), np.int64)
    for j in range(lo.shape[1]):
        part = np.minimum(hi[:, j], top) - np.maximum(lo[:, j], bottom)
        np.maximum(part, 0, out=part)
        raw += part * rate[:, j]
    return (raw + HALF) // SCALE


def settle_waves(layout: Layout, rows: WaveInput, p: Profiles) -> WaveOutput:
    take = layout.take
    prof_w: I64 = take(rows.profile)
    med_w = take(rows.med)
    inscp_w: I64 = take(rows.inscp)
    medfee_w: I64 = take(rows.medfee)
    eligible_w = take(rows.eligible)
    f = _Features(p, np.unique(prof_w))
    n, segs = len(prof_w), layout.segments
    chronic_w = (med_w == CHRONIC) & (take(rows.disease) >= 0)
    disease_key, n_disease = _keys(layout.segment, take(rows.disease).astype(np.int64), chronic_w)
    month_key, n_month = (np.full(n, -1, np.int64), 0)
    quota_w = take(rows.quota)
    if f.quota:
        quota_rows = chronic_w & p.has_quota[prof_w]
        month_key, n_month = _keys(disease_key, take(rows.month).astype(np.int64), quota_rows)
    # state per person-year
    admissions = np.zeros(segs, np.int64)
    oncology_paid = np.zeros(segs, np.bool_)
    fund_paid = np.zeros(segs, np.int64)
    out_deductible = np.zeros(segs, np.int64)
    out_fund = np.zeros(segs, np.int64)
    out_eligible = np.zeros(segs, np.int64)
    si_base = np.zeros(segs, np.int64)
    first = layout.bounds[1]
    balance = take(rows.balance)[:first].copy()
    has_balance = take(rows.has_balance)[:first].copy()
    d_deductible = np.zeros(n_disease, np.int64)
    d_fund = np.zeros(n_disease, np.int64)
    m_used = np.zeros(n_month, np.int64)
    oncology_w = take(rows.oncology) if f.oncology else None
    use_account_w = take(rows.use_account) if f.account else None

    dedc_w = np.zeros(n, np.int64)
    hifp_w = np.zeros(n, np.int64)
    hifmi_w = np.zeros(n, np.int64)
    acct_w = np.zeros(n, np.int64)
    capped_w = np.zeros(n, np.bool_)
    for k in range(len(layout.bounds) - 1):
        a, b = layout.bounds[k], layout.bounds[k + 1]
        m = b - a
        prof = prof_w[a:b]
        med = med_w[a:b]
        inscp = inscp_w[a:b]
        dk = disease_key[a:b]
        has_d = dk >= 0
        dk0 = np.where(has_d, dk, 0)
        # deductible due (engine._deductible_due), then at most the in-scope cost
        if f.deductible:
            kind = p.deductible_kind[prof]
            due = p.deductible[prof]
            if f.oncology and k and oncology_w is not None:
                once = (kind == ADMISSION) & p.oncology_once[prof] & oncology_w[a:b]
                due = np.where(once & oncology_paid[:m], 0, due)
            if f.order:
                step = np.minimum(admissions[:m], p.order_width - 1)
                due = np.where(kind == ADMISSION_ORDER, p.admission_order[prof, step], due)
            if f.year and k:
                left = np.maximum(due - out_deductible[:m], 0)
                due = np.where(kind == YEAR, left, due)
            if f.disease_year and k and n_disease:
                paid = np.where(has_d, d_deductible[dk0], 0)
                due = np.where(kind == DISEASE_YEAR, np.maximum(due - paid, 0), due)
            dedc = np.minimum(due, inscp)
        else:
            dedc = np.zeros(m, np.int64)
        # the pooled fund's bands, on the year's axis where the benefit says so
        if f.year_axis and k:
            offset = np.where(p.year_axis[prof], out_eligible[:m], 0)
            bottom, top = offset + dedc, offset + inscp
        else:
            bottom, top = dedc, inscp
        lo, hi, rate = p.band_lo[prof], p.band_hi[prof], p.band_rate[prof]
        pooled = _bands(lo, hi, rate, bottom, top)
        # caps (engine._apply_caps): the payment is at most each room left
        hifp = pooled
        if f.shared_limit or f.own:
            cap_kind = p.cap_kind[prof]
            room = p.cap[prof]
            if k:
                used = np.where(cap_kind == SHARED_CAP, fund_paid[:m], out_fund[:m])
                room = room - used
            hifp = np.minimum(hifp, np.maximum(np.where(cap_kind == 0, BIG, room), 0))
        if f.disease_cap:
            room = p.disease_cap[prof]
            if k and n_disease:
                room = room - np.where(has_d, d_fund[dk0], 0)
            hifp = np.minimum(hifp, np.maximum(room, 0))
        if f.quota and n_month:
            mk = month_key[a:b]
            has_m = mk >= 0
            mk0 = np.where(has_m, mk, 0)
            room = np.where(has_m, quota_w[a:b] - (m_used[mk0] if k else 0), BIG)
            hifp = np.minimum(hifp, np.maximum(room, 0))
        capped_w[a:b] = hifp < pooled
        # 大病保险 on the year's in-scope cost the person bore so far
        if f.serious_illness:
            si = p.serious_illness[prof]
            base = si_base[:m]
            after = base + np.where(si, inscp - hifp, 0)
            hifmi = _bands(p.si_lo[prof], p.si_hi[prof], p.si_rate[prof], base, after)
            si_base[:m] = after
            hifmi_w[a:b] = hifmi
        else:
            hifmi = np.zeros(m, np.int64)
        # the personal account, from the running balance
        if f.account and use_account_w is not None:
            use = has_balance[:m] & use_account_w[a:b] & eligible_w[a:b] & p.personal_account[prof]
            person_part = medfee_w[a:b] - hifp - hifmi
            acct = np.where(use, np.minimum(person_part, balance[:m]), 0)
            balance[:m] -= acct
            acct_w[a:b] = acct
        dedc_w[a:b] = dedc
        hifp_w[a:b] = hifp
        # carry the year (engine._ytd_after)
        inpatient = med == INPATIENT
        admissions[:m] += inpatient & eligible_w[a:b]
        if f.oncology and oncology_w is not None:
            oncology_paid[:m] |= inpatient & oncology_w[a:b] & p.oncology_once[prof] & (dedc > 0)
        if f.shared:
            fund_paid[:m] += np.where(p.cap_kind[prof] == SHARED_CAP, hifp, 0)
        outpatient = med == OUTPATIENT
        out_deductible[:m] += np.where(outpatient, dedc, 0)
        out_fund[:m] += np.where(outpatient, hifp, 0)
        out_eligible[:m] += np.where(outpatient, inscp, 0)
        if n_disease and has_d.any():
            d_deductible[dk[has_d]] += dedc[has_d]
            d_fund[dk[has_d]] += hifp[has_d]
        if n_month:
            mk = month_key[a:b]
            has_m = mk >= 0
            if has_m.any():
                m_used[mk[has_m]] += hifp[has_m]

    back = layout.back
    return WaveOutput(back(dedc_w), back(hifp_w), back(hifmi_w), back(acct_w), back(capped_w))


__all__ = ["WaveInput", "WaveOutput", "settle_waves"]
