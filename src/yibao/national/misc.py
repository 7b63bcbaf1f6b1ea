"""Sign-in (9001), person info (1101) and the catalogue query (1312)."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select

from yibao.domain.money import from_fen
from yibao.national import fields
from yibao.national.context import Context, Counter
from yibao.national.envelope import InterfaceError
from yibao.national.identity import check_holder, credential
from yibao.national.output import person_fields
from yibao.persistence.db import Batch
from yibao.persistence.tables import CatalogItem
from yibao.persistence.tables.hospital import SignIn
from yibao.services import clock, persons
from yibao.services import person_info as service


def sign_in(ctx: Context, data: Mapping[str, Any]) -> Any:
    d = fields.node(data, "signIn")
    opter_no = fields.text(d, "opter_no", "input.signIn")
    fields.text(d, "ip", "input.signIn", max_len=50)
    local = ctx.now.astimezone(clock.zone())
    sign_no = f"{ctx.institution.region}{local:%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"
    ctx.session.add(
        SignIn(
            sign_no=sign_no, institution_id=ctx.institution.id, opter_no=opter_no, sign_time=ctx.now
        )
    )
    return {"signinoutb": {"sign_time": local.strftime("%Y-%m-%d %H:%M:%S"), "sign_no": sign_no}}


def person_info(ctx: Counter, data: Mapping[str, Any]) -> None:
    """1101 人员信息获取, on the hot path: the key check, the msgid claim and every read in
    one round trip (:mod:`yibao.services.person_info`), the stored answer in a second."""
    d = fields.node(data, "data")
    today = ctx.today
    cred = credential(d, "input.data", voucher_key=ctx.voucher_key, now=ctx.now)
    reads = Batch(ctx.conn)
    service.add_reads(reads, cred.key, cred.value, today)
    found = service.loaded(ctx.read(reads), today)
    person = check_holder(found.person if found else None, cred.cert_type, "input.data")
    assert found is not None
    begin = found.last_begin
    end = found.last_end if not found.enrolled else None
    answer = Batch(ctx.conn)
    ctx.answer(
        answer,
        {
            "baseinfo": {
                **{
                    k: v
                    for k, v in person_fields(person, today).items()
                    if k not in ("insutype", "psn_type", "cvlserv_flag")
                },
                "exp_content": "",
            },
            "insuinfo": [
                {
                    "balc": from_fen(found.balance_fen if person.scheme == "employee" else 0),
                    "insutype": persons.insutype(person),
                    "psn_type": persons.psn_type(person),
                    "psn_insu_stas": "1" if found.enrolled else "4",
                    "psn_insu_date": begin.isoformat() if begin else "",
                    "paus_insu_date": end.isoformat() if end else "",
                    "cvlserv_flag": "0",
                    "insuplc_admdvs": person.region,
                    "emp_name": "",
                }
            ],
            "idetinfo": [
                {
                    "psn_idet_type": row.code,
                    "psn_type_lv": row.level,
                    "memo": row.memo,
                    "begntime": f"{row.begin.isoformat()} 00:00:00",
                    "endtime": f"{row.end.isoformat()} 23:59:59" if row.end else "",
                }
                for row in found.standing
            ],
        },
    )
    answer.run_with_commit()


def query_catalog(ctx: Context, data: Mapping[str, Any]) -> Any:
    d = fields.node(data, "data")
    p = "input.data"
    page_num = _positive(d, "page_num", p, 1, MAX_PAGE_NUM)
    page_size = min(_positive(d, "page_size", p, 20, MAX_PAGE_NUM), 500)
    code = fields.text(d, "hilist_code", p, max_len=50, required=False)
    name = fields.text(d, "hilist_name", p, max_len=200, required=False)
    pinyin = fields.text(d, "pinyin", p, max_len=200, required=False)
    when = fields.moment(d, "query_date", p, required=False, default=ctx.now)
    total, items = _catalog_page(
        ctx, code, name or pinyin, fields.local_date(when), (page_num - 1) * page_size, page_size
    )
    return {
        "pageNum": page_num,
        "pageSize": page_size,
        "recordCounts": total,
        "pages": math.ceil(total / page_size) if total else 0,
        "firstPage": page_num == 1,
        "lastPage": page_num * page_size >= total,
        "data": [
            {
                "hilist_code": it.hilist_code,
                "hilist_name": it.name,
                "insu_admdvs": ctx.envelope.mdtrtarea_admvs,
                "begndate": it.begin_date.isoformat(),
                "enddate": it.end_date.isoformat() if it.end_date else "",
                "med_chrgitm_type": "",
                "chrgitm_lv": it.chrgitm_lv,
                "lmt_used_flag": "0",
                "list_type": it.list_category,
                "med_use_flag": "1",
                "matn_used_flag": "0",
                "hilist_use_type": "",
                "lmt_cpnd_type": "",
                "wubi": "",
                "pinyin": it.pinyin_initials,
                "memo": it.indication or "",
                "vali_flag": "1",
                "selfpay_prop": it.selfpay_prop if it.selfpay_prop is not None else "",
                "pric_uplmt_amt": it.price_cap if it.price_cap is not None else "",
            }
            for it in items
        ],
    }


MAX_PAGE_NUM = 1_000_000


def _positive(d: Mapping[str, Any], key: str, path: str, default: int, maximum: int) -> int:
    raw = d.get(key)
    if raw is None or raw == "":
        return default
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 9 and 1 <= int(text) <= maximum):
        raise InterfaceError(f"应为 1 到 {maximum} 之间的整数", f"{path}.{key}")
    return int(text)


def _catalog_page(
    ctx: Context, code: str, text: str, on: date, offset: int, limit: int
) -> tuple[int, list[CatalogItem]]:
    query = select(CatalogItem).where(
        CatalogItem.begin_date <= on,
        or_(CatalogItem.end_date.is_(None), CatalogItem.end_date >= on),
    )
    if code:
        query = query.where(CatalogItem.hilist_code == code)
    if text:
        like = f"%{text.lower()}%"
        query = query.where(
            or_(
                CatalogItem.name.contains(text),
                CatalogItem.pinyin_initials.like(like),
                CatalogItem.pinyin_full.like(like),
            )
        )
    total = ctx.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = ctx.session.scalars(query.order_by(CatalogItem.hilist_code).offset(offset).limit(limit))
    return int(total), list(items)
