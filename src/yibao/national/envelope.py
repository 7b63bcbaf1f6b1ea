"""The common message envelope (interface §1): request checks and the response shape."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from yibao.services import clock

# What this service cannot work without. The interface marks more fields "Y" (recer_sys_code,
# infver, opter_type, opter, opter_name, inf_time, fixmedins_name): they are checked when sent
# (length, format) and kept with the message, but a message without them is still processed.
REQUIRED = ("infno", "msgid", "mdtrtarea_admvs", "fixmedins_code", "input")
MAX_LEN = {
    "infno": 6,
    "msgid": 30,
    "mdtrtarea_admvs": 6,
    "insuplc_admdvs": 6,
    "recer_sys_code": 10,
    "infver": 6,
    "opter_type": 3,
    "opter": 30,
    "opter_name": 50,
    "fixmedins_code": 30,
    "fixmedins_name": 200,
    "sign_no": 30,
}


class InterfaceError(ValueError):
    """A request the platform refuses: ``infcode`` -1 and ``err_msg`` naming the field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(f"[{field}] {message}" if field else message)


@dataclass(frozen=True, slots=True)
class Envelope:
    infno: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str
    fixmedins_code: str
    fixmedins_name: str
    opter: str
    opter_name: str
    input: Mapping[str, Any]
    raw: Mapping[str, Any]


def parse_envelope(body: Any, bad_text: str | None = None) -> Envelope:
    """The checked envelope; ``bad_text``: the path of a string holding a NUL or a lone
    surrogate (``jsonout.bad_text``), refused before anything else."""
    if not isinstance(body, Mapping):
        raise InterfaceError("请求报文应为 JSON 对象")
    if bad_text is not None:
        raise InterfaceError(
            "含有不允许的字符：NUL 或无效的 Unicode（孤立代理项，如 \\ud800）", bad_text
        )
    for key in REQUIRED:
        value = body.get(key)
        if value is None or value == "":
            raise InterfaceError("必填字段缺失", key)
    for key, limit in MAX_LEN.items():
        value = body.get(key)
        if value is not None and (not isinstance(value, str | int) or len(str(value)) > limit):
            raise InterfaceError(f"应为不超过 {limit} 位的字符串", key)
    if not isinstance(body["input"], Mapping):
        raise InterfaceError("应为 JSON 对象", "input")
    admdvs = str(body["mdtrtarea_admvs"])
    if not (len(admdvs) == 6 and admdvs.isdigit()):
        raise InterfaceError("应为 6 位医保区划代码", "mdtrtarea_admvs")
    insuplc = str(body.get("insuplc_admdvs") or "")
    if insuplc and not (len(insuplc) == 6 and insuplc.isdigit()):
        raise InterfaceError("应为 6 位医保区划代码", "insuplc_admdvs")
    if body.get("inf_time"):
        try:
            datetime.strptime(str(body["inf_time"]), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise InterfaceError("格式应为 yyyy-MM-dd HH:mm:ss", "inf_time") from None
    return Envelope(
        infno=str(body["infno"]),
        msgid=str(body["msgid"]),
        mdtrtarea_admvs=admdvs,
        insuplc_admdvs=insuplc,
        fixmedins_code=str(body["fixmedins_code"]),
        fixmedins_name=str(body.get("fixmedins_name") or ""),
        opter=str(body.get("opter") or ""),
        opter_name=str(body.get("opter_name") or ""),
        input=body["input"],
        raw=body,
    )


_seq = itertools.count(1)
_seq_lock = threading.Lock()


def _stamp(now: datetime) -> str:
    local = now.astimezone(clock.zone())
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


def refmsgid(admdvs: str, now: datetime) -> str:
    """Receiver message id: admdvs(6) + yyyyMMddHHmmss(14) + seq(10)."""
    with _seq_lock:
        n = next(_seq)
    return f"{admdvs[:6]:0>6}{now.astimezone(clock.zone()):%Y%m%d%H%M%S}{n % 10**10:010d}"


def response(output: Any, *, admdvs: str, received: datetime, error: str = "") -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "infcode": -1 if error else 0,
        "inf_refmsgid": refmsgid(admdvs or "000000", now),
        "refmsg_time": _stamp(received),
        "respond_time": _stamp(now),
        "err_msg": error,
        "output": output if not error else {},
        "enctype": "",
        "signtype": "",
    }
