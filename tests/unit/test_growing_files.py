"""A log still being written is never stored as a complete run.

A file that changes (grows, is touched or replaced) while it is read, or that ends in a torn
record, gives an incomplete run that says how many records were read and why; ingesting it
again once the job has finished completes it. The change is played deterministically from
``_io.after_read_hook`` (called once the reader has reached the end of the file, before it
checks the file again).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from capslice_tui.ingest import _io
from capslice_tui.workspace import Workspace

TS = "2026-01-01T00-00-00.000000"


def _line(doc_id: int) -> str:
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": {"question": f"What is {doc_id} + 1?", "answer": f"#### {doc_id + 1}"},
            "target": f"#### {doc_id + 1}",
            "arguments": {"gen_args_0": {"arg_0": f"Q{doc_id}", "arg_1": {"until": ["Q"]}}},
            "resps": [[f"It is {doc_id + 1}. #### {doc_id + 1}"]],
            "filtered_resps": [str(doc_id + 1)],
            "filter": "strict-match",
            "metrics": ["exact_match"],
            "exact_match": 1.0,
        }
    )


def _write(folder: Path, docs: range, compressed: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(_line(d) + "\n" for d in docs)
    if compressed:
        path = folder / f"samples_gsm8k_{TS}.jsonl.gz"
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path = folder / f"samples_gsm8k_{TS}.jsonl"
        path.write_text(text)
    return path


def _appender(path: Path, docs: range, compressed: bool = False):
    """A hook that appends ``docs`` to ``path`` the first time the reader reaches its end
    (the job writing the log is still running)."""
    fired: list[Path] = []

    def hook(seen: Path) -> None:
        if seen == path and not fired:
            fired.append(seen)
            more = "".join(_line(d) + "\n" for d in docs).encode()
            with path.open("ab") as fh:
                fh.write(gzip.compress(more) if compressed else more)

    return hook


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_file_growing_while_read_is_incomplete_then_completed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compressed: bool
) -> None:
    path = _write(tmp_path / "logs", range(10), compressed)
    size = path.stat().st_size
    monkeypatch.setattr(_io, "after_read_hook", _appender(path, range(10, 15), compressed))
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([tmp_path / "logs"], run="r")
    assert report.runs == {"r": 10} and report.n_torn == 1 and report.n_bad == 0
    (run,) = ws.runs()
    assert run["status"].startswith("incomplete")
    reason = run["incomplete_reason"]
    assert f"the file changed while it was read (size {size:,} -> " in reason
    assert "10 records read, later ones were not" in reason
    assert "incomplete trailing record" not in reason  # no record was cut: the file grew
    assert any("the run is marked incomplete" in n for n in report.notes)

    monkeypatch.setattr(_io, "after_read_hook", None)  # the job has finished
    again = ws.ingest([tmp_path / "logs"], run="r")
    assert again.runs == {"r": 5} and again.n_torn == 0
    (run,) = ws.runs()
    assert run["status"] == "complete" and run["n_samples"] == 15
    ws.store.close()


def test_touched_or_replaced_file_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "logs", range(4))

    def touch(seen: Path) -> None:
        st = seen.stat()
        os.utime(seen, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

    monkeypatch.setattr(_io, "after_read_hook", touch)
    records = list(_io.iter_jsonl(path))
    last = records[-1][1]
    assert getattr(last, "torn", False) and "its modification time changed" in last.reason
    assert "4 records read" in last.reason

    def replace(seen: Path) -> None:
        other = seen.with_suffix(".new")
        other.write_bytes(seen.read_bytes())
        other.replace(seen)

    monkeypatch.setattr(_io, "after_read_hook", replace)
    last = list(_io.iter_jsonl(path))[-1][1]
    assert getattr(last, "torn", False) and "it was replaced by another file" in last.reason


def test_json_array_growing_while_read_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"a": 1}, {"a": 2}, {"a": 3}]))
    monkeypatch.setattr(_io, "after_read_hook", lambda seen: seen.write_text("[]" * 100))
    out = list(_io.iter_json_records(path))
    assert [o for _, o in out if isinstance(o, dict)] == [{"a": 1}, {"a": 2}, {"a": 3}]
    last = out[-1][1]
    assert last.torn and "3 records read" in last.reason and "size " in last.reason


def test_unchanged_file_is_complete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "logs", range(3))
    calls: list[Path] = []
    monkeypatch.setattr(_io, "after_read_hook", calls.append)
    assert all(isinstance(o, dict) for _, o in _io.iter_jsonl(path))
    assert calls == [path]  # the check ran, and found nothing


def test_torn_final_line_is_incomplete_with_the_count(tmp_path: Path) -> None:
    path = _write(tmp_path / "logs", range(6))
    with path.open("a") as fh:
        fh.write(_line(6)[:40])  # the job was killed while writing record 7
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([tmp_path / "logs"], run="r")
    assert report.runs == {"r": 6} and report.n_torn == 1 and report.n_bad == 0
    (run,) = ws.runs()
    assert run["status"] == "incomplete"
    assert "1 incomplete trailing record skipped" in run["incomplete_reason"]
    assert ":7: invalid JSON" in run["incomplete_reason"]
    ws.store.close()


def test_csv_growing_while_read_is_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.csv"
    path.write_text("task_id,completion_id,completion,passed\nT/0,0,a,passed\nT/1,0,b,failed\n")

    def grow(seen: Path) -> None:
        with seen.open("a") as fh:
            fh.write("T/2,0,c,passed\n")

    monkeypatch.setattr(_io, "after_read_hook", grow)
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([path], run="r")
    assert report.runs == {"r": 2} and report.n_torn == 1
    (run,) = ws.runs()
    assert run["status"].startswith("incomplete")
    assert "the file changed while it was read" in run["incomplete_reason"]
    assert "2 records read" in run["incomplete_reason"]
    ws.store.close()
