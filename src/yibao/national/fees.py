"""Fee details: 2204/2205 (outpatient), 2301/2302 (inpatient).

Each line is matched to the catalog by ``med_list_codg`` on the day the fee arose:
``chrgitm_lv`` gives the list type, the catalog's ``selfpay_prop`` the 先行自付 ratio, and its
price cap × quantity the line's limit. An unmatched line settles as 全自费 and says so in
``memo``. The per-line split in ``result[]`` is the engine's own (``split_item``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, delete, select

from yibao.domain.money import from_fen, round_cents, to_fen
from yibao.national import codes, fields
from yibao.national.context import Context
from yibao.national.envelope import InterfaceError
from yibao.persistence.db import Batch, bind_decimal, bind_time
from yibao.persistence.tables import CatalogItem, Person
from yibao.persistence.tables.hospital import FeeLine, Visit
from yibao.rules import default_registry, split_item
from yibao.rules.case import Item
from yibao.services import catalog

UNMATCHED_MEMO = "未匹配医保目录，按全自费结算"
NO_CAP = Decimal("999999")


def _default_prop(person: Person) -> Decimal:
    policy = default_registry().get(person.policy_id)
    version = policy.versions[-1] if policy else None
    return version.default_selfpay_prop if version else Decimal("0.10")


_COLUMNS = (
    "visit_id",
    "feedetl_sn",
    "chrg_bchno",
    "med_list_codg",
    "medins_list_codg",
    "name",
    "cnt",
    "pric",
    "amount_fen",
    "matched",
    "list_type",
    "chrgitm_lv",
    "selfpay_prop",
    "limit_fen",
    "fee_ocur_time",
)
# one statement for every line of the upload (executemany: parsed and prepared once)
_INSERT_LINE_SQL = (
    f"INSERT INTO fee_lines ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)})"
)


def _line(
    ctx: Context,
    visit: Visit,
    row: Mapping[str, Any],
    path: str,
    default_prop: Decimal,
    lookup: Callable[[str, date], CatalogItem | None],
    conn: Connection,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The line as stored (``fee_lines`` columns, bound for ``ctx``'s database) and as
    answered."""
    sn = fields.text(row, "feedetl_sn", path)
    code = fields.text(row, "med_list_codg", path, max_len=50)
    total = fields.amount(row, "det_item_fee_sumamt", path)
    cnt = fields.number(row, "cnt", path, scale=4)
    pric = fields.number(row, "pric", path, scale=6)
    assert cnt is not None
    assert pric is not None
    if cnt == 0:
        raise InterfaceError("数量不能为 0", f"{path}.cnt")
    occurred = fields.moment(row, "fee_ocur_time", path, required=False, default=ctx.now)
    fields.not_future(occurred, ctx.now, f"{path}.fee_ocur_time")
    item = lookup(code, fields.local_date(occurred))
    memo = ""
    if item is None:
        list_type, lv, prop, limit, name = "C", "03", Decimal(1), None, code
        memo = UNMATCHED_MEMO
    else:
        list_type, lv, name = item.list_type, item.chrgitm_lv, item.name
        prop = (
            item.selfpay_prop
            if item.selfpay_prop is not None
            else (default_prop if list_type == "B" else Decimal(0))
        )
        limit = None if item.price_cap is None else round_cents(item.price_cap * cnt)
    split = split_item(
        Item(name, list_type, total, prop if list_type == "B" else None, limit), default_prop
    )
    line = {
        "visit_id": visit.id,
        "feedetl_sn": sn,
        "chrg_bchno": fields.text(row, "chrg_bchno", path, required=False),
        "med_list_codg": code,
        "medins_list_codg": fields.text(row, "medins_list_codg", path, max_len=150, required=False),
        "name": name[:200],
        "cnt": bind_decimal(conn, cnt),
        "pric": bind_decimal(conn, pric),
        "amount_fen": to_fen(total),
        "matched": item is not None,
        "list_type": list_type,
        "chrgitm_lv": lv,
        "selfpay_prop": bind_decimal(conn, split.selfpay_prop),
        "limit_fen": None if limit is None else to_fen(limit),
        "fee_ocur_time": bind_time(conn, occurred),
    }
    out = {
        "feedetl_sn": sn,
        "det_item_fee_sumamt": total,
        "cnt": cnt,
        "pric": pric,
        "pric_uplmt_amt": NO_CAP if item is None or item.price_cap is None else item.price_cap,
        "selfpay_prop": split.selfpay_prop,
        "fulamt_ownpay_amt": split.fulamt_ownpay_amt,
        "overlmt_amt": split.overlmt_selfpay,
        "preselfpay_amt": split.preselfpay_amt,
        "inscp_scp_amt": split.inscp_scp_amt,
        "chrgitm_lv": lv,
        "med_chrgitm_type": "",
        "bas_medn_flag": "0",
        "hi_nego_drug_flag": "0",
        "chld_medc_flag": "0",
        "list_sp_item_flag": "0",
        "lmt_used_flag": "0",
        "drt_reim_flag": "0",
        "memo": memo,
    }
    return line, out


def _upload(ctx: Context, data: Mapping[str, Any], kind: str) -> Any:
    rows = fields.rows(data, "feedetail")
    first = rows[0]
    visit = ctx.visit_named(first, "input.feedetail[0]", kind=kind, lock=True)
    if visit.status == "settled":
        raise InterfaceError("就诊已结算，不能再上传费用明细", "input.feedetail[0].mdtrt_id")
    person = ctx.session.get(Person, visit.person_id)
    assert person is not None
    prop = _default_prop(person)
    existing = set(
        ctx.session.scalars(select(FeeLine.feedetl_sn).where(FeeLine.visit_id == visit.id))
    )
    # the catalog versions of every code in the batch, read in one query
    lookup = catalog.lookup_many(
        ctx.session,
        (str(r["med_list_codg"]) for r in rows if isinstance(r.get("med_list_codg"), str)),
    )
    conn = ctx.session.connection()
    results, lines = [], []
    for i, row in enumerate(rows):
        path = f"input.feedetail[{i}]"
        if str(row.get("mdtrt_id")) != visit.mdtrt_id:
            raise InterfaceError("同一批明细应属于同一次就诊", f"{path}.mdtrt_id")
        if kind == "inpatient":
            fields.code(row, "med_type", path, codes.INPATIENT_MED_TYPES, required=False)
        line, out = _line(ctx, visit, row, path, prop, lookup, conn)
        sn = line["feedetl_sn"]
        if sn in existing:
            raise InterfaceError(f"明细流水号 {sn} 已上传", f"{path}.feedetl_sn")
        existing.add(sn)
        lines.append(line)
        results.append(out)
    insert = Batch(conn)
    insert.add_many(_INSERT_LINE_SQL, lines)
    insert.run()
    return {"result": results}


def upload_outpatient(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2204 门诊费用明细上传."""
    return _upload(ctx, data, "outpatient")


def upload_inpatient(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2301 住院费用明细上传."""
    return _upload(ctx, data, "inpatient")


def _remove(ctx: Context, visit: Visit, column: Any, value: str) -> int:
    if visit.status == "settled":
        raise InterfaceError("就诊已结算，请先撤销结算", "mdtrt_id")
    query = delete(FeeLine).where(FeeLine.visit_id == visit.id, FeeLine.settlement_id.is_(None))
    if value != "0000":
        query = query.where(column == value)
    removed = ctx.session.execute(query)
    return int(getattr(removed, "rowcount", 0) or 0)


def cancel_outpatient(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2205 门诊费用明细撤销 (``chrg_bchno`` "0000" removes every unsettled line)."""
    d = fields.node(data, "data")
    visit = ctx.visit_named(d, "input.data", kind="outpatient", lock=True)
    _remove(ctx, visit, FeeLine.chrg_bchno, fields.text(d, "chrg_bchno", "input.data"))
    return {}


def cancel_inpatient(ctx: Context, data: Mapping[str, Any]) -> Any:
    """2302 住院费用明细撤销 (``feedetl_sn`` "0000" removes every unsettled line)."""
    for i, d in enumerate(fields.rows(data, "data")):
        p = f"input.data[{i}]"
        visit = ctx.visit_named(d, p, kind="inpatient", lock=True)
        _remove(ctx, visit, FeeLine.feedetl_sn, fields.text(d, "feedetl_sn", p))
    return {}


def total_of(lines: list[FeeLine]) -> Decimal:
    return from_fen(sum(ln.amount_fen for ln in lines))
