"""Walk 17: two runs are read like with like: a trend flags the steps whose evaluation differs
(F13) and a pair whose primary filters differ is read on the filter both logged (F9).

Fixtures ``tests/fixtures/walk17_lmeval`` (``make.py`` there; built like the walk's inputs):
lm-eval 0.4.8 gsm8k lines, the decoding settings in ``arguments.gen_args_0.arg_1``.

* F13: trend over steps evaluated with max_gen_toks 64, then do_sample T=1: the same check as
  diagnose flags each such step and no point change is printed across it.
* F9: primary filters strict-match vs flexible-extract while both logged flexible-extract:
  compare and diagnose read both on flexible-extract and name it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace.trend import trend_rows

FIXTURES = Path(__file__).parents[1] / "fixtures" / "walk17_lmeval"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def _ingest(ws: Workspace, name: str, step: int | None = None, run: str | None = None) -> object:
    return ws.ingest([FIXTURES / name], run=run or name, step=step)


def test_f13_trend_flags_steps_whose_evaluation_differs(ws: Workspace) -> None:
    _ingest(ws, "base", step=1000, run="ck1000")
    _ingest(ws, "cap64", step=2000, run="ck2000")
    _ingest(ws, "temp1", step=3000, run="ck3000")
    _ingest(ws, "base", step=4000, run="ck4000")  # temp1 -> base: sampled -> greedy again
    trend = ws.trend(["ck1000", "ck2000", "ck3000", "ck4000"], by="task")
    differ = [w for w in trend.warnings if w.startswith("evaluation differs")]
    assert len(differ) == 3
    assert "ck1000 (step 1000) and ck2000 (step 2000)" in differ[0]
    assert "max_gen_toks 256 vs 64" in differ[0]
    assert "do_sample false vs true" in differ[1]
    changes = [row[-1] for row in trend_rows(trend) if row[0] == "gsm8k"]
    assert changes[0] == "-"
    assert changes[1] == "eval differs"  # greedy both sides: the metric is the same
    assert all(c in ("eval differs", "metric differs") for c in changes[1:])
    modes = ws.trend_modes(["ck1000", "ck2000"], by="task")
    assert any(w.startswith("evaluation differs") for w in modes.warnings)


def test_f13_trend_of_one_evaluation_prints_its_changes(ws: Workspace) -> None:
    _ingest(ws, "base", step=1000, run="ck1000")
    _ingest(ws, "base", step=2000, run="ck2000")
    trend = ws.trend(["ck1000", "ck2000"], by="task")
    assert not [w for w in trend.warnings if w.startswith("evaluation differs")]
    assert [row[-1] for row in trend_rows(trend) if row[0] == "gsm8k"] == ["-", "+0.0"]


def test_f9_pair_read_on_the_filter_both_logged(ws: Workspace) -> None:
    _ingest(ws, "aformat")
    _ingest(ws, "flexonly")
    label = ws.filter_pair_label("aformat", "flexonly")
    assert label.startswith("filter flexible-extract (logged by both")
    cmp = ws.compare("aformat", "flexonly")  # refused before: strict-match vs flexible-extract
    assert any("both runs read on filter flexible-extract" in n for n in cmp.notes)
    overall = cmp.to_dict()["overall"]
    # flexible-extract on both sides: 20/30 -> 6/30 (strict-match was 0/30 -> 6/30)
    assert (overall["base"]["correct"], overall["cand"]["correct"]) == (20, 6)
    d = ws.diagnose("aformat", "flexonly")
    assert d.verdict.reason != "evaluation_changed"
    assert any("both runs read on filter flexible-extract" in n for n in d.notes)
