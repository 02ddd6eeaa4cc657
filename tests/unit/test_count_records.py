"""count_records: the records of a .jsonl input counted by its lines, across read buffers."""

from pathlib import Path

from capslice_tui.workspace.interrupt import count_records


def test_lines_counted_across_buffers_and_a_last_line_without_newline(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    a.write_bytes(b'{"x": 1}\n' * 300_000)  # 2.7 MB: several 1 MB reads
    b = tmp_path / "b.jsonl"
    b.write_bytes(b'{"x": 1}\n{"x": 2}')  # the last record has no newline
    empty = tmp_path / "c.jsonl"
    empty.write_bytes(b"")
    assert count_records([str(a), str(b), str(empty)]) == 300_002


def test_not_told_for_other_layouts(tmp_path: Path) -> None:
    c = tmp_path / "a.csv"
    c.write_text("x\n1\n")
    assert count_records([str(c)]) is None
    assert count_records([str(tmp_path / "missing.jsonl")]) is None
