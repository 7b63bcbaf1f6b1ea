"""The pure settlement engine: policies as dated data, ``settle(case) -> result``.

Imports nothing from persistence, web or CLI (``tests/unit/test_purity.py`` proves it).
"""

from yibao.rules.case import Case, parse_case
from yibao.rules.engine import settle, settle_case, split_item
from yibao.rules.errors import CaseError, PolicyError
from yibao.rules.registry import PolicyRegistry, default_registry
from yibao.rules.result import Result

__all__ = [
    "Case",
    "CaseError",
    "PolicyError",
    "PolicyRegistry",
    "Result",
    "default_registry",
    "parse_case",
    "settle",
    "settle_case",
    "split_item",
]
