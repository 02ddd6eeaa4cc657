"""A hand label refused by a hub conflict keeps its history with it (walk 18 F4), conflicts name
items as users know them and the time each change was made, and a pull into a byte-identical
store compares runs before calling them different (walk 18 F5)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import test_hub
from test_hub import Team, _item_id, _store_a, cli, js

team = test_hub.team  # the fixture: a hub with a writer (alice_*), a lead (carol_*), a reader


def _labelled(store: Path, item: int) -> dict:
    values = js(store, "label", "show", "--item", str(item))["axes"]["task_type"]["values"]
    return next(lab for lab in values if lab["source"] == "hand")


def test_refused_label_keeps_its_history_and_undo_works(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.lead))
    cli(a, "push")
    cli(b, "pull")
    item_a, item_b = _item_id(a, "5"), _item_id(b, "5")
    cli(a, "label", "set", "--items", str(item_a), "--axis", "task_type", "--value",
        "table_reasoning", "--note", "alice1", "--user", "alice")  # fmt: skip
    alice_at = _labelled(a, item_a)["at"]
    time.sleep(1.2)
    cli(b, "label", "set", "--items", str(item_b), "--axis", "task_type", "--value",
        "logical_deduction", "--note", "bob1", "--user", "bob")  # fmt: skip
    bob_at = _labelled(b, item_b)["at"]
    time.sleep(1.2)  # pushed after both changes: the push time is neither's
    cli(a, "push")
    out = cli(b, "pull").output
    # named as every other command names it, at the time alice labelled it
    assert f"item {item_b} (gsm8k doc 5)" in out, out
    assert f"changed by {team.writer} at {alice_at}" in out, out
    assert f"at {bob_at}" in out, out
    # b's history does not take alice's row while b keeps its own value
    assert "table_reasoning" not in json.dumps(js(b, "label", "history", "--item", str(item_b)))
    out = cli(b, "push").output
    assert "not pushed, nor its history" in out and out.startswith("nothing to push"), out
    out = cli(a, "pull").output
    history = js(a, "label", "history", "--item", str(item_a))
    assert "logical_deduction" not in json.dumps(history), (out, history)
    assert _labelled(a, item_a)["value"] == "table_reasoning"
    out = cli(a, "label", "undo", "--anyone").output
    assert out.startswith("undid"), out
    # settled explicitly: the hub's value and then its history come with it, and b's own
    # replaced change stays with b
    cli(b, "pull", "--theirs")
    assert _labelled(b, item_b)["value"] == "table_reasoning"
    assert "table_reasoning" in json.dumps(js(b, "label", "history", "--item", str(item_b)))
    cli(b, "push")
    cli(a, "pull")
    assert "logical_deduction" not in json.dumps(js(a, "label", "history", "--item", str(item_a)))


def test_pull_into_an_identical_copy_finds_the_runs_the_same(team: Team, tmp_path: Path) -> None:
    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    with sqlite3.connect(a) as src, sqlite3.connect(b) as dst:
        src.backup(dst)  # a byte-for-byte copy, WAL included
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(a, "push")
    cli(b, "hub", "add", "team", team.url(team.lead))
    out = cli(b, "pull").output
    assert "conflict" not in out and "different run" not in out, out
    assert out.startswith("nothing to pull: nothing new on hub team (2 runs, "), out
    assert "conflict" not in cli(b, "push").output


def test_nothing_moved_and_nothing_shared_reads_as_a_sentence() -> None:
    from capslice_tui.hub.sync import SyncReport

    pull = SyncReport(hub="team", direction="pull").lines()[0]
    push = SyncReport(hub="team", direction="push").lines()[0]
    assert pull == "nothing to pull: hub team has nothing shared yet", pull
    assert push == "nothing to push: this store has nothing to share with hub team yet", push


def test_runs_ingested_separately_from_the_same_logs_say_so(team: Team, tmp_path: Path) -> None:
    from lmeval_lines import write_gsm8k_run

    from capslice_tui.workspace import Workspace

    logs = write_gsm8k_run(tmp_path / "logs", 8)
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    Workspace(a).ingest([logs], run="base")
    time.sleep(1.1)  # ingested at another time: the run records differ by created_at
    Workspace(b).ingest([logs], run="base")
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.lead))
    cli(a, "push")
    out = cli(b, "pull").output
    assert "run base: the same 12 samples here and on the hub; only the run records differ" in (
        out
    ), out
    assert "ingested separately" in out and "a different run" not in out, out
    out = cli(b, "push").output
    assert "run base: the same 12 samples here and on the hub" in out, out


def test_slice_conflict_names_when_it_was_changed_not_pushed(team: Team, tmp_path: Path) -> None:
    from capslice_tui.store import Store

    a = _store_a(tmp_path)
    b = tmp_path / "b.db"
    cli(a, "hub", "add", "team", team.url(team.writer))
    cli(b, "hub", "add", "team", team.url(team.lead))
    cli(a, "push")
    cli(b, "pull")
    for path, note, who in ((a, "from A", "alice"), (b, "from B", "carol")):
        store = Store(path)
        store.edit_named_slice("apples", note=note, who=who)
        store.close()
    a_at = js(a, "label", "slices")[0]["updated_at"]
    time.sleep(1.2)  # pushed later than it was changed
    cli(a, "push")
    out = cli(b, "pull").stdout
    assert f"conflict: slice apples: changed by {team.writer} at {a_at} on the hub" in out, out
    b_at = js(b, "label", "slices")[0]["updated_at"]
    out = cli(b, "push").stdout
    assert f"slice apples: changed by {team.writer} at {a_at} on the hub" in out, out
    assert f"by carol at {b_at}" in out, out
