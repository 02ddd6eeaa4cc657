"""Walk 9 (fresh user, 80 columns) on ``capslice diagnose`` and the loop after it: each step
prints the next one (#1: diagnose, plan, intervention new, accept), evidence values are
labelled and combinations said to be within their slice (#12), a verdict where no content
slice could be tested says so (#20), the format-share threshold sits beside the share it
applies to (#43), the heading fits 80 columns, and the plan says its x column is after
renormalising (#2) and notes a cell read above one epoch (#29)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from demo_store import bbh_pair_and_math_store

from capslice_tui.analysis.compare import paired_compare
from capslice_tui.analysis.decompose import decompose_change
from capslice_tui.analysis.slice_search import paired_slices, uninformative_axes
from capslice_tui.analysis.verdict import verdict_for_change
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

ENV = {"COLUMNS": "80", "TERM": "linux", "NO_COLOR": "1", "CAPSLICE_ASCII": None}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's math-base (a data weakness) and the BBH EOS pair (not_data)."""
    return bbh_pair_and_math_store(tmp_path_factory.mktemp("walk9d"))


def _cli(store: Path, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env=ENV)
    assert res.exit_code == code, res.output
    return res.output


def _next_command(out: str) -> str:
    """The pasteable command of the ``next:`` step, its shell continuations joined."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("next: capslice "))
    cmd = lines[start].removeprefix("next: ")
    i = start
    while cmd.endswith(" \\"):
        i += 1
        cmd = cmd[:-2] + " " + lines[i].strip()
    return cmd


def test_a_data_verdict_ends_with_the_plan_command_that_runs(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(sample_data_dir().parent)  # the demo's catalog named as in the README
    out = _cli(store, "diagnose", "math-base", "--benchmark", "math")
    assert max(map(len, out.splitlines())) <= 80, out  # the VERDICT heading too (was 86)
    cmd = _next_command(out)
    assert cmd == (
        "capslice plan --baseline math-base --benchmark math --catalog "
        "sample_data/catalog.yaml --budget-tokens 100000000000"
    )
    assert "plans data for those of the 5 weak slices above that the mapping rules reach" in (
        " ".join(out.split())
    )
    plan = _cli(store, *cmd.split()[1:])  # the demo's catalog and budget: it runs as printed
    assert "plan for math weakness of math-base" in plan and "boosted" in plan
    as_json = json.loads(_cli(store, "diagnose", "math-base", "--format", "json"))
    assert as_json["next"]["command"] == cmd
    assert "next:" not in _cli(store, "diagnose", "math-base", "--format", "md")


def test_a_not_data_verdict_says_to_fix_and_diagnose_again_once(store: Path) -> None:
    out = _cli(store, "diagnose", "bbh-base", "bbh-eos-masked")
    assert out.count("next:") == 1 and "diagnose it again" in " ".join(out.split()), out
    assert "next: capslice plan" not in out


def test_evidence_names_its_value_and_combinations_are_within_their_slice(store: Path) -> None:
    raw = _cli(store, "diagnose", "math-base", "--benchmark", "math")
    out = " ".join(raw.split())
    assert "- slice output_constraint=integer, mean per-item error: 99.9% (30 items, vs" in out
    assert "slice output_constraint=integer: 99.9%" not in out
    combos = [line for line in raw.splitlines() if re.match(r"\s+(within it: )?\w+ x \w+: ", line)]
    assert len(combos) >= 10, raw  # up to 3 under each of the 5 weak slices
    assert all(line.startswith("      within it: ") for line in combos), combos
    # the threshold is beside the share it applies to, not beside the share of items failing
    assert (
        "format failures' share of the run's failures: 0.0% (not_data needs this share >= 60%"
        in out
    )
    assert "of the items fail (not_data needs" not in out


def test_no_content_slice_tested_is_not_said_as_no_content_slice_carrying_it() -> None:
    """Every item carries the same labels (the walk's ext-04 gsm8k pair): a format-driven drop
    says no content slice could be tested, not that none carries the drop."""
    n = 40
    labels = {
        axis: np.array([value] * n, dtype=object)
        for axis, value in (("background_condition", "school_math"),
                            ("task_type", "word_problem"),
                            ("solving_operation", "multiplication_division"),
                            ("output_constraint", "integer"))
    }  # fmt: skip
    base = np.array([1.0] * 28 + [0.0] * 12)
    cand = np.zeros(n)
    ones = np.ones(n)
    modes = (
        np.where(base == 1, "correct", "wrong_answer"),
        np.where(cand == 1, "correct", "extraction_failure"),
    )
    dec = decompose_change(labels, base, cand, *modes)
    search = paired_slices(labels, ones, base, ones, cand, modes)
    overall = paired_compare(ones, base, ones, cand)
    v = verdict_for_change(
        dec, overall, search, uninformative=uninformative_axes(labels), benchmark="gsm8k"
    )
    assert v.verdict == "not_data", v.summary
    assert "not carried by any content slice" not in v.summary, v.summary
    assert "No content slice could be tested (gsm8k items cannot be told apart" in v.summary


# ------------------------------------------------------------- plan and interventions (walk 9)

CATALOG = str(sample_data_dir() / "catalog.yaml")
BUDGET = "100000000000"


def _plan(store: Path, run: str, benchmark: str, *more: str) -> str:
    return _cli(store, "plan", "--baseline", run, "--benchmark", benchmark, "--catalog", CATALOG,
                "--budget-tokens", BUDGET, *more)  # fmt: skip


def test_plan_says_x_is_after_renormalising_and_names_the_next_steps(
    store: Path, tmp_path: Path
) -> None:
    out = _plan(store, "math-base", "math")
    flat = " ".join(out.split())
    assert "boosted, capped" in out and "2.62x" in out  # capped at 3x, then renormalised
    assert "was cut to it before renormalising" in flat
    assert (
        "x = new/base weight after the mixture is renormalised to sum 1; the 3x cap applies "
        "before it, so a capped cell reads below 3x" in flat
    )
    assert max(map(len, out.splitlines())) <= 80, out
    assert "add --export megatron -o blend.txt" in flat and "--format json > plan.json" in flat
    cmd = _next_command(out.replace("\n  capslice intervention", "\nnext: capslice intervention"))
    assert cmd.startswith('capslice intervention new --title "..." --hypothesis "..." ')
    assert cmd.endswith("--baseline math-base --benchmark math --plan-file plan.json")
    for fmt in ("json", "md"):
        assert "next:" not in _plan(store, "math-base", "math", "--format", fmt)
    md = _plan(store, "math-base", "math", "--export", "md")
    assert "x = new/base weight after the mixture is renormalised" in md
    # the steps the lines name run: save, record, accept; accept names the link
    saved = tmp_path / "plan.json"
    saved.write_text(_plan(store, "math-base", "math", "--format", "json"))
    new = _cli(store, "intervention", "new", "--title", "t", "--hypothesis", "h",
               "--baseline", "math-base", "--benchmark", "math", "--plan-file", str(saved))  # fmt: skip
    number = int(re.findall(r"next: once reviewed: capslice intervention accept (\d+)", new)[-1])
    accepted = " ".join(_cli(store, "intervention", "accept", str(number)).split())
    assert f"then: capslice intervention link {number} --run RESULT_RUN" in accepted
    other = json.loads(_cli(store, "intervention", "new", "--title", "t2", "--hypothesis", "h",
                            "--baseline", "math-base", "--benchmark", "math", "--plan-file",
                            str(saved), "--format", "json"))  # fmt: skip
    as_json = _cli(store, "intervention", "accept", str(other["id"]), "--format", "json")
    assert json.loads(as_json)["status"] == "accepted"  # JSON only, no next: line


def test_a_cell_planned_above_one_epoch_is_noted_as_repeated(store: Path) -> None:
    from capslice_tui.app.screens.plan import plan_notes

    out = _plan(store, "bbh-eos-masked", "bbh", "--force")
    row = next(line for line in out.splitlines() if line.startswith("wiki_sci_knowledge_q3"))
    assert "1.11" in row and row.rstrip().endswith("repeated"), row
    assert "repeated = epochs > 1: the budget reads the cell's tokens more than once" in " ".join(
        out.split()
    )
    plan = Workspace(store).plan(
        "bbh-eos-masked", benchmark="bbh", catalog=CATALOG, budget_tokens=int(BUDGET), force=True
    )
    assert "note: repeated = epochs > 1" in plan_notes(plan)


def test_next_step_of_each_verdict() -> None:
    """A gain needs no plan (plan --candidate on it boosts nothing); a change with a data
    drop plans on the pair; inconclusive has no next line (it says what it lacks)."""
    from capslice_tui.report import diagnosis_next

    pair = {"base": "a", "cand": "b", "reference": None, "benchmark": "bbh", "slices": [{}]}
    assert diagnosis_next({**pair, "verdict": "data", "direction": "gain"}) is None
    drop = diagnosis_next({**pair, "verdict": "data", "direction": "drop"})
    assert drop is not None and drop["command"].startswith(
        "capslice plan --baseline a --candidate b --benchmark bbh --catalog"
    )
    assert "1 weak slice above" in drop["why"]
    assert diagnosis_next({**pair, "verdict": "inconclusive", "direction": "drop"}) is None
