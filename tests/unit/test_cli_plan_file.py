"""``intervention new --plan-file`` takes only a plan (``capslice plan --format json``): the
``--export json`` weights, an empty object, a list or a file that is not JSON are refused with
the file named and what it lacks, and nothing is stored (walk 7 stored an empty plan)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_store import math_base_store

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


@pytest.fixture(scope="module")
def math_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's math-base (16 samples per item)."""
    return math_base_store(tmp_path_factory.mktemp("plan-file"))


def _new(store: Path, plan_file: Path, *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, [
        "--store", str(store), "intervention", "new", "--title", "t", "--hypothesis", "h",
        "--baseline", "math-base", "--benchmark", "math", "--plan-file", str(plan_file), *extra,
    ])  # fmt: skip
    return res.exit_code, res.output


def _plan(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, [
        "--store", str(store), "plan", "--baseline", "math-base", "--benchmark", "math",
        "--catalog", str(sample_data_dir() / "catalog.yaml"), "--budget-tokens", "1000000", *args,
    ])  # fmt: skip
    assert res.exit_code == 0, res.output
    return res.output


def test_the_exported_weights_are_refused_as_a_plan(math_store: Path, tmp_path: Path) -> None:
    weights = tmp_path / "w.json"
    _plan(math_store, "--export", "json", "-o", str(weights))
    code, out = _new(math_store, weights, "--target", "task_type=algebra")
    assert code == 1, out
    assert f"{weights} is not a plan" in out, out
    assert "lacks baseline, budget_tokens, weights, cells, slices" in out, out
    assert "mixture weights only" in out and "--format json" in out, out
    assert Workspace(math_store).interventions() == []  # nothing stored


@pytest.mark.parametrize(("text", "what"), [
    ("{}", "an empty object"), ('{"a": "b"}', "the keys a"), ("[1]", "a JSON list"), ("x", "not JSON"),
])  # fmt: skip
def test_other_files_that_are_not_plans_are_refused_without_a_traceback(
    math_store: Path, tmp_path: Path, text: str, what: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    code, out = _new(math_store, bad)
    assert code == 1, out
    assert f"{bad} is not a plan" in out and what in out, out
    assert "Traceback" not in out


def test_an_exported_blend_is_refused_in_plain_words(math_store: Path, tmp_path: Path) -> None:
    """Walk 9 #33: a megatron blend printed json's own `Extra data: line 1 column 10 (char 9)`."""
    blend = tmp_path / "blend.txt"
    _plan(math_store, "--export", "megatron", "-o", str(blend))
    code, out = _new(math_store, blend, "--target", "task_type=algebra")
    text = " ".join(out.split())
    assert code == 1 and f"{blend} is not a plan: it is not JSON" in text, out
    assert "capslice plan ... --format json > plan.json" in text, out
    assert "Extra data" not in out and "column" not in out, out


def test_a_saved_plan_is_attached(math_store: Path, tmp_path: Path) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(_plan(math_store, "--format", "json"), encoding="utf-8")
    code, out = _new(math_store, saved, "--format", "json")
    assert code == 0, out
    record = json.loads(out)
    assert record["plan"]["baseline"] == "math-base"
    assert record["plan"]["weights"] == json.loads(saved.read_text())["weights"]


def test_a_capped_cell_reads_the_same_in_the_cli_the_markdown_and_the_app(
    math_store: Path, tmp_path: Path
) -> None:
    from capslice_tui.planning.export import cell_note

    budget = ("--budget-tokens", "100000000000")
    table = _plan(math_store, *budget)
    md = tmp_path / "plan.md"
    _plan(math_store, *budget, "--export", "md", "-o", str(md))
    plan = Workspace(math_store).plan(
        "math-base", benchmark="math", catalog=sample_data_dir() / "catalog.yaml",
        budget_tokens=100_000_000_000,
    )  # fmt: skip
    capped = [c for c in plan.cells if "target_capped" in c.bounds]
    assert capped and cell_note(capped[0]) == "boosted, capped"  # the app's note column
    assert "boosted, capped" in table and "capped = the boost it asked for" in table
    text = md.read_text(encoding="utf-8")
    # the Markdown said "boosted, at target_capped" and the app "boost, target~"
    assert f"| {capped[0].id} |" in text and "| boosted, capped |" in text
    assert "target_capped" not in text
    assert "Note: capped = the boost it asked for" in text
