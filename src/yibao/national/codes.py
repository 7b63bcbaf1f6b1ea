"""Code tables of the national interface, and how they map onto the engine's terms."""

from __future__ import annotations

# med_type (医疗类别) -> (engine med_type, route)
MED_TYPES: dict[str, tuple[str, str]] = {
    "11": ("outpatient", "normal"),  # 普通门诊
    "13": ("outpatient", "normal"),  # 急诊
    "14": ("chronic_outpatient", "normal"),  # 门诊慢特病
    "21": ("inpatient", "normal"),  # 普通住院
    "22": ("inpatient", "normal"),  # 外伤住院
    "23": ("inpatient", "transfer_out"),  # 转外诊治住院
    "24": ("inpatient", "emergency"),  # 急诊转住院
    "71": ("inpatient", "normal"),  # 家庭病床
    "51": ("maternity", "normal"),  # 生育门诊
    "52": ("maternity", "normal"),  # 生育住院
}
OUTPATIENT_MED_TYPES = ("11", "13", "14", "51")
INPATIENT_MED_TYPES = ("21", "22", "23", "24", "71", "52")

MED_TYPE_NAMES = {
    "11": "普通门诊",
    "13": "急诊",
    "14": "门诊慢特病",
    "21": "普通住院",
    "22": "外伤住院",
    "23": "转外诊治住院",
    "24": "急诊转住院",
    "51": "生育门诊",
    "52": "生育住院",
    "71": "家庭病床",
}

# chrgitm_lv (收费项目等级) -> engine list_type
CHRGITM_LV = {"01": "A", "02": "B", "03": "C"}
LIST_TYPE_TO_CHRGITM_LV = {v: k for k, v in CHRGITM_LV.items()}

INSUTYPE = {"employee": "310", "resident": "390"}
INSUTYPE_NAMES = {"310": "职工基本医疗保险", "390": "城乡居民基本医疗保险"}

CERT_TYPES = {"01": "医保电子凭证", "02": "居民身份证", "03": "社会保障卡"}

# fund_pay_type (基金支付类型) for setldetail rows
FUND_POOLED = {"employee": "310100", "resident": "390100"}
FUND_SERIOUS = {"employee": "330100", "resident": "390200"}
FUND_ACCOUNT = "310200"
FUND_NAMES = {
    "310100": "城镇职工基本医疗保险统筹基金",
    "310200": "城镇职工基本医疗保险个人账户基金",
    "330100": "大额医疗费用补助基金",
    "390100": "城乡居民基本医疗保险基金",
    "390200": "城乡居民大病医疗保险基金",
}

# clr_type (清算类别)
CLR_OUTPATIENT, CLR_INPATIENT, CLR_PHARMACY = "11", "21", "41"
