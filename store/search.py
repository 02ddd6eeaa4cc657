"""Text search over samples: SQLite FTS5 with the trigram tokenizer, built per run on demand.

Three FTS5 tables (migration ``0016_search``) hold what a search reads: ``sample_fts`` (each
sample's response, rowid = ``samples.id``), ``prompt_fts`` (each distinct prompt, rowid =
``texts.rowid``) and ``target_fts`` (each item's target, rowid = ``items.id``).
``search_index`` records which runs are indexed and at what sample count. A run is indexed the
first time someone searches it (:func:`build_index`, in bounded batches with progress); a run
whose sample count changed since (re-ingest) is indexed again. The trigram tokenizer matches
any substring of three characters or more, so a Chinese phrase is found inside a sentence
without word segmentation (it needs SQLite >= 3.34). A shorter query, or an SQLite without
trigram, falls back to ``LIKE`` over the same three texts (a full scan of the run; the caller
says so with :func:`search_note`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

MIN_TRIGRAM_CHARS = 3
BATCH = 20_000

SEARCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS search_index (
    run_id INTEGER PRIMARY KEY,
    n_samples INTEGER NOT NULL,     -- runs.n_samples when the index was built
    built_at TEXT NOT NULL
);
"""
FTS_TABLES = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS sample_fts USING fts5(response, tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS prompt_fts USING fts5(text, tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS target_fts USING fts5(target, tokenize='trigram')",
)


SEARCH_TABLES = ("search_index", "sample_fts", "prompt_fts", "target_fts")


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
            " ('sample_fts', 'prompt_fts', 'target_fts')"
        ).fetchone()[0]
        == 3
    )


def create_tables(conn: sqlite3.Connection) -> None:
    """Migration body: the bookkeeping table always; the FTS5 tables when SQLite has trigram
    (otherwise searches use ``LIKE``)."""
    conn.execute(SEARCH_SCHEMA)
    if sqlite3.sqlite_version_info < (3, 34, 0):
        return
    try:
        for sql in FTS_TABLES:
            conn.execute(sql)
    except sqlite3.OperationalError:  # built without FTS5
        for name in ("sample_fts", "prompt_fts", "target_fts"):
            conn.execute(f"DROP TABLE IF EXISTS {name}")


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
    one batch); ``progress(done, total)`` after each. Rows a deleted run left at the same ids
    are replaced, so results never show another run's text.

    Raises:
        StoreError: no trigram FTS5 in this SQLite (callers check :func:`index_state` first).
    """
    from .db import StoreError, now_iso

    conn = store.conn
    if not trigram_available(conn):
        raise StoreError("this SQLite has no FTS5 trigram tokenizer; search uses LIKE instead")
    lo, hi, total = conn.execute(
        "SELECT min(id), max(id), count(*) FROM samples WHERE run_id = ?", (run_id,)
    ).fetchone()
    done = 0
    if progress is not None:
        progress(0, total)
    start = lo or 0
    while lo is not None and start <= hi:
        with store.write() as w:
            ids = [
                r[0]
                for r in w.execute(
                    "SELECT id FROM samples WHERE run_id = ? AND id >= ? ORDER BY id LIMIT ?",
                    (run_id, start, BATCH),
                )
            ]
            if not ids:
                break
            first, last = ids[0], ids[-1]
            w.execute("DELETE FROM sample_fts WHERE rowid BETWEEN ? AND ?", (first, last))
            w.execute(
                "INSERT INTO sample_fts (rowid, response) SELECT id, coalesce(response, '')"
                " FROM samples WHERE run_id = ? AND id BETWEEN ? AND ?",
                (run_id, first, last),
            )
            w.execute(
                "INSERT INTO prompt_fts (rowid, text) SELECT t.rowid, t.text FROM texts t"
                " WHERE t.hash IN (SELECT DISTINCT prompt_hash FROM samples WHERE run_id = ?"
                " AND id BETWEEN ? AND ?) AND t.rowid NOT IN (SELECT rowid FROM prompt_fts)",
                (run_id, first, last),
            )
            w.execute(
                "INSERT INTO target_fts (rowid, target) SELECT i.id, coalesce(i.target, '')"
                " FROM items i WHERE i.id IN (SELECT DISTINCT item_id FROM samples"
                " WHERE run_id = ? AND id BETWEEN ? AND ?)"
                " AND i.id NOT IN (SELECT rowid FROM target_fts)",
                (run_id, first, last),
            )
        done += len(ids)
        start = last + 1
        if progress is not None:
            progress(done, total)
    with store.write() as w:
        w.execute(
            "INSERT OR REPLACE INTO search_index (run_id, n_samples, built_at)"
            " SELECT id, n_samples, ? FROM runs WHERE id = ?",
            (now_iso(), run_id),
        )
    return done


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


def search_clause(conn: sqlite3.Connection, text: str) -> tuple[str, list[Any]]:
    """SQL condition (on ``samples s``) matching samples whose response, prompt or target
    contains ``text`` (case-insensitive for ASCII letters), with its parameters."""
    needle = text.strip()
    if uses_index(conn, needle):
        phrase = '"' + needle.replace('"', '""') + '"'
        return (
            "(s.id IN (SELECT rowid FROM sample_fts WHERE sample_fts MATCH ?)"
            " OR s.prompt_hash IN (SELECT t.hash FROM texts t WHERE t.rowid IN"
            " (SELECT rowid FROM prompt_fts WHERE prompt_fts MATCH ?))"
            " OR s.item_id IN (SELECT rowid FROM target_fts WHERE target_fts MATCH ?))",
            [phrase, phrase, phrase],
        )
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return (
        "(s.response LIKE ? ESCAPE '\\'"
        " OR s.prompt_hash IN (SELECT hash FROM texts WHERE text LIKE ? ESCAPE '\\')"
        " OR s.item_id IN (SELECT id FROM items WHERE target LIKE ? ESCAPE '\\'))",
        [pattern, pattern, pattern],
    )
