"""The README's commands work as pasted, the way a new user would run them.

The convention (the README's section "How the README is tested" says the same):

- Every fenced block whose language is ``sh`` is run, in the README's order, each with
  ``bash -euo pipefail -c BLOCK`` (so a failing line fails the block), in a copy of the
  repository (its ``.venv`` a link to this checkout's) with ``YIBAO_HOME`` set to that copy:
  a fresh ``var/``, a fresh SQLite database. No other ``YIBAO_*`` variable is passed on.
- The block holding ``make run`` is not run (``make test`` runs this test): its commands must
  be exactly ``make run`` and ``make test``. Before the first block, the test does what
  ``make run`` does once set up: ``yibao db upgrade``, ``yibao demo load --if-empty`` and
  ``yibao serve`` in the background, on a free port (stopped at the end).
- ``localhost:8000`` and ``127.0.0.1:8000`` in a block point at that port instead, and
  ``YIBAO_URL`` names it (``examples/hospital_exchange.py`` reads it).
- ``json`` blocks must parse as JSON (no comments); blocks in any other language (``text``
  for output and for commands that cannot run here, such as ``make lock``) are not run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
SKIP_DIRS = {".git", ".venv", "var", ".pytest_cache", ".mypy_cache", ".ruff_cache", "node_modules"}


def blocks() -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the README, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(README.read_text(encoding="utf-8"))]


def commands(block: str) -> list[str]:
    """The command lines of a block, comments and blank lines aside."""
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A copy of the repository as a fresh clone would have it, with this checkout's venv."""
    copy = tmp_path / "yibao"
    shutil.copytree(
        ROOT,
        copy,
        ignore=lambda _dir, names: [n for n in names if n in SKIP_DIRS or n.endswith(".egg-info")],
    )
    (copy / ".venv").symlink_to(Path(sys.prefix))
    return copy


@pytest.fixture
def user_env(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIBAO_")}
    env["YIBAO_HOME"] = str(clone)
    return env


@pytest.fixture
def server(clone: Path, user_env: dict[str, str]) -> Iterator[int]:
    """What ``make run`` does after set-up, on a free port."""
    yibao = str(clone / ".venv" / "bin" / "yibao")
    for step in (["db", "upgrade"], ["demo", "load", "--if-empty"]):
        done = subprocess.run(
            [yibao, *step], cwd=clone, env=user_env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    port = _free_port()
    proc = subprocess.Popen(
        [yibao, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=clone,
        env=user_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_every_sh_block_of_the_readme_runs_as_pasted(
    clone: Path, user_env: dict[str, str], server: int
) -> None:
    sh_blocks = [text for lang, text in blocks() if lang == "sh"]
    make_blocks = [b for b in sh_blocks if "make run" in b]
    assert len(make_blocks) == 1
    assert commands(make_blocks[0]) == ["make run", "make test"]
    env = {**user_env, "YIBAO_URL": f"http://127.0.0.1:{server}"}
    ran = 0
    for block in sh_blocks:
        if block is make_blocks[0]:
            continue
        started = time.monotonic()
        script = re.sub(r"\b(localhost|127\.0\.0\.1):8000\b", f"127.0.0.1:{server}", block)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (
            f"{block}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        )
        assert "Traceback" not in done.stdout + done.stderr
        ran += 1
        print(f"{time.monotonic() - started:6.1f} s  {commands(block)[0][:60]}")
    assert ran >= 4
    assert not (clone / "var" / "yibao.db").with_suffix(".db-journal").exists()


def test_every_json_block_of_the_readme_parses() -> None:
    found = [text for lang, text in blocks() if lang == "json"]
    assert found
    for text in found:
        json.loads(text)


def test_every_block_of_the_readme_names_its_language() -> None:
    languages = [lang for lang, _text in blocks()]
    assert "" not in languages
    assert "jsonc" not in languages  # JSON with comments cannot be pasted


def test_every_relative_link_of_the_readme_exists_in_a_clone() -> None:
    text = README.read_text(encoding="utf-8")
    assert "../" not in text  # nothing outside the clone, linked or quoted as a path
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert local
    for link in local:
        target = (ROOT / link).resolve()
        assert target.is_relative_to(ROOT), f"{link} points outside the repository"
        assert target.exists(), f"{link} does not exist"
