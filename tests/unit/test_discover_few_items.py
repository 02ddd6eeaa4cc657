"""A discovered group of fewer than 10 items with several samples each is printed without an
interval: its Wilson interval is over member samples, which counts one item's samples as
independent. Groups of one sample per item keep theirs; groups of 10+ items of several samples
each get one that resamples items (clustered_error_interval)."""

from __future__ import annotations

from capslice_tui.analysis.discovery import Suggestion
from capslice_tui.analysis.metrics import wilson_interval
from capslice_tui.cli.discover import suggestion_rows
from capslice_tui.vocabulary import FEW_ITEMS_NO_INTERVAL, few_items_no_interval
from capslice_tui.workspace.discover import DiscoverMixin


def _rows(n_items: int, per_item: int) -> list[dict]:
    return [
        {"id": i * per_item + k, "item_id": i, "task": "t", "doc_id": str(i), "score": 0.0,
         "failure_mode": "wrong_answer", "question": "q", "response": "r"}
        for i in range(n_items) for k in range(per_item)
    ]  # fmt: skip


def _suggestion(size: int) -> Suggestion:
    return Suggestion(
        cluster=0, name="c0", size=size, n_errors=3.0, error_rate=3 / size, ci_low=0.001,
        ci_high=0.012, diff=0.0, top_terms=[], dominant_failure_mode=None,
        failure_mode_share=None, failure_modes={}, labels={}, groups={}, representatives=[0],
        members=list(range(size)),
    )  # fmt: skip


def test_few_items_of_several_samples_have_no_interval() -> None:
    row = DiscoverMixin._suggestion_row(_suggestion(768), _rows(6, 128))
    assert row["n_items"] == 6 and row["ci_low"] is None and row["ci_high"] is None
    headers, cells = suggestion_rows({"suggestions": [row]})
    assert cells[0][headers.index("95% CI")] == "-"
    assert "fewer than 10 items" in FEW_ITEMS_NO_INTERVAL


def test_one_sample_per_item_or_ten_items_keep_the_interval() -> None:
    greedy = DiscoverMixin._suggestion_row(_suggestion(6), _rows(6, 1))
    assert (greedy["ci_low"], greedy["ci_high"]) == (0.001, 0.012)
    ten = DiscoverMixin._suggestion_row(_suggestion(1280), _rows(10, 128))
    # 10 items of 128 samples: an interval that resamples the 10 items (every item wrong
    # here: the Wilson interval over the 10 items), not one over the 1,280 samples
    assert (ten["ci_low"], ten["ci_high"]) == wilson_interval(10.0, 10)
    assert ten["ci_low"] < 0.8  # over the 1,280 samples it would be > 0.99
    assert few_items_no_interval(768, 6) and not few_items_no_interval(6, 6)
    assert not few_items_no_interval(1280, 10)
