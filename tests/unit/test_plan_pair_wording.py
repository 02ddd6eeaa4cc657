"""Fresh-user walk 12 #6: the plan for a pair that is a gain read "a data problem (a broad
capability gap ...)", and a slice with no shortfall was "not below the reference" when no
reference was given. The words come from the plan itself, so the CLI table, --format json,
--export md and the app say what was compared: the base run, a reference run or the run's
own average."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.app.screens.plan import plan_notes
from capslice_tui.cli import main
from capslice_tui.planning.export import export_markdown
from capslice_tui.planning.mixture import Plan
from capslice_tui.workspace import Workspace

CATALOG = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.yaml"
TASKS = ("minerva_math_num_theory", "minerva_math_algebra")
GAP_WORDS = ("a data problem", "capability gap", "not below the reference", "weak slice")


def _gsm_store(tmp: Path) -> Workspace:
    """One GSM8K-like task, 60 items with the same labels: ``base`` 10 right, ``cand`` 30 (a
    broad gain)."""
    ws = Workspace(tmp / "g.db")
    for run, right in (("base", 10), ("cand", 30)):
        lines = [{"task": "gsm8k", "doc_id": d, "target": "7", "correct": d < right,
                  "response": "The answer is 7." if d < right else "The answer is 3."}
                 for d in range(60)]  # fmt: skip
        path = tmp / f"{run}.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([path], run=run, benchmark="gsm8k")
    return ws


def _math_store(tmp: Path) -> Workspace:
    """``base`` (number theory 5/30 right, algebra 20/30) and ``good`` (25/30, 20/30)."""
    ws = Workspace(tmp / "w.db")
    for run, right in (("base", (5, 20)), ("good", (25, 20))):
        ws.ingest([write_sampled_run(tmp / f"{run}.jsonl", TASKS, right)], run=run,
                  benchmark="math")  # fmt: skip
    return ws


def _cli(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return res.output


def _plan_args(*runs: str, benchmark: str) -> list[str]:
    return ["plan", *runs, "--benchmark", benchmark, "--catalog", str(CATALOG),
            "--budget-tokens", "100000000000"]  # fmt: skip


def test_a_broad_gain_is_worded_as_a_gain_on_every_surface(tmp_path: Path) -> None:
    ws = _gsm_store(tmp_path)
    store = tmp_path / "g.db"
    args = _plan_args("--baseline", "base", "--candidate", "cand", benchmark="gsm8k")
    table = " ".join(_cli(store, *args).split())
    assert (
        "diagnosis of base -> cand: data (a broad capability gain over the benchmark's whole domain)"
        in table
    ), table
    assert "No data boost: the change is a gain (the candidate is above the base run base)" in table
    assert "no deficit: the candidate is not below the base run base on gsm8k as a whole" in table
    assert (
        "broad capability gain: the overall change base -> cand (+33.3 points) leaves no shortfall"
        in table
    )
    for words in GAP_WORDS:
        assert words not in table, (words, table)
    data = json.loads(_cli(store, *args, "--format", "json"))
    assert data["direction"] == "gain" and data["compared_with"] == "the base run base"
    said = json.dumps([data["summary"], data["warnings"], data["excluded"]])
    assert "not below the base run base" in said
    for words in GAP_WORDS:
        assert words not in said, (words, said)
    md = " ".join(_cli(store, *args, "--export", "md").split())
    assert md.startswith("# Sampling plan: the gsm8k change base -> cand")
    assert "- diagnosis: data (a broad capability gain over" in md
    for words in GAP_WORDS:
        assert words not in md, (words, md)
    # the app's notes, and a plan read back from its JSON (as stored with an intervention)
    plan = ws.plan("base", candidate="cand", benchmark="gsm8k", catalog=CATALOG,
                   budget_tokens=10**11)  # fmt: skip
    for shown in (plan_notes(plan), export_markdown(Plan.from_dict(plan.to_dict()))):
        assert "data (a broad capability gain over the benchmark's whole domain)" in shown
        assert "a data problem" not in shown and "capability gap" not in shown, shown


def test_a_drop_keeps_its_problem_words(tmp_path: Path) -> None:
    """A drop of one lineage stays a data problem, planned from the pair (not the base alone:
    its numbers differ)."""
    _math_store(tmp_path)
    store = tmp_path / "w.db"
    pair = " ".join(_cli(store, *_plan_args("--baseline", "good", "--candidate", "base",
                                            benchmark="math")).split())  # fmt: skip
    assert pair.startswith("plan for the math change good -> base"), pair
    assert "diagnosis of good -> base: a data problem (wrong answers localized" in pair
    assert "(largest multiplier 2.62x)" in pair
    alone = " ".join(_cli(store, *_plan_args("--baseline", "good", benchmark="math")).split())
    assert alone.startswith("plan for math weakness of good against the run's own average")


def test_no_deficit_names_what_the_slice_was_compared_with(tmp_path: Path) -> None:
    ws = _math_store(tmp_path)
    cat = ws.load_catalog(CATALOG)
    above = {"slice": {"task_type": "algebra"}, "deficit": 0.05, "significant": True,
             "wrong_answer_share": 1.0, "dominant_failure_mode": "wrong_answer"}  # fmt: skip
    diagnosis = {"verdict": "data", "reason": "localized_wrong_answers", "base": "base",
                 "benchmark": "math", "slices": [above]}  # fmt: skip
    cases = {
        None: "no deficit: the slice is not below the run's own average",
        "good": "no deficit: the slice is not below the reference run good",
    }
    for reference, said in cases.items():
        plan = ws.plan_from_diagnosis({**diagnosis, "reference": reference}, cat, 10**9)
        assert plan.excluded[0].reasons == [said], plan.excluded[0].reasons
        assert said in export_markdown(plan) and said in plan_notes(plan)
        assert "the one weak slice was excluded (1 no deficit)" in plan.summary, plan.summary
    change = ws.plan_from_diagnosis({**diagnosis, "cand": "good", "direction": "drop"}, cat, 10**9)
    assert change.excluded[0].reasons == [
        "no deficit: the candidate is not below the base run base on this slice"
    ]
    assert change.title() == "plan for the math change base -> good"
