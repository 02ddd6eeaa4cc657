"""One unit word for score changes, "points": the plan and intervention (outcome) commands of
the CLI at 80 columns and the app's interventions screen at 80x24 say ``+28.9 points`` or a
bare number under a header or note that names the unit, never ``pts`` / ``pt`` (the demo's
math story end to end, as tests/e2e/test_demo_stories.py runs it)."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ABBREVIATED = re.compile(r"(?<![A-Za-z_])pts?\b")
"""``pts`` / ``pt`` as a word or after a number (``+5.0 pts``, ``-24.0pt``); not inside a
word (``prompts``, ``accepts``)."""


def capslice(store: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "80", "CAPSLICE_USER": "tester"},
        timeout=600,
    )
    assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout + proc.stderr


def no_abbreviation(text: str, what: str) -> None:
    found = [line for line in text.splitlines() if ABBREVIATED.search(line)]
    assert not found, f"{what} abbreviates points: {found}"


def test_the_pattern_finds_the_abbreviations_only() -> None:
    for bad in ("+5.0 pts", "-24.0pt", "diff pts", "gain pts", "Δerr pts", "DiD -3.7 pts ["):
        assert ABBREVIATED.search(bad), bad
    for fine in ("+5.0 points", "prompts, few-shot", "accepts", "-24.0 [", "pass@k", "opt"):
        assert not ABBREVIATED.search(fine), fine


def test_no_string_of_the_package_abbreviates_points() -> None:
    """Every string literal of capslice_tui (docstrings aside), so wording the demo does not
    reach (a harmful or refuted outcome, a regression warning) is guarded too."""
    found = []
    for path in sorted((ROOT / "capslice_tui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and ABBREVIATED.search(node.value)
        ]
    assert not found, "write points (formatting.points), not pts/pt:\n" + "\n".join(found)


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The demo store with the math intervention recorded, accepted and linked."""
    store = tmp_path_factory.mktemp("points") / "demo.db"
    capslice(store, "demo", "--no-tui")
    new = json.loads(
        capslice(
            store, "intervention", "new", "--title", "targeted math data",
            "--hypothesis", "modular arithmetic and casework data fixes the weak combinations",
            "--baseline", "math-base", "--benchmark", "math", "--expected-gain", "5",
            "--target", "task_type=number_theory,solving_operation=modular_arithmetic",
            "--target", "task_type=counting_probability,solving_operation=casework",
            "--format", "json",
        )
    )  # fmt: skip
    iid = str(new["id"])
    capslice(store, "intervention", "accept", iid)
    capslice(store, "intervention", "link", iid, "--run", "math-targeted")
    return store, iid


def test_cli_outcome_and_plan_say_points(evaluated: tuple[Path, str], tmp_path: Path) -> None:
    store, iid = evaluated
    shown = capslice(store, "intervention", "show", iid)
    no_abbreviation(shown, "intervention show")
    flat = " ".join(shown.split())
    assert "expected effect +5.0 points" in flat
    assert "confirmed: every target slice improved significantly" in flat
    assert re.search(r"targets \+\d+\.\d points, controls [+-]\d+\.\d points, DiD", flat), flat
    assert "in points; harm tolerance 2.0 points" in flat  # the note naming the diff's unit
    # the pass@k column's cells name each slice's own k (pass@16 beside a pass@128 metric
    # read as a mistake on walk 8): the note says so
    assert "pass@k column: each slice at its own k" in flat
    no_abbreviation(capslice(store, "intervention", "show", iid, "--format", "md"), "show md")
    no_abbreviation(capslice(store, "intervention", "list"), "intervention list")
    catalog = str(ROOT / "sample_data" / "catalog.yaml")
    plan = ["plan", "--baseline", "math-base", "--benchmark", "math", "--catalog", catalog,
            "--budget-tokens", "100000000000"]  # fmt: skip
    no_abbreviation(capslice(store, *plan), "plan")
    capslice(store, *plan, "--export", "md", "-o", str(tmp_path / "plan.md"))
    md = (tmp_path / "plan.md").read_text()
    no_abbreviation(md, "plan --export md")
    assert re.search(r"deficit \d+\.\d points x rule", md), md


def test_app_interventions_and_form_say_points(evaluated: tuple[Path, str]) -> None:
    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens.intervention_new import InterventionFormScreen
    from capslice_tui.app.screens.interventions import InterventionsScreen

    store, _ = evaluated
    seen: list[str] = []

    async def walk() -> None:
        app = make_app(store)
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = InterventionsScreen()
            app.push_screen(screen)
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen.append(str(screen.query_one("#detail").render()))
            form = InterventionFormScreen(baseline="math-base", benchmark="math")
            app.push_screen(form)
            await pilot.pause()
            seen.append("\n".join(str(w.render()) for w in form.query("Label")))

    asyncio.run(walk())
    detail, labels = seen
    no_abbreviation(detail, "the interventions screen's detail")
    no_abbreviation(labels, "the intervention form")
    assert "points" in detail and "gain points" in labels
