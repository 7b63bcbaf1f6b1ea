"""Layers point inward (web → national → services → rules → persistence): the inner layers
import nothing from the outer ones, so a service never raises the interface's InterfaceError.
The national code tables (``yibao.national.codes``, plain data) are the one thing shared."""

from __future__ import annotations

import ast
from pathlib import Path

import yibao

SRC = Path(yibao.__file__).parent
INNER = ("services", "rules", "persistence", "domain")
OUTER = ("yibao.web", "yibao.national", "yibao.cli")
SHARED = ("yibao.national.codes",)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_inner_layers_import_nothing_from_the_interface_the_web_or_the_cli() -> None:
    wrong = []
    for layer in INNER:
        for path in sorted((SRC / layer).rglob("*.py")):
            for name in _imports(path):
                outer = any(name == o or name.startswith(o + ".") for o in OUTER)
                if outer and not any(name == s or name.startswith(s + ".") for s in SHARED):
                    wrong.append(f"{path.relative_to(SRC)}: {name}")
    assert wrong == []
