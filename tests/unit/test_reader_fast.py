"""The lm-eval reader's fast paths give what its general paths give.

``iter_samples_file`` turns the common line (one generation, ``resps == [[text]]``) into its
record in ``lmeval._one_generation``, positionally and without the general tests; every other
line goes through ``lmeval._convert_any``, which handles one-generation lines too. Likewise
``_io.iter_jsonl`` parses a usual line inline and sends every other line (the first, blank,
unparsable, repaired, long) to ``_JsonlLines.other``. These tests read tricky lines both ways
and compare every field.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.ingest import _io, bounded, lmeval, reasoning
from capslice_tui.ingest.records import ReadContext, SampleRecord, TaskConfig

TS = "2026-01-01T00-00-00.000000"

_ARGS = {"gen_args_0": {"arg_0": "Q: 2+2?\nA:", "arg_1": {"until": ["Q:"]}}}
_BASE: dict[str, Any] = {
    "doc_id": 0,
    "doc": {"question": "2+2?", "level": 3},
    "target": "4",
    "arguments": _ARGS,
    "resps": [["The answer is 4."]],
    "filtered_resps": ["4"],
    "filter": "strict-match",
    "metrics": ["exact_match"],
    "doc_hash": "abc",
    "exact_match": 1.0,
}
# each a change to _BASE; None removes the key
_VARIANTS: list[dict[str, Any]] = [
    {},
    {"doc": "not a dict"},
    {"doc": None},
    {"doc": [1, 2]},
    {"doc": None, "target": None, "doc_hash": None, "filtered_resps": None},
    {"target": 4},
    {"target": ["a", "b"]},
    {"target": 1.5},
    {"doc_id": "item-α"},
    {"doc_id": 2.5},
    {"doc_id": None},
    {"doc_id": [3]},
    {"exact_match": float("nan")},  # written as NaN: read by the stdlib fallback
    {"exact_match": 2.0},
    {"exact_match": -0.0},
    {"exact_match": True},
    {"exact_match": 1},
    {"exact_match": "N/A"},
    {"exact_match": "0.5"},
    {"exact_match": None},
    {"exact_match": [1.0]},
    {"exact_match": {"v": 1}},
    {"exact_match": None, "acc": 0.25},
    {"metrics": []},
    {"metrics": ["acc", "exact_match"], "acc": 0.0},
    {"metrics": [1, "exact_match"]},
    {"metrics": [["nested"], "exact_match"]},  # a list among the names: skipped, not a crash
    {"metrics": "exact_match"},
    {"metrics": None, "acc": 1.0, "extra": "x"},
    {"metrics": ["missing_metric"]},
    {"filtered_resps": [["4", "5"]]},
    {"filtered_resps": [[]]},
    {"filtered_resps": []},
    {"filtered_resps": [5]},
    {"filtered_resps": "4"},
    {"arguments": {"gen_args_0": "not a dict"}},
    {"arguments": {"gen_args_0": {"arg_1": {}}}},
    {"arguments": {"arg_1": {"arg_0": "second"}, "arg_0": {"arg_0": "first"}}},
    {"arguments": {"arg_²": {"arg_0": "odd key"}, "arg_0": {"arg_0": "first"}}},
    {"arguments": [["prompt", {"until": []}]]},
    {"arguments": ["prompt", {"until": []}]},
    {"arguments": None},
    {"arguments": {}},
    {"resps": [["日本語 ✓ é 😀 <think>trace</think> 4"]]},
    {"resps": [["x" * 300_000]]},
    {"resps": [[""]]},
]


def _lines() -> list[dict[str, Any]]:
    lines = []
    for i, change in enumerate(_VARIANTS):
        line = {**_BASE, "doc_id": i, **change}
        lines.append({k: v for k, v in line.items() if v is not None or k in change and k != "doc"})
    return lines


def _write(folder: Path, lines: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    path.write_text(
        "".join(json.dumps(line, ensure_ascii=i % 2 == 0) + "\n" for i, line in enumerate(lines))
    )
    return path


def _fields(record: Any) -> tuple[Any, ...]:
    """Every field but ``settings``, which ``iter_samples_file`` sets after either path from
    the file's lines (a line's generation arguments against the first line's)."""
    return tuple(
        repr(getattr(record, name)) for name in SampleRecord.__slots__ if name != "settings"
    )


@pytest.mark.parametrize("metric_names", [[], ["acc"], ["prompt_level_strict_acc"]])
def test_fast_records_equal_the_general_path(tmp_path: Path, metric_names: list[str]) -> None:
    lines = _lines()
    path = _write(tmp_path, lines)
    ctx = ReadContext(tasks={"gsm8k": TaskConfig(task="gsm8k", metric_names=metric_names)})
    read = list(lmeval.iter_samples_file(path, "gsm8k", ctx))
    fast = [r for r in read if isinstance(r, SampleRecord)]
    (warning,) = [r for r in read if not isinstance(r, SampleRecord)]  # lines' other arg_1
    assert "3 of 41 lines carry other generation arguments" in warning.reason
    general: list[Any] = []
    for line_no, line in enumerate(json.loads(json.dumps(lines)), 1):  # as parsed from the file
        records = lmeval._convert_any(
            line, line["resps"], "gsm8k", "strict-match", "gsm8k", str(path), line_no, metric_names
        )
        general.extend(records if isinstance(records, list) else [records])
    assert len(fast) == len(_VARIANTS)
    assert [type(r).__name__ for r in fast] == ["SampleRecord"] * len(_VARIANTS)
    assert [_fields(r) for r in fast] == [_fields(r) for r in general]
    by_id = {r.doc_id: r for r in fast}
    assert by_id["0"].correct == 1.0 and by_id["0"].prompt == "Q: 2+2?\nA:"  # the base line
    assert by_id["1"].doc is None and by_id["item-α"].doc_id == "item-α"
    # the task names no generation settings: every line carries its own arguments'
    assert by_id["0"].settings == {"until": ("Q:",)}
    others = [r.settings for r in fast if r.settings not in (None, {"until": ("Q:",)})]
    assert others == [{}, {"until": ()}, {"until": ()}]  # arg_1 {} and the two until []


def _slow_items(path: Path) -> list[Any]:
    """What iter_jsonl gives, every line sent through the general per-line code."""
    state = _io._JsonlLines(str(path))
    items: list[Any] = []
    if _io.is_utf16(path):
        items.append((1, _io.BadLine(str(path), 1, _io.NOTE_UTF16, note="note")))
    n = 0
    with _io.open_binary(path) as fh:
        for n, raw in enumerate(_io._lines(fh, state.cut, _io.is_gzip(path)), 1):
            items.extend(state.other(n, raw))
    items.extend(state.end(n))
    return items


_RAW_LINES = [
    b'\xef\xbb\xbf{"doc_id": 0, "a": "bom"}\n',
    b'{"doc_id": 1, "a": "caf\xc3\xa9 \\ud83d\\ude00"}\r\n',
    b"\n",
    b"   \n",
    b'{"doc_id": 2, "a": "lone \\ud83d"}\n',
    b'{"doc_id": 3, "a": "bad \xff byte"}\n',
    b'{"doc_id": 4, "x": NaN}\n',
    b"[1, 2]\n",
    b'"just a string"\n',
    b"{not json}\n",
    b'{"doc_id": 5, "long": "' + b"y" * 5000 + b'"}\n',
    b'{"unclosed": [1, 2\n',  # invalid, not torn: a usual line follows it
    b'{"doc_id": 6, "a": "ok"}\n',
    b'{"doc_id": 7, "a": "cut',
]


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("last", ["torn", "blank after torn", "complete"])
def test_iter_jsonl_fast_equals_general(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gz: bool, last: str
) -> None:
    monkeypatch.setattr(bounded, "LINE_LIMIT", 4096)  # the 5 KB line is read in a stream
    monkeypatch.setattr(bounded, "STREAM_STRING_BYTES", 1024)
    monkeypatch.setattr(bounded, "KEEP_CHARS", 100)
    raw_lines = list(_RAW_LINES)
    if last == "blank after torn":
        raw_lines.append(b"\n\n")
    elif last == "complete":
        raw_lines[-1] = b'{"doc_id": 7, "a": "end"}'
    data = b"".join(raw_lines)
    path = tmp_path / "samples.jsonl"
    path.write_bytes(gzip.compress(data) if gz else data)
    fast = list(_io.iter_jsonl(path))
    assert repr(fast) == repr(_slow_items(path))
    kinds = [type(obj).__name__ for _, obj in fast]
    assert kinds.count("dict") == (8 if last == "complete" else 7)
    (long_text,) = [obj["long"] for _, obj in fast if isinstance(obj, dict) and "long" in obj]
    if not gz:  # a gzip stream is split from 1 MB pieces: this line comes whole from one
        assert isinstance(long_text, bounded.CappedText) and long_text.full_chars == 5000


def test_iter_jsonl_utf16_fast_equals_general(tmp_path: Path) -> None:
    path = tmp_path / "samples.jsonl"
    text = "".join(
        json.dumps({"doc_id": i, "a": "é ✓"}, ensure_ascii=False) + "\n" for i in range(5)
    )
    path.write_bytes(text.encode("utf-16"))
    fast = list(_io.iter_jsonl(path))
    assert repr(fast) == repr(_slow_items(path))
    assert [obj["doc_id"] for _, obj in fast if isinstance(obj, dict)] == [0, 1, 2, 3, 4]


def test_read_head_plain_gzip_cut_and_utf16(tmp_path: Path) -> None:
    data = b'{"doc_id": 0}\n' * 10_000  # 140 KB
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(_io.UTF8_BOM + data)
    assert _io.read_head(plain, 100_000) == data[: 100_000 - len(_io.UTF8_BOM)]
    packed = tmp_path / "packed.jsonl"
    packed.write_bytes(gzip.compress(data))
    assert _io.read_head(packed, 100_000) == data[:100_000]
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(gzip.compress(data)[:-40])  # a killed job: what came before the cut
    head = _io.read_head(cut, 1 << 20)
    assert 100_000 < len(head) < len(data) and data.startswith(head)
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes(data.decode().encode("utf-16"))
    assert _io.read_head(wide, 1000) == data[:1000]


@pytest.mark.parametrize("key", ["metrics", "other"])
def test_schema_variant_reads_a_first_line_over_64_kb(tmp_path: Path, key: str) -> None:
    first = {"doc_id": 0, "resps": [["x" * 100_000]], key: ["exact_match"]}  # key after 100 KB
    path = tmp_path / f"samples_gsm8k_{TS}.jsonl"
    path.write_text(json.dumps(first) + "\n" + json.dumps({"doc_id": 1}) + "\n")
    per_line = lmeval.schema_variant(path).startswith("lm-eval 0.4.8+")
    assert per_line == (key == "metrics")


_TRACES = [
    None,
    "",
    "plain answer 42",
    "a > b, so 3",
    "see [1] and [2]",
    *(f"{o}trace{c} answer" for o, c in reasoning._PAIRS),
    *(f"trace only{c}\n answer" for _, c in reasoning._PAIRS),
    "<think>never closed",
    "analysis thinking assistantfinal 7",
    "   \n analysis thinking assistantfinal 7",
    " " * 60 + "analysis x assistantfinal 7",  # starts past the first 64 characters
    "the analysis says assistantfinal 7",
    "<|begin_of_thought|>t<|end_of_thought|><|begin_of_solution|>9<|end_of_solution|>",
]


@pytest.mark.parametrize("text", _TRACES)
def test_apply_reasoning_shortcut_is_split_reasoning(text: str | None) -> None:
    trace, answer = reasoning.split_reasoning(text)
    for prior in (None, "earlier trace"):
        record = SampleRecord(task="t", doc_id="0", response=text, reasoning=prior)
        reasoning.apply_reasoning(record)
        if trace is None:
            assert (record.response, record.reasoning) == (text, prior)
        else:
            joined = trace if prior is None else f"{prior}\n\n{trace}"
            assert (record.response, record.reasoning) == (answer, joined)
    streamed = list(
        reasoning.split_stream(iter([SampleRecord(task="t", doc_id="0", response=text)]))
    )
    assert (streamed[0].response, streamed[0].reasoning) == (answer, trace)
