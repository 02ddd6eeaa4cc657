"""Walk 12: a note or terms column is never wrapped into a column a word or two wide.

At 120 columns ``capslice slices --run qmath --k all --by solving_operation`` wrapped each
row's ``below minimum slice size 10 (n=4): reported, not tested`` one word per line beside
the pass@k figures, and ``capslice discover --run bbh-cot --all`` wrapped its terms one word
per line while cutting the group names to ``mode:tr…``. A last ``note``/``terms`` column that
would wrap narrower than :data:`render.NOTE_LEAST`, or that makes the table cut its names,
is said under the table (``note: counting, function_analysis: below ...``), and the names
take the room it leaves.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from capslice_tui.cli import render
from capslice_tui.cli.render import dropped_columns, emit_table

SMALL = "below minimum slice size 10 (n={}): reported, not tested"


def _printed(monkeypatch: pytest.MonkeyPatch, width: int, headers, rows) -> list[str]:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, markup=False, emoji=False,
                      soft_wrap=False, color_system=None)  # fmt: skip
    monkeypatch.setattr(render, "plain_console", lambda: console)
    monkeypatch.setattr(render, "_plain_output", lambda: False)  # print with Rich
    emit_table(headers, rows, "table")
    return out.getvalue().splitlines()


SLICE_HEADERS = ["solving_operation", "items", "score", "95% CI", "count", "pass@1", "pass@4",
                 "pass@8", "note"]  # fmt: skip
SLICE_ROWS = [
    ["(unlabelled)", "60", "92.3%", "[86.5, 97.3] b", "443/480", "92.3% (55.4/60)",
     "97.1% (58.2/60)", "98.3% (59/60)", ""],
    ["combinatorics", "4", "100.0%", "[51.0, 100.0] w", "32/32", "100.0% (4/4)", "100.0% (4/4)",
     "100.0% (4/4)", SMALL.format(4)],
    ["counting", "1", "100.0%", "[20.7, 100.0] w", "8/8", "100.0% (1/1)", "100.0% (1/1)",
     "100.0% (1/1)", SMALL.format(1)],
    ["function_analysis", "1", "100.0%", "[20.7, 100.0] w", "8/8", "100.0% (1/1)",
     "100.0% (1/1)", "100.0% (1/1)", SMALL.format(1)],
    ["geometric_computation", "21", "86.9%", "[72.6, 98.8] b", "146/168", "86.9% (18.2/21)",
     "90.1% (18.9/21)", "90.5% (19/21)", ""],
    ["ALL (micro)", "100", "91.0%", "[85.5, 95.8] b", "728/800", "91.0% (91/100)",
     "95.1% (95.1/100)", "96.0% (96/100)", ""],
]  # fmt: skip


@pytest.mark.parametrize("width", [80, 100, 120])
def test_slice_notes_go_under_the_table_one_line_a_row(
    monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    lines = _printed(monkeypatch, width, SLICE_HEADERS, SLICE_ROWS)
    table = lines[: 1 + len(SLICE_ROWS)]
    assert [line.split("  ")[0] for line in table[1:]] == [r[0] for r in SLICE_ROWS], lines
    assert "note" not in table[0].split(), table[0]  # not a column any more
    assert "geometric_computation" in lines[5]  # the names whole
    text = " ".join(" ".join(lines).split())
    assert f"note: combinatorics: {SMALL.format(4)}" in text, text
    assert f"note: counting, function_analysis: {SMALL.format(1)}" in text, text  # said once


DISCOVER_HEADERS = ["group", "samples", "error", "95% CI", "vs rest", "in task", "q", "labels",
                    "terms"]  # fmt: skip
DISCOVER_ROWS = [
    ["mode:truncated", "201", "100.0% (201/201)", "[98.1, 100.0]", "+76.3", "+82.7", "<0.0001",
     "across 7 tasks", "stack, letter, second, subpart, sort"],
    ["modifiers", "86", "75.6% (65/86)", "[65.5, 83.4]", "+50.2", "+55.5", "<0.0001",
     "within task=salient_transla…", "translation, provided, sentence, modifi…"],
    ["shape", "453", "42.4% (192/453)", "[37.9, 47.0]", "+17.6", "+16.4", "<0.0001",
     "across 4 tasks", "category, falls, line, point, shape"],
]  # fmt: skip


def test_discover_terms_leave_the_group_names_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _printed(monkeypatch, 120, DISCOVER_HEADERS, DISCOVER_ROWS)
    assert lines[1].startswith("mode:truncated  "), lines  # was cut to mode:tr…
    assert len(lines) == 1 + len(DISCOVER_ROWS) + len(DISCOVER_ROWS), lines  # no wrapped line
    assert lines[-3:] == [f"terms: {r[0]}: {r[-1]}" for r in DISCOVER_ROWS]


def test_a_note_with_room_stays_in_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [[*r[:-1], "n<20" if r[-1] else ""] for r in SLICE_ROWS]
    lines = _printed(monkeypatch, 140, SLICE_HEADERS, rows)
    assert lines[0].split()[-1] == "note" and lines[2].endswith("n<20"), lines
    assert not any(line.startswith("note:") for line in lines)
    long = _printed(monkeypatch, 200, SLICE_HEADERS, SLICE_ROWS)  # room for it on one line
    assert long[2].endswith(SMALL.format(4)) and len(long) == 1 + len(SLICE_ROWS)


def test_a_caller_is_told_when_names_stay_cut_even_with_the_note_below() -> None:
    """compare chooses its shorter form when a column is left out: a note said under the
    table counts while the names are still cut, not when they show whole."""
    assert dropped_columns(SLICE_HEADERS, SLICE_ROWS, 120) == []
    assert "note" in dropped_columns(SLICE_HEADERS, SLICE_ROWS, 60)
