"""Label provenance, precedence, history, undo, named slices and version conflicts."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from capslice_tui.store import NotFound  # noqa: E402
from capslice_tui.store.labels import Conflict  # noqa: E402
from label_store import make_store  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    make_store(tmp_path / "s.db")
    return Workspace(tmp_path / "s.db")


def _axes(ws: Workspace, item: int) -> tuple[str, str]:
    row = ws.store.query("SELECT task_type, sources FROM item_axes WHERE item_id = ?", (item,))[0]
    return row[0], row[1]


def test_precedence_hand_over_cluster_over_rule_and_show_marks_winner(ws: Workspace):
    item = 1
    assert _axes(ws, item)[0] == "logical_deduction"  # rule
    ws.store.set_labels([item], {"task_type": "state_tracking"}, source="cluster", who="ann")
    assert _axes(ws, item)[0] == "state_tracking"
    r = ws.label_items([item], {"task_type": "algorithmic"}, who="bob", note="checked by hand")
    assert r["changed"] == 1 and r["who"] == "bob"
    value, sources = _axes(ws, item)
    assert value == "algorithmic" and '"task_type":"hand"' in sources
    shown = ws.label_show(item)["axes"]["task_type"]
    assert shown["effective"] == "algorithmic" and shown["source"] == "hand"
    assert [(v["source"], v["value"], v["winner"]) for v in shown["values"]] == [
        ("hand", "algorithmic", True),
        ("cluster", "state_tracking", False),
        ("rule", "logical_deduction", False),
    ]
    hand = shown["values"][0]
    assert hand["who"] == "bob" and hand["note"] == "checked by hand" and hand["at"]
    # clearing the hand label falls back to the cluster label
    ws.label_items([item], {"task_type": None}, who="bob")
    assert _axes(ws, item)[0] == "state_tracking"


def test_label_changes_update_slice_statistics_at_once(ws: Workspace):
    before = {r.key["task_type"]: r.n_items for r in ws.slices("r1", by="task_type").rows}
    assert before == {"algorithmic": 6, "logical_deduction": 6}
    ws.label_items([1, 3], {"task_type": "state_tracking"}, who="ann")
    after = {r.key["task_type"]: r.n_items for r in ws.slices("r1", by="task_type").rows}
    assert after == {"algorithmic": 6, "logical_deduction": 4, "state_tracking": 2}


def test_history_and_undo_restore_previous_values(ws: Workspace):
    b1 = ws.label_items([1, 2], {"task_type": "state_tracking"}, who="ann")["batch"]
    b2 = ws.label_items([1], {"task_type": "table_reasoning"}, who="ann")["batch"]
    hist = ws.label_history(item_id=1)
    assert [(h["old_value"], h["new_value"], h["batch"]) for h in hist] == [
        ("state_tracking", "table_reasoning", b2),
        (None, "state_tracking", b1),
    ]
    undone = ws.undo_labels(who="ann")
    assert undone["undid"] == b2
    assert _axes(ws, 1)[0] == "state_tracking"
    undone = ws.undo_labels(who="ann")  # the next newest not-undone action
    assert undone["undid"] == b1
    assert _axes(ws, 1)[0] == "logical_deduction" and _axes(ws, 2)[0] == "algorithmic"
    assert ws.label_show(1)["axes"]["task_type"]["source"] == "rule"
    with pytest.raises(NotFound, match="nothing to undo"):
        ws.undo_labels(who="ann")
    actions = ws.label_actions()
    assert {a["batch"]: a["undone"] for a in actions}[b1] is True


def test_undo_refuses_when_someone_changed_the_label_since(ws: Workspace):
    b1 = ws.label_items([1], {"task_type": "state_tracking"}, who="ann")["batch"]
    ws.label_items([1], {"task_type": "algorithmic"}, who="bob")
    with pytest.raises(Conflict, match="changed by bob at"):
        ws.undo_labels(b1)
    ws.undo_labels(b1, force=True)
    assert ws.label_show(1)["axes"]["task_type"]["values"][0]["source"] == "rule"
    with pytest.raises(Conflict, match="already undone"):
        ws.undo_labels(b1)


def test_named_slice_version_conflict_names_who_and_when(ws: Workspace):
    ws.store.create_named_slice("hard-sorting", [1, 3, 5], who="ann")
    s = ws.named_slice("hard-sorting")
    assert s["version"] == 1 and s["item_ids"] == [1, 3, 5]
    r = ws.label_slice("hard-sorting", {"task_type": "algorithmic"}, expected_version=1, who="bob")
    assert r["version"] == 2 and r["items"] == 3
    with pytest.raises(
        Conflict, match=r"changed by bob at .* \(now version 2, you had version 1\)"
    ):
        ws.label_slice(
            "hard-sorting", {"task_type": "state_tracking"}, expected_version=1, who="ann"
        )
    assert {ws.label_show(i)["axes"]["task_type"]["effective"] for i in (1, 3, 5)} == {
        "algorithmic"
    }
    assert ws.label_show(1)["axes"]["task_type"]["values"][0]["origin"] == "slice:hard-sorting"
    with pytest.raises(Conflict, match="already exists"):
        ws.store.create_named_slice("hard-sorting", [2], who="cy")
    renamed = ws.rename_slice("hard-sorting", "sorting-hard", expected_version=2, who="ann")
    assert renamed["version"] == 3 and renamed["updated_by"] == "ann"


def _themed_questions(ws: Workspace) -> None:
    """Give the items two question themes that cut across both tasks (identical texts leave
    discovery nothing to suggest: it says so and shows no group)."""
    with ws.store.write() as conn:
        conn.execute(
            "UPDATE items SET question = CASE WHEN CAST(doc_id AS INTEGER) % 4 < 2"
            " THEN 'how many apples are left in the basket' ELSE 'sort these words by the"
            " alphabet' END"
        )


def test_discover_save_accept_and_cluster_labels(ws: Workspace):
    _themed_questions(ws)
    res = ws.discover("r1", k=2, save=True, who="ann")
    assert res.saved and all("id" in s for s in res.suggestions)
    sid = res.suggestions[0]["id"]
    created = ws.accept_suggestion(sid, "cluster-a", who="ann")
    assert created["origin"] == f"suggestion:{sid}"
    assert created["n_items"] == res.suggestions[0]["n_items"]
    with pytest.raises(Conflict, match="already accepted as 'cluster-a' by ann"):
        ws.accept_suggestion(sid, "cluster-b")
    out = ws.label_suggestion(sid, {"solving_operation": "casework"}, who="ann")
    item = ws.suggestion(sid)["item_ids"][0]
    shown = ws.label_show(item)["axes"]["solving_operation"]
    assert shown["source"] == "cluster" and out["changed"] == created["n_items"]


def test_bad_values_and_targets_are_refused(ws: Workspace):
    with pytest.raises(ValueError, match="unknown axis"):
        ws.label_items([1], {"colour": "red"})
    with pytest.raises(ValueError, match="not a value of task_type"):
        ws.label_items([1], {"task_type": "nonsense"})
    with pytest.raises(NotFound, match="1 of 2 item ids do not exist"):
        ws.label_items([1, 999], {"task_type": "algorithmic"})
    with pytest.raises(NotFound, match="no named slice 'nope'"):
        ws.label_slice("nope", {"task_type": "algorithmic"})
    with pytest.raises(NotFound, match="discover --save"):
        ws.accept_suggestion(12345, "x")


def test_cli_discover_accept_set_conflict_show_history_undo(tmp_path: Path):
    import json

    from click.testing import CliRunner

    from capslice_tui.cli import main

    make_store(tmp_path / "c.db")
    _themed_questions(Workspace(tmp_path / "c.db"))
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        res = runner.invoke(main, ["--store", str(tmp_path / "c.db"), *args])
        assert (res.exit_code == 0) == ok, res.output
        return res.output

    data = json.loads(run("discover", "--run", "r1", "--k", "2", "--save", "--format", "json"))
    sid = data["suggestions"][0]["id"]
    assert data["params"]["k"] == 2 and data["saved"]
    assert "version 1" in run("label", "accept", str(sid), "--name", "s1", "--user", "ann")
    out = run(
        "label",
        "set",
        "--slice",
        "s1",
        "--axis",
        "task_type",
        "--value",
        "algorithmic",
        "--expect-version",
        "1",
        "--user",
        "bob",
    )
    assert "slice version 2" in out and "by bob" in out
    out = run(
        "label",
        "set",
        "--slice",
        "s1",
        "--axis",
        "task_type",
        "--value",
        "state_tracking",
        "--expect-version",
        "1",
        "--user",
        "ann",
        ok=False,
    )
    assert "changed by bob at" in out
    item = json.loads(run("label", "show", "--slice", "s1", "--format", "json"))["item_ids"][0]
    shown = run("label", "show", "--item", str(item))
    assert "* algorithmic" in shown and "hand" in shown and "rule" in shown
    out = run("label", "set", "--items", str(item), "--axis", "colour", "--value", "x", ok=False)
    assert "unknown axis 'colour'" in out
    hist = json.loads(run("label", "history", "--item", str(item), "--format", "json"))
    assert hist[0]["new_value"] == "algorithmic" and hist[0]["who"] == "bob"
    assert "undid" in run("label", "undo", "--user", "bob")
    assert "nothing to undo by bob" in run("label", "undo", "--user", "bob", ok=False)


BBH_COT = (
    Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "data"
    / "bbh"
    / "outputs"
    / "code-davinci-002_cot.jsonl"
)


def test_real_bbh_cot_failures_through_the_store(tmp_path: Path):
    if not BBH_COT.exists():
        pytest.skip(f"real BBH log not found at {BBH_COT}")
    ws = Workspace(tmp_path / "bbh.db")
    ws.ingest([BBH_COT], run="cot")
    a = ws.discover("cot", failing_only=True, error_aware=True, random_state=0).to_dict()
    b = ws.discover("cot", failing_only=True, error_aware=True, random_state=0).to_dict()
    assert a == b
    # failing only: no error contrast exists, so groups (which may overlap) are ranked by size
    assert a["structure"] == "no error contrast"
    assert all(s["size"] <= a["n_samples"] for s in a["suggestions"])
    # generations that never reach "the answer is" (truncated) form their own groups; among
    # failing samples alone they rank by size only (201 since dyck answers that end in a
    # complete statement are wrong answers, not cut), so they are read over all samples
    every = ws.discover("cot", error_aware=True, random_state=0).to_dict()
    truncated = [
        s for s in every["suggestions"]
        if s["failure_modes"].get("truncated", 0) >= 0.8 * s["size"]
    ]  # fmt: skip
    assert truncated and all(s["dominant_failure_mode"] == "truncated" for s in truncated)
