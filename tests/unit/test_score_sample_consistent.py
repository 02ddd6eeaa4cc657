"""A sample scored by capslice (no logged score) keeps its lenient answer consistent with the
score: a logged answer capslice did not score is never shown as the lenient answer of a
correct sample (walk 7: a log's `pred` 5 beside target 4 read "lenient extraction: 5" on a
sample scored correct from its response "4", and slices showed lenient 100%)."""

from __future__ import annotations

from capslice_tui.ingest.scoring import answers_match
from capslice_tui.workspace.rescore import score_sample


def test_no_logged_score_lenient_answer_is_capslices() -> None:
    s = score_sample("4", "4", "integer", official=None, extracted="5")
    assert s.score == 1.0 and s.score_source == "capslice-strict"
    assert s.extracted == "5"  # the log's own answer is kept as logged
    assert s.lenient_extracted is not None
    assert answers_match(s.lenient_extracted, "4", "integer")
    assert s.lenient == 1.0


def test_logged_score_keeps_the_logged_answer() -> None:
    s = score_sample("The answer is 4.", "4", "integer", official=1.0, extracted="4")
    assert (s.extracted, s.lenient_extracted, s.lenient) == ("4", "4", 1.0)


def test_no_logged_score_no_logged_answer_unchanged() -> None:
    s = score_sample("#### 4", "4", "integer", official=None, extracted=None)
    assert s.score == 1.0 and s.lenient == 1.0
    assert s.extracted == s.lenient_extracted
