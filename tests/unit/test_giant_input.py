"""Bounded memory on any input: a giant line is streamed, every stored text is capped.

The thresholds are lowered (a line over 64 KB is streamed, strings over 16 KB in it are kept as
head and tail) so a 5 MB field takes the path a 250 MB one takes in production;
benchmarks/giant_line.py measures the real sizes under an address-space limit.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.analysis.failure_modes import classify, final_answer_evidence
from capslice_tui.cli import main
from capslice_tui.ingest import _io, bounded
from capslice_tui.ingest.bounded import CappedText, cap_text, scan_long_line, view_text
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.ingest import MAX_ANSWER_CHARS, MAX_RESPONSE_CHARS

TS = "2026-01-01T00-00-00.000000"
LOOP = "Wait, let me recompute this step by step once more from the start. "
FIELD_CHARS = 5_000_000


@pytest.fixture()
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "LINE_LIMIT", 64 * 1024)
    monkeypatch.setattr(bounded, "STREAM_STRING_BYTES", 16 * 1024)
    monkeypatch.setattr(_io, "_CHUNK", 50_001)  # pieces that cut escapes and characters


def _line(doc_id: int, response: str, em: float, doc_extra: str = "") -> str:
    doc = {"question": f"What is 6 + 7? (case {doc_id})", "answer": "6 + 7 = 13\n#### 13"}
    if doc_extra:
        doc["passage"] = doc_extra
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": doc,
            "target": "6 + 7 = 13\n#### 13",
            "arguments": {"gen_args_0": {"arg_0": f"Question: q{doc_id}\nAnswer:",
                                         "arg_1": {"until": ["Question:"]}}},
            "resps": [[response]],
            "filtered_resps": [response if doc_id == 1 else "[invalid]"],
            "filter": "none" if doc_id == 1 else "strict-match",
            "metrics": ["exact_match"],
            "exact_match": em,
        }
    )  # fmt: skip


def _giant_logs(folder: Path, compressed: bool = False, torn: bool = False) -> tuple[Path, str]:
    """A gsm8k samples file: two ordinary lines and one whose response is a 5 MB loop (and
    whose doc carries a 1 MB passage); returns the folder and the loop."""
    giant = (LOOP * (FIELD_CHARS // len(LOOP) + 1))[:FIELD_CHARS]
    lines = [
        _line(0, "6 + 7 = 13. #### 13", 1.0),
        _line(2, giant, 0.0, doc_extra="é" * 1_000_000),
        _line(3, "6 + 7 = 12. #### 12", 0.0),
    ]
    text = "\n".join(lines) + "\n"
    if torn:
        text = "\n".join(lines[:2]) + "\n" + lines[1][: len(lines[1]) // 2]
    folder.mkdir(parents=True, exist_ok=True)
    name = f"samples_gsm8k_{TS}.jsonl"
    if compressed:
        (folder / (name + ".gz")).write_bytes(gzip.compress(text.encode()))
    else:
        (folder / name).write_text(text)
    return folder, giant


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_giant_field_is_streamed_capped_scored_and_classified(
    tmp_path: Path, small_limits: None, compressed: bool
) -> None:
    folder, giant = _giant_logs(tmp_path / "logs", compressed)
    ((path),) = list(folder.iterdir())
    records = [obj for _, obj in _io.iter_jsonl(path) if isinstance(obj, dict)]
    assert [r["doc_id"] for r in records] == [0, 2, 3]
    kept = records[1]["resps"][0][0]
    assert isinstance(kept, CappedText)  # the streaming path read it, not a whole-line parse
    assert kept.full_chars == FIELD_CHARS
    assert kept.sha256 == hashlib.sha256(giant.encode()).hexdigest()
    assert (
        kept.head() == giant[: bounded.KEEP_CHARS] and kept.tail() == giant[-bounded.KEEP_CHARS :]
    )
    assert records[1]["doc"]["passage"].full_chars == 1_000_000  # a non-ASCII field too
    assert records[1]["doc"]["question"] == "What is 6 + 7? (case 2)"  # short strings whole

    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([folder], run="r")
    assert report.n_read == 3 and report.n_bad == 0 and report.n_torn == 0
    assert any("a line longer than 65.5 KB was read in a stream" in n for n in report.notes)
    rows, _ = ws.samples("r")
    big = ws.sample(next(r["id"] for r in rows if r["doc_id"] == "2"))
    assert big["response_chars"] == FIELD_CHARS
    assert big["response_sha256"] == hashlib.sha256(giant.encode()).hexdigest()
    assert len(big["response"]) == MAX_RESPONSE_CHARS
    assert big["response"].startswith(LOOP) and big["response"].endswith(giant[-1000:])
    assert re.search(
        r"\[\.\.\. 5\.0 MB more not stored: 4,9\d\d,\d\d\d of 5,000,000 ", big["response"]
    )
    assert big["score"] == 0.0 and big["failure_mode"] == "runaway"
    assert "repeated" in big["failure_reason"]
    assert len(big["doc"]["passage"]) == MAX_RESPONSE_CHARS
    assert "1.9 MB more not stored: 967,406 of 1,000,000 characters" in big["doc"]["passage"]
    assert len(big["lenient_extracted"] or "") <= MAX_ANSWER_CHARS
    ws.store.close()


def test_extracted_answer_of_a_whole_response_is_capped(tmp_path: Path, small_limits: None) -> None:
    """Filter "none" logs the whole response as the extraction: stored capped, scored."""
    giant = "13 " * 2_000_000
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text(_line(1, giant, 1.0) + "\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([folder], run="r")
    rows, _ = ws.samples("r")
    s = ws.sample(rows[0]["id"])
    assert s["score"] == 1.0 and s["failure_mode"] == "correct"
    assert len(s["extracted"]) == MAX_ANSWER_CHARS and "MB more not stored" in s["extracted"]
    assert s["response_chars"] == len(giant)
    ws.store.close()


def test_torn_giant_last_line_marks_the_run_incomplete(tmp_path: Path, small_limits: None) -> None:
    folder, _ = _giant_logs(tmp_path / "logs", torn=True)
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([folder], run="r")
    assert report.n_torn == 1 and report.n_bad == 0 and report.runs == {"r": 2}
    (run,) = ws.runs()
    assert run["status"].startswith("incomplete")
    ws.store.close()


def test_cli_sample_and_view_show_a_capped_text(tmp_path: Path, small_limits: None) -> None:
    folder, _ = _giant_logs(tmp_path / "logs")
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([folder], run="r")
    rows, _ = ws.samples("r")
    big_id = next(r["id"] for r in rows if r["doc_id"] == "2")
    ws.store.close()
    out = CliRunner().invoke(main, ["--store", str(store), "sample", str(big_id)])
    assert out.exit_code == 0, out.output
    assert len(out.output) < 200_000
    assert "MB more not stored" in out.output and "sha256" in out.output
    shown = view_text("x" * 3_000_000 + "END", 40_000)
    assert len(shown) == 40_000 and shown.endswith("END")
    # one unit, characters: no "3.0 MB more not shown: 2,960,... of ... characters"
    assert f" of {3_000_003:,} characters not shown here; sha256" in shown
    assert "MB" not in shown and "bytes" not in shown
    assert view_text("short") == "short"


def test_scanner_matches_the_parser_on_escapes_split_anywhere() -> None:
    """Escapes, surrogate pairs, multi-byte characters and escaped quotes cut at every chunk
    size decode exactly as orjson decodes the whole string."""
    rng = random.Random(7)
    pieces = ['a"b', "\\", "\n", "é", "€", "😀", "\t", "x y. ", "\u2028", "/"]
    text = "".join(rng.choice(pieces) for _ in range(6_000))
    line = json.dumps({"k": text, "n": [1, 2.5, None], "s": 'q"uote'}).encode()
    utf8_line = json.dumps({"k": text}, ensure_ascii=False).encode()
    for raw in (line, utf8_line):
        for size in (1, 2, 3, 5, 7, 11, 4093, 65536):
            chunks = [raw[i : i + size] for i in range(0, len(raw), size)] if size > 1 else [raw]
            scan = scan_long_line(iter(chunks), string_bytes=100, keep=500)
            value = scan.fill(json.loads(scan.skeleton))
            got = value["k"]
            assert isinstance(got, CappedText)
            assert got.full_chars == len(text)
            assert got.sha256 == hashlib.sha256(text.encode()).hexdigest()
            assert got.head() == text[:500] and got.tail() == text[-500:]
            if raw is line:
                assert value["n"] == [1, 2.5, None] and value["s"] == 'q"uote'


def test_lone_surrogate_in_a_long_string_is_replaced_and_noted(
    tmp_path: Path, small_limits: None
) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"doc_id": 1, "k": "' + "ab" * 200_000 + '\\ud83d!"}\n')
    out = list(_io.iter_jsonl(path))
    assert any(getattr(o, "reason", "") == _io.NOTE_SURROGATE for _, o in out)
    (obj,) = [o for _, o in out if isinstance(o, dict)]
    assert obj["k"].tail().endswith("ab\ufffd!")


def test_classifier_is_bounded_on_a_huge_plain_text() -> None:
    """A 20 MB loop handed to the classifier whole (a line under the stream limit) is read
    through its head+tail window: a runaway, its length taken from the whole text."""
    giant = LOOP * (20_000_000 // len(LOOP))
    mode = classify(giant, "13", 0.0, "[invalid]", max_gen_toks=1000)
    assert mode.mode == "runaway" and f"{len(giant):,} chars" in mode.reason
    boxes = "\\boxed{" * 200_000 + "\\boxed{13}"
    assert final_answer_evidence(boxes) == "\\boxed{13}"


def test_cap_text_keeps_length_and_hash() -> None:
    text = "a" * 100_000 + "Z"
    capped = cap_text(text, 10_000)
    assert isinstance(capped, CappedText) and len(capped) == 10_000
    assert capped.full_chars == 100_001 and capped.endswith("Z") and capped.startswith("a")
    assert capped.sha256 == hashlib.sha256(text.encode()).hexdigest()
    again = cap_text(capped, 5_000)  # a capped text keeps the whole text's length and hash
    assert again.full_chars == 100_001 and again.sha256 == capped.sha256 and len(again) <= 5_000
    assert cap_text("short", 10_000) == "short" and cap_text(None, 10) is None


def test_sample_screen_shows_a_capped_view_of_an_old_store(tmp_path: Path) -> None:
    """A store written before texts were capped (a 5 MB response and lenient extraction)
    opens in the sample screen at once with a capped view, and ``b`` goes back."""
    import asyncio
    import sqlite3

    from textual.widgets import Static

    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens import sample_detail
    from capslice_tui.app.screens.sample_detail import SampleDetailScreen

    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text(_line(0, "6 + 7 = 12. #### 12", 0.0) + "\n")
    store = tmp_path / "s.db"
    ws = Workspace(store)
    ws.ingest([folder], run="r")
    ((row), *_), _ = ws.samples("r")
    ws.store.close()
    giant = LOOP * (FIELD_CHARS // len(LOOP) + 1)  # 5 MB
    with sqlite3.connect(store) as conn:
        conn.execute(
            "UPDATE samples SET response = ?, lenient_extracted = ? WHERE id = ?",
            (giant, giant, row["id"]),
        )

    async def check() -> None:
        app = make_app(store)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await app.push_screen(SampleDetailScreen(row["id"]))
            for _ in range(2):
                await app.workers.wait_for_complete()
                await pilot.pause()
            response = str(app.screen.query_one("#response", Static).render())
            assert (
                len(response) <= sample_detail.TEXT_CHARS + 100
                and "characters not shown here" in response
            )
            # the summary is a Hanging (wrapped when drawn): its text as drawn at 100 columns
            summary = app.screen.query_one("#summary", Static).content.lines(100).plain
            assert (
                "characters not shown here" in summary
                and len(summary) < 20 * sample_detail.FIELD_CHARS
            )
            await pilot.press("b")
            await pilot.pause()
            assert not isinstance(app.screen, SampleDetailScreen)

    asyncio.run(check())
