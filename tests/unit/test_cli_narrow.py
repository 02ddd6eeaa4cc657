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
