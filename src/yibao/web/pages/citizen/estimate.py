"""报销测算: enter a bill (hospital level, medical type, items by 甲/乙/丙 or found in the
catalogue) and see what 统筹基金支付, 个人账户支付 and 个人现金支付 would be, explained, from the
person's own policy and year so far. Nothing is stored."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from yibao.rules import CaseError
from yibao.rules.labels import LEVEL, LIST_TYPE, MED_TYPE
from yibao.services import catalog, estimates
from yibao.web.api.deps import SessionDep
from yibao.web.pages.deps import FormDep, RealNameDep, pages_router
from yibao.web.pages.forms import FormErrors, text
from yibao.web.pages.templating import render

router = pages_router()
ROWS = 5
MAX_AMOUNT = Decimal("10000000")
MED_TYPES = ("outpatient", "inpatient")
LIST_CHOICES = [
    ("", "按目录查找"),
    ("A", LIST_TYPE["A"]),
    ("B", LIST_TYPE["B"]),
    ("C", LIST_TYPE["C"]),
]


def _options() -> dict[str, Any]:
    return {
        "levels": [(str(k), v) for k, v in LEVEL.items()],
        "med_types": [(k, MED_TYPE[k]) for k in MED_TYPES],
        "list_choices": LIST_CHOICES,
        "rows": range(1, ROWS + 1),
    }


@router.get("/estimate")
def estimate_page(request: Request, citizen: RealNameDep) -> HTMLResponse:
    values = {"hospital_level": "2", "med_type": "outpatient"}
    return render(
        request, "estimate/estimate.html", {"title": "报销测算", "values": values, **_options()}
    )


def _amount(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "").replace("，", ""))
    except InvalidOperation:
        return None
    if (
        not value.is_finite()
        or value <= 0
        or value > MAX_AMOUNT
        or value != value.quantize(Decimal("0.01"))
    ):
        return None
    return value


def _items(session: SessionDep, form: FormData, errors: FormErrors) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for i in range(1, ROWS + 1):
        name = text(form, f"item{i}_name", 100)
        kind = text(form, f"item{i}_type", 2)
        raw = text(form, f"item{i}_amount", 20)
        if not name and not raw:
            continue
        if not name:
            errors.add(f"item{i}_name", "请填写项目名称")
        if not raw:
            errors.add(f"item{i}_amount", "请填写金额")
            continue
        amount = _amount(raw)
        if amount is None:
            errors.add(f"item{i}_amount", "金额应为大于 0 的数字，最多两位小数")
            continue
        item: dict[str, Any] = {"name": name, "amount": str(amount)}
        if kind in ("A", "B", "C"):
            item["list_type"] = kind
        elif kind:
            errors.add(f"item{i}_type", "请选择甲类、乙类、丙类或按目录查找")
            continue
        elif name:
            found = catalog.search(session, name, limit=1)
            if not found:
                errors.add(f"item{i}_name", "目录中没有找到这个项目，请选择甲类、乙类或丙类")
                continue
            hit = found[0]
            item.update(name=hit.name, list_type=hit.list_type, code=hit.hilist_code)
            if hit.selfpay_prop is not None:
                item["selfpay_prop"] = str(hit.selfpay_prop)
        items.append(item)
    if not items and not errors:
        errors.add("item1_name", "请至少填写一个项目")
    return items


@router.post("/estimate")
def estimate(
    request: Request, session: SessionDep, citizen: RealNameDep, form: FormDep
) -> HTMLResponse:
    assert citizen.person is not None
    errors = FormErrors()
    level = text(form, "hospital_level", 2)
    med_type = text(form, "med_type", 20)
    if level not in ("1", "2", "3"):
        errors.add("hospital_level", "请选择医院等级")
    if med_type not in MED_TYPES:
        errors.add("med_type", "请选择医疗类别")
    items = _items(session, form, errors)
    values = {k: text(form, k, 100) for k in form if not k.startswith("csrf")}
    result = None
    if not errors:
        encounter = {"med_type": med_type, "hospital_level": int(level), "items": items}
        try:
            result = estimates.estimate(session, citizen.person, encounter, date.today())
        except CaseError as exc:
            errors.add("_form", exc.message)
    session.rollback()  # nothing is stored
    return render(
        request,
        "estimate/estimate.html",
        {
            "title": "报销测算",
            "values": values,
            "errors": errors,
            "result": result,
            "items": items,
            **_options(),
        },
        status_code=400 if errors else 200,
    )
