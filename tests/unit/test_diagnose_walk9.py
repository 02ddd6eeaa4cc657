"""Walk 9 (fresh user, 80 columns) on ``capslice diagnose``: the loop's next step is printed
(#1), evidence values are labelled and combinations said to be within their slice (#12), a
verdict where no content slice could be tested says so (#20), the format-share threshold sits
beside the share it applies to (#43), and the heading fits 80 columns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

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
    path = tmp_path_factory.mktemp("walk9d") / "capslice.db"
    ws = Workspace(path)
    lm = sample_data_dir() / "lm_eval"
    for name in ("bbh-base", "bbh-eos-masked"):
        ws.ingest([lm / name], run=name, benchmark="bbh")
    ws.ingest([lm / "math-base"], run="math-base", benchmark="math")
    return path


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


def test_a_data_verdict_ends_with_the_plan_command_that_runs(store: Path) -> None:
    out = _cli(store, "diagnose", "math-base", "--benchmark", "math")
    assert max(map(len, out.splitlines())) <= 80, out  # the VERDICT heading too (was 86)
    cmd = _next_command(out)
    assert cmd == (
        "capslice plan --baseline math-base --benchmark math --catalog CATALOG.yaml "
        "--budget-tokens TOKENS"
    )
    assert "plans data for the 5 weak slices above" in " ".join(out.split())
    catalog = str(sample_data_dir() / "catalog.yaml")
    args = cmd.replace("CATALOG.yaml", catalog).replace("TOKENS", "100000000000").split()[1:]
    plan = _cli(store, *args)
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
