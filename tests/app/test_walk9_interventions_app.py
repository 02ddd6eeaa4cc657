"""Fresh-user walk 9 in the app at 80x24: the interventions key hint fits (#9), an accept is
said on the status line, not in a toast over the detail (#9), and the outcome detail names the
pass@k estimator once (#25)."""

from __future__ import annotations

import json
from pathlib import Path

from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.interventions import InterventionsScreen
from capslice_tui.workspace import Workspace

TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _write_run(path: Path, right: tuple[int, int]) -> Path:
    """30 items per task, 4 samples each; the first ``right[i]`` items of task i are right."""
    lines = [
        {"task": task, "doc_id": doc, "target": "7", "sample_idx": k, "correct": doc < n,
         "response": "The answer is 7." if doc < n else "The answer is 3."}
        for task, n in zip(TASKS, right, strict=True) for doc in range(30) for k in range(4)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


async def test_interventions_hint_fits_accept_is_in_the_status_and_pass_at_k_is_named(
    tmp_path: Path,
) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_write_run(tmp_path / "b.jsonl", (5, 20))], run="base", benchmark="math")
    ws.ingest([_write_run(tmp_path / "r.jsonl", (25, 20))], run="res", benchmark="math")
    for title in ("evaluated one", "proposed one"):
        ws.new_intervention(
            title=title, hypothesis="h", baseline="base", benchmark="math",
            targets=[{"task_type": "number_theory"}], controls=[{"task_type": "algebra"}],
            who="alice",
        )  # fmt: skip
    ws.accept_intervention(1, who="bob")
    ws.link_intervention(1, "res", who="bob")
    app = make_app(tmp_path / "s.db", workspace=ws)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = InterventionsScreen(selected=1)
        app.push_screen(screen)
        await settle(app, pilot)
        title = screen.query_one("#title")
        hint = str(title.render())
        assert hint.endswith("j/k scroll") and len(hint) <= title.content_region.width, (
            hint,
            title.content_region,
        )
        scroll = screen.query_one("#intervention-detail")
        assert scroll.show_vertical_scrollbar  # the long detail scrolls
        text_right = screen.query_one("#detail").content_region.right
        assert text_right <= scroll.scrollable_content_region.right - 1  # off the scrollbar
        detail = static_text(app, "#detail")
        assert "pass@4:" in detail
        assert detail.count("unbiased estimator (Chen et al. 2021)") == 1, detail
        ids = [row[0] for row in table_rows(app)]
        await pilot.press("down" if ids.index("2") > ids.index("1") else "up")  # the proposed one
        await settle(app, pilot)
        assert "#2 proposed one" in static_text(app, "#detail")
        await pilot.press("a", "enter", "y")
        await settle(app, pilot)
        assert ws.intervention(2)["status"] == "accepted"
        assert not [n for n in app._notifications if "accepted" in str(n.message)]
        assert static_text(app, "#status").startswith("accepted #2")
        assert "status: accepted" in static_text(app, "#detail")
