"""The claim table: one row per encounter, the engine's case (spec section 1) as columns.

``CLAIM_SCHEMA`` is the Arrow schema; :func:`read_claims` reads it from Parquet (a file or a
directory of files) or from JSON Lines in the engine's case format plus a top-level
``person_id`` (any ``year_to_date`` is ignored: the batch engine chains the year itself).
Errors name the row (counted from 1) and the field: ``第 12 行 encounter.items[0].amount：…``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from yibao.domain.money import AmountError, parse_amount
from yibao.domain.shown import shown

AMOUNT = pa.decimal128(14, 2)
MAX_AMOUNT = Decimal(10**12)  # what decimal128(14, 2) holds
PROPORTION = pa.decimal128(9, 6)
ITEM_TYPE = pa.struct(
    [
        pa.field("name", pa.string()),
        pa.field("list_type", pa.string()),
        pa.field("amount", AMOUNT),
        pa.field("selfpay_prop", PROPORTION),
        pa.field("limit_amount", AMOUNT),
    ]
)
CLAIM_SCHEMA = pa.schema(
    [
        pa.field("person_id", pa.string(), nullable=False),
        pa.field("policy", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("group", pa.string(), nullable=False),
        pa.field("account_balance", AMOUNT),
        pa.field("use_account", pa.bool_(), nullable=False),
        pa.field("continuous_years", pa.int32(), nullable=False),
        pa.field("med_type", pa.string(), nullable=False),
        pa.field("hospital_level", pa.int8(), nullable=False),
        pa.field("designated", pa.bool_(), nullable=False),
        pa.field("approved", pa.bool_(), nullable=False),
        pa.field("route", pa.string(), nullable=False),
        pa.field("at_first_visit_hospital", pa.bool_(), nullable=False),
        pa.field("cause", pa.string()),
        pa.field("mental_illness", pa.bool_(), nullable=False),
        pa.field("oncology_course", pa.bool_(), nullable=False),
        pa.field("chronic_class", pa.string()),
        pa.field("chronic_disease", pa.string()),
        pa.field("therapy", pa.string()),
        pa.field("items", pa.list_(ITEM_TYPE), nullable=False),
    ]
)
# Columns a file may leave out (or leave null): the case format's defaults.
DEFAULTS: Mapping[str, Any] = {
    "use_account": True,
    "continuous_years": 0,
    "designated": True,
    "approved": False,
    "route": "normal",
    "at_first_visit_hospital": True,
    "mental_illness": False,
    "oncology_course": False,
}
# Where each column sits in the case format (the field an error names).
CASE_PATH = {
    "person_id": "person_id",
    "policy": "policy",
    "date": "date",
    **{k: f"person.{k}" for k in ("group", "account_balance", "use_account", "continuous_years")},
    "chronic_class": "encounter.chronic.class",
    "chronic_disease": "encounter.chronic.disease",
}
_PERSON_COLUMNS = ("group", "account_balance", "use_account", "continuous_years")
_ENCOUNTER_COLUMNS = (
    "med_type",
    "hospital_level",
    "designated",
    "approved",
    "route",
    "at_first_visit_hospital",
    "cause",
    "mental_illness",
    "oncology_course",
    "therapy",
)
_TOP = {"person_id", "policy", "date", "person", "year_to_date", "encounter"}
_PERSON = set(_PERSON_COLUMNS)
_ENCOUNTER = {*_ENCOUNTER_COLUMNS, "chronic", "items"}
_ITEM = {"name", "list_type", "amount", "selfpay_prop", "limit_amount", "code"}


def case_path(column: str) -> str:
    return CASE_PATH.get(column, f"encounter.{column}")


class ClaimError(ValueError):
    """A claim row is invalid: names the row (from 1), the field and what is wrong."""

    def __init__(self, row: int, field: str, message: str) -> None:
        self.row = row
        self.field = field
        self.message = message
        super().__init__(f"第 {row} 行 {field}：{message}")


# ---- reading and writing ------------------------------------------------------------------


def read_claims(path: str | Path) -> pa.Table:
    """A claim table from Parquet (a file or a directory of files) or JSON Lines (``.jsonl``)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"找不到理赔数据文件：{p}")
    if p.suffix == ".jsonl":
        return _read_jsonl(p)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*.parquet") if f.is_file())
        if not files:
            raise ValueError(f"{p} 中没有 Parquet 文件")
        return pa.concat_tables([conform(pq.read_table(f)) for f in files])
    return conform(pq.read_table(p))


def write_claims(table: pa.Table, path: str | Path) -> None:
    """Write a claim table as Parquet, or as JSON Lines when the name ends in ``.jsonl``."""
    p = Path(path)
    table = conform(table)
    if p.suffix == ".jsonl":
        with p.open("w", encoding="utf-8") as out:
            for case in table_to_cases(table):
                out.write(json.dumps(case, ensure_ascii=False) + "\n")
        return
    pq.write_table(table, p)


def _read_jsonl(path: Path) -> pa.Table:
    cases: list[Any] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ClaimError(number, "(case)", f"不是有效的 JSON：{exc.msg}") from None
    return cases_to_table(cases)


# ---- Arrow table <-> case dicts -----------------------------------------------------------


def conform(table: pa.Table) -> pa.Table:
    """The table in exactly ``CLAIM_SCHEMA``: columns in order, cast, defaults filled in."""
    if table.schema.equals(CLAIM_SCHEMA):
        return table
    columns = []
    for field in CLAIM_SCHEMA:
        name = field.name
        if name not in table.column_names:
            if name in DEFAULTS:
                columns.append(pa.array([DEFAULTS[name]] * table.num_rows, field.type))
                continue
            if field.nullable:
                columns.append(pa.nulls(table.num_rows, field.type))
                continue
            raise ClaimError(1, case_path(name), "缺少此列")
        column = table.column(name)
        try:
            column = column.cast(field.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ClaimError(1, case_path(name), f"类型应为 {field.type}：{exc}") from None
        if not field.nullable and column.null_count:
            if name in DEFAULTS:
                column = column.fill_null(pa.scalar(DEFAULTS[name], field.type))
            else:
                first = column.is_null().to_pylist().index(True)
                raise ClaimError(first + 1, case_path(name), "必填")
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=CLAIM_SCHEMA)


def cases_to_table(cases: Iterable[Any]) -> pa.Table:
    """A claim table from case dicts (the engine's case format plus ``person_id``)."""
    rows: dict[str, list[Any]] = {f.name: [] for f in CLAIM_SCHEMA}
    for number, raw in enumerate(cases, 1):
        for key, value in _flatten(number, raw).items():
            rows[key].append(value)
    arrays = [pa.array(rows[f.name], f.type) for f in CLAIM_SCHEMA]
    return pa.Table.from_arrays(arrays, schema=CLAIM_SCHEMA)


def table_to_cases(table: pa.Table) -> list[dict[str, Any]]:
    """Case dicts (amounts as two-decimal strings) with a top-level ``person_id``."""
    return [_case(row) for row in conform(table).to_pylist()]


def _case(row: Mapping[str, Any]) -> dict[str, Any]:
    person: dict[str, Any] = {k: row[k] for k in _PERSON_COLUMNS if row[k] is not None}
    if "account_balance" in person:
        person["account_balance"] = f"{person['account_balance']:.2f}"
    enc: dict[str, Any] = {k: row[k] for k in _ENCOUNTER_COLUMNS if row[k] is not None}
    chronic = {
        k: row[f"chronic_{k}"] for k in ("class", "disease") if row[f"chronic_{k}"] is not None
    }
    if chronic:
        enc["chronic"] = chronic
    enc["items"] = [_item(i) for i in row["items"]]
    return {
        "person_id": row["person_id"],
        "policy": row["policy"],
        "date": row["date"].isoformat(),
        "person": person,
        "encounter": enc,
    }


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": item["name"] or "", "list_type": item["list_type"]}
    if item["amount"] is not None:  # a missing amount is named by the case parser
        out["amount"] = f"{item['amount']:.2f}"
    if item["selfpay_prop"] is not None:
        out["selfpay_prop"] = _proportion_text(item["selfpay_prop"])
    if item["limit_amount"] is not None:
        out["limit_amount"] = f"{item['limit_amount']:.2f}"
    return out


def _proportion_text(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- validation of one case dict ----------------------------------------------------------


def _object(number: int, raw: Any, path: str, allowed: set[str]) -> Mapping[str, Any]:
    if raw is None and path:
        return {}
    if not isinstance(raw, Mapping):
        raise ClaimError(number, path or "(case)", "应为 JSON 对象")
    unknown = sorted(set(raw) - allowed)
    if unknown:
        where = f"{path}.{unknown[0]}" if path else unknown[0]
        raise ClaimError(number, where, f"未知字段，可用字段：{', '.join(sorted(allowed))}")
    return raw


def _text(number: int, raw: Any, path: str, *, required: bool) -> str | None:
    if raw is None:
        if required:
            raise ClaimError(number, path, "必填")
        return None
    if not isinstance(raw, str):
        raise ClaimError(number, path, f"应为字符串，实际是 {shown(raw)}")
    return raw


def _flag(number: int, data: Mapping[str, Any], key: str, path: str) -> bool:
    raw = data.get(key)
    if raw is None:
        return bool(DEFAULTS[key])
    if not isinstance(raw, bool):
        raise ClaimError(number, f"{path}.{key}", "应为 true 或 false")
    return raw


def _whole(number: int, raw: Any, path: str, default: int | None, top: int) -> int:
    if raw is None and default is not None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= top:
        raise ClaimError(number, path, f"应为 0 到 {top} 的整数，实际是 {shown(raw)}")
    return raw


def _money(number: int, raw: Any, path: str) -> Decimal:
    try:
        value = parse_amount(raw)
    except AmountError as exc:
        raise ClaimError(number, path, str(exc)) from None
    except ArithmeticError:
        raise ClaimError(number, path, f"金额格式不正确：{shown(raw)}") from None
    if value >= MAX_AMOUNT:
        raise ClaimError(number, path, f"金额过大（应小于 {MAX_AMOUNT} 元）：{shown(raw)}")
    return value


def _proportion(number: int, raw: Any, path: str) -> Decimal:
    if isinstance(raw, float):
        raise ClaimError(number, path, '比例不能是浮点数，请用字符串，如 "0.10"')
    if isinstance(raw, bool) or not isinstance(raw, str | int | Decimal):
        raise ClaimError(number, path, '应为 0 到 1 之间的比例字符串，如 "0.10"')
    try:
        value = Decimal(raw.strip() if isinstance(raw, str) else raw)
    except ArithmeticError:
        raise ClaimError(number, path, f"比例格式不正确：{shown(raw)}") from None
    if not value.is_finite() or not 0 <= value <= 1:
        raise ClaimError(number, path, f"比例应在 0 到 1 之间：{shown(raw)}")
    if value != value.quantize(Decimal("0.000001")):
        raise ClaimError(number, path, f"比例最多六位小数：{shown(raw)}")
    return value


def _date(number: int, raw: Any) -> date:
    if not isinstance(raw, str) or len(raw) != 10:
        raise ClaimError(number, "date", f"必填，格式 YYYY-MM-DD，实际是 {shown(raw)}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ClaimError(number, "date", f"日期格式不正确：{shown(raw)}") from None


def _flatten(number: int, raw: Any) -> dict[str, Any]:
    data = _object(number, raw, "", _TOP)
    person = _object(number, data.get("person"), "person", _PERSON)
    enc = _object(number, data.get("encounter"), "encounter", _ENCOUNTER)
    chronic = _object(number, enc.get("chronic"), "encounter.chronic", {"class", "disease"})
    balance = person.get("account_balance")
    level = enc.get("hospital_level")
    if isinstance(level, bool) or level not in (1, 2, 3):
        raise ClaimError(
            number, "encounter.hospital_level", f"应为 1、2 或 3，实际是 {shown(level)}"
        )
    row: dict[str, Any] = {
        "person_id": _text(number, data.get("person_id"), "person_id", required=True),
        "policy": _text(number, data.get("policy"), "policy", required=True),
        "date": _date(number, data.get("date")),
        "group": _text(number, person.get("group"), "person.group", required=True),
        "account_balance": None
        if balance is None
        else _money(number, balance, "person.account_balance"),
        "use_account": _flag(number, person, "use_account", "person"),
        "continuous_years": _whole(
            number, person.get("continuous_years"), "person.continuous_years", 0, 2**31 - 1
        ),
        "med_type": _text(number, enc.get("med_type"), "encounter.med_type", required=True),
        "hospital_level": level,
        "route": _text(number, enc.get("route"), "encounter.route", required=False) or "normal",
        "chronic_class": _text(
            number, chronic.get("class"), "encounter.chronic.class", required=False
        ),
        "chronic_disease": _text(
            number, chronic.get("disease"), "encounter.chronic.disease", required=False
        ),
        "items": _items(number, enc.get("items")),
    }
    for key in ("designated", "approved", "at_first_visit_hospital"):
        row[key] = _flag(number, enc, key, "encounter")
    for key in ("mental_illness", "oncology_course"):
        row[key] = _flag(number, enc, key, "encounter")
    for key in ("cause", "therapy"):
        row[key] = _text(number, enc.get(key), f"encounter.{key}", required=False)
    return row


def _items(number: int, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        raise ClaimError(number, "encounter.items", "应为费用明细数组")
    out = []
    for i, entry in enumerate(raw):
        p = f"encounter.items[{i}]"
        d = _object(number, entry, p, _ITEM)
        if "amount" not in d:
            raise ClaimError(number, f"{p}.amount", "必填")
        prop, limit = d.get("selfpay_prop"), d.get("limit_amount")
        out.append(
            {
                "name": _text(number, d.get("name", ""), f"{p}.name", required=True),
                "list_type": _text(number, d.get("list_type"), f"{p}.list_type", required=True),
                "amount": _money(number, d["amount"], f"{p}.amount"),
                "selfpay_prop": None
                if prop is None
                else _proportion(number, prop, f"{p}.selfpay_prop"),
                "limit_amount": None
                if limit is None
                else _money(number, limit, f"{p}.limit_amount"),
            }
        )
    return out


__all__ = [
    "CLAIM_SCHEMA",
    "ClaimError",
    "case_path",
    "cases_to_table",
    "conform",
    "read_claims",
    "table_to_cases",
    "write_claims",
]
