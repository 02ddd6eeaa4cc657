"""Worker errors reach users as one plain line: the file named, no errno; and the toast
that repeats it never covers the screen's status line (found by a new-user trial)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle
from textual.widgets import Input, Static
from textual.widgets._toast import Toast
from textual.worker import WorkerFailed

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.base import user_error
from capslice_tui.app.screens.plan import PlanScreen
from capslice_tui.workspace import Workspace


def test_user_error_names_the_file_without_errno(tmp_path: Path) -> None:
    missing = tmp_path / "XYZ"
    with pytest.raises(OSError) as info:
        missing.open()
    assert user_error(info.value) == f"{missing}: no such file"
    wrapped = ValueError("catalog: [Errno 2] No such file or directory: 'XYZ'")
    assert user_error(wrapped) == "catalog: XYZ: no such file"
    named = ValueError("XYZ:0: cannot read file: [Errno 2] No such file or directory: 'XYZ'")
    assert user_error(named) == "XYZ:0: cannot read file: no such file"  # named once
    assert user_error(PermissionError(13, "Permission denied", "a.db")) == "a.db: permission denied"
    assert user_error(ValueError("runs are not comparable\nmore")) == "runs are not comparable"


async def test_failed_plan_error_is_readable_and_not_covered(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    app = make_app(tmp_path / "s.db", workspace=ws, ascii=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.push_screen(PlanScreen())
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#baseline", Input).value = "base"
        screen.query_one("#benchmark", Input).value = "math"
        screen.query_one("#catalog", Input).value = "XYZ"
        screen.query_one("#budget", Input).value = "1000"
        screen.query_one("#baseline", Input).focus()
        await pilot.press("enter")
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause(0.3)
        status = screen.query_one("#status", Static)
        shown = str(status.render())
        assert "XYZ" in shown and "Errno" not in shown, shown
        messages = [str(n.message) for n in app._notifications]
        assert not any("Errno" in m for m in messages), messages
        toasts = list(app.screen.query(Toast))
        assert toasts, messages  # the error is also a toast ...
        for toast in toasts:
            # ... that does not cover the status line
            assert not toast.region.overlaps(status.region), (toast.region, status.region)
