"""Text search over samples: SQLite FTS5 trigram indexes narrow the rows, ``LIKE`` decides.

Three contentless FTS5 tables (migration ``0020_search``: ``content=''``, ``detail=none``)
hold the trigrams of the texts a search reads: ``sample_fts`` (each sample's response, rowid
= ``samples.id``), ``prompt_fts`` (each distinct prompt, rowid = ``texts.rowid``) and
``target_fts`` (each item's target, rowid = ``items.id``). ``search_prompts`` records each
(prompt, item) pair of the indexed runs and ``search_targets`` each indexed target (a prompt
or target shared by many runs is indexed once); ``search_index`` records which runs are
indexed, at what sample count and up to which sample id. A run is indexed the first time
someone searches it (:func:`build_index`, in batches with progress); a run whose sample
count changed since (a resumed or repeated ingest) is brought up to date.

A search for three characters or more asks the index for the rows holding a set of the
text's trigrams that covers every character (the trigram tokenizer needs no word
segmentation, so a Chinese phrase is found inside a sentence; SQLite >= 3.34) and keeps those
whose text contains it (``LIKE``, case-insensitive for ASCII letters). The index only narrows
the rows ``LIKE`` reads, so the answer is the ``LIKE`` answer whatever the index holds: a
stale entry (a deleted run's ids, a sample indexed twice) only widens the candidates. Without
positions or a copy of the texts the index is small (~70 MB for a 200k-sample run of
600-character responses and 300-character prompts) and quick to build (~24 s of CPU on this
2-core machine; the earlier full-detail index, which anti-joined each batch against the FTS
table, had not finished in 15 minutes). A shorter query, or an SQLite without trigram, uses
``LIKE`` alone (a full scan of the run; the caller says so with :func:`search_note`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

MIN_TRIGRAM_CHARS = 3
BATCH = 20_000
FEW = 5_000  # candidate rows a search always reads by id (see search_clause)
FEW_SHARE = 0.25  # ... or this share of the run's samples
MAX_TERMS = 12  # trigrams asked of the index per search (see fts_query)

SEARCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_index (
    run_id INTEGER PRIMARY KEY,
    n_samples INTEGER NOT NULL,     -- runs.n_samples when the index was built
    last_id INTEGER,                -- the largest samples.id indexed
    built_at TEXT NOT NULL
);
"""
_FTS = "tokenize='trigram', content='', detail=none"  # no columnsize=0: scannable
FTS_TABLES = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS sample_fts USING fts5(response, {_FTS})",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS prompt_fts USING fts5(text, {_FTS})",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS target_fts USING fts5(target, {_FTS})",
)
MARK_TABLES = (
    # each (prompt, item) pair of the indexed runs: texts.rowid in prompt_fts, and the item a
    # sample with that prompt answers (a search reaches those samples by (run_id, item_id))
    "CREATE TABLE IF NOT EXISTS search_prompts (id INTEGER NOT NULL, item_id INTEGER NOT NULL,"
    " PRIMARY KEY (id, item_id)) WITHOUT ROWID",
    # items.id whose target is in target_fts
    "CREATE TABLE IF NOT EXISTS search_targets (id INTEGER PRIMARY KEY)",
)
FTS_NAMES = ("sample_fts", "prompt_fts", "target_fts")
SEARCH_TABLES = ("search_index", *FTS_NAMES, "search_prompts", "search_targets")


def is_search_table(name: str) -> bool:
    """True for the search index's tables (and FTS5's shadow tables, ``sample_fts_data``...):
    derived data a copy of the store leaves out (each run is indexed again on its first
    search)."""
    return any(name == t or name.startswith(t + "_") for t in SEARCH_TABLES)


def trigram_available(conn: sqlite3.Connection) -> bool:
    """True when this SQLite has FTS5 with the trigram tokenizer (3.34+) and the tables exist."""
    return (
        conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE name IN"
            " ('sample_fts', 'prompt_fts', 'target_fts', 'search_prompts', 'search_targets')"
        ).fetchone()[0]
        == 5
    )


def create_tables(conn: sqlite3.Connection) -> None:
    """Migration body: the bookkeeping table always; the FTS5 tables and their markers when
    SQLite has trigram (otherwise searches use ``LIKE``)."""
    conn.execute(SEARCH_SCHEMA)
    if sqlite3.sqlite_version_info < (3, 34, 0):
        return
    try:
        for sql in (*FTS_TABLES, *MARK_TABLES):
            conn.execute(sql)
    except sqlite3.OperationalError:  # built without FTS5
        for name in (*FTS_NAMES, "search_prompts", "search_targets"):
            conn.execute(f"DROP TABLE IF EXISTS {name}")


def recreate_tables(conn: sqlite3.Connection) -> None:
    """Migration ``0020_search``: drop the search tables of ``0016_search`` (full-detail FTS5
    holding a copy of every text, and no ``last_id``) and create these; every run is indexed
    again on its next search."""
    for name in (*FTS_NAMES, "search_prompts", "search_targets", "search_index"):
        conn.execute(f"DROP TABLE IF EXISTS {name}")
    create_tables(conn)


def index_state(conn: sqlite3.Connection, run_id: int) -> str:
    """``ready`` (indexed at the run's current size), ``stale`` (indexed, run changed since),
    ``missing`` (never indexed) or ``unavailable`` (no trigram FTS5: LIKE is used)."""
    if not trigram_available(conn):
        return "unavailable"
    row = conn.execute(
        "SELECT x.n_samples, r.n_samples FROM search_index x JOIN runs r ON r.id = x.run_id"
        " WHERE x.run_id = ?",
        (run_id,),
    ).fetchone()
    if row is None:
        return "missing"
    return "ready" if row[0] == row[1] else "stale"


def build_index(store: Any, run_id: int, progress: Callable[[int, int], None] | None = None) -> int:
    """Index one run's responses, prompts and targets for search; returns samples indexed.

    Batches of ``BATCH`` samples, each its own write transaction (other writers wait at most
    one batch): the batch's responses, and its prompts and targets not yet indexed (a prompt
    or target shared with another run is indexed once); ``progress(done, total)`` in samples
    after each. A stale run (more samples since) indexes only the samples after the last one
    indexed when none of those was removed since, else all of its samples again.

    Raises:
        StoreError: no trigram FTS5 in this SQLite (callers check :func:`index_state` first).
    """
    from .db import StoreError, now_iso

    conn = store.conn
    if not trigram_available(conn):
        raise StoreError("this SQLite has no FTS5 trigram tokenizer; search uses LIKE instead")
    start = _first_unindexed(conn, run_id)
    total, hi = conn.execute(
        "SELECT count(*), max(id) FROM samples WHERE run_id = ? AND id >= ?", (run_id, start)
    ).fetchone()
    done = 0
    if progress is not None:
        progress(0, total)
    while hi is not None and start <= hi:
        with store.write() as w:
            n, last = w.execute(
                "SELECT count(*), max(id) FROM (SELECT id FROM samples WHERE run_id = ?"
                " AND id >= ? ORDER BY id LIMIT ?)",
                (run_id, start, BATCH),
            ).fetchone()
            if not n:
                break
            span = (run_id, start, last)
            w.execute(
                "INSERT INTO sample_fts (rowid, response) SELECT id, response FROM samples"
                " WHERE run_id = ? AND id BETWEEN ? AND ? AND response IS NOT NULL",
                span,
            )
            _index_prompts(w, span)
            targets = json.dumps([r[0] for r in w.execute(
                "SELECT DISTINCT item_id FROM samples WHERE run_id = ? AND id BETWEEN ? AND ?"
                " AND item_id NOT IN (SELECT id FROM search_targets)",
                span,
            )])  # fmt: skip
            w.execute(
                "INSERT INTO target_fts (rowid, target) SELECT id, target FROM items"
                " WHERE id IN (SELECT value FROM json_each(?)) AND target IS NOT NULL",
                (targets,),
            )
            w.execute(
                "INSERT OR IGNORE INTO search_targets SELECT value FROM json_each(?)", (targets,)
            )
        done += n
        start = last + 1
        if progress is not None:
            progress(done, total)
    with store.write() as w:
        w.execute(
            "INSERT OR REPLACE INTO search_index (run_id, n_samples, last_id, built_at)"
            " SELECT id, n_samples, (SELECT max(id) FROM samples WHERE run_id = ?), ?"
            " FROM runs WHERE id = ?",
            (run_id, now_iso(), run_id),
        )
    return done


def _index_prompts(w: sqlite3.Connection, span: tuple[int, int, int]) -> None:
    """Index the prompts of the samples in ``span`` (run_id, first id, last id) that no
    indexed run used yet, and record each new (prompt, item) pair (in the caller's
    transaction)."""
    pairs = w.execute(
        "SELECT DISTINCT t.rowid, s.item_id FROM samples s JOIN texts t ON t.hash = s.prompt_hash"
        " WHERE s.run_id = ? AND s.id BETWEEN ? AND ? AND NOT EXISTS (SELECT 1 FROM"
        " search_prompts p WHERE p.id = t.rowid AND p.item_id = s.item_id)",
        span,
    ).fetchall()
    if not pairs:
        return
    ids = json.dumps(sorted({p[0] for p in pairs}))
    w.execute(
        "INSERT INTO prompt_fts (rowid, text) SELECT id, text FROM prompt_texts"
        " WHERE id IN (SELECT value FROM json_each(?))"
        " AND id NOT IN (SELECT id FROM search_prompts)",
        (ids,),
    )
    w.executemany("INSERT OR IGNORE INTO search_prompts (id, item_id) VALUES (?, ?)", pairs)


def _first_unindexed(conn: sqlite3.Connection, run_id: int) -> int:
    """The sample id to index from: after the last one indexed when the run only gained
    samples since (a resumed ingest), else the run's first (0)."""
    row = conn.execute(
        "SELECT n_samples, last_id FROM search_index WHERE run_id = ?", (run_id,)
    ).fetchone()
    if row is None or row[1] is None:
        return 0
    kept = conn.execute(
        "SELECT count(*) FROM samples WHERE run_id = ? AND id <= ?", (run_id, row[1])
    ).fetchone()[0]
    return int(row[1]) + 1 if kept == row[0] else 0


def fts_query(text: str) -> str:
    """The FTS5 query for rows holding ``text`` (>= 3 characters): its trigrams, each quoted,
    joined by AND. At most :data:`MAX_TERMS`, chosen to cover every character (every third
    trigram and the last); any row containing ``text`` holds them all."""
    grams = [text[i : i + 3] for i in range(len(text) - 2)]
    picked = grams[::3] + ([grams[-1]] if (len(grams) - 1) % 3 else [])
    if len(picked) > MAX_TERMS:  # a long text: spread the terms over it
        step = (len(picked) - 1) / (MAX_TERMS - 1)
        picked = [picked[round(k * step)] for k in range(MAX_TERMS)]
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in dict.fromkeys(picked))


def uses_index(conn: sqlite3.Connection, text: str) -> bool:
    """True when a search for ``text`` reads the FTS5 index (trigram available and at least
    three characters); otherwise it scans with ``LIKE``."""
    return trigram_available(conn) and len(text.strip()) >= MIN_TRIGRAM_CHARS


def search_note(conn: sqlite3.Connection, text: str) -> str | None:
    """Why a search scans instead of using the index (None when it uses the index)."""
    if uses_index(conn, text):
        return None
    if not trigram_available(conn):
        return (
            f"SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer (needs 3.34+): "
            "searching with LIKE, a full scan of the run"
        )
    return (
        f"{text.strip()!r} is shorter than {MIN_TRIGRAM_CHARS} characters: searching with "
        "LIKE, a full scan of the run"
    )


def search_clause(store: Any, text: str, run_id: int) -> tuple[str, list[Any]]:
    """SQL condition (on ``samples s`` of run ``run_id``) matching samples whose response,
    prompt or target contains ``text`` (``LIKE``: case-insensitive for ASCII letters), with
    its parameters.

    With the index (:func:`uses_index`), when the index names few rows (at most
    :data:`FEW_SHARE` of the run's samples, or :data:`FEW` rows) the condition is
    ``s.id IN`` the ids found from those candidates (responses by sample id, prompts by
    (run, item) then the sample's prompt, targets by (run, item)): ``LIKE`` reads only them
    and a rare text never scans the run. Otherwise each sample of the scan is checked against the candidates, so a page
    of a common text stops at its last row instead of collecting every match first.
    """
    conn = store.conn
    needle = text.strip()
    like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if not uses_index(conn, needle):
        return (
            "(s.response LIKE ? ESCAPE '\\'"
            " OR s.prompt_hash IN (SELECT hash FROM prompt_texts WHERE text LIKE ? ESCAPE '\\')"
            " OR s.item_id IN (SELECT id FROM items WHERE target LIKE ? ESCAPE '\\'))",
            [like, like, like],
        )
    query = fts_query(needle)
    lo, hi = store._run_id_range(run_id)
    n_run = conn.execute("SELECT n_samples FROM runs WHERE id = ?", (run_id,)).fetchone()
    few = int(max(FEW, (n_run[0] if n_run else 0) * FEW_SHARE))
    hits = sum(
        conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ?{bound} LIMIT ?)",
            (query, *ids, few + 1),
        ).fetchone()[0]
        for fts, bound, ids in (
            ("sample_fts", " AND rowid BETWEEN ? AND ?", (lo or 0, hi or 0)),
            ("prompt_fts", "", ()),
            ("target_fts", "", ()),
        )
    )
    responses = "SELECT rowid FROM sample_fts WHERE sample_fts MATCH ? AND rowid BETWEEN ? AND ?"
    prompts = "SELECT rowid FROM prompt_fts WHERE prompt_fts MATCH ?"
    targets = "SELECT rowid FROM target_fts WHERE target_fts MATCH ?"
    if hits <= few:
        return (
            f"s.id IN (SELECT x.id FROM samples x WHERE x.id IN ({responses})"
            " AND x.run_id = ? AND x.response LIKE ? ESCAPE '\\'"
            " UNION SELECT x.id FROM prompt_texts t JOIN search_prompts p ON p.id = t.id"
            " JOIN samples x ON x.run_id = ? AND x.item_id = p.item_id"
            f" AND x.prompt_hash = t.hash WHERE t.id IN ({prompts})"
            " AND t.text LIKE ? ESCAPE '\\'"
            " UNION SELECT x.id FROM items i JOIN samples x ON x.run_id = ? AND x.item_id = i.id"
            f" WHERE i.id IN ({targets}) AND i.target LIKE ? ESCAPE '\\')",
            [query, lo, hi, run_id, like, run_id, query, like, run_id, query, like],
        )
    return (
        f"((s.id IN ({responses}) AND s.response LIKE ? ESCAPE '\\')"
        " OR s.prompt_hash IN (SELECT t.hash FROM prompt_texts t"
        f" WHERE t.id IN ({prompts}) AND t.text LIKE ? ESCAPE '\\')"
        " OR s.item_id IN (SELECT i.id FROM items i"
        f" WHERE i.id IN ({targets}) AND i.target LIKE ? ESCAPE '\\'))",
        [query, lo, hi, like, query, like, query, like],
    )
