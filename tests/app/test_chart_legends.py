"""One legend per chart: every bar chart of the diagnose screen carries its own legend line, and
a glyph means one thing within a chart (``█`` base and ``#`` candidate in the failure-mode chart;
``+`` better and ``-`` worse in the axis chart)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pilot_helpers import settle

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.diagnose import (
    DiagnoseScreen,
    axis_bars,
    axis_legend,
    failure_bars,
    failure_legend,
)
from capslice_tui.app.widgets.bar_chart import Bar, BarChart, legend_line, unexplained


def test_a_chart_refuses_a_glyph_its_legend_does_not_name() -> None:
    chart = BarChart()
    with pytest.raises(ValueError, match="without a legend entry: #"):
        chart.show([Bar("a", 0.5, "50%"), Bar("b", 0.2, "20%", char="#")], {"█": "base"})
    assert unexplained((Bar("empty", 0.0, "", char="#"),), ()) == set()  # draws nothing
    assert legend_line((("+", "better"), ("-", "worse"))) == "legend: + better  - worse"


def test_legends_name_each_glyph_the_bars_draw() -> None:
    data = {
        "base": "a", "cand": "b",
        "failure_mode_shift": [{"mode": "truncated", "base_share": 0.1, "cand_share": 0.3,
                                "contribution": -0.2}],
    }  # fmt: skip
    assert failure_legend(data) == {"█": "base a", "#": "candidate b"}
    assert not unexplained(tuple(failure_bars(data)), tuple(failure_legend(data).items()))
    one = {"base": "a", "failure_modes": {"a": {"correct": 3, "wrong_answer": 1}}}
    assert failure_legend(one) == {"█": "share of the run's samples"}
    rows = [{"value": "x", "delta": -0.2, "n_items": 10}, {"value": "y", "delta": 0.1,
                                                           "n_items": 12}]  # fmt: skip
    bars = axis_bars(rows)
    assert [b.char for b in bars] == ["-", "+"]
    assert axis_legend(bars) == {"+": "better", "-": "worse"}
    assert axis_legend(axis_bars([{"value": "x", "score": 0.4, "n_items": 10}])) == {"█": "score"}


async def test_diagnose_charts_each_carry_one_legend(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=(120, 80)) as pilot:
        await settle(app, pilot)
        app.push_screen(DiagnoseScreen("base", "cand", benchmark=None))
        await settle(app, pilot)
        failure = app.screen.query_one("#failure-chart", BarChart)
        axes = app.screen.query_one("#axes-chart", BarChart)
        assert dict(failure.legend) == {"█": "base base", "#": "candidate cand"}
        assert set(dict(axes.legend)) <= {"+", "-"} and axes.legend
        for chart in (failure, axes):
            text = str(chart.render()).splitlines()
            assert text[0].startswith("legend: ")
            assert sum(line.startswith("legend: ") for line in text) == 1
            assert not unexplained(chart.bars, chart.legend)
        glyphs = [{g for g, _ in c.legend} for c in (failure, axes)]
        assert not glyphs[0] & glyphs[1]  # no glyph means two things on one screen
