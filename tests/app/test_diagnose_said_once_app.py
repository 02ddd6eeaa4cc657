"""The diagnose screen says the identical-responses warning once (one log stored under two
run names: the WARNING line, then the verdict's summary quoting it whole, then the evidence
quoting it again)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


async def test_identical_responses_warning_is_said_once(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    log = sample_data_dir() / "lm_eval" / "bbh-base"
    ws.ingest([log], run="bbh-base", benchmark="bbh", step=100_000)
    ws.ingest([log], run="bbh-copy", benchmark="bbh", step=100_000)
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("bbh-base", "bbh-copy", benchmark="bbh"))
        await settle(app, pilot)
        summary = " ".join(static_text(app, "#summary").split())
        said = "bbh-base and bbh-copy have identical responses on every one of the 480"
        assert summary.count(said) == 1, summary
        assert summary.index("WARNING: " + said) < summary.index("Nothing to explain")
        assert "Nothing to explain: see the WARNING above. Diagnose two checkpoints'" in summary
        assert "identical responses: see the WARNING above" in summary, summary
