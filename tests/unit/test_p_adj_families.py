"""Every adjusted p that diagnose prints names the family its Benjamini-Hochberg correction ran
over: the per-task (or per-task_type) tests of a broad change, or the slice search over every
axis combination. The same slice tested in both families shows two different p_adj, so a
reader must be told which is which."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np

from capslice_tui.analysis.compare import paired_compare
from capslice_tui.analysis.decompose import decompose_change
from capslice_tui.analysis.slice_search import paired_slices
from capslice_tui.analysis.verdict import verdict_for_change
from capslice_tui.report import adjusted_header, comparison_markdown, slice_heading

sys.path.insert(0, str(Path(__file__).parent))
from test_decompose_verdict import _broad_wrong_answer_drop  # noqa: E402


def _row(task_type: str, base: float, cand: float, p_adj: float) -> dict:
    return {
        "slice": {"task_type": task_type}, "n_items": 600, "base": {"score": base},
        "cand": {"score": cand}, "diff": cand - base, "p_value": p_adj / 3,
        "p_adjusted": p_adj, "significant": p_adj <= 0.05,
    }  # fmt: skip


def _unnamed_p_adj(text: str) -> list[str]:
    """Each ``p_adj`` in ``text`` not followed (within its parenthesis) by ``over N ...``."""
    return [
        m.group(0)
        for m in re.finditer(r"p_adj[=<][^,;)]*", text)
        if not re.match(r"p_adj[=<]\S+ over \d+ \w+", text[m.start() :])
    ]


def test_per_axis_tests_and_slice_search_name_their_families() -> None:
    s = _broad_wrong_answer_drop()
    d = decompose_change(s["labels"], s["base"], s["cand"], s["base_modes"], s["cand_modes"])
    ones = np.ones(s["base"].size)
    search = paired_slices(
        s["labels"], ones, s["base"], ones, s["cand"], (s["base_modes"], s["cand_modes"])
    )
    tests = [
        _row("algebra", 0.8, 0.4, 1e-9),
        _row("geometry", 0.7, 0.5, 1e-4),
        _row("prealgebra", 0.7, 0.6, 0.03),
    ]
    v = verdict_for_change(
        d, paired_compare(ones, s["base"], ones, s["cand"]), search, slice_tests=tests
    )
    assert v.reason == "broad_capability"
    # the per-task_type tests: BH over the 3 task types, said beside each adjusted p
    assert "p_adj<0.0001 over 3 task_types" in v.summary
    texts = [v.summary, *(e.detail for e in v.evidence)]
    assert any(f"over {search.n_tested} slices" in t for t in texts)  # the slice search's
    for t in texts:
        assert not _unnamed_p_adj(t), (_unnamed_p_adj(t), t)


def test_report_tables_and_slice_heading_name_the_family_of_p_adj() -> None:
    assert adjusted_header(3, "task_type") == "p adj (BH over 3 task_types)"
    assert adjusted_header(1, "slice") == "p adj (BH over 1 slice)"
    side = {"score": 0.5, "correct": 5, "n": 10}
    row = {
        "slice": {"task_type": "algebra"}, "n_items": 10, "base": side, "cand": side,
        "diff": 0.0, "diff_low": -0.1, "diff_high": 0.1, "p_value": 1.0, "p_adjusted": 1.0,
        "marker": "", "warning": "", "test": "mcnemar-exact",
    }  # fmt: skip
    cmp = {"by": ["task_type"], "rows": [row], "overall": row, "n_tested": 3, "q": 0.05,
           "notes": []}  # fmt: skip
    md = "\n".join(comparison_markdown(cmp, "By task_type"))
    assert "| p adj (BH over 3 task_types) |" in md
    diag = {"mode": "change", "slices": [], "slices_tested": 27}
    assert "p adj: Benjamini-Hochberg q=0.05 across all 27 slices" in slice_heading(diag)
    weak = {"mode": "weakness", "slices": [], "slices_tested": 19}
    assert "p adj: Benjamini-Hochberg q=0.05 across all 19 slices" in slice_heading(weak)
