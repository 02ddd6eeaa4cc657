"""One mechanism, on data: a score that is a per-item mean is one predicate
(``formatting.item_mean``), not a search of formatted text for ``(mean of ``; a one-value
column of a too-wide table is said once by the render (``emit_table(once=...)``), not dropped
by each command by hand (runs' status, an intervention history's who)."""

from __future__ import annotations

import math

import pytest

from capslice_tui.cli.render import _fit_layout, _layout_notes
from capslice_tui.formatting import item_mean, pct_cell, score_counts


@pytest.mark.parametrize(
    ("score", "correct", "n"),
    [
        (286 / 480, 286, 480),  # greedy: the score is the sample ratio
        (0.431, 1093, 5888),  # mean of per-item accuracies
        (0.5, 2.5, 5),  # fractional sums, same ratio
        (0.25, 0, 0),  # nothing counted
        (None, 3, 10),
        (math.nan, 3, 10),
    ],
)
def test_item_mean_is_what_the_cells_say(score: float | None, correct: float, n: int) -> None:
    mean = item_mean(score, correct, n)
    if score is None or math.isnan(score):
        assert not mean
        return
    assert mean == ("(mean of " in score_counts(score, correct, n, 7))
    if n:
        assert mean == pct_cell(score, correct, n).endswith(" mean")


HEADERS = ["run", "model", "status", "benchmarks"]
ROWS = [
    [f"run-{i}", f"demo-org/demo-1b-variant{i}-step{i}00000", "complete", f"bbh {50 + i}.0% (1/2)"]
    for i in range(4)
]


def test_a_narrow_one_value_column_is_said_once_only_where_the_caller_names_it() -> None:
    plain = _fit_layout(HEADERS, ROWS, (), 60)
    assert 2 in plain.kept and not plain.constant  # "complete" is 8 wide: kept by default
    once = _fit_layout(HEADERS, ROWS, (), 60, once=("status",))
    assert once.constant == {2: "complete"} and 2 not in once.kept
    assert "status: complete (every row)" in _layout_notes(once, HEADERS, 60)
    # the room goes to the models: cut less than beside the status column
    model = [r[1] for r in once.cells]
    assert min(map(len, model)) > min(len(r[1]) for r in plain.cells)
    # a table that fits keeps the column, and two values keep it too
    assert not _fit_layout(HEADERS, ROWS, (), 200, once=("status",)).constant
    mixed = [[*r[:2], "incomplete" if i else "complete", r[3]] for i, r in enumerate(ROWS)]
    assert not _fit_layout(HEADERS, mixed, (), 60, once=("status",)).constant
