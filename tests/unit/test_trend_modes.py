"""Failure-mode mix over checkpoints (``capslice trend --modes``): per slice and step, the count
of scored samples in each failure mode, shares that are those counts over the slice's samples,
and a stacked text bar with one legend line.

The store holds two of the demo's BBH runs (sample_data/lm_eval): bbh-base (right or wrong
answers only) and bbh-eos-masked (EOS masked out of the loss: truncations, run-aways and
extraction failures), 480 greedy samples each.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.vocabulary import FAILURE_MODES
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir
from capslice_tui.workspace.results import ModeMixDict, ModeTrendDict
from capslice_tui.workspace.trend import (
    MIX_WIDTH,
    MODE_GLYPHS,
    ModeMix,
    mix_bar,
    mix_legend,
    mode_rows,
)

RUNS = [("bbh-eos-masked", 110_000), ("bbh-base", 100_000)]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trend-modes") / "capslice.db"
    ws = Workspace(path)
    for name, step in RUNS:
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="bbh", step=step)
    return path


def _direct_counts(store: Path, run: str) -> dict[tuple[str, str], int]:
    """(task, mode) -> scored samples, read straight from the samples table."""
    with sqlite3.connect(store) as conn:
        rows = conn.execute(
            "SELECT s.task, s.failure_mode, count(*) FROM samples s JOIN runs r ON r.id = s.run_id"
            " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " WHERE r.name = ? AND s.filter = rt.primary_filter AND s.score IS NOT NULL"
            " GROUP BY 1, 2",
            (run,),
        ).fetchall()
    return {(t, m): n for t, m, n in rows}


def test_counts_are_the_stores_and_shares_sum_to_one(store: Path) -> None:
    ws = Workspace(store)
    trend = ws.trend_modes([name for name, _ in RUNS], by="task")
    assert [r.name for r in trend.runs] == ["bbh-base", "bbh-eos-masked"]  # step order
    assert trend.modes == ["correct", "wrong_answer", "extraction_failure", "truncated", "runaway"]
    assert trend.absent == ["empty"]
    for i, run in enumerate(trend.runs):
        direct = _direct_counts(store, run.name)
        table = {tuple(r.key.values()): r for r in ws.slices(run.name, by="task").rows}
        for s in trend.series:
            mix = s.points[i]
            assert mix is not None
            task = s.key["task"]
            assert mix.counts == {m: direct.get((task, m), 0) for m in trend.modes}
            assert mix.total == sum(mix.counts.values()) == table[(task,)].n_samples
            assert sum(mix.share(m) for m in trend.modes) == pytest.approx(1.0, abs=1e-12)
        whole = trend.overall.points[i]
        assert whole is not None and whole.total == 480
        assert sum(whole.to_dict()["shares"].values()) == pytest.approx(1.0, abs=1e-12)
    # the eos-masked run: 151 right (the harness's 151/480), the rest by failure mode
    masked = trend.overall.points[1]
    assert masked is not None
    assert masked.counts == {
        "correct": 151,
        # a complete wrong answer that then ran on to the cap is a wrong answer (the cap is
        # in its signals); answers cut mid-word at the cap are truncated (not wrong)
        "wrong_answer": 129,
        "extraction_failure": 98,
        "truncated": 73,
        "runaway": 29,
    }
    assert trend.overall.points[0].counts == {  # type: ignore[union-attr]
        "correct": 286,
        "wrong_answer": 194,
        "extraction_failure": 0,
        "truncated": 0,
        "runaway": 0,
    }
    # base -> eos-masked: a run continued from demo-1b (one lineage), not different models
    assert not any("different models" in w for w in trend.warnings)


def test_refusals_are_the_trends(store: Path) -> None:
    ws = Workspace(store)
    with pytest.raises(ValueError, match="at least two runs"):
        ws.trend_modes(["bbh-base"])
    with pytest.raises(ValueError, match="unknown --by value"):
        ws.trend_modes(["bbh-base", "bbh-eos-masked"], by="colour")


def test_mix_bar_is_always_full_width_by_largest_remainder() -> None:
    modes = list(FAILURE_MODES)
    mix = ModeMix({"correct": 151, "wrong_answer": 31, "extraction_failure": 100,
                   "truncated": 169, "runaway": 29, "empty": 0}, 480)  # fmt: skip
    bar = mix_bar(mix, modes)
    # exact cells 6.29, 1.29, 4.17, 7.04, 1.21: floors 6+1+4+7+1 = 19, the one left goes to
    # the largest remainder: correct and wrong_answer tie at .29, display order breaks it
    assert bar == "#" * 7 + "x" + "e" * 4 + "t" * 7 + "r"
    assert len(bar) == MIX_WIDTH
    assert mix_bar(ModeMix({"correct": 1, "wrong_answer": 2}, 3), modes, width=3) == "#xx"
    assert mix_bar(None, modes) == "" and mix_bar(ModeMix({}, 0), modes) == ""
    legend = mix_legend(["correct", "truncated"])
    assert legend == "mix: # correct  t truncated  (20 cells = 100% of samples)"
    assert len(set(MODE_GLYPHS.values())) == len(MODE_GLYPHS)  # one glyph, one mode
    assert all(g.isascii() for g in MODE_GLYPHS.values())


def test_rows_carry_counts_beside_shares(store: Path) -> None:
    trend = Workspace(store).trend_modes(["bbh-base", "bbh-eos-masked"], by="task")
    rows = mode_rows(trend)
    assert rows[-1] == [
        "ALL", 110000, "######xxxxxxeeeetttr", 480, "31.5% (151/480)", "26.9% (129/480)",
        "20.4% (98/480)", "15.2% (73/480)", "6.0% (29/480)", "bbh-eos-masked",
    ]  # fmt: skip
    assert len(mode_rows(trend, bar=False)[-1]) == len(rows[-1]) - 1


def test_cli_modes_table_json_md(store: Path) -> None:
    runner = CliRunner()
    args = ["--store", str(store), "trend", "--runs", "bbh-eos-masked,bbh-base", "--modes"]
    out = runner.invoke(main, args)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].strip().startswith("failure modes by task: bbh-base@100000 < bbh-eos-masked")
    header = lines[1].split()
    assert header == ["task", "step", "mix", "samples", "correct", "wrong_answer",
                      "extraction_failure", "truncated", "runaway", "run"]  # fmt: skip
    last = [ln for ln in lines if ln.startswith("ALL")][-1].split()
    assert last[:5] == ["ALL", "110000", "######xxxxxxeeeetttr", "480", "31.5%"]
    assert "(151/480)" in last and "(73/480)" in last
    legends = [ln for ln in lines if ln.startswith("mix:")]
    assert legends == [mix_legend(["correct", "wrong_answer", "extraction_failure",
                                   "truncated", "runaway"])]  # fmt: skip
    assert "no sample of any run is empty" in out.output

    data = json.loads(runner.invoke(main, [*args, "--format", "json"]).output)
    assert set(data) == set(ModeTrendDict.__annotations__)
    assert set(data["overall"]["points"][0]) == {"run", "step", *ModeMixDict.__annotations__}
    assert data["modes"][0] == "correct" and data["absent_modes"] == ["empty"]
    point = data["overall"]["points"][1]
    assert point["run"] == "bbh-eos-masked" and point["samples"] == 480
    assert point["counts"]["truncated"] == 73
    assert point["shares"]["truncated"] == pytest.approx(73 / 480)

    md = runner.invoke(main, [*args, "--format", "md"]).output
    assert md.startswith("### failure modes by task") and "mix:" not in md  # no bar, no legend
    assert "| ALL | 110000 | 480 | 31.5% (151/480) |" in md

    bad = runner.invoke(main, [*args, "--average", "macro"])
    assert bad.exit_code == 2 and "--modes counts samples" in bad.output
