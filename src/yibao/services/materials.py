"""Material checklists (所需材料) for each kind of application, from the source documents.

Each entry says what the material is, whether an upload is required online, and which source
names it. Items a person cannot upload (the card itself, a bank account) are form fields or
are listed for information only (``upload`` False).
"""

from __future__ import annotations

from dataclasses import dataclass

from yibao.domain.text import N_


@dataclass(frozen=True, slots=True)
class Material:
    key: str
    label: str
    source: str
    upload: bool = True
    required: bool = True


INVOICE = Material("invoice", N_("医疗费用发票或收据原件（盖章）"), "000、001、002、003")
FEE_LIST = Material(
    "fee_list", N_("费用明细清单（列明药品、检查项目，盖章）"), "000、001、002、003"
)
DIAGNOSIS = Material("diagnosis", N_("诊断证明或病历记录"), "001、002、003")
DISCHARGE = Material("discharge", N_("出院记录或出院小结（盖章）"), "000、002")
CONSENT = Material(
    "consent",
    N_("使用目录以外药品及特殊诊疗项目的志愿书复印件（如有）"),
    "000",
    required=False,
)
TESTS = Material("tests", N_("检查、检验结果报告单"), "001", required=False)
PRESCRIPTION = Material("prescription", N_("处方或电脑打印的门诊费用明细"), "001")
ID_CARD = Material(
    "id_card", N_("身份证或社会保障卡（填写申请时已核验本人身份）"), "001、003", upload=False
)
BANK = Material("bank_account", N_("本人银行卡信息（用于打款，在表单中填写）"), "002", upload=False)
REFERRAL_FORM = Material("referral_form", N_("转诊审批表"), "001")
RESIDENCE = Material("residence", N_("异地居住证明（居住证、工作证明等）"), "declared")
INPATIENT_RECORD = Material("inpatient_record", N_("住院病历（应包括全部阳性指标检查）"), "001")

ALL = (
    INVOICE, FEE_LIST, DIAGNOSIS, DISCHARGE, CONSENT, TESTS, PRESCRIPTION, ID_CARD, BANK,
    REFERRAL_FORM, RESIDENCE, INPATIENT_RECORD,
)  # fmt: skip
# a material's key (as stored with an uploaded file) -> its label
LABELS = {m.key: m.label for m in ALL}

CLAIM_TYPES = {
    "outpatient": N_("门诊费用"),
    "inpatient": N_("住院费用"),
    "chronic_outpatient": N_("门诊慢特病费用"),
}

CLAIM_MATERIALS: dict[str, tuple[Material, ...]] = {
    "outpatient": (ID_CARD, INVOICE, FEE_LIST, DIAGNOSIS, TESTS, BANK),
    "inpatient": (ID_CARD, INVOICE, FEE_LIST, DIAGNOSIS, DISCHARGE, CONSENT, BANK),
    "chronic_outpatient": (ID_CARD, INVOICE, PRESCRIPTION, DIAGNOSIS, TESTS, BANK),
}

FILING_MATERIALS: dict[str, tuple[Material, ...]] = {
    "long_term": (ID_CARD, RESIDENCE),
    "temporary": (ID_CARD,),
    "referral": (ID_CARD, REFERRAL_FORM),
}

CHRONIC_MATERIALS: tuple[Material, ...] = (ID_CARD, DIAGNOSIS, INPATIENT_RECORD, TESTS)


def uploads(checklist: tuple[Material, ...]) -> tuple[Material, ...]:
    """The materials of a checklist that are uploaded."""
    return tuple(m for m in checklist if m.upload)


def missing(checklist: tuple[Material, ...], uploaded: set[str]) -> list[Material]:
    """Required uploads not among ``uploaded`` (material keys)."""
    return [m for m in checklist if m.upload and m.required and m.key not in uploaded]
