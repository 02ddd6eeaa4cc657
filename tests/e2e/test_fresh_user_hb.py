"""A fresh user's walk on the README demo at 80 columns: every note explains the figure the
table beside it shows (compare's ``... mean`` cells, trend's ALL row against its sample
count), a prefix left out of names is called shared only when every name has it, and counted
notes read in their number (``1 group restates``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.cli.render import emit_table
from capslice_tui.cli.root import PER_ITEM_MEAN_NOTE


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("hb-demo") / "demo.db"
    result = CliRunner().invoke(main, ["--store", str(store), "demo", "--no-tui"])
    assert result.exit_code == 0, result.output
    return store


def run(store: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def _all_row(out: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith("ALL "))


@pytest.mark.parametrize("k", ["16", "128"])
def test_compare_mean_note_quotes_the_figure_the_table_shows(demo: Path, k: str) -> None:
    """The ALL row reads ``78.1% mean`` at pass@16: the note quotes that cell, not the
    pass@1 mean (``43.1% mean``) it quoted whatever the table showed."""
    out = run(demo, "compare", "math-base", "math-targeted", "--by", "task", "--k", k)
    flat = " ".join(out.split())
    row = _all_row(out)
    assert row[2] == "mean", out  # ALL <base> mean <cand> mean ...
    assert f"base/cand '{row[1]} mean': mean of the per-item pass@{k} estimates" in flat, out
    assert "'43.1% mean'" not in flat, out


def test_trend_says_all_is_a_per_item_mean_beside_a_sample_count(demo: Path) -> None:
    """``ALL (micro) ... 43.1% ... 1093/5888`` (18.6%): a note says the score is the mean of
    per-item accuracies and the count is of samples, as ``slices`` does; a trend whose counts
    are their scores' ratios (BBH, one sample an item) has no such note."""
    out = run(demo, "trend", "--runs", "math-base,math-targeted", "--by", "task")
    assert "1093/5888" in out and "43.1%" in out, out
    assert PER_ITEM_MEAN_NOTE in " ".join(out.split()), out
    bbh = run(demo, "trend", "--runs", "bbh-base,bbh-eos-masked", "--by", "task")
    assert PER_ITEM_MEAN_NOTE not in " ".join(bbh.split()), bbh


def test_a_prefix_some_names_lack_is_not_called_shared(demo: Path) -> None:
    """``aime`` has no ``minerva_math_``: the note names the names it was left out of."""
    flat = " ".join(run(demo, "compare", "math-base", "math-targeted", "--k", "128").split())
    assert "shared prefix 'minerva_math_'" not in flat, flat
    assert "task: names starting with 'minerva_math_' shown without it" in flat, flat


def test_runs_models_without_the_prefix_are_not_said_to_share_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``runs`` over checkpoint models beside real BBH/GSM8K logs (``code-davinci-002``,
    ``175b_verification``): the model note says which names lost the prefix; a column whose
    every name has it keeps 'shared prefix'."""
    monkeypatch.setenv("COLUMNS", "80")
    headers = ["run", "model", "step", "samples", "status", "benchmarks (micro)"]
    models = [f"demo-org/demo-1b-{m}" for m in ("eosmask-v3-step-049000", "base-step-100000",
              "targeted-math-mix-step-120000")]  # fmt: skip
    score = "math acc mean 43.1% (mean of 158 items; samples 1093/5888 = 18.6%)"
    rows = [[f"r{i}", m, "100000", "5888", "ok", score] for i, m in enumerate(models)]
    others = [["bbh", "code-davinci-002", "-", "6511", "ok", score],
              ["gsm8k", "175b_verification", "-", "1319", "ok", score]]  # fmt: skip
    emit_table(headers, rows + others, "table")
    mixed = " ".join(capsys.readouterr().out.split())
    assert "model: names starting with 'demo-org/demo-1b-' shown without it" in mixed, mixed
    assert "shared prefix" not in mixed, mixed
    emit_table(headers, rows, "table")
    alike = " ".join(capsys.readouterr().out.split())
    assert "model: names shown without their shared prefix 'demo-org/demo-1b-'" in alike, alike


def test_discover_counts_one_folded_group_in_the_singular(demo: Path) -> None:
    out = run(demo, "discover", "--run", "math-base")
    flat = " ".join(out.split())
    assert "1 group restates an existing label and is folded" in flat, out
    assert "1 groups" not in flat and "1 restate " not in flat, out


@pytest.mark.parametrize("run_name", ["math-base", "bbh-base"])
def test_discover_folds_every_group_that_restates_a_label(demo: Path, run_name: str) -> None:
    """Walk 9 #23: math-base showed ``q:consider ... restates solving_operation=casework``
    third of four rows while nothing was folded, bbh-base ``restates task=...`` beside ``+ 3
    folded``: one rule now, every group that restates a label is folded (--all shows it,
    after every other group)."""
    data = json.loads(run(demo, "discover", "--run", run_name, "--format", "json"))
    assert data["folded"], "the demo's runs have groups that restate a label"
    assert not [s["name"] for s in data["suggestions"] if s["novelty"]["restates"]]
    assert all(f["restates"] and f["jaccard"] >= 0.7 for f in data["folded"])
    n = len(data["folded"])
    assert any(x.startswith(f"{n} group") and "folded" in x for x in data["notes"]), data["notes"]
    table = run(demo, "discover", "--run", run_name)
    # no row says 'restates X': only the fold's note names what the folded groups restate
    assert not re.findall(r"restates (?!an existing label)", table), table
    every = json.loads(run(demo, "discover", "--run", run_name, "--all", "--format", "json"))
    assert not every["folded"]
    flags = [bool(s["novelty"]["restates"]) for s in every["suggestions"]]
    assert sum(flags) == n and flags == sorted(flags), flags  # restating ones last
