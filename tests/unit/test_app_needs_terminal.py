"""Without a terminal (stdin or stdout a pipe or a file: a script, a CI job) the app is not
started: `capslice tui` exits 1 saying why, `capslice demo` builds its store and says the app
was not opened (walk 16: `capslice tui </dev/null` redrew 'loading runs...' into its output
without end, 8 MB in 20 s)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main


def test_tui_without_a_terminal_exits_1_and_says_why(tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["--store", str(tmp_path / "s.db"), "tui"])
    assert out.exit_code == 1, out.output
    text = " ".join(out.output.split())
    assert "the app needs a terminal, and stdin and stdout are not one" in text, text
    assert "Traceback" not in out.output


def test_demo_without_a_terminal_builds_and_does_not_open_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import capslice_tui.workspace.demo as demo

    monkeypatch.setattr(demo, "build_demo", lambda ws, force, progress: ["demo summary"])
    out = CliRunner().invoke(main, ["--store", str(tmp_path / "s.db"), "demo"])
    assert out.exit_code == 0, out.output
    assert "demo summary" in out.output
    assert "app not opened: the app needs a terminal" in " ".join(out.output.split())
