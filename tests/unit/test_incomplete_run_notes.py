"""Walk 18 F1/F12: every score or verdict of an incomplete run says so, in one line naming the
run and how much is stored (``Workspace.incomplete_notes``); an intervention is not linked to
an incomplete run unless --allow-incomplete, and its outcome then records it; a run whose
totals were never computed (an ingest killed) is not shown as 0/0 beside its stored records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from capslice_tui.store import StoreError
from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")
CUT = "task minerva_math_num_theory: 16 of 32 expected samples (the results file's n-samples)"


def _store(tmp: Path) -> Workspace:
    ws = Workspace(tmp / "w.db")
    ws.ingest([write_sampled_run(tmp / "b.jsonl", TASKS, (5, 20), 1)], run="base", benchmark="math")
    ws.ingest(
        [write_sampled_run(tmp / "g.jsonl", TASKS, (25, 20), 1)], run="good", benchmark="math"
    )
    good = ws.store.get_run("good")["id"]
    ws.store.mark_run_incomplete(good, f"{CUT}: the log is cut short (/x/samples.jsonl:17)")
    return ws


def _cli(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "200"})
    return res.exit_code, res.output


def test_slices_compare_diagnose_name_the_incomplete_run(tmp_path: Path) -> None:
    ws = _store(tmp_path)
    n = ws.store.run_sample_count(ws.store.get_run("good")["id"])
    note = (
        f"good is incomplete ({n:,} records stored; task minerva_math_num_theory: 16 of 32"
        " expected samples): figures cover what is stored"
    )
    assert ws.incomplete_notes("base", "good") == [note]
    assert ws.slices("good").to_dict()["incomplete"] == [note]
    assert ws.slices("base").to_dict()["incomplete"] == []
    db = tmp_path / "w.db"
    for args in (
        ("slices", "--run", "good"),
        ("compare", "base", "good"),
        ("diagnose", "base", "good"),
        ("diagnose", "good"),
    ):
        code, out = _cli(db, *args)
        assert code == 0 and "good is incomplete (" in " ".join(out.split()), (args, out)
    code, out = _cli(db, "diagnose", "base", "good", "--format", "json")
    assert json.loads(out)["incomplete"] == [note]
    code, out = _cli(db, "slices", "--run", "base")
    assert "incomplete" not in out


def test_link_refuses_an_incomplete_run_unless_allowed_and_the_outcome_says_so(
    tmp_path: Path,
) -> None:
    ws = _store(tmp_path)
    rec = ws.new_intervention(
        title="nt data", hypothesis="more number theory", baseline="base", benchmark="math",
        targets=[{"task_type": "number_theory"}], controls=[{"task_type": "algebra"}],
        who="alice",
    )  # fmt: skip
    iid = int(rec["id"])
    ws.accept_intervention(iid, who="bob")
    with pytest.raises(StoreError, match="good is incomplete .*--allow-incomplete"):
        ws.link_intervention(iid, "good", who="bob")
    assert ws.intervention(iid)["status"] == "accepted"  # nothing written
    code, out = _cli(tmp_path / "w.db", "intervention", "link", str(iid), "--run", "good")
    assert code == 1 and "--allow-incomplete" in out and "nothing was changed" in out, out
    code, out = _cli(
        tmp_path / "w.db", "intervention", "link", str(iid), "--run", "good", "--allow-incomplete"
    )
    assert code == 0, out
    outcome = ws.intervention(iid)["outcome"]
    assert outcome is not None and outcome["incomplete"][0].startswith("good is incomplete (")
    assert "measured on what is stored: good is incomplete" in outcome["reason"]
    code, out = _cli(tmp_path / "w.db", "intervention", "show", str(iid))
    assert "good is incomplete (" in " ".join(out.split())


def test_a_run_whose_totals_were_never_computed_is_not_shown_as_empty(tmp_path: Path) -> None:
    """F12: a SIGKILLed ingest stored samples but no item scores: slices said 0/0."""
    ws = _store(tmp_path)
    good = ws.store.get_run("good")["id"]
    with ws.store.write() as conn:
        conn.execute("DELETE FROM item_scores WHERE run_id = ?", (good,))
        conn.execute("DELETE FROM slice_counts WHERE run_id = ?", (good,))
    with pytest.raises(StoreError, match="the totals of the stored part were never computed"):
        ws.slices("good")
    code, out = _cli(tmp_path / "w.db", "slices", "--run", "good")
    text = " ".join(out.split())
    assert code == 1 and "never computed" in text and "delete-run good" in text, out
    assert "0/0" not in out
