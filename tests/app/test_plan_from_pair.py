"""Fresh-user walk 12 #5: menu ``p`` over a diagnosis (or a compare) of a pair planned the
base alone, so the app's plan differed from ``capslice plan --baseline A --candidate B``.
Opened from a pair, the plan form has the pair filled in (a candidate field) and shows the
pair's plan, with the CLI's numbers and words and the runs it planned from; opened from one
run, that run alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from pilot_helpers import settle, static_text
from textual.widgets import Input

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

CATALOG = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.yaml"
TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _store(tmp: Path) -> Workspace:
    """``good`` (number theory 25/30 right, algebra 20/30) and ``base`` (5/30, 20/30): the
    change good -> base is a data drop of one lineage; base alone is a data weakness too,
    with other numbers."""
    ws = Workspace(tmp / "w.db")
    for run, right in (("good", (25, 20)), ("base", (5, 20))):
        lines = [{"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
                  "response": "The answer is 7." if doc < n else "The answer is 3."}
                 for task, n in zip(TASKS, right, strict=True) for doc in range(30)]  # fmt: skip
        path = tmp / f"{run}.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([path], run=run, benchmark="math")
    return ws


def _cli_summary(store: Path, *runs: str) -> str:
    res = CliRunner().invoke(main, [
        "--store", str(store), "plan", *runs, "--benchmark", "math", "--catalog",
        str(CATALOG), "--budget-tokens", "100000000000", "--format", "json",
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    return str(json.loads(res.output)["summary"])


def _fields(app: Any) -> dict[str, str]:
    return {str(w.id): w.value for w in app.screen.query(Input)}


async def _plan_from(app: Any, pilot: Any, under: Any) -> dict[str, str]:
    """Push ``under``, open the plan with menu ``m`` ``p``, plan with Enter; the fields."""
    app.push_screen(under)
    await settle(app, pilot)
    await pilot.press("m", "p")
    await settle(app, pilot)
    assert isinstance(app.screen, PlanScreen), app.screen
    fields = _fields(app)
    app.screen.query_one("#catalog", Input).value = str(CATALOG)
    app.screen.query_one("#budget", Input).value = "100000000000"
    app.screen.query_one("#baseline", Input).focus()
    await pilot.press("enter")
    await settle(app, pilot)
    return fields


async def test_the_plan_of_a_pair_is_the_pairs_as_in_the_cli(tmp_path: Path) -> None:
    ws = _store(tmp_path)
    store = tmp_path / "w.db"
    pair = _cli_summary(store, "--baseline", "good", "--candidate", "base")
    alone = _cli_summary(store, "--baseline", "good")
    assert pair != alone and "2.62x" in pair, (pair, alone)
    app = make_app(store, workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for under in (DiagnoseScreen("good", "base", benchmark="math"),
                      CompareScreen("good", "base", benchmark="math")):  # fmt: skip
            fields = await _plan_from(app, pilot, under)
            assert (fields["baseline"], fields["candidate"], fields["benchmark"]) == (
                "good",
                "base",
                "math",
            ), fields
            notes = static_text(app, "#notes")
            assert notes.splitlines()[0] == pair, notes
            assert "diagnosis of good -> base: a data problem" in notes
            assert static_text(app, "#title").startswith("plan for the math change good -> base")
            # the --force command the notes name, the export and the intervention: the pair's
            assert app.screen.plan.baseline == "good -> base"
            forced = app.screen.app_terms("--force boosts anyway")
            assert "plan --baseline good --candidate base --benchmark math" in forced, forced
            app.pop_screen()  # back to the screen it was opened over
            app.pop_screen()
            await settle(app, pilot)


async def test_the_plan_of_one_run_is_that_run_alone(tmp_path: Path) -> None:
    ws = _store(tmp_path)
    store = tmp_path / "w.db"
    alone = _cli_summary(store, "--baseline", "base")
    assert "1.70x" in alone, alone
    app = make_app(store, workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        fields = await _plan_from(app, pilot, DiagnoseScreen("base", None, benchmark="math"))
        assert (fields["baseline"], fields["candidate"]) == ("base", ""), fields
        assert static_text(app, "#notes").splitlines()[0] == alone
        title = static_text(app, "#title")
        assert title.startswith("plan for math weakness of base against the run's own"), title


async def test_the_plan_screens_key_hints_are_not_cut_at_80x24(tmp_path: Path) -> None:
    """Walk 13: with a long pair the status read 'Enter plans fro…' and the title lost its
    keys mid-word: the key comes first in the status, and a title too long for its keys
    leaves them to the footer."""
    ws = Workspace(tmp_path / "w.db")
    base, cand = "good-checkpoint-step-100000", "good-checkpoint-step-200000-cpt"
    for run, right in ((base, (25, 20)), (cand, (5, 20))):
        lines = [{"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
                  "response": "The answer is 7." if doc < n else "The answer is 3."}
                 for task, n in zip(TASKS, right, strict=True) for doc in range(30)]  # fmt: skip
        path = tmp_path / f"{run}.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([path], run=run, benchmark="math")
    app = make_app(tmp_path / "w.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.push_screen(PlanScreen(baseline=base, candidate=cand, benchmark="math"))
        await settle(app, pilot)
        assert static_text(app, "#status").startswith("Enter plans the pair")
        app.screen.query_one("#catalog", Input).value = str(CATALOG)
        app.screen.query_one("#budget", Input).value = "100000000000"
        app.screen.query_one("#baseline", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        title = static_text(app, "#title")
        assert base in title and cand in title, title
        assert "Enter re-plans" not in title or len(title) <= 78, title  # keys: footer
