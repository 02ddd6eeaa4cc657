"""Text search over a run (store/search.py): the trigram index only narrows the rows, so every
search gives exactly the LIKE answer (ASCII case folded) over responses, prompts and targets;
a run that grew is brought up to date with its new samples only; a deleted run's id reused by
a new run is indexed again; a prompt shared by two runs is indexed once."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from capslice_tui.store import search

from capslice_tui.workspace import Workspace

TS = "2026-01-01T00-00-00.000000"
WORDS = [
    "苹果，他又买了三个",
    "The Answer is (B)",
    "the answer is (b)",
    "100% sure_thing",
    'she said "hello"',
    "ÄRGER und ärger",
    "x" * 40,
    "",
    "naïve café",
    "a\\b path",
]
ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _line(doc_id: int, response: str, prompt: str, target: str) -> str:
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": {"question": f"q{doc_id}", "answer": target},
            "target": target,
            "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["Q:"]}}},
            "resps": [[response]],
            "filtered_resps": [response[:5]],
            "filter": "none",
            "metrics": ["exact_match"],
            "exact_match": float(doc_id % 2),
        },
        ensure_ascii=False,
    )


def _texts(d: int) -> tuple[str, str, str]:
    """(response, prompt, target) of doc ``d``: mixes of WORDS so substrings repeat."""
    response = f"{WORDS[d % len(WORDS)]} then {WORDS[(d * 7) % len(WORDS)]} #{d}"
    prompt = f"Q: case {d % 13}: {WORDS[(d * 3) % len(WORDS)]}\nA:"
    target = f"target {WORDS[(d * 5) % len(WORDS)][:6]} {d % 4}"
    return response, prompt, target


def _write(folder: Path, docs: range) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    path.write_text("".join(_line(d, *_texts(d)) + "\n" for d in docs), encoding="utf-8")
    return path


def _expected(docs: range, needle: str) -> set[str]:
    want = needle.strip().translate(ASCII_FOLD)
    return {str(d) for d in docs if any(want in t.translate(ASCII_FOLD) for t in _texts(d))}


def _found(ws: Workspace, run: str, needle: str) -> set[str]:
    rows = ws.samples_page(run, search=needle, limit=10_000)
    assert ws.samples_count(run, search=needle) == len(rows)
    return {r["doc_id"] for r in rows}


NEEDLES = [
    "苹果，他又", "果，他", "answer is (B)", "ANSWER", "100%", "sure_thing", "_th", '"hello"',
    "ärger", "ÄRGER", "naïve café", "a\\b", "x" * 25, "then the", "case 7:", "target 100",
    "#12", "zzzqqq", "%", "ab", 'd "h',
]  # fmt: skip


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("search")
    ws = Workspace(root / "store.db")
    ws.ingest([_write(root / "a", range(300))], run="a")
    assert ws.ensure_search_index("a") is None
    return ws


@pytest.mark.parametrize("needle", NEEDLES)
@pytest.mark.parametrize("few", ["by id", "scan"])
def test_a_search_finds_exactly_what_like_finds(
    indexed: Workspace, needle: str, few: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if few == "scan":  # every sample of the run checked against the index's candidates
        monkeypatch.setattr(search, "FEW", 0)
        monkeypatch.setattr(search, "FEW_SHARE", 0)
    assert _found(indexed, "a", needle) == _expected(range(300), needle)


def test_the_index_narrows_the_rows_like_reads(indexed: Workspace) -> None:
    conn = indexed.store.conn
    assert search.uses_index(conn, "苹果，他又") and not search.uses_index(conn, "ab")
    # the FTS5 query alone (no LIKE) finds the rows holding the text's trigrams
    q = search.fts_query("answer is (B)")
    hits = conn.execute("SELECT count(*) FROM sample_fts WHERE sample_fts MATCH ?", (q,))
    assert 0 < hits.fetchone()[0] < 300
    assert search.fts_query("abcdefg") == '"abc" AND "def" AND "efg"'  # covers every character


def test_a_grown_run_indexes_only_its_new_samples(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([_write(tmp_path / "one", range(100))], run="a")
    ws.ensure_search_index("a")
    ws.ingest([_write(tmp_path / "two", range(100, 160))], run="a")  # a resumed ingest
    run_id = int(ws.store.get_run("a")["id"])
    assert search.index_state(ws.store.conn, run_id) == "stale"
    seen: list[tuple[int, int]] = []
    ws.ensure_search_index("a", lambda done, total: seen.append((done, total)))
    assert seen[-1] == (60, 60)
    assert search.index_state(ws.store.conn, run_id) == "ready"
    for needle in ("苹果，他又", "#150", "naïve café"):
        assert _found(ws, "a", needle) == _expected(range(160), needle)


def test_a_new_run_on_a_deleted_runs_id_is_indexed_again(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([_write(tmp_path / "one", range(50))], run="a")
    ws.ensure_search_index("a")
    old_id = int(ws.store.get_run("a")["id"])
    ws.delete_run("a")
    ws.ingest([_write(tmp_path / "two", range(1000, 1050))], run="b")
    assert int(ws.store.get_run("b")["id"]) == old_id  # SQLite reused the id
    assert search.index_state(ws.store.conn, old_id) == "missing"
    ws.ensure_search_index("b")
    for needle in ("#1049", "#10", "苹果，他又"):
        assert _found(ws, "b", needle) == _expected(range(1000, 1050), needle)


def test_a_prompt_shared_by_two_runs_is_indexed_once(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "store.db")
    logs = _write(tmp_path / "one", range(40))
    ws.ingest([logs], run="a")
    ws.ingest([logs], run="b")
    ws.ensure_search_index("a")
    conn = ws.store.conn
    marked = conn.execute("SELECT count(*) FROM search_prompts").fetchone()[0]
    seen: list[tuple[int, int]] = []
    ws.ensure_search_index("b", lambda done, total: seen.append((done, total)))
    assert seen[-1] == (40, 40)
    assert conn.execute("SELECT count(*) FROM search_prompts").fetchone()[0] == marked
    assert _found(ws, "b", "case 7:") == _expected(range(40), "case 7:")


def test_numeric_targets_sort_as_numbers_in_pages(tmp_path: Path) -> None:
    """Sorting samples by target: 9 < 10 < 100 (not "10" < "100" < "9"), numbers before other
    texts, the same order when paged forwards a few rows at a time and backwards."""
    targets = ["10", "9", "100", "-2", "3.5", "abc", "1e3", "07", "Z"]
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text(
        "".join(_line(d, f"r{d}", f"p{d}", t) + "\n" for d, t in enumerate(targets))
    )
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([folder], run="n")
    want = ["-2", "3.5", "9", "10", "100", "1e3", "07", "Z", "abc"]
    rows = ws.samples_page("n", sort="target", limit=100)
    assert [r["target"] for r in rows] == want
    assert [r["target"] for r in ws.samples_page("n", sort="target", descending=True)] == want[::-1]
    walked, key = [], None
    while page := ws.samples_page("n", sort="target", after=key, limit=2):
        walked += [r["target"] for r in page]
        key = (page[-1]["sort_key"], page[-1]["id"])
    assert walked == want
