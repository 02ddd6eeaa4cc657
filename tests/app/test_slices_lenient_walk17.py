"""Walk 17 F10 in the app at 80x24: the slices screen had no lenient column (bbh-eos-masked
31.5% beside the CLI's lenient 51.9%; a strict-match 0.0% beside lenient 34.7%), ``i`` said
"this run's score has no warning", and the status named ``n<20: small slice`` over ten
48-item slices. F11: a log-likelihood choice task shows no lenient figure and ``i`` names
the metric read and the other one logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_store import bbh_pair_and_math_store
from lmeval_lines import write_gsm8k_file
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.slices import SlicesScreen, size_legends
from capslice_tui.app.screens.text_detail import TextDetailScreen
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bbh_pair_and_math_store(tmp_path_factory.mktemp("walk17-app"))


async def test_slices_show_the_lenient_score_and_i_says_why(demo: Path) -> None:
    app = make_app(demo, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("bbh-eos-masked", "bbh"))
        await settle(app, pilot)
        rows = table_rows(app)
        assert rows[0][0] == "ALL" and "31.5%" in rows[0] and "51.9%" in rows[0], rows
        assert all(len(r) == len(rows[0]) for r in rows)
        detail = static_text(app, "#detail-line")
        assert "31.5% [27.5, 35.7] · 151/480 · lenient 51.9%" in detail, detail
        status = static_text(app, "#status")
        assert status.startswith(
            "lenient 51.9% vs 31.5% (i) · 10 slices · greedy accuracy · filter"
        ), status
        assert "n<20" not in status and "small slice" not in status, status
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, TextDetailScreen)
        whole = " ".join(static_text(app, "#detail-text").split())
        assert "ALL: score 31.5%, lenient 51.9% (+20.4 points lost to the log's answer" in whole


async def test_a_choice_task_has_no_lenient_and_i_names_its_metric(tmp_path: Path) -> None:
    lines = []
    for d in range(20):
        resps = [[[str(-1.0 - i), str(i == 0)]] for i in range(4)]
        lines.append(json.dumps({
            "doc_id": d, "doc": {"question": f"Q{d}?", "choices": list("wxyz"), "answer": 0},
            "target": "0", "arguments": {"gen_args_0": {"arg_0": f"Q{d}?", "arg_1": " A"}},
            "resps": resps, "filtered_resps": [r[0] for r in resps], "filter": "none",
            "metrics": ["acc", "acc_norm"], "acc": float(d < 12), "acc_norm": float(d < 7),
        }))  # fmt: skip
    write_gsm8k_file(tmp_path / "logs", lines, task="mmlu_abstract_algebra")
    store = tmp_path / "s.db"
    Workspace(store).ingest([tmp_path / "logs"], run="mc")
    app = make_app(store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("mc", None))
        await settle(app, pilot)
        table = app.screen.query_one("#slices-table")
        headers = [str(c.label) for c in table.columns.values()]
        assert "lenient" not in headers, headers
        assert "acc (log-likelihood choice)" in static_text(app, "#status")
        await pilot.press("i")
        await settle(app, pilot)
        whole = " ".join(static_text(app, "#detail-text").split())
        assert "acc_norm also logged: 35.0% (7/20)" in whole, whole


def test_size_legends_name_only_the_marks_shown() -> None:
    assert size_legends(["", ""], bar=False) == []
    assert size_legends(["n<20", ""], bar=False) == [" · n<20: small slice"]
    assert size_legends(["n<10", "n<20"], bar=False) == [
        " · n<20: small slice, n<10: not tested",
        " · n<20: small slice",
    ]
    assert size_legends([], bar=True) == [" · bar: [ ] 95% CI, * score"]
