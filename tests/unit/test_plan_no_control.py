"""A plan that targets every item of a benchmark leaves no control (fresh-user walk, GSM8K).

Every GSM8K item carries the same labels on the axes that matter for a broad capability gap,
so the plan targets the whole domain: every item. An intervention's outcome is measured as
targets against untargeted control items (difference in differences); with none left it can
only be read as the overall change. The plan, `intervention new` and `show` say so up front;
`evaluate` says unmeasurable, shows the paired change over the targeted items labelled
uncontrolled, and never prints a DiD on zero (or too few) control items.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from plan_fixtures import write_generic_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "sample_data" / "catalog.yaml"
GSM8K = ROOT.parent / "shared" / "data" / "gsm8k" / "example_model_solutions.jsonl"
PLAN = ("plan", "--baseline", "base", "--candidate", "cand", "--benchmark", "gsm8k",
        "--catalog", str(CATALOG), "--budget-tokens", "100000000000")  # fmt: skip


def gsm_like_store(tmp: Path) -> Workspace:
    """Three runs of one GSM8K-like task (60 items with the same labels): ``base`` 30 right,
    ``cand`` 10 (a broad drop: the plan targets every item), ``after`` 25 (the result run)."""
    ws = Workspace(tmp / "g.db")
    for run, right in (("base", 30), ("cand", 10), ("after", 25)):
        path = write_generic_run(tmp / f"{run}.jsonl", {"gsm8k": right}, n=60)
        ws.ingest([path], run=run, benchmark="gsm8k")
    return ws


def _cli(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "200"})
    return res.exit_code, res.output


def _flat(text: str) -> str:
    return " ".join(text.split())


NO_CONTROL_PLAN = (
    "no control: the plan targets every item of gsm8k in cand (60 of 60): no untargeted item "
    "is left as a control, so an intervention's outcome can only be read as the overall "
    "change, not against controls (no difference in differences)"
)


def test_the_plan_says_it_leaves_no_control(tmp_path: Path) -> None:
    """Table, JSON and the Markdown export name it; the plan was silent before."""
    ws = gsm_like_store(tmp_path)
    plan = ws.plan("base", candidate="cand", benchmark="gsm8k", catalog=CATALOG,
                   budget_tokens=10**11)  # fmt: skip
    assert (plan.verdict, plan.reason) == ("data", "broad_capability") and plan.boosted
    assert plan.control is not None
    assert (plan.control["n_items"], plan.control["n_untargeted"]) == (60, 0)
    assert plan.control["measurable"] is False and plan.control["controls"] == []
    code, out = _cli(tmp_path / "g.db", *PLAN)
    assert code == 0 and f"warning: {NO_CONTROL_PLAN}" in _flat(out), out
    code, out = _cli(tmp_path / "g.db", *PLAN, "--format", "json")
    data = json.loads(out)
    assert data["control"]["n_targeted"] == 60 and data["control"]["note"].startswith(
        NO_CONTROL_PLAN
    )
    assert any(w.startswith(NO_CONTROL_PLAN) for w in data["warnings"])
    code, out = _cli(tmp_path / "g.db", *PLAN, "--export", "md")
    assert f"**Warning:** {NO_CONTROL_PLAN}" in out
    assert out.count(NO_CONTROL_PLAN) == 1  # up front, not again under Warnings


def test_recording_it_warns_before_any_outcome(tmp_path: Path) -> None:
    """`intervention new --plan-file` and `show` say the outcome cannot be read against
    controls while none is recorded; once evaluated the outcome says it instead."""
    ws = gsm_like_store(tmp_path)
    store = tmp_path / "g.db"
    _, out = _cli(store, *PLAN, "--format", "json")
    (tmp_path / "plan.json").write_text(out)
    new = ("intervention", "new", "--title", "t", "--hypothesis", "h", "--baseline", "cand",
           "--benchmark", "gsm8k", "--plan-file", str(tmp_path / "plan.json"))  # fmt: skip
    code, out = _cli(store, *new)
    said = (
        "warning: no control: the target slices cover every item of gsm8k in cand (60 of 60): "
        "no untargeted item is left as a control, so the outcome can only be read as the "
        "overall change"
    )
    assert code == 0 and said in _flat(out), out
    assert _flat(out).count("no untargeted item is left") == 1  # said once
    code, out = _cli(store, *new, "--format", "json")
    assert json.loads(out)["control_warning"].startswith("no control: the target slices cover")
    rec = ws.intervention(1)
    assert rec["control_warning"].startswith("no control: the target slices cover every item")
    code, out = _cli(store, "intervention", "show", "1")
    assert "no untargeted item is left as a control" in _flat(out)
    ws.accept_intervention(1, who="ana")
    ws.link_intervention(1, "after", who="ana")
    assert "control_warning" not in ws.intervention(1)  # the outcome says it now


def test_evaluate_gives_the_uncontrolled_change_and_no_did(tmp_path: Path) -> None:
    """unmeasurable with the reason named (not 'none was pre-registered'), the paired change
    over the targeted items labelled uncontrolled (exact McNemar), no DiD anywhere."""
    ws = gsm_like_store(tmp_path)
    plan = ws.plan("base", candidate="cand", benchmark="gsm8k", catalog=CATALOG,
                   budget_tokens=10**11)  # fmt: skip
    rec = ws.new_intervention(title="t", hypothesis="h", baseline="cand", benchmark="gsm8k",
                              plan=plan)  # fmt: skip
    ws.accept_intervention(rec["id"], who="ana")
    done = ws.link_intervention(rec["id"], "after", who="ana")
    outcome = done["outcome"]
    assert outcome is not None and outcome["verdict"] == "unmeasurable"
    assert outcome["reason"].startswith(
        "no control: the target slices cover every item the two runs share (60 of 60), so no "
        "untargeted item is left as a control"
    )
    assert "none was pre-registered" not in outcome["reason"]
    assert (
        "uncontrolled, the 60 targeted items went 16.7% -> 41.7% (+25.0 points" in outcome["reason"]
    )
    assert (
        "exact McNemar p" in outcome["reason"]
        and "not evidence that the data caused it" in outcome["reason"]
    )
    assert outcome["did"] is None and all(r["did"] is None for r in outcome["rows"])
    u = outcome["uncontrolled"]
    assert u is not None and (u["n_items"], u["covers_all"], u["n_control"]) == (60, True, 0)
    assert u["test"] == "mcnemar-exact" and u["diff"] == pytest.approx(15 / 60)
    code, out = _cli(tmp_path / "g.db", "intervention", "show", str(rec["id"]))
    text = _flat(out)
    assert code == 0 and "DiD vs controls" not in text and " DiD " not in text, out
    assert "change against controls: not measurable (the targets cover every item" in text


def _few_controls_store(tmp: Path) -> Workspace:
    """math: 40 number-theory items (the targets) and 5 algebra items (the only control)."""
    ws = Workspace(tmp / "f.db")
    for run, right in (("base", (10, 2)), ("after", (30, 3))):
        lines = [
            {"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
             "response": "The answer is 7." if doc < n else "The answer is 3."}
            for task, size, n in (("minerva_math_num_theory", 40, right[0]),
                                  ("minerva_math_algebra", 5, right[1]))
            for doc in range(size)
        ]  # fmt: skip
        path = tmp / f"{run}.jsonl"
        path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        ws.ingest([path], run=run, benchmark="math")
    return ws


def test_too_few_control_items_say_the_control_is_too_small(tmp_path: Path) -> None:
    """5 control items: said when recorded, and the outcome says the control is too small
    (no DiD, the uncontrolled change instead) rather than a confident number."""
    ws = _few_controls_store(tmp_path)
    rec = ws.new_intervention(
        title="t", hypothesis="h", baseline="base", benchmark="math",
        targets=[{"task_type": "number_theory"}], controls=[{"task_type": "algebra"}],
    )  # fmt: skip
    assert rec["control_warning"].startswith(
        "control too small: the target slices cover 40 of the 45 items of math in base; the 5 "
        "items left untargeted are too few for a control (fewer than 10), so the outcome can "
        "only be read as the overall change"
    )
    # untargeted items enough, but the control slices given hold none of them
    room = ws.control_room("base", "math", [{"task_type": "algebra"}], [{"task_type": "algebra"}])
    assert room["note"].startswith(
        "control too small: the control slices hold 0 items of math in base outside the "
        "targets (fewer than 10); give control slices among the 40 untargeted items"
    )
    room = ws.control_room("base", "math", [{"task_type": "number_theory"}], who="plan")
    assert room["note"].startswith(
        "control too small: the plan targets 40 of the 45 items of math in base; the 5 items "
        "left untargeted are too few for a control (fewer than 10)"
    )
    ws.accept_intervention(rec["id"], who="ana")
    outcome = ws.link_intervention(rec["id"], "after", who="ana")["outcome"]
    assert outcome is not None and outcome["verdict"] == "unmeasurable"
    assert outcome["reason"].startswith(
        "no control slice (the control slices hold only 5 items outside the targets (< 10): "
        "too few for a control)"
    )
    assert "uncontrolled, the 40 targeted items went 25.0% -> 75.0%" in outcome["reason"]
    assert outcome["did"] is None and all(r["did"] is None for r in outcome["rows"])
    code, out = _cli(tmp_path / "f.db", "intervention", "show", str(rec["id"]))
    assert "change against controls: not measurable (5 control items outside the targets, " \
           "fewer than 10)" in _flat(out), out  # fmt: skip


def test_real_gsm8k_targets_on_every_item_leave_no_control(tmp_path: Path) -> None:
    """The walk's case on the real GSM8K solutions: targets that cover every item (as the
    whole-domain plan's do) are warned when recorded, and linking another model's run gives
    the uncontrolled change (515 -> 286 of 1,319), never a DiD."""
    if not GSM8K.is_file():
        pytest.skip(f"real GSM8K solutions not found at {GSM8K}")
    store = tmp_path / "real.db"
    code, out = _cli(store, "ingest", str(GSM8K), "--run", "gsm", "--benchmark", "gsm8k")
    assert code == 0, out
    steps = ",".join(
        ["word_problem_1_2_steps", "word_problem_3_4_steps", "word_problem_5plus_steps"]
    )
    targets = [a for v in steps.split(",") for a in ("--target", f"task_type={v}")]
    code, out = _cli(store, "intervention", "new", "--title", "t", "--hypothesis", "h",
                     "--baseline", "gsm/6b_verification", "--benchmark", "gsm8k", *targets)  # fmt: skip
    assert code == 0 and (
        "warning: no control: the target slices cover every item of gsm8k in "
        "gsm/6b_verification (1,319 of 1,319)"
    ) in _flat(out), out
    _cli(store, "intervention", "accept", "1")
    code, out = _cli(store, "intervention", "link", "1", "--run", "gsm/6b_finetuning")
    text = _flat(out)
    assert code == 0 and "unmeasurable: no control: the target slices cover every item the two " \
        "runs share (1,319 of 1,319)" in text, out  # fmt: skip
    assert "uncontrolled, the 1,319 targeted items went 39.0% -> 21.7%" in text
    assert "DiD vs controls" not in text
