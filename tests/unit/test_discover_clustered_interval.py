"""Discovery groups whose items have several samples each get an interval that resamples
items (clustered_error_interval), not a Wilson interval over samples that treats one item's
samples as independent."""

from __future__ import annotations

import numpy as np
import pytest

from capslice_tui.analysis.discovery import clustered_error_interval
from capslice_tui.analysis.metrics import wilson_interval


def test_clustered_interval_is_wider_than_samples_wilson_when_items_differ():
    # 20 items x 16 samples; half the items always wrong, half always right: the samples of
    # one item agree, so there are 20 independent outcomes, not 320
    items = np.repeat(np.arange(20), 16)
    errors = np.repeat(np.r_[np.ones(10), np.zeros(10)], 16)
    lo, hi = clustered_error_interval(items.tolist(), errors)
    w_lo, w_hi = wilson_interval(float(errors.sum()), errors.size)
    assert lo <= 0.5 <= hi
    assert (hi - lo) > 2 * (w_hi - w_lo)  # the sample-level Wilson interval is far too narrow
    assert (lo, hi) == clustered_error_interval(items.tolist(), errors)  # seeded


def test_clustered_interval_of_independent_samples_is_close_to_wilson():
    rng = np.random.default_rng(1)
    items = np.arange(400)  # one sample per item: resampling items = resampling samples
    errors = (rng.random(400) < 0.3).astype(float)
    lo, hi = clustered_error_interval(items.tolist(), errors)
    w_lo, w_hi = wilson_interval(float(errors.sum()), 400)
    assert abs(lo - w_lo) < 0.02 and abs(hi - w_hi) < 0.02


def test_clustered_interval_all_items_alike_falls_back_to_wilson():
    items = np.repeat(np.arange(12), 4).tolist()
    assert clustered_error_interval(items, np.ones(48)) == wilson_interval(12.0, 12)


def test_clustered_interval_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="2 item ids, 3 errors"):
        clustered_error_interval([1, 2], [0.0, 1.0, 1.0])


def test_search_over_several_samples_per_item_says_intervals_resample_items():
    from capslice_tui.workspace.discover import samples_not_independent_note

    greedy = [{"item_id": i} for i in range(5)]
    assert samples_not_independent_note(greedy) is None
    passk = [{"item_id": i // 4} for i in range(1200)]
    note = samples_not_independent_note(passk)
    assert note is not None
    # the tests are item-level now (find_slices says so): nothing is called optimistic
    assert "resamples items" in note and "fewer than 10 items" in note
    assert "optimistic" not in note
