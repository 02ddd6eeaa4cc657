"""The CLI's tables at 80 columns and on the Linux console (``TERM=linux``), on the demo runs.

``capslice slices`` at 80 columns kept a note column empty on every row and left out the
score's interval (and at 90 columns cut the task names to ``mi…algebra`` besides); removing
the empty column by hand let the names be cut to 8 characters instead. ``capslice samples``
under ``TERM=linux`` cut its responses with ``...`` where every other table cuts with ``~``,
and the titles kept the ``·`` of the Unicode terminal.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_store import bbh_pair_and_math_store

from capslice_tui.cli import main
from capslice_tui.cli.render import READABLE_NAME_WIDTH, dropped_columns, emit_table


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bbh_pair_and_math_store(tmp_path_factory.mktemp("ascii_width"))


def _cli(store: Path, *args: str, columns: int = 80, term: str = "linux") -> str:
    env = {"COLUMNS": str(columns), "TERM": term, "CAPSLICE_ASCII": None, "NO_COLOR": "1"}
    res = CliRunner().invoke(main, ["--store", str(store), *args], env=env)
    assert res.exit_code == 0, res.output
    return res.output


def _table(out: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows (one line each, split at blanks) of a slices table."""
    lines = out.splitlines()
    end = next(k for k, line in enumerate(lines) if line.startswith("ALL "))
    return lines[1].split(), [line.split() for line in lines[2 : end + 1]]


HEADERS = ["task", "items", "score", "95% CI", "count", "note"]
ROWS = [
    ["date_understanding", "48", "56.2%", "[42.3, 69.3]", "27/48", ""],
    ["formal_fallacies", "48", "54.2%", "[40.3, 67.4]", "26/48", ""],
    ["navigate", "48", "62.5%", "[48.4, 74.8]", "30/48", ""],
]


def test_an_empty_column_goes_before_the_interval(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 61 columns wide with the empty note, 55 without: at 58 the note goes, not the interval
    assert dropped_columns(HEADERS, ROWS, 58, expendable=("95% CI",)) == []
    monkeypatch.setenv("COLUMNS", "58")
    emit_table(HEADERS, ROWS, "table", expendable=("95% CI",))
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["task", "items", "score", "95%", "CI", "count"], out
    assert "date_understanding" in out and "not shown" not in out, out  # nothing to say
    # a note column someone wrote in is a column like any other
    written = [[*r[:-1], "checked"] for r in ROWS]
    assert dropped_columns(HEADERS, written, 58, expendable=("95% CI",)) == ["95% CI"]


def test_narrow_slices_leave_out_the_empty_note_not_the_names(store: Path) -> None:
    out = _cli(store, "slices", "--run", "math-base")
    header, rows = _table(out)
    assert max(map(len, out.splitlines())) <= 80, out
    assert "note" not in header and header[-2:] == ["count", "pass@128"], out
    # names whole, or cut no shorter than a readable name (was m…al…bra with the note removed)
    assert all(len(r[0]) >= READABLE_NAME_WIDTH or "~" not in r[0] for r in rows), out
    assert "minerva_math_algebra" in out or "algebra" in [r[0] for r in rows], out
    said = " ".join(out.split())
    assert "not shown at 80 columns: 95% CI," in said and "note (shown" not in said, out
    assert "(shown: 5 of 14 columns;" in said, out  # the empty note is not counted
    # 10 columns more: the interval comes back and the names stay readable (it went, and
    # the names were cut to mi~algebra, while the empty note kept its room)
    out = _cli(store, "slices", "--run", "math-base", columns=90)
    header, rows = _table(out)
    assert max(map(len, out.splitlines())) <= 90, out
    assert "CI" in header and "note" not in header, out
    assert [r[0] for r in rows][:3] == ["aime", "algebra", "counting_and_prob"], out
    # one row per slice: the one-slice table keeps its interval at 80 too
    out = _cli(store, "slices", "--run", "math-base", "--by", "benchmark")
    header, _ = _table(out)
    assert "CI" in header and "note" not in header and "pass@128" in header, out


def test_an_empty_note_goes_before_a_name_is_cut(store: Path) -> None:
    """A table too wide leaves out its empty note before it cuts a name (its 6 columns kept
    ``logical_deduction_three_objects`` to ``logical_~three_objects``); a table that fits
    keeps it."""
    out = _cli(store, "slices", "--run", "bbh-base")
    header, rows = _table(out)
    assert max(map(len, out.splitlines())) <= 80, out
    assert "note" not in header and header[-1] == "lenient" and "CI" in header, out
    assert "logical_deduction_three_objects" in [r[0] for r in rows], out
    assert "not shown" not in out, out
    wide = _cli(store, "slices", "--run", "bbh-base", columns=120)
    header, rows = _table(wide)
    assert header[-1] == "note", wide
    assert "bbh_cot_fewshot_logical_deduction_three_objects" in [r[0] for r in rows], wide


def test_console_samples_cut_with_the_tables_mark(store: Path) -> None:
    task = "bbh_cot_fewshot_boolean_expressions"
    args = ("samples", "--run", "bbh-base", "--task", task, "--limit", "8")
    out = _cli(store, *args)
    rows = [line for line in out.splitlines()[2:] if line[:1].isdigit()]
    assert len(rows) == 8, out
    assert all("..." not in line for line in out.splitlines()[:12]), out
    assert "~not False and False or False." in rows[0], out
    fancy = _cli(store, *args, term="xterm-256color")
    assert "…not False and False or False." in fancy, fancy


def test_console_titles_are_ascii(store: Path) -> None:
    for args in (
        ("slices", "--run", "math-base"),
        ("samples", "--run", "bbh-base", "--limit", "3"),
        ("compare", "bbh-base", "bbh-eos-masked"),
        ("slices", "--run", "math-base", "--format", "md"),
    ):
        out = _cli(store, *args)
        assert out.isascii(), [c for c in out if not c.isascii()]
    title = _cli(store, "slices", "--run", "math-base").splitlines()[0]
    assert title == "math-base by task - filter none", title
    md = _cli(store, "slices", "--run", "math-base", "--format", "md").splitlines()[0]
    assert md == "### math-base by task - filter none", md
    fancy = _cli(store, "slices", "--run", "math-base", term="xterm-256color")
    assert fancy.splitlines()[0] == "math-base by task · filter none", fancy
