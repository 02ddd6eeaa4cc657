"""Intervention log: status machine, audit history, concurrent edits, outcomes on small stores."""

from __future__ import annotations

import json

import pytest
from capslice_tui.store import Store
from capslice_tui.store.db import Conflict
from capslice_tui.store.interventions import InvalidTransition

from capslice_tui.workspace import Workspace


def _ws(path):
    ws = Workspace(path)
    return ws


def _write_run(path, good_tasks, n_items=30, samples=1):
    """Generic JSONL: tasks minerva_math_num_theory (target) and minerva_math_algebra
    (control); ``good_tasks`` maps task -> number of items answered right."""
    lines = []
    for task, right in good_tasks.items():
        for doc in range(n_items):
            for k in range(samples):
                ok = doc < right
                lines.append({"task": task, "doc_id": doc, "target": "7", "sample_idx": k,
                              "response": "The answer is 7." if ok else "The answer is 3.",
                              "correct": ok})  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "s.db")


def _new(store, **kw):
    args = dict(
        title="t",
        hypothesis="h",
        target_slices=[{"task_type": "number_theory"}],
        control_slices=[{"task_type": "algebra"}],
        baseline_run="base",
        author="alice",
    )
    args.update(kw)  # fmt: skip
    return store.create_intervention(**args)


def test_status_machine_and_history(store):
    rec = _new(store)
    assert rec["status"] == "proposed" and rec["version"] == 1
    with pytest.raises(
        InvalidTransition, match="is proposed: only accepted interventions can be started"
    ):
        store.change_intervention(rec["id"], action="start", who="bob",
                                  changes={"status": "running"}, allowed_from=("accepted",))  # fmt: skip
    rec = store.change_intervention(rec["id"], action="reject", who="bob",
                                    changes={"status": "rejected", "decision_reason": "too costly"},
                                    allowed_from=("proposed",))  # fmt: skip
    assert rec["status"] == "rejected" and rec["version"] == 2
    with pytest.raises(
        InvalidTransition, match="is rejected: only proposed interventions can be accepted"
    ):
        store.change_intervention(rec["id"], action="accept", who="bob",
                                  changes={"status": "accepted"}, allowed_from=("proposed",))  # fmt: skip
    hist = store.intervention_history(rec["id"])
    last = [(h["action"], h["field"], h["old_value"], h["new_value"], h["who"]) for h in hist[-2:]]
    assert last == [("reject", "status", "proposed", "rejected", "bob"),
                    ("reject", "decision_reason", None, "too costly", "bob")]  # fmt: skip
    assert hist[0]["action"] == "create" and hist[0]["who"] == "alice"


def test_concurrent_edit_detected(store):
    rec = _new(store)
    store.change_intervention(rec["id"], action="edit", who="bob", changes={"title": "t2"},
                              expected_version=1)  # fmt: skip
    with pytest.raises(Conflict, match="now version 2, you had 1"):
        store.change_intervention(rec["id"], action="edit", who="carol",
                                  changes={"title": "t3"}, expected_version=1)  # fmt: skip
    assert store.get_intervention(rec["id"])["title"] == "t2"


def test_workspace_flow_confirmed_and_harmful(tmp_path):
    ws = _ws(tmp_path / "w.db")
    tasks = ("minerva_math_num_theory", "minerva_math_algebra")
    ws.ingest([_write_run(tmp_path / "b.jsonl", dict(zip(tasks, (5, 20), strict=True)))], run="base",
              benchmark="math")  # fmt: skip
    ws.ingest([_write_run(tmp_path / "c.jsonl", dict(zip(tasks, (25, 20), strict=True)))], run="good",
              benchmark="math")  # fmt: skip
    ws.ingest([_write_run(tmp_path / "h.jsonl", dict(zip(tasks, (25, 5), strict=True)))], run="harm",
              benchmark="math")  # fmt: skip
    rec = ws.new_intervention(title="nt data", hypothesis="more number theory", baseline="base",
                              benchmark="math", targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}], who="alice")  # fmt: skip
    with pytest.raises(ValueError, match="reason"):
        ws.reject_intervention(rec["id"], reason=" ", who="bob")
    with pytest.raises(InvalidTransition):
        ws.link_intervention(rec["id"], "good", who="bob")
    ws.accept_intervention(rec["id"], who="bob", expected_version=rec["version"])
    rec = ws.link_intervention(rec["id"], "good", who="bob")
    assert rec["status"] == "evaluated" and rec["verdict"] == "confirmed"
    target = rec["outcome"]["rows"][0]
    assert target["diff"] == pytest.approx(20 / 30) and target["significant"]
    rec = ws.link_intervention(rec["id"], "harm", who="bob")
    assert rec["verdict"] == "harmful"
    actions = [h["action"] for h in ws.intervention(rec["id"])["history"]]
    assert actions.count("evaluate") >= 4 and "start" in actions
    with pytest.raises(ValueError, match="unknown task_type value"):
        ws.new_intervention(title="x", hypothesis="y", baseline="base", benchmark="math",
                            targets=[{"task_type": "numbertheory"}], controls=[])  # fmt: skip


def test_default_controls_share_no_item_with_the_targets(tmp_path):
    ws = _ws(tmp_path / "w.db")
    tasks = ("minerva_math_num_theory", "minerva_math_algebra")
    ws.ingest([_write_run(tmp_path / "b.jsonl", dict(zip(tasks, (5, 20), strict=True)))], run="base",
              benchmark="math")  # fmt: skip
    # the target names a task, not a task_type: only the items tell that number_theory overlaps
    target = [{"task": "minerva_math_num_theory"}]
    controls, notes = ws.choose_controls("base", "math", target)
    assert controls == [{"task_type": "algebra"}]
    assert any("number_theory: left out, 30 of its 30 items are in a target slice" in n
               for n in notes)  # fmt: skip
    assert any("algebra: chosen, 30 items" in n for n in notes)
    rec = ws.new_intervention(title="x", hypothesis="y", baseline="base", benchmark="math",
                              targets=target, who="alice")  # fmt: skip
    assert rec["control_slices"] == [{"task_type": "algebra"}]
    assert rec["control_choice"] == notes
    # too few items: left out with the reason
    controls, notes = ws.choose_controls("base", "math", target, min_items=31)
    assert controls == [] and any("(< 31, too few" in n for n in notes)


def test_the_app_check_and_the_store_refusal_are_one_sentence(tmp_path):
    """The app's check before asking (``intervention_refusal``) and the store's
    InvalidTransition (what the CLI prints) said the same refusal in two wordings (review)."""
    ws = _ws(tmp_path / "s.db")
    rec = _new(ws.store)
    ws.reject_intervention(rec["id"], reason="too costly", who="bob")
    rec = ws.intervention(rec["id"])
    said = ws.intervention_refusal(rec, "accept")
    assert said == "#1 't' is rejected: only proposed interventions can be accepted"
    with pytest.raises(InvalidTransition) as raised:
        ws.accept_intervention(rec["id"], who="bob")
    assert str(raised.value) == said
    assert ws.intervention_refusal(rec, "reject") == (
        "#1 't' is rejected: only proposed or evaluated interventions can be rejected"
    )
