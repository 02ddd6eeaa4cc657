"""Walk 9 on the demo's math-base (16 samples per item, AIME 128) through ``capslice slices``:
the ``metric:`` line said ``accuracy (mean over samples)`` beside a score that is a mean of
per-item accuracies (#22); at 80 columns the table kept pass@2 and pass@4 and dropped the
count, pass@1, pass@128 and the note (#37); rows of one table had three interval methods and
no row said which, under a note that contradicted the rows given a Wilson interval (#3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_store import math_base_store

from capslice_tui.cli import main
from capslice_tui.cli.root import _slices_expendable, curve_middle
from capslice_tui.formatting import interval_legend, interval_mark, score_meaning
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return math_base_store(tmp_path_factory.mktemp("walk9"))


def _cli(store: Path, *args: str, columns: int = 80) -> str:
    env = {"COLUMNS": str(columns), "TERM": "linux", "NO_COLOR": "1"}
    res = CliRunner().invoke(main, ["--store", str(store), *args], env=env)
    assert res.exit_code == 0, res.output
    return res.output


def test_metric_line_says_the_score_is_a_mean_over_items(store: Path) -> None:
    out = " ".join(_cli(store, "slices", "--run", "math-base", columns=200).split())
    assert "metric: accuracy: mean over items of each item's accuracy;" in out, out
    assert "mean over samples" not in out, out
    assert score_meaning("greedy accuracy", True) == "greedy accuracy"
    assert score_meaning("accuracy (mean of per-item accuracies)", True, short=True) == (
        "score: item mean; c/n pooled"
    )


def test_narrow_slices_drop_the_middle_of_the_curve_first(store: Path) -> None:
    assert curve_middle([1, 2, 4, 8, 16, 32, 64, 128]) == [2, 4, 64, 8, 32, 16]
    assert curve_middle([1, 2]) == []
    order = _slices_expendable((), [1, 2, 4, 8, 16, 32, 64, 128])
    assert order.index("pass@16") < order.index("pass@1") < order.index("pass@128")
    assert "count" not in order
    lines = _cli(store, "slices", "--run", "math-base").splitlines()
    header = lines[1].split()
    assert max(len(line) for line in lines) <= 80
    # the count (43.1% beside 1093/5888) and AIME's pass@128 headline stay; the note column,
    # empty on every row, goes first
    assert header[-2:] == ["count", "pass@128"] and "note" not in header, lines[1]
    assert not any(h in header for h in ("pass@2", "pass@4", "pass@64")), lines[1]
    assert "(6.7%) (2/30)" in lines[7] and "1093/5888" in lines[7], lines[7]
    # with room, pass@1 and the interval come back before the middle of the curve
    wide = _cli(store, "slices", "--run", "math-base", columns=120).splitlines()[1].split()
    assert "CI" in wide and "pass@1" in wide and "pass@2" not in wide, wide


def test_each_row_says_its_interval_method(store: Path) -> None:
    args = ("slices", "--run", "math-base", "--by", "task_type,solving_operation")
    out = _cli(store, *args, "--format", "md")
    rows = {
        tuple(c.strip() for c in line.split("|")[1:3]): line
        for line in out.splitlines()
        if line.count("|") > 5
    }
    # 0/768: every item all wrong, a Wilson interval over items; 3/768: none; 32 items: bootstrap
    assert "| [0.0, 39.0] w |" in rows[("number_theory", "casework")], out
    assert "| - |" in rows[("competition_problem", "modular_arithmetic")], out
    assert "| [59.6, 69.1] b |" in rows[("algebra", "equation_solving")], out
    text = " ".join(_cli(store, *args, columns=200).split())
    assert "interval per row: b = bootstrap over items; w = Wilson over items" in text, text
    assert "- = none: too few items for a bootstrap over items" in text, text
    # the footer no longer says every several-sample row lacks an interval
    assert "where each item is all right or all wrong, a Wilson interval over items" in text
    assert interval_mark("-", "none", True) == "-"
    assert interval_mark("[1.0, 2.0]", "cluster-bootstrap", False) == "[1.0, 2.0]"
    assert interval_legend(["wilson"]) == (
        "interval per row: w = Wilson over items (one sample per item)"
    )


FM01 = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "fm-01-runaway" / "out"


def test_samples_table_shows_a_correct_sample_flagged_as_runaway(tmp_path: Path) -> None:
    """#21: fm-01's samples 3 (EOS written as text x120) and 5 (a paragraph 6 times) are
    officially correct and read only ``correct`` in the table; the flag was only in
    ``capslice sample ID``. The sample index column was ``k`` (pass@k's letter; #11)."""
    store = tmp_path / "s.db"
    Workspace(store).ingest([FM01], run="fm")
    out = _cli(store, "samples", "--run", "fm")
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:1].isdigit()}
    assert "correct+eos" in rows["3"] and "correct+rep" in rows["5"], out
    assert "correct" in rows["1"] and "runaway" in rows["2"], out
    assert not any("+" in w for w in rows["1"] + rows["2"] + rows["6"]), out
    assert out.splitlines()[1].split()[:3] == ["id", "doc", "#"], out
    text = " ".join(out.split())
    assert "correct+flag: scored correct, but flagged: eos = an EOS token written as text" in text
    assert "rep = repeated text" in text
    rows_json, _ = Workspace(store).samples("fm", limit=10)
    assert {r["failure_signals"] for r in rows_json} >= {"stop_literal", "repetition", None}
