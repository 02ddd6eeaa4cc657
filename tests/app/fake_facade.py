"""A stand-in for the workspace's compare/diagnose API, returning the promised dict shapes.

Used only to test the compare and diagnose screens in isolation: every other call goes to a
real :class:`Workspace`, so samples opened from these screens come from the real store.
"""

from __future__ import annotations

from typing import Any


class _Result:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> dict[str, Any]:
        return self._data


def _side(score: float, correct: int, n: int) -> dict[str, Any]:
    return {
        "score": score,
        "correct": correct,
        "n": n,
        "ci_low": score - 0.1,
        "ci_high": score + 0.1,
    }


TASK = "bbh_cot_fewshot_boolean_expressions"


def comparison(base: str, cand: str, benchmark: str | None, by: str) -> dict[str, Any]:
    """``Comparison.to_dict()`` shape (see /tmp/facade.md) with fixed figures."""
    row = {
        "slice": {"task": TASK},
        "n_items": 25,
        "base": _side(0.76, 19, 25),
        "cand": _side(0.52, 13, 25),
        "diff": -0.24,
        "diff_low": -0.4,
        "diff_high": -0.08,
        "p_value": 0.0312,
        "p_adjusted": 0.0000001,
        "significant": True,
        "test": "mcnemar-exact",
        "mdd": 0.2,
        "marker": "worse*",
        "warning": None,
    }
    quiet = dict(
        row,
        slice={"task": "bbh_cot_fewshot_object_counting"},
        marker="",
        significant=False,
        p_value=0.5,
        p_adjusted=0.5,
        diff=-0.04,
    )
    overall = dict(row, slice={"all": "all"}, n_items=50, marker="worse*")
    return {
        "base": base,
        "cand": cand,
        "benchmark": benchmark,
        "by": [by],
        "n_tested": 2,
        "q": 0.05,
        "overall": overall,
        "rows": [row, quiet],
    }


def diagnosis(base: str, cand: str | None, benchmark: str | None) -> dict[str, Any]:
    """``Diagnosis.to_dict()`` shape (see /tmp/facade.md) with fixed figures."""
    return {
        "mode": "change" if cand else "weakness",
        "base": base,
        "cand": cand,
        "benchmark": benchmark,
        "verdict": "not_data",
        "summary": "The drop is spread across content slices and driven by truncation.",
        "causes": ["generations stopped ending with EOS"],
        "evidence": [
            {"name": "truncated share change", "value": 0.31, "detail": "base 2% -> cand 33%"}
        ],
        "failure_modes": {base: {"correct": 37, "wrong_answer": 13}},
        "failure_mode_shift": [
            {"mode": "truncated", "base_share": 0.02, "cand_share": 0.33, "contribution": 0.2},
            {"mode": "wrong_answer", "base_share": 0.2, "cand_share": 0.15, "contribution": 0.04},
        ],
        "axes": {
            "task_type": [
                {
                    "value": "boolean_logic",
                    "n_items": 25,
                    "base_score": 0.76,
                    "cand_score": 0.52,
                    "delta": -0.24,
                    "contribution": 0.5,
                },
                {
                    "value": "counting",
                    "n_items": 25,
                    "base_score": 0.72,
                    "cand_score": 0.48,
                    "delta": -0.24,
                    "contribution": 0.5,
                },
            ]
        },
        "spread": {"task_type": "spread"},
        "slices": [
            {
                "slice": {"task": TASK},
                "n_items": 25,
                "score": 0.52,
                "correct": 13.0,
                "n_samples": 25,
                "base_score": 0.76,
                "deficit": -0.24,
                "p_value": 0.01,
                "p_adjusted": 0.02,
                "wrong_answer_share": 0.9,
                "dominant_failure_mode": "wrong_answer",
            },
        ],
    }


class FakeFacade:
    """Real workspace for everything, fixed results for ``compare`` and ``diagnose``."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def compare(
        self,
        base: str,
        cand: str,
        benchmark: str | None = None,
        by: str = "task",
        allow_mismatch: bool = False,
    ) -> _Result:
        self.calls.append(("compare", (base, cand), {"benchmark": benchmark, "by": by}))
        return _Result(comparison(base, cand, benchmark, by))

    def diagnose(
        self,
        base: str,
        cand: str | None = None,
        benchmark: str | None = None,
        reference: str | None = None,
    ) -> _Result:
        self.calls.append(("diagnose", (base, cand), {"benchmark": benchmark}))
        return _Result(diagnosis(base, cand, benchmark))
