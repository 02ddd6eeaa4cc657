"""CSV rows whose quoting is broken are bad lines, never rows merged into one (walk 9, #13).

Python's csv module, in its default mode, reads a quote left open by swallowing every later
line into one field, and reads ``"x" y`` as ``x y``: rows are lost and a row gets another
row's cells, with exit status 0. Here such a row is a bad line named by the line its quote
opened on (nothing stored unless ``--skip-bad``), the lines the quote ran over are read again
as rows, and a row with an empty target and no correctness is refused rather than scored as a
wrong answer against ``''``.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest import read_paths
from capslice_tui.ingest.records import BadLine, SampleRecord

OPEN_QUOTE = Path(__file__).resolve().parents[1] / "fixtures" / "walk9" / "open_quote.csv"


def read(path: Path) -> tuple[list[SampleRecord], list[BadLine]]:
    _ctx, stream = read_paths([path])
    records = list(stream)
    good = [r for r in records if isinstance(r, SampleRecord)]
    return good, [r for r in records if isinstance(r, BadLine)]


def cli(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    return res.exit_code, res.output


def test_a_quote_open_at_the_end_of_the_file_is_a_bad_line_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.db"
    code, out = cli(store, "ingest", str(OPEN_QUOTE), "--run", "bad")
    assert code == 1
    assert f"{OPEN_QUOTE}:3: bad line: a quoted field opened on this line is never closed" in out
    assert "Nothing from this ingest was stored" in out
    code, out = cli(store, "runs", "--format", "json")
    assert code == 0 and "bad" not in [r["name"] for r in json.loads(out)]


def test_skip_bad_keeps_the_rows_the_open_quote_had_swallowed(tmp_path: Path) -> None:
    good, bad = read(OPEN_QUOTE)
    assert [(b.line, b.torn, b.note) for b in bad] == [(3, False, "")]
    assert "end of the file (line 4), taking in 1 later line" in bad[0].reason
    assert [(r.doc_id, r.response, r.target, r.source_line) for r in good] == [
        ("1", "The answer is 4", "4", 2),
        ("3", "x", "6", 4),
    ]


def test_a_quote_running_over_rows_and_closed_badly_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text('id,response,target\n1,a,4\n2,"unterminated,5\n3,"x",6\n4,y,7\n')
    good, bad = read(path)
    assert [b.line for b in bad] == [3]
    assert "runs over 1 later line and ends badly on line 4" in bad[0].reason
    assert [(r.doc_id, r.target) for r in good] == [("1", "4"), ("3", "6"), ("4", "7")]


def test_a_quote_closed_before_the_end_of_its_field_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text('id,response,target\n1,"x" y,4\n2,z,5\n')
    good, bad = read(path)
    assert [(b.line, b.reason.split(";")[0]) for b in bad] == [
        (2, "bad quoting: ',' expected after '\"'")
    ]
    assert [r.doc_id for r in good] == ["2"]


def test_a_row_with_too_few_cells_is_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    # the quote opens and closes properly, but takes the next row in: 2 cells under 3 names
    path.write_text('id,response,target\n1,"a\n2,b"\n3,c\n4,d,5\n')
    good, bad = read(path)
    assert [(b.line, b.reason) for b in bad][1] == (4, "row has 2 cells, the header 3")
    assert bad[0].line == 2 and "runs over 1 later line, which may be rows" in bad[0].reason
    assert [(r.doc_id, r.target) for r in good] == [("4", "5")]


def test_a_quoted_newline_in_a_whole_row_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text('id,response,target\n1,"line one\nthe answer is 4",4\n\n2,"say ""5""",5\n')
    good, bad = read(path)
    assert bad == []
    assert [(r.doc_id, r.response, r.source_line) for r in good] == [
        ("1", "line one\nthe answer is 4", 3),
        ("2", 'say "5"', 5),
    ]


def test_an_empty_target_without_a_correctness_is_refused_not_scored_wrong(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,response,target\n1,The answer is 4,4\n2,The answer is 5,\n")
    good, bad = read(path)
    assert [r.doc_id for r in good] == ["1"]
    assert [b.line for b in bad] == [3] and "cannot be scored" in bad[0].reason
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text('{"id": 1, "response": "4", "target": " "}\n')
    assert [b.line for b in read(jsonl)[1]] == [1]
    scored = tmp_path / "c.csv"  # a logged correctness stands behind the sample: no target needed
    scored.write_text("id,response,target,correct\n1,x,,1\n")
    good, bad = read(scored)
    assert bad == [] and [r.correct for r in good] == [1.0]


def test_a_header_with_broken_quoting_is_a_bad_line_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text('id,"response,target\n1,a,4\n')
    good, bad = read(path)
    assert good == [] and [b.line for b in bad] == [1]
    assert bad[0].reason.startswith("the header row: a quoted field opened on this line")
