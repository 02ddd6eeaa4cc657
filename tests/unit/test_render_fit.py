"""Tables fit an 80-column terminal: long text columns give way, figures never do."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from capslice_tui.cli import render
from capslice_tui.cli.render import MIN_SQUEEZED_WIDTH, SQUEEZED_WIDTH, emit_table, fit_widths
from capslice_tui.formatting import middle_cut


def test_a_table_that_fits_gets_no_caps() -> None:
    assert fit_widths([10, 20, 30], [True, True, True], 80) == [None, None, None]


def test_long_text_columns_share_what_the_figures_leave() -> None:
    # run 16, model 35 (text), step 6, samples 7 (figures), status 8, benchmarks 22 (last)
    widths = [16, 35, 6, 7, 8, 22]
    text = [True, True, False, False, True, True]
    caps = fit_widths(widths, text, 80)
    assert caps[2:] == [None, None, None, None]
    # 80 - 10 (gaps) - 21 (figures, status) - 22 (last) = 27 for run and model
    assert caps[:2] == [13, 14]
    assert caps[0] + caps[1] + 6 + 7 + 8 + 22 + 10 == 80


def test_caps_never_go_below_the_floor() -> None:
    # the figures and the last column leave nothing: the text columns go to the lowest floor
    caps = fit_widths([40, 40, 30, 30], [True, True, False, True], 60)
    assert caps == [MIN_SQUEEZED_WIDTH, MIN_SQUEEZED_WIDTH, None, None]
    # with some room left, to the usual floor
    caps = fit_widths([40, 40, 20, 10], [True, True, False, True], 60)
    assert caps[:2] == [SQUEEZED_WIDTH, SQUEEZED_WIDTH]


def test_a_table_too_wide_for_its_figures_drops_whole_columns_with_a_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.StringIO()
    console = Console(file=out, width=40, highlight=False, markup=False, emoji=False,
                      soft_wrap=False, color_system=None)  # fmt: skip
    monkeypatch.setattr(render, "plain_console", lambda: console)
    monkeypatch.setattr(render, "_plain_output", lambda: False)  # print with Rich
    headers = ["task", "items", "score", "pass@1", "pass@2", "pass@4", "note"]
    rows = [["minerva_math_algebra", "32", "64.5%", "64.5% (20.6/32)", "86.9% (27.8/32)",
             "97.9% (31.3/32)", ""]]  # fmt: skip
    emit_table(headers, rows, "table", title="math by task")
    lines = out.getvalue().splitlines()
    assert lines[0] == "math by task"
    assert lines[1].split()[:4] == ["task", "items", "score", "pass@1"]
    assert lines[2].split()[1:5] == ["32", "64.5%", "64.5%", "(20.6/32)"]
    assert all(len(line) <= 40 for line in lines)
    body = " ".join(" ".join(lines).split())
    assert "(27.8/32)" not in body  # dropped whole, never cut
    assert "pass@2, pass@4 (shown: 4 of 6 columns" in body and "--format md or json" in body
    assert "pass@4, note" not in body  # empty on every row: left out first, unsaid


def test_emit_table_at_80_columns_keeps_figures_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, highlight=False, markup=False, emoji=False,
                      soft_wrap=False, color_system=None)  # fmt: skip
    monkeypatch.setattr(render, "plain_console", lambda: console)
    monkeypatch.setattr(render, "_plain_output", lambda: False)  # print with Rich
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
    # names cut by distinct_cut, readably: the free-text note, which would wrap a few words
    # to a line beside the figures, is said under the table (walk 12) instead
    assert "bbh_cot_…three_objects" in body and "demo-org/demo-1b-eos…" in body
    assert "table cut" not in body
    assert " ".join(body.split()).endswith(
        "note: bbh_cot_fewshot_tracking_shuffled_objects_three_objects & "
        "demo-org/demo-1b-eosmask-step110000: free text note that can fold"
    )


def test_middle_cut_keeps_both_ends() -> None:
    assert middle_cut("minerva_math_algebra", 12) == "min…_algebra"
    assert middle_cut("minerva_math_counting_and_prob", 12) == "min…and_prob"
    assert middle_cut("short", 12) == "short"
    assert middle_cut("anything", None) == "anything"


def test_score_counts_never_puts_a_percentage_beside_a_ratio_it_does_not_equal() -> None:
    from capslice_tui.formatting import sample_tally, score_counts

    assert score_counts(286 / 480, 286, 480, 480) == "59.6% (286/480)"
    multi = score_counts(0.431, 1093, 5888, 158)
    assert multi == "43.1% (mean of 158 items; samples 1093/5888 = 18.6%)"
    assert sample_tally(286 / 480, 286, 480) == "286/480"
    assert sample_tally(0.431, 1093, 5888) == "1093/5888 samples = 18.6%"


def test_a_last_column_that_would_cross_the_edge_folds_with_its_figures_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`capslice runs` at 80 columns once the origin column shows: the benchmarks cell folds
    into the width left; `1093/5888` is never cut to `1093/588` at the right edge."""
    out = io.StringIO()
    monkeypatch.setattr(
        render,
        "plain_console",
        lambda: Console(file=out, width=80, highlight=False, markup=False, color_system=None),
    )
    monkeypatch.setattr(render, "_plain_output", lambda: False)  # print with Rich
    headers = ["run", "model", "step", "samples", "status", "origin", "benchmarks (micro)"]
    rows = [
        ["math-base", "demo-org/demo-1b-step100000", "100000", "5888", "complete",
         "pushed to team", "math 43.1% (mean of 158 items; samples 1093/5888 = 18.6%)"],
    ]  # fmt: skip
    emit_table(headers, rows, fmt="table")
    text = out.getvalue()
    assert "1093/5888" in text and "18.6%" in text, text
    assert "cut at the terminal" not in text, text
    assert max(len(line) for line in text.splitlines()) <= 80, text
