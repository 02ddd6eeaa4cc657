"""Export a store to a folder of JSONL and Parquet files, and import such a folder into another
store (``capslice export DIR`` / ``capslice import DIR``).

An export folder holds one ``<table>.jsonl`` per table (orjson, one row per line; the copy that
import reads), the same rows as ``<table>.parquet`` for analysis tools (pyarrow), and
``manifest.json``: format version, capslice version, the schema migrations of the exporting
store (``schema_version`` is their count), rows and sha256 of every file. The manifest is
written last, so a folder without one is an interrupted export and import refuses it.

Tables: runs (with their meta and ``eval_settings``), run_tasks, texts (prompts), items,
ingests, samples, item_scores, labels, label_history, named_slices with their items and
history, accepted discovery suggestions (their sets, suggestions and items), interventions and
intervention_history (decisions, linked runs, outcomes). Plans are not a table of their own:
the plan attached to an intervention is its ``plan`` column (``capslice plan`` output).
``item_axes`` and ``slice_counts`` are derived from labels and item scores and recomputed by
import.

Content ids
-----------
Row ids differ between stores, so every exported row carries ``cid``, a content id that names
the same row in any store, and every foreign key is exported as the cid of the row it points to
under the column's name without ``_id`` (``run_id`` -> ``run``, ``item_id`` -> ``item``,
``ingest_id`` -> ``ingest``, ``slice_id``/``accepted_slice_id`` -> ``slice``/``accepted_slice``,
``set_id`` -> ``set``, ``suggestion_id`` -> ``suggestion``, ``intervention_id`` ->
``intervention``). A cid is these fields joined by ``/`` (an opaque string, never parsed):

=====================  ==========================================================
runs                   name
run_tasks              run / task
eval_settings, texts   hash (sha256 of the settings JSON / prompt text)
items                  item_hash (sha256 of the item's content)
ingests                run / started_at / who
samples                run / task / filter / doc_id / sample_idx
item_scores            run / task / filter / item
labels                 item / axis / source
label_history          batch / item / axis / source / at
named_slices           name
named_slice_items      slice / item
named_slice_history    slice / batch / who / at
suggestion_sets        run / created_by / created_at
suggestions            set / cluster
suggestion_items       suggestion / item
interventions          author / created_at
intervention_history   intervention / version / action / field / who / at
=====================  ==========================================================

When several rows of one table get the same cid, the second and later (in row-id order) get
``#2``, ``#3``... The exported ``id`` is the row id in the exporting store: import keeps it when
the target table holds nothing but rows of this export under the same ids (an empty store, or a
re-run), so every listing of the copy matches the original; otherwise new rows get new ids.

Import
------
The manifest is checked first (a newer format or schema, a missing file, a checksum or row
count that does not match: refused, naming the file). Rows whose cid is already in the store are
skipped, so importing twice changes nothing. Rows are written in transactions of at most
``BATCH`` rows. Labels, named slices and interventions present on both sides are merged through
their history: the side that has seen the other's current state is newer and wins (a label the
other side cleared is cleared); when each side changed it without seeing the other's change,
the store keeps its own value and the pair is reported as a conflict, and the other side's
history of that label/slice/intervention is held back (nothing is overwritten silently).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..formatting import plural
from .compact import external_row, settings_hashes, stored_row, to_blob, with_settings_hash
from .db import StoreError, chunks, current_user, now_iso, placeholders
from .ingest import widen_sample_ranges
from .outcomes import refresh as refresh_outcomes
from .schema import MIGRATIONS

FORMAT = "capslice-export"
FORMAT_VERSION = 1
BATCH = 2000  # rows per import transaction and per Parquet row group
MANIFEST = "manifest.json"


class ExchangeError(StoreError):
    """An export folder cannot be written or imported; the message names the file."""


IMPORT_MARK = "import_unfinished"
"""A run's meta key while an import writes it (walk 18 F11): ``{folder, status, incomplete}``
(the folder being imported, and the status and ``meta.incomplete`` the run gets back when that
import ends). Such a run is listed ``incomplete`` with the command that completes it
(``meta.import_command``); doctor names it."""


class ImportInterrupted(ExchangeError):
    """A stop signal (Ctrl-C, SIGTERM, SIGHUP) ended an import: the batch being written was
    rolled back, the batches before are kept, and the runs it had not finished stay marked
    incomplete; the message says what was kept and the command that completes it.
    ``report`` is what the import had done."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


def import_command(store_path: str | os.PathLike[str], folder: Path) -> str:
    """The ``capslice import`` command line that imports ``folder`` into the store again
    (absolute paths, shell quoted); it adds only what is missing."""
    words = ["capslice", "--store", str(Path(store_path).resolve()), "import"]
    return shlex.join([*words, str(folder.resolve())])


@dataclass(frozen=True)
class _Table:
    """How one table is exported: its foreign keys (column, exported field, table pointed
    to), the fields its cid joins, and whether it has an ``id`` primary key."""

    name: str
    key: tuple[str, ...]
    refs: tuple[tuple[str, str, str], ...] = ()
    has_id: bool = True
    only: str | None = None  # SQL giving the ids (or rowids) to export; None: every row
    unique: bool = False  # the cid fields are a unique key of the table (no #2 suffixes)
    clustered: bool = False  # WITHOUT ROWID (0017_compact_samples): no rowid, key order

    @property
    def row_id(self) -> str:
        """SQL for a row's id: ``id``, else ``rowid``, else (clustered) the constant 0 (such a
        table is never referenced by another, so its rows need no id)."""
        return "id" if self.has_id else ("0" if self.clustered else "rowid")

    @property
    def order(self) -> str:
        """SQL ordering the rows: by id/rowid, a clustered table by its key columns."""
        if self.clustered:
            return ", ".join(dict.fromkeys(self.column_of(f) for f in self.key))
        return self.row_id

    def column_of(self, fld: str) -> str:
        """The table column behind an exported field (``run`` -> ``run_id``)."""
        for col, name, _ in self.refs:
            if name == fld:
                return col
        return fld


_ACCEPTED = "SELECT id FROM suggestions WHERE accepted_slice_id IS NOT NULL"
TABLES: tuple[_Table, ...] = (
    _Table("runs", ("name",)),
    _Table("run_tasks", ("run", "task"), (("run_id", "run", "runs"),), has_id=False, unique=True),
    _Table("eval_settings", ("hash",), has_id=False, unique=True),
    _Table("texts", ("hash",), has_id=False, unique=True),
    _Table("items", ("item_hash",)),
    _Table("ingests", ("run", "started_at", "who"), (("run_id", "run", "runs"),)),
    _Table(
        "samples",
        ("run", "task", "filter", "doc_id", "sample_idx"),
        (
            ("run_id", "run", "runs"),
            ("item_id", "item", "items"),
            ("ingest_id", "ingest", "ingests"),
        ),
        unique=True,
    ),
    _Table(
        "item_scores",
        ("run", "task", "filter", "item"),
        (("run_id", "run", "runs"), ("item_id", "item", "items")),
        has_id=False,
        unique=True,
        clustered=True,
    ),
    _Table("labels", ("item", "axis", "source"), (("item_id", "item", "items"),)),
    _Table(
        "label_history",
        ("batch", "item", "axis", "source", "at"),
        (("item_id", "item", "items"),),
    ),
    _Table("named_slices", ("name",), (("run_id", "run", "runs"),)),
    _Table(
        "named_slice_items",
        ("slice", "item"),
        (("slice_id", "slice", "named_slices"), ("item_id", "item", "items")),
        has_id=False,
    ),
    _Table(
        "named_slice_history",
        ("slice", "batch", "who", "at"),
        (("slice_id", "slice", "named_slices"),),
    ),
    _Table(
        "suggestion_sets",
        ("run", "created_by", "created_at"),
        (("run_id", "run", "runs"),),
        only="SELECT set_id FROM suggestions WHERE accepted_slice_id IS NOT NULL",
    ),
    _Table(
        "suggestions",
        ("set", "cluster"),
        (
            ("set_id", "set", "suggestion_sets"),
            ("accepted_slice_id", "accepted_slice", "named_slices"),
        ),
        only=_ACCEPTED,
    ),
    _Table(
        "suggestion_items",
        ("suggestion", "item"),
        (("suggestion_id", "suggestion", "suggestions"), ("item_id", "item", "items")),
        has_id=False,
        only=f"SELECT rowid FROM suggestion_items WHERE suggestion_id IN ({_ACCEPTED})",
    ),
    _Table("interventions", ("author", "created_at")),
    _Table(
        "intervention_history",
        ("intervention", "version", "action", "field", "who", "at"),
        (("intervention_id", "intervention", "interventions"),),
    ),
)
SPEC = {t.name: t for t in TABLES}


def _last_change(history: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An intervention's newest change from its history rows (those of its highest version):
    ``{who, at, change}``, ``change`` in words (``evaluate: verdict confirmed ->
    inconclusive``; ``reject: status evaluated -> rejected, reason 'A: not worth it'``), so an
    import conflict names who changed what, not the record's author or decider (walk 18 F3);
    {} without history."""
    if not history:
        return {}
    top = max(int(h["version"]) for h in history)
    rows = [h for h in history if int(h["version"]) == top]
    order = {"verdict": 0, "status": 1}
    rows.sort(key=lambda h: order.get(str(h["field"]), 2))
    parts = []
    for h in rows:
        if h["field"] in ("verdict", "status"):
            parts.append(f"{h['field']} {h.get('old_value') or '-'} -> {h.get('new_value') or '-'}")
        elif h["field"] == "outcome" and not any(r["field"] == "verdict" for r in rows):
            text = "; ".join(str(h.get("new_value") or "-").split("; ")[:2])
            parts.append(f"outcome now {text}")
        elif h["field"] == "decision_reason" and h.get("new_value"):
            parts.append(f"reason {h['new_value']!r}")
    change = f"{rows[0]['action']}: " + (
        ", ".join(parts) or ", ".join(str(h["field"]) for h in rows)
    )
    return {"who": rows[0]["who"], "at": rows[0]["at"], "change": change}


LOCAL_IDS = {"ingests": ("first_sample_id", "last_sample_id")}
"""Columns holding this store's row ids of another table, neither exported nor imported: an
ingest's sample id range (0025_ingest_sample_ranges) is widened as its samples are copied."""
REFERENCED = {ref for t in TABLES for _, _, ref in t.refs}


def capslice_version() -> str:
    """The installed capslice version (``unknown`` when run from a source tree)."""
    from importlib import metadata

    try:
        return metadata.version("capslice")
    except metadata.PackageNotFoundError:
        return "unknown"


def _cid(values: list[Any]) -> str:
    return "/".join("" if v is None else str(v) for v in values)


def _iter_table(
    conn: sqlite3.Connection,
    spec: _Table,
    id_to_cid: dict[str, dict[int, str]],
    *,
    full: bool,
    skipped: dict[str, int] | None = None,
) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """Rows of ``spec.name`` in row-id order as ``(rowid, cid, row)``.

    ``full``: every column, foreign keys replaced by cids under their exported names; otherwise
    only the cid fields. A row whose foreign key points nowhere (an orphan) has no cid: it is
    counted in ``skipped`` and left out.
    """
    if full:
        cols = "*"
    else:
        cols = ", ".join(dict.fromkeys(spec.column_of(f) for f in spec.key))
    cur = conn.execute(
        f"SELECT {spec.row_id} AS _rowid, {cols} FROM {spec.name} ORDER BY {spec.order}"
    )
    names = [d[0] for d in cur.description]
    # a sample's settings go out as their hash (hex), as before 0021_narrow_store
    hashes = settings_hashes(conn) if "settings_id" in names else None
    seen: dict[str, int] = {}
    while True:
        chunk = cur.fetchmany(BATCH)
        if not chunk:
            break
        for values in chunk:
            row = external_row(spec.name, dict(zip(names, values, strict=True)))
            for col in LOCAL_IDS.get(spec.name, ()):
                row.pop(col, None)
            if hashes is not None:
                row = with_settings_hash(row, hashes)
            rid = int(row.pop("_rowid"))
            orphan = False
            for col, fld, ref in spec.refs:
                value = row.pop(col, None)
                if value is None:
                    row[fld] = None
                    continue
                target = id_to_cid[ref].get(int(value))
                if target is None:
                    orphan = True
                    break
                row[fld] = target
            if orphan:
                if skipped is not None:
                    skipped[spec.name] = skipped.get(spec.name, 0) + 1
                continue
            base = _cid([row[f] for f in spec.key])
            n = seen.get(base, 0) + 1
            seen[base] = n
            yield rid, (base if n == 1 else f"{base}#{n}"), row


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _applied_migrations(conn: sqlite3.Connection) -> list[str]:
    names = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    known = [name for name, _ in MIGRATIONS if name in names]
    return known + sorted(names - set(known))


# ---- export ---------------------------------------------------------------------------------
class _ParquetWriter:
    """One table's Parquet file, written a row group at a time; columns typed from the
    table's declared SQLite types (foreign keys and cids are strings)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, spec: _Table) -> None:
        import pyarrow as pa  # lazy: only export and import need it

        self.pa = pa
        self.path = path
        declared = {
            r[1]: (r[2] or "").upper() for r in conn.execute(f"PRAGMA table_info({spec.name})")
        }
        fields = [pa.field("cid", pa.string())]
        if spec.has_id:
            fields.append(pa.field("id", pa.int64()))
        ref_cols = {col: fld for col, fld, _ in spec.refs}
        for col, kind in declared.items():
            if col == "id" or (col == "settings_hash" and "settings_id" in declared):
                continue  # (an emptied settings_hash: SQLite < 3.35 keeps it, 0021)
            if col in ref_cols:
                fields.append(pa.field(ref_cols[col], pa.string()))
            elif col == "settings_id":  # exported as the settings' hash (0021_narrow_store)
                fields.append(pa.field("settings_hash", pa.string()))
            elif "INT" in kind:
                fields.append(pa.field(col, pa.int64()))
            elif "REAL" in kind:
                fields.append(pa.field(col, pa.float64()))
            else:
                fields.append(pa.field(col, pa.string()))
        self.schema = pa.schema(fields)
        self.rows: list[dict[str, Any]] = []
        self.writer: Any = None

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        import pyarrow.parquet as pq

        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, self.schema)
        self.writer.write_table(self.pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def close(self) -> None:
        if self.rows or self.writer is None:
            self.flush()
        self.writer.close()

    def abandon(self) -> None:
        """Drop the file (a value did not fit its column's Parquet type)."""
        if self.writer is not None:
            self.writer.close()
        self.path.unlink(missing_ok=True)


_PARQUET_ERRORS = (ValueError, TypeError, OverflowError)  # pyarrow's ArrowInvalid/TypeError too


def _parquet_available() -> str | None:
    """Why Parquet cannot be written (None when pyarrow imports)."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    except ImportError as exc:
        return f"pyarrow is not importable ({exc}); install pyarrow to get Parquet files"
    return None


def _export_table(
    conn: sqlite3.Connection,
    out: Path,
    spec: _Table,
    no_parquet: str | None,
    id_to_cid: dict[str, dict[int, str]],
    skipped: dict[str, int],
    notes: list[str],
) -> dict[str, Any]:
    """Write one table to ``out`` (JSONL, and Parquet when ``no_parquet`` is None).

    Records each row's content id in ``id_to_cid`` (for tables that others reference), counts
    orphans in ``skipped`` and appends a line to ``notes`` when the Parquet file is dropped.
    Returns the manifest entry of the table (``rows``, ``jsonl``, ``parquet``).
    """
    only = None
    if spec.only is not None:
        only = {int(r[0]) for r in conn.execute(spec.only)}
    jsonl = out / f"{spec.name}.jsonl"
    pq_writer = (
        _ParquetWriter(out / f"{spec.name}.parquet", conn, spec) if no_parquet is None else None
    )
    n = 0
    with jsonl.open("wb") as fh:
        for rid, cid, row in _iter_table(conn, spec, id_to_cid, full=True, skipped=skipped):
            if spec.name in id_to_cid:
                id_to_cid[spec.name][rid] = cid
            if only is not None and rid not in only:
                continue
            row.pop("id", None)
            record = {"cid": cid, **({"id": rid} if spec.has_id else {}), **row}
            fh.write(orjson.dumps(record) + b"\n")
            if pq_writer is not None:
                try:
                    pq_writer.add(record)
                except _PARQUET_ERRORS as exc:
                    pq_writer.abandon()
                    pq_writer = None
                    notes.append(
                        f"{spec.name}.parquet not written: a value of row {cid!r} does"
                        f" not fit its column type ({exc}); {spec.name}.jsonl has it"
                    )
            n += 1
    entry: dict[str, Any] = {
        "rows": n,
        "jsonl": {
            "file": jsonl.name,
            "sha256": _sha256(jsonl),
            "bytes": jsonl.stat().st_size,
        },
        "parquet": None,
    }
    if pq_writer is not None:
        try:
            pq_writer.close()
        except _PARQUET_ERRORS as exc:
            pq_writer.abandon()
            pq_writer = None
            notes.append(
                f"{spec.name}.parquet not written: a value does not fit its column"
                f" type ({exc}); {spec.name}.jsonl has every row"
            )
    if pq_writer is not None:
        pq_path = pq_writer.path
        entry["parquet"] = {
            "file": pq_path.name,
            "sha256": _sha256(pq_path),
            "bytes": pq_path.stat().st_size,
        }
    return entry


def export_store(
    conn: sqlite3.Connection,
    store_path: str | os.PathLike[str],
    folder: str | os.PathLike[str],
    *,
    parquet: bool = True,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write every exported table of the store on ``conn`` to ``folder`` (see module docstring).

    The tables are read in one read transaction (a consistent snapshot while others write).

    Args:
        conn: a connection to the store (autocommit mode, as ``Store.conn``).
        store_path: the store file, recorded in the manifest.
        folder: a new or empty folder.
        parquet: also write ``<table>.parquet`` (when pyarrow is importable).
        progress: called with one line per table.

    Returns:
        The manifest (also written to ``folder/manifest.json``).

    Raises:
        ExchangeError: ``folder`` is a file or a non-empty folder.
    """
    out = Path(folder)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExchangeError(
            f"{out}: {'is a file' if not out.is_dir() else 'is not empty'}; export into a new"
            " or empty folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    no_parquet = _parquet_available() if parquet else "not asked for (--no-parquet)"
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "capslice_version": capslice_version(),
        "exported_at": now_iso(),
        "exported_by": current_user(),
        "source": str(store_path),
        "canonical": "jsonl",
        "content_ids": "see the docstring of capslice_tui.store.exchange",
        "parquet": {"written": no_parquet is None, "reason": no_parquet},
        "tables": {},
        "notes": [],
    }
    skipped: dict[str, int] = {}
    id_to_cid: dict[str, dict[int, str]] = {name: {} for name in REFERENCED}
    conn.execute("BEGIN")  # one snapshot for every table
    try:
        migrations = _applied_migrations(conn)
        manifest["schema_version"] = len(migrations)
        manifest["migrations"] = migrations
        for spec in TABLES:
            entry = _export_table(
                conn, out, spec, no_parquet, id_to_cid, skipped, manifest["notes"]
            )
            n = entry["rows"]
            manifest["tables"][spec.name] = entry
            if progress is not None:
                progress(f"{spec.name}: {plural(n, 'row', ',')}")
    finally:
        conn.execute("COMMIT")
    for name, count in skipped.items():
        manifest["notes"].append(
            f"{plural(count, 'row', ',')} of {name} "
            + (
                "points to a row that does not exist (orphan) and was"
                if count == 1
                else "point to a row that does not exist (orphans) and were"
            )
            + " not exported; `capslice doctor` lists them"
        )
    (out / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n")
    return manifest


# ---- import ---------------------------------------------------------------------------------
def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check an export folder's manifest and files before anything is written.

    Raises:
        ExchangeError: no or unreadable manifest; another format or a newer format version; a
            schema migration this capslice does not know (a newer capslice wrote it); a table
            file missing, or whose sha256 or row count differs from the manifest.
    """
    root = Path(folder)
    path = root / MANIFEST
    if not root.is_dir():
        raise ExchangeError(f"{root}: no such folder")
    if not path.is_file():
        raise ExchangeError(
            f"{path}: missing; {root} is not a capslice export, or the export was interrupted"
            " (the manifest is written last): export again"
        )
    try:
        manifest = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ExchangeError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExchangeError(f"{path}: not a capslice export manifest (field 'format')")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ExchangeError(
            f"{path}: export format version {version!r} is newer than this capslice reads"
            f" ({FORMAT_VERSION}); upgrade capslice to import it"
        )
    known = {name for name, _ in MIGRATIONS}
    migrations = manifest.get("migrations")
    if not isinstance(migrations, list):
        raise ExchangeError(f"{path}: field 'migrations' is missing or not a list")
    unknown = [m for m in migrations if m not in known]
    if unknown:
        raise ExchangeError(
            f"{path}: written by a newer capslice {manifest.get('capslice_version', '?')}"
            f" (schema version {manifest.get('schema_version', '?')}, migrations"
            f" {', '.join(map(str, unknown))} unknown here; this capslice knows {len(known)});"
            " upgrade capslice to import it"
        )
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise ExchangeError(f"{path}: field 'tables' is missing or not an object")
    for name, entry in tables.items():
        if name not in SPEC:
            raise ExchangeError(f"{path}: unknown table {name!r} in field 'tables'")
        try:
            fname, digest, rows = entry["jsonl"]["file"], entry["jsonl"]["sha256"], entry["rows"]
        except (KeyError, TypeError) as exc:
            raise ExchangeError(f"{path}: table {name!r} lacks field {exc}") from exc
        file = root / fname
        if Path(fname).name != fname or not file.is_file():
            raise ExchangeError(f"{file}: missing (listed in {path} for table {name})")
        actual = _sha256(file)
        if actual != digest:
            raise ExchangeError(
                f"{file}: checksum mismatch (sha256 {actual[:12]}..., the manifest says"
                f" {str(digest)[:12]}...): the file was changed or damaged after export"
            )
        with file.open("rb") as fh:
            lines = sum(1 for line in fh if line.strip())
        if lines != rows:
            raise ExchangeError(f"{file}: {plural(lines, 'row', ',')}, the manifest says {rows}")
    return manifest


def _read_jsonl(root: Path, manifest: dict[str, Any], table: str) -> Iterator[dict[str, Any]]:
    entry = manifest["tables"].get(table)
    if entry is None:
        return
    file = root / entry["jsonl"]["file"]
    with file.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise ExchangeError(f"{file} line {lineno}: invalid JSON ({exc})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("cid"), str):
                raise ExchangeError(f"{file} line {lineno}: field 'cid' is missing")
            row["_line"] = lineno
            yield row


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Consecutive lists of at most ``BATCH`` rows (one import transaction each)."""
    size = BATCH
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class ImportReport:
    """What an import did, per table: rows ``added``, ``updated`` (merged from the newer
    side), ``present`` (already in the store), ``held`` (held back by a conflict or a missing
    reference); and every conflict."""

    folder: str
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, table: str, what: str, n: int = 1) -> None:
        """Add ``n`` to one counter of one table."""
        t = self.tables.setdefault(table, {"added": 0, "updated": 0, "present": 0, "held": 0})
        t[what] += n

    @property
    def changed(self) -> int:
        """Rows added or updated (0: the import changed nothing)."""
        return sum(t["added"] + t["updated"] for t in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "folder": self.folder,
            "changed": self.changed,
            "tables": self.tables,
            "conflicts": self.conflicts,
            "notes": self.notes,
        }


State = tuple[Any, Any, Any]
_NEVER: State = (None, None, None)


def _was_seen(state: State, history: list[dict[str, Any]], prefix: str) -> bool:
    """Whether a label or slice went through ``state`` (value, who, at) in ``history``: as the
    state a row wrote, or as the state a row replaced. A replaced value whose who/at the row
    did not record (rule labels, rows written before migration 0011) matches on the value."""
    for h in history:
        if (h.get(f"new_{prefix}"), h.get("who"), h.get("at")) == state:
            return True
        old, old_who, old_at = h.get(f"old_{prefix}"), h.get("old_who"), h.get("old_at")
        if old is None and old_who is None:
            if state == _NEVER:  # the row created it
                return True
        elif (old, old_who, old_at) == state:
            return True
        elif old is not None and old_who is None and old_at is None and old == state[0]:
            return True
    return False


def _newer(
    local: State, other: State, local_hist: list[dict[str, Any]], other_hist: list[dict[str, Any]],
    prefix: str,
) -> str:  # fmt: skip
    """``take`` (the other side has seen ``local`` and moved on), ``keep`` (the reverse, or
    the other side never had it) or ``conflict`` (each changed without seeing the other)."""
    if local == _NEVER and not local_hist:
        return "take"
    if other == _NEVER and not other_hist:
        return "keep"
    local_seen_there = _was_seen(local, other_hist, prefix)
    other_seen_here = _was_seen(other, local_hist, prefix)
    if local_seen_there and other_seen_here:  # went back and forth: the later change wins
        last_local = max((h["at"] or "" for h in local_hist), default="")
        last_other = max((h["at"] or "" for h in other_hist), default="")
        return "take" if last_other > last_local else "keep"
    if local_seen_there:
        return "take"
    if other_seen_here:
        return "keep"
    return "conflict"


def _label_key(h: dict[str, Any]) -> str:
    """The content id of a label's (item, axis, source): one key per label slot."""
    return _cid([h["item"], h["axis"], h["source"]])


class _LabelMerge:
    """One merge of labels: both sides' label history by key, this store's labels of the batch
    at hand and the keys held back by a conflict (see :meth:`_Importer.merge_labels`)."""

    def __init__(self, importer: _Importer) -> None:
        self.importer = importer
        self.theirs_hist = importer._history_by("label_history", _label_key)
        self.mine_hist: dict[str, list[dict[str, Any]]] = {}
        for h in importer.conn.execute(
            "SELECT h.*, capslice_hex(i.item_hash) AS item FROM label_history h"
            " JOIN items i ON i.id = h.item_id"
            " ORDER BY h.id"
        ):
            d = dict(h)
            self.mine_hist.setdefault(_label_key(d), []).append(d)
        self.mine: dict[str, dict[str, Any]] = {}  # this store's labels of the batch at hand
        self.conflicted: set[str] = set()

    def load_mine(self, hashes: list[str]) -> None:
        """Read this store's labels of the items ``hashes`` into ``mine``."""
        self.mine.clear()
        for chunk in chunks(sorted(set(hashes))):
            for r in self.importer.conn.execute(
                "SELECT l.*, capslice_hex(i.item_hash) AS item FROM labels l JOIN items i"
                f" ON i.id = l.item_id WHERE i.item_hash IN ({placeholders(chunk)})",
                [to_blob(h) for h in chunk],
            ):
                d = dict(r)
                self.mine[_label_key(d)] = d

    @staticmethod
    def state(label: dict[str, Any] | None, hist: list[dict[str, Any]]) -> State:
        """(value, who, at) of a label, of its clearing, or never set."""
        if label is not None:
            return (label["value"], label["who"], label["at"])
        if hist and hist[-1].get("new_value") is None:
            return (None, hist[-1]["who"], hist[-1]["at"])
        return _NEVER

    def decide(self, key: str, theirs: dict[str, Any] | None) -> str:
        """``same``, ``keep``, ``take`` or ``conflict`` (recorded in the report) for one label."""
        mine, mine_hist, theirs_hist = self.mine, self.mine_hist, self.theirs_hist
        state = self.state
        local = mine.get(key)
        if local is not None and theirs is not None and (
            local["value"], local["note"]) == (theirs["value"], theirs.get("note")):  # fmt: skip
            return "same"
        if local is None and theirs is None:
            return "same"
        verdict = _newer(
            state(local, mine_hist.get(key, [])), state(theirs, theirs_hist.get(key, [])),
            mine_hist.get(key, []), theirs_hist.get(key, []), "value",
        )  # fmt: skip
        if verdict == "conflict":
            self.conflicted.add(key)
            item = (theirs or local or {}).get("item")
            self.importer.report.conflicts.append({
                "kind": "label", "item_hash": item,
                "item_id": self.importer.cid_to_id["items"].get(str(item)),
                "axis": (theirs or local or {}).get("axis"),
                "source": (theirs or local or {}).get("source"),
                "here": _label_side(local), "imported": _label_side(theirs),
            })  # fmt: skip
        return verdict


class _Importer:
    """One import of an export folder into the store behind ``write`` (see
    :func:`import_folder`)."""

    def __init__(self, store: Any, root: Path, manifest: dict[str, Any]) -> None:
        self.store = store
        self.conn: sqlite3.Connection = store.conn
        self.root = root
        self.manifest = manifest
        self.report = ImportReport(str(root))
        self.cid_to_id: dict[str, dict[str, int]] = {}
        self.id_to_cid: dict[str, dict[int, str]] = {name: {} for name in REFERENCED}
        self.present: dict[str, dict[str, int]] = {}
        self.held: dict[str, set[str]] = {t.name: set() for t in TABLES}
        self.columns: dict[str, list[str]] = {
            t.name: [r[1] for r in self.conn.execute(f"PRAGMA table_info({t.name})")]
            for t in TABLES
        }
        self.new_items: set[int] = set()
        self.settings_by_hash: dict[str, int] = {}
        self.changed_items: set[int] = set()
        self.new_runs: set[int] = set()
        self.grown_runs: set[int] = set()
        self.at = MANIFEST
        self.progress: Callable[[str], None] | None = None
        self.folder = str(root.resolve())
        self.command = import_command(store.path, root)

    @contextmanager
    def batch(self) -> Iterator[sqlite3.Connection]:
        """One write transaction of the import; when it rolls back (a stop signal, an
        error), the report's counts go back too, so an interrupted import reports only what
        was kept."""
        saved = {name: dict(t) for name, t in self.report.tables.items()}
        try:
            with self.store.write() as conn:
                yield conn
        except BaseException:
            self.report.tables = saved
            raise

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """The exported rows of ``table``; remembers the file and line being read, so an
        error names them."""
        for row in _read_jsonl(self.root, self.manifest, table):
            self.at = f"{table}.jsonl line {row['_line']}"
            yield row

    # -- indexes of the target ----------------------------------------------------------
    def index(self, spec: _Table) -> dict[str, int]:
        """cid -> row id of every row of ``spec`` in the store (rowid for tables without id)."""
        found: dict[str, int] = {}
        for rid, cid, _ in _iter_table(self.conn, spec, self.id_to_cid, full=False):
            found[cid] = rid
            if spec.name in self.id_to_cid:
                self.id_to_cid[spec.name][rid] = cid
        self.present[spec.name] = found
        if spec.name in REFERENCED:
            self.cid_to_id[spec.name] = dict(found)
        return found

    def keep_ids(self, spec: _Table) -> bool:
        """Whether imported rows keep their exported ids: every row of the table in the store
        is a row of this export under the same id (an empty table, or a re-run)."""
        present = self.present[spec.name]
        if not spec.has_id or not present:
            return spec.has_id
        exported = {row["cid"]: row.get("id") for row in self.rows(spec.name)}
        return all(exported.get(cid) == rid for cid, rid in present.items())

    # -- rows ---------------------------------------------------------------------------
    def resolve(
        self, spec: _Table, row: dict[str, Any], *, quiet: bool = False
    ) -> dict[str, Any] | None:
        """The row's column values for the store, foreign keys as store ids; None when a
        reference is held back by a conflict or missing (counted)."""
        file = f"{spec.name}.jsonl"
        values: dict[str, Any] = {}
        for col, fld, ref in spec.refs:
            target = row.get(fld)
            if target is None:
                values[col] = None
                continue
            rid = None if target in self.held[ref] else self.cid_to_id[ref].get(target)
            if rid is None:
                if quiet:
                    return None
                if target not in self.held[ref]:
                    self.report.notes.append(
                        f"{file} line {row['_line']}: {fld} {target!r} is neither in the export"
                        " nor in the store; row skipped"
                    )
                self.held[spec.name].add(row["cid"])
                self.report.count(spec.name, "held")
                return None
            values[col] = rid
        known = self.columns[spec.name]
        if "settings_hash" in row and "settings_id" in known:  # stored as its id (0021)
            row = dict(row)
            row["settings_id"] = self.settings_id(row.pop("settings_hash"), file, row["_line"])
        for key, value in row.items():
            if key in ("cid", "_line", "id") or spec.column_of(key) != key:
                continue
            if key in LOCAL_IDS.get(spec.name, ()):  # another store's ids: set as copied
                continue
            if key not in known:
                raise ExchangeError(
                    f"{file} line {row['_line']}: field {key!r} is not a column of {spec.name}"
                )
            values[key] = value
        try:
            return stored_row(spec.name, values)  # 0021_narrow_store: hashes as blobs
        except ValueError as exc:
            raise ExchangeError(f"{file} line {row['_line']}: {exc}") from None

    def settings_id(self, settings_hash: str | None, file: str, line: int) -> int | None:
        """The store's ``eval_settings.id`` of an exported sample's settings hash (None: no
        settings recorded).

        Raises:
            ExchangeError: the hash is not among the exported or stored settings.
        """
        if settings_hash is None:
            return None
        found = self.settings_by_hash.get(settings_hash)
        if found is None:  # settings imported since the map was read
            self.settings_by_hash = {h: i for i, h in settings_hashes(self.conn).items()}
            found = self.settings_by_hash.get(settings_hash)
        if found is None:
            raise ExchangeError(
                f"{file} line {line}: settings_hash {settings_hash!r} is not in"
                " eval_settings.jsonl nor in the store"
            )
        return found

    def insert(
        self, conn: sqlite3.Connection, spec: _Table, row: dict[str, Any], keep_ids: bool
    ) -> int | None:
        """Insert one exported row; returns its new id (None when held back)."""
        values = self.resolve(spec, row)
        if values is None:
            return None
        if spec.name == "runs":  # incomplete until the import ends (its samples come later)
            values = self.marked(values)
        return self.insert_values(conn, spec, row, values, keep_ids)

    def marked(self, values: dict[str, Any]) -> dict[str, Any]:
        """A run's values as written while this import runs: status ``incomplete``, and its
        meta holding :data:`IMPORT_MARK` (what it gets back at the end), the reason and the
        command that completes it."""
        meta = json.loads(values.get("meta") or "{}")
        if IMPORT_MARK not in meta:
            mark = {"folder": self.folder, "status": values.get("status") or "complete"}
            mark["incomplete"] = meta.get("incomplete")
            meta[IMPORT_MARK] = mark
        meta["incomplete"] = (
            f"import of {self.folder} not finished; to finish (adds only what is missing): "
            f"{self.command}"
        )
        meta["import_command"] = self.command
        return {**values, "status": "incomplete", "meta": json.dumps(meta, default=str)}

    def mark_grown(self, conn: sqlite3.Connection, run_id: int) -> None:
        """Mark a run that was here before and gains samples from this import as
        :meth:`marked` (in the transaction of its first new samples)."""
        row = conn.execute("SELECT status, meta FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return
        values = self.marked({"status": row[0], "meta": row[1]})
        conn.execute(
            "UPDATE runs SET status = ?, meta = ? WHERE id = ?",
            (values["status"], values["meta"], run_id),
        )

    def unmark(self) -> list[str]:
        """The import ended: every run it marked gets its status and ``meta.incomplete``
        back (one transaction). Returns their names."""
        done = []
        with self.store.write() as conn:
            for rid, name, raw in conn.execute(
                "SELECT id, name, meta FROM runs WHERE meta LIKE ?", (f"%{IMPORT_MARK}%",)
            ).fetchall():
                meta = json.loads(raw or "{}")
                mark = meta.get(IMPORT_MARK)
                if not isinstance(mark, dict) or mark.get("folder") != self.folder:
                    continue  # another folder's import, still unfinished
                meta.pop(IMPORT_MARK)
                meta.pop("import_command", None)
                meta.pop("incomplete", None)
                if mark.get("incomplete"):
                    meta["incomplete"] = mark["incomplete"]
                conn.execute(
                    "UPDATE runs SET status = ?, meta = ? WHERE id = ?",
                    (mark.get("status") or "complete", json.dumps(meta, default=str), rid),
                )
                done.append(name)
        return done

    def unfinished(self) -> list[str]:
        """Names of the runs this import marked and has not finished."""
        rows = self.conn.execute(
            "SELECT name, meta FROM runs WHERE meta LIKE ? ORDER BY name", (f"%{IMPORT_MARK}%",)
        ).fetchall()
        out = []
        for name, raw in rows:
            mark = json.loads(raw or "{}").get(IMPORT_MARK)
            if isinstance(mark, dict) and mark.get("folder") == self.folder:
                out.append(name)
        return out

    def insert_values(
        self,
        conn: sqlite3.Connection,
        spec: _Table,
        row: dict[str, Any],
        values: dict[str, Any],
        keep_ids: bool,
    ) -> int:
        """Insert resolved values of one exported row; returns its id in the store."""
        if keep_ids and spec.has_id:
            values["id"] = row["id"]
        cols = list(values)
        cur = conn.execute(
            f"INSERT INTO {spec.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [values[c] for c in cols],
        )
        rid = int(row["id"]) if keep_ids and spec.has_id else int(cur.lastrowid or 0)
        if not spec.unique:
            self.present[spec.name][row["cid"]] = rid
        if spec.name in self.cid_to_id:
            self.cid_to_id[spec.name][row["cid"]] = rid
        self.report.count(spec.name, "added")
        return rid

    def copy_table(
        self, spec: _Table, skip: Callable[[dict[str, Any]], bool] | None = None
    ) -> None:
        """Insert every exported row of ``spec`` whose cid the store lacks, ``BATCH`` rows
        per transaction; rows for which ``skip`` is true are held back."""
        if spec.unique and skip is None:
            self.copy_unique(spec)
            return
        present = self.index(spec)
        keep = self.keep_ids(spec)
        for batch in _batches(self.rows(spec.name)):
            todo = []
            for row in batch:
                if row["cid"] in present:
                    self.report.count(spec.name, "present")
                elif skip is not None and skip(row):
                    self.report.count(spec.name, "held")
                else:
                    todo.append(row)
            if not todo:
                continue
            with self.batch() as conn:
                for row in todo:
                    rid = self.insert(conn, spec, row, keep)
                    if rid is None:
                        continue
                    if spec.name == "items":
                        self.new_items.add(rid)
                    elif spec.name == "runs":
                        self.new_runs.add(rid)

    def _existing(
        self, conn: sqlite3.Connection, spec: _Table, values: dict[str, Any]
    ) -> int | None:
        """Row id (rowid) of the row with the same unique key as ``values``, if any."""
        cols = [spec.column_of(f) for f in spec.key]
        found = conn.execute(
            f"SELECT {spec.row_id} FROM {spec.name} WHERE "
            + " AND ".join(f"{c} = ?" for c in cols),
            [values[c] for c in cols],
        ).fetchone()
        return None if found is None else int(found[0])

    def _same_ids(self, spec: _Table, rows_here: int) -> bool:
        """Whether every row of the table in the store is a row of the export under the same
        id (read row by row: memory bounded by the batch)."""
        matched = 0
        for row in self.rows(spec.name):
            values = self.resolve(spec, row, quiet=True)
            rid = None if values is None else self._existing(self.conn, spec, values)
            if rid is not None:
                if rid != row["id"]:
                    return False
                matched += 1
        return matched == rows_here

    def copy_unique(self, spec: _Table) -> None:
        """:meth:`copy_table` for a table whose cid fields are a unique key (samples, item
        scores, texts...): each row is looked up by that key, so memory does not grow with the
        table."""
        rows_here = int(self.conn.execute(f"SELECT count(*) FROM {spec.name}").fetchone()[0])
        keep = spec.has_id and (rows_here == 0 or self._same_ids(spec, rows_here))
        ranges: dict[int, tuple[int, int]] = {}  # ingest id -> sample ids copied this batch
        for batch in _batches(self.rows(spec.name)):
            with self.batch() as conn:
                for row in batch:
                    values = self.resolve(spec, row)
                    if values is None:
                        continue
                    if self._existing(conn, spec, values) is not None:
                        self.report.count(spec.name, "present")
                        continue
                    rid = self.insert_values(conn, spec, row, values, keep)
                    if spec.name == "samples":
                        run_id = values["run_id"]
                        if run_id not in self.new_runs and run_id not in self.grown_runs:
                            self.mark_grown(conn, int(run_id))
                        if values["run_id"] not in self.new_runs:
                            self.grown_runs.add(int(values["run_id"]))
                        lo, hi = ranges.get(values["ingest_id"], (rid, rid))
                        ranges[values["ingest_id"]] = (min(lo, rid), max(hi, rid))
                widen_sample_ranges(conn, [(i, lo, hi) for i, (lo, hi) in ranges.items()])
                ranges.clear()

    # -- merged tables ------------------------------------------------------------------
    def _history_by(
        self, table: str, key: Callable[[dict[str, Any]], str]
    ) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in self.rows(table):
            out.setdefault(key(row), []).append(row)
        return out

    def merge_labels(self) -> None:
        """Labels: insert missing ones, take the other side's newer value, report conflicts;
        then the label history (held back for conflicting labels)."""
        spec = SPEC["labels"]
        self.index(spec)
        keep = self.keep_ids(spec)
        merge = _LabelMerge(self)
        exported_keys = self._merge_label_rows(merge, spec, keep)
        self._merge_cleared_labels(merge, exported_keys)
        self.copy_table(SPEC["label_history"], skip=lambda h: _label_key(h) in merge.conflicted)

    def _merge_label_rows(self, merge: _LabelMerge, spec: _Table, keep: bool) -> set[str]:
        """Insert or update the exported labels, one write per batch; returns their keys."""
        mine = merge.mine
        exported_keys: set[str] = set()
        for batch in _batches(self.rows("labels")):
            with self.batch() as conn:
                merge.load_mine([str(row["item"]) for row in batch])  # under the write lock
                for row in batch:
                    key = _label_key(row)
                    exported_keys.add(key)
                    verdict = merge.decide(key, row)
                    if verdict in ("same", "keep"):
                        self.report.count("labels", "present")
                    elif verdict == "conflict":
                        self.report.count("labels", "held")
                    elif key in mine:  # take their newer value
                        values = self.resolve(spec, row)
                        if values is None:
                            continue
                        sets = [c for c in values if c not in ("item_id", "axis", "source")]
                        conn.execute(
                            f"UPDATE labels SET {', '.join(f'{c} = ?' for c in sets)} WHERE id = ?",
                            [*(values[c] for c in sets), mine[key]["id"]],
                        )
                        self.changed_items.add(int(values["item_id"]))
                        self.report.count("labels", "updated")
                    else:
                        if row["cid"] in self.present["labels"]:
                            self.report.count("labels", "present")
                            continue
                        rid = self.insert(conn, spec, row, keep)
                        if rid is not None:
                            self.changed_items.add(self.cid_to_id["items"][row["item"]])
        return exported_keys

    def _merge_cleared_labels(self, merge: _LabelMerge, exported_keys: set[str]) -> None:
        """Delete labels cleared on the other side that this store still has as they were."""
        mine, theirs_hist = merge.mine, merge.theirs_hist
        gone = [k for k in theirs_hist if k not in exported_keys]
        for chunk in _batches(iter([{"key": k} for k in gone])):
            with self.batch() as conn:
                merge.load_mine([str(theirs_hist[e["key"]][0]["item"]) for e in chunk])
                for entry in chunk:
                    key = entry["key"]
                    if key not in mine:
                        continue
                    verdict = merge.decide(key, None)
                    if verdict == "take":
                        conn.execute("DELETE FROM labels WHERE id = ?", (mine[key]["id"],))
                        self.changed_items.add(int(mine[key]["item_id"]))
                        self.report.count("labels", "updated")

    def merge_slices(self) -> None:
        """Named slices by name: new ones with their items and history; one seen by the other
        side and changed there since is updated (note, description, members); a slice changed
        on both sides, or another slice under the same name, is a conflict."""
        spec = SPEC["named_slices"]
        self.index(spec)
        keep = self.keep_ids(spec)
        theirs_hist = self._history_by("named_slice_history", lambda h: str(h["slice"]))
        members: dict[str, set[str]] = {}
        for row in self.rows("named_slice_items"):
            members.setdefault(str(row["slice"]), set()).add(str(row["item"]))
        held = self.held["named_slices"]
        for batch in _batches(self.rows("named_slices")):
            with self.batch() as conn:
                for row in batch:
                    cid = row["cid"]
                    local = conn.execute(
                        "SELECT * FROM named_slices WHERE name = ?", (row["name"],)
                    ).fetchone()
                    if local is None:
                        self.insert(conn, spec, row, keep)
                        continue
                    local = dict(local)
                    mine_hist = [dict(h) for h in conn.execute(
                        "SELECT * FROM named_slice_history WHERE slice_id = ? ORDER BY id", (local["id"],))]  # fmt: skip
                    mine_items = {r[0] for r in conn.execute(
                        "SELECT capslice_hex(i.item_hash) FROM named_slice_items s"
                        " JOIN items i ON i.id = s.item_id"
                        " WHERE s.slice_id = ?", (local["id"],))}  # fmt: skip
                    fields_ = ("note", "description", "version", "updated_by", "updated_at")
                    unchanged_here = (
                        local["version"] == 1 and local["updated_at"] == local["created_at"]
                    )
                    unchanged_there = row["version"] == 1 and row["updated_at"] == row["created_at"]
                    if (local["created_by"], local["created_at"]) != (
                        row["created_by"],
                        row["created_at"],
                    ):
                        verdict = "conflict"  # another slice under the same name
                    elif all(local[f] == row.get(f) for f in fields_) and mine_items == members.get(
                        cid, set()
                    ):
                        verdict = "same"
                    elif unchanged_here or unchanged_there:
                        verdict = "take" if unchanged_here else "keep"
                    else:
                        verdict = _newer(
                            (local["note"], local["updated_by"], local["updated_at"]),
                            (row.get("note"), row["updated_by"], row["updated_at"]),
                            mine_hist, theirs_hist.get(cid, []), "note",
                        )  # fmt: skip
                        if verdict != "conflict" and (local["version"] < row["version"]) != (
                            verdict == "take"
                        ):
                            verdict = "conflict"  # history and version disagree: do not guess
                    if verdict in ("same", "keep"):
                        self.report.count("named_slices", "present")
                    elif verdict == "conflict":
                        held.add(cid)
                        self.report.count("named_slices", "held")
                        self.report.conflicts.append({
                            "kind": "named_slice", "name": row["name"],
                            "here": {k: local[k] for k in ("version", "note", "created_by", "created_at", "updated_by", "updated_at")},
                            "imported": {k: row.get(k) for k in ("version", "note", "created_by", "created_at", "updated_by", "updated_at")},
                        })  # fmt: skip
                    else:
                        values = self.resolve(spec, row)
                        if values is None:
                            continue
                        sets = [c for c in values if c != "name"]
                        conn.execute(
                            f"UPDATE named_slices SET {', '.join(f'{c} = ?' for c in sets)} WHERE id = ?",
                            [*(values[c] for c in sets), local["id"]],
                        )
                        conn.execute(
                            "DELETE FROM named_slice_items WHERE slice_id = ?", (local["id"],)
                        )
                        self.present["named_slices"][cid] = local["id"]
                        self.cid_to_id["named_slices"][cid] = local["id"]
                        self.report.count("named_slices", "updated")
        self.copy_table(SPEC["named_slice_items"], skip=lambda r: r["slice"] in held)
        self.copy_table(SPEC["named_slice_history"], skip=lambda r: r["slice"] in held)

    def merge_interventions(self) -> None:
        """Interventions: new ones with their history; one whose history here is a part of the
        exported history is brought forward; diverged histories are a conflict."""
        spec = SPEC["interventions"]
        present = self.index(spec)
        keep = self.keep_ids(spec)
        hspec = SPEC["intervention_history"]
        mine_hist: dict[str, set[str]] = {}
        for _, hcid, h in _iter_table(self.conn, hspec, self.id_to_cid, full=False):
            mine_hist.setdefault(str(h["intervention"]), set()).add(hcid)
        theirs_rows: dict[str, list[dict[str, Any]]] = {}  # read once: a conflict names them
        for row in self.rows("intervention_history"):
            theirs_rows.setdefault(str(row["intervention"]), []).append(row)
        theirs_hist = {i: {h["cid"] for h in rows} for i, rows in theirs_rows.items()}
        held = self.held["interventions"]
        for batch in _batches(self.rows("interventions")):
            with self.batch() as conn:
                for row in batch:
                    cid = row["cid"]
                    if cid not in present:
                        self.insert(conn, spec, row, keep)
                        continue
                    here, there = mine_hist.get(cid, set()), theirs_hist.get(cid, set())
                    local = dict(
                        conn.execute(
                            "SELECT * FROM interventions WHERE id = ?", (present[cid],)
                        ).fetchone()
                    )
                    if there <= here and (there != here or local["version"] >= row["version"]):
                        self.report.count("interventions", "present")
                    elif here < there:
                        values = self.resolve(spec, row)
                        if values is None:
                            continue
                        conn.execute(
                            f"UPDATE interventions SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?",
                            [*values.values(), present[cid]],
                        )
                        self.report.count("interventions", "updated")
                    else:
                        held.add(cid)
                        self.report.count("interventions", "held")
                        mine = conn.execute(
                            "SELECT * FROM intervention_history WHERE intervention_id = ?"
                            " ORDER BY id",
                            (present[cid],),
                        ).fetchall()
                        theirs = theirs_rows.get(cid, [])
                        self.report.conflicts.append({
                            "kind": "intervention", "id": present[cid], "title": local["title"],
                            "here": {**{k: local[k] for k in ("version", "status", "decided_by", "updated_at")},
                                     **_last_change([dict(h) for h in mine])},
                            "imported": {**{k: row.get(k) for k in ("version", "status", "decided_by", "updated_at")},
                                         **_last_change(theirs)},
                        })  # fmt: skip
        self.copy_table(hspec, skip=lambda r: r["intervention"] in held)

    # -- the whole import ---------------------------------------------------------------
    def run(self) -> ImportReport:
        """Import every table in dependency order, then bring derived tables up to date."""
        present = self.index(SPEC["runs"])
        for row in self.rows("runs"):
            if row["cid"] in present:
                here = self.conn.execute(
                    "SELECT created_by, created_at FROM runs WHERE id = ?", (present[row["cid"]],)
                ).fetchone()
                if (here[0], here[1]) != (row.get("created_by"), row.get("created_at")):
                    self.report.notes.append(
                        f"run {row['name']} exists here too (created by {here[0]} at {here[1]},"
                        f" the imported one by {row.get('created_by')} at {row.get('created_at')});"
                        " its samples are merged by (task, filter, doc_id, sample_idx) and a sample"
                        " present on both sides keeps the value stored here"
                    )
        for name in (
            "runs",
            "run_tasks",
            "eval_settings",
            "texts",
            "items",
            "ingests",
            "samples",
            "item_scores",
        ):
            self.copy_table(SPEC[name])
            self.tell(name)
        self.merge_labels()
        self.tell("labels", "label_history")
        self.merge_slices()
        self.tell("named_slices", "named_slice_items", "named_slice_history")
        for name in ("suggestion_sets", "suggestions", "suggestion_items"):
            self.copy_table(SPEC[name])
            self.tell(name)
        self.merge_interventions()
        self.tell("interventions", "intervention_history")
        self.finish()
        self.unmark()  # last: a run is complete only once every row of the import is in
        return self.report

    def tell(self, *tables: str) -> None:
        """One progress line per table done (what it added, updated, found, held back)."""
        if self.progress is None:
            return
        for name in tables:
            t = self.report.tables.get(name)
            if t:
                parts = [f"{t[k]} {k}" for k in ("added", "updated", "present", "held") if t[k]]
                self.progress(f"{name}: {', '.join(parts)}")

    def finish(self) -> None:
        """Effective labels of new and changed items, item scores and sample counts of runs
        that gained samples, slice counts of every run that lacks them."""
        self.store.refresh_item_axes(None)  # items without effective labels yet
        if self.changed_items:
            self.store.refresh_item_axes(sorted(self.changed_items - self.new_items))
        for run_id in sorted(self.grown_runs):
            self.store.refresh_item_scores(run_id)
            with self.store.write() as conn:
                conn.execute(
                    "UPDATE runs SET n_samples = (SELECT count(*) FROM samples WHERE run_id = ?)"
                    " WHERE id = ?",
                    (run_id, run_id),
                )
            name = self.id_to_cid["runs"].get(run_id) or next(
                (c for c, i in self.cid_to_id["runs"].items() if i == run_id), str(run_id)
            )
            self.report.notes.append(
                f"run {name} was already here and gained samples; its item scores were recomputed"
            )
        lacking = [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT run_id FROM item_scores WHERE run_id NOT IN"
                " (SELECT DISTINCT run_id FROM slice_counts)"
            )
        ]
        self.store.refresh_slice_counts(lacking)
        with self.store.write() as conn:  # outcome bitsets (0022) of runs that lack them
            refresh_outcomes(
                conn,
                [
                    r[0]
                    for r in conn.execute(
                        "SELECT DISTINCT run_id FROM item_scores WHERE run_id NOT IN"
                        " (SELECT DISTINCT run_id FROM run_outcomes)"
                    )
                ],
            )


def _label_side(label: dict[str, Any] | None) -> dict[str, Any] | None:
    if label is None:
        return None
    return {k: label.get(k) for k in ("value", "note", "who", "at", "version")}


def import_folder(
    store: Any,
    folder: str | os.PathLike[str],
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import an export folder into ``store`` (a :class:`capslice_tui.store.Store`);
    ``progress`` is called with one line per table done.

    Idempotent: rows already in the store (same cid) are skipped, so a second import of the
    same folder changes nothing (``report.changed == 0``). Written in transactions of at most
    ``BATCH`` rows; every run it writes is marked incomplete (:data:`IMPORT_MARK`) until its
    last row is in, so an interrupted import leaves no run listed complete with samples
    missing; it is completed by running it again.

    Raises:
        ExchangeError: the manifest or a file fails the checks of :func:`read_manifest`, or a
            row lacks a field (the message names the file, line and field).
        ImportInterrupted: a stop signal (KeyboardInterrupt) ended it; the message says what
            was kept and how to finish.
    """
    root = Path(folder)
    manifest = read_manifest(root)
    importer = _Importer(store, root, manifest)
    importer.progress = progress
    try:
        return importer.run()
    except KeyError as exc:
        raise ExchangeError(f"{root / importer.at}: field {exc} is missing") from exc
    except KeyboardInterrupt as exc:
        raise _interrupted(importer, getattr(exc, "signal_name", "SIGINT")) from exc


def _interrupted(importer: _Importer, signal_name: str) -> ImportInterrupted:
    """The message of an import a signal stopped: what was kept, the runs left incomplete,
    the command that completes it."""
    report = importer.report
    kept = [f"{name} {t['added'] + t['updated']:,}" for name, t in report.tables.items()
            if t["added"] + t["updated"]]  # fmt: skip
    runs = importer.unfinished()
    shown = ", ".join(runs[:8]) + (f" and {len(runs) - 8} more" if len(runs) > 8 else "")
    return ImportInterrupted(
        f"import stopped by {signal_name}: the batch being written was rolled back; kept: "
        + (f"{plural(report.changed, 'row', ',')} ({', '.join(kept)})" if kept else "nothing")
        + (f"; {shown} {'is' if len(runs) == 1 else 'are'} marked incomplete" if runs else "")
        + f"; to finish (adds only what is missing): {importer.command}",
        report,
    )
