"""Session 9 leftovers: the one undo of the discover and named-slices screens, the discover
screen's status saying where the significant groups not shown went (as ``capslice discover``
does), and a pull refusing an intervention's link of its own baseline run as its result run.

The pull is driven at unit level: a real SQLite store pulls from a stand-in for the hub's
PostgreSQL connection that answers the two queries of ``_pull_interventions``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from capslice_tui.store import Store, StoreError
from capslice_tui.store import hub as local
from plan_fixtures import write_sampled_run
from textual.message import Message
from textual.widgets import Static

from capslice_tui.app._undo import undo_last_labels
from capslice_tui.app.app import make_app
from capslice_tui.app.screens.discover import DiscoverScreen, accounting, with_parts
from capslice_tui.hub import sync
from capslice_tui.workspace import Workspace

SIZE = (80, 24)


# ---- one undo for both screens ---------------------------------------------------------
class _Said(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def test_undo_last_labels_undoes_the_users_last_action_and_says_what() -> None:
    calls: list[Any] = []
    ws = SimpleNamespace(
        current_user=lambda: "ana",
        undo_labels=lambda **kw: calls.append(kw) or {"undid": "b7", "restored": 1},
    )
    posted: list[Message] = []
    undo_last_labels(ws, posted.append, _Said)  # type: ignore[arg-type]
    assert calls == [{"who": "ana"}]
    assert [m.text for m in posted] == ["undid b7: 1 label restored"]  # type: ignore[attr-defined]


# ---- discover: the status says a repeat of a folded group ------------------------------
ACCOUNT = (
    "of the 5 significant groups: 3 shown; 1 holds (nearly) the same samples as a folded group"
    " (q:divided repeats q:consider); 1 restates an existing label (folded)"
)


def _math_base_like(account: str) -> dict[str, Any]:
    """A discovery result shaped as math-base's in the demo (5 significant groups, 3 shown,
    one repeating the folded one), with its notes as the search writes them."""
    group = {"cluster": 2, "name": "q:digit", "size": 896, "n_items": 14, "n_errors": 884.0,
             "error_rate": 0.987, "ci_low": 0.964, "ci_high": 0.997, "diff": 0.172,
             "top_terms": ["q:divided", "modulo"], "dominant_failure_mode": "wrong_answer",
             "failure_mode_share": 0.987, "failure_modes": {"wrong_answer": 884, "correct": 12},
             "labels": {"task_type": {"number_theory": 128}}, "groups": {"aime": 768},
             "representatives": [{"sample_id": 961, "doc_id": "0", "task": "aime",
                                  "score": 0.0, "failure_mode": "wrong_answer",
                                  "question": "Find the remainder.", "response": "142"}],
             "kind": "cluster", "definition": "cluster 2 of k=20", "rest_error_rate": 0.783,
             "diff_rest": 0.203, "p_value": 0.0042, "q_value": 0.0045, "diff_within": 0.061,
             "q_within": 0.0108, "significant": True,
             "novelty": {"restates": None, "relation": "across 2 tasks"},
             "over_represented": [], "doc_ids": ["0"], "doc_ids_by_task": {"aime": ["0"]},
             "sample_ids": [961]}  # fmt: skip
    k_reason = "k=20 chosen by silhouette (0.849) over k=2..20 (9 values)"
    notes = [
        k_reason,
        "5,888 samples over 158 items: each group is tested over items, not samples",
        "43 groups differ from the rest only through their mix of tasks and are left out",
        "1 group restates an existing label and is folded (solving_operation=casework);"
        " --all shows them",
        account,
        "several samples per item: a group's 95% interval resamples items, not samples",
    ]
    label = "solving_operation=casework"
    folded = {**group, "name": "q:consider", "restates": label, "jaccard": 0.95,
              "novelty": {"restates": label, "relation": f"restates {label}"}}  # fmt: skip
    return {"suggestions": [{**group, "id": i, "name": f"g{i}"} for i in (1, 2, 3)],
            "folded": [folded], "n_samples": 5888, "run_error_rate": 0.814,
            "k_reason": k_reason, "k": 20, "structure": "clear", "notes": notes,
            "n_significant": 5, "n_candidates": 50, "n_untested": 62, "saved": True}  # fmt: skip


def test_accounting_is_the_note_only_when_a_significant_group_is_not_shown() -> None:
    assert accounting(_math_base_like(ACCOUNT)) == (
        ACCOUNT,
        ["3 shown", "1 holds (nearly) the same samples as a folded group"
         " (q:divided repeats q:consider)", "1 restates an existing label (folded)"],
    )  # fmt: skip
    every_shown = {**_math_base_like("of the 3 significant groups: 3 shown"), "n_significant": 3}
    assert accounting(every_shown) == (None, [])


def test_with_parts_says_each_part_whole_as_far_as_the_rows_hold() -> None:
    parts = ["3 shown", "1 holds the same samples as a folded group", "x" * 70]
    assert with_parts("5 differ", parts, "3 suggestions · ", " · a accept", rows=2) == (
        "5 differ: 3 shown; 1 holds the same samples as a folded group",
        1,
    )
    assert with_parts("5 differ", parts, "3 suggestions · ", " · a accept", rows=1) == (
        "5 differ: 3 shown",
        2,
    )
    assert with_parts("5 differ", parts, "{braces} ", "", rows=3) == (
        "5 differ: " + "; ".join(parts),
        0,
    )


def _discover_status(tmp_path: Path, data: dict[str, Any], monkeypatch: Any) -> tuple[str, int]:
    """The discover screen's status after ``d`` at 80x24, with ``ws.discover`` answering
    ``data``; and the rows its text takes."""
    path = write_sampled_run(tmp_path / "r.jsonl", ("minerva_math_algebra",), (10,))
    Workspace(tmp_path / "s.db").ingest([path], run="r", benchmark="math")
    monkeypatch.setattr(
        Workspace, "discover", lambda self, run, **kw: SimpleNamespace(to_dict=lambda: data)
    )

    async def run() -> tuple[str, int]:
        app = make_app(tmp_path / "s.db")
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            app.push_screen(DiscoverScreen("r"))
            for _ in range(2):
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.press("d")
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            status = app.screen.query_one("#status", Static)
            return str(status.render()), status.virtual_size.height

    return asyncio.run(run())


def test_discover_status_says_a_group_repeats_a_folded_one_as_the_cli_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status said ``5 of 50 groups tested differ`` beside 3 suggestions and a fold of
    1, and left the CLI's note on the fifth (a repeat of the folded group) among 5 more."""
    text, rows = _discover_status(tmp_path, _math_base_like(ACCOUNT), monkeypatch)
    flat = " ".join(text.split())
    assert (
        "5 of 50 groups tested differ: 3 shown; 1 holds (nearly) the same samples as a folded"
        " group (q:divided repeats q:consider)" in flat
    ), text
    assert ACCOUNT not in flat and "a accept, l label" in flat, text  # said once
    # the fold's part (the table's fold row says it too) follows when the rows hold it
    # (the command's store path is long here); else it is counted with the notes left out
    fold_said = "(q:divided repeats q:consider); 1 restates an existing label (folded)" in flat
    assert f"(i: {4 if fold_said else 5} more notes)" in flat, text  # i shows them whole
    assert rows <= 4, text  # the status's 4 rows hold it: nothing cut


# ---- a pull refuses the link of an intervention's own baseline run ----------------------
class _Rows(list):  # type: ignore[type-arg]
    def fetchall(self) -> list[Any]:
        return list(self)


class _HubConn:
    """The hub's answers to ``_pull_interventions``: its interventions, then one's history."""

    def __init__(self, rows: list[tuple[Any, ...]], history: list[tuple[Any, ...]]) -> None:
        self.rows, self.history = rows, history

    def execute(self, sql: str, params: Any = ()) -> _Rows:
        if sql.startswith("SELECT key, data, cid"):
            return _Rows(self.rows)
        if "FROM capslice.intervention_history WHERE intervention_key" in sql:
            return _Rows(self.history)
        raise AssertionError(f"unexpected hub query: {sql}")


AT = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
# (version, action, field, old, new) after creation: started, linked 'cand' and evaluated,
# then linked its own baseline 'base' and evaluated again (an older capslice allowed it)
CHANGES = [
    (2, "accept", "status", "proposed", "accepted"),
    (3, "start", "status", "accepted", "running"),
    (4, "link", "result_run", None, "cand"),
    (5, "evaluate", "status", "running", "evaluated"),
    (5, "evaluate", "verdict", None, "confirmed"),
    (6, "link", "result_run", "cand", "base"),
    (7, "evaluate", "verdict", "confirmed", "refuted"),
]


def _hub_intervention(tmp_path: Path, result_run: str) -> tuple[str, _HubConn]:
    """The hub's row and history of an intervention pushed by a node where it was linked to
    ``result_run`` and evaluated; returns (its key, the hub connection)."""
    node = Store(tmp_path / "node.db")
    rec = node.create_intervention(
        title="more arithmetic", hypothesis="data helps", baseline_run="base",
        target_slices=[{"task_type": "counting_arithmetic"}],
        control_slices=[{"task_type": "logical_deduction"}], author="alice",
    )  # fmt: skip
    with node.write() as conn:  # as the pushing node stored it
        conn.execute(
            "UPDATE interventions SET result_run = ?, status = 'evaluated', verdict = 'refuted',"
            " outcome = ?, version = 7, decided_by = 'carol', decided_at = ? WHERE id = ?",
            (result_run, json.dumps({"verdict": "refuted"}), AT.isoformat(), rec["id"]),
        )
    row = local.interventions(node)[0]
    node.close()
    key, data = row["key"], sync._intervention_data(row)
    hub_row = (key, data, sync._intervention_cid(data), "accepted", "cheap", None, "carol",
               AT, "alice", AT, "100")  # fmt: skip
    history = [
        (sync._ihist_cid(key, {"version": v, "action": a, "field": f}), v, a, f, o, n,
         "alice", AT)
        for v, a, f, o, n in CHANGES
        if result_run == "base" or v < 6
    ]  # fmt: skip
    return key, _HubConn([hub_row], history)


def _pull(store: Store, hub: _HubConn) -> sync.SyncReport:
    report = sync.SyncReport(hub="team", direction="pull")
    sync._pull_interventions(store, hub, "team", "0", False, report)
    return report


def test_pull_refuses_an_interventions_link_of_its_own_baseline_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    _, hub = _hub_intervention(tmp_path, "base")
    store = Store(tmp_path / "here.db")
    report = _pull(store, hub)
    (got,) = local.interventions(store)
    # refused: no result run, no outcome or verdict judged on it; started, so running
    assert (got["result_run"], got["outcome"], got["verdict"]) == (None, None, None), got
    assert got["status"] == "running" and got["decided_by"] == "carol", got
    assert got["title"] == "more arithmetic" and got["hypothesis"] == "data helps"
    # the history keeps everything before that link (the earlier link and its evaluation)
    kept = [(h["version"], h["action"], h["new_value"]) for h in got["history"]]
    assert kept == [(2, "accept", "accepted"), (3, "start", "running"), (4, "link", "cand"),
                    (5, "evaluate", "evaluated"), (5, "evaluate", "confirmed")], kept  # fmt: skip
    note = " ".join(report.notes)
    assert (
        f"intervention 'more arithmetic' (#{got['id']} here): its result run 'base' on the hub"
        " is its own baseline run" in note
    ), report.notes
    assert f"capslice intervention link {got['id']} --run RUN" in note
    assert report.counts == {"interventions": 1} and not report.conflicts
    # a second pull brings nothing back and says nothing again
    again = _pull(store, hub)
    assert local.interventions(store) == [got] and not again.notes and not again.counts
    # here, as before the pull: its baseline cannot be linked, another run can (it runs)
    link = {"action": "link", "who": "ana", "allowed_from": ("running", "evaluated")}
    with pytest.raises(StoreError, match="baseline run"):
        store.change_intervention(got["id"], changes={"result_run": "base"}, **link)
    linked = store.change_intervention(got["id"], changes={"result_run": "cand2"}, **link)
    assert linked["result_run"] == "cand2"


def test_pull_keeps_an_interventions_link_of_another_run(tmp_path: Path) -> None:
    _, hub = _hub_intervention(tmp_path, "cand")
    store = Store(tmp_path / "here.db")
    report = _pull(store, hub)
    (got,) = local.interventions(store)
    assert (got["result_run"], got["verdict"], got["status"]) == ("cand", "refuted", "evaluated")
    assert not report.notes and report.counts == {"interventions": 1}
    assert [h["version"] for h in got["history"]] == [2, 3, 4, 5, 5]
