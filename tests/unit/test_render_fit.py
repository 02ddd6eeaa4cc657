"""Tables fit an 80-column terminal: long text columns give way, figures never do."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from capslice_tui import render
from capslice_tui.render import SQUEEZED_WIDTH, emit_table, fit_widths


def test_a_table_that_fits_gets_no_caps() -> None:
    assert fit_widths([10, 20, 30], [True, True, True], 80, [3, 3, 3]) == [None, None, None]


def test_long_text_columns_share_what_the_figures_leave() -> None:
    # run 16, model 35 (text), step 6, samples 7 (figures), status 8, benchmarks 22 (last)
    widths = [16, 35, 6, 7, 8, 22]
    text = [True, True, False, False, True, True]
    caps = fit_widths(widths, text, 80, [3, 5, 4, 7, 6, 10])
    assert caps[2:] == [None, None, None, None]
    # 80 - 10 (gaps) - 21 (figures, status) - 22 (last) = 27 for run and model
    assert caps[:2] == [13, 14]
    assert caps[0] + caps[1] + 6 + 7 + 8 + 22 + 10 == 80


def test_caps_never_go_below_the_floor() -> None:
    caps = fit_widths([40, 40, 30, 30], [True, True, False, True], 60, [4, 4, 4, 4])
    assert caps[:2] == [SQUEEZED_WIDTH, SQUEEZED_WIDTH]
    assert caps[2:] == [None, None]


def test_emit_table_at_80_columns_keeps_figures_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, highlight=False, markup=False, emoji=False,
                      soft_wrap=False, color_system=None)  # fmt: skip
    monkeypatch.setattr(render, "plain_console", lambda: console)
    rows = [
        ["bbh_cot_fewshot_tracking_shuffled_objects_three_objects", "demo-org/demo-1b-eosmask-step110000",
         "48", "50.0%", "[36.4, 63.6]", "24/48", "free text note that can fold"],
    ]  # fmt: skip
    emit_table(["task", "model", "items", "score", "95% CI", "count", "note"], rows, "table")
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    body = "\n".join(lines)
    for figure in ("48", "50.0%", "[36.4, 63.6]", "24/48"):
        assert figure in body
    assert "bbh_cot_few…" in body and "demo-org/de…" in body
