"""One vocabulary: the axes, failure modes, format modes, verdicts, outcomes, averages, slice-size
thresholds and the slice label are defined in capslice_tui/vocabulary.py and nowhere else."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from capslice_tui import vocabulary as v

ROOT = Path(__file__).resolve().parents[2]
HOME = ROOT / "capslice_tui" / "vocabulary.py"
SOURCES = sorted(
    p for d in ("capslice_tui", "store") for p in (ROOT / d).rglob("*.py") if p != HOME
)

# a literal equal to one of these, anywhere but the vocabulary module, is a second definition
TUPLES = {
    "AXES": v.AXES,
    "CONTENT_AXES": v.CONTENT_AXES,
    "FAILURE_MODES": v.FAILURE_MODES,
    "FORMAT_MODES": v.FORMAT_MODES,
    "VERDICTS": v.VERDICTS,
    "OUTCOMES": v.OUTCOMES,
    "AVERAGES": v.AVERAGES,
}
NUMBERS = {"MIN_SLICE_SIZE": v.MIN_SLICE_SIZE, "WARN_SLICE_SIZE": v.WARN_SLICE_SIZE}


def _string_literal(node: ast.AST) -> tuple[str, ...] | None:
    """``("a", "b")`` / ``["a", "b"]`` as a tuple of strings, else None."""
    if isinstance(node, (ast.Tuple, ast.List)) and node.elts:
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
    return None


def second_definitions(path: Path) -> list[str]:
    """Where ``path`` defines a vocabulary item again: a tuple literal with the same words (in
    any order), a threshold name bound to a number, or ``" & ".join(...)`` written out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        words = _string_literal(node)
        if words is not None:
            for name, value in TUPLES.items():
                if sorted(words) == sorted(value):
                    found.append((node.lineno, f"{rel}:{node.lineno}: {name} written out {words}"))
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in NUMBERS:
                    if isinstance(node.value, ast.Constant):
                        found.append(
                            (node.lineno, f"{rel}:{node.lineno}: {t.id} defined as a number")
                        )
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and isinstance(node.func.value, ast.Constant)
            and node.func.value.value == v.SLICE_JOINER
        ):
            found.append((node.lineno, f"{rel}:{node.lineno}: slice label joined by hand"))
    return [text for _, text in sorted(found)]


def test_each_item_is_defined_once() -> None:
    problems = [p for path in SOURCES for p in second_definitions(path)]
    assert not problems, "defined outside capslice_tui/vocabulary.py:\n" + "\n".join(problems)


def test_the_check_finds_a_second_definition(tmp_path: Path) -> None:
    global ROOT
    src = tmp_path / "m.py"
    src.write_text(
        'MODES = ("runaway", "empty", "extraction_failure", "truncated")\n'
        "MIN_SLICE_SIZE = 10\n"
        'name = " & ".join(f"{a}={b}" for a, b in pairs)\n'
        'AXES = other.AXES\nX = ("data", "other")\n'
    )
    old, ROOT = ROOT, tmp_path
    try:
        found = second_definitions(src)
    finally:
        ROOT = old
    assert [f.split(": ", 1)[1].split(" ")[0] for f in found] == [
        "FORMAT_MODES",
        "MIN_SLICE_SIZE",
        "slice",
    ]


@pytest.mark.parametrize(
    ("slice_", "values_only", "text"),
    [
        ({"task_type": "algebra", "output_constraint": "integer"}, False,
         "task_type=algebra & output_constraint=integer"),
        ([("task", "bbh_x")], False, "task=bbh_x"),
        ({"task_type": "algebra", "solving_operation": "casework"}, True, "algebra & casework"),
        ({}, False, ""),
    ],
)  # fmt: skip
def test_label(slice_: object, values_only: bool, text: str) -> None:
    assert v.label(slice_, values_only=values_only) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("words", "literal"),
    [(v.AXES, v.Axis), (v.FAILURE_MODES, v.FailureMode), (v.VERDICTS, v.Verdict),
     (v.OUTCOMES, v.Outcome), (v.AVERAGES, v.Average)],
)  # fmt: skip
def test_literal_types_name_the_same_words(words: tuple[str, ...], literal: object) -> None:
    assert typing.get_args(literal) == words


def test_the_shipped_taxonomy_declares_the_vocabulary_axes() -> None:
    from capslice_tui.taxonomy.evaluation import load_taxonomy

    assert tuple(load_taxonomy().axes) == v.AXES


def test_verdict_and_outcome_results_are_typed_with_the_vocabulary() -> None:
    """``verdict`` is a diagnosis (data / not_data / inconclusive); what an intervention came to
    is its ``outcome`` (confirmed / refuted / ...): each result field names its one Literal."""
    from capslice_tui.analysis.outcome import InterventionOutcome
    from capslice_tui.analysis.verdict import Verdict

    assert typing.get_type_hints(Verdict)["verdict"] == v.Verdict
    assert typing.get_type_hints(InterventionOutcome)["outcome"] == v.Outcome
    assert "verdict" not in typing.get_type_hints(InterventionOutcome)
