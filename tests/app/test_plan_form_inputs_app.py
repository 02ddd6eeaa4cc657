"""The plan form never starts with the demo's catalog and budget on a store that is not the
demo's (a user would plan against the wrong catalog without noticing): catalog and budget are
what capslice knows for the form's runs and benchmark (``Workspace.plan_inputs``, as
``diagnose``'s ``next:``), else empty with placeholders saying what to type, and Enter refuses
to plan, naming the missing field. Enter on a form whose catalog capslice can fill fills it
and shows it before planning."""

from __future__ import annotations

import json
from pathlib import Path

from demo_store import math_base_store
from pilot_helpers import SIZE, settle, static_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.plan import BUDGET_HINT, CATALOG_HINT, PlanScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import DEMO_BUDGET_TOKENS

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _own_store(folder: Path) -> Path:
    """A store of one run ``base`` (benchmark ``math``) from a file outside the demo data."""
    lines = [{"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
              "response": "The answer is 7." if doc < n else "The answer is 3."}
             for task, n in zip(TASKS, (5, 20), strict=True) for doc in range(30)]  # fmt: skip
    (folder / "base.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    Workspace(folder / "own.db").ingest([folder / "base.jsonl"], run="base", benchmark="math")
    return folder / "own.db"


def _fields(app: object) -> dict[str, Input]:
    return {str(w.id): w for w in app.screen.query(Input)}  # type: ignore[attr-defined]


async def test_a_store_not_the_demos_asks_for_catalog_and_budget(tmp_path: Path) -> None:
    app = make_app(_own_store(tmp_path), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m", "p")  # from the runs screen, on run base
        await settle(app, pilot)
        assert isinstance(app.screen, PlanScreen)
        fields = _fields(app)
        assert fields["baseline"].value == "base" and fields["benchmark"].value == "math"
        assert (fields["catalog"].value, fields["budget"].value) == ("", ""), fields
        assert CATALOG_HINT in fields["catalog"].placeholder
        assert BUDGET_HINT in fields["budget"].placeholder
        status = " ".join(static_text(app, "#status").split())
        assert "fill in catalog and budget, then Enter" in status, status
        await pilot.press("enter")
        await settle(app, pilot)
        status = " ".join(static_text(app, "#status").split())
        assert status.startswith(
            "fill in catalog (your data catalog, a YAML 'cells:' list) and budget (the "
            "training tokens) first: capslice knows none for base on math"
        ), status
        assert app.screen.plan is None  # type: ignore[attr-defined]
        fields["budget"].value = "1000"
        await pilot.press("enter")
        await settle(app, pilot)
        status = " ".join(static_text(app, "#status").split())
        assert status.startswith("fill in catalog (your data catalog"), status
        assert "budget (" not in status, status
        assert app.screen.plan is None  # type: ignore[attr-defined]


async def test_the_demos_runs_get_the_demos_catalog_shown_before_a_plan(tmp_path: Path) -> None:
    app = make_app(math_base_store(tmp_path), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(PlanScreen("math-base"))
        await settle(app, pilot)
        fields = _fields(app)
        assert fields["catalog"].value.endswith("catalog.yaml"), fields["catalog"].value
        assert fields["budget"].value == str(DEMO_BUDGET_TOKENS)
        status = " ".join(static_text(app, "#status").split())
        assert "catalog and budget filled in: the demo's" in status, status
        app.pop_screen()
        # a form opened empty and typed in: Enter fills what capslice knows and shows it
        app.push_screen(PlanScreen())
        await settle(app, pilot)
        fields = _fields(app)
        assert (fields["catalog"].value, fields["budget"].value) == ("", "")
        fields["baseline"].value, fields["benchmark"].value = "math-base", "math"
        fields["baseline"].focus()
        await pilot.press("enter")
        await settle(app, pilot)
        status = " ".join(static_text(app, "#status").split())
        assert status.startswith("catalog and budget filled in: the demo's"), status
        assert fields["catalog"].value.endswith("catalog.yaml")
        assert app.screen.plan is None  # type: ignore[attr-defined]
        await pilot.press("enter")  # now it plans
        await settle(app, pilot)
        assert app.screen.plan is not None  # type: ignore[attr-defined]
