"""A fresh user's 80x24 session: the slices status line stays within the screen by
shortening its least important parts first (the key hint, then ``samples/item``), never
cutting the filter or the counts (was ``... · filter non~``)."""

from __future__ import annotations

import json
from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.slices import SlicesScreen, fit_status


def test_fit_status_shortens_least_important_first() -> None:
    metric = "accuracy: mean over items of each item's accuracy; c/n pools samples"
    status = f"5 slices · {metric} · up to 128 samples/item · filter none (t)"
    assert fit_status(status, 130) == status
    assert fit_status(status, 121) == status.removesuffix(" (t)")
    assert fit_status(status, 110) == (f"5 slices · {metric} · up to 128/item · filter none")
    assert fit_status(status, 78) == (
        "5 slices · score: item mean; c/n pools samples · up to 128/item · filter none"
    )
    assert (
        fit_status(status, 66)
        == "5 slices · score: item mean; c/n pooled · <=128/item · filter none"
    )


def _math_store(root: Path) -> Path:
    """run ``mathrun``: two math tasks sampled 128 and 16 times per item."""
    from lmeval_files import TS, _math_line, _results

    from capslice_tui.workspace import Workspace

    folder = root / "mathrun" / "demo__tiny"
    folder.mkdir(parents=True)
    results = _results(["math_a", "math_b"], 128, ["Problem:"], True)
    results["configs"]["math_b"]["repeats"] = 16
    (folder / f"results_{TS}.json").write_text(json.dumps(results, indent=2))
    for task, repeats in (("math_a", 128), ("math_b", 16)):
        lines = [json.dumps(_math_line(d, repeats)) for d in range(6)]
        (folder / f"samples_{task}_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    store = root / "store.db"
    Workspace(store).ingest([root / "mathrun"], run="mathrun", benchmark="math")
    return store


async def test_slices_status_fits_80_columns(tmp_path: Path) -> None:
    app = make_app(_math_store(tmp_path), ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("mathrun", "math"))
        await settle(app, pilot)
        status = static_text(app, "#status")
        width = app.screen.query_one("#status").size.width
        assert len(status) <= width, (status, width)
        assert "filter none" in status and "/item" in status, status
