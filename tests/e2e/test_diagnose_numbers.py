"""Numbers in ``diagnose``/``compare`` that must not be misread, on the bundled demo: the
``correct`` row of the change by failure mode is the net change (never a +0.0 while correct
moved), a non-zero change never prints as +0.0, multi-sample slices name the paired bootstrap
they ran, and a bootstrap p at its floor 1/(B+1) reads ``<0.001`` everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.formatting import change_points, p_text


def run(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("demo") / "demo.db"
    run(store, "demo", "--no-tui")
    return store


def test_small_changes_keep_their_sign_and_size() -> None:
    assert change_points(2 / 6511) == "+0.03 points"
    assert change_points(-2 / 6511, "") == "-0.03"
    assert change_points(0.00004) == "+<0.01 points"
    assert change_points(0.0) == "+0.0 points"
    assert change_points(0.1234, "") == "+12.3"


def test_bootstrap_floor_reads_below_one_over_b() -> None:
    assert p_text(1 / 1001, 1000) == "<0.001"
    assert p_text(2 / 1001, 1000) == "0.0020"
    assert p_text(1 / 1001, 0) == "0.000999"  # an exact test's p is printed as it is


def test_correct_row_is_the_net_change(demo: Path) -> None:
    out = run(demo, "diagnose", "bbh-base", "bbh-eos-masked")
    assert "correct (net)         -28.1" in out
    assert "correct                +0.0" not in out
    d = json.loads(run(demo, "diagnose", "bbh-base", "bbh-eos-masked", "--format", "json"))
    shift = {r["mode"]: r for r in d["failure_mode_shift"]}
    net = shift["correct"]["cand_share"] - shift["correct"]["base_share"]
    assert shift["correct"]["contribution"] == pytest.approx(net)
    parts = sum(r["contribution"] for m, r in shift.items() if m != "correct")
    assert parts == pytest.approx(net)


def test_multi_sample_slices_name_the_bootstrap_and_its_floor(demo: Path) -> None:
    out = " ".join(run(demo, "diagnose", "math-base", "math-targeted").split())  # unwrapped
    assert "exact McNemar, two-sided" not in out
    assert "paired test per slice (paired bootstrap over items, two-sided, B=1000" in out
    assert "paired bootstrap (B=1000) per slice" in out
    assert "p=0.001 " not in out and "0.000999" not in out
    assert "paired p-value: p<0.001 (paired bootstrap" in out
    assert "paired bootstrap p<0.001" in out
    cmp = run(demo, "compare", "math-base", "math-targeted")
    assert "0.000999" not in cmp and "<0.001" in cmp


def test_counts_read_in_their_number(demo: Path) -> None:
    out = run(demo, "diagnose", "math-base", "--benchmark", "math")
    out += run(demo, "diagnose", "math-base", "math-targeted")
    out += run(demo, "diagnose", "bbh-base", "bbh-eos-masked")
    assert "(s)" not in out
    assert ", 1 items" not in out
    assert "counting_probability x probability: 68.8% (11/16), 1 item" in out
    assert "0 settings (" in out


def test_the_point_unit_is_points(demo: Path) -> None:
    md = run(demo, "report", "bbh-base", "bbh-eos-masked")
    md += run(demo, "diagnose", "math-base", "math-targeted", "--format", "md")
    assert not re.findall(r"\bpts?\b", md)
    assert "| change (points) |" in md or "| diff (points) |" in md


def test_a_zero_part_of_a_drop_is_not_minus_zero() -> None:
    from types import SimpleNamespace

    from capslice_tui.analysis.verdict_wording import _shares
    from capslice_tui.formatting import pct

    dec = SimpleNamespace(
        total_change=-0.24, format_contribution=0.0, wrong_answer_contribution=-0.24
    )
    fmt, wrong = _shares(dec)  # type: ignore[arg-type]
    assert pct(fmt) == "0.0%" and pct(wrong) == "100.0%"
