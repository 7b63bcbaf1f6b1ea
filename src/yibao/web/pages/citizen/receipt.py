"""The 结算单 as a PDF, with reportlab's built-in CJK CID font (STSong-Light): no font file."""

from __future__ import annotations

import io
from html import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from yibao.services.statements import SettlementView

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def settlement_pdf(s: SettlementView, name: str, masked_certno: str) -> bytes:
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, title=f"结算单 {s.setl_id}"
    )
    title = ParagraphStyle("t", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
    body = ParagraphStyle("b", fontName=FONT, fontSize=10.5, leading=16)
    rows = [
        ["结算编号", s.setl_id, "结算日期", s.setl_date.isoformat()],
        ["姓名", name, "身份证号", masked_certno],
        ["医疗机构", s.institution, "医疗类别", s.med_type],
        ["医疗费总额", f"{s.medfee} 元", "统筹基金支付", f"{s.fund_pay} 元"],
        ["个人账户支付", f"{s.acct_pay} 元", "个人现金支付", f"{s.cash_pay} 元"],
        ["全自费", f"{s.fulamt_ownpay} 元", "超限价自费", f"{s.overlmt_selfpay} 元"],
        ["先行自付", f"{s.preselfpay} 元", "起付线", f"{s.deductible} 元"],
    ]
    table = Table(rows, colWidths=[28 * mm, 58 * mm, 28 * mm, 58 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                ("BACKGROUND", (2, 0), (2, -1), colors.whitesmoke),
            ]
        )
    )
    story = [
        Paragraph("医疗保障基金结算单", title),
        Paragraph(escape(f"医保政策：{s.policy}") + ("（已撤销）" if s.reversed else ""), body),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph("费用说明", title),
    ]
    story += [Paragraph(escape(f"{i}. {line}"), body) for i, line in enumerate(s.explanation, 1)]
    doc.build(story)
    return buf.getvalue()
