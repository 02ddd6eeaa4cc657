"""Fresh-user walk 9: an intervention linked to its own baseline (#31), link's refusal on a
proposed one (#32), a target slice with no item (#38), an exploratory evaluate at another k
(#5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from capslice_tui.store import StoreError
from capslice_tui.store.interventions import InvalidTransition
from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _store(tmp: Path, samples: int = 1) -> Workspace:
    ws = Workspace(tmp / "w.db")
    ws.ingest(
        [write_sampled_run(tmp / "b.jsonl", TASKS, (5, 20), samples)], run="base", benchmark="math"
    )
    ws.ingest(
        [write_sampled_run(tmp / "g.jsonl", TASKS, (25, 20), samples)], run="good", benchmark="math"
    )
    return ws


def _new(ws: Workspace) -> int:
    rec = ws.new_intervention(
        title="nt data", hypothesis="more number theory", baseline="base", benchmark="math",
        targets=[{"task_type": "number_theory"}], controls=[{"task_type": "algebra"}],
        who="alice",
    )  # fmt: skip
    return int(rec["id"])


def _cli(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "200"})
    return res.exit_code, res.output


def test_the_baseline_cannot_be_linked_as_the_result_run(tmp_path: Path) -> None:
    """#31: linking math-base to its own intervention stored `refuted` (DiD +0.0 [+0.0, +0.0])."""
    ws = _store(tmp_path)
    iid = _new(ws)
    ws.accept_intervention(iid, who="bob")
    with pytest.raises(StoreError, match="it is the intervention's baseline run"):
        ws.link_intervention(iid, "base", who="bob")
    rec = ws.intervention(iid)
    assert rec["status"] == "accepted" and rec["result_run"] is None  # nothing written
    # the store refuses too, so no caller can record it
    ws.start_intervention(iid, who="bob")
    with pytest.raises(StoreError, match="a run compared with itself measures no change"):
        ws.store.change_intervention(iid, action="link", who="bob", changes={"result_run": "base"})
    code, out = _cli(tmp_path / "w.db", "intervention", "link", str(iid), "--run", "base")
    assert code == 1 and "cannot link 'base' to #1 'nt data'" in out, out
    assert ws.intervention(iid)["verdict"] is None


def test_link_on_a_proposed_intervention_names_every_status_and_the_next_command(
    tmp_path: Path,
) -> None:
    """#32: `(allowed from: running, evaluated)` left out accepted and no next step."""
    ws = _store(tmp_path)
    iid = _new(ws)
    with pytest.raises(InvalidTransition) as raised:
        ws.link_intervention(iid, "good", who="bob")
    assert str(raised.value) == (
        "#1 'nt data' is proposed: only accepted, running or evaluated interventions can be "
        "linked to a run; accept it first: capslice intervention accept 1"
    )
    code, out = _cli(tmp_path / "w.db", "intervention", "link", str(iid), "--run", "good")
    assert code == 1 and "capslice intervention accept 1" in out, out
    ws.accept_intervention(iid, who="bob")  # then link works from accepted
    assert ws.link_intervention(iid, "good", who="bob")["verdict"] == "confirmed"


def test_a_target_slice_with_no_item_is_refused_at_new_and_unmeasurable_when_judged(
    tmp_path: Path,
) -> None:
    """#38: task_type=geometry (0 items of the baseline) was recorded silently and judged
    `inconclusive`."""
    ws = _store(tmp_path)
    with pytest.raises(ValueError, match=r"target slice task_type=geometry has 0 items of base"
                       r" in math: nothing there could be measured"):  # fmt: skip
        ws.new_intervention(title="t", hypothesis="h", baseline="base", benchmark="math",
                            targets=[{"task_type": "geometry"}], who="alice")  # fmt: skip
    code, out = _cli(tmp_path / "w.db", "intervention", "new", "--title", "t", "--hypothesis",
                     "h", "--baseline", "base", "--benchmark", "math", "--target",
                     "task_type=number_theory", "--target", "task_type=geometry")  # fmt: skip
    assert code == 1 and "task_type=geometry has 0 items of base in math" in out, out
    assert ws.interventions() == []
    # one recorded before the refusal existed: unmeasurable, naming the empty slice
    rec = ws.store.create_intervention(
        title="old", hypothesis="h", baseline_run="base", benchmark="math", author="alice",
        target_slices=[{"task_type": "number_theory"}, {"task_type": "geometry"}],
        control_slices=[{"task_type": "algebra"}],
    )  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    out_rec = ws.link_intervention(rec["id"], "good", who="bob")
    assert out_rec["verdict"] == "unmeasurable", out_rec["outcome"]["reason"]
    assert out_rec["outcome"]["reason"].startswith(
        "target slice task_type=geometry has no item in both runs"
    )


def test_an_evaluate_at_another_k_is_exploratory_and_keeps_the_recorded_verdict(
    tmp_path: Path,
) -> None:
    """#5: `evaluate 1 --k 128` overwrote confirmed with unmeasurable and its rows mixed
    pass@128 with a pass@16 column."""
    ws = _store(tmp_path, samples=4)
    iid = _new(ws)
    ws.accept_intervention(iid, who="bob")
    rec = ws.link_intervention(iid, "good", who="bob")
    assert rec["verdict"] == "confirmed" and rec["outcome"]["k"] is None
    assert rec["outcome"]["rows"][0]["pass_at_k"]["k"] == 4  # accuracy: pass@k beside it
    version = ws.intervention(iid)["version"]
    code, out = _cli(tmp_path / "w.db", "intervention", "evaluate", str(iid), "--k", "2")
    assert code == 0, out
    assert "exploratory outcome base -> good" in out and "metric: pass@2" in out, out
    assert (
        "exploratory: not recorded. The verdict of #1 stays confirmed, recorded at "
        "accuracy (asked: pass@2)" in " ".join(out.split())
    ), out
    assert "capslice intervention evaluate 1 --k 2 --record" in out, out
    assert "pass@4" not in out  # one k per row: the metric is pass@2, no pass@k column
    after = ws.intervention(iid)
    assert after["version"] == version and after["outcome"]["k"] is None
    # the facade refuses to store it unasked, and stores it when asked
    with pytest.raises(ValueError, match=r"recorded at accuracy \(asked: pass@2\)"):
        ws.evaluate_intervention(iid, k=2, who="bob")
    # a link again at another k is refused before anything is written (the run stays)
    with pytest.raises(ValueError, match=r"capslice intervention evaluate 1` and the same"):
        ws.link_intervention(iid, "good", k=2, who="bob")
    assert ws.intervention(iid)["version"] == version
    # at the recorded settings (no k given) evaluate records again, as after a re-score
    assert ws.evaluate_intervention(iid, who="bob")["outcome"]["k"] is None
    code, out = _cli(tmp_path / "w.db", "intervention", "evaluate", str(iid), "--k", "2",
                     "--record")  # fmt: skip
    assert code == 0, out
    stored = ws.intervention(iid)["outcome"]
    assert stored["k"] == 2 and all(r["pass_at_k"] is None for r in stored["rows"])
    # from now on the recorded k is 2: a plain evaluate stays at pass@2
    assert ws.evaluate_intervention(iid, who="bob")["outcome"]["k"] == 2


def test_an_adjusted_p_of_a_floored_bootstrap_p_prints_as_a_bound_everywhere(
    tmp_path: Path,
) -> None:
    """#4/#8/#40: a bootstrap p at its floor printed `<0.001` beside its BH-adjusted value as
    an exact-looking `0.0020` (intervention outcome, compare; CLI and app)."""
    from capslice_tui.app.screens.interventions import outcome_lines
    from capslice_tui.formatting import P_BOUND_NOTE, p_adj_text, row_p_adj

    floor = 1 / 1001
    assert p_adj_text(floor * 2, floor, 1000) == "<=0.0020"
    assert p_adj_text(floor * 2.5, floor, 1000) == "<=0.0025"
    assert p_adj_text(0.004, 0.002, 1000) == "0.0040"  # above the floor: exact
    assert p_adj_text(floor * 2, floor, 0) == "0.0020"  # McNemar's exact p: no floor
    assert p_adj_text(None, floor, 1000) == "-" and p_adj_text(0.00002, 1e-5, 1000) == "<0.0001"
    # a bootstrap row stored before rows carried n_boot: the default B; other tests: exact
    old = {"p_adjusted": floor * 2, "p_value": floor, "test": "paired-bootstrap"}
    assert row_p_adj(old) == "<=0.0020"
    assert row_p_adj({**old, "test": "mcnemar-exact"}) == "0.0020"
    assert row_p_adj({"p_adjusted": floor * 2, "p_value": floor}) == "0.0020"  # a weakness
    ws = _store(tmp_path, samples=4)  # number theory 5 -> 25 of 30 items: p at its floor
    iid = _new(ws)
    ws.accept_intervention(iid, who="bob")
    outcome = ws.link_intervention(iid, "good", who="bob")["outcome"]
    target = outcome["rows"][0]
    assert target["n_boot"] == 1000 and target["p_value"] == pytest.approx(floor)
    code, out = _cli(tmp_path / "w.db", "intervention", "show", str(iid))
    assert code == 0, out
    row = next(line for line in out.splitlines() if line.startswith("target "))
    assert "<=0.0020" in row.split() and " 0.0020" not in row, out
    assert P_BOUND_NOTE in " ".join(out.split()), out
    lines = outcome_lines(outcome)  # the app's detail
    assert any(" p adj <=0.0020 better*" in line for line in lines), lines
    assert P_BOUND_NOTE in lines
    code, out = _cli(tmp_path / "w.db", "compare", "base", "good", "--by", "task")
    row = next(line for line in out.splitlines() if line.startswith("minerva_math_num_theory"))
    assert code == 0 and "<0.001" in row.split() and "<=0.0020" in row.split(), out
    assert P_BOUND_NOTE in " ".join(out.split()), out
    code, out = _cli(tmp_path / "w.db", "diagnose", "base", "good")  # the verdict's wording
    assert code == 0 and "p_adj<=0.0020" in out and "p_adj=0.0020" not in out, out
    assert P_BOUND_NOTE in " ".join(out.split()), out  # its slice line's bound is explained
    code, out = _cli(tmp_path / "w.db", "diagnose", "base", "good", "--format", "md")
    assert code == 0 and "<=0.0020" in out and f"- {P_BOUND_NOTE}" in out, out
