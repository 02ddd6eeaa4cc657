"""Schema of the capslice store, as an ordered list of migrations.

Each migration runs once and is recorded in ``_migrations``; the pending ones all run in one
transaction (:func:`migrate`), and a store with migrations this capslice does not know is
refused. A user's store is never rebuilt: new tables or columns are new migrations appended to
``MIGRATIONS``.
Indexes on ``samples`` that only speed up reads are created after bulk loads (see
``SamplesMixin.finish_ingest``) as well as here, so a fresh store is usable at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone

CORE = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    model TEXT,
    step INTEGER,
    tokens_seen INTEGER,
    source_format TEXT,
    source_files TEXT,          -- JSON list of paths
    meta TEXT,                  -- JSON: harness version, eos token, dates...
    status TEXT NOT NULL DEFAULT 'incomplete',   -- incomplete | complete
    n_samples INTEGER NOT NULL DEFAULT 0,
    n_bad INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    created_by TEXT
);
CREATE TABLE run_tasks (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    task TEXT NOT NULL,
    benchmark TEXT NOT NULL,
    primary_filter TEXT NOT NULL,   -- the filter slices use unless asked otherwise
    filters TEXT,                   -- JSON list of every filter logged
    max_gen_toks INTEGER,
    until TEXT,                     -- JSON list
    temperature REAL,
    do_sample INTEGER,
    repeats INTEGER,
    eos_token TEXT,
    num_fewshot INTEGER,
    PRIMARY KEY (run_id, task)
);
CREATE TABLE texts (
    hash TEXT PRIMARY KEY,          -- sha256 hex of the text
    text TEXT NOT NULL
);
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    item_hash TEXT NOT NULL UNIQUE, -- content identity across runs
    benchmark TEXT NOT NULL,
    task TEXT NOT NULL,             -- task of first sighting
    doc_id TEXT NOT NULL,
    question TEXT,
    target TEXT,
    doc TEXT                        -- JSON of the raw doc fields
);
CREATE TABLE ingests (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    who TEXT,
    status TEXT NOT NULL,           -- running | committed | rolled_back
    n_read INTEGER NOT NULL DEFAULT 0,
    n_new INTEGER NOT NULL DEFAULT 0,
    n_bad INTEGER NOT NULL DEFAULT 0,
    report TEXT                     -- JSON list of bad lines
);
CREATE TABLE samples (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    task TEXT NOT NULL,
    filter TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    sample_idx INTEGER NOT NULL,
    ingest_id INTEGER NOT NULL,
    prompt_hash TEXT,               -- texts.hash
    response TEXT,
    response_chars INTEGER,         -- original length in characters
    response_sha256 TEXT,           -- of the original response, set when it was truncated
    extracted TEXT,                 -- the harness's filtered answer
    official REAL,                  -- the harness's score (NULL when not logged)
    score REAL,                     -- score used by statistics (official, else capslice strict)
    score_source TEXT,              -- harness | capslice-strict
    lenient_extracted TEXT,
    lenient REAL,                   -- capslice lenient re-extraction score
    failure_mode TEXT,
    failure_reason TEXT,
    finish_reason TEXT,
    n_output_tokens INTEGER,
    metrics TEXT,                   -- JSON of every logged per-sample metric
    UNIQUE (run_id, task, filter, doc_id, sample_idx)
);
CREATE TABLE item_scores (
    run_id INTEGER NOT NULL,
    task TEXT NOT NULL,
    filter TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    n INTEGER NOT NULL,             -- samples of this item
    c REAL NOT NULL,                -- sum of scores (correct samples for 0/1)
    c_lenient REAL,
    PRIMARY KEY (run_id, task, filter, item_id)
);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL,
    axis TEXT NOT NULL,
    value TEXT NOT NULL,
    source TEXT NOT NULL,           -- rule | cluster | hand
    origin TEXT,                    -- rule id, cluster/suggestion id, or slice name
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    note TEXT,
    UNIQUE (item_id, axis, source)
);
CREATE TABLE label_history (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL,
    axis TEXT NOT NULL,
    source TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    who TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,           -- set | clear | undo
    batch TEXT                      -- groups the rows of one user action (for undo)
);
CREATE TABLE item_axes (
    item_id INTEGER PRIMARY KEY,
    background_condition TEXT,
    task_type TEXT,
    solving_operation TEXT,
    output_constraint TEXT,
    sources TEXT                    -- JSON axis -> source that won (hand > cluster > rule)
);
CREATE INDEX items_bench_task ON items (benchmark, task, doc_id);
CREATE INDEX labels_item ON labels (item_id);
CREATE INDEX label_history_item ON label_history (item_id, axis);
CREATE INDEX item_scores_item ON item_scores (item_id);
"""

SAMPLE_INDEXES = """
CREATE INDEX IF NOT EXISTS samples_run_item ON samples (run_id, item_id);
CREATE INDEX IF NOT EXISTS samples_ingest ON samples (ingest_id);
"""


def run_script(conn: sqlite3.Connection, sql: str) -> None:
    """Execute a multi-statement script inside the caller's transaction.

    ``executescript`` would COMMIT first, so statements are split here with
    ``sqlite3.complete_statement`` (semicolons inside comments and strings are safe).
    """
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                conn.execute(pending)
            pending = ""
    if pending.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in pending.splitlines()
    ):
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]}")


def _core(conn: sqlite3.Connection) -> None:
    run_script(conn, CORE + SAMPLE_INDEXES)


MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [
    ("0001_core", _core),
]


class SchemaTooNew(Exception):
    """The store was written by a newer capslice: it has migrations this one does not know."""


def _check_known(done_names: set[str]) -> None:
    unknown = sorted(done_names - {name for name, _ in MIGRATIONS})
    if unknown:
        raise SchemaTooNew(
            f"written by a newer capslice (schema migrations {', '.join(unknown)} are unknown"
            f" to this one, which knows {len(MIGRATIONS)}); upgrade capslice to open it"
            " (pip install -U capslice). Nothing was changed."
        )


def migrate(
    conn: sqlite3.Connection, on_upgrade: Callable[[list[str]], None] | None = None
) -> list[str]:
    """Apply every pending migration in order, all in one IMMEDIATE transaction: a store is
    either upgraded completely or left exactly as it was.

    Args:
        conn: an open connection in autocommit mode (``isolation_level=None``).
        on_upgrade: called once with the pending migrations' names, under the write lock and
            before the first is applied, when a store that already holds a schema is upgraded
            (not when a new store is created); an upgrade of a store of millions of samples
            takes minutes, and the caller tells the user so.

    Returns:
        Names of the migrations applied by this call (empty when the store is current).

    Raises:
        SchemaTooNew: the store has migrations this capslice does not know (nothing changed).
    """
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if has_table:
        done_names = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
        _check_known(done_names)
        if all(name in done_names for name, _ in MIGRATIONS):
            return []  # current: no write lock taken, so opening never waits on a writer
    applied: list[str] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
        )
        done_names = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
        _check_known(done_names)  # again under the lock: another process may have upgraded
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        pending = [name for name, _ in MIGRATIONS if name not in done_names]
        if on_upgrade is not None and done_names and pending:
            on_upgrade(pending)
        for name, apply in MIGRATIONS:
            if name in done_names:
                continue
            apply(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, at))
            applied.append(name)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied


# ---- 0003_labels (store/labels.py: named slices, saved suggestions) ----------------------
LABELS_SCHEMA = """
CREATE TABLE named_slices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    run_id INTEGER,                 -- run the slice was found in (items are run-independent)
    origin TEXT,                    -- suggestion:<id>, query, or hand
    description TEXT,
    note TEXT,
    version INTEGER NOT NULL DEFAULT 1,  -- bumped by every edit; stale edits are conflicts
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE named_slice_items (
    slice_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    PRIMARY KEY (slice_id, item_id)
);
CREATE TABLE suggestion_sets (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    params TEXT NOT NULL,           -- JSON of the discovery parameters
    notes TEXT,                     -- JSON list of remarks (clamped k, buckets...)
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    summary TEXT NOT NULL,          -- JSON: size, error rate, terms, failure modes, labels...
    accepted_slice_id INTEGER
);
CREATE TABLE suggestion_items (
    suggestion_id INTEGER NOT NULL,
    item_id INTEGER NOT NULL,
    PRIMARY KEY (suggestion_id, item_id)
);
CREATE INDEX label_history_batch ON label_history (batch);
CREATE INDEX named_slice_items_item ON named_slice_items (item_id);
"""


def _labels(conn: sqlite3.Connection) -> None:
    """Migration ``0003_labels``: named slices, saved suggestions, history-by-batch index."""
    run_script(conn, LABELS_SCHEMA)


MIGRATIONS.append(("0003_labels", _labels))


INTERVENTIONS_SCHEMA = """
CREATE TABLE interventions (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    hypothesis TEXT NOT NULL,
    target_slices TEXT NOT NULL,    -- JSON list of {grouping: value}
    control_slices TEXT NOT NULL,   -- JSON list of {grouping: value}
    expected_effect REAL,           -- pre-registered gain on targets (proportion)
    benchmark TEXT,
    plan TEXT,                      -- JSON of capslice_tui.plan.Plan.to_dict()
    baseline_run TEXT NOT NULL,     -- run name (runs may be re-ingested)
    result_run TEXT,
    status TEXT NOT NULL,           -- proposed | accepted | rejected | running | evaluated
    decision_reason TEXT,
    decided_by TEXT,
    decided_at TEXT,
    outcome TEXT,                   -- JSON of capslice_tui.plan.Outcome.to_dict()
    verdict TEXT,                   -- confirmed | refuted | inconclusive | harmful
    author TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1   -- bumped by every change; stale edits are conflicts
);
CREATE TABLE intervention_history (
    id INTEGER PRIMARY KEY,
    intervention_id INTEGER NOT NULL,
    version INTEGER NOT NULL,       -- the version this change produced
    action TEXT NOT NULL,           -- create | edit | accept | reject | start | link | evaluate
    field TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    who TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX intervention_history_id ON intervention_history (intervention_id, id);
CREATE INDEX interventions_status ON interventions (status);
"""


def _interventions(conn: sqlite3.Connection) -> None:
    """Migration ``0002_interventions``: the intervention log and its audit history."""
    run_script(conn, INTERVENTIONS_SCHEMA)


MIGRATIONS.append(("0002_interventions", _interventions))


def _failure_signals(conn: sqlite3.Connection) -> None:
    """Migration ``0004_failure_signals``: evidence flags of each sample's failure mode."""
    conn.execute("ALTER TABLE samples ADD COLUMN failure_signals TEXT")  # comma-separated


MIGRATIONS.append(("0004_failure_signals", _failure_signals))


SLICE_COUNTS = """
CREATE TABLE slice_counts (
    run_id INTEGER NOT NULL,
    task TEXT NOT NULL,
    filter TEXT NOT NULL,
    background_condition TEXT,
    task_type TEXT,
    solving_operation TEXT,
    output_constraint TEXT,
    n_items INTEGER NOT NULL,
    n_samples INTEGER NOT NULL,
    c REAL NOT NULL,
    max_n INTEGER NOT NULL,
    fractional INTEGER NOT NULL     -- items whose score sum is not a whole number
);
CREATE INDEX slice_counts_run ON slice_counts (run_id, task, filter);
"""


def _slice_counts(conn: sqlite3.Connection) -> None:
    """Migration ``0005_slice_counts``: per-(run, task, filter, axis cell) counts.

    Filled from ``item_scores`` and ``item_axes`` for runs that already exist, so slice tables
    of greedy runs read a few hundred rows instead of one per item.
    """
    run_script(conn, SLICE_COUNTS)
    conn.execute(_SLICE_COUNTS_FILL_0005)


_SLICE_COUNTS_FILL_0005 = """
INSERT INTO slice_counts
SELECT s.run_id, s.task, s.filter, a.background_condition, a.task_type, a.solving_operation,
       a.output_constraint, count(*), sum(s.n), sum(s.c), max(s.n),
       sum(s.c != cast(s.c AS INTEGER))
FROM item_scores s LEFT JOIN item_axes a ON a.item_id = s.item_id
GROUP BY s.run_id, s.task, s.filter, a.background_condition, a.task_type, a.solving_operation,
         a.output_constraint
"""

MIGRATIONS.append(("0005_slice_counts", _slice_counts))

SLICE_COUNTS_FILL = """
INSERT INTO slice_counts (run_id, task, filter, background_condition, task_type,
    solving_operation, output_constraint, n_items, n_samples, c, max_n, fractional, c_lenient)
SELECT s.run_id, s.task, s.filter, a.background_condition, a.task_type, a.solving_operation,
       a.output_constraint, count(*), sum(s.n), sum(s.c), max(s.n),
       sum(s.c != cast(s.c AS INTEGER)),
       CASE WHEN count(s.c_lenient) = count(*) THEN sum(s.c_lenient) END
FROM item_scores s LEFT JOIN item_axes a ON a.item_id = s.item_id {where}
GROUP BY s.run_id, s.task, s.filter, a.background_condition, a.task_type, a.solving_operation,
         a.output_constraint
"""


def _lenient_counts(conn: sqlite3.Connection) -> None:
    """Migration ``0006_lenient_counts``: lenient re-extraction counts beside the official ones
    (the gap between them is the extraction-failure rate)."""
    conn.execute("ALTER TABLE slice_counts ADD COLUMN c_lenient REAL")
    conn.execute("DELETE FROM slice_counts")
    conn.execute(SLICE_COUNTS_FILL.format(where=""))


MIGRATIONS.append(("0006_lenient_counts", _lenient_counts))


EVAL_SETTINGS = """
CREATE TABLE eval_settings (
    hash TEXT PRIMARY KEY,          -- sha256 hex of the settings JSON (sorted keys)
    settings TEXT NOT NULL          -- JSON: what defines the evaluation of a sample
);
"""


def _eval_settings(conn: sqlite3.Connection) -> None:
    """Migration ``0007_eval_settings``: what defines each sample's evaluation (few-shot count,
    prompting, generation settings, scorer, harness), as a hash on ``samples`` into a table of
    the distinct settings JSON. Samples stored before it have no settings (NULL: unknown)."""
    run_script(conn, EVAL_SETTINGS)
    conn.execute("ALTER TABLE samples ADD COLUMN settings_hash TEXT")


MIGRATIONS.append(("0007_eval_settings", _eval_settings))


def _reasoning(conn: sqlite3.Connection) -> None:
    """Migration ``0010_reasoning``: the reasoning trace split off each response
    (``<think>...</think>``...), capped like the response, with its full length."""
    conn.execute("ALTER TABLE samples ADD COLUMN reasoning TEXT")
    conn.execute("ALTER TABLE samples ADD COLUMN reasoning_chars INTEGER")


MIGRATIONS.append(("0010_reasoning", _reasoning))


def _intervention_outcomes(conn: sqlite3.Connection) -> None:
    """Migration ``0008_intervention_outcomes``: what an intervention's decision rests on.

    ``decision_warning``: stored with a rejection that claims a regression the measured outcome
    does not show significantly (or that no outcome was measured); ``plan_forced``: 1 when the
    attached plan boosted data against its diagnosis (``plan --force``).
    """
    conn.execute("ALTER TABLE interventions ADD COLUMN decision_warning TEXT")
    conn.execute("ALTER TABLE interventions ADD COLUMN plan_forced INTEGER NOT NULL DEFAULT 0")


MIGRATIONS.append(("0008_intervention_outcomes", _intervention_outcomes))


def _label_history_notes(conn: sqlite3.Connection) -> None:
    """Migration ``0011_label_history_notes``: the label history keeps what undo must restore,
    and ingests keep what tells an interrupted one from a running one.

    ``label_history``: ``old_note``/``new_note`` (the note before and after the change),
    ``old_who``/``old_at``/``old_origin`` (who set the value being replaced, when, from where),
    so two annotators' notes are both in the history and undo restores value, note and who.
    ``ingests``: ``pid`` and ``host`` of the writing process (a ``running`` ingest whose
    process is gone was interrupted), ``n_expected`` (records in the input when countable) and
    ``reason`` (why it stopped). ``named_slice_history``: a named slice's note and last editor
    before each labelling action, so undo restores them too.
    """
    for column in ("old_note", "new_note", "old_who", "old_at", "old_origin"):
        conn.execute(f"ALTER TABLE label_history ADD COLUMN {column} TEXT")
    conn.execute("ALTER TABLE ingests ADD COLUMN pid INTEGER")
    conn.execute("ALTER TABLE ingests ADD COLUMN host TEXT")
    conn.execute("ALTER TABLE ingests ADD COLUMN n_expected INTEGER")
    conn.execute("ALTER TABLE ingests ADD COLUMN reason TEXT")
    run_script(conn, NAMED_SLICE_HISTORY)


NAMED_SLICE_HISTORY = """
CREATE TABLE named_slice_history (
    id INTEGER PRIMARY KEY,
    slice_id INTEGER NOT NULL,
    batch TEXT,                     -- the label action it belongs to (undo restores it)
    old_note TEXT,
    new_note TEXT,
    old_who TEXT,                   -- updated_by before the change
    old_at TEXT,                    -- updated_at before the change
    who TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX named_slice_history_batch ON named_slice_history (batch);
"""


MIGRATIONS.append(("0011_label_history_notes", _label_history_notes))


HUB_SYNC = """
CREATE TABLE hub_remotes (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,              -- libpq URL without any password
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL
);
CREATE TABLE hub_sync (
    hub TEXT NOT NULL,
    kind TEXT NOT NULL,             -- run | label | hist | slice | intervention | decision | ihist
    key TEXT NOT NULL,
    cid TEXT NOT NULL,              -- content id both sides agreed on at the last sync
    direction TEXT NOT NULL,        -- push | pull
    at TEXT NOT NULL,
    PRIMARY KEY (hub, kind, key)
);
CREATE TABLE hub_state (
    hub TEXT NOT NULL,
    name TEXT NOT NULL,             -- pull_watermark: the hub's transaction horizon last pulled
    value TEXT,
    PRIMARY KEY (hub, name)
);
"""


def _hub_sync(conn: sqlite3.Connection) -> None:
    """Migration ``0015_hub_sync``: team hubs (PostgreSQL remotes), the content each side agreed
    on at the last push or pull, and each hub's pull watermark (capslice_tui/hub)."""
    run_script(conn, HUB_SYNC)


MIGRATIONS.append(("0015_hub_sync", _hub_sync))


def _search(conn: sqlite3.Connection) -> None:
    """Migration ``0016_search``: text search over responses, prompts and targets (SQLite FTS5,
    trigram tokenizer; store/search.py). The tables start empty: a run is indexed the first
    time it is searched, so existing stores need no backfill here."""
    from .search import create_tables

    create_tables(conn)


MIGRATIONS.append(("0016_search", _search))


COMPACT_SAMPLES = """
CREATE TABLE item_scores_compact (
    run_id INTEGER NOT NULL,
    task TEXT NOT NULL,
    filter TEXT NOT NULL,
    item_id INTEGER NOT NULL,
    n INTEGER NOT NULL,             -- samples of this item
    c REAL NOT NULL,                -- sum of scores (correct samples for 0/1)
    c_lenient REAL,
    PRIMARY KEY (run_id, task, filter, item_id)
) WITHOUT ROWID;
INSERT INTO item_scores_compact (run_id, task, filter, item_id, n, c, c_lenient)
SELECT run_id, task, filter, item_id, n, c, c_lenient FROM item_scores
ORDER BY run_id, task, filter, item_id;
DROP TABLE item_scores;
ALTER TABLE item_scores_compact RENAME TO item_scores;
CREATE INDEX item_scores_item ON item_scores (item_id);
DROP INDEX IF EXISTS labels_item;
DROP INDEX IF EXISTS items_bench_task;
UPDATE item_axes SET sources = json_patch('{}', sources) WHERE sources IS NOT NULL;
"""


def _compact_samples(conn: sqlite3.Connection) -> None:
    """Migration ``0017_compact_samples``: a smaller store and fewer index writes per new item
    (issue 14), set-based SQL only (no per-row Python).

    - ``item_scores`` becomes a ``WITHOUT ROWID`` table clustered on its primary key
      ``(run_id, task, filter, item_id)``: one b-tree instead of a rowid table plus a unique
      index repeating every key (a run's rows are read as one range, and a refresh writes
      two b-trees instead of three). Same columns, same key: readers are unchanged; it has no
      ``rowid`` (exchange orders it by key; ``recover`` rebuilds it from the samples). Measured
      on a 10M-sample store (10M item_scores rows, 6 GB): 44 s CPU, 272 s wall on the loaded
      2-core machine (writing the new table through the WAL); the rest takes under a second.
    - ``labels_item`` is dropped: the unique ``(item_id, axis, source)`` index starts with
      ``item_id`` and serves the same lookups.
    - ``items_bench_task`` is dropped: no query looks items up by benchmark, task and doc_id
      (slices filter on ``run_tasks.benchmark``, doc ids on ``samples``).
    - ``item_axes.sources`` keeps only the axes that have a label (``{"task_type":"rule"}``,
      no spaces) instead of every axis with ``null``: readers take a missing axis as no
      source, exactly as they took ``null``. (``json_patch`` with an empty target drops the
      ``null`` members, RFC 7396.)
    """
    run_script(conn, COMPACT_SAMPLES)


MIGRATIONS.append(("0017_compact_samples", _compact_samples))


def _search_v2(conn: sqlite3.Connection) -> None:
    """Migration ``0020_search``: the search index becomes contentless trigram FTS5 without
    positions (a candidate filter that ``LIKE`` checks; store/search.py), with marker tables
    for the prompts and targets indexed and each run's last indexed sample id. The tables of
    ``0016_search`` (a full-detail copy of every text; a 200k-sample run did not finish
    indexing in 15 minutes) are dropped: every run is indexed again on its next search."""
    from .search import recreate_tables

    recreate_tables(conn)


MIGRATIONS.append(("0020_search", _search_v2))


NARROW_SETTINGS = """
CREATE TABLE eval_settings_0021 (
    id INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,      -- sha256 of the settings JSON (32 bytes; hex outside)
    settings TEXT NOT NULL          -- JSON: what defines the evaluation of a sample
);
INSERT INTO eval_settings_0021 (hash, settings)
SELECT capslice_unhex(hash), settings FROM eval_settings ORDER BY rowid;
DROP TABLE eval_settings;
ALTER TABLE eval_settings_0021 RENAME TO eval_settings;
ALTER TABLE samples ADD COLUMN settings_id INTEGER;  -- eval_settings.id
"""
# the rows' conversion, also run by ``recover`` on rows copied from a store older than 0021
NARROW_ROWS = """
UPDATE eval_settings SET hash = capslice_unhex(hash) WHERE typeof(hash) = 'text';
UPDATE samples SET prompt_hash = capslice_unhex(prompt_hash),
    settings_id = coalesce(settings_id, (SELECT e.id FROM eval_settings e
                                         WHERE e.hash = capslice_unhex(samples.settings_hash))),
    settings_hash = NULL
WHERE prompt_hash IS NOT NULL OR settings_hash IS NOT NULL;
UPDATE texts SET hash = capslice_unhex(hash) WHERE typeof(hash) = 'text';
UPDATE items SET item_hash = capslice_unhex(item_hash) WHERE typeof(item_hash) = 'text';
UPDATE items SET doc = capslice_pack_doc(doc, question, target)
WHERE doc IS NOT NULL AND (question IS NOT NULL OR target IS NOT NULL);
"""


def _narrow_store(conn: sqlite3.Connection) -> None:
    """Migration ``0021_narrow_store``: fewer bytes per narrow (metric-only) sample (issue 14),
    set-based SQL over each table once (store/compact.py has the stored forms).

    - ``items.doc`` no longer repeats the item's question and target (packed, see
      :func:`store.compact.pack_doc`; readers unpack with ``capslice_doc``): ~80 bytes per item
      of a bbh-like doc.
    - Prompt text hashes (``texts.hash``, ``samples.prompt_hash``) and item hashes
      (``items.item_hash``) are 32-byte blobs instead of 64 hex characters (joins compare
      blobs; exports, the hub, sample details and the evaluation-difference check see hex):
      ~100 bytes per prompt, ~70 per item, 32 per sample.
    - Each sample names its evaluation settings by ``settings_id`` (``eval_settings.id``, an
      integer) instead of the 64-character ``settings_hash``; ``eval_settings`` gets that id
      and keeps the hash as a blob. Outside the store a sample still carries
      ``settings_hash`` (hex): ~32 bytes per sample.
    """
    from .compact import pack_doc, to_blob

    conn.create_function("capslice_pack_doc", 3, pack_doc, deterministic=True)
    conn.create_function("capslice_unhex", 1, to_blob, deterministic=True)
    run_script(conn, NARROW_SETTINGS + NARROW_ROWS)
    _drop_settings_hash(conn)


# ALTER TABLE ... DROP COLUMN needs SQLite 3.35 (2021-03); an older SQLite keeps the emptied
# samples.settings_hash column (always NULL; readers map settings_id, store/compact.py)
DROP_COLUMN = sqlite3.sqlite_version_info >= (3, 35, 0)


def _drop_settings_hash(conn: sqlite3.Connection) -> None:
    """Drop the emptied ``samples.settings_hash`` (a reader of it then fails loudly instead of
    reading NULL as "settings not recorded"), where this SQLite can."""
    if DROP_COLUMN:
        conn.execute("ALTER TABLE samples DROP COLUMN settings_hash")


def narrow_copied_rows(conn: sqlite3.Connection, before: bool) -> None:
    """``recover`` from a store older than ``0021_narrow_store`` into a current one: with
    ``before``, give the new store's samples the old ``settings_hash`` column (so it is
    copied); after the copy, convert the copied rows as the migration does (one transaction).
    """
    from .compact import pack_doc, to_blob

    if before:
        if "settings_hash" not in {r[1] for r in conn.execute("PRAGMA table_info(samples)")}:
            conn.execute("ALTER TABLE samples ADD COLUMN settings_hash TEXT")
        return
    conn.create_function("capslice_pack_doc", 3, pack_doc, deterministic=True)
    conn.create_function("capslice_unhex", 1, to_blob, deterministic=True)
    conn.execute("BEGIN IMMEDIATE")
    try:
        run_script(conn, NARROW_ROWS)
        _drop_settings_hash(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


MIGRATIONS.append(("0021_narrow_store", _narrow_store))


def _run_outcomes(conn: sqlite3.Connection) -> None:
    """Migration ``0022_run_outcomes``: per-(run, task, filter) outcome bitsets and evaluation
    digests that compare reads (store/outcomes.py), built for every existing run."""
    from .outcomes import migrate as build

    build(conn)


MIGRATIONS.append(("0022_run_outcomes", _run_outcomes))


def _item_scores_run_major(conn: sqlite3.Connection) -> None:
    """Migration ``0023_item_scores_run_major``: ``item_scores`` keeps its run-major primary
    key only; the item-major index ``item_scores_item`` is dropped (issue 14).

    Every new run put one entry per item into that index, one per page of it (the index is
    ordered by item, then run): an ingest of a next checkpoint rewrote the whole index, so its
    cost grew with the runs stored (measured: the ``item_scores`` refresh of a 20k-item run
    took 2.2 us of CPU per sample beside one run, 8.1 beside 30), and the index was ~55 bytes
    per greedy sample. Its two readers, the runs holding some items (label changes) and the
    runs sharing a run's items, read the ``run_outcomes`` bitsets instead
    (:func:`store.outcomes.runs_holding`, :func:`store.outcomes.shared_item_counts`).
    """
    conn.execute("DROP INDEX IF EXISTS item_scores_item")


MIGRATIONS.append(("0023_item_scores_run_major", _item_scores_run_major))


def _prompt_prefixes(conn: sqlite3.Connection) -> None:
    """Migration ``0024_prompt_prefixes``: a prompt may be stored as the rest after a shared
    few-shot head kept once (``texts.prefix``), read whole through the view ``prompt_texts``
    (store/prompts.py). Existing rows keep their whole text (``prefix`` NULL)."""
    from .prompts import PROMPT_PREFIXES

    run_script(conn, PROMPT_PREFIXES)


MIGRATIONS.append(("0024_prompt_prefixes", _prompt_prefixes))


SAMPLE_RANGES = """
ALTER TABLE ingests ADD COLUMN first_sample_id INTEGER;  -- samples.id range of its samples
ALTER TABLE ingests ADD COLUMN last_sample_id INTEGER;
UPDATE ingests SET first_sample_id = (SELECT min(id) FROM samples WHERE ingest_id = ingests.id),
                   last_sample_id = (SELECT max(id) FROM samples WHERE ingest_id = ingests.id);
DROP INDEX IF EXISTS samples_ingest;
"""


def _ingest_sample_ranges(conn: sqlite3.Connection) -> None:
    """Migration ``0025_ingest_sample_ranges``: each ingest keeps the smallest and largest id
    of the samples it wrote (``ingests.first_sample_id``, ``last_sample_id``; NULL when it
    wrote none), and the per-sample index ``samples_ingest`` (``ingest_id``) is dropped
    (issue 14: measured 0.6-1.0 us of CPU per sample written and ~10 bytes per sample).

    Its readers (an ingest's rollback and sample count, a run's id range for keyset reads,
    store/samples.py) read the ingest's id range of ``samples`` instead, filtering on
    ``ingest_id`` within it: the range holds every sample of the ingest, and may hold other
    ingests' samples (two ingests writing at once interleave their batches). Writers widen
    the range as they write (:func:`store.ingest.note_new_samples`). The backfill takes two
    seeks of the index per ingest, before the index is dropped.
    """
    run_script(conn, SAMPLE_RANGES)


MIGRATIONS.append(("0025_ingest_sample_ranges", _ingest_sample_ranges))
