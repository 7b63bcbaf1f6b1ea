"""The scripted hospital information system used by the settlement API tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session, sessionmaker

from yibao.national import jsonout
from yibao.persistence.tables import CatalogItem

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOSPITAL = "H15010200001"

CATALOG = [
    # code, name, chrgitm_lv, selfpay_prop, price cap
    ("XJ01DCK050A001010100001", "头孢克洛胶囊", "01", None, None),
    ("XC10AAA126A001010100002", "阿托伐他汀钙片", "02", Decimal("0.10"), None),
    ("C0301020010000000001", "冠状动脉支架", "01", None, Decimal("8000.00")),
    ("001208000010000", "护工费", "03", None, None),
    ("001102000010000", "普通门诊诊查费", "01", None, None),
]


def add_catalog(session: Session) -> None:
    for code, name, lv, prop, cap in CATALOG:
        session.add(
            CatalogItem(
                hilist_code=code,
                name=name,
                category="drug" if code[0] in "XZ" else "service",
                list_category="101" if code[0] in "XZ" else "201",
                chrgitm_lv=lv,
                selfpay_prop=prop,
                price_cap=cap,
                begin_date=date(2020, 1, 1),
                pinyin_full="",
                pinyin_initials="",
            )
        )


@dataclass
class World:
    url: str
    key: str
    session_factory: sessionmaker[Session]
    people: dict[str, Any] = field(default_factory=dict)


_seq = itertools.count(1)


class Hospital:
    """A scripted hospital information system."""

    def __init__(self, world: World, code: str = HOSPITAL) -> None:
        self.world = world
        self.code = code
        self.client = httpx.Client(
            base_url=world.url, timeout=30, headers={"Authorization": f"Bearer {world.key}"}
        )

    def msgid(self) -> str:
        now = datetime.now(SHANGHAI)
        return f"{self.code}{now:%Y%m%d%H%M%S}{next(_seq) % 10000:04d}"

    def message(
        self, infno: str, payload: dict[str, Any], msgid: str | None = None, insuplc: str = "150102"
    ) -> dict[str, Any]:
        return {
            "infno": infno,
            "msgid": msgid or self.msgid(),
            "mdtrtarea_admvs": "150102",
            "insuplc_admdvs": insuplc,
            "recer_sys_code": "YBXT",
            "dev_no": "",
            "dev_safe_info": "",
            "cainfo": "",
            "signtype": "",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "001",
            "opter_name": "收费员",
            "inf_time": datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"),
            "fixmedins_code": self.code,
            "fixmedins_name": "测试医院",
            "sign_no": "",
            "input": payload,
        }

    def post_raw(self, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(
            "/fsi/api", content=jsonout.dumps(body), headers={"content-type": "application/json"}
        )

    def call(self, infno: str, payload: dict[str, Any], msgid: str | None = None) -> Any:
        response = self.post_raw(self.message(infno, payload, msgid))
        assert response.status_code == 200, response.text
        body = jsonout.loads(response.content)
        assert body["infcode"] == 0, body["err_msg"]
        return body["output"]

    def fail(self, infno: str, payload: dict[str, Any], msgid: str | None = None) -> str:
        body = jsonout.loads(self.post_raw(self.message(infno, payload, msgid)).content)
        assert body["infcode"] == -1, body
        return str(body["err_msg"])


def now_text() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
