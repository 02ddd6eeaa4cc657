"""What a fresh user found on a clean clone (session 5, helper sweep): a repeated --by axis
ended in a traceback, one tested slice read ``1 slices``, a piped title ended in a blank."""

from __future__ import annotations

from typing import Any

import pytest

from capslice_tui.cli.diagnose import comparison_table
from capslice_tui.workspace import parse_by


@pytest.mark.parametrize("by", ["task,task", "task, benchmark ,task", ["task_type", "task_type"]])
def test_a_repeated_by_axis_is_refused_naming_it(by: Any) -> None:
    with pytest.raises(ValueError, match=r"--by names '(task|task_type)' twice"):
        parse_by(by)
    assert parse_by("task,benchmark") == ["task", "benchmark"]


def _one_slice() -> dict[str, Any]:
    row = {
        "slice": {"benchmark": "gsm8k"}, "n_items": 1319,
        "base": {"score": 0.217, "correct": 286, "n": 1319, "n_items": 1319},
        "cand": {"score": 0.347, "correct": 458, "n": 1319, "n_items": 1319},
        "diff": 0.13, "diff_low": 0.1, "diff_high": 0.16, "p_value": 1e-9, "p_adjusted": 1e-9,
        "marker": "better*", "mdd": 0.03, "warning": None, "test": "mcnemar-exact",
    }  # fmt: skip
    return {
        "by": ["benchmark"], "rows": [row], "n_tested": 1, "q": 0.05,
        "overall": {**row, "slice": {"all": "all"}, "p_adjusted": None, "marker": "better"},
        "notes": [], "evaluation_warning": None,
    }  # fmt: skip


def test_one_tested_slice_is_singular() -> None:
    _headers, _rows, notes = comparison_table(_one_slice())
    text = " ".join(notes)
    assert "1 slice tested;" in text and "1 slices" not in text, text
    assert "not the one corrected slice" in text and "of the 1 corrected" not in text, text


@pytest.mark.parametrize("rows", [[["a", "1"]], []])
def test_a_wrapped_title_has_no_trailing_blank_when_piped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rows: Any
) -> None:
    from capslice_tui.cli.render import emit_table

    monkeypatch.setenv("COLUMNS", "40")
    title = "trend by task_type: bbh-base@100000 < bbh-eos-masked@110000"
    emit_table(["task_type", "score"], rows, "table", title=title)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "trend by task_type: bbh-base@100000 <", lines
    assert all(line == line.rstrip() for line in lines), lines
