"""The settlement case (spec section 1): parsed from JSON-like data, validated against the
policy in force, into plain frozen objects the engine computes on.

Every error is a :class:`CaseError` naming the field by its path (``encounter.items[2].amount``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from yibao.domain.money import ZERO, AmountError, parse_amount
from yibao.domain.shown import shown
from yibao.rules.errors import CaseError
from yibao.rules.policy import LEVELS, MED_TYPES, ROUTES, SCHEMES, THERAPIES, PolicyVersion
from yibao.rules.registry import PolicyRegistry, default_registry

LIST_TYPES = ("A", "B", "C")
CAUSES = (
    "self_harm",
    "violence_crime",
    "third_party",
    "cosmetic",
    "work_injury",
    "maternity_insurance",
    "other_excluded",
)

_TOP = {"policy", "date", "person", "year_to_date", "encounter"}
_PERSON = {"group", "account_balance", "use_account", "continuous_years"}
_YTD = {
    "admissions",
    "oncology_deductible_paid",
    "fund_paid",
    "outpatient_deductible_paid",
    "outpatient_fund_paid",
    "outpatient_eligible",
    "chronic",
    "serious_illness_base",
    "serious_illness_paid",
}
YTD_AMOUNTS = (
    "fund_paid",
    "outpatient_deductible_paid",
    "outpatient_fund_paid",
    "outpatient_eligible",
    "serious_illness_base",
    "serious_illness_paid",
)
_CHRONIC_YTD = {"deductible_paid", "fund_paid", "months"}
_ENCOUNTER = {
    "med_type",
    "hospital_level",
    "designated",
    "approved",
    "route",
    "at_first_visit_hospital",
    "cause",
    "mental_illness",
    "oncology_course",
    "chronic",
    "therapy",
    "items",
}
_ITEM = {"name", "list_type", "amount", "selfpay_prop", "limit_amount", "code"}


@dataclass(frozen=True, slots=True)
class Item:
    name: str
    list_type: str
    amount: Decimal
    selfpay_prop: Decimal | None = None
    limit_amount: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ChronicYtd:
    deductible_paid: Decimal = ZERO
    fund_paid: Decimal = ZERO
    months: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class YearToDate:
    admissions: int = 0
    oncology_deductible_paid: bool = False
    fund_paid: Decimal = ZERO
    outpatient_deductible_paid: Decimal = ZERO
    outpatient_fund_paid: Decimal = ZERO
    outpatient_eligible: Decimal = ZERO
    chronic: Mapping[str, ChronicYtd] = field(default_factory=dict)
    serious_illness_base: Decimal = ZERO
    serious_illness_paid: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Case:
    policy: PolicyVersion
    date: date
    group: str
    med_type: str
    hospital_level: int
    items: tuple[Item, ...]
    account_balance: Decimal | None = None
    use_account: bool = True
    continuous_years: int = 0
    ytd: YearToDate = field(default_factory=YearToDate)
    designated: bool = True
    approved: bool = False
    route: str = "normal"
    at_first_visit_hospital: bool = True
    cause: str | None = None
    mental_illness: bool = False
    oncology_course: bool = False
    chronic_class: str | None = None
    chronic_disease: str | None = None
    therapy: str | None = None


def _obj(raw: Any, path: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise CaseError(path or "(case)", "应为 JSON 对象")
    unknown = set(raw) - allowed
    if unknown:
        name = sorted(unknown)[0]
        where = f"{path}.{name}" if path else name
        raise CaseError(where, f"未知字段，可用字段：{', '.join(sorted(allowed))}")
    return raw


def _amount(raw: Any, path: str) -> Decimal:
    try:
        return parse_amount(raw)
    except AmountError as exc:
        raise CaseError(path, str(exc)) from None
    except ArithmeticError:  # too many digits to hold exactly (decimal.InvalidOperation)
        raise CaseError(path, f"金额格式不正确：{shown(raw)}") from None


def _table(raw: Any, path: str) -> Mapping[str, Any]:
    """A mapping with free keys (disease codes, months); absent is empty."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise CaseError(path, "应为 JSON 对象")
    return raw


MONTHS = tuple(f"{m:02d}" for m in range(1, 13))


def _month(raw: Any, path: str) -> str:
    if raw not in MONTHS:
        raise CaseError(path, f"月份应为 01 到 12 的两位字符串，实际是 {shown(raw)}")
    return str(raw)


def _ratio(raw: Any, path: str) -> Decimal:
    if isinstance(raw, float):
        raise CaseError(path, '比例不能是浮点数，请用字符串，如 "0.10"')
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise CaseError(path, '应为 0 到 1 之间的比例字符串，如 "0.10"')
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except ArithmeticError:
        raise CaseError(path, f"比例格式不正确：{shown(raw)}") from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise CaseError(path, f"比例应在 0 到 1 之间：{shown(raw)}")
    return value


def _bool(data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    raw = data.get(key)
    if raw is None:
        return default
    if not isinstance(raw, bool):
        raise CaseError(f"{path}.{key}", "应为 true 或 false")
    return raw


def _int(data: Mapping[str, Any], key: str, path: str, default: int | None) -> int:
    raw = data.get(key)
    if raw is None:
        if default is None:
            raise CaseError(f"{path}.{key}", "必填")
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise CaseError(f"{path}.{key}", f"应为非负整数，实际是 {shown(raw)}")
    return raw


def _code(raw: Any, path: str, allowed: tuple[str, ...]) -> str:
    if raw not in allowed:
        raise CaseError(path, f"未知的代码 {shown(raw)}，可用：{', '.join(allowed)}")
    return str(raw)


def _ytd(raw: Any) -> YearToDate:
    if raw is None:
        return YearToDate()
    data = _obj(raw, "year_to_date", _YTD)
    amounts = {
        k: _amount(data[k], f"year_to_date.{k}") for k in YTD_AMOUNTS if data.get(k) is not None
    }
    chronic: dict[str, ChronicYtd] = {}
    for code, entry in _table(data.get("chronic"), "year_to_date.chronic").items():
        p = f"year_to_date.chronic.{code}"
        e = _obj(entry, p, _CHRONIC_YTD)
        months = {
            _month(m, f"{p}.months.{m}"): _amount(v, f"{p}.months.{m}")
            for m, v in _table(e.get("months"), f"{p}.months").items()
        }
        chronic[str(code)] = ChronicYtd(
            deductible_paid=_amount(e.get("deductible_paid", "0"), f"{p}.deductible_paid"),
            fund_paid=_amount(e.get("fund_paid", "0"), f"{p}.fund_paid"),
            months=months,
        )
    return YearToDate(
        admissions=_int(data, "admissions", "year_to_date", 0),
        oncology_deductible_paid=_bool(data, "oncology_deductible_paid", "year_to_date", False),
        chronic=chronic,
        **amounts,
    )


def _items(raw: Any) -> tuple[Item, ...]:
    if not isinstance(raw, list):
        raise CaseError("encounter.items", "应为费用明细数组")
    out = []
    for i, row in enumerate(raw):
        p = f"encounter.items[{i}]"
        d = _obj(row, p, _ITEM)
        name = d.get("name", "")
        if not isinstance(name, str):
            raise CaseError(f"{p}.name", "应为字符串")
        if "amount" not in d:
            raise CaseError(f"{p}.amount", "必填")
        out.append(
            Item(
                name=name,
                list_type=_code(d.get("list_type"), f"{p}.list_type", LIST_TYPES),
                amount=_amount(d["amount"], f"{p}.amount"),
                selfpay_prop=None
                if d.get("selfpay_prop") is None
                else _ratio(d["selfpay_prop"], f"{p}.selfpay_prop"),
                limit_amount=None
                if d.get("limit_amount") is None
                else _amount(d["limit_amount"], f"{p}.limit_amount"),
            )
        )
    return tuple(out)


def _policy(data: Mapping[str, Any], registry: PolicyRegistry) -> tuple[PolicyVersion, date]:
    pid = data.get("policy")
    if pid is None:
        raise CaseError("policy", f"必填，可选：{', '.join(registry.ids())}")
    policy = registry.get(pid) if isinstance(pid, str) else None
    if policy is None:
        raise CaseError("policy", f"未知的医保政策 {shown(pid)}，可选：{', '.join(registry.ids())}")
    raw_date = data.get("date")
    if not isinstance(raw_date, str):
        raise CaseError("date", "必填，格式 YYYY-MM-DD")
    try:
        when = date.fromisoformat(raw_date)
    except ValueError:
        raise CaseError("date", f"日期格式不正确：{shown(raw_date)}，应为 YYYY-MM-DD") from None
    if len(raw_date) != 10:
        raise CaseError("date", f"日期格式不正确：{shown(raw_date)}，应为 YYYY-MM-DD")
    version = policy.version_on(when)
    if version is None:
        raise CaseError(
            "date",
            f"{policy.id} 在 {raw_date} 没有生效的版本（最早 "
            f"{policy.first_date.isoformat()} 起生效）",
        )
    return version, when


def parse_case(raw: Any, registry: PolicyRegistry | None = None) -> Case:
    """Validate a case (a dict as decoded from JSON) and build a :class:`Case`."""
    reg = registry or default_registry()
    data = _obj(raw, "", _TOP)
    policy, when = _policy(data, reg)
    person = _obj(data.get("person"), "person", _PERSON)
    group = person.get("group")
    if group not in policy.groups:
        raise CaseError(
            "person.group",
            f"未知的人员类别 {shown(group)}，{policy.id} 可用：{', '.join(policy.groups)}",
        )
    balance = None
    if person.get("account_balance") is not None:
        if not policy.personal_account:
            raise CaseError(
                "person.account_balance",
                f"{policy.id} 不设个人账户（{', '.join(SCHEMES[policy.scheme])}），此字段不适用",
            )
        balance = _amount(person["account_balance"], "person.account_balance")
    enc = _obj(data.get("encounter"), "encounter", _ENCOUNTER)
    med_type = _code(enc.get("med_type"), "encounter.med_type", MED_TYPES)
    level = enc.get("hospital_level")
    if isinstance(level, bool) or level not in LEVELS:
        raise CaseError("encounter.hospital_level", f"应为 1、2 或 3，实际是 {shown(level)}")
    cause = enc.get("cause")
    if cause is not None:
        cause = _code(cause, "encounter.cause", CAUSES)
    therapy = enc.get("therapy")
    if therapy is not None:
        therapy = _code(therapy, "encounter.therapy", THERAPIES)
    chronic_class, disease = _chronic(enc.get("chronic"), med_type, policy)
    return Case(
        policy=policy,
        date=when,
        group=str(group),
        med_type=med_type,
        hospital_level=int(level),
        items=_items(enc.get("items")),
        account_balance=balance,
        use_account=_bool(person, "use_account", "person", True),
        continuous_years=_int(person, "continuous_years", "person", 0),
        ytd=_ytd(data.get("year_to_date")),
        designated=_bool(enc, "designated", "encounter", True),
        approved=_bool(enc, "approved", "encounter", False),
        route=_code(enc.get("route") or "normal", "encounter.route", ROUTES),
        at_first_visit_hospital=_bool(enc, "at_first_visit_hospital", "encounter", True),
        cause=cause,
        mental_illness=_bool(enc, "mental_illness", "encounter", False),
        oncology_course=_bool(enc, "oncology_course", "encounter", False),
        chronic_class=chronic_class,
        chronic_disease=disease,
        therapy=therapy,
    )


def _chronic(raw: Any, med_type: str, policy: PolicyVersion) -> tuple[str | None, str | None]:
    if raw is None:
        if med_type == "chronic_outpatient" and policy.chronic_classes:
            raise CaseError(
                "encounter.chronic.class",
                f"门诊慢特病须给出类别，{policy.id} 可用：{', '.join(policy.chronic_classes)}",
            )
        return None, None
    data = _obj(raw, "encounter.chronic", {"class", "disease"})
    cls, disease = data.get("class"), data.get("disease")
    if disease is not None and (not isinstance(disease, str) or not disease.strip()):
        raise CaseError("encounter.chronic.disease", "应为病种代码字符串")
    if cls is not None and not isinstance(cls, str):
        raise CaseError("encounter.chronic.class", "应为类别代码字符串")
    if med_type != "chronic_outpatient":
        return cls, disease  # carried, not used: only chronic outpatient care reads it
    if not policy.chronic_classes:
        if cls is not None:
            raise CaseError(
                "encounter.chronic.class", f"{policy.id} 的门诊慢特病不分类别，此字段不适用"
            )
        return None, disease
    if cls is None or cls not in policy.chronic_classes:
        raise CaseError(
            "encounter.chronic.class",
            f"{policy.id} 没有慢性病类别 {shown(cls)}，可用：{', '.join(policy.chronic_classes)}",
        )
    benefit = policy.chronic_classes[cls]
    needs_disease = (
        benefit.monthly_quota is not None
        or benefit.disease_cap is not None
        or (benefit.deductible is not None and benefit.deductible.per == "disease_year")
    )
    if needs_disease and disease is None:
        raise CaseError("encounter.chronic.disease", "此类慢性病按病种计算，须给出病种代码")
    if benefit.diseases is not None and disease not in benefit.diseases:
        raise CaseError(
            "encounter.chronic.disease",
            f"未知的病种 {shown(disease)}，可用：{', '.join(benefit.diseases)}",
        )
    return cls, disease
