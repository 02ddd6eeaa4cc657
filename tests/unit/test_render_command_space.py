"""A command kept whole in wrapped prose keeps the space after it (`... OTHER (a run` was
printed `... OTHER(a run`)."""

from __future__ import annotations

from capslice_tui.cli.render import _wrap_line


def test_the_space_after_a_command_is_kept() -> None:
    line = "rule it out: capslice diagnose RUN --reference OTHER (a run sharing the items) now"
    for width in (30, 50, 200):
        joined = " ".join(_wrap_line(line, width))
        assert "OTHER (a run" in joined, (width, joined)
    assert "capslice diagnose RUN --reference OTHER" in _wrap_line(line, 30)
