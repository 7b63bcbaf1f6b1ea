"""Load and validate policy files (YAML, values keyed by the date they take effect).

A *parameter* is any mapping with a ``values`` key: ``{DATE: VALUE}`` or
``{DATE: {value: VALUE, source: KEY}}``, with an optional default ``source``, ``label``,
``unit`` and ``note``. Everything else in ``parameters`` is structure. For every date on
which any value takes effect the loader resolves the whole tree and compiles it into a
:class:`~yibao.rules.policy.PolicyVersion`, so a bad value is reported with the file, the
key and the version date — at load time, never in the middle of a settlement.
See ``docs/policy-format.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from yibao.domain.shown import shown
from yibao.rules.errors import PolicyError
from yibao.rules.policy import (
    CAP_KINDS,
    DEDUCTIBLE_KINDS,
    EMPLOYEE_GROUPS,
    LEVELS,
    MED_TYPES,
    ROUTES,
    SCHEMES,
    THERAPIES,
    Band,
    Bands,
    Benefit,
    Deductible,
    ParameterValue,
    Policy,
    PolicyVersion,
    RateTable,
    RouteRate,
    SeriousIllness,
)

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
ONE = Decimal(1)


class _DecimalLoader(yaml.SafeLoader):
    """SafeLoader that reads YAML floats as exact Decimals (0.85 stays 0.85)."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(
            None, None, f"不是数字：{text}", node.start_mark
        ) from None
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(None, None, f"不是有限数：{text}", node.start_mark)
    return value


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_DecimalLoader)


class _Compiler:
    """Turns one resolved parameter tree into a PolicyVersion, reporting errors by key."""

    def __init__(self, file: str, version: date) -> None:
        self.file = file
        self.version = version

    def fail(self, key: str, message: str) -> PolicyError:
        return PolicyError(self.file, key, f"{message}（{self.version.isoformat()} 起的版本）")

    def decimal(self, key: str, raw: Any, *, rate: bool = False) -> Decimal:
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
            raise self.fail(key, f"应为数字，实际是 {shown(raw)}")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.fail(key, f"应为数字，实际是 {shown(raw)}") from None
        if value < 0:
            raise self.fail(key, f"不能为负数：{raw}")
        if rate and value > ONE:
            raise self.fail(key, f"比例应在 0 到 1 之间：{raw}")
        return value

    def mapping(self, key: str, raw: Any) -> Mapping[Any, Any]:
        if not isinstance(raw, Mapping):
            raise self.fail(key, f"应为映射（键: 值），实际是 {shown(raw)}")
        return raw

    def levels(self, key: str, raw: Any) -> dict[int, Decimal]:
        table = self.mapping(key, raw)
        if set(table) != set(LEVELS):
            raise self.fail(
                key, f"应按医院等级 1、2、3 各给一个值，实际键为 {sorted(table, key=str)}"
            )
        return {lv: self.decimal(f"{key}.{lv}", table[lv]) for lv in LEVELS}

    def bands(self, key: str, raw: Any) -> Bands:
        if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
            return (Band(Decimal(0), None, self.decimal(key, raw, rate=True)),)
        if not isinstance(raw, list) or not raw:
            raise self.fail(key, "应为一个比例，或分段列表 [{from, to, rate}, ...]")
        out: list[Band] = []
        for i, row in enumerate(raw):
            k = f"{key}[{i}]"
            row = self.mapping(k, row)
            unknown = set(row) - {"from", "to", "rate"}
            if unknown or "rate" not in row:
                raise self.fail(k, "分段应只含 from、to、rate，且必须有 rate")
            lo = self.decimal(f"{k}.from", row.get("from", 0))
            hi = None if row.get("to") is None else self.decimal(f"{k}.to", row["to"])
            if hi is not None and hi <= lo:
                raise self.fail(k, f"分段上限 {hi} 应大于下限 {lo}")
            if out and (out[-1].hi is None or lo < out[-1].hi):
                raise self.fail(k, "分段应按从低到高排列且互不重叠")
            out.append(Band(lo, hi, self.decimal(f"{k}.rate", row["rate"], rate=True)))
        return tuple(out)

    def rate_table(self, key: str, raw: Any, groups: tuple[str, ...]) -> RateTable:
        if not isinstance(raw, Mapping):
            return RateTable(flat=self.bands(key, raw))
        keys = set(raw)
        if keys <= set(LEVELS):
            if keys != set(LEVELS):
                raise self.fail(key, "按医院等级给比例时，1、2、3 级都要有")
            return RateTable(by_level={lv: self.bands(f"{key}.{lv}", raw[lv]) for lv in LEVELS})
        if keys != set(groups):
            raise self.fail(
                key, f"应按医院等级（1、2、3）或人员类别（{'、'.join(groups)}）分别给出"
            )
        return RateTable(
            by_group={g: self.rate_table(f"{key}.{g}", raw[g], groups) for g in groups}
        )

    def deductible(self, key: str, raw: Any, groups: tuple[str, ...]) -> Deductible:
        rule = self.mapping(key, raw)
        per = rule.get("per")
        if per not in DEDUCTIBLE_KINDS:
            raise self.fail(
                f"{key}.per", f"应为 {'、'.join(DEDUCTIBLE_KINDS)} 之一，实际是 {shown(per)}"
            )
        allowed = {"admission": {"by_level", "by_group_level"}, "admission_order": {"amounts"}}.get(
            per, {"amount"}
        )
        extra = set(rule) - allowed - {"per"}
        if extra or not set(rule) & allowed:
            raise self.fail(key, f"per: {per} 的起付线应给出 {' 或 '.join(sorted(allowed))}")
        if "by_level" in rule:
            return Deductible(per, by_level=self.levels(f"{key}.by_level", rule["by_level"]))
        if "by_group_level" in rule:
            table = self.mapping(f"{key}.by_group_level", rule["by_group_level"])
            if set(table) != set(groups):
                raise self.fail(
                    f"{key}.by_group_level", f"应为每个人员类别（{'、'.join(groups)}）各给一组"
                )
            return Deductible(
                per,
                by_group_level={
                    g: self.levels(f"{key}.by_group_level.{g}", table[g]) for g in groups
                },
            )
        if "amounts" in rule:
            amounts = rule["amounts"]
            if not isinstance(amounts, list) or not amounts:
                raise self.fail(f"{key}.amounts", "应为按第 1、2、3…次住院排列的金额列表")
            return Deductible(
                per,
                amounts=tuple(
                    self.decimal(f"{key}.amounts[{i}]", a) for i, a in enumerate(amounts)
                ),
            )
        return Deductible(per, amount=self.decimal(f"{key}.amount", rule["amount"]))

    def rate_map(self, key: str, raw: Any, allowed: tuple[str, ...]) -> dict[str, Decimal]:
        table = self.mapping(key, raw)
        bad = set(table) - set(allowed)
        if bad:
            raise self.fail(key, f"未知的键 {sorted(bad)}，可用：{'、'.join(allowed)}")
        return {k: self.decimal(f"{key}.{k}", v, rate=True) for k, v in table.items()}

    def benefit(self, key: str, name: str, raw: Any, groups: tuple[str, ...]) -> Benefit | None:
        node = self.mapping(key, raw)
        known = {
            "label",
            "rates",
            "deductible",
            "oncology_deductible_once_a_year",
            "group_bonus",
            "therapy_bonus",
            "route_rates",
            "axis",
            "cap",
            "disease_cap",
            "monthly_quota",
            "diseases",
            "waiting_years",
            "b_list_preselfpay",
            "classes",
        }
        unknown = set(node) - known
        if unknown:
            raise self.fail(key, f"未知的参数 {sorted(unknown)}")
        if "rates" not in node:
            return None  # no benefit in force on this date
        rates = self.rate_table(f"{key}.rates", node["rates"], groups)
        cap_raw = node.get("cap", "shared")
        own_cap = None
        if isinstance(cap_raw, Mapping):
            if set(cap_raw) != {"own"}:
                raise self.fail(f"{key}.cap", "单独限额写作 {own: 金额}")
            own_cap = self.decimal(f"{key}.cap.own", cap_raw["own"])
            cap = "own"
        elif cap_raw in CAP_KINDS and cap_raw != "own":
            cap = str(cap_raw)
        else:
            raise self.fail(f"{key}.cap", "应为 shared（计入年度限额）、none 或 {own: 金额}")
        axis = node.get("axis", "encounter")
        if axis not in ("encounter", "year"):
            raise self.fail(f"{key}.axis", "应为 encounter（按次）或 year（按年度累计）")
        diseases = node.get("diseases")
        quota = None
        if "monthly_quota" in node:
            quota = {
                str(k): self.decimal(f"{key}.monthly_quota.{k}", v)
                for k, v in self.mapping(f"{key}.monthly_quota", node["monthly_quota"]).items()
            }
            if diseases is None or set(quota) - set(diseases):
                raise self.fail(f"{key}.monthly_quota", "定额病种必须列在 diseases 中")
        route_rates: dict[str, RouteRate] = {}
        for route, rr in self.mapping(f"{key}.route_rates", node.get("route_rates", {})).items():
            k = f"{key}.route_rates.{route}"
            if route not in ROUTES:
                raise self.fail(k, f"未知的就医方式，可用：{'、'.join(ROUTES)}")
            rr = self.mapping(k, rr)
            route_rates[route] = RouteRate(
                self.decimal(f"{k}.rate", rr.get("rate"), rate=True),
                bool(rr.get("elsewhere_only", False)),
            )
        waiting = node.get("waiting_years", 0)
        if isinstance(waiting, bool) or not isinstance(waiting, int) or waiting < 0:
            raise self.fail(f"{key}.waiting_years", "应为非负整数")
        return Benefit(
            key=name,
            label=str(node.get("label", name)),
            rates=rates,
            deductible=(
                self.deductible(f"{key}.deductible", node["deductible"], groups)
                if node.get("deductible") is not None
                else None
            ),
            oncology_once=bool(node.get("oncology_deductible_once_a_year", False)),
            group_bonus=self.rate_map(f"{key}.group_bonus", node.get("group_bonus", {}), groups),
            therapy_bonus=self.rate_map(
                f"{key}.therapy_bonus", node.get("therapy_bonus", {}), THERAPIES
            ),
            route_rates=route_rates,
            axis=axis,
            cap=cap,
            own_cap=own_cap,
            disease_cap=(
                None
                if node.get("disease_cap") is None
                else self.decimal(f"{key}.disease_cap", node["disease_cap"])
            ),
            monthly_quota=quota,
            diseases=dict(diseases) if diseases else None,
            waiting_years=waiting,
            b_list_preselfpay=bool(node.get("b_list_preselfpay", True)),
        )

    def version_of(self, meta: Mapping[str, Any], params: Mapping[str, Any]) -> PolicyVersion:
        scheme = meta["scheme"]
        groups_raw = params.get("person_groups")
        if not isinstance(groups_raw, list) or not groups_raw:
            raise self.fail("parameters.person_groups", "应列出适用的人员类别")
        bad = set(groups_raw) - set(SCHEMES[scheme])
        if bad:
            raise self.fail(
                "parameters.person_groups",
                f"{scheme} 方案不能有人员类别 {sorted(bad)}，可用：{'、'.join(SCHEMES[scheme])}",
            )
        groups = tuple(str(g) for g in groups_raw)
        account = bool(params.get("personal_account", False))
        if account and scheme != "employee":
            raise self.fail("parameters.personal_account", "只有职工医保设个人账户")
        benefits: dict[str, Benefit] = {}
        classes: dict[str, Benefit] = {}
        for med_type, node in self.mapping(
            "parameters.benefits", params.get("benefits", {})
        ).items():
            key = f"parameters.benefits.{med_type}"
            if med_type not in MED_TYPES:
                raise self.fail(key, f"未知的医疗类别，可用：{'、'.join(MED_TYPES)}")
            node = self.mapping(key, node)
            if med_type == "chronic_outpatient" and "classes" in node:
                for cls, sub in self.mapping(f"{key}.classes", node["classes"]).items():
                    b = self.benefit(f"{key}.classes.{cls}", str(cls), sub, groups)
                    if b is not None:
                        classes[str(cls)] = b
                continue
            b = self.benefit(key, med_type, node, groups)
            if b is not None:
                benefits[med_type] = b
        if not benefits and not classes:
            raise self.fail("parameters.benefits", "此日期没有任何待遇在生效")
        si = None
        if params.get("serious_illness") is not None:
            node = self.mapping("parameters.serious_illness", params["serious_illness"])
            applies = node.get("applies_to", [])
            if not isinstance(applies, list) or set(applies) - set(MED_TYPES):
                raise self.fail("parameters.serious_illness.applies_to", "应为医疗类别列表")
            si = SeriousIllness(
                frozenset(applies),
                self.bands("parameters.serious_illness.bands", node.get("bands")),
            )
        cap = params.get("annual_cap")
        return PolicyVersion(
            id=meta["id"],
            label=meta["label"],
            scheme=scheme,
            region=meta["region"],
            version=self.version,
            groups=groups,
            personal_account=account,
            first_visit_hospital=bool(params.get("first_visit_hospital", False)),
            default_selfpay_prop=self.decimal(
                "parameters.default_selfpay_prop",
                params.get("default_selfpay_prop", "0.10"),
                rate=True,
            ),
            annual_cap=None if cap is None else self.decimal("parameters.annual_cap", cap),
            serious_illness=si,
            benefits=benefits,
            chronic_classes=classes,
            outpatient_account=params.get("outpatient_account"),
            claim_deadline_months=self.claim_deadline(params.get("claim_deadline_months")),
        )

    def claim_deadline(self, raw: Any) -> int | None:
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 36:
            raise self.fail("parameters.claim_deadline_months", "应为 1 到 36 之间的整数（月）")
        return raw


def _collect(
    file: str, node: Any, path: str, sources: Mapping[str, str], out: list[ParameterValue]
) -> None:
    """Find every dated parameter under ``node``."""
    if not isinstance(node, Mapping):
        return
    if "values" in node:
        values = node["values"]
        if not isinstance(values, Mapping) or not values:
            raise PolicyError(file, f"{path}.values", "应为 {生效日期: 数值} 的映射")
        default_source = node.get("source")
        for when, entry in values.items():
            key = f"{path}.values.{when}"
            if not isinstance(when, date):
                raise PolicyError(file, key, f"键应为生效日期 YYYY-MM-DD，实际是 {shown(when)}")
            source = default_source
            if isinstance(entry, Mapping) and "value" in entry:
                source = entry.get("source", default_source)
                entry = entry["value"]
            if source is None:
                raise PolicyError(file, key, "没有注明来源（source）")
            if str(source) not in sources:
                raise PolicyError(
                    file, key, f"来源 {shown(source)} 不在 sources 中：{sorted(sources)}"
                )
            out.append(
                ParameterValue(
                    path,
                    str(node.get("label", path)),
                    when,
                    entry,
                    str(source),
                    str(node.get("unit", "")),
                    str(node.get("note", "")),
                )
            )
        return
    for k, child in node.items():
        _collect(file, child, f"{path}.{k}", sources, out)


def _resolve(node: Any, path: str, values: Mapping[str, Any]) -> Any:
    """The parameter tree with each dated parameter replaced by its value in force."""
    if not isinstance(node, Mapping):
        return node
    if "values" in node:
        return values.get(path)
    out = {}
    for k, child in node.items():
        v = _resolve(child, f"{path}.{k}", values)
        if v is not None:
            out[k] = v
    return out


def parse_policy(text: str, file: str) -> Policy:
    """Parse and validate one policy file's text."""
    try:
        doc = load_yaml(text)
    except yaml.YAMLError as exc:
        raise PolicyError(file, "(YAML)", f"无法解析：{exc}") from None
    if not isinstance(doc, Mapping):
        raise PolicyError(file, "(top)", "文件应为一个映射")
    for key in ("id", "label", "scheme", "sources", "parameters"):
        if key not in doc:
            raise PolicyError(file, key, "缺少此项")
    pid = doc["id"]
    if not isinstance(pid, str) or not ID_RE.match(pid):
        raise PolicyError(file, "id", "应为小写字母、数字和连字符，如 nmg-employee")
    if doc["scheme"] not in SCHEMES:
        raise PolicyError(file, "scheme", f"应为 {'、'.join(SCHEMES)} 之一")
    sources = doc["sources"]
    if not isinstance(sources, Mapping) or not sources:
        raise PolicyError(file, "sources", "应列出来源：{键: 说明}")
    sources = {str(k): str(v) for k, v in sources.items()}
    if not isinstance(doc["parameters"], Mapping):
        raise PolicyError(file, "parameters", "应为映射")
    params: list[ParameterValue] = []
    _collect(file, doc["parameters"], "parameters", sources, params)
    if not params:
        raise PolicyError(file, "parameters", "没有任何带生效日期的参数")
    meta = {
        "id": pid,
        "label": str(doc["label"]),
        "scheme": doc["scheme"],
        "region": str(doc.get("region", "")),
    }
    versions = []
    for when in sorted({p.effective for p in params}):
        in_force: dict[str, Any] = {}
        for p in sorted(params, key=lambda p: p.effective):
            if p.effective <= when:
                in_force[p.path] = p.value
        tree = _resolve(doc["parameters"], "parameters", in_force)
        versions.append(_Compiler(file, when).version_of(meta, tree))
    return Policy(
        id=pid,
        label=meta["label"],
        scheme=meta["scheme"],
        region=meta["region"],
        file=file,
        sources=sources,
        versions=tuple(versions),
        parameters=tuple(params),
        notes=str(doc.get("notes", "")),
    )


def load_policy_file(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(str(path), "(file)", f"无法读取：{exc.strerror}") from None
    return parse_policy(text, path.name)


def load_builtin_policies(directory: Path = POLICY_DIR) -> dict[str, Policy]:
    out: dict[str, Policy] = {}
    for path in sorted(directory.glob("*.yaml")):
        policy = load_policy_file(path)
        if policy.id != path.stem:
            raise PolicyError(path.name, "id", f"应与文件名一致：{path.stem}")
        out[policy.id] = policy
    return out


__all__ = ["EMPLOYEE_GROUPS", "load_builtin_policies", "load_policy_file", "parse_policy"]
