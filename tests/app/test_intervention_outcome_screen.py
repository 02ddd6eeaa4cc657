"""Interventions screen under Pilot: the outcome against controls (target change, control
change, DiD with intervals) and the warning stored with a rejection for a regression."""

from __future__ import annotations

import json
from pathlib import Path

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.workspace import Workspace


def _write_run(path: Path, right: dict[str, int]) -> Path:
    lines = []
    for task, n_right in right.items():
        for doc in range(40):
            ok = doc < n_right
            lines.append({"task": task, "doc_id": doc, "target": "7", "correct": ok,
                          "response": "The answer is 7." if ok else "The answer is 3."})  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


async def test_outcome_shows_did_and_rejection_warning(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    nt, alg = "minerva_math_num_theory", "minerva_math_algebra"
    ws.ingest([_write_run(tmp_path / "b.jsonl", {nt: 10, alg: 25})], run="base", benchmark="math")
    ws.ingest([_write_run(tmp_path / "c.jsonl", {nt: 15, alg: 22})], run="after", benchmark="math")
    rec = ws.new_intervention(title="nt data", hypothesis="h", baseline="base", benchmark="math",
                              targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}], who="alice")  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    ws.link_intervention(rec["id"], "after", who="bob")
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = InterventionsScreen()
        app.push_screen(screen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        detail = str(screen.query_one("#detail").render())
        # one target slice: its change and interval once, on its own line (issue 13); the
        # verdict's sentence names the change without an interval (targets +12.5 points, ...)
        assert detail.count("+12.5 points [") == 1 and "target change" not in detail
        assert "(targets +12.5 points, controls -7.5 points, DiD +20.0 points [" in detail
        assert "control change -7.5" in detail
        assert "DiD (target - control) +20.0" in detail
        assert "vs controls: DiD" not in detail
        await pilot.press("x", *"regression", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert ws.store.get_intervention(rec["id"])["status"] == "rejected"
        detail = str(screen.query_one("#detail").render())
        assert "! decision warning: the measured outcome shows no significant regression" in detail
        assert "warning stored" in str(screen.query_one("#status").render())


async def test_the_form_refuses_a_target_with_no_item_and_the_baseline_as_result(
    tmp_path: Path,
) -> None:
    """Walk 9 #38 and #31 in the app: the form's `task_type=geometry` (0 items of the baseline)
    is refused with the reason on the status line, and nothing is recorded; linking the
    baseline itself, which the run list leaves out, is refused by the facade the app calls."""
    import contextlib

    import pytest
    from capslice_tui.store import StoreError
    from textual.worker import WorkerFailed

    from capslice_tui.app.screens.intervention_new import InterventionFormScreen

    ws = Workspace(tmp_path / "s.db")
    nt, alg = "minerva_math_num_theory", "minerva_math_algebra"
    ws.ingest([_write_run(tmp_path / "b.jsonl", {nt: 10, alg: 25})], run="base", benchmark="math")
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = InterventionFormScreen(baseline="base", benchmark="math")
        app.push_screen(screen)
        await pilot.pause()
        for field, text in (("title", "t"), ("hypothesis", "h"), ("targets", "task_type=geometry"),
                            ("controls", "task_type=algebra")):  # fmt: skip
            screen.query_one(f"#new-{field}").value = text
        screen.action_save()
        with contextlib.suppress(WorkerFailed):  # the refusal: the worker's error
            await app.workers.wait_for_complete()
        await pilot.pause()
        status = " ".join(str(screen.query_one("#status").render()).split())
        assert "task_type=geometry has 0 items of base in math" in status, status
        assert ws.interventions() == []
    rec = ws.new_intervention(title="nt", hypothesis="h", baseline="base", benchmark="math",
                              targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}])  # fmt: skip
    ws.accept_intervention(rec["id"])
    with pytest.raises(StoreError, match="baseline run"):
        ws.link_intervention(rec["id"], "base")
