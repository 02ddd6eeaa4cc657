"""Every reason a diagnosis can give has words in the app's verdict banner (walk 14:
``identical_responses``, c1b0d7b, showed the banner with no reason line at all)."""

from __future__ import annotations

import re

import capslice_tui.analysis.verdict as verdict
from capslice_tui.app.screens.diagnose import REASON_TEXT, verdict_banner


def _reasons() -> set[str]:
    """The reason tokens the verdict module's docstring lists (its 'Every verdict also
    carries a ``reason``' paragraphs), verdict values left out."""
    doc = verdict.__doc__ or ""
    part = doc[doc.index("Every verdict also carries") :]
    part = part[: part.index("mixed_causes``.") + len("mixed_causes``.")]
    return set(re.findall(r"``([a-z]+(?:_[a-z]+)+)``", part)) - {"not_data"}


def test_every_reason_has_banner_words() -> None:
    assert "identical_responses" in _reasons()
    assert not _reasons() - set(REASON_TEXT), sorted(_reasons() - set(REASON_TEXT))


def test_identical_responses_banner_says_it_within_80_columns() -> None:
    text = verdict_banner("inconclusive", "identical_responses").plain
    line = text.splitlines()[-1]
    assert line == "(identical responses: one evaluation stored twice, nothing to explain)"
    assert max(len(x) for x in text.splitlines()) <= 78
