"""The runs table never prints a percentage beside a ratio it does not equal."""

from __future__ import annotations

from capslice_tui.app.screens.runs import _tally


def test_mean_of_items_is_named_not_shown_as_sample_ratio() -> None:
    s = {"score": 0.431, "correct": 1093.0, "n_samples": 5888, "n_items": 158, "average": "micro"}
    assert _tally(s) == "158-item mean"


def test_sample_ratio_is_shown_when_it_is_the_score() -> None:
    s = {"score": 286 / 480, "correct": 286.0, "n_samples": 480, "n_items": 480, "average": "micro"}
    assert _tally(s) == "286/480"
