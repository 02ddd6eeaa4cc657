"""Trends over checkpoints: runs ordered by step, each point the run's own slice row (score
with its 95% interval), gaps kept as gaps, and warnings when points are not comparable."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))

from lmeval_files import build_store, write_runs  # noqa: E402

from capslice_tui.cli import main  # noqa: E402
from capslice_tui.workspace import Workspace  # noqa: E402


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base@100, cand@200 (bbh), mathrun@300 (math), again@200 (base's logs), nostep."""
    root = tmp_path_factory.mktemp("trend")
    path = build_store(root)
    logs = write_runs(root / "more")
    ws = Workspace(path)
    ws.ingest([logs["base"]], run="again", benchmark="bbh", step=200)
    ws.ingest([logs["base"]], run="nostep", benchmark="bbh")
    return path


def test_points_are_each_runs_slice_rows_in_step_order(store: Path) -> None:
    ws = Workspace(store)
    trend = ws.trend(["mathrun", "cand", "base"], by="task")
    assert [(r.name, r.step) for r in trend.runs] == [
        ("base", 100),
        ("cand", 200),
        ("mathrun", 300),
    ]
    for i, run in enumerate(trend.runs):
        table = ws.slices(run.name, by="task")
        rows = {tuple(r.key.values()): r for r in table.rows}
        for s in trend.series:
            point = s.points[i]
            expected = rows.get(tuple(s.key.values()))
            if expected is None:
                assert point is None  # a gap, not a zero
            else:
                assert (point.score, point.lo, point.hi, point.n_items) == (
                    expected.score, expected.lo, expected.hi, expected.n_items,
                )  # fmt: skip
        assert trend.overall.points[i].score == table.overall.score
    boolean = next(s for s in trend.series if "boolean" in s.label)
    assert boolean.scores() == [0.76, 0.52, None]
    assert any("ALL: item count changes" in w for w in trend.warnings)


def test_refuses_runs_it_cannot_order(store: Path) -> None:
    ws = Workspace(store)
    with pytest.raises(ValueError, match="without a training step: nostep"):
        ws.trend(["base", "nostep"])
    with pytest.raises(ValueError, match="at least two runs"):
        ws.trend(["base"])
    with pytest.raises(ValueError, match="more than once: base"):
        ws.trend(["base", "base"])


def test_two_runs_at_one_step_are_named(store: Path) -> None:
    trend = Workspace(store).trend(["cand", "again", "base"])
    assert [r.name for r in trend.runs] == ["base", "again", "cand"]
    assert any("step 200 has several runs (again, cand)" in w for w in trend.warnings)


def test_cli_table_json_md(store: Path) -> None:
    runner = CliRunner()
    args = ["--store", str(store), "trend", "--runs", "cand,base,mathrun"]
    out = runner.invoke(main, args)
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert "base@100 < cand@200 < mathrun@300" in lines[0]
    boolean = [ln.split() for ln in lines if ln.startswith("bbh_cot_fewshot_boolean")]
    # the run is the last column (a narrow terminal leaves it out rather than cut a name)
    assert [[row[1], row[-1]] for row in boolean] == [
        ["100", "base"],
        ["200", "cand"],
        ["300", "mathrun"],
    ]
    assert boolean[0][3:6] == ["76.0%", "[56.6,", "88.5]"]  # score and Wilson interval
    assert boolean[1][-2] == "-24.0" and "not in this run" in " ".join(boolean[2])
    all_rows = [ln for ln in lines if ln.startswith("ALL (micro)")]
    assert "items differ" in all_rows[-1]  # 50 items -> 12: no difference
    assert "warning: ALL: item count changes across runs (12, 50)" in out.output

    data = json.loads(runner.invoke(main, [*args, "--format", "json"]).output)
    assert [r["step"] for r in data["runs"]] == [100, 200, 300]
    assert data["overall"]["points"][0]["ci_low"] < data["overall"]["points"][0]["score"]
    assert data["slices"][0]["points"][2]["score"] is None

    md = runner.invoke(main, [*args, "--format", "md"]).output
    assert md.startswith("### trend by task") and "| 100 | 25 | 76.0% |" in md

    bad = runner.invoke(main, ["--store", str(store), "trend", "--runs", "base,nostep"])
    assert bad.exit_code == 1 and "ingest --step" in bad.output and "Traceback" not in bad.output


def test_one_change_prints_one_way() -> None:
    """-15/48 is -31.25 points whether it is 31/48 -> 16/48 (float noise: -31.250000000000004)
    or 32/48 -> 17/48; both print -31.2, as compare does (its difference is (c - b) / n)."""
    from types import SimpleNamespace as NS

    from capslice_tui.workspace.trend import trend_rows

    def point(k: int) -> NS:
        return NS(score=k / 48, lo=0.0, hi=1.0, n_items=48, metric="acc", correct=k,
                  n_samples=48, average="micro", n_tasks=1)  # fmt: skip

    runs = [NS(step=1, name="a"), NS(step=2, name="b")]
    series = [NS(key={"task": t}, points=[point(x), point(y)]) for t, x, y in
              (("object_counting", 31, 16), ("sports", 32, 17))]  # fmt: skip
    overall = NS(key={}, points=[point(31), point(16)])
    trend = NS(series=series, overall=overall, runs=runs, by=["task"], average="micro")
    changes = [row[-1] for row in trend_rows(trend) if row[-1] != "-"]
    assert changes == ["-31.2", "-31.2", "-31.2"]
