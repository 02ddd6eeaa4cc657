"""The app says what the CLI says when a plan targets every item of a benchmark (GSM8K): the
plan screen and the intervention form name the missing control up front, the interventions
detail warns before an outcome, and the outcome shows the uncontrolled change, never a DiD."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from textual.widgets import Static

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.intervention_new import InterventionFormScreen
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.workspace import Workspace

CATALOG = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.yaml"


def _store(tmp: Path) -> Workspace:
    """One GSM8K-like task, 60 items with the same labels: ``base`` 30 right, ``cand`` 10 (a
    broad drop), ``after`` 25."""
    ws = Workspace(tmp / "g.db")
    for run, right in (("base", 30), ("cand", 10), ("after", 25)):
        lines = [{"task": "gsm8k", "doc_id": d, "target": "7", "correct": d < right,
                  "response": "The answer is 7." if d < right else "The answer is 3."}
                 for d in range(60)]  # fmt: skip
        path = tmp / f"{run}.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([path], run=run, benchmark="gsm8k")
    return ws


def _text(screen: Any, selector: str) -> str:
    return " ".join(str(screen.query_one(selector, Static).render()).split())


async def _settle(app: Any, pilot: Any) -> None:
    for _ in range(40):
        await pilot.pause()
        if not app.screen.workers or all(w.is_finished for w in app.screen.workers):
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


def test_the_app_says_no_control_up_front_and_no_did(tmp_path: Path) -> None:
    asyncio.run(_walk(tmp_path))


async def _walk(tmp_path: Path) -> None:
    ws = _store(tmp_path)
    plan = ws.plan("base", candidate="cand", benchmark="gsm8k", catalog=CATALOG,
                   budget_tokens=10**11)  # fmt: skip
    said = "! no control: the plan targets every item of gsm8k in cand (60 of 60): no untargeted item is left as a control"
    app = make_app(tmp_path / "g.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = PlanScreen("base")
        app.push_screen(screen)
        await _settle(app, pilot)
        screen.post_message(PlanScreen.Planned(plan))
        await _settle(app, pilot)
        notes = _text(screen, "#notes")
        assert said in notes and notes.count("no untargeted item is left") == 1, notes
        # right under the summary, before the slice lines and the other warnings
        lines = str(screen.query_one("#notes", Static).render()).splitlines()
        assert lines[1].startswith("! no control: the plan targets every item"), lines
        assert lines.index(next(x for x in lines if x.startswith("! broad capability"))) > 2
        assert "! no control (see notes)" in _text(screen, "#status")
        form = InterventionFormScreen("cand", "gsm8k", plan=plan)
        app.push_screen(form)
        await _settle(app, pilot)
        assert said in _text(form, "#new-plan")
        app.pop_screen()
        rec = ws.new_intervention(title="t", hypothesis="h", baseline="cand", benchmark="gsm8k",
                                  plan=plan)  # fmt: skip
        ws.accept_intervention(rec["id"], who="ana")
        detail = InterventionsScreen(selected=int(rec["id"]))
        app.push_screen(detail)
        await _settle(app, pilot)
        text = _text(detail, "#detail")
        assert (
            "! no control: the target slices cover every item of gsm8k in cand (60 of 60)" in text
        )
        detail.load("link", "after")
        await _settle(app, pilot)
        text = _text(detail, "#detail")
        assert (
            "verdict: unmeasurable" in text
            and "no control: the target slices cover every item the two runs share (60 of 60)"
            in text
        ), text
        assert (
            "vs controls: not measurable (the targets cover every item: no control item outside them)"
            in text
        )
        assert "uncontrolled, the 60 targeted items went 16.7% -> 41.7% (+25.0 points" in text
        assert "DiD" not in text and "! no control: the target slices cover" not in text
