"""Fresh-user walk 9: a rejection's regression warning speaks of the slice its reason names
(#35); the CLI outcome's intervals are signed like the app's (#10); the outcome names the
pass@k estimator (#25)."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.analysis.outcome import named_rows, regression_warning
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra", "minerva_math_prealgebra")


def _evaluated(tmp: Path, result: tuple[int, ...], samples: int = 1) -> tuple[Workspace, int]:
    """base (5, 20, 20) -> ``result``; target number_theory, controls algebra, prealgebra."""
    ws = Workspace(tmp / "w.db")
    ws.ingest(
        [write_sampled_run(tmp / "b.jsonl", TASKS, (5, 20, 20), samples)],
        run="base",
        benchmark="math",
    )
    ws.ingest(
        [write_sampled_run(tmp / "r.jsonl", TASKS, result, samples)], run="res", benchmark="math"
    )
    rec = ws.new_intervention(
        title="nt data", hypothesis="more number theory", baseline="base", benchmark="math",
        targets=[{"task_type": "number_theory"}],
        controls=[{"task_type": "algebra"}, {"task_type": "prealgebra"}], who="alice",
    )  # fmt: skip
    iid = int(rec["id"])
    ws.accept_intervention(iid, who="bob")
    ws.link_intervention(iid, "res", who="bob")
    return ws, iid


def test_a_rejection_naming_a_slice_is_checked_against_that_slice(tmp_path: Path) -> None:
    """#35: `prealgebra regression` stored a warning about algebra's drop while prealgebra
    rose."""
    ws, iid = _evaluated(tmp_path, (25, 19, 21))  # algebra -1 item, prealgebra +1 item
    rec = ws.reject_intervention(iid, reason="prealgebra regression", who="bob")
    warning = rec["decision_warning"]
    assert "no significant regression of the slice this rejection names" in warning, warning
    assert "control task_type=prealgebra +3.3 points" in warning, warning
    assert "algebra -3.3" not in warning, warning  # not another slice's drop


def test_named_rows_match_whole_values_only() -> None:
    rows = [
        {"role": "control", "slice": {"task_type": "algebra"}},
        {"role": "control", "slice": {"task_type": "prealgebra"}},
        {"role": "control", "slice": {"task_type": "intermediate_algebra"}},
        {"role": "target", "slice": {"task_type": "number_theory", "op": "casework"}},
    ]
    names = [r["slice"]["task_type"] for r in named_rows("prealgebra regression", rows)]
    assert names == ["prealgebra"]
    names = [r["slice"]["task_type"] for r in named_rows("intermediate algebra dropped", rows)]
    assert names == ["intermediate_algebra"]
    assert [r["role"] for r in named_rows("Number theory got worse", rows)] == ["target"]
    assert named_rows("regressed overall", rows) == []


def test_a_named_slice_that_fell_significantly_carries_no_warning() -> None:
    row = {"role": "control", "slice": {"task_type": "algebra"}, "diff": -0.4,
           "significant": True, "p_adjusted": 0.001, "p": 0.001}  # fmt: skip
    other = {"role": "control", "slice": {"task_type": "prealgebra"}, "diff": 0.01,
             "significant": False, "p_adjusted": 0.8, "p": 0.8}  # fmt: skip
    outcome = {"verdict": "harmful", "rows": [row, other], "did": None}
    assert regression_warning(outcome, "algebra regression") is None
    warning = regression_warning(outcome, "prealgebra regression")
    assert warning is not None and "prealgebra +1.0 points" in warning
    assert "significantly worse elsewhere: control task_type=algebra -40.0" in warning


def test_the_cli_outcome_signs_its_intervals_and_names_the_pass_at_k_estimator(
    tmp_path: Path,
) -> None:
    """#10: `target change [21.8, 34.6]` beside the app's `+19.4 points [+13.9, +25.0]`;
    #25: the outcome named pass@k's k but not its estimator."""
    _evaluated(tmp_path, (25, 19, 21), samples=4)
    res = CliRunner().invoke(
        main, ["--store", str(tmp_path / "w.db"), "intervention", "show", "1"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    out = res.output
    assert res.exit_code == 0, out
    target = next(line for line in out.splitlines() if line.startswith("target "))
    assert re.search(r"\+66\.7 +\[\+", target) and "pass@4 +66.7 [+" in target, target
    algebra = next(line for line in out.splitlines() if "algebra " in line)
    assert re.search(r"-3\.3 +\[-10\.0, \+0\.0\]", algebra), algebra  # was [10.0, 0.0]
    assert re.search(r"control change \[[-+]\d+\.\d, [-+]\d+\.\d\]", out), out
    assert out.count("unbiased estimator (Chen et al. 2021)") == 1, out
