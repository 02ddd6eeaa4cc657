"""Item-level labelling rules (``text`` and ``count`` conditions on item fields), the shipped
GSM8K / MATH-500 / AIME / MMLU rules on the real data, and ``slices`` naming axes that cannot
tell a benchmark's items apart."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.taxonomy.evaluation import (
    IndistinctAxis,
    TaxonomyError,
    indistinct_axes,
    load_taxonomy,
    parse_taxonomy,
)
from capslice_tui.workspace import Workspace

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

HEAD = """\
version: 1
axes:
  background_condition: {values: {school_math: s}}
  task_type: {values: {short: s, long: l, other: o}}
  solving_operation: {values: {add: a, mul: m, mixed: x}}
  output_constraint: {values: {final_number: f}}
rules:
"""


def tax(rules: str):
    return parse_taxonomy(HEAD + rules, "t.yaml")


def shared(*parts: str) -> Path:
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path


# ---------------------------------------------------------------- rule semantics


STEPS = """\
  - id: default
    match: {task: gsm8k}
    set: {task_type: other, solving_operation: mixed}
  - id: short
    match:
      task: gsm8k
      count: {field: [answer, ground_truth], pattern: '<<[^>]*>>', min: 1, max: 2}
    set: {task_type: short}
  - id: long
    match:
      task: gsm8k
      count: {field: [answer, ground_truth], pattern: '<<[^>]*>>', min: 3}
    set: {task_type: long}
  - id: add-only
    match:
      task: gsm8k
      count:
        - {field: [answer, ground_truth], pattern: '<<[^>=]*[-+]', min: 1}
        - {field: [answer, ground_truth], pattern: '<<[^>=]*[*/]', max: 0}
    set: {solving_operation: add}
  - id: kw-times
    priority: 5
    match: {task: gsm8k, text: {field: question, pattern: '(?i)\\btimes as many\\b'}}
    set: {solving_operation: mul}
"""


def test_count_and_text_conditions_read_the_first_field_present() -> None:
    t = tax(STEPS)
    two_adds = "3+4=<<3+4=7>>7\n7-1=<<7-1=6>>6\n#### 6"
    labels = t.assign(None, "gsm8k", {"question": "q", "answer": two_adds})
    assert labels["task_type"] == ("short", "short")
    assert labels["solving_operation"] == ("add", "add-only")
    three_mixed = "<<1+2=3>> <<3*2=6>> <<6-1=5>>"
    labels = t.assign(None, "gsm8k", {"question": "q", "ground_truth": three_mixed})
    assert labels["task_type"] == ("long", "long")
    assert labels["solving_operation"] == ("mixed", "default")  # a * fails "max: 0"
    # the question text is a pseudo-field when the doc has no such field
    labels = t.assign(None, "gsm8k", {"problem": "Ann has 3 times as many pens."})
    assert labels["solving_operation"] == ("mul", "kw-times")
    # no reference solution: count conditions cannot hold, the default stays
    assert t.assign(None, "gsm8k", {"question": "q"})["task_type"] == ("other", "default")
    # assign_many gives the same as assign (its cache keys include the fields read)
    items = [
        {"task": "gsm8k", "doc": {"question": "q", "answer": a}}
        for a in (two_adds, three_mixed, two_adds, "no steps")
    ]
    assert [d["task_type"][0] for d in t.assign_many(items)] == ["short", "long", "short", "other"]


def test_target_pseudo_field_and_numbers_as_text() -> None:
    t = tax("""\
  - id: by-target
    match: {task: x, text: {field: target, pattern: '^1\\d$'}}
    set: {task_type: short}
  - id: by-level
    match: {task: x, text: {field: level, pattern: '^5$'}}
    set: {task_type: long}
""")
    assert t.assign(None, "x", target="12")["task_type"][1] == "by-target"
    assert t.assign(None, "x", {"level": 5.0}, target="7")["task_type"][1] == "by-level"
    assert t.assign(None, "x", {"level": 4}, target="7") == {}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("count: {field: a, pattern: 'x', min: 1, mx: 2}", "unknown key 'mx' in rule 'r'"),
        ("count: {field: a, pattern: 'x'}", "needs 'min', 'max' or both"),
        ("count: {field: a, pattern: 'x', min: 3, max: 2}", "min 3 is above max 2"),
        ("count: {field: a, pattern: 'x', min: -1}", "min must be a whole number >= 0"),
        ("count: {field: a, pattern: 'x', max: 1.5}", "max must be a whole number >= 0"),
        ("count: {pattern: 'x', min: 1}", "needs 'field'"),
        ("text: {field: a, pattern: '(unclosed'}", "invalid regex '(unclosed'"),
        ("text: {field: a, pattern: 'x', min: 1}", "unknown key 'min' in rule 'r' match.text"),
        ("text: {field: [], pattern: 'x'}", "a field name or a non-empty list of names"),
        ("text: [1]", "must be a mapping {field, pattern}"),
        ("txt: {field: a, pattern: 'x'}", "unknown key 'txt' in rule 'r' match"),
    ],
)
def test_rule_conditions_are_validated_strictly(rule: str, message: str) -> None:
    with pytest.raises(TaxonomyError) as info:
        tax(f"  - id: r\n    match:\n      task: x\n      {rule}\n    set: {{task_type: short}}\n")
    err = info.value
    assert (err.file, err.line) == ("t.yaml", 11), str(err)  # the condition's line
    assert message in err.message, str(err)


def test_shipped_file_documents_the_syntax() -> None:
    header = (Path(load_taxonomy().file)).read_text().split("version: 1")[0]
    for word in ("text:", "count:", "min", "max: 0", "<<a*b=c>>", "unknown"):
        assert word in header, word


# ---------------------------------------------------------------- shipped rules, real data


def _counts(labels: list[dict], axis: str) -> dict[str, int]:
    return dict(Counter(d[axis][0] for d in labels))


def test_gsm8k_reference_solutions_give_steps_and_operations() -> None:
    rows = [json.loads(x) for x in shared("gsm8k", "test.jsonl").read_text().splitlines()]
    t = load_taxonomy()
    labels = t.assign_many([{"task": "gsm8k", "doc": r, "target": "0"} for r in rows])
    assert _counts(labels, "task_type") == {
        "word_problem_1_2_steps": 427, "word_problem_3_4_steps": 662,
        "word_problem_5plus_steps": 230,
    }  # fmt: skip
    ops = _counts(labels, "solving_operation")
    assert ops == {
        "fraction_ratio": 437, "multi_step_arithmetic": 351, "percentage": 182,
        "rate_time": 114, "multiplication_division": 108, "addition_subtraction": 99,
        "geometric_computation": 24, "probability": 4,
    }  # fmt: skip
    assert {d["background_condition"][0] for d in labels} == {"school_math"}


def test_math500_subjects_from_subject_or_unique_id_and_levels() -> None:
    rows = [json.loads(x) for x in shared("math", "math500_test.jsonl").read_text().splitlines()]
    t = load_taxonomy()
    full = t.assign_many([{"task": "math500", "doc": r, "target": r["answer"]} for r in rows])
    uid_only = t.assign_many(
        [
            {"task": "math500", "doc": {"problem": r["problem"], "unique_id": r["unique_id"]}}
            for r in rows
        ]
    )
    subjects = _counts(full, "task_type")
    assert subjects == _counts(uid_only, "task_type")
    assert subjects == {
        "algebra": 124, "intermediate_algebra": 97, "prealgebra": 82, "number_theory": 62,
        "precalculus": 56, "geometry": 41, "counting_probability": 38,
    }  # fmt: skip
    assert _counts(full, "background_condition") == {"competition_math": 262, "school_math": 238}
    assert len(_counts(full, "solving_operation")) >= 8


def test_aime_subjects_from_keywords() -> None:
    rows = [json.loads(x) for x in shared("math", "aime25_test.jsonl").read_text().splitlines()]
    labels = load_taxonomy().assign_many([{"task": "aime25", "doc": r} for r in rows])
    kinds = _counts(labels, "task_type")
    assert kinds == {
        "geometry": 12, "competition_problem": 8, "counting_probability": 6,
        "number_theory": 2, "intermediate_algebra": 2,
    }  # fmt: skip
    first = labels[0]  # integer bases b > 9 for which 17_b divides 97_b
    assert first["task_type"] == ("number_theory", "aime-kw-number-theory")


def test_mmlu_subject_in_the_doc_sets_the_background() -> None:
    t = load_taxonomy()
    got = {
        subject: t.assign(None, "mmlu", {"subject": subject, "question": "q"}, target="B")
        for subject in ("abstract_algebra", "philosophy", "sociology", "virology", "global_facts")
    }
    assert {s: d["background_condition"][0] for s, d in got.items()} == {
        "abstract_algebra": "stem_knowledge", "philosophy": "humanities_knowledge",
        "sociology": "social_science_knowledge", "virology": "professional_knowledge",
        "global_facts": "world_knowledge",
    }  # fmt: skip
    assert got["virology"]["task_type"] == ("knowledge_mcq", "mmlu-all")


# ---------------------------------------------------------------- slices: indistinct axes


def test_indistinct_axes_sentences() -> None:
    rows = [("gsm8k", "word_problem", 1319), ("bbh", "a", 5), ("bbh", "b", 6), ("x", "v", 1)]
    found = indistinct_axes("task_type", rows)
    assert [d.note for d in found] == [
        "all 1,319 gsm8k items share task_type=word_problem: this axis cannot tell them apart"
    ]
    partly = indistinct_axes("task_type", [("m", "v", 3), ("m", None, 2), ("n", None, 4)])
    assert partly == [IndistinctAxis("m", "task_type", "v", 5, 2),
                      IndistinctAxis("n", "task_type", None, 4, 4)]  # fmt: skip
    assert partly[0].note.startswith("all 3 labelled m items share task_type=v (2 unlabelled)")
    assert partly[1].note.startswith("no n item is labelled on task_type (4 items)")


@pytest.fixture(scope="module")
def gsm_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 GSM8K items of the OpenAI example solutions, ingested as the e2e test does."""
    lines = shared("gsm8k", "example_model_solutions.jsonl").read_text().splitlines()[:300]
    tmp = tmp_path_factory.mktemp("gsm")
    src = tmp / "example_model_solutions.jsonl"
    src.write_text("\n".join(lines) + "\n")
    Workspace(tmp / "s.db").ingest([src], run="gsm", benchmark="gsm8k")
    return tmp / "s.db"


def test_gsm8k_run_gets_item_level_labels_and_slices_names_the_shared_axis(
    gsm_store: Path,
) -> None:
    ws = Workspace(gsm_store)
    steps = ws.slices("gsm/6b_verification", by="task_type")
    assert len(steps.rows) == 3 and steps.indistinct == []
    assert sum(r.n_items for r in steps.rows) == 300
    ops = ws.slices("gsm/6b_verification", by="solving_operation")
    assert len(ops.rows) >= 5 and ops.indistinct == []
    runner = CliRunner()
    out = runner.invoke(
        main, ["--store", str(gsm_store), "slices", "--run", "gsm/6b_verification",
               "--by", "background_condition"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    note = "all 300 gsm8k items share background_condition=school_math: this axis cannot tell them apart"
    assert note in " ".join(out.output.split())
    js = runner.invoke(
        main, ["--store", str(gsm_store), "slices", "--run", "gsm/6b_verification",
               "--by", "task_type,background_condition", "--format", "json"],
    )  # fmt: skip
    payload = json.loads(js.output)
    assert payload["notes"] == [note]
    assert payload["indistinct_axes"] == [
        {"benchmark": "gsm8k", "axis": "background_condition", "value": "school_math",
         "n_items": 300, "n_unlabelled": 0, "note": note}
    ]  # fmt: skip
