"""``yibao simulate --report FILE.html``: one standalone page (Chinese, readable on a phone)
with the tables and bar charts. The ECharts build the project already serves is inlined, so
the file opens offline and can be mailed as it is."""

from __future__ import annotations

import html
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yibao
from yibao.rules.labels import GROUP, INELIGIBLE, LEVEL, MED_TYPE
from yibao.rules.policy import Policy
from yibao.simulation.report import AMOUNT_LABELS
from yibao.simulation.summary import AMOUNTS

ECHARTS = (
    Path(yibao.__file__).parent
    / "web"
    / "pages"
    / "static"
    / "vendor"
    / "echarts"
    / "echarts.yibao.min.js"
)


def _level(key: str) -> str:
    return LEVEL.get(int(key), key)


def _group(key: str) -> str:
    return GROUP.get(key, key)


def _med_type(key: str) -> str:
    return MED_TYPE.get(key, key)


SLICE_LABELS: dict[str, tuple[str, Callable[[str], str]]] = {
    "by_hospital_level": ("按医院等级", _level),
    "by_group": ("按人员类别", _group),
    "by_med_type": ("按医疗类别", _med_type),
}
STYLE = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;
 color:#1b1b1b;background:#f5f7fa;line-height:1.5}
main{max-width:960px;margin:0 auto;padding:12px}p,h1,h2{overflow-wrap:break-word}
h1{font-size:1.35rem;margin:.4rem 0}h2{font-size:1.1rem;margin:1.4rem 0 .4rem}
.note{color:#555;font-size:.9rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px}
.card{background:#fff;border-radius:8px;padding:10px;box-shadow:0 1px 2px #0002}
.card b{display:block;font-size:1.1rem}.up{color:#b00020}.down{color:#0a7a32}
.scroll{overflow-x:auto;background:#fff;border-radius:8px;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;width:100%;font-size:.9rem;white-space:nowrap}
th,td{padding:6px 8px;border-bottom:1px solid #e3e6ea;text-align:right}
th:first-child,td:first-child{text-align:left}td:first-child{white-space:normal;min-width:5em}th{background:#eef2f6}
.chart{width:100%;height:280px;background:#fff;border-radius:8px;box-shadow:0 1px 2px #0002}
.nb{white-space:nowrap}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 10px;vertical-align:-1px}
"""
CHARTS = """
(function(){
var d=JSON.parse(document.getElementById("sim-data").textContent);
var C=["#0b63b6","#f0a202"];
function bar(id,cats,series){var el=document.getElementById(id);if(!el||!window.echarts)return;
 var c=window.echarts.init(el,null,{renderer:"canvas"});
 c.setOption({grid:{left:64,right:12,bottom:40,top:16},
  xAxis:{type:"category",data:cats,axisLabel:{interval:0}},yAxis:{type:"value"},
  series:series.map(function(s,i){return {type:"bar",data:s,itemStyle:{color:C[i]}};})});
 window.addEventListener("resize",function(){c.resize();});}
// bar heights only (万元, rounded): every amount shown as text is the exact string
function wan(s){return Math.round(Number(s)/100)/100;}
function slice(key,field){var b=d.baseline[key],ks=Object.keys(b),out=[ks.map(function(k){return d.labels[key][k];}),[ks.map(function(k){return wan(b[k][field]);})]];
 if(d.reform){var r=d.reform[key];out[1].push(ks.map(function(k){return r[k]?wan(r[k][field]):0;}));}return out;}
var s=slice("by_hospital_level","fund_pay_sumamt");bar("chart-level",s[0],s[1]);
s=slice("by_med_type","fund_pay_sumamt");bar("chart-med",s[0],s[1]);
var dec=d.reform?d.reform.deciles:d.baseline.deciles;
bar("chart-decile",dec.map(function(r){return String(r.decile);}),
 [dec.map(function(r){return d.reform?Number(r.mean_change):Math.round(Number(r.psn_part_amt)/r.persons*100)/100;})]);
})();
"""


def echarts_source() -> str:
    """The ECharts build the web pages serve: the plain file, or its brotli copy unpacked."""
    if ECHARTS.is_file():
        text = ECHARTS.read_text(encoding="utf-8")
    else:
        packed = ECHARTS.with_name(ECHARTS.name + ".br")
        try:
            brotli = importlib.import_module("brotli")
        except ImportError:
            raise FileNotFoundError(f"找不到 {ECHARTS}，且没有 brotli 模块解压 {packed}") from None
        text = brotli.decompress(packed.read_bytes()).decode("utf-8")
    if "</script" in text.lower():
        raise ValueError("ECharts 源码中含有 </script，无法内联")
    return text


def _e(value: object) -> str:
    return html.escape(str(value))


def _money(text: str) -> str:
    sign = "-" if text.startswith("-") else ""
    whole, cents = text.lstrip("-").split(".")
    return f"{sign}{int(whole):,}.{cents}"


def _signed(text: str) -> str:
    """A change with its sign: +1,234.50, -8.00, 0.00."""
    return _money(text) if text.startswith("-") or text == "0.00" else "+" + _money(text)


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<div class="scroll"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table></div>'


def _cards(data: dict[str, Any]) -> str:
    base, reform = data["baseline"], data.get("reform")
    out = []
    for a in AMOUNTS:
        extra = ""
        if reform is not None:
            diff = reform["change"]["totals"][a]
            cls = "same" if diff == "0.00" else ("down" if diff.startswith("-") else "up")
            extra = (
                f'<span class="{cls}">改革后 {_money(reform["totals"][a])}<br>'
                f"变化 {_signed(diff)}</span>"
            )
        out.append(
            f'<div class="card">{_e(AMOUNT_LABELS[a])}<b>{_money(base["totals"][a])}</b>{extra}</div>'
        )
    return '<div class="cards">' + "".join(out) + "</div>"


def _slice_section(key: str, data: dict[str, Any]) -> str:
    title, label = SLICE_LABELS[key]
    base, reform = data["baseline"][key], (data.get("reform") or {}).get(key)
    head = ["类别", "记录数", "医疗费总额", "基金支付", "个人账户", "个人现金"]
    if reform is not None:
        head += ["改革后基金支付"]
    rows = []
    for k, b in base.items():
        row = [label(k), f"{b['claims']:,}"] + [
            _money(b[a]) for a in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")
        ]
        if reform is not None:
            row.append(_money(reform.get(k, {}).get("fund_pay_sumamt", "0.00")))
        rows.append(row)
    return f"<h2>{_e(title)}（元）</h2>" + _table(head, rows)


def _deciles(data: dict[str, Any]) -> str:
    reform = data.get("reform")
    rows_src = reform["deciles"] if reform else data["baseline"]["deciles"]
    head = ["十分位", "人数", "医疗费合计", "个人负担合计"]
    if reform:
        head += ["改革后个人负担", "人均变化", "受益", "受损"]
    rows = []
    for r in rows_src:
        row = [
            str(r["decile"]),
            f"{r['persons']:,}",
            _money(r["medfee_sumamt"]),
            _money(r["psn_part_amt"]),
        ]
        if reform:
            row += [
                _money(r["reform_psn_part_amt"]),
                r["mean_change"],
                f"{r['winners']:,}",
                f"{r['losers']:,}",
            ]
        rows.append(row)
    return _table(head, rows)


def render_html(data: dict[str, Any], reform: Policy | None) -> str:
    base, ref = data["baseline"], data.get("reform")
    labels = {k: {c: str(lab(c)) for c in base[k]} for k, (_, lab) in SLICE_LABELS.items()}
    payload = json.dumps({**data, "labels": labels}, ensure_ascii=False).replace("<", "\\u003c")
    title = f"政策测算：{base['policy']}"
    intro = f"{base['claims']:,} 条就医记录，{base['persons']:,} 人（金额单位：元）。"
    if base["skipped_claims"]:
        intro += f"其他政策的 {base['skipped_claims']:,} 条记录未计入。"
    parts = [f"<h1>{_e(title)}</h1>", f'<p class="note">{_e(intro)}</p>']
    legend = '<p class="note legend"><span style="background:#0b63b6"></span>现行政策'
    if ref is not None and reform is not None:
        ch = ref["change"]
        parts.append(
            f'<p class="note">改革方案：{_e(reform.label)}（{_e(ref["file"])}，政策 ID {_e(reform.id)}）</p>'
        )
        legend += '<span style="background:#f0a202"></span>改革方案'
        summary = (
            f"个人负担减少（受益）{ch['winners']:,} 人，增加（受损）{ch['losers']:,} 人，"
            f"不变 {ch['unchanged']:,} 人；个人负担合计变化 {_money(ch['psn_part_amt'])} 元。"
        )
    legend += "</p>"
    parts += ["<h2>合计</h2>", _cards(data)]
    if ref is not None:
        parts.append(f"<p>{_e(summary)}</p>")
        if ref["change"]["affected_deciles"]:
            cuts = "、".join(
                f'<span class="nb">{_e(_money(v))}</span>'
                for v in ref["change"]["affected_deciles"]
            )
            parts.append(
                f'<p class="note">负担有变化的人，每人变化的十分位点（10%…90%）：{cuts}</p>'
            )
    parts += [
        "<h2>基金支付：按医院等级（万元）</h2>",
        legend,
        '<div id="chart-level" class="chart"></div>',
    ]
    parts += [
        "<h2>基金支付：按医疗类别（万元）</h2>",
        legend,
        '<div id="chart-med" class="chart"></div>',
    ]
    parts += [_slice_section(k, data) for k in SLICE_LABELS]
    what = "人均个人负担变化（元，负数为减少）" if ref else "人均个人负担（元）"
    parts += [f"<h2>按医疗费十分位：{what}</h2>", '<div id="chart-decile" class="chart"></div>']
    parts.append(
        '<p class="note">1 = 全年医疗费最低的 10% 人员，10 = 最高的 10%。</p>' + _deciles(data)
    )
    capped = f"现行 {base['capped']['persons']:,} 人"
    if ref is not None:
        capped += f"；改革后 {ref['capped']['persons']:,} 人"
    parts.append(f"<h2>达到支付限额（封顶）的人数</h2><p>{_e(capped)}</p>")
    if base["ineligible"]:
        refused = sorted(base["ineligible"].items(), key=lambda kv: -kv[1])
        rows = [[INELIGIBLE.get(k) or k, f"{v:,}"] for k, v in refused]
        parts.append("<h2>不予支付的记录</h2>" + _table(["原因", "记录数"], rows))
    parts.append(
        '<p class="note">由 yibao simulate 生成；图表库 Apache ECharts（Apache-2.0）已内嵌，可离线打开。</p>'
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body><main>"
        + "".join(parts)
        + f'</main><script type="application/json" id="sim-data">{payload}</script>'
        + f"<script>{echarts_source()}</script><script>{CHARTS}</script></body></html>\n"
    )


def write_html_report(path: Path, data: dict[str, Any], reform: Policy | None) -> None:
    path.write_text(render_html(data, reform), encoding="utf-8")


__all__ = ["echarts_source", "render_html", "write_html_report"]
