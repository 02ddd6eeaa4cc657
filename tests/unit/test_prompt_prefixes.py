"""Prompts sharing a few-shot head are stored once per head (0024_prompt_prefixes) and read
whole everywhere: sample details, text search, the hub's prompt texts, export and import."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from capslice_tui.store import hub as store_hub
from capslice_tui.store.prompts import MIN_PREFIX_CHARS, PrefixBook

from capslice_tui.workspace import Workspace

HEAD = "".join(
    f"Q: worked example {i}: the zebra crossing counts {i * 7} stripes.\nA: {i}\n\n"
    for i in range(40)
)  # ~2.6 KB, a few-shot head whose words the questions do not use


def _prompt(d: int) -> str:
    return f"{HEAD}Q: question {d} about kettles and {d} spoons?\nA:"


def _write_log(folder: Path, n: int = 6) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    prompts = []
    lines = []
    for d in range(n):
        prompt = _prompt(d)
        prompts.append(prompt)
        doc = {"input": f"question {d}", "target": "A"}
        lines.append(
            json.dumps(
                {
                    "doc_id": d,
                    "doc": doc,
                    "target": "A",
                    "arguments": {
                        "gen_args_0": {
                            "arg_0": prompt,
                            "arg_1": {"until": ["Q"], "max_gen_toks": 64},
                        }
                    },
                    "resps": [["So the answer is A."]],
                    "filtered_resps": ["A"],
                    "filter": "get-answer",
                    "metrics": ["exact_match"],
                    "doc_hash": hashlib.sha256(json.dumps(doc).encode()).hexdigest(),
                    "exact_match": 1.0,
                }
            )
        )
    path = folder / "samples_bbh_cot_fewshot_kettles_2026-01-01T00-00-00.000000.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return prompts


@pytest.fixture
def ingested(tmp_path: Path) -> tuple[Workspace, list[str]]:
    prompts = _write_log(tmp_path / "logs")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([tmp_path / "logs"], run="r", benchmark="bbh")
    return ws, prompts


def test_book_splits_after_a_shared_head_only() -> None:
    book = PrefixBook()
    stored, prefixes, heads = book.split([_prompt(0), _prompt(1), "short prompt", HEAD])
    assert stored[0] == _prompt(0) and prefixes[0] is None  # the first is kept whole
    assert prefixes[1] is not None and HEAD + stored[1] == _prompt(1)
    assert heads == [(hashlib.sha256(HEAD.encode()).digest(), HEAD)]
    assert (stored[2], prefixes[2]) == ("short prompt", None)
    assert (stored[3], prefixes[3]) == (HEAD, None)  # the head itself: never its own prefix
    # a later batch: the head is known, so the first prompt met is split too
    stored, prefixes, heads = book.split([_prompt(7)])
    assert HEAD + stored[0] == _prompt(7) and len(heads) == 1


def test_book_needs_a_long_common_start() -> None:
    a = "x" * (MIN_PREFIX_CHARS - 10) + "\n" + "a" * 2000
    b = "x" * (MIN_PREFIX_CHARS - 10) + "\n" + "b" * 2000
    stored, prefixes, heads = PrefixBook().split([a, b])
    assert stored == [a, b] and prefixes == [None, None] and heads == []


def test_store_keeps_the_head_once_and_reads_prompts_whole(
    ingested: tuple[Workspace, list[str]],
) -> None:
    ws, prompts = ingested
    conn = ws.store.conn
    n_rows, n_split, stored_chars = conn.execute(
        "SELECT count(*), count(prefix), sum(length(text)) FROM texts"
    ).fetchone()
    assert (n_rows, n_split) == (len(prompts) + 1, len(prompts) - 1)
    assert stored_chars < 2 * len(HEAD) + 100 * len(prompts)
    rows, _ = ws.samples("r", limit=50)
    by_doc = {str(r["doc_id"]): ws.sample(int(r["id"]))["prompt"] for r in rows}
    assert by_doc == {str(d): p for d, p in enumerate(prompts)}


@pytest.mark.parametrize("needle", ["zebra crossing", "kettles and 4 spoons", "ze"])
def test_search_finds_text_in_the_head_and_in_the_rest(
    ingested: tuple[Workspace, list[str]], needle: str
) -> None:
    ws, prompts = ingested
    ws.ensure_search_index("r")  # "ze": shorter than a trigram, the LIKE path
    rows = ws.samples_page("r", search=needle, limit=50)
    expected = {d for d, p in enumerate(prompts) if needle in p}
    assert {int(r["doc_id"]) for r in rows} == expected and expected


def test_hub_and_export_carry_whole_prompts(
    ingested: tuple[Workspace, list[str]], tmp_path: Path
) -> None:
    ws, prompts = ingested
    texts = dict(store_hub.run_texts(ws.store, "r"))
    assert sorted(texts.values()) == sorted(prompts)
    assert all(h == hashlib.sha256(t.encode()).hexdigest() for h, t in texts.items())
    ws.export_to(tmp_path / "out", parquet=False)
    other = Workspace(tmp_path / "other.db")
    other.import_from(tmp_path / "out")
    got = {
        r[0].hex(): r[1] for r in other.store.conn.execute("SELECT hash, text FROM prompt_texts")
    }
    assert {h: got[h] for h in texts} == texts
