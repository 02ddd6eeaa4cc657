"""What a fresh user found on a clean clone (session 5, helper sweep): a repeated --by axis
ended in a traceback, one tested slice read ``1 slices``, a piped title ended in a blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.cli.diagnose import comparison_table
from capslice_tui.workspace import parse_by


@pytest.mark.parametrize("by", ["task,task", "task, benchmark ,task", ["task_type", "task_type"]])
def test_a_repeated_by_axis_is_refused_naming_it(by: Any) -> None:
    with pytest.raises(ValueError, match=r"--by names '(task|task_type)' twice"):
        parse_by(by)
    assert parse_by("task,benchmark") == ["task", "benchmark"]


def _one_slice() -> dict[str, Any]:
    row = {
        "slice": {"benchmark": "gsm8k"}, "n_items": 1319,
        "base": {"score": 0.217, "correct": 286, "n": 1319, "n_items": 1319},
        "cand": {"score": 0.347, "correct": 458, "n": 1319, "n_items": 1319},
        "diff": 0.13, "diff_low": 0.1, "diff_high": 0.16, "p_value": 1e-9, "p_adjusted": 1e-9,
        "marker": "better*", "mdd": 0.03, "warning": None, "test": "mcnemar-exact",
    }  # fmt: skip
    return {
        "by": ["benchmark"], "rows": [row], "n_tested": 1, "q": 0.05,
        "overall": {**row, "slice": {"all": "all"}, "p_adjusted": None, "marker": "better"},
        "notes": [], "evaluation_warning": None,
    }  # fmt: skip


def test_one_tested_slice_is_singular() -> None:
    _headers, _rows, notes = comparison_table(_one_slice())
    text = " ".join(notes)
    assert "1 slice tested;" in text and "1 slices" not in text, text
    assert "not the one corrected slice" in text and "of the 1 corrected" not in text, text


@pytest.mark.parametrize("rows", [[["a", "1"]], []])
def test_a_wrapped_title_has_no_trailing_blank_when_piped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rows: Any
) -> None:
    from capslice_tui.cli.render import emit_table

    monkeypatch.setenv("COLUMNS", "40")
    title = "trend by task_type: bbh-base@100000 < bbh-eos-masked@110000"
    emit_table(["task_type", "score"], rows, "table", title=title)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "trend by task_type: bbh-base@100000 <", lines
    assert all(line == line.rstrip() for line in lines), lines


def _codegen_store(tmp_path: Path) -> Path:
    """Three HumanEval items with 4, 2 and 6 samples (tests/fixtures/cases/ing-02)."""
    store = tmp_path / "s.db"
    case = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ing-02-generic-ids"
    args = ["ingest", str(case / "codegen_samples.jsonl"), "--run", "r", "--benchmark", "he"]
    _cli(store, *args)
    return store


def _cli(store: Path, *args: str, ok: bool = True) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "200"})
    assert (res.exit_code == 0) == ok, res.output
    return res.output


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_a_pass_at_k_cell_over_part_of_the_items_is_marked(tmp_path: Path, fmt: str) -> None:
    """pass@4 is over the 2 items having 4 samples or more: ``(100.0%) (2/2)`` and a note
    naming its coverage, so the curve does not seem to fall where the items change."""
    out = _cli(_codegen_store(tmp_path), "slices", "--run", "r", "--k", "1", "--k", "4",
               "--format", fmt)  # fmt: skip
    # a partial cell's score in parentheses, its count as a full cell's (was (100.0% 2/2))
    assert "(100.0%) (2/2)" in out and "44.4% (1.3/3)" in out, out
    assert "pass@4 covers 2 of 3 items (n >= k); ( ) marks a pass@k cell" in out, out
    assert "pass@1 cover" not in out


def test_a_k_above_every_items_samples_is_refused(tmp_path: Path) -> None:
    store = _codegen_store(tmp_path)
    out = _cli(store, "slices", "--run", "r", "--k", "500", ok=False)
    assert "--k 500: no item of r has 500 samples (the most any item has is 6)" in out, out
    assert "Traceback" not in out
    _cli(store, "slices", "--run", "r", "--k", "6")


def _multi_sample_compare() -> dict[str, Any]:
    """math-base vs math-targeted by task_type: per-item means whose sample counts are
    another ratio (``26.1% (210/2816 samples = 7.5%)``), the cells that pushed cand out."""

    def side(score: float, correct: int, n: int) -> dict[str, Any]:
        return {"score": score, "correct": correct, "n": n, "n_items": 50}

    def row(name: str, p: float | None, marker: str | None) -> dict[str, Any]:
        return {
            "slice": {"task_type": name}, "n_items": 50, "base": side(0.261, 210, 2816),
            "cand": side(0.385, 323, 2816), "diff": 0.124, "diff_low": 0.076,
            "diff_high": 0.175, "p_value": 0.0001, "p_adjusted": p, "marker": marker,
            "mdd": 0.074, "warning": None, "test": "paired-bootstrap",
        }  # fmt: skip

    names = ["algebra", "competition_problem", "counting_probability", "number_theory"]
    return {
        "by": ["task_type"], "rows": [row(t, 0.0025, "better*") for t in names], "n_tested": 4,
        "q": 0.05, "overall": {**row("all", None, "better"), "slice": {"all": "all"}},
        "notes": [], "evaluation_warning": None,
    }  # fmt: skip


@pytest.mark.parametrize("columns", [80, 100])
def test_a_narrow_compare_keeps_base_cand_diff_and_sig(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: int
) -> None:
    from capslice_tui.cli.diagnose import fitted_comparison
    from capslice_tui.cli.render import emit_table

    monkeypatch.setenv("COLUMNS", str(columns))
    headers, rows, notes = fitted_comparison(_multi_sample_compare(), columns)
    emit_table(headers, rows, "table", notes=notes, expendable=("95% CI",), keep=("sig",))
    lines = capsys.readouterr().out.splitlines()
    shown = lines[0].split()
    for column in ("base", "cand", "diff", "sig"):
        assert column in shown, "\n".join(lines)
    if columns == 100:
        assert "adj" in shown and "CI" in shown, "\n".join(lines)
    assert "26.1% mean" in lines[1] and "38.5% mean" in lines[1] and "+12.4" in lines[1]
    text = " ".join(" ".join(lines).split())
    assert "mean of the per-item accuracies" in text and "--format md or json" in text
    assert max(map(len, lines)) <= columns


def test_a_wide_compare_keeps_the_sample_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from capslice_tui.cli.diagnose import fitted_comparison

    _headers, rows, _notes = fitted_comparison(_multi_sample_compare(), 240)
    assert rows[0][2] == "26.1% (210/2816 samples = 7.5%)"


RUNS = [
    ["bbh-base", "demo-org/demo-1b-step100000", 100000, 480, "complete", "bbh 59.6% (286/480)"],
    ["bbh-eos-masked", "demo-org/demo-1b-eosmask-step110000", 110000, 480, "complete",
     "bbh 31.5% (151/480)"],
    ["gsm/175b_verification", "175b_verification", "-", 1319, "complete",
     "gsm8k 56.3% (742/1319)"],
    ["math-targeted", "demo-org/demo-1b-mathfix-step120000", 120000, 5888, "complete",
     "math 50.4% (mean of 158 items; samples 1304/5888 = 22.1%)"],
    ["olmo2-7b-stage2-ingredient3-anneal-50B-seed42-step11931-hf", "demo-org/demo-1b-step100000",
     11931, 480, "complete", "bbh_cot_fewshot 59.6% (286/480)"],
]  # fmt: skip
RUN_HEADERS = ["run", "model", "step", "samples", "status", "benchmarks (micro)"]


@pytest.mark.parametrize("columns", [120, 130, 140])
def test_runs_put_a_long_run_name_on_its_own_line_before_cutting_models(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: int
) -> None:
    """A 58-character run name took the run column's width and the models lost their shared
    prefix (``eosmask-step110000``, "narrow terminal") although the name fits a line."""
    from capslice_tui.cli.render import emit_table

    monkeypatch.setenv("COLUMNS", str(columns))
    emit_table(RUN_HEADERS, RUNS, "table", expendable=("model", "step"), own_line="run")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "demo-org/demo-1b-eosmask-step110000" in out and "narrow terminal" not in out, out
    assert "olmo2-7b-stage2-ingredient3-anneal-50B-seed42-step11931-hf" in lines, out
    assert max(map(len, lines)) <= columns


def test_short_run_names_do_not_move_to_spare_a_prefix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 100 columns the models lose their shared prefix (said in a note) rather than most
    run names going on their own lines: only names of LONG_NAME characters or more move."""
    from capslice_tui.cli.render import emit_table

    monkeypatch.setenv("COLUMNS", "100")
    emit_table(RUN_HEADERS, RUNS, "table", expendable=("model", "step"), own_line="run")
    lines = capsys.readouterr().out.splitlines()
    assert lines.count("olmo2-7b-stage2-ingredient3-anneal-50B-seed42-step11931-hf") == 1
    assert not any(line in ("bbh-eos-masked", "math-targeted") for line in lines), lines


def test_a_short_score_cell_without_a_score_is_a_dash() -> None:
    """``compare --k 500``: no item eligible on both sides, the score is NaN: ``-``, not
    ``- mean``."""
    from capslice_tui.cli.diagnose import _short_side

    assert _short_side({"score": float("nan"), "correct": 4, "n": 3840, "n_items": 0}) == "-"
    assert _short_side({"score": 0.645, "correct": 330, "n": 512, "n_items": 32}) == (
        "64.5% 330/512"
    )


def test_compare_refuses_a_k_no_item_has(tmp_path: Path) -> None:
    store = _codegen_store(tmp_path)
    case = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ing-02-generic-ids"
    _cli(store, "ingest", str(case / "codegen_samples.jsonl"), "--run", "r2", "--benchmark", "he")
    out = _cli(store, "compare", "r", "r2", "--k", "500", ok=False)
    assert "--k 500: no item has 500 samples in both r and r2" in out, out
    assert "Traceback" not in out
    _cli(store, "compare", "r", "r2", "--k", "2")
