"""The samples tables and the sample detail say what the CLI says (session 11 leftovers):

- a wrong answer that ran on to the generation cap after a complete answer (6306b16 classes it
  ``wrong_answer`` with signal ``cap``) reads ``wrong+cap`` in the app's table and in
  ``capslice samples``, as ``correct+eos`` marks a correct one, with the legend line saying
  what it means, the 80-column table still fitting;
- the task column cuts a name between words (``boolean…``), never inside one
  (``boolean_expre…``);
- the sample detail shows the ``log's score`` line ``capslice sample ID`` prints (aca7d61),
  from the same function (``report.log_score``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_store import bbh_pair_and_math_store
from pilot_helpers import SIZE, settle, static_text, table_rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.sample_detail import SampleDetailScreen
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.app.widgets.result_table import ResultTable
from capslice_tui.cli import main
from capslice_tui.formatting import flag_legend, flagged_mode
from capslice_tui.report import log_score
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bbh_pair_and_math_store(tmp_path_factory.mktemp("cap-store"))


def test_one_function_marks_a_wrong_answer_at_the_cap() -> None:
    assert flagged_mode("wrong_answer", "wrong", "cap,cut_end") == "wrong+cap"
    assert flagged_mode("wrong_answer", "wrong", "") == "wrong"
    assert flagged_mode("truncated", "trunc", "cap,cut_end") == "trunc"  # says it itself
    assert flagged_mode("correct", "correct", "stop_literal") == "correct+eos"
    legend = flag_legend([("wrong_answer", "cap,repetition,cut_end")])
    assert legend.startswith("wrong+cap: a complete wrong answer, then the model ran on"), legend
    assert flag_legend([("wrong_answer", None)]) == ""


async def test_app_table_marks_wrong_at_the_cap_and_cuts_tasks_at_words(store: Path) -> None:
    app = make_app(store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(SamplesScreen("bbh-eos-masked", title="wrong", failure_mode="wrong_answer"))
        await settle(app, pilot)
        rows = table_rows(app)
        modes = {row[-2] for row in rows}
        assert "wrong+cap" in modes and "wrong" in modes, modes
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        legend = " ".join(static_text(app, "#mode-legend").split())
        assert "wrong+cap: a complete wrong answer, then the model ran on" in legend, legend
        tasks = {row[0] for row in rows}
        assert "boolean…" in tasks, tasks
        assert not any(t.startswith("boolean_") for t in tasks), tasks  # not boolean_expre…
        table = app.screen.query_one(ResultTable)  # no column pushed off the screen
        assert table.virtual_size.width <= table.size.width, (table.virtual_size, table.size)


def test_cli_table_marks_wrong_at_the_cap(store: Path) -> None:
    out = CliRunner().invoke(
        main,
        ["--store", str(store), "samples", "--run", "bbh-eos-masked",
         "--failure-mode", "wrong_answer", "--limit", "200"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "wrong+cap" in out.output, out.output
    assert all(len(line) <= 80 for line in out.output.splitlines()), out.output
    assert "wrong+cap: a complete wrong answer" in " ".join(out.output.split())


async def test_sample_detail_shows_the_logs_score_as_the_cli(store: Path) -> None:
    ws = Workspace(store)
    rows, _ = ws.samples("math-base", limit=40)
    later = next(r for r in rows if r["sample_idx"] == 2)
    said = log_score(ws, ws.sample(later["id"]))
    assert said is not None and said["kind"] == "generation_0", said
    app = make_app(store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(SampleDetailScreen(later["id"]))
        await settle(app, pilot)
        text = " ".join(static_text(app, "#summary").split())
        assert f"log's score: {said['text']}" in text, text
        assert f"(sample {said['sample_id']})" in text
        first = next(r for r in rows if r["sample_idx"] == 0)
        app.pop_screen()
        app.push_screen(SampleDetailScreen(first["id"]))
        await settle(app, pilot)
        assert "log's score" not in static_text(app, "#summary")  # the log scored it
