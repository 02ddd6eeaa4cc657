"""The ingest write path: one ingest per run, sample batches written in bounded IMMEDIATE
transactions (multi-row ``INSERT ... VALUES`` statements, :func:`insert_rows`; plain
``executemany`` was measured ~4x faster than sqlite-utils ``insert_all``, and these ~25%
faster again), truncation inference, rollback of an ingest that failed."""

from __future__ import annotations

import functools
import itertools
import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..vocabulary import AXES
from .aggregates import AggregatesMixin
from .compact import pack_doc, to_blob, to_hex
from .db import SQL_VARIABLES, chunks, current_user, now_iso, placeholders
from .runs import RunsMixin

if TYPE_CHECKING:
    from .prompts import PrefixBook

SAMPLE_COLUMNS = (
    "run_id",
    "item_id",
    "task",
    "filter",
    "doc_id",
    "sample_idx",
    "ingest_id",
    "prompt_hash",
    "response",
    "response_chars",
    "response_sha256",
    "extracted",
    "official",
    "score",
    "score_source",
    "lenient_extracted",
    "lenient",
    "failure_mode",
    "failure_reason",
    "failure_signals",
    "finish_reason",
    "n_output_tokens",
    "metrics",
    "settings_hash",
    "reasoning",
    "reasoning_chars",
)
_PROMPT = SAMPLE_COLUMNS.index("prompt_hash")
_SETTINGS = SAMPLE_COLUMNS.index("settings_hash")
# stored: the settings' eval_settings.id instead of their hash (0021_narrow_store)
_STORED_COLUMNS = tuple("settings_id" if c == "settings_hash" else c for c in SAMPLE_COLUMNS)


@functools.cache
def _insert_sample(columns: tuple[int, ...]) -> str:
    """The INSERT head (up to ``VALUES``) of sample rows that give the columns at ``columns``
    (positions in ``SAMPLE_COLUMNS``); the others are stored NULL (no column of ``samples``
    has a default), exactly as if given as None."""
    names = ", ".join(_STORED_COLUMNS[i] for i in columns)
    return f"INSERT OR IGNORE INTO samples ({names}) VALUES"


ROWS_PER_STATEMENT = 200
"""Rows of one multi-row ``INSERT ... VALUES (...), (...)`` (:func:`insert_rows`), fewer when
SQLite's limit of bound parameters would be passed."""


@functools.cache
def _values(row: str, rows: int) -> str:
    """``rows`` copies of ``row`` (``(?,?)``) joined by commas."""
    return ",".join([row] * rows)


def _variable_limit(conn: Any) -> int:
    """Bound parameters SQLite takes in one statement (``SQL_VARIABLES`` where the limit is
    not known: Python < 3.11), at most 32,000."""
    which = getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", None)
    if which is not None and hasattr(conn, "getlimit"):  # Python 3.11+
        return max(SQL_VARIABLES, min(conn.getlimit(which), 32_000))
    return SQL_VARIABLES


def insert_rows(
    conn: Any, head: str, columns: Sequence[Sequence[Any]], row: str | None = None
) -> None:
    """``head`` (an ``INSERT ... VALUES`` without its rows) for the rows whose values are
    ``columns`` (one sequence per column, equal lengths), as multi-row ``VALUES`` statements
    of up to :data:`ROWS_PER_STATEMENT` rows each. ``row`` is one row's values, one ``?`` per
    column (constants may stand between them: ``(?,'rule',?)``); default ``(?,?,...)``.

    Stores exactly what ``executemany`` of one row a statement stores, in the same order
    (rowids, ``OR IGNORE`` conflicts and ``total_changes`` alike), at less CPU: one statement
    step per 200 rows instead of one per row (measured on narrow sample rows, 20k samples,
    load ~1: ~5.7-6.1 -> ~4.3-4.6 us CPU per row). Every full statement has the same text, so
    SQLite's statement cache keeps it prepared."""
    width = len(columns)
    if not width or not len(columns[0]):
        return
    row = row or "(" + ",".join("?" * width) + ")"
    per = max(1, min(ROWS_PER_STATEMENT, _variable_limit(conn) // width))
    n = len(columns[0])
    for start in range(0, n, per):
        end = min(n, start + per)
        args = list(
            itertools.chain.from_iterable(zip(*(c[start:end] for c in columns), strict=True))
        )
        conn.execute(f"{head} {_values(row, end - start)}", args)


def _settings_ids(conn: Any, hashes: set[Any]) -> dict[Any, int | None]:
    """Settings hash (hex or 32 bytes, keyed as given) -> ``eval_settings.id`` for ``hashes``;
    None -> None, and an int (an ``eval_settings.id`` already) -> itself.

    Raises:
        ValueError: a hash has no settings row (write its settings in the same batch).
    """
    out: dict[Any, int | None] = {None: None}
    wanted = [h for h in hashes if h is not None and type(h) is not int]
    out.update((h, h) for h in hashes if type(h) is int)
    for chunk in chunks(wanted):
        keys = _keys_by_blob(chunk)
        for h, i in conn.execute(
            f"SELECT hash, id FROM eval_settings WHERE hash IN ({placeholders(chunk)})",
            list(keys),
        ):
            out[keys[h]] = int(i)
    missing = [h for h in wanted if h not in out]
    if missing:
        first = min(to_hex(h) or "" for h in missing)
        raise ValueError(f"evaluation settings {first} were not written with the samples")
    return out


def _blobs(hashes: Sequence[str | bytes | None]) -> list[bytes | None]:
    """:func:`.compact.to_blob` of each of ``hashes``: one C-level conversion when every value
    is a 64-character hex digest (a third of ``to_blob``'s cost, measured), the values as
    they are when every one is bytes (the stored form), else ``to_blob`` of each (bytes and
    None pass, anything else raises its ``ValueError``)."""
    try:
        out: list[bytes | None] = list(map(bytes.fromhex, hashes))  # type: ignore[arg-type]
    except TypeError:  # not all hex: bytes given as they are stored pass as they are
        if set(map(type, hashes)) == {bytes}:
            return list(hashes)  # type: ignore[arg-type]
        return [to_blob(h) for h in hashes]
    except ValueError:
        return [to_blob(h) for h in hashes]
    if out and (set(map(len, hashes)) != {64} or set(map(len, out)) != {32}):  # type: ignore[arg-type]
        return [to_blob(h) for h in hashes]  # not a digest (hex with spaces): to_blob says so
    return out


def _keys_by_blob(hashes: Sequence[str | bytes]) -> dict[bytes | None, Any]:
    """Stored form (32 bytes) -> the hash exactly as given (hex or bytes), for keying rows
    read back in the caller's form without converting each back to hex. Raises
    ``ValueError`` for a value that is not a digest (:func:`_blobs`)."""
    return dict(zip(_blobs(hashes), hashes, strict=True))


def _output_constraints(cur: Any, item_ids: list[int]) -> dict[int, str | None]:
    """Item id -> effective output_constraint (``item_axes``) of the sorted ``item_ids`` that
    have an ``item_axes`` row. Ids dense in their span (an ingest meets a benchmark's items,
    given ids together at their first ingest) are read as one range of ``item_axes`` in key
    order (measured ~1 us CPU less per item than a lookup each, 100k items); sparse ones are
    looked up by id."""
    if not item_ids:
        return {}
    lo, hi = item_ids[0], item_ids[-1]
    if hi - lo < 4 * len(item_ids):
        return dict(
            cur.execute(
                "SELECT item_id, output_constraint FROM item_axes WHERE item_id BETWEEN ? AND ?",
                (lo, hi),
            )
        )
    out: dict[int, str | None] = {}
    for chunk in chunks(item_ids, _lookup_chunk(cur.connection)):
        out.update(
            cur.execute(
                "SELECT item_id, output_constraint FROM item_axes"
                f" WHERE item_id IN ({placeholders(chunk)})",
                chunk,
            )
        )
    return out


def _lookup_chunk(conn: Any) -> int:
    """Hashes looked up per ``IN (...)`` statement: up to 5000 (measured ~10% less CPU per
    hash than 900), fewer when SQLite takes fewer bound parameters."""
    return min(5000, _variable_limit(conn))


_KEY = tuple(SAMPLE_COLUMNS.index(c) for c in ("run_id", "task", "filter", "doc_id", "sample_idx"))
_INGEST, _ITEM, _OFFICIAL, _SCORE, _RESPONSE = (
    SAMPLE_COLUMNS.index(c) for c in ("ingest_id", "item_id", "official", "score", "response")
)


def _changed_stored(conn: Any, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """The sample rows of ``rows`` (as inserted: item ids resolved) stored by an earlier
    ingest (another ``ingest_id``) with other data: another item under the key (its question
    or target changed), another logged score (``official``) or another response. Returned as
    ``(run_id, task, filter, doc_id, sample_idx, stored score, new score, response differs,
    item differs)`` each. capslice's own score is not compared: it changes with the extraction rules (``capslice
    rescore``), not with the data. One keyed read per chunk of rows, compared in SQL, so only
    the changed rows come back."""
    out: list[tuple[Any, ...]] = []
    width = 10  # the key (5), ingest_id, item_id, official, score, response
    # as many rows a statement as SQLite takes (fewer statements: measured ~2x cheaper on an
    # identical re-ingest than 100 rows each); SQL_VARIABLES where the limit is not known
    limit, which = SQL_VARIABLES, getattr(sqlite3, "SQLITE_LIMIT_VARIABLE_NUMBER", None)
    if which is not None and hasattr(conn, "getlimit"):  # Python 3.11+
        limit = max(limit, min(conn.getlimit(which), 32_000))
    for chunk in chunks(list(rows), max(1, limit // width)):
        values = ",".join(["(?,?,?,?,?,?,?,?,?,?)"] * len(chunk))
        args = [
            v
            for row in chunk
            for v in (*(row[k] for k in _KEY), row[_INGEST], row[_ITEM], row[_OFFICIAL],
                      row[_SCORE], row[_RESPONSE])
        ]  # fmt: skip
        out.extend(
            conn.execute(
                "WITH new (run_id, task, filter, doc_id, sample_idx, ingest_id, item_id,"
                f" official, score, response) AS (VALUES {values})"
                " SELECT s.run_id, s.task, s.filter, s.doc_id, s.sample_idx, s.score, new.score,"
                " s.response IS NOT new.response, s.item_id IS NOT new.item_id"
                " FROM new JOIN samples s ON s.run_id = new.run_id AND s.task = new.task"
                " AND s.filter = new.filter AND s.doc_id = new.doc_id"
                " AND s.sample_idx = new.sample_idx"
                " WHERE s.ingest_id IS NOT new.ingest_id AND (s.item_id IS NOT new.item_id"
                " OR s.official IS NOT new.official OR s.response IS NOT new.response)",
                args,
            ).fetchall()
        )
    return [tuple(r) for r in out]


assert len(AXES) == 4, "item_axes has four axis columns"
assert all(a.isidentifier() and a.isascii() for a in AXES), "axes are written into SQL"

# The item_axes rows of the items whose rule labels an ingest has just written (labels rowid
# > ?): each axis's value and ``sources`` listing the labelled axes only (0017), in AXES order,
# as ``json.dumps({axis: "rule", ...}, separators=(",", ":"))`` writes it ("{}": none).
# NOT INDEXED: the labels are read by rowid range (the planner would otherwise walk the whole
# (item_id, axis, source) index to group by item, every label of the store per batch).
_AXES_INSERT = (
    "INSERT OR IGNORE INTO item_axes (item_id, background_condition, task_type,"
    " solving_operation, output_constraint, sources) SELECT item_id, " + ", ".join(AXES)
)
# one label per item (the common case): its row straight from the label, no aggregate
_RULE_AXES_ONE = (
    "INSERT OR IGNORE INTO item_axes (item_id, background_condition, task_type,"
    " solving_operation, output_constraint, sources) SELECT item_id, "
    + ", ".join(f"CASE axis WHEN '{a}' THEN value END" for a in AXES)
    + ", CASE axis "
    + " ".join(f"WHEN '{a}' THEN '{{\"{a}\":\"rule\"}}'" for a in AXES)
    + " ELSE '{}' END FROM labels NOT INDEXED WHERE id > ?"
)
# several labels of an item: grouped (an aggregate per axis, ~1.5 us CPU per item, measured)
_RULE_AXES_GROUPED = (
    _AXES_INSERT
    + ", '{' || rtrim("
    + " || ".join(f"CASE WHEN {a} IS NULL THEN '' ELSE '\"{a}\":\"rule\",' END" for a in AXES)
    + ", ',') || '}' FROM (SELECT item_id, "
    + ", ".join(f"max(CASE axis WHEN '{a}' THEN value END) AS {a}" for a in AXES)
    + " FROM labels NOT INDEXED WHERE id > ? GROUP BY item_id)"
)


def _write_rule_labels(
    conn: Any, ids: dict[Any, int], rule_labels: Sequence[tuple[Any, str, str, str]]
) -> None:
    """The rule labels of items new in this batch (``ids``: hash -> id) and their
    ``item_axes`` rows, inside the caller's transaction.

    A new item has rule labels only, so they are its effective labels: its ``item_axes`` row
    is derived in SQL from the label rows just written (``INSERT ... SELECT``, no row built
    and bound per item; labels are ``NOT NULL``, so an axis is labelled when its value is
    not NULL). When every item has one label, each row comes from its label alone (measured
    ~2.8 -> ~0.3 us CPU per item against the rows built in Python); otherwise the labels are
    grouped per item (~1.5 us). An item whose labels are all on other axes than ``AXES`` gets
    a row with no axis (``{}``). A label (item, axis) given twice keeps its first value in
    ``labels`` and ``item_axes`` alike (``INSERT OR IGNORE``; the ingest gives one value per
    axis)."""
    at = now_iso()
    last = conn.execute("SELECT coalesce(max(id), 0) FROM labels").fetchone()[0]
    item_ids = [ids[h] for h, _, _, _ in rule_labels]
    insert_rows(
        conn,
        "INSERT OR IGNORE INTO labels (item_id, axis, value, source, origin, who, at) VALUES",
        (
            item_ids,
            [a for _, a, _, _ in rule_labels],
            [v for _, _, v, _ in rule_labels],
            [r for _, _, _, r in rule_labels],
            [at] * len(rule_labels),
        ),
        "(?,?,?,'rule',?,'taxonomy',?)",
    )
    one_each = len(set(item_ids)) == len(item_ids)
    conn.execute(_RULE_AXES_ONE if one_each else _RULE_AXES_GROUPED, (last,))


_WIDEN_RANGE = (
    "UPDATE ingests SET first_sample_id = coalesce(min(first_sample_id, ?1), ?1),"
    " last_sample_id = coalesce(max(last_sample_id, ?2), ?2) WHERE id = ?3"
)


def widen_sample_ranges(conn: Any, ranges: Sequence[tuple[int, int, int]]) -> None:
    """Widen the sample id range of ingests to hold new samples, inside the caller's
    transaction: ``ranges`` are ``(ingest id, smallest, largest sample id)``
    (``ingests.first_sample_id`` / ``last_sample_id``, 0025_ingest_sample_ranges; SQLite's
    two-argument min/max are NULL when one is, hence the ``coalesce``)."""
    conn.executemany(_WIDEN_RANGE, [(lo, hi, i) for i, lo, hi in ranges])


def max_sample_id(conn: Any) -> int:
    """The largest ``samples.id`` (0 when there is none): one seek to the table's end."""
    return int(conn.execute("SELECT coalesce(max(id), 0) FROM samples").fetchone()[0])


def note_new_samples(conn: Any, after: int, ingest_id: int | None = None) -> None:
    """Widen the id ranges of the ingests whose samples were just inserted without explicit
    ids (so above ``after``, the largest id before, :func:`max_sample_id`), inside the same
    transaction. With ``ingest_id`` (every new sample is that ingest's) the new ids are
    ``after + 1`` (SQLite gives a row without an id the largest + 1) to the largest, one seek
    (``min(id), max(id) ... WHERE id > ?`` reads every new row: measured 0.2 us a sample);
    otherwise grouped by ingest over the new rows (a read of those rows)."""
    if ingest_id is not None:
        hi = max_sample_id(conn)
        ranges = [(ingest_id, after + 1, hi)] if hi > after else []
    else:
        ranges = conn.execute(
            "SELECT ingest_id, min(id), max(id) FROM samples WHERE id > ? GROUP BY ingest_id",
            (after,),
        ).fetchall()
    widen_sample_ranges(conn, ranges)


def sample_range(conn: Any, ingest_id: int) -> tuple[int | None, int | None]:
    """``(first, last)`` sample id an ingest wrote (``(None, None)``: none, or unknown id)."""
    row = conn.execute(
        "SELECT first_sample_id, last_sample_id FROM ingests WHERE id = ?", (ingest_id,)
    ).fetchone()
    return (None, None) if row is None else (row[0], row[1])


def count_ingest_samples(conn: Any, ingest_id: int) -> int:
    """Samples stored by one ingest (0 for an unknown ingest id): those of its id range that
    carry its id (a read of the range's rows; no per-sample index since 0025)."""
    lo, hi = sample_range(conn, ingest_id)
    if lo is None:
        return 0
    return int(
        conn.execute(
            "SELECT count(*) FROM samples WHERE id BETWEEN ? AND ? AND ingest_id = ?",
            (lo, hi, ingest_id),
        ).fetchone()[0]
    )


INGEST_CACHE_KIB = 32 * 1024
"""Page cache of a connection that ingests, in KiB (SQLite's default is 2,000 KiB). The
unique indexes on item and prompt hashes take inserts at random places, and a 100k-sample
store's outgrow the default cache: replayed write path, narrow 100k, CPU us per sample,
medians of 3-4 interleaved at load ~4.3 (06:18-06:21 UTC): first checkpoint 20.8 -> 18.5 and
20.0 -> 18.6, next 9.1 -> 8.8 and 9.4 -> 8.9 (32 MiB; 8 MiB no better than the default,
128 MiB no better than 32)."""


def _raise_page_cache(conn: Any) -> None:
    """``PRAGMA cache_size`` of ``conn`` to :data:`INGEST_CACHE_KIB` unless it is larger
    already (a positive setting counts pages of ``PRAGMA page_size`` bytes)."""
    size = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    kib = -size if size < 0 else size * int(conn.execute("PRAGMA page_size").fetchone()[0]) // 1024
    if kib < INGEST_CACHE_KIB:
        conn.execute(f"PRAGMA cache_size=-{INGEST_CACHE_KIB}")


class IngestMixin(AggregatesMixin, RunsMixin):
    """Ingest bookkeeping and the sample batch writes (which refresh the aggregates of the runs
    they write)."""

    @functools.cached_property
    def _prefix_book(self) -> PrefixBook:
        """The shared prompt heads this store object's ingests met (store/prompts.py)."""
        from .prompts import PrefixBook  # here: read commands never write a prompt

        return PrefixBook()

    # ---- ingest bookkeeping -----------------------------------------------------------
    def begin_ingest(self, run_id: int) -> int:
        """Open an ingest record; every sample it writes carries its id (for rollback).

        Also raises this connection's page cache to at least :data:`INGEST_CACHE_KIB` (kept
        for the connection's life; SQLite takes the memory only as pages are read)."""
        _raise_page_cache(self.conn)
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO ingests (run_id, started_at, who, status) VALUES (?,?,?,?)",
                (run_id, now_iso(), current_user(), "running"),
            )
            return int(cur.lastrowid or 0)

    def write_batch(
        self,
        *,
        texts: Sequence[tuple[str | bytes, str]],
        items: Sequence[tuple[Any, str, str, str, str | None, str | None, str | None]],
        samples: Sequence[tuple[Any, ...]],
        rule_labels: Sequence[tuple[Any, str, str, str]] = (),
        settings: Sequence[tuple[str | bytes, str]] = (),
        item_ids: dict[Any, int] | None = None,
        changed: list[tuple[Any, ...]] | None = None,
    ) -> tuple[int, dict[Any, int]]:
        """Write one bounded batch of an ingest in a single transaction.

        Every hash (prompt text, item, settings) is a sha256 digest given either as
        64-character hex or as its 32 bytes (the stored form: no conversion here); an item's
        hash must be given in one form throughout (``items``, ``rule_labels``, the samples'
        ``item_id`` cells and ``item_ids`` keys are matched as given).

        Args:
            texts: ``(sha256, text)`` prompt texts, deduplicated by hash.
            items: ``(item_hash, benchmark, task, doc_id, question, target, doc_json)``;
                ``doc_json`` may be packed already (:func:`.compact.pack_doc`, which leaves a
                packed doc as it is).
            samples: tuples in ``SAMPLE_COLUMNS`` order. ``item_id`` is the item's hash
                (resolved here) or its id (an int: from ``item_ids``, used as it is);
                ``prompt_hash`` a hash or None; ``settings_hash`` a hash of settings in
                ``settings`` or stored earlier, its ``eval_settings.id`` (an int), or None.
                A batch whose item ids and settings are all ints skips their lookups.
            rule_labels: ``(item_hash, axis, value, rule_id)`` for items first seen here.
            settings: ``(sha256, settings JSON)`` evaluation settings, deduplicated by hash.
            item_ids: hash -> id of items already stored (from :meth:`known_items` or an
                earlier batch); samples of these items need no entry in ``items``.
            changed: when given, receives ``(run_id, task, filter, doc_id, sample_idx,
                stored score, new score, response differs, item differs)`` for each sample
                of ``samples`` that an earlier ingest stored with another logged score,
                response or item (question/target) under its key (the stored row is kept;
                :func:`_changed_stored`). Read only when some samples were not new, in the
                same transaction, so a first ingest (a next checkpoint) pays nothing for it.

        Returns:
            ``(new_samples, ids)``: how many samples were new, and hash (as given) -> item id
            of the items in ``items`` that were not in ``item_ids``.

        Raises:
            ValueError: a hash that is not a sha256 digest, sample rows of another width, or
                a settings hash with no settings row.
        """
        with self.write() as conn:
            # hashes stored as 32-byte blobs (0021_narrow_store)
            self._write_texts(conn, texts)
            conn.executemany(
                "INSERT OR IGNORE INTO eval_settings (hash, settings) VALUES (?, ?)",
                [(to_blob(h), s) for h, s in settings],
            )
            known = item_ids or {}
            fresh: dict[Any, Any] = {}  # hash -> row of the items not known, first row each
            for i in items:
                if i[0] not in known and i[0] not in fresh:
                    fresh[i[0]] = i
            # ids given here, as SQLite would (max + 1, in order): no SELECT of them back
            # (this transaction holds the write lock, so no other writer takes them meanwhile)
            first = int(conn.execute("SELECT coalesce(max(id), 0) + 1 FROM items").fetchone()[0])
            before = conn.total_changes
            if fresh:
                rows = list(fresh.values())
                insert_rows(
                    conn,
                    "INSERT OR IGNORE INTO items (id, item_hash, benchmark, task, doc_id,"
                    " question, target, doc) VALUES",
                    (
                        range(first, first + len(fresh)),
                        _blobs(list(fresh)),
                        *zip(*(i[1:6] for i in rows), strict=True),
                        [pack_doc(i[6], i[4], i[5]) for i in rows],
                    ),
                )
            ids: dict[Any, int] = {}
            if conn.total_changes - before == len(fresh):  # every one new: ids as given
                ids = dict(zip(fresh, range(first, first + len(fresh)), strict=True))
            else:  # some were stored already (by another ingest): ask the store
                for chunk in chunks(list(fresh)):
                    keys = _keys_by_blob(chunk)
                    for h, i in conn.execute(
                        "SELECT item_hash, id FROM items"
                        f" WHERE item_hash IN ({placeholders(chunk)})",
                        list(keys),
                    ):
                        ids[keys[h]] = i
            if rule_labels:
                _write_rule_labels(conn, ids, rule_labels)
            before = conn.total_changes
            new_id, old_id = ids.get, known.__getitem__  # ids are >= 1
            p, t = _PROMPT, _SETTINGS
            # column by column (zip in C, not a tuple built per row): item ids resolved, hashes
            # as blobs, settings as ids; a column None in every row is left out of the INSERT
            # (stored NULL all the same; measured ~1-2 us less per narrow sample, whose
            # truncation, reasoning, finish and failure-detail columns are mostly None)
            cols: list[Sequence[Any]] = list(zip(*samples, strict=True))
            after = 0
            if cols and len(cols) != len(SAMPLE_COLUMNS):
                raise ValueError(f"sample rows of {len(cols)} values, not {len(SAMPLE_COLUMNS)}")
            if cols:
                if set(map(type, cols[_ITEM])) != {int}:  # else every item id given as such
                    cols[_ITEM] = [
                        h if type(h) is int else new_id(h) or old_id(h) for h in cols[_ITEM]
                    ]
                cols[p] = _blobs(cols[p])
                if set(map(type, cols[t])) - {int, type(None)}:  # else ids (or None) given
                    sid = _settings_ids(conn, set(cols[t]))
                    cols[t] = [sid[h] for h in cols[t]]
                given = tuple(  # a first cell not None answers without counting
                    i for i, c in enumerate(cols) if c[0] is not None or c.count(None) != len(c)
                )
                after = max_sample_id(conn)
                insert_rows(conn, _insert_sample(given), [cols[i] for i in given])
            n_new = conn.total_changes - before
            if n_new:  # the ingests' sample id ranges (0025_ingest_sample_ranges)
                ingests = set(cols[_INGEST])
                note_new_samples(conn, after, ingests.pop() if len(ingests) == 1 else None)
            if changed is not None and n_new < len(samples):
                changed.extend(_changed_stored(conn, list(zip(*cols, strict=True))))
            return n_new, ids

    def _write_texts(self, conn: Any, texts: Sequence[tuple[str | bytes, str]]) -> None:
        """Insert prompt texts (``(sha256, text)``, ``INSERT OR IGNORE``), each after a
        shared few-shot head as its rest, the head a row of its own (store/prompts.py)."""
        if not texts:
            return
        stored, prefixes, heads = self._prefix_book.split([t for _, t in texts])
        hashes = _blobs([h for h, _ in texts])
        if heads:
            insert_rows(
                conn,
                "INSERT OR IGNORE INTO texts (hash, text) VALUES",
                ([h for h, _ in heads], [t for _, t in heads]),
            )
            insert_rows(
                conn,
                "INSERT OR IGNORE INTO texts (hash, text, prefix) VALUES",
                (hashes, stored, prefixes),
            )
        else:  # no head: prefix NULL all the same, one bound value less a row
            insert_rows(conn, "INSERT OR IGNORE INTO texts (hash, text) VALUES", (hashes, stored))

    def known_items(
        self, hashes: Sequence[str | bytes], ids: dict[Any, int] | None = None
    ) -> dict[Any, str | None]:
        """Items already stored among ``hashes``: hash -> effective output_constraint label.

        ``hashes`` are sha256 digests, as 64-character hex or as their 32 bytes (both forms
        may be mixed); each found item is keyed exactly as given (before 2026-12-01, hex
        given in upper case came back lower case; the ingest gives lower case). ``ids``,
        when given, receives hash -> item id of each item found, keyed alike.
        """
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples: no Row object per item
        found: dict[int, Any] = {}  # item id -> its hash as given
        for chunk in chunks(list(hashes), _lookup_chunk(self.conn)):
            keys = _keys_by_blob(chunk)
            for h, item_id in cur.execute(
                f"SELECT item_hash, id FROM items WHERE item_hash IN ({placeholders(chunk)})",
                list(keys),
            ):
                found[item_id] = keys[h]
        oc = _output_constraints(cur, sorted(found))
        if ids is not None:
            ids.update((key, item_id) for item_id, key in found.items())
        return {key: oc.get(item_id) for item_id, key in found.items()}

    def settings_ids(self, hashes: Sequence[str | bytes]) -> dict[Any, int]:
        """``eval_settings.id`` of each stored evaluation settings hash (hex or 32 bytes, keyed
        as given): what a sample's ``settings_hash`` cell may carry in :meth:`write_batch`
        instead of the hash once its settings are stored.

        Raises:
            ValueError: a hash has no settings row, or is not a sha256 digest.
        """
        found = _settings_ids(self.conn, set(hashes))
        return {h: i for h, i in found.items() if h is not None and i is not None}

    def stored_texts(self, hashes: Sequence[str | bytes]) -> set[Any]:
        """The prompt-text hashes among ``hashes`` that ``texts`` holds (texts are never
        removed, so a text found here needs no writing again), exactly as given (64-character
        hex or 32 bytes; as :meth:`known_items`)."""
        out: set[Any] = set()
        cur = self.conn.cursor()
        cur.row_factory = None
        for chunk in chunks(list(hashes), _lookup_chunk(self.conn)):
            keys = _keys_by_blob(chunk)
            for (h,) in cur.execute(
                f"SELECT hash FROM texts WHERE hash IN ({placeholders(chunk)})", list(keys)
            ):
                out.add(keys[h])
        return out

    def ingest_sample_count(self, ingest_id: int) -> int:
        """Samples stored by one ingest (0 for an unknown ingest id)."""
        return count_ingest_samples(self.conn, ingest_id)

    def finish_ingest(
        self, ingest_id: int, run_id: int, *, n_read: int, n_new: int, bad: list[str]
    ) -> None:
        """Mark an ingest committed and bring the run's aggregates up to date."""
        self.refresh_item_scores(run_id)
        with self.write() as conn:
            conn.execute(
                "UPDATE ingests SET finished_at = ?, status = 'committed', n_read = ?, n_new = ?,"
                " n_bad = ?, report = ? WHERE id = ?",
                (now_iso(), n_read, n_new, len(bad), json.dumps(bad[:1000]), ingest_id),
            )
            conn.execute(
                "UPDATE runs SET status = 'complete',"
                " n_samples = (SELECT count(*) FROM samples WHERE run_id = ?),"
                " n_bad = n_bad + ? WHERE id = ?",
                (run_id, len(bad), run_id),
            )

    def mark_run_incomplete(self, run_id: int, reason: str, notes: Sequence[str] = ()) -> None:
        """Set a committed run's status back to ``incomplete`` and say why in its meta
        (``meta.incomplete``); ``notes`` (what the ingest reported) go to ``meta.ingest_notes``.
        """
        self.merge_run_meta(run_id, {"incomplete": reason}, notes)
        with self.write() as conn:
            conn.execute("UPDATE runs SET status = 'incomplete' WHERE id = ?", (run_id,))

    def merge_run_meta(
        self, run_id: int, updates: dict[str, Any], notes: Sequence[str] = ()
    ) -> None:
        """Merge ``updates`` into a run's meta (new values win; None removes the key) and
        append ``notes`` not yet in ``meta.ingest_notes`` (the last 200 are kept)."""
        with self.write() as conn:
            row = conn.execute("SELECT meta FROM runs WHERE id = ?", (run_id,)).fetchone()
            meta = json.loads(row["meta"] or "{}") if row is not None else {}
            for key, value in updates.items():
                if value is None:
                    meta.pop(key, None)
                else:
                    meta[key] = value
            if notes:
                kept = list(meta.get("ingest_notes") or [])
                kept += [n for n in notes if n not in kept]
                meta["ingest_notes"] = kept[-200:]
            conn.execute(
                "UPDATE runs SET meta = ? WHERE id = ?", (json.dumps(meta, default=str), run_id)
            )

    def infer_truncation(
        self,
        run_id: int,
        min_samples: int = 20,
        near_max: float = 0.8,
        min_chars: int = 400,
        ends_cut: Callable[[str], str | None] | None = None,
    ) -> int:
        """Mark cap hits in tasks whose log gave no generation cap (``max_gen_toks``).

        Without a logged cap, a wrong answer whose response is within
        ``1 - near_max`` of the longest response of its task, and whose text is visibly cut
        (``ends_cut(response)`` returns a reason such as "ends mid-sentence"; without
        ``ends_cut``, the text does not end in ``.``, ``!``, ``?`` or ``)``) was most likely cut
        by the generator's cap: it becomes ``truncated`` with that reason. A response that ends
        in a complete final answer (``#### 37``) is not cut, however long. Runaways stay
        runaways (a loop that ran to the cap).
        Only tasks with at least ``min_samples`` samples and responses of at least
        ``min_chars`` characters (a cap below ~100 tokens is not plausible) are judged.
        Tokenisers vary in characters per token, hence the loose ``near_max``. Returns rows
        changed.
        """

        def cut_reason(text: str | None) -> str | None:
            if ends_cut is not None:
                return ends_cut(text or "")
            ends_clean = (text or "").rstrip()[-1:] in (".", "!", "?", ")")
            return None if ends_clean else "ends mid-sentence"

        uncapped = self.conn.execute(
            "SELECT 1 FROM run_tasks WHERE run_id = ? AND max_gen_toks IS NULL LIMIT 1", (run_id,)
        ).fetchone()
        if uncapped is None:  # every task logged its cap: nothing to infer, no run scan
            return 0
        with self.write() as conn:
            conn.create_function("capslice_ends_cut", 1, cut_reason, deterministic=True)
            cur = conn.execute(
                "UPDATE samples SET failure_mode = 'truncated', failure_reason ="
                " 'no generation cap logged: ' || samples.response_chars || ' chars, within "
                f"{round(100 * (1 - near_max))}% of the longest response of this task (' || m.mx ||"
                " '), ' || capslice_ends_cut(samples.response),"
                " failure_signals = CASE WHEN failure_signals IS NULL THEN 'cap'"
                " ELSE failure_signals || ',cap' END"
                " FROM (SELECT task, max(response_chars) AS mx, count(*) AS n FROM samples"
                "       WHERE run_id = ? GROUP BY task) AS m"
                " WHERE samples.run_id = ? AND samples.task = m.task AND m.n >= ?"
                " AND samples.failure_mode = 'wrong_answer'"
                " AND samples.response_chars >= ? * m.mx AND samples.response_chars >= ?"
                " AND capslice_ends_cut(samples.response) IS NOT NULL"
                " AND samples.task IN (SELECT task FROM run_tasks WHERE run_id = ?"
                "                      AND max_gen_toks IS NULL)",
                (run_id, run_id, min_samples, near_max, min_chars, run_id),
            )
            return cur.rowcount

    def rollback_ingest(self, ingest_id: int, run_id: int, created_run: bool, reason: str) -> None:
        """Remove everything one ingest wrote, in bounded batches; older data is untouched.

        A run the ingest itself created is removed too when it ends up empty.
        """
        lo, hi = sample_range(self.conn, ingest_id)
        # its id range in windows of 50,000 ids, a transaction each (no per-sample index)
        for start in range(lo or 0, (hi or -1) + 1, 50_000):
            with self.write() as conn:
                conn.execute(
                    "DELETE FROM samples WHERE id BETWEEN ? AND ? AND ingest_id = ?",
                    (start, min(start + 49_999, hi or 0), ingest_id),
                )
        with self.write() as conn:
            conn.execute(
                "UPDATE ingests SET finished_at = ?, status = 'rolled_back', report = ?,"
                " first_sample_id = NULL, last_sample_id = NULL WHERE id = ?",
                (now_iso(), json.dumps([reason]), ingest_id),
            )
            left = conn.execute(
                "SELECT count(*) FROM samples WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
            if created_run and left == 0:
                conn.execute("DELETE FROM run_tasks WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM item_scores WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM slice_counts WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM run_outcomes WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM ingests WHERE run_id = ?", (run_id,))
                conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            else:  # as before this ingest: incomplete where its meta says why (torn, skipped)
                conn.execute(
                    "UPDATE runs SET status = CASE WHEN json_extract(meta, '$.incomplete')"
                    " IS NULL THEN 'complete' ELSE 'incomplete' END WHERE id = ?",
                    (run_id,),
                )
        if not (created_run):
            self.refresh_item_scores(run_id)

    def delete_run(self, name: str) -> int:
        """Delete a run and its samples; items and labels stay (other runs share them).

        Returns the number of samples removed.
        """
        run = self.get_run(name)
        removed = 0
        while True:
            with self.write() as conn:
                cur = conn.execute(
                    "DELETE FROM samples WHERE id IN (SELECT id FROM samples WHERE run_id = ?"
                    " LIMIT 50000)",
                    (run["id"],),
                )
                removed += cur.rowcount
                if cur.rowcount == 0:
                    break
        with self.write() as conn:
            # search_index too: a later run may get this id (its text is not indexed)
            for table in (
                "item_scores", "slice_counts", "run_outcomes", "run_tasks", "ingests",
                "search_index",
            ):  # fmt: skip
                conn.execute(f"DELETE FROM {table} WHERE run_id = ?", (run["id"],))
            conn.execute("DELETE FROM runs WHERE id = ?", (run["id"],))
        return removed
