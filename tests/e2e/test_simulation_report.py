"""The HTML report of ``yibao simulate --report`` in a real browser, offline: its charts draw,
nothing is fetched, and it reads on a phone without sideways scrolling.

Screenshots at 375 px and 1280 px go to ``test-output/screenshots/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from yibao.cli import app

ROOT = Path(__file__).resolve().parents[2]
REFORM = ROOT / "examples" / "reforms" / "nmg-level3-deductible-600.yaml"
SHOTS = ROOT / "test-output" / "screenshots"


def _report(tmp_path: Path) -> Path:
    claims, html = tmp_path / "claims.parquet", tmp_path / "report.html"
    runner = CliRunner()
    synth = ["synth", "--persons", "2000", "--year", "2025", "--policy", "nmg-employee"]
    made = runner.invoke(app, [*synth, "--seed", "4", "--out", str(claims)])
    assert made.exit_code == 0, made.output
    simulate = ["simulate", "--claims", str(claims), "--policy", "nmg-employee"]
    ran = runner.invoke(app, [*simulate, "--reform", str(REFORM), "--report", str(html)])
    assert ran.exit_code == 0, ran.output
    return html


def test_the_report_draws_its_charts_offline_at_phone_and_desk_widths(
    tmp_path: Path, page: Any, blocked_requests: list[str]
) -> None:
    html = _report(tmp_path)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(html.as_uri())
        page.locator("#chart-decile canvas").wait_for()
        sizes = page.evaluate(
            "[...document.querySelectorAll('.chart canvas')].map(c => c.width * c.height)"
        )
        assert len(sizes) == 3
        assert all(size > 0 for size in sizes)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("h1").inner_text() == "政策测算：nmg-employee"
        assert "受益" in page.locator("main").inner_text()
        page.screenshot(path=str(SHOTS / f"simulation-report-{width}.png"), full_page=True)
    assert errors == []
    assert blocked_requests == []
