#!/usr/bin/env python3
"""A hospital information system's outpatient visit against yibao, printed exchange by exchange.

1101 person info → 2201 registration → 2203 visit info → 2204 fee lines → 2206 pre-settlement
→ 2207 settlement → 5203 settlement query → 2208 reversal, each a POST to ``/fsi/api`` with
the institution's API key. Runs against ``make run``'s server and demo data:

    KEY=$(.venv/bin/yibao demo key H15010200001)
    python3 examples/hospital_exchange.py --key "$KEY"

Standard library only. Options: ``--url`` (default the environment variable YIBAO_URL, else
http://127.0.0.1:8000), ``--key`` (default the environment variable YIBAO_API_KEY), ``--hospital`` (default H15010200001), ``--certno``
(the patient's ID number; default the demo patient 李四). The 2208 at the end undoes the
settlement, so the script can run again and again with the same result.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

BEIJING = timezone(timedelta(hours=8))  # times without a zone in the interface are Beijing time
_serial = itertools.count(1)

# The visit's fee lines (demo catalog codes): code, name, count, unit price.
FEES = [
    ("XJ01CAA040A001010100001", "阿莫西林胶囊", "2", "18.50"),
    ("XJ01DCA040A001010100002", "头孢克洛胶囊", "1", "36.00"),
    ("001102000010000", "普通门诊诊查费", "1", "10.00"),
    ("002502010010000", "血常规（血细胞分析）", "1", "20.00"),
    ("002102010010000", "X线计算机体层（CT）平扫", "1", "200.00"),
]


def to_json(body: Any) -> str:
    """JSON text with every Decimal written as a number with its exact digits (``37.00``):
    money never goes through a binary float."""
    marked = json.dumps(
        body,
        ensure_ascii=False,
        indent=2,
        default=lambda v: f"\u0000{v}\u0000" if isinstance(v, Decimal) else str(v),
    )
    return re.sub(r'"\\u0000(-?[0-9.]+)\\u0000"', r"\1", marked)


def now() -> str:
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class Hospital:
    def __init__(self, url: str, key: str, code: str) -> None:
        self.url, self.key, self.code = url.rstrip("/"), key, code
        self.insuplc = "150100"

    def call(self, infno: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST one transaction, print request and response, return ``output``."""
        body = {
            "infno": infno,
            "msgid": f"{self.code}{datetime.now(BEIJING):%Y%m%d%H%M%S}{next(_serial) % 10000:04d}",
            "mdtrtarea_admvs": "150102",
            "insuplc_admdvs": self.insuplc,
            "recer_sys_code": "YBXT",
            "infver": "V1.0",
            "opter_type": "1",
            "opter": "001",
            "opter_name": "收费员",
            "inf_time": now(),
            "fixmedins_code": self.code,
            "fixmedins_name": "内蒙古自治区人民医院",
            "input": payload,
        }
        text = to_json(body)
        print(f"→ {infno} 请求\n{text}")
        request = urllib.request.Request(
            f"{self.url}/fsi/api",
            data=text.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answer = json.loads(response.read(), parse_float=Decimal)
        except urllib.error.HTTPError as exc:
            sys.exit(f"{infno}：HTTP {exc.code} {exc.read().decode(errors='replace')}")
        except urllib.error.URLError as exc:
            sys.exit(f"连不上 {self.url}（先运行 make run）：{exc.reason}")
        print(f"← {infno} 应答\n{to_json(answer)}\n")
        if answer.get("infcode") != 0:
            sys.exit(f"{infno} 失败：{answer.get('err_msg')}")
        return dict(answer["output"])


def visit(h: Hospital, certno: str) -> None:
    cert = {"mdtrt_cert_type": "02", "mdtrt_cert_no": certno}
    info = h.call("1101", {"data": {**cert, "psn_cert_type": "01", "certno": certno}})
    psn_no = info["baseinfo"]["psn_no"]
    insu = info["insuinfo"][0]
    h.insuplc = insu["insuplc_admdvs"]
    reg = h.call(
        "2201",
        {
            "data": {
                "psn_no": psn_no,
                "insutype": insu["insutype"],
                "begntime": now(),
                **cert,
                "ipt_otp_no": "MZ" + psn_no[-6:] + datetime.now().strftime("%H%M%S"),
                "atddr_no": "D001",
                "dr_name": "王医生",
                "dept_code": "A03",
                "dept_name": "内科",
                "caty": "A03",
            }
        },
    )
    mdtrt_id = reg["data"]["mdtrt_id"]
    diagnosis = {"code": "J06.900", "name": "急性上呼吸道感染"}
    h.call(
        "2203",
        {
            "mdtrtinfo": {
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "med_type": "11",
                "begntime": now(),
                "dise_codg": diagnosis["code"],
                "dise_name": diagnosis["name"],
            },
            "diseinfo": [
                {
                    "diag_type": "1",
                    "diag_srt_no": 1,
                    "diag_code": diagnosis["code"],
                    "diag_name": diagnosis["name"],
                    "diag_dept": "内科",
                    "dise_dor_no": "D001",
                    "dise_dor_name": "王医生",
                    "diag_time": now(),
                    "vali_flag": "1",
                }
            ],
        },
    )
    lines = []
    total = Decimal("0.00")
    for sn, (code, _name, cnt, pric) in enumerate(FEES, start=1):
        amount = Decimal(cnt) * Decimal(pric)
        total += amount
        lines.append(
            {
                "feedetl_sn": str(sn),
                "mdtrt_id": mdtrt_id,
                "psn_no": psn_no,
                "chrg_bchno": "1",
                "rx_circ_flag": "0",
                "fee_ocur_time": now(),
                "med_list_codg": code,
                "medins_list_codg": f"YY-{code}",
                "det_item_fee_sumamt": amount,
                "cnt": Decimal(cnt),
                "pric": Decimal(pric),
                "bilg_dept_codg": "A03",
                "bilg_dept_name": "内科",
                "bilg_dr_codg": "D001",
                "bilg_dr_name": "王医生",
                "hosp_appr_flag": "0",
            }
        )
    h.call("2204", {"feedetail": lines})
    settle = {
        "psn_no": psn_no,
        **cert,
        "med_type": "11",
        "medfee_sumamt": total,
        "psn_setlway": "01",
        "mdtrt_id": mdtrt_id,
        "chrg_bchno": "1",
        "acct_used_flag": "1",
        "insutype": insu["insutype"],
    }
    h.call("2206", {"data": settle})
    setl_id = h.call("2207", {"data": settle})["setlinfo"]["setl_id"]
    h.call("5203", {"data": {"psn_no": psn_no, "setl_id": setl_id}})
    h.call("2208", {"data": {"psn_no": psn_no, "setl_id": setl_id, "mdtrt_id": mdtrt_id}})
    print(
        f"完成：结算 {setl_id} 已查询并撤销（1101 → 2201 → 2203 → 2204 → 2206 → 2207 → 5203 → 2208）"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="对 yibao 演示一次门诊结算的全部交易")
    parser.add_argument(
        "--url", default=os.environ.get("YIBAO_URL", "http://127.0.0.1:8000"), help="服务地址"
    )
    parser.add_argument("--key", default=os.environ.get("YIBAO_API_KEY"), help="机构 API 密钥")
    parser.add_argument("--hospital", default="H15010200001", help="机构编码")
    parser.add_argument("--certno", default="150102198505052023", help="患者身份证号")
    args = parser.parse_args()
    if not args.key:
        parser.error("缺少 --key（或环境变量 YIBAO_API_KEY）：yibao demo key H15010200001")
    visit(Hospital(args.url, args.key, args.hospital), args.certno)


if __name__ == "__main__":
    main()
