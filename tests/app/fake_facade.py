"""A stand-in for the workspace's compare/diagnose API, returning the real dict shapes.

Used only to test the compare and diagnose screens in isolation: every other call goes to a
real :class:`Workspace`, so samples opened from these screens come from the real store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from capslice_tui.workspace.results import (
    AxisRow,
    CompareRow,
    CompareSide,
    ComparisonDict,
    DiagnosisDict,
    DiagnosisSlice,
    Spread,
)

T = TypeVar("T")


class _Result(Generic[T]):
    """Stands in for ``Comparison``/``Diagnosis``: the screens only call ``to_dict()``."""

    def __init__(self, data: T) -> None:
        self._data = data

    def to_dict(self) -> T:
        return self._data


def _side(score: float, correct: float, n: int) -> CompareSide:
    return {
        "score": score,
        "correct": correct,
        "n": n,
        "n_items": n,
        "ci_low": score - 0.1,
        "ci_high": score + 0.1,
    }


TASK = "bbh_cot_fewshot_boolean_expressions"
AXES = ("background_condition", "task_type", "solving_operation", "output_constraint")
MODES = ("wrong_answer", "extraction_failure", "truncated", "runaway", "empty")


def comparison(base: str, cand: str, benchmark: str | None, by: Any) -> ComparisonDict:
    """``Comparison.to_dict()`` shape with fixed figures (checked against the real one and
    against ``results.ComparisonDict`` by tests/unit/test_fake_facade_contract.py)."""
    row: CompareRow = {
        "slice": {"task": TASK},
        "n_items": 25,
        "base": _side(0.76, 19.0, 25),
        "cand": _side(0.52, 13.0, 25),
        "diff": -0.24,
        "diff_low": -0.4,
        "diff_high": -0.08,
        "p_value": 0.0312,
        "p_adjusted": 0.0000001,
        "significant": True,
        "tested": True,
        "test": "mcnemar-exact",
        "n_boot": 0,
        "discordant": {"base_only": 6, "cand_only": 0},
        "mdd": 0.2,
        "marker": "worse*",
        "warning": None,
    }
    quiet = CompareRow(
        row,
        slice={"task": "bbh_cot_fewshot_object_counting"},
        marker="",
        significant=False,
        p_value=0.5,
        p_adjusted=0.5,
        diff=-0.04,
        discordant={"base_only": 2, "cand_only": 1},
    )
    overall = CompareRow(row, slice={"all": "all"}, n_items=50, marker="worse*")
    return {
        "base": base,
        "cand": cand,
        "benchmark": benchmark,
        "by": [by] if isinstance(by, str) else list(by),
        "k": None,
        "q": 0.05,
        "n_tested": 2,
        "overall": overall,
        "rows": [row, quiet],
        "notes": [],
        "incomplete": [],
        "evaluation_warning": None,
        "pair_warning": None,
    }


def _modes(**counts: int) -> dict[str, int]:
    return {"correct": 0, **dict.fromkeys(MODES, 0), **counts}


def _axis_rows(change: bool) -> dict[str, list[AxisRow]]:
    """Two values per axis; ``boolean_logic``/``counting`` on task_type."""
    values = {
        "background_condition": ("self_contained", "commonsense"),
        "task_type": ("boolean_logic", "counting"),
        "solving_operation": ("boolean_evaluation", "counting"),
        "output_constraint": ("true_false", "integer"),
    }
    out: dict[str, list[AxisRow]] = {}
    for axis in AXES:
        rows: list[AxisRow] = []
        for value, base, cand in zip(values[axis], (0.76, 0.72), (0.52, 0.48), strict=True):
            if change:
                row = {"value": value, "n_items": 25.0, "base_score": base, "cand_score": cand,
                       "delta": cand - base, "contribution": 0.5, "eligible": True}  # fmt: skip
            else:
                row = {"value": value, "n_items": 25.0, "score": base, "ci_low": base - 0.1,
                       "ci_high": base + 0.1, "reference_score": 0.74, "deficit": base - 0.74,
                       "contribution": 0.5, "eligible": True}  # fmt: skip
            rows.append(row)
        out[axis] = rows
    return out


def _slice(paired: bool, reference: bool = False) -> DiagnosisSlice:
    """The one significant slice: the boolean-expressions task, mostly wrong answers."""
    row: dict[str, Any] = {  # built in the real key order, then typed
        "slice": {"task": TASK},
        "label": f"task={TASK}",
        "aliases": [],
        "n_items": 25,
        "score": 0.52,
        "ci_low": 0.33,
        "ci_high": 0.70,
        "correct": 13.0,
        "n_samples": 25,
    }
    if paired:
        row.update(base_score=0.76, diff=-0.24, diff_low=-0.4, diff_high=-0.05)
    row["deficit"] = -0.24
    if paired:
        row.update(test="mcnemar-exact", n_boot=0, discordant={"base_only": 6, "cand_only": 0})
    row.update(p_value=0.01, p_adjusted=0.02, significant=True, wrong_answer_share=0.9,
               dominant_failure_mode="wrong_answer", mode_counts={"wrong_answer": 6})  # fmt: skip
    if paired:
        row["regressed_items"] = 6
    row["combinations"] = [
        {"task_type": "boolean_logic", "solving_operation": "boolean_evaluation",
         "n_items": 25, "score": 0.52, "correct": 13.0, "n_samples": 25}
    ]  # fmt: skip
    if reference:  # a weakness against a reference: the reference's score on the cell too
        row["combinations"][0].update(reference_score=0.76, deficit=-0.24)
    return DiagnosisSlice(**row)


def diagnosis(
    base: str, cand: str | None, benchmark: str | None, reference: str | None = None
) -> DiagnosisDict:
    """``Diagnosis.to_dict()`` shape with fixed figures (checked against the real one and
    against ``results.DiagnosisDict`` by tests/unit/test_fake_facade_contract.py): a not_data
    change, or a run's weakness."""
    change = cand is not None
    spread: Spread = {}
    if change:
        spread = {"pattern": "spread"}
        for axis, rows in _axis_rows(True).items():
            spread[axis] = {"pattern": "spread", "slices_moving": 2, "slices_eligible": 2,
                            "top_value": rows[0]["value"], "top_share": 0.5}  # fmt: skip
    return {
        "mode": "change" if change else "weakness",
        "base": base,
        "cand": cand,
        "benchmark": benchmark,
        "reference": reference,
        "verdict": "not_data",
        "reason": "format_failures",
        "summary": "The drop is spread across content slices and driven by truncation.",
        "causes": ["generations stopped ending with EOS"],
        "evidence": [
            {
                "name": "truncated share change",
                "value": 0.31,
                "unit": "share",
                "detail": "base 2% -> cand 33%",
            }
        ],
        "failure_modes": (
            {
                base: _modes(correct=37, wrong_answer=10, truncated=3),
                cand: _modes(correct=25, wrong_answer=8, truncated=17),
            }
            if change
            else {base: _modes(correct=37, wrong_answer=13)}
        ),  # fmt: skip
        "failure_mode_shift": [
            {"mode": "truncated", "base_share": 0.02, "cand_share": 0.33, "contribution": 0.2},
            {"mode": "wrong_answer", "base_share": 0.2, "cand_share": 0.15, "contribution": 0.04},
        ]
        if change
        else [],
        "axes": _axis_rows(change),
        "spread": spread,
        "slices": [
            _slice(paired=change or reference is not None, reference=not change and bool(reference))
        ],
        "slices_tested": 2,
        "direction": "drop" if change else None,
        "evaluation": {
            "n_items": 50,
            "changed": False,
            "differences": [],
            "items_by_category": {},
            "unchecked": [],
            "not_recorded": [],
            "not_compared": [],
            "summary": "",
        }
        if change
        else None,
        "other_evaluations": [],
        "explained_slices": [],
        "incomplete": [],
        "notes": [],
        "pair_warning": None,
    }


class FakeFacade:
    """Real workspace for everything, fixed results for ``compare`` and ``diagnose``.

    Both take the real methods' parameters (checked by tests/unit/test_fake_facade_contract.py).
    """

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def compare(
        self,
        base: str,
        cand: str,
        *,
        benchmark: str | None = None,
        by: str | Sequence[str] = "task",
        k: int | None = None,
        allow_mismatch: bool = False,
        q: float = 0.05,
        min_size: int = 10,
        random_state: int = 0,
        filter_name: str | None = None,
    ) -> _Result[ComparisonDict]:
        self.calls.append(("compare", (base, cand), {"benchmark": benchmark, "by": by}))
        return _Result(comparison(base, cand, benchmark, by))

    def diagnose(
        self,
        base: str,
        cand: str | None = None,
        *,
        benchmark: str | None = None,
        reference: str | None = None,
        allow_mismatch: bool = False,
        same_evaluation: bool = False,
        same_lineage: bool = False,
        q: float = 0.05,
        min_size: int = 10,
        random_state: int = 0,
        filter_name: str | None = None,
    ) -> _Result[DiagnosisDict]:
        self.calls.append(("diagnose", (base, cand), {"benchmark": benchmark}))
        return _Result(diagnosis(base, cand, benchmark, reference))
