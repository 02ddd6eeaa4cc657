"""The re-score's lenient line counts only samples that have a lenient score (walk 9, after
#16: instruction checks and unit tests have none, and '7 -> 0 of 12' read as 12 wrong)."""

from __future__ import annotations

from capslice_tui.workspace.rescore import RescoreReport


def test_same_lenient_samples_before_and_after_name_their_number() -> None:
    r = RescoreReport(run="r", dry_run=False, n_samples=12, lenient_before=7, lenient_after=9)
    r.lenient_n_before = r.lenient_n_after = 10
    assert r.lenient_line() == (
        "lenient-correct (all filters): 7 -> 9 of 10 samples with a lenient score"
    )


def test_samples_that_lost_their_lenient_score_are_said_not_counted_wrong() -> None:
    r = RescoreReport(run="cg", dry_run=False, n_samples=12, lenient_before=7, lenient_after=0)
    r.lenient_n_before, r.lenient_n_after = 12, 0
    line = r.lenient_line()
    assert "7 of 12 -> 0 of 0 with a lenient score" in line
    assert "\n(12 now have none: no answer to re-extract)" in line
    assert r.to_dict()["lenient_n_after"] == 0
