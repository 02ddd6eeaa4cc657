"""Compare screen at 80x24: the detail of a highlighted slice whose name is long keeps its
figures whole (both sides, the difference in points, its 95% interval) and names the slice
whole on a line of its own (the table cuts it: walk leftover, nothing the user needs is
lost); a name longer than the line itself is cut, kept apart from the other rows' names; with
the console's ``~`` for ``…`` as well."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import NAME_LEAST, CompareScreen, detail_line

SEVEN = "tracking_shuffled_objects_seven_objects_with_distractors_v2"
FIVE = "tracking_shuffled_objects_five_objects_with_distractors_v2"


def _write_run(path: Path, right: dict[str, int]) -> Path:
    lines = []
    for task, n_right in right.items():
        for doc in range(40):
            ok = doc < n_right
            lines.append({"task": task, "doc_id": doc, "target": "7", "correct": ok,
                          "response": "The answer is 7." if ok else "The answer is 3."})  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


@pytest.fixture(scope="module")
def long_names_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("long-names")
    store = root / "s.db"
    ws = Workspace(store)
    ws.ingest([_write_run(root / "b.jsonl", {SEVEN: 30, FIVE: 28})], run="base", benchmark="bbh")
    ws.ingest([_write_run(root / "c.jsonl", {SEVEN: 12, FIVE: 26})], run="cand", benchmark="bbh")
    return store


@pytest.mark.parametrize("ascii_console", [False, True])
async def test_long_slice_name_gives_way_to_the_figures(
    long_names_store: Path, ascii_console: bool
) -> None:
    app = make_app(long_names_store, ascii=ascii_console)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(CompareScreen("base", "cand", benchmark="bbh", by="task"))
        await settle(app, pilot)
        firsts = {}
        for _ in range(2):
            await pilot.press("down")
            await pilot.pause()
            lines = static_text(app, "#detail-line").splitlines()
            assert len(lines) == 3 and all(len(x) <= SIZE[0] - 2 for x in lines), lines
            name, figures = lines[0], lines[1]
            assert name in (f"{SEVEN}:", f"{FIVE}:"), lines  # whole, on its own line
            # the figures whole: both sides with their counts, the change in points, its
            # interval
            assert re.match(r"base \d+\.\d% \d+/40 -> cand \d+\.\d% \d+/40 · ", figures), lines
            assert " points [" in figures and figures.endswith("]"), lines
            assert lines[2].startswith("p "), lines
            firsts[figures.split(" · ")[1]] = name
        names = list(firsts.values())
        assert len(names) == 2 and names[0] != names[1], names  # seven / five apart
        changes = sorted(firsts)
        assert changes[0].startswith("-45.0 points [-") and changes[1].startswith(
            "-5.0 points ["
        ), firsts


def test_the_sides_drop_their_counts_before_the_name_falls_below_its_least() -> None:
    side = {"score": 2860 / 4800, "correct": 2860.0, "n": 4800}
    row = {"base": side, "cand": side, "diff": -0.281, "diff_low": -0.33, "diff_high": -0.231}
    longer = f"{SEVEN}_{FIVE}"  # longer than the line: cut beside the figures
    first = detail_line(row, [longer], 78).splitlines()[0]
    assert len(first) <= 78 and first.endswith("-28.1 points [-33.0, -23.1]"), first
    assert "2860/4800" not in first and first.count("59.6%") == 2, first
    assert len(first.split(": base ")[0]) >= NAME_LEAST, first
    own = detail_line(row, [SEVEN], 78).splitlines()  # fits a line: a line of its own
    assert own[0] == f"{SEVEN}:" and own[1].startswith("base 59.6% 2860/4800 -> cand"), own
    wide = detail_line(row, [SEVEN], 200).splitlines()[0]
    assert wide.startswith(SEVEN + ": base 59.6% 2860/4800 -> cand"), wide
    assert detail_line(row, "ALL").startswith("ALL: base 59.6% 2860/4800"), row
