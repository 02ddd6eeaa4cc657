"""Terminal tables at 80 columns, as a fresh user sees them: no figure is ever cut, no blank
rows, names of one column stay apart, a dropped column is named, and ``--format md`` is whole."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from rich.console import Console

from capslice_tui.cli import render
from capslice_tui.cli.discover import suggestion_rows
from capslice_tui.cli.render import emit_table


def _render(
    monkeypatch: pytest.MonkeyPatch,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    notes: Sequence[str] = (),
    width: int = 80,
) -> list[str]:
    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, markup=False, emoji=False,
                      soft_wrap=False, color_system=None)  # fmt: skip
    monkeypatch.setattr(render, "plain_console", lambda: console)
    monkeypatch.setattr(render, "_plain_output", lambda: False)  # print with Rich
    emit_table(headers, rows, "table", title="trial", notes=notes)
    return out.getvalue().splitlines()


SLICE_HEADERS = ["task_type", "solving_operation", "items", "score", "95% CI", "count",
                 "lenient", "pass@1", "pass@16", "note"]  # fmt: skip
SLICE_ROWS = [
    ["algebra", "equation_solving", "32", "64.5%", "[59.6, 69.1]", "330/512", "64.5%",
     "64.5% (20.6/32)", "100.0% (32.0/32)", ""],
    ["number_theory", "modular_arithmetic", "26", "4.8%", "[2.4, 7.7]",
     "21/1760 samples = 1.2%", "4.8%", "4.8% (1.3/26)", "50.1% (13.0/26)", ""],
    ["counting_probability", "combinatorics", "13", "61.1%", "[52.9, 68.3]", "127/208",
     "61.1%", "61.1% (7.9/13)", "97.0% (12.6/13)", ""],
]  # fmt: skip


def _dropped(lines: Sequence[str]) -> str:
    """The "not shown" note, joined across its wrapped lines."""
    text = " ".join(" ".join(lines).split())
    start = text.find("not shown at")
    return "" if start < 0 else text[start : text.find("--format md or json", start)]


def test_figures_are_shown_whole_or_their_column_is_named_as_not_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _render(monkeypatch, SLICE_HEADERS, SLICE_ROWS)
    assert max(len(line) for line in lines) <= 80
    body = " ".join(" ".join(lines).split())  # a figure cell may fold at its spaces
    dropped = _dropped(lines)
    for row in SLICE_ROWS:
        for header, cell in zip(SLICE_HEADERS, row, strict=True):
            if header in ("task_type", "solving_operation", "note"):
                continue
            assert cell in body or f" {header}" in dropped or f"{header}," in dropped, (
                header,
                cell,
                "\n".join(lines),
            )
    assert "21…" not in body and "(20.6/3 " not in body


def test_no_blank_rows_and_each_row_starts_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # the note column once folded in a wider table that was then cut at the edge, leaving its
    # wrapped lines blank
    rows = [[*r[:-1], "few items: the interval is wide, read with care"] for r in SLICE_ROWS]
    lines = _render(monkeypatch, SLICE_HEADERS, rows)
    assert all(line.strip() for line in lines), "\n".join(lines)
    starts = [line.split()[0] for line in lines[2 : 2 + len(SLICE_ROWS)]]
    assert starts[0] == "algebra" and len(set(starts)) == 3, "\n".join(lines)


def test_a_column_dropped_for_width_is_named_with_where_to_see_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = ["task_type", "output_constraint", "base", "cand", "diff [95% CI]", "p adj",
               "sig", "MDD", "raw p"]  # fmt: skip
    rows = [["logical_reasoning", "true_false", "70.8% 34/48", "37.5% 18/48",
             "-33.3 [-45.5, -18.5]", "0.0001", "worse*", "22.1", "0.00001"]]  # fmt: skip
    lines = _render(monkeypatch, headers, rows, notes=["worse* = significant after correction"])
    text = " ".join(" ".join(lines).split())
    assert "worse*" not in lines[2]  # the sig column is not shown ...
    assert "not shown at 80 columns:" in text and "sig" in _dropped(lines)  # ... and named
    assert "--format md or json shows all" in text
    assert text.index("not shown at") < text.index("worse* = significant")


def test_names_of_one_column_stay_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    tasks = ["bbh_cot_fewshot_date_understanding", "bbh_cot_fewshot_sports_understanding",
             "bbh_cot_fewshot_temporal_sequences", "bbh_cot_fewshot_tracking_shuffled_objects",
             "ALL"]  # fmt: skip
    rows = [[t, "56.2% 27/48", "29.2% 14/48", "-27.1 [-38.8, -13.2]", "0.0003", "worse*"]
            for t in tasks]  # fmt: skip
    headers = ["task", "base", "cand", "diff [95% CI]", "p adj", "sig"]
    lines = _render(monkeypatch, headers, rows, width=60)
    shown = [line.split()[0] for line in lines[2 : 2 + len(rows)]]
    assert len(set(shown)) == len(tasks), "\n".join(lines)
    assert max(len(line) for line in lines) <= 60


def test_names_differing_only_in_the_middle_stay_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """plan once showed ``cc…ge_q3`` three times."""
    names = ["cc_en_knowledge_q3", "cc_de_knowledge_q3", "cc_fr_knowledge_q3", "cc_en_knowledge_q1"]
    rows = [[n, "12.5%", "[8.1, 18.0]", "+3.2", "0.0100", "raise weight to 0.25"] for n in names]
    headers = ["source", "score", "95% CI", "gain", "q", "reason"]
    lines = _render(monkeypatch, headers, rows, width=50)
    shown = [line.split()[0] for line in lines[2 : 2 + len(rows)]]
    assert len(set(shown)) == len(names), "\n".join(lines)


def test_timestamps_are_never_cut_in_the_middle(monkeypatch: pytest.MonkeyPatch) -> None:
    headers = ["when", "run", "slice", "action", "by", "reason"]
    rows = [["2026-11-30T16:01:02.123456+00:00", "math-base-long-run-name", "task=minerva_math",
             "accepted", "someone@example.org", "looks right after reading twenty samples"]]  # fmt: skip
    lines = _render(monkeypatch, headers, rows)
    body = "\n".join(lines)
    assert "2026-11-30T16:01:02.123456+00:00" in body or "2026-11-30 16:01" in body, body
    assert "20…" not in body


def test_markdown_shows_every_cell_whole(capsys: pytest.CaptureFixture[str]) -> None:
    long = "a_very_long_task_name_that_would_never_fit_in_eighty_columns_of_a_terminal"
    emit_table(["task", "count"], [[long, "21/1760 samples = 1.2%"]], "md", title="t")
    out = capsys.readouterr().out
    assert long in out and "21/1760 samples = 1.2%" in out and "…" not in out


def test_discover_markdown_rows_keep_labels_and_terms_whole() -> None:
    suggestion = {
        "id": 3, "name": "cluster 18 " + "x" * 40, "size": 160, "error_rate": 0.875,
        "n_errors": 140, "ci_low": 0.815, "ci_high": 0.918, "diff_rest": 0.062,
        "diff_within": 0.44, "q_value": 0.04, "q_within": 0.046, "significant": True,
        "novelty": {"relation": "within task=minerva_math_counting_and_prob"},
        "top_terms": ["q:digit", "digits", "combine", "division", "leading_zero_handling"],
    }  # fmt: skip
    result = {"suggestions": [suggestion]}
    _, whole = suggestion_rows(result, whole=True)  # type: ignore[arg-type]
    assert "within task=minerva_math_counting_and_prob" in whole[0]
    assert "q:digit, digits, combine, division, leading_zero_handling" in whole[0]
    assert not any("…" in str(c) for c in whole[0])
    _, short = suggestion_rows(result)  # type: ignore[arg-type]
    assert any("…" in str(c) for c in short[0])  # a terminal table still shortens


def test_a_cut_answer_never_ends_inside_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    """`samples` once showed `$\\boxed{142…` for `$\\boxed{1420}$` (and 142 was an answer too)."""
    headers = ["id", "task", "target", "extracted", "score", "mode", "response"]
    rows = [
        ["1", "aime", "1420", "$\\boxed{1420}$ after simplifying", "0", "wrong_answer", "text"],
        ["2", "aime", "141", "$\\boxed{142}$ after simplifying", "0", "wrong_answer", "text"],
    ]
    lines = _render(monkeypatch, headers, rows, width=40)
    body = "\n".join(lines)
    assert "142…" not in body and "…420" not in body and "…0}$" not in body, body
    assert "$\\boxed{1420…" in body or "$\\boxed{1420}" in body, body
    shown = [line.split()[3] for line in lines[2:4]]
    assert len(set(shown)) == 2, body
