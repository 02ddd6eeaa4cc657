"""Generic logs: rows repeating an item id and response, no sample index (d52e4b9 follow-up).

d52e4b9 read every such repeat as the earlier sample again (walk 17 F6: a log with rows written
twice). A sampled math run logged one row per generation repeats short answers ("The answer is
$\\boxed{3}$." 7 times of 8): its 144 samples were stored as 96 and the item mean 43.8% showed
as 50.0%. The way is now decided per file: an item with two different responses means several
samples per item, every row kept; else the repeats are copies, counted once.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest import read_paths
from capslice_tui.ingest.records import SampleRecord

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "walk17"


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read(*paths: Path) -> tuple[list[str], list[SampleRecord]]:
    ctx, stream = read_paths(list(paths))
    good = [r for r in stream if isinstance(r, SampleRecord)]
    return ctx.run_meta.get("reader_notes", []), good


def math_rows() -> list[dict]:
    """The narrow-tables math-base shape: 24 docs x 2 tasks, 8 or 2 rows each, one right."""
    return [
        {"task": task, "doc_id": doc, "target": "7",
         "response": f"The answer is $\\boxed{{{7 if k == 0 else 3}}}$."}
        for task in ("minerva_math_num_theory", "minerva_math_algebra")
        for doc in range(24)
        for k in range(8 if doc < 4 else 2)
    ]  # fmt: skip


def test_a_sampled_file_keeps_identical_short_responses_as_samples(tmp_path: Path) -> None:
    path = write(tmp_path / "mb.jsonl", math_rows())
    notes, good = read(path)
    assert len(good) == 144
    by_item: dict[tuple[str, str], list[int]] = {}
    for r in good:
        by_item.setdefault((r.task, r.doc_id), []).append(r.sample_idx)
    assert all(v == list(range(len(v))) for v in by_item.values())
    assert any(
        n.startswith("48 rows with no sample index repeat an earlier row's item id and response")
        and "several different responses: every row is a sample (pass@k)" in n
        for n in notes
    ), notes
    assert not any("read as duplicates" in n for n in notes)
    store = tmp_path / "s.db"
    res = CliRunner().invoke(
        main, ["--store", str(store), "ingest", "--run", "r", "--benchmark", "math", str(path)]
    )
    assert res.exit_code == 0, res.output
    assert "144 new samples" in res.output, res.output


def test_the_first_identical_repeat_looks_at_the_whole_file(tmp_path: Path) -> None:
    """Item a's rows agree, item b's (later) differ: the file is sampled, a's rows both kept."""
    rows = [
        {"id": "a", "answer": "3", "response": "3", "correct": 1},
        {"id": "a", "answer": "3", "response": "3", "correct": 1},
        {"id": "b", "answer": "4", "response": "4", "correct": 1},
        {"id": "b", "answer": "4", "response": "5", "correct": 0},
    ]
    notes, good = read(write(tmp_path / "x.jsonl", rows))
    assert [(r.doc_id, r.sample_idx) for r in good] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    assert any("1 row with no sample index repeats" in n and "every row is a sample" in n
               for n in notes), notes  # fmt: skip


def test_a_file_whose_repeats_all_agree_counts_them_once(tmp_path: Path) -> None:
    notes, good = read(FIXTURES / "dup.jsonl")
    assert [r.sample_idx for r in good] == [0] * 14  # 4 repeats: the ingest counts them once
    assert any(
        n.startswith("4 rows with no sample index repeat an earlier row's item id and response")
        and "no item of their file has two different responses: read as duplicates" in n
        for n in notes
    ), notes
    assert not any("every row is a sample" in n for n in notes)


def test_the_way_is_decided_per_file(tmp_path: Path) -> None:
    sampled = write(tmp_path / "mb.jsonl", math_rows())
    notes, good = read(FIXTURES / "dup.jsonl", sampled)
    assert len(good) == 14 + 144
    assert [r.sample_idx for r in good[:14]] == [0] * 14
    assert any("4 rows with" in n and "read as duplicates" in n for n in notes), notes
    assert any("48 rows with" in n and "every row is a sample" in n for n in notes), notes
