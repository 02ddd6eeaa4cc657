"""The app's diagnose screen names the catalog and budget a plan would get, as the CLI's
``next:`` does (tests/unit/test_next_plan_inputs.py): on the demo the plan form holds the
demo's, said so; on other runs the form asks for the user's own; after an intervention with a
plan on the benchmark, menu ``p`` fills the form with that plan's catalog and budget."""

from __future__ import annotations

import json
from pathlib import Path

from demo_store import math_base_store
from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _next(app: object) -> str:
    summary = " ".join(static_text(app, "#summary").split())
    assert "next - " in summary, summary
    return summary.split("next - ", 1)[1]


async def test_the_demo_says_its_catalog_and_budget_are_filled_in(tmp_path: Path) -> None:
    app = make_app(math_base_store(tmp_path), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("math-base", None, benchmark="math"))
        await settle(app, pilot)
        step = _next(app)
        assert "its catalog and budget filled in: the demo's" in step, step
        assert "CATALOG" not in step


async def test_other_runs_ask_for_your_catalog_until_a_plan_is_recorded(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "own.db")
    lines = [{"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
              "response": "The answer is 7." if doc < n else "The answer is 3."}
             for task, n in zip(TASKS, (5, 20), strict=True) for doc in range(30)]  # fmt: skip
    (tmp_path / "base.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    ws.ingest([tmp_path / "base.jsonl"], run="base", benchmark="math")
    app = make_app(tmp_path / "own.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("base", None, benchmark="math"))
        await settle(app, pilot)
        step = _next(app)
        assert "put your data catalog and budget in its fields" in step, step
        catalog = tmp_path / "mine.yaml"
        catalog.write_text((sample_data_dir() / "catalog.yaml").read_text())
        plan = ws.plan("base", benchmark="math", catalog=catalog, budget_tokens=7_000_000_000)
        ws.new_intervention(title="t", hypothesis="h", baseline="base", benchmark="math", plan=plan)
        app.pop_screen()
        app.push_screen(DiagnoseScreen("base", None, benchmark="math"))
        await settle(app, pilot)
        assert "its catalog and budget filled in: the plan of intervention #1" in _next(app)
        await pilot.press("m", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        fields = {str(w.id): w.value for w in app.screen.query(Input)}
        assert (fields["catalog"], fields["budget"]) == (str(catalog), "7000000000"), fields
