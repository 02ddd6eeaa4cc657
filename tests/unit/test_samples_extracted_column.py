"""``capslice samples``' answer columns (fresh-user walk): an extracted cell is never blank
(``-`` when no answer was extracted or the log kept none, said in a note), and capslice's
lenient answer shows in a ``lenient`` column where it reads another answer than the
extracted one; at a narrow width that column goes first."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.formatting import LENIENT_NOTE, NO_ANSWER_NOTE, answer_text, lenient_cell
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

RUN = "bbh-eos-masked"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's bbh run whose harness extracted nothing ('' or [invalid]) from truncated
    responses, where capslice's lenient extraction reads an answer."""
    path = tmp_path_factory.mktemp("extracted") / "s.db"
    Workspace(path).ingest(
        [sample_data_dir() / "lm_eval" / RUN], run=RUN, benchmark="bbh", step=110_000
    )
    return path


def _table(store: Path, width: int, *args: str) -> list[str]:
    res = CliRunner().invoke(
        main,
        ["--store", str(store), "samples", "--run", RUN, "--failing", *args],
        env={"COLUMNS": str(width)},
    )
    assert res.exit_code == 0, res.output
    return res.output.splitlines()


def _column(lines: list[str], name: str) -> dict[str, str]:
    """sample id -> the cell under header ``name`` (columns are left-aligned)."""
    head = next(i for i, line in enumerate(lines) if line.startswith("id "))
    start = lines[head].index(name)
    end = start + len(name)
    while end < len(lines[head]) and lines[head][end] == " ":
        end += 1
    out = {}
    for line in lines[head + 1 :]:
        word = line.split(" ", 1)[0]
        if word.isdigit():
            out[word] = line[start:end].strip()
        elif word:  # a note: the table ended (a wrapped response's line starts blank)
            break
    return out


def test_no_extraction_shows_a_marker_and_the_lenient_answer(store: Path) -> None:
    with sqlite3.connect(store) as conn:
        blank = {
            str(i): le
            for i, le in conn.execute(
                "SELECT id, lenient_extracted FROM samples WHERE score = 0 AND "
                "trim(coalesce(extracted, '')) = '' ORDER BY id"
            )
        }
    assert len(blank) >= 5  # the case the walk met
    lines = _table(store, 120, "--limit", "200")
    extracted, lenient = _column(lines, "extracted"), _column(lines, "lenient")
    shown = [i for i in blank if i in extracted]
    assert shown, lines[:5]
    for i in shown:
        assert extracted[i] == "-", (i, lines)
        # what capslice's lenient extraction read, where the harness read nothing
        assert lenient[i] == (blank[i] or ""), (i, blank[i], lines)
    assert all(extracted.values()), "an extracted cell is never blank"
    text = " ".join(" ".join(lines).split())
    assert NO_ANSWER_NOTE in text and LENIENT_NOTE in text


def test_the_lenient_column_goes_first_when_narrow(store: Path) -> None:
    lines = _table(store, 60, "--limit", "5")
    head = next(line for line in lines if line.startswith("id "))
    assert "extracted" in head and "lenient" not in head, lines
    assert "lenient" in " ".join(lines)  # said as left out


def test_the_cells_are_the_apps_too() -> None:
    # the same answers read alike: no lenient cell (B is (B), 142 is $\boxed{142}$)
    assert lenient_cell({"extracted": "(B)", "lenient_extracted": "B", "lenient": 0.0}) == ""
    row = {"extracted": "$\\boxed{142}$", "lenient_extracted": "142", "lenient": 0.0}
    assert lenient_cell(row) == ""
    row = {"extracted": "True, and let me", "lenient_extracted": "True", "lenient": 1.0}
    assert lenient_cell(row) == "True"
    assert lenient_cell({"extracted": "[invalid]", "lenient_extracted": None, "lenient": 0}) == ""
    assert lenient_cell({"extracted": "7", "lenient_extracted": None, "lenient": 0.0}) == "-"
    # no lenient extraction for the item (scored by checks): nothing to say
    assert lenient_cell({"extracted": "7", "lenient_extracted": None, "lenient": None}) == ""
    assert answer_text(None) == answer_text(" ") == "-"
    assert answer_text("[invalid]") == "[invalid]"  # as the harness logged it


def test_sample_shows_a_dash_where_nothing_was_extracted(store: Path) -> None:
    """`capslice sample ID` says '-' as the samples table does (was a blank field)."""
    with sqlite3.connect(store) as db:
        (sid,) = db.execute(
            "SELECT id FROM samples WHERE COALESCE(extracted, '') = '' "
            "AND lenient_extracted IS NOT NULL LIMIT 1"
        ).fetchone()
    res = CliRunner().invoke(main, ["--store", str(store), "sample", str(sid)])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if "extracted (" in x)
    assert line.rstrip().endswith(": -"), line
