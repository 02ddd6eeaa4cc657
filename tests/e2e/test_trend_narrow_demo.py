"""``capslice trend`` on the README demo at 80 columns, as a fresh user reads it: the run a
trend leaves out between its steps is named, task names keep their words (no run column
that repeats the step), and ``--modes`` shows the modes that tell the EOS story."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main

EOS = ["bbh-base", "bbh-eos-masked", "bbh-eos-restored"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("trend-demo") / "demo.db"
    result = CliRunner().invoke(main, ["--store", str(store), "demo", "--no-tui"])
    assert result.exit_code == 0, result.output
    return store


def trend(store: Path, *args: str, columns: int = 80) -> str:
    result = CliRunner().invoke(
        main, ["--store", str(store), "trend", *args], env={"COLUMNS": str(columns)}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_a_trend_that_skips_the_eos_masked_step_says_so(demo: Path) -> None:
    out = trend(demo, "--runs", "bbh-base,bbh-eos-restored")
    flat = " ".join(out.split())
    assert "warning: left out: bbh-eos-masked@110000: same model lineage and benchmark" in flat
    # every step named: nothing left out
    assert "left out: bbh" not in " ".join(trend(demo, "--runs", ",".join(EOS)).split())
    # math-targeted (120000) is of the lineage but not on bbh, and not between the steps
    assert "math-" not in flat


def test_narrow_trend_keeps_task_names_and_leaves_the_run_column_to_the_title(
    demo: Path,
) -> None:
    out = trend(demo, "--runs", "math-base,math-targeted", "--by", "task")
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    head = lines[1].split()
    assert head[0] == "task" and "run" not in head and "vs prev" in lines[1], out
    names = {line.split()[0] for line in lines[2:14]}
    # were mi…algebra, min…d_prob, m…prea…bra and ALL (micr…
    assert {"minerva_math_algebra", "minerva_math_prealgebra", "aime", "ALL"} <= names, out
    assert "ALL (micro)" in out
    assert "the title names each step's run" in " ".join(out.split())
    # wide enough for every column: the run column stays
    wide = trend(demo, "--runs", "math-base,math-targeted", "--by", "task", columns=160)
    assert wide.splitlines()[1].split()[-1] == "run"
    bbh = trend(demo, "--runs", ",".join(EOS), "--by", "task_type")
    for name in ("commonsense_judgement", "logical_deduction", "state_tracking"):
        assert f"\n{name} " in bbh, bbh  # were commonse…, logical_…, state_tr…


def test_narrow_mode_trend_shows_the_modes_of_the_eos_story(demo: Path) -> None:
    out = trend(demo, "--runs", ",".join(EOS), "--by", "task_type", "--modes")
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    flat = " ".join(out.split())
    assert "not shown at 80 columns" not in flat, out
    head = lines[2].split()
    assert head[-5:] == ["correct", "wrong", "fmt!", "trunc", "runaway"], out
    assert "fmt! = extraction_failure" in flat and "trunc = truncated" in flat
    # the ALL row at the masked step: 129/480 wrong answers (the complete wrong answers that
    # ran on to the cap among them), 98/480 extraction failures, 73/480 truncated
    masked_all = next(ln.split() for ln in lines if ln.startswith("ALL") and "110000" in ln)
    assert masked_all[-5:] == ["31.5%", "26.9%", "20.4%", "15.2%", "6.0%"], masked_all


def test_narrow_mode_trend_leaves_out_the_modes_that_moved_least(demo: Path) -> None:
    out = trend(demo, "--runs", ",".join(EOS), "--by", "task_type,benchmark", "--modes",
                columns=60)  # fmt: skip
    flat = " ".join(out.split())
    # runaway moved 12.5 points at most, wrong_answer 16.7, truncated 18.8, extraction_failure
    # more: at 60 columns the first three are left out, least moved first
    assert (
        "the modes that moved least: runaway (moved at most 12.5%), wrong_answer (moved at "
        "most 16.7%), truncated (moved at most 18.8%)"
    ) in flat, out
    assert out.splitlines()[2].split()[-2:] == ["correct", "fmt!"], out


def test_one_run_stands_for_its_lineage_on_its_benchmarks(demo: Path) -> None:
    out = trend(demo, "--runs", "bbh-base")
    assert out.startswith(
        "trend by task: bbh-base@100000 < bbh-eos-masked@110000 < bbh-eos-restored@120000"
    ), out
    flat = " ".join(out.split())
    assert (
        "runs: every run with a step of bbh-base's model lineage on its benchmarks "
        "(bbh-base, bbh-eos-masked, bbh-eos-restored)"
    ) in flat
    masked_all = next(
        ln.split() for ln in out.splitlines() if ln.startswith("ALL (micro)") and "110000" in ln
    )
    assert masked_all[2:7] == ["110000", "480", "31.5%", "[27.5,", "35.7]"], masked_all
    modes = trend(demo, "--runs", "math-targeted", "--modes")
    assert "failure modes by task: math-base@100000 < math-targeted@120000" in modes
