"""``yibao synth`` and ``yibao simulate`` end to end, on a few hundred synthetic claims."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from yibao.batch.claims import CLAIM_SCHEMA, read_claims
from yibao.cli import app

ROOT = Path(__file__).resolve().parents[2]
REFORM = ROOT / "examples" / "reforms" / "nmg-level3-deductible-600.yaml"
AMOUNT_KEYS = [
    "medfee_sumamt",
    "hifp_pay",
    "hifmi_pay",
    "fund_pay_sumamt",
    "acct_pay",
    "psn_cash_pay",
]

runner = CliRunner()


def synth(out: Path, *args: str, persons: int = 300, seed: int = 7) -> None:
    result = runner.invoke(
        app,
        [
            "synth",
            "--persons",
            str(persons),
            "--year",
            "2025",
            "--seed",
            str(seed),
            "--out",
            str(out),
            *args,
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def nmg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "nmg.parquet"
    synth(path, "--policy", "nmg-employee")
    return path


def simulate(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["simulate", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_the_same_seed_gives_the_same_file_byte_for_byte(tmp_path: Path) -> None:
    for name in ("a.parquet", "b.parquet", "a.jsonl", "b.jsonl"):
        synth(
            tmp_path / name,
            "--policy",
            "taiyuan-resident",
            "--policy",
            "national-employee",
            persons=120,
        )
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    synth(
        tmp_path / "c.parquet",
        "--policy",
        "taiyuan-resident",
        "--policy",
        "national-employee",
        persons=120,
        seed=8,
    )
    assert (tmp_path / "c.parquet").read_bytes() != (tmp_path / "a.parquet").read_bytes()


def test_synth_writes_the_claim_schema_ordered_by_person_and_date(nmg: Path) -> None:
    table = pq.read_table(nmg)
    assert table.schema.equals(CLAIM_SCHEMA)
    rows = table.select(["person_id", "date"]).to_pylist()
    keys = [(r["person_id"], r["date"]) for r in rows]
    assert keys == sorted(keys)
    assert set(table.column("policy").to_pylist()) == {"nmg-employee"}
    assert set(table.column("chronic_class").drop_null().to_pylist()) == {"A", "B"}


def test_partitions_split_by_person_and_hold_every_claim(tmp_path: Path, nmg: Path) -> None:
    out = tmp_path / "parts"
    synth(out, "--policy", "nmg-employee", "--partitions", "3")
    files = sorted(out.glob("*.parquet"))
    assert [f.name for f in files] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    persons = [set(pq.read_table(f).column("person_id").to_pylist()) for f in files]
    assert all(persons)
    assert not (persons[0] & persons[1])
    assert not (persons[1] & persons[2])
    assert not (persons[0] & persons[2])
    assert read_claims(out).equals(read_claims(nmg))


def test_more_partitions_than_persons_still_writes_every_file(tmp_path: Path) -> None:
    out = tmp_path / "parts"
    synth(out, "--policy", "national-employee", "--partitions", "5", persons=3)
    files = sorted(out.glob("*.parquet"))
    assert len(files) == 5
    assert sum(pq.read_metadata(f).num_rows for f in files) == read_claims(out).num_rows > 0


def test_the_json_has_exactly_the_documented_shape(nmg: Path) -> None:
    data = simulate("--claims", str(nmg), "--policy", "nmg-employee")
    assert list(data) == ["baseline"]
    base = data["baseline"]
    assert isinstance(base, dict)
    assert base["claims"] == pq.read_metadata(nmg).num_rows
    assert 0 < base["persons"] <= 300
    assert list(base)[:3] == ["claims", "persons", "totals"]
    assert list(base["totals"]) == AMOUNT_KEYS
    for value in base["totals"].values():
        whole, cents = value.split(".")
        assert whole.isdigit()
        assert len(cents) == 2
    totals = {k: int(v.replace(".", "")) for k, v in base["totals"].items()}
    assert totals["fund_pay_sumamt"] == totals["hifp_pay"] + totals["hifmi_pay"]
    assert (
        totals["medfee_sumamt"]
        >= totals["fund_pay_sumamt"] + totals["acct_pay"] + totals["psn_cash_pay"] - 0
    )
    levels = base["by_hospital_level"]
    assert (
        sum(int(v["fund_pay_sumamt"].replace(".", "")) for v in levels.values())
        == totals["fund_pay_sumamt"]
    )
    assert sum(d["persons"] for d in base["deciles"]) == base["persons"]


def test_a_lower_level3_deductible_makes_the_fund_pay_more_and_no_one_lose(nmg: Path) -> None:
    data = simulate("--claims", str(nmg), "--policy", "nmg-employee", "--reform", str(REFORM))
    assert list(data) == ["baseline", "reform"]
    base, reform = data["baseline"], data["reform"]
    assert isinstance(base, dict)
    assert isinstance(reform, dict)
    assert reform["policy"] == "nmg-level3-deductible-600"
    assert list(reform["totals"]) == AMOUNT_KEYS
    before = int(base["totals"]["fund_pay_sumamt"].replace(".", ""))
    after = int(reform["totals"]["fund_pay_sumamt"].replace(".", ""))
    assert after > before
    change = reform["change"]
    assert change["winners"] > 0
    assert change["losers"] == 0
    assert change["winners"] + change["unchanged"] == base["persons"]
    assert (
        change["totals"]["fund_pay_sumamt"]
        == f"{(after - before) // 100}.{(after - before) % 100:02d}"
    )
    # the level-3 stays are what changed: levels 1 and 2 pay the same
    for level in ("1", "2"):
        assert (
            reform["by_hospital_level"][level]["fund_pay_sumamt"]
            == base["by_hospital_level"][level]["fund_pay_sumamt"]
        )
    assert all(not v.startswith("-") and v != "0.00" for v in [change["totals"]["hifp_pay"]])


def test_simulate_on_json_lines_equals_simulate_on_parquet(tmp_path: Path, nmg: Path) -> None:
    jsonl = tmp_path / "nmg.jsonl"
    synth(jsonl, "--policy", "nmg-employee")
    args = ["--policy", "nmg-employee", "--reform", str(REFORM)]
    assert simulate("--claims", str(jsonl), *args) == simulate("--claims", str(nmg), *args)


def test_simulate_on_a_directory_of_partitions_equals_simulate_on_one_file(
    tmp_path: Path, nmg: Path
) -> None:
    parts = tmp_path / "parts"
    synth(parts, "--policy", "nmg-employee", "--partitions", "4")
    args = ["--policy", "nmg-employee", "--reform", str(REFORM)]
    assert simulate("--claims", str(parts), *args) == simulate("--claims", str(nmg), *args)


def test_rows_of_other_policies_are_left_out_and_counted(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.parquet"
    synth(mixed, "--policy", "nmg-employee", "--policy", "taiyuan-resident", persons=200)
    table = pq.read_table(mixed)
    others = sum(1 for p in table.column("policy").to_pylist() if p != "taiyuan-resident")
    data = simulate("--claims", str(mixed), "--policy", "taiyuan-resident")
    base = data["baseline"]
    assert isinstance(base, dict)
    assert base["skipped_claims"] == others > 0
    assert base["claims"] == table.num_rows - others
    assert base["totals"]["acct_pay"] == "0.00"  # a resident scheme has no personal account


def test_the_terminal_report_and_the_html_report(tmp_path: Path, nmg: Path) -> None:
    html = tmp_path / "report.html"
    args = ["simulate", "--claims", str(nmg), "--policy", "nmg-employee", "--reform", str(REFORM)]
    result = runner.invoke(app, [*args, "--report", str(html)])
    assert result.exit_code == 0, result.output
    assert "统筹基金支付" in result.stdout
    assert "受益" in result.stdout
    assert "受损" in result.stdout
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert 'lang="zh-CN"' in page
    assert 'name="viewport"' in page
    assert "window.echarts" in page
    assert "echarts.init" in page
    # standalone: no script, style or image is fetched from anywhere
    assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page)
    assert "<link" not in page
    assert "三级医院" in page
    assert "nmg-level3-deductible-600" in page


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claims", "missing.parquet", "--policy", "nmg-employee"], "--claims：找不到文件或目录"),
        (["--claims", "CLAIMS.csv", "--policy", "nmg-employee"], "应为 .parquet 或 .jsonl"),
        (["--claims", "CLAIMS", "--policy", "no-such-policy"], "--policy：未知的医保政策"),
        (
            ["--claims", "CLAIMS", "--policy", "nmg-employee", "--reform", "BAD.yaml"],
            "BAD.yaml: parameters.annual_cap",
        ),
        (["--claims", "CLAIMS", "--policy", "nmg-employee", "--reform", "RESIDENT"], "无法比较"),
        (["--claims", "ROW", "--policy", "nmg-employee"], "第 2 行 encounter.items[0].amount"),
        (
            ["--claims", "CLAIMS", "--policy", "taiyuan-resident"],
            "中没有 taiyuan-resident 的记录（其中有：nmg-employee ",
        ),
        (
            ["--claims", "CLAIMS", "--policy", "nmg-employee", "--reform", "LATE.yaml"],
            "--reform：改革方案 nmg-level3-deductible-600 无法结算第 1 行 date：",
        ),
    ],
)
def test_bad_input_names_the_field_and_exits_without_a_traceback(
    tmp_path: Path, nmg: Path, args: list[str], message: str
) -> None:
    (tmp_path / "CLAIMS.csv").write_text("x\n", encoding="utf-8")
    bad = REFORM.read_text(encoding="utf-8").replace(
        "values: {2024-01-01: 250000}", "values: {2024-01-01: -5}"
    )
    (tmp_path / "BAD.yaml").write_text(bad, encoding="utf-8")
    late = REFORM.read_text(encoding="utf-8").replace("2024-01-01", "2026-01-01")
    (tmp_path / "LATE.yaml").write_text(late, encoding="utf-8")
    cases = [json.dumps(c) for c in read_claims_as_cases(nmg)[:3]]
    cases[1] = cases[1].replace('"amount": "', '"amount": "-', 1)
    (tmp_path / "ROW.jsonl").write_text("\n".join(cases) + "\n", encoding="utf-8")
    resident = ROOT / "src" / "yibao" / "policies" / "taiyuan-resident.yaml"
    swap = {
        "CLAIMS": str(nmg),
        "CLAIMS.csv": str(tmp_path / "CLAIMS.csv"),
        "BAD.yaml": str(tmp_path / "BAD.yaml"),
        "LATE.yaml": str(tmp_path / "LATE.yaml"),
        "RESIDENT": str(resident),
        "ROW": str(tmp_path / "ROW.jsonl"),
        "missing.parquet": str(tmp_path / "missing.parquet"),
    }
    result = runner.invoke(app, ["simulate", *[swap.get(a, a) for a in args]])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def read_claims_as_cases(path: Path) -> list[dict[str, object]]:
    from yibao.batch.claims import table_to_cases

    return table_to_cases(read_claims(path))


def test_synth_refuses_an_unknown_policy_and_a_bad_file_name(tmp_path: Path) -> None:
    unknown = runner.invoke(
        app,
        [
            "synth",
            "--persons",
            "5",
            "--year",
            "2025",
            "--policy",
            "nope",
            "--out",
            str(tmp_path / "x.parquet"),
        ],
    )
    assert unknown.exit_code != 0
    assert "--policy：未知的医保政策" in unknown.output
    wrong = runner.invoke(
        app,
        [
            "synth",
            "--persons",
            "5",
            "--year",
            "2025",
            "--policy",
            "nmg-employee",
            "--out",
            str(tmp_path / "x.csv"),
        ],
    )
    assert wrong.exit_code != 0
    assert "--out：文件名应以 .parquet 或 .jsonl 结尾" in wrong.output
    early = runner.invoke(
        app,
        [
            "synth",
            "--persons",
            "5",
            "--year",
            "2020",
            "--policy",
            "nmg-employee",
            "--out",
            str(tmp_path / "x.parquet"),
        ],
    )
    assert early.exit_code != 0
    assert "没有生效的版本" in early.output
