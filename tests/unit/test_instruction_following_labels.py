"""IFEval items get no output constraint from lm-eval's placeholder target (walk 9, #15).

lm-eval logs IFEval's target as 0 (``doc_to_target: 0``); the generic target-shape rule read it
as ``output_constraint=integer``, so ``slices --by output_constraint`` showed every IFEval item
as an integer-answer item. A rule whose ``set`` gives ``null`` leaves the axis unlabelled, and
the shipped taxonomy does so for instruction-following tasks (by task name, or by the doc's
``instruction_id_list``), above the target-shape fallbacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.taxonomy.evaluation import TaxonomyError, load_taxonomy, parse_taxonomy

CASE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ing-01-ifeval-old-layout" / "v048"
)
HEAD = """version: 1
axes:
  background_condition: {description: b, values: {x: x}}
  task_type: {description: t, values: {x: x}}
  solving_operation: {description: s, values: {x: x}}
  output_constraint: {description: o, values: {integer: integer, free_text: free}}
rules:
"""


def test_a_null_value_leaves_the_axis_unlabelled_above_lower_rules() -> None:
    tax = parse_taxonomy(
        HEAD
        + """  - id: shape
    priority: -100
    match: {target: '^\\d+$'}
    set: {output_constraint: integer, task_type: x}
  - id: placeholder
    priority: -50
    match: {task: if*}
    set: {output_constraint: null}
"""
    )
    assert tax.assign(None, "ifeval", target="0") == {"task_type": ("x", "shape")}
    assert tax.assign(None, "gsm", target="0") == {
        "task_type": ("x", "shape"),
        "output_constraint": ("integer", "shape"),
    }
    assert tax.assign_many([{"task": "ifeval", "target": "0"}]) == [{"task_type": ("x", "shape")}]


def test_an_unknown_value_is_still_refused() -> None:
    with pytest.raises(TaxonomyError, match="unknown value 'nothing'"):
        parse_taxonomy(HEAD + "  - {id: a, match: {task: a}, set: {output_constraint: nothing}}\n")


@pytest.mark.parametrize("task", ["ifeval", "leaderboard_ifeval", "lighteval|ifeval|0"])
def test_shipped_rules_give_ifeval_no_output_constraint(task: str) -> None:
    labels = load_taxonomy().assign(None, task, {"key": 1}, target="0")
    assert "output_constraint" not in labels
    doc = {"instruction_id_list": ["punctuation:no_comma"]}
    assert "output_constraint" not in load_taxonomy().assign(None, "my_eval", doc, target="0")
    assert load_taxonomy().assign(None, "my_eval", {}, target="0")["output_constraint"][0] == (
        "integer"
    )


def test_the_ifeval_case_is_not_sliced_as_integer(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    res = CliRunner().invoke(main, ["--store", store, "ingest", str(CASE), "--run", "v048"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(
        main,
        [
            "--store",
            store,
            "slices",
            "--run",
            "v048",
            "--by",
            "output_constraint",
            "--format",
            "json",
        ],  # fmt: skip
    )
    assert res.exit_code == 0, res.output
    assert "integer" not in json.dumps(json.loads(res.output)["slices"])
