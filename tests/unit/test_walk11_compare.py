"""Walk 11: compare and diagnose name their runs one way, and their lines say whose figure
they give.

1. ``capslice compare bbh-cot bbh-direct`` headed its table ``bbh-direct vs bbh-cot`` (the
   candidate first), as did the ``diagnose`` bracket and the ``report`` title, while the app
   headed it ``base bbh-cot -> cand bbh-direct``: every surface now reads
   ``base BASE -> cand CAND`` (``formatting.run_pair``).
2. ``within it: state_tracking x state_update: 24.1% (181/750)`` under a change's slice line
   gave the candidate's score without saying so: it reads ``cand 24.1% ...``.
3. ``axes that cannot tell the items apart: 3 axes (... (3 of 3 content axes): ...)``: a
   parenthesis inside the evidence line's own; now one phrase.
4. The CLI's evidence lines are ``report.evidence_line`` (no ``value ()`` for an empty
   detail), and a slice note's paired-bootstrap p at its floor reads ``p<0.001``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from plan_fixtures import write_sampled_run
from textual.widgets import Static

from capslice_tui.analysis.slice_search import _keep_unexplained
from capslice_tui.analysis.verdict_wording import _axes_evidence
from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.cli import main
from capslice_tui.cli.diagnose import print_diagnosis
from capslice_tui.formatting import run_pair

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")
CONTENT = ("background_condition", "task_type", "solving_operation")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Runs ``old`` and ``new`` (number theory 5 -> 25 of 30 items right, algebra 20 both),
    one sample per item: a significant number-theory slice with its combinations."""
    root = tmp_path_factory.mktemp("walk11")
    db = str(root / "s.db")
    for run, right in (("old", (5, 20)), ("new", (25, 20))):
        path = write_sampled_run(root / f"{run}.jsonl", TASKS, right)
        res = CliRunner().invoke(main, ["--store", db, "ingest", str(path), "--run", run,
                                        "--benchmark", "math"])  # fmt: skip
        assert res.exit_code == 0, res.output
    return db


def cli(store: str, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", store, *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def test_every_cli_surface_names_the_base_first(store: str) -> None:
    pair = "base old -> cand new"
    assert run_pair("old", "new") == pair
    assert cli(store, "compare", "old", "new").splitlines()[0].startswith(f"{pair} · filter")
    assert cli(store, "diagnose", "old", "new").splitlines()[0].endswith(f"[{pair}, math]")
    assert cli(store, "report", "old", "new").splitlines()[0] == (
        f"# capslice report: {pair} on math"
    )


def _statics(store: str, screen: Any) -> tuple[dict[str, str], str]:
    """The screen's shown Statics (id -> text) and its sub-title, at 120x40."""

    async def run() -> tuple[dict[str, str], str]:
        app = make_app(Path(store))
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            app.push_screen(screen)
            for _ in range(2):
                await app.workers.wait_for_complete()
                await pilot.pause()
            shown = {w.id: str(w.render()) for w in app.screen.query(Static) if w.id}
            return shown, str(app.screen.sub_title)

    return asyncio.run(run())


def test_the_app_names_the_pair_as_the_cli_does(store: str) -> None:
    pair = "base old -> cand new"
    statics, _ = _statics(store, CompareScreen("old", "new", benchmark="math"))
    assert statics["title"].startswith(f"{pair} · math"), statics["title"]
    statics, sub_title = _statics(store, DiagnoseScreen("old", "new", benchmark="math"))
    assert statics["summary"].startswith(f"change: {pair} · math"), statics["summary"]
    assert sub_title == f"diagnose {pair}"


def test_a_combination_line_says_whose_score_it_gives(store: str) -> None:
    out = cli(store, "diagnose", "old", "new")
    combos = [line.strip() for line in out.splitlines() if "within it:" in line]
    # the slice line reads 'number_theory...: 16.7% -> cand 83.3%': its cell, the candidate's
    assert combos == ["within it: number_theory x modular_arithmetic: cand 83.3% (25/30), 30 items"]
    out = cli(store, "diagnose", "old", "--reference", "new")  # the run's own, named
    combos = [line.strip() for line in out.splitlines() if "within it:" in line]
    assert combos == [  # and the reference's score on the same cell (walk 14)
        "within it: number_theory x modular_arithmetic: old 16.7% (5/30), 30 items; "
        "new 83.3% (-66.7 points)"
    ]
    out = cli(store, "diagnose", "old")  # one run: no name needed
    combos = [line.strip() for line in out.splitlines() if "within it:" in line]
    assert combos == ["within it: number_theory x modular_arithmetic: 16.7% (5/30), 30 items"]


def test_the_axes_evidence_is_one_phrase() -> None:
    none = dict.fromkeys(CONTENT, "no item is labelled")
    (e,) = _axes_evidence(none, "qmath", CONTENT)
    assert "(" not in e.detail and ")" not in e.detail, e.detail
    assert e.detail == (
        "qmath items cannot be told apart on background_condition, task_type, "
        "solving_operation, all 3 content axes; on each, no item is labelled; item-level "
        "labelling rules, from the question or the reference solution, would give finer slices"
    )
    mixed = {
        "background_condition": "every labelled item is background_condition=competition_math",
        "output_constraint": "every labelled item is output_constraint=boxed_expression",
    }
    (e,) = _axes_evidence(mixed, "math", CONTENT)
    assert "(" not in e.detail, e.detail
    assert e.detail.startswith(
        "math items cannot be told apart on background_condition, output_constraint, "
        "1 of the 3 content axes among them; background_condition: every labelled item is "
        "background_condition=competition_math; output_constraint: every"
    ), e.detail


def test_cli_evidence_lines_are_the_shared_evidence_line(
    store: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI built the line inline: a value without a detail read ``name: 3 axes ()``."""
    diag = json.loads(cli(store, "diagnose", "old", "new", "--format", "json"))
    diag["evidence"].append({"name": "made-up count", "value": 3, "unit": "axes", "detail": ""})
    print_diagnosis(diag)
    out = capsys.readouterr().out
    assert "  - made-up count: 3 axes\n" in out, out


def test_a_slice_note_prints_a_bootstrap_p_at_its_floor_as_a_bound() -> None:
    """A slice whose other items move the other way (4 samples an item, paired bootstrap at
    its floor 1/1001) is explained by the slice kept before it: its note read ``p=0.000999``."""
    m = 60
    n = np.full(m, 4.0)
    base_c = np.where(np.arange(m) < 40, 4.0, 0.0)  # items 0-39 drop 4 -> 0, 40-59 gain 0 -> 4
    cand_c = 4.0 - base_c
    first = [(("task_type", "a"),), [], 0.0, {}, np.arange(m) < 40, None]
    wider = [(("task_type", "b"),), [], 0.0, {}, np.ones(m, dtype=bool), None]
    kept = _keep_unexplained([first, wider], -1.0, (n, base_c, n, cand_c), m, 0.05, None, 0)
    assert kept == [first]
    assert wider[5].endswith("(p<0.001)"), wider[5]
