"""The simulation's outputs: the ``--json`` document and the terminal tables (rich).

Amounts are integer fen until they are printed, as yuan strings with two decimals.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from yibao.rules.labels import GROUP, INELIGIBLE, LEVEL, MED_TYPE
from yibao.simulation.compare import Comparison, DecileRow, compare, decile_rows
from yibao.simulation.run import PartitionOutcome
from yibao.simulation.summary import AMOUNTS, Breakdown, Summary

AMOUNT_LABELS = {
    "medfee_sumamt": "医疗费总额",
    "hifp_pay": "统筹基金支付",
    "hifmi_pay": "大病保险支付",
    "fund_pay_sumamt": "基金支付合计",
    "acct_pay": "个人账户支付",
    "psn_cash_pay": "个人现金支付",
}
SLICES = (
    ("by_hospital_level", "按医院等级", lambda k: LEVEL.get(int(k), k)),
    ("by_group", "按人员类别", lambda k: GROUP.get(k, k)),
    ("by_med_type", "按医疗类别", lambda k: MED_TYPE.get(k, k)),
)


def yuan(fen: int) -> str:
    """Fen as a yuan string with two decimals: 123456 -> '1234.56', -5 -> '-0.05'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def yuan_grouped(fen: int) -> str:
    """As :func:`yuan`, with thousands separators, for people: '1,234.56'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def mean_yuan(fen: int, count: int) -> str:
    """The mean of ``count`` amounts summing to ``fen``, rounded half up to the fen."""
    if not count:
        return "0.00"
    value = (Decimal(fen) / Decimal(count) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value:.2f}"


def _breakdown(b: Breakdown) -> dict[str, Any]:
    return {"claims": b.claims, **{a: yuan(b.amounts[a]) for a in AMOUNTS}}


def _decile(row: DecileRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        "decile": row.decile,
        "persons": row.persons,
        "medfee_sumamt": yuan(row.medfee),
        "psn_part_amt": yuan(row.paid),
    }
    if row.change is not None:
        out |= {
            "reform_psn_part_amt": yuan(row.reform_paid or 0),
            "change": yuan(row.change),
            "mean_change": mean_yuan(row.change, row.persons),
            "winners": row.winners,
            "losers": row.losers,
        }
    return out


def summary_json(s: Summary, skipped: int, deciles: list[DecileRow]) -> dict[str, Any]:
    return {
        "claims": s.claims,
        "persons": s.persons,
        "totals": {a: yuan(s.totals[a]) for a in AMOUNTS},
        "policy": s.policy,
        "skipped_claims": skipped,
        "fallback_rows": s.fallback_rows,
        "by_hospital_level": {k: _breakdown(v) for k, v in s.by_level.items()},
        "by_group": {k: _breakdown(v) for k, v in s.by_group.items()},
        "by_med_type": {k: _breakdown(v) for k, v in s.by_med_type.items()},
        "ineligible": dict(s.ineligible),
        "capped": {"claims": s.capped_claims, "persons": s.capped_persons},
        "deciles": [_decile(r) for r in deciles],
    }


def comparison_json(base: Summary, reform: Summary, c: Comparison) -> dict[str, Any]:
    return {
        "totals": {a: yuan(reform.totals[a] - base.totals[a]) for a in AMOUNTS},
        "psn_part_amt": yuan(c.change),
        "winners": c.winners,
        "losers": c.losers,
        "unchanged": c.unchanged,
        "affected_deciles": [yuan(v) for v in c.affected_deciles],
    }


def report_data(outcome: PartitionOutcome, reform_file: str | None = None) -> dict[str, Any]:
    """The ``--json`` document: ``baseline``, and ``reform`` when there is one."""
    base_deciles = decile_rows(outcome.baseline_persons, None)
    data: dict[str, Any] = {
        "baseline": summary_json(outcome.baseline, outcome.skipped_claims, base_deciles)
    }
    if outcome.reform is not None and outcome.reform_persons is not None:
        deciles = decile_rows(outcome.baseline_persons, outcome.reform_persons)
        ref = summary_json(outcome.reform, outcome.skipped_claims, deciles)
        ref["file"] = reform_file
        c = compare(outcome.baseline_persons, outcome.reform_persons)
        ref["change"] = comparison_json(outcome.baseline, outcome.reform, c)
        data["reform"] = ref
    return data


# ---- the terminal -------------------------------------------------------------------------


def _pct(change: int, base: int) -> str:
    if base == 0:
        return "—"
    value = (Decimal(change) * 100 / Decimal(base)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{value:+}%"


def _totals_table(base: Summary, reform: Summary | None) -> Table:
    t = Table(title="合计（元）", title_justify="left")
    t.add_column("项目")
    for name in ("现行政策", *(("改革方案", "变化", "变化率") if reform is not None else ())):
        t.add_column(name, justify="right", overflow="fold")
    for a in AMOUNTS:
        row = [AMOUNT_LABELS[a], yuan_grouped(base.totals[a])]
        if reform is not None:
            diff = reform.totals[a] - base.totals[a]
            row += [yuan_grouped(reform.totals[a]), yuan_grouped(diff), _pct(diff, base.totals[a])]
        t.add_row(*row)
    return t


def _slice_table(
    title: str, label: Any, base: dict[str, Breakdown], reform: dict[str, Breakdown] | None
) -> Table:
    t = Table(title=f"{title}（元）", title_justify="left")
    for name in ("类别", "记录数", "医疗费总额", "基金支付", "个人账户", "个人现金"):
        t.add_column(name, justify="left" if name == "类别" else "right", overflow="fold")
    if reform is not None:
        t.add_column("改革后基金支付", justify="right", overflow="fold")
        t.add_column("基金支付变化", justify="right", overflow="fold")
    for key, b in base.items():
        row = [label(key), f"{b.claims:,}"] + [
            yuan_grouped(b.amounts[a])
            for a in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")
        ]
        if reform is not None:
            r = reform.get(key, Breakdown()).amounts["fund_pay_sumamt"]
            row += [yuan_grouped(r), yuan_grouped(r - b.amounts["fund_pay_sumamt"])]
        t.add_row(*row)
    return t


def _decile_table(rows: list[DecileRow], with_reform: bool) -> Table:
    t = Table(title="按人均医疗费十分位（1 = 医疗费最低的 10% 人员；元/人）", title_justify="left")
    for name in ("十分位", "人数", "人均医疗费", "人均个人负担"):
        t.add_column(name, justify="right")
    if with_reform:
        for name in ("人均负担变化", "受益", "受损"):
            t.add_column(name, justify="right")
    for r in rows:
        row = [
            str(r.decile),
            f"{r.persons:,}",
            mean_yuan(r.medfee, r.persons),
            mean_yuan(r.paid, r.persons),
        ]
        if with_reform and r.change is not None:
            row += [mean_yuan(r.change, r.persons), f"{r.winners:,}", f"{r.losers:,}"]
        t.add_row(*row)
    return t


def print_report(console: Console, outcome: PartitionOutcome, reform_label: str | None) -> None:
    """The terminal report: totals, slices, caps, refusals, and the reform's effect."""
    base, reform = outcome.baseline, outcome.reform
    say = functools.partial(console.print, soft_wrap=True)  # long lines are never cut
    say(f"政策测算：{base.policy}，{base.claims:,} 条就医记录，{base.persons:,} 人", style="bold")
    if reform is not None:
        say(f"改革方案：{reform_label or reform.policy}", style="bold")
    if outcome.skipped_claims:
        say(f"其他政策的 {outcome.skipped_claims:,} 条记录未计入（只测算 {base.policy} 的记录）")
    console.print(_totals_table(base, reform))
    for key, title, label in SLICES:
        attr = {"by_hospital_level": "by_level"}.get(key, key)
        console.print(
            _slice_table(
                title, label, getattr(base, attr), None if reform is None else getattr(reform, attr)
            )
        )
    caps = f"达到支付限额（封顶）的人数：现行 {base.capped_persons:,} 人（{base.capped_claims:,} 条记录）"
    if reform is not None:
        caps += f"；改革后 {reform.capped_persons:,} 人（{reform.capped_claims:,} 条记录）"
    say(caps)
    if base.ineligible:
        refused = Table(title="不予支付的记录", title_justify="left")
        refused.add_column("原因")
        refused.add_column("记录数", justify="right")
        for reason, count in sorted(base.ineligible.items(), key=lambda kv: -kv[1]):
            refused.add_row(INELIGIBLE.get(reason) or reason, f"{count:,}")
        console.print(refused)
    with_reform = reform is not None and outcome.reform_persons is not None
    rows = decile_rows(outcome.baseline_persons, outcome.reform_persons if with_reform else None)
    console.print(_decile_table(rows, with_reform))
    if with_reform and outcome.reform_persons is not None:
        c = compare(outcome.baseline_persons, outcome.reform_persons)
        say(
            f"个人负担减少（受益）{c.winners:,} 人，增加（受损）{c.losers:,} 人，不变 {c.unchanged:,} 人；"
            f"个人负担合计变化 {yuan_grouped(c.change)} 元"
        )
        if c.affected_deciles:
            cuts = "、".join(yuan_grouped(v) for v in c.affected_deciles)
            say(f"负担有变化的人，每人变化的十分位点（10%…90%，元）：{cuts}")
    if base.fallback_rows:
        say(f"由逐条引擎结算的记录：{base.fallback_rows:,} 条（批量引擎尚未向量化的功能）")


__all__ = ["mean_yuan", "print_report", "report_data", "yuan", "yuan_grouped"]
