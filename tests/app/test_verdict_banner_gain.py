"""The app's verdict banner names a problem only when there is one: a candidate that gained
reads DATA / NOT DATA (as the CLI's ``VERDICT: DATA``), a drop or one run's weakness reads
DATA PROBLEM / NOT A DATA PROBLEM (found by a fresh-user walk: a +17.2-point gain from a
bigger model showed ``DATA PROBLEM``)."""

from __future__ import annotations

import pytest

from capslice_tui.app.screens.diagnose import verdict_banner


def _spaced(words: str) -> str:
    return " ".join(words)


@pytest.mark.parametrize(
    ("verdict", "direction", "shown", "absent"),
    [
        ("data", "gain", "VERDICT: DATA |", "PROBLEM"),
        ("not_data", "gain", "VERDICT: NOT DATA |", "PROBLEM"),
        ("data", "drop", "VERDICT: DATA PROBLEM", None),
        ("not_data", "drop", "VERDICT: NOT A DATA PROBLEM", None),
        ("data", None, "VERDICT: DATA PROBLEM", None),
        ("inconclusive", "gain", "VERDICT: INCONCLUSIVE", None),
    ],
)
def test_banner_words_follow_the_direction(
    verdict: str, direction: str | None, shown: str, absent: str | None
) -> None:
    text = verdict_banner(verdict, None, "change", direction).plain
    head = shown.removesuffix(" |")
    assert _spaced(head) in text
    if shown.endswith(" |"):  # the words end there: nothing follows inside the box
        assert _spaced(head) + " |" in text
    if absent:
        assert _spaced(absent) not in text
