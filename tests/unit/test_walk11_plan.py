"""Fresh-user walk 11, the plan / intervention loop: a refused link stored nothing (#1), a
shrinking weight was marked boosted (#2), printed `next:` commands are valid shell (#3), the
plan's default output is readable at 80 columns (#4)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _store(tmp: Path) -> Workspace:
    """``base`` and ``good`` (math, the same items), ``elsewhere`` (math, other items)."""
    ws = Workspace(tmp / "w.db")
    for run, tasks, right in (
        ("base", TASKS, (5, 20)), ("good", TASKS, (25, 20)),
        ("elsewhere", ("minerva_math_geometry",), (10,)),
    ):  # fmt: skip
        ws.ingest([write_sampled_run(tmp / f"{run}.jsonl", tasks, right)], run=run,
                  benchmark="math")  # fmt: skip
    return ws


def _accepted(ws: Workspace) -> int:
    rec = ws.new_intervention(
        title="nt data", hypothesis="more number theory", baseline="base", benchmark="math",
        targets=[{"task_type": "number_theory"}], controls=[{"task_type": "algebra"}],
        who="alice",
    )  # fmt: skip
    ws.accept_intervention(int(rec["id"]), who="bob")
    return int(rec["id"])


def _cli(store: Path, *args: str, columns: int = 200) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": str(columns)})
    return res.exit_code, res.output


def test_a_refused_link_changes_nothing(tmp_path: Path) -> None:
    """#1: `link 2 --run bbh-base` failed (no shared item) but left the intervention running
    with bbh-base as its result run, and history rows `start` and `link`."""
    ws = _store(tmp_path)
    iid = _accepted(ws)
    before, history = ws.intervention(iid), ws.store.intervention_history(iid)
    code, out = _cli(tmp_path / "w.db", "intervention", "link", str(iid), "--run", "elsewhere")
    assert code == 1 and "share no evaluation item" in out and "nothing was changed" in out, out
    after = ws.intervention(iid)
    assert (after["status"], after["result_run"], after["version"]) == ("accepted", None, 2)
    assert after == before and ws.store.intervention_history(iid) == history
    # then a good link works from the version the caller read (no conflict), all in one go
    rec = ws.link_intervention(iid, "good", who="bob", expected_version=before["version"])
    assert (rec["status"], rec["result_run"], rec["verdict"]) == ("evaluated", "good", "confirmed")
    actions = [(h["version"], h["action"]) for h in ws.store.intervention_history(iid)[-5:]]
    assert actions == [(3, "start"), (4, "link"), (5, "evaluate"), (5, "evaluate"),
                       (5, "evaluate")]  # fmt: skip
    # an evaluated one re-linked to a run that cannot be measured keeps its result and verdict
    evaluated = ws.intervention(iid)
    with pytest.raises(ValueError, match="nothing was changed"):
        ws.link_intervention(iid, "elsewhere", who="bob")
    assert ws.intervention(iid) == evaluated


def test_a_failing_step_rolls_back_the_steps_before_it(tmp_path: Path) -> None:
    """The store applies a link's steps in one transaction: a refused last step leaves the
    earlier ones unwritten."""
    from capslice_tui.store.interventions import InvalidTransition

    ws = _store(tmp_path)
    iid = _accepted(ws)
    with pytest.raises(InvalidTransition):
        ws.store.change_intervention_steps(iid, who="bob", steps=[
            ("start", {"status": "running"}, ("accepted",)),
            ("link", {"result_run": "good"}, ("running", "evaluated")),
            ("accept", {"status": "accepted"}, ("proposed",)),
        ])  # fmt: skip
    rec = ws.intervention(iid)
    assert (rec["status"], rec["result_run"], rec["version"]) == ("accepted", None, 2)


async def _settle(app: Any, pilot: Any) -> None:
    for _ in range(40):
        await pilot.pause()
        if not app.screen.workers or all(w.is_finished for w in app.screen.workers):
            break
        await asyncio.sleep(0.05)
    await pilot.pause()


def test_the_app_link_refused_then_linked(tmp_path: Path) -> None:
    """#1 in the app: a refused link says why and leaves the intervention (and the screen's
    version of it) as it was, so the next link is not refused as a conflict."""
    asyncio.run(_app_link(tmp_path))


async def _app_link(tmp_path: Path) -> None:
    from textual.widgets import Static

    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens.interventions import InterventionsScreen

    ws = _store(tmp_path)
    iid = _accepted(ws)
    app = make_app(tmp_path / "w.db", workspace=ws)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = InterventionsScreen(selected=iid)
        app.push_screen(screen)
        await _settle(app, pilot)
        screen.load("link", "elsewhere")
        await _settle(app, pilot)
        status = str(screen.query_one("#status", Static).render())
        assert "share no evaluation item" in status, status
        assert ws.intervention(iid)["status"] == "accepted"
        screen.load("link", "good")
        await _settle(app, pilot)
        status = str(screen.query_one("#status", Static).render())
        assert status.startswith(f"linked good to #{iid}: confirmed"), status


# --------------------------------------------------------------------------- #2 and #4


def _plan_parts() -> tuple[Any, Any]:
    from test_plan import CATALOG, MAPPING

    from capslice_tui.taxonomy.catalog import parse_catalog
    from capslice_tui.taxonomy.data import load_data_taxonomy
    from capslice_tui.taxonomy.evaluation import load_taxonomy
    from capslice_tui.taxonomy.mapping import parse_mapping

    tax = load_data_taxonomy()
    return (parse_catalog(CATALOG, "cat.yaml", tax),
            parse_mapping(MAPPING, "map.yaml", load_taxonomy().axes, tax))  # fmt: skip


def _slice(key: dict[str, str], deficit: float) -> dict[str, Any]:
    return {"slice": key, "deficit": deficit, "p_adjusted": 0.001, "wrong_answer_share": 0.9,
            "dominant_failure_mode": "wrong_answer", "n_items": 30, "score": 0.3}  # fmt: skip


def test_a_chosen_cell_whose_weight_shrinks_is_not_called_boosted() -> None:
    """#2: `owm_math_qa_q3 0.0120 0.011893 0.99x ... boosted`: a rule chose the cell, but its
    small boost lost to the renormalisation paying for the large ones."""
    from capslice_tui.planning.export import cell_note, export_markdown, note_lines
    from capslice_tui.planning.mixture import Plan, build_plan

    cat, rules = _plan_parts()
    plan = build_plan(
        [_slice({"solving_operation": "modular_arithmetic"}, -0.5),
         _slice({"task_type": "number_theory"}, -0.01)], rules, cat, 1000,
    )  # fmt: skip
    qa = next(c for c in plan.cells if c.id == "math_qa")
    tut = next(c for c in plan.cells if c.id == "math_tut")
    assert qa.selected and qa.new_weight < qa.base_weight and not qa.boosted, qa
    assert tut.boosted and cell_note(tut).startswith("boosted") and cell_note(qa) == "chosen"
    assert [c.id for c in plan.boosted] == ["math_tut"], plan.summary
    assert "boost 1 of 4 cells" in plan.summary and "1 more cell the rules chose" in plan.summary
    legend = " ".join(note_lines(plan))
    assert "boosted = " in legend and "chosen = " in legend
    assert "| chosen |" in export_markdown(plan)
    # a plan stored before `selected` existed (boosted meant chosen) reads the same
    old = plan.to_dict()
    for c in old["cells"]:
        c["boosted"] = c.pop("selected")
    again = Plan.from_dict(old)
    assert [(c.selected, c.boosted) for c in again.cells] == [
        (c.selected, c.boosted) for c in plan.cells
    ]


def test_the_sources_of_many_slices_fit_in_a_few_lines() -> None:
    """#4: every chosen cell listed every slice in full (16.6 KB at 80 columns); now the two
    largest, the rest counted, the shared axis values said once, a repeated set named."""
    from capslice_tui.planning.export import source_lines
    from capslice_tui.planning.mixture import build_plan

    cat, rules = _plan_parts()
    ops = ("geometry_ops", "casework", "counting", "prime_factorization", "gcd_lcm",
           "divisibility", "digits", "sequences")  # fmt: skip
    slices = [_slice({"task_type": "number_theory", "solving_operation": op}, -0.01 * (i + 1))
              for i, op in enumerate(ops)]  # fmt: skip
    plan = build_plan(slices, rules, cat, 1000)
    lines = source_lines(plan)
    assert lines[0].startswith("why each chosen cell") and "task_type=number_theory" in lines[0]
    body = "\n".join(lines[1:])
    assert len(lines) == 1 + len(plan.selected), lines
    assert "math_tut <- demand" in body and "from 8 slices" in body and "; 6 more" in body
    assert "solving_operation=sequences via nt" in body  # the largest demand is named
    assert body.count("task_type=number_theory") == 0  # said once, in the heading
    assert "math_qa <- the same 8 slices and rules as math_tut" in body, body


# --------------------------------------------------------------------------- #3


def test_the_plan_next_line_is_one_valid_shell_command(capsys: pytest.CaptureFixture[str]) -> None:
    """#3: `--baseline gsm/175b_verification -> gsm/6b_verification` pasted into a shell
    redirected to a file; the baseline of a change plan is the candidate, values quoted."""
    import shlex

    from capslice_tui.cli.plan import _echo_plan_next

    _echo_plan_next("gsm/175b_verification", "gsm 8k", "gsm/6b_verification")
    out = capsys.readouterr().out
    command = out[out.index("capslice intervention new") :].replace("\\\n", " ")
    words = shlex.split(command)
    assert ">" not in words and "->" not in command, command
    assert words[words.index("--baseline") + 1] == "gsm/6b_verification"
    assert words[words.index("--benchmark") + 1] == "gsm 8k"
    assert words[words.index("--plan-file") + 1] == "plan.json"
    options = [w for w in words if w.startswith("--")]
    assert options == ["--title", "--hypothesis", "--baseline", "--benchmark", "--plan-file"]
