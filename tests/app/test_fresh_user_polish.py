"""What a fresh user found hard to read on the app's screens: the help's failure-mode
markers (fmt!, trunc) say plainly what they mean."""

from __future__ import annotations

import pytest

from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.help import render_help
from capslice_tui.app.screens.samples import SamplesScreen


@pytest.mark.parametrize("screen", [SamplesScreen, DiagnoseScreen])
def test_help_says_plainly_what_fmt_and_trunc_mean(screen: type) -> None:
    text = render_help(screen.HELP_TITLE, [], screen.HELP_LEGEND, width=80).plain
    words = " ".join(text.split())  # the help wraps at 80 columns
    assert "fmt! (extraction_failure) = no answer could be read from the response" in words
    assert "trunc (truncated) = the response stopped at the generation length cap" in words
    assert all(len(line) <= 80 for line in text.splitlines())
