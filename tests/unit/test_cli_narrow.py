"""CLI tables at narrow widths, as a fresh user sees them at 80 columns: piped output honours
``$COLUMNS``, a shared task prefix is dropped (and said so) rather than names cut at both ends,
and ``capslice runs`` never cuts a run name (users type them into other commands)."""

from __future__ import annotations

import pytest

from capslice_tui.cli import render
from capslice_tui.cli.render import emit_table

WIDE_HEADERS = ["task", "step", "run", "items", "score", "95% CI", "count", "change"]
WIDE_ROWS = [
    [f"bbh_cot_fewshot_{t}", "100000", "bbh-base", "48", "70.8%", "[56.8, 81.8]", "34/48", "-"]
    for t in ("boolean_expressions", "date_understanding", "logical_deduction_three_objects",
              "tracking_shuffled_objects_three_objects", "web_of_lies")
]  # fmt: skip


def _piped(capsys: pytest.CaptureFixture[str], headers=WIDE_HEADERS, rows=WIDE_ROWS) -> list[str]:
    emit_table(headers, rows, "table", title="trial", notes=["a note"])
    return capsys.readouterr().out.splitlines()


def test_piped_tables_honour_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = _piped(capsys)
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    assert render.output_width() == 80


def test_notes_are_never_broken_inside_a_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A note that carries a command to copy (resume, delete-run) stays on one line however
    narrow the output (the terminal wraps it where it shows it, without a line break)."""
    monkeypatch.setenv("COLUMNS", "80")
    note = "big: incomplete; delete: capslice --store /tmp/" + "x" * 60 + "/s.db delete-run big"
    emit_table(["run"], [["big"]], "table", notes=[note])
    lines = capsys.readouterr().out.splitlines()
    command = note[note.index("capslice ") :]
    assert command in lines and " ".join(lines[-2:]) == note, lines
    emit_table(["run"], [], "table", notes=[note])
    lines = capsys.readouterr().out.splitlines()
    command = note[note.index("capslice ") :]
    assert command in lines and " ".join(lines[-2:]) == note, lines


def test_piped_tables_without_columns_keep_the_wide_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert render.output_width() == render.PIPED_WIDTH
    lines = _piped(capsys)
    # nothing cut: every task name whole on its row
    body = "\n".join(lines)
    for row in WIDE_ROWS:
        assert row[0] in body
    monkeypatch.setenv("COLUMNS", "not-a-number")
    assert render.output_width() == render.PIPED_WIDTH


def test_narrow_tables_drop_the_shared_task_prefix_and_say_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 80 columns ``bbh_cot_fewshot_`` is left out of every task name (a note says so),
    and no name is cut at both ends (``…boolean_e…`` before)."""
    monkeypatch.setenv("COLUMNS", "80")
    tasks = ["boolean_expressions", "date_understanding", "logical_deduction_three_objects",
             "tracking_shuffled_objects_three_objects", "web_of_lies", "navigate"]  # fmt: skip
    headers = ["task", "base", "cand", "diff [95% CI]", "p adj", "sig", "items", "raw p"]
    rows = [
        [f"bbh_cot_fewshot_{t}", "70.8% 34/48", "37.5% 18/48", "-33.3 [-45.5, -18.5]",
         "0.0002", "worse*", "48", "0.0001"]
        for t in tasks
    ] + [["ALL", "59.6% 286/480", "31.5% 151/480", "-28.1 [-32.0, -24.0]", "-", "worse*",
          "480", "-"]]  # fmt: skip
    lines = _piped(capsys, headers, rows)
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)
    body = "\n".join(lines)
    assert "bbh_cot_fewshot_" not in body.split("task:")[0]  # left out of the names...
    # ...and said so (the ALL row has no such prefix: the note does not call it shared)
    assert "task: names starting with 'bbh_cot_fewshot_' shown without it" in " ".join(body.split())
    names = [line.split()[0] for line in lines[2:] if line.startswith(tuple("bdltwn"))]
    assert "navigate" in names and "web_of_lies" in names
    for line in lines[2 : 2 + len(tasks)]:
        name = line.split()[0]
        assert not (name.startswith("…") and name.endswith("…")), name  # one cut at most
        assert not name.startswith("…"), name


def test_a_column_without_a_shared_prefix_is_cut_at_one_end_only() -> None:
    cut = render._column_cut(["alpha_one_long_name", "beta_two_long_name", "gamma"], 10)
    assert cut is not None
    pieces, prefix = cut
    assert prefix == ""
    assert all(not (p.startswith("…") and p.endswith("…")) for p in pieces), pieces


def test_shared_prefix_ends_at_a_word_boundary() -> None:
    assert render.shared_prefix(["bbh_cot_fewshot_date", "bbh_cot_fewshot_dyck"]) == (
        "bbh_cot_fewshot_"
    )
    assert render.shared_prefix(["demo-org/demo-1b-step1", "demo-org/demo-1b-eos"]) == (
        "demo-org/demo-1b-"
    )
    assert render.shared_prefix(["abcdef1", "abcdef2"]) == ""  # no word boundary
    assert render.shared_prefix(["only_one_long_value"]) == ""


RUN_NAMES = ["bbh-base", "bbh-eos-masked", "bbh-eos-restored", "math-base", "math-targeted"]


@pytest.mark.parametrize("columns", ["80", "60", "40"])
def test_runs_never_cuts_a_run_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], columns: str
) -> None:
    """``capslice runs``' table: run names whole at any width (other columns give way)."""
    monkeypatch.setenv("COLUMNS", columns)
    headers = ["run", "model", "step", "samples", "status", "benchmarks (micro)"]
    models = ["demo-org/demo-1b-step100000", "demo-org/demo-1b-eosmask-step110000",
              "demo-org/demo-1b-step120000", "demo-org/demo-1b-step100000",
              "demo-org/demo-1b-mathfix-step120000"]  # fmt: skip
    rows = [
        [name, model, "100000", "480", "complete", "bbh 59.6% (286/480)"]
        for name, model in zip(RUN_NAMES, models, strict=True)
    ]
    lines = _piped(capsys, headers, rows)
    firsts = [line.split()[0] for line in lines[2:] if line[:1].strip()]  # row starts
    assert firsts[: len(RUN_NAMES)] == RUN_NAMES, "\n".join(lines)
    assert max(len(line) for line in lines) <= int(columns)


def test_an_interventions_runs_are_never_cut(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    headers = ["id", "status", "verdict", "title", "baseline", "result", "author", "updated"]
    rows = [["1", "evaluated", "confirmed", "targeted math data", "math-base", "math-targeted",
             "root", "2026-11-30T18:04:00+00:00"]]  # fmt: skip
    lines = _piped(capsys, headers, rows)
    assert "math-targeted" in lines[2].split() and "math-base" in lines[2].split(), lines


def test_expendable_columns_go_first_and_the_asked_for_ones_stay(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At 80 columns a slice table with --k 1 --k 16 drops lenient, count and note before the
    pass@k figure the user asked for (the fresh-user trial lost pass@16 and kept lenient)."""
    monkeypatch.setenv("COLUMNS", "80")
    headers = ["task_type", "solving_operation", "items", "score", "95% CI", "count",
               "lenient", "pass@1", "pass@16", "note"]  # fmt: skip
    rows = [["counting_probability", "casework", "13", "12.0%", "[7.2, 16.8]",
             "25/208 samples = 12.0%", "12.0%", "12.0% (1.6/13)", "84.6% (11/13)",
             "n<20: small slice (n=13), the interval is wide"]]  # fmt: skip
    emit_table(headers, rows, "table", expendable=("lenient", "count", "note", "pass@1"))
    out = capsys.readouterr().out
    header_line = out.splitlines()[0]
    assert "pass@16" in header_line and "84.6% (11/13)" in out
    assert "lenient" not in header_line and "note" not in header_line
    assert "not shown at 80 columns: count, lenient, pass@1 (shown" in out.replace("\n", " ")
    # the note, which has no room in the table, is said under it (walk 12), not left out
    assert (
        "note: counting_probability & casework: n<20: small slice (n=13), the interval is "
        "wide" in out.replace("\n", " ")
    )
    # without the order, columns go from the right: pass@16 is lost
    emit_table(headers, rows, "table")
    assert "pass@16" not in capsys.readouterr().out.splitlines()[0]


def test_slices_say_how_many_are_below_the_minimum_size_at_any_width(tmp_path) -> None:
    """The note column (which carries each small slice's warning) is the first to go at 80
    columns; a note under the table still says how many slices are too small to test."""
    import os
    import subprocess
    import sys

    store = tmp_path / "demo.db"
    env = {**os.environ, "COLUMNS": "80"}
    run = [sys.executable, "-m", "capslice_tui", "--store", str(store)]
    subprocess.run([*run, "demo", "--no-tui"], check=True, capture_output=True, env=env)
    out = subprocess.run(
        [*run, "slices", "--run", "math-base", "--by", "task_type,solving_operation"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout  # fmt: skip
    flat = " ".join(out.split())
    assert "5 of 11 slices are below the minimum slice size 10 items: reported, not tested" in flat
