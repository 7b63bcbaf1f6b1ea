"""Chinese wording for the explanation lines and pages."""

from __future__ import annotations

from decimal import Decimal

LEVEL = {1: "一级医院", 2: "二级医院", 3: "三级医院"}
GROUP = {
    "in_service": "在职",
    "retired": "退休",
    "adult": "成人",
    "minor": "未成年人",
    "student": "大学生",
}
MED_TYPE = {
    "outpatient": "普通门诊",
    "chronic_outpatient": "门诊慢特病",
    "inpatient": "住院",
    "maternity": "生育",
}
ROUTE = {
    "normal": "正常就医",
    "referral": "转诊",
    "transfer_out": "转外地就医",
    "emergency": "急诊",
}
LIST_TYPE = {"A": "甲类", "B": "乙类", "C": "丙类"}
INELIGIBLE = {
    "non_designated": "在非定点医药机构就医且未经批准",
    "self_harm": "自杀、自残（精神疾病患者除外）",
    "violence_crime": "打架、斗殴、酗酒、吸毒、犯罪或违反治安管理处罚法",
    "third_party": "应由第三人负担（交通事故、意外伤害、医疗事故）",
    "cosmetic": "美容、矫形、生理缺陷治疗",
    "work_injury": "应由工伤保险支付（工伤、职业病）",
    "maternity_insurance": "应由生育保险支付",
    "other_excluded": "国家和省市规定的其他不予支付情形",
    "not_first_visit_hospital": "普通门诊未在本人的首诊医院就医",
    "no_referral": "未经转诊在非首诊医院住院",
    "waiting_period": "连续缴费年限不足",
    "benefit_not_covered": "本政策没有此类待遇",
}


def pct(rate: Decimal) -> str:
    """0.8 -> '80%', 0.875 -> '87.5%'."""
    text = format((rate * 100).normalize(), "f")
    return f"{text}%"
