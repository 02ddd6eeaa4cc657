"""Check a store without changing it, copy what is readable out of a damaged one, back it up.

:func:`doctor` opens the file read-only (``mode=ro``): integrity check, schema version and
pending migrations, interrupted ingests, orphaned rows, filesystem and journal mode, size.
:func:`recover` copies every readable row of every table into a new store, table by table in
rowid ranges that are split down to single rows around a damaged page (Python's ``sqlite3``
has no ``.recover``), then rebuilds the per-item aggregates and reports what was lost; the
damaged file is only ever read. :func:`backup` uses SQLite's online backup API, which copies a
consistent snapshot while others keep writing.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .db import StoreError, is_damage
from .fs import FsInfo, WriteLease, filesystem_of, folder_store_problem
from .ingest import widen_sample_ranges
from .reliability import command_for_store, delete_run_command, process_alive, this_host
from .schema import MIGRATIONS, narrow_copied_rows
from .search import is_search_table

ORPHAN_CHECKS = (
    ("samples without their run", "samples", "run_id NOT IN (SELECT id FROM runs)"),
    ("samples without their item", "samples", "item_id NOT IN (SELECT id FROM items)"),
    ("item scores without their run", "item_scores", "run_id NOT IN (SELECT id FROM runs)"),
    ("labels without their item", "labels", "item_id NOT IN (SELECT id FROM items)"),
    ("ingests without their run", "ingests", "run_id NOT IN (SELECT id FROM runs)"),
    ("run tasks without their run", "run_tasks", "run_id NOT IN (SELECT id FROM runs)"),
    (
        "named-slice members without their slice",
        "named_slice_items",
        "slice_id NOT IN (SELECT id FROM named_slices)",
    ),
)


def _open_ro(path: Path) -> sqlite3.Connection:
    if folder_store_problem(path):
        raise StoreError(folder_store_problem(path))
    if not path.is_file():
        raise StoreError(f"{path}: no such store file")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def _try(
    conn: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()
) -> tuple[list[Any], str | None]:
    """Rows of a query, or ``([], error text)`` when it fails (a damaged page)."""
    try:
        return conn.execute(sql, params).fetchall(), None
    except sqlite3.DatabaseError as exc:
        return [], str(exc)


def doctor(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Examine a store read-only.

    Returns:
        ``{"path", "size_bytes", "wal_bytes", "filesystem": {fstype, mountpoint, source,
        cluster}, "journal_mode", "integrity": ["ok"] or problems (first 100), "damaged",
        "schema": {applied, pending, unknown}, "interrupted": [{run, state, reason, k,
        n_expected, command, delete}] (both commands name the store at ``path``), "orphans":
        {what: n}, "tables": {name: rows or error}, "findings":
        [plain sentences], "fs_warning", "lease" (holder of the write lease file or None)}``. ``damaged`` is True when the integrity check
        fails or the file cannot be read as a database.

    Raises:
        StoreError: the file does not exist.
    """
    p = Path(path)
    conn = _open_ro(p)
    fs = filesystem_of(p)
    wal = p.with_name(p.name + "-wal")
    out: dict[str, Any] = {
        "path": str(p),
        "size_bytes": p.stat().st_size,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "filesystem": {
            "fstype": fs.fstype,
            "mountpoint": fs.mountpoint,
            "source": fs.source,
            "cluster": fs.cluster,
        },  # fmt: skip
        "fs_warning": fs.warning(p),
        "findings": [],
    }
    _check_lease_and_journal(conn, p, fs, out)
    _check_integrity(conn, p, out)
    names = _check_tables(conn, out)
    _check_schema(conn, names, out)
    _check_leftovers(conn, names, out)
    conn.close()
    return out


def _check_lease_and_journal(
    conn: sqlite3.Connection, p: Path, fs: FsInfo, out: dict[str, Any]
) -> None:
    """Set ``lease`` and ``journal_mode`` in ``out``; a held lease or WAL on a cluster
    filesystem is a finding."""
    findings: list[str] = out["findings"]
    out["lease"] = WriteLease(p).holder()
    if out["lease"]:
        held = out["lease"]
        findings.append(
            f"write lease {p.name}.lease held by host {held.get('host')}, pid {held.get('pid')} "
            f"since {held.get('since')} (a writer on a network/cluster filesystem; delete the "
            "file only if that process is gone)"
        )
    rows, err = _try(conn, "PRAGMA journal_mode")
    out["journal_mode"] = rows[0][0] if rows else f"unreadable ({err})"
    if fs.cluster and rows and rows[0][0] == "wal":
        findings.append(
            f"journal mode is WAL on a {fs.fstype} filesystem: open the store once with capslice "
            "(it switches to the rollback journal) and keep writers on one host"
        )


def _check_integrity(conn: sqlite3.Connection, p: Path, out: dict[str, Any]) -> None:
    """Set ``integrity`` and ``damaged`` in ``out`` from ``PRAGMA integrity_check(100)``."""
    rows, err = _try(conn, "PRAGMA integrity_check(100)")
    integrity = [r[0] for r in rows] if rows else [f"cannot run the integrity check: {err}"]
    out["integrity"] = integrity
    out["damaged"] = integrity != ["ok"]
    if out["damaged"]:
        out["findings"].append(
            f"DAMAGED: {len(integrity)} integrity problem(s), first: {integrity[0]}. Copy what "
            f"is readable with `capslice recover {p} NEW.db`; this file is left as it is."
        )


def _check_tables(conn: sqlite3.Connection, out: dict[str, Any]) -> list[str]:
    """Set ``tables`` (row count or error per table) in ``out``; an unreadable table marks the
    store damaged. Returns the table names."""
    tables, _ = _try(conn, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    names = [r[0] for r in tables]
    counts: dict[str, Any] = {}
    for name in names:
        rows, err = _try(conn, f'SELECT count(*) FROM "{name}"')
        counts[name] = rows[0][0] if rows else f"unreadable ({err})"
        if err and not out["damaged"]:
            out["damaged"] = True
    out["tables"] = counts
    return names


def _check_schema(conn: sqlite3.Connection, names: list[str], out: dict[str, Any]) -> None:
    """Set ``schema`` in ``out``: ``applied``, ``pending`` and ``unknown`` migration names,
    and ``known`` (every migration this capslice knows, in the order it applies them; their
    numbers skip some, so the newest name's number is not a count), with findings."""
    findings: list[str] = out["findings"]
    applied_rows, _ = (
        _try(conn, "SELECT name FROM _migrations") if "_migrations" in names else ([], None)
    )
    applied = sorted(r[0] for r in applied_rows)
    known = [name for name, _ in MIGRATIONS]
    out["schema"] = {
        "applied": applied,
        "pending": [n for n in known if n not in applied],
        "unknown": [n for n in applied if n not in known],
        "known": known,
    }
    if out["schema"]["pending"]:
        findings.append(
            f"{len(out['schema']['pending'])} pending migration(s) "
            f"({', '.join(out['schema']['pending'])}): applied on the next capslice command"
        )
    if out["schema"]["unknown"]:
        findings.append(
            "written by a newer capslice (migrations "
            f"{', '.join(out['schema']['unknown'])} unknown here): upgrade capslice"
        )


def _check_leftovers(conn: sqlite3.Connection, names: list[str], out: dict[str, Any]) -> None:
    """Set ``interrupted`` (ingests) and ``orphans`` (rows without their parent) in ``out``."""
    findings: list[str] = out["findings"]
    out["interrupted"] = _interrupted(conn, Path(out["path"]))
    for r in out["interrupted"]:
        n = f" of {r['n_expected']:,}" if r["n_expected"] else ""
        findings.append(
            f"run {r['run']}: ingest {r['state']} ({r['reason']}), {r['k']:,}{n} records "
            f"stored; resume: {r['command'] or 'the same capslice ingest'}; or "
            f"`{r['delete']}`"
        )
    out["unfinished_imports"] = _unfinished_imports(conn, Path(out["path"]))
    for r in out["unfinished_imports"]:
        findings.append(
            f"run {r['run']}: import of {r['folder']} not finished, {r['k']:,} samples stored; "
            f"to finish (adds only what is missing): {r['command']}"
        )
    orphans: dict[str, Any] = {}
    for what, table, where in ORPHAN_CHECKS:
        if table not in names:
            continue
        rows, err = _try(conn, f"SELECT count(*) FROM {table} WHERE {where}")
        orphans[what] = rows[0][0] if rows else f"unreadable ({err})"
        if rows and rows[0][0]:
            findings.append(f"{rows[0][0]:,} {what}")
    out["orphans"] = orphans


def _interrupted(conn: sqlite3.Connection, path: Path) -> list[dict[str, Any]]:
    """Each run whose last ingest was interrupted, or is ``running`` with its process gone,
    with the commands that resume it and delete it, both naming the store at ``path``."""
    rows, _ = _try(
        conn,
        "SELECT i.*, r.name AS run_name, r.meta AS run_meta FROM ingests i JOIN runs r"
        " ON r.id = i.run_id WHERE i.id IN (SELECT max(id) FROM ingests GROUP BY run_id)"
        " AND i.status IN ('interrupted', 'running')",
    )
    out = []
    host = this_host()
    for r in rows:
        keys = r.keys()
        state, reason = r["status"], r["reason"] if "reason" in keys else None
        pid = r["pid"] if "pid" in keys else None
        if state == "running":
            if pid is None or r["host"] != host or process_alive(int(pid)):
                continue  # still writing (or on another host: cannot tell)
            state, reason = "interrupted", f"process {pid} ended without finishing (killed?)"
        k_rows, _ = _try(conn, "SELECT count(*) FROM samples WHERE run_id = ?", (r["run_id"],))
        try:
            command = json.loads(r["run_meta"] or "{}").get("ingest_command")
        except ValueError:
            command = None
        out.append(
            {
                "run": r["run_name"],
                "state": state,
                "reason": reason,
                "k": k_rows[0][0] if k_rows else None,
                "n_expected": r["n_expected"] if "n_expected" in keys else None,
                "command": command_for_store(command, path),
                "delete": delete_run_command(path, r["run_name"]),
            }
        )
    return out


def _unfinished_imports(conn: sqlite3.Connection, path: Path) -> list[dict[str, Any]]:
    """Each run an import marked and did not finish (``meta.import_unfinished``, walk 18
    F11): ``{run, folder, k (samples stored), command}``."""
    rows, _ = _try(
        conn, "SELECT id, name, meta FROM runs WHERE meta LIKE ? ORDER BY name",
        ("%import_unfinished%",),
    )  # fmt: skip
    out = []
    for r in rows:
        try:
            meta = json.loads(r["meta"] or "{}")
        except ValueError:
            continue
        mark = meta.get("import_unfinished")
        if not isinstance(mark, dict):
            continue
        k_rows, _ = _try(conn, "SELECT count(*) FROM samples WHERE run_id = ?", (r["id"],))
        out.append({
            "run": r["name"], "folder": mark.get("folder"), "k": k_rows[0][0] if k_rows else 0,
            "command": command_for_store(meta.get("import_command"), path)
            or "the same capslice import",
        })  # fmt: skip
    return out


DERIVED_TABLES = frozenset({"item_scores", "slice_counts", "item_axes", "run_outcomes"})
"""Tables recomputed from the others after a recovery (their losses are not data lost)."""

RANGE = 2000  # rows per read while copying; split down to one row around a damaged page


def recover(
    old: str | os.PathLike[str],
    new: str | os.PathLike[str],
    *,
    make_store: Callable[[Path], Any],
) -> dict[str, Any]:
    """Copy every readable row of ``old`` into the new store ``new``; ``old`` is only read.

    Args:
        make_store: creates an empty current-schema store at a path and returns it (a
            :class:`~capslice_tui.store.Store`; passed in to avoid an import cycle).

    Returns:
        ``{"old", "new", "tables": {name: {"copied", "expected" (count(*) or None when
        unreadable), "lost" (expected - copied, or None), "unreadable_rowids"}}, "lost_total"
        (rows lost outside the derived tables, which are rebuilt), "runs_rebuilt", "notes"}``.

    Raises:
        StoreError: ``new`` exists, ``old`` is missing or is not an SQLite file at all, or was
            written by a newer capslice.
    """
    src_path, dst_path = Path(old), Path(new)
    src = _open_damaged(src_path, dst_path)
    store = make_store(dst_path)
    dst = store.conn
    report: dict[str, Any] = {"old": str(src_path), "new": str(dst_path), "tables": {},
                              "notes": []}  # fmt: skip
    applied, _ = _try(src, "SELECT name FROM _migrations WHERE name = '0021_narrow_store'")
    older = not applied  # rows in the forms before 0021: converted once copied
    if older:
        narrow_copied_rows(dst, before=True)
    _copy_tables(src, dst, report)
    src.close()
    if older:
        narrow_copied_rows(dst, before=False)
    _drop_itemless_rows(dst, report)
    with store.write() as conn:  # the ingests' sample id ranges, of the rows copied (0025)
        conn.execute("UPDATE ingests SET first_sample_id = NULL, last_sample_id = NULL")
        widen_sample_ranges(
            conn,
            conn.execute(
                "SELECT ingest_id, min(id), max(id) FROM samples GROUP BY ingest_id"
            ).fetchall(),
        )
    lost = [t["lost"] for n, t in report["tables"].items() if n not in DERIVED_TABLES]
    report["lost_total"] = None if any(v is None for v in lost) else sum(lost)
    run_ids = [r[0] for r in dst.execute("SELECT id FROM runs")]
    for run_id in run_ids:
        store.refresh_item_scores(run_id)
    store.refresh_item_axes(None)
    report["runs_rebuilt"] = len(run_ids)
    _mark_damaged_runs(store, dst, report)
    store.close()
    return report


def _open_damaged(src_path: Path, dst_path: Path) -> sqlite3.Connection:
    """Open the store to recover read-only, after checking the target is a new file.

    Raises:
        StoreError: as :func:`recover`.
    """
    if dst_path.exists():
        raise StoreError(f"{dst_path}: already exists; recover writes a new file only")
    if src_path.resolve() == dst_path.resolve():
        raise StoreError("recover needs a new file, not the damaged one")
    src = _open_ro(src_path)
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{src_path}: cannot read the schema of this file: {exc}") from exc
    applied, _ = _try(src, "SELECT name FROM _migrations")
    unknown = sorted({r[0] for r in applied} - {n for n, _ in MIGRATIONS})
    if unknown:
        raise StoreError(
            f"{src_path}: written by a newer capslice (migrations {', '.join(unknown)}); "
            "recover it with that version"
        )
    return src


def _copy_tables(src: sqlite3.Connection, dst: sqlite3.Connection, report: dict[str, Any]) -> None:
    """Copy every capslice table but the search index and rowid-less derived ones into
    ``report["tables"]``; skipped tables are noted."""
    names = [
        r[0]
        for r in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name != '_migrations' ORDER BY name"
        )
    ]
    for name in names:
        if is_search_table(name):  # derived; each run is indexed again on its first search
            continue
        dst_cols = [r[1] for r in dst.execute(f'PRAGMA table_info("{name}")')]
        if not dst_cols:
            report["notes"].append(f"table {name} is not part of the capslice schema; skipped")
            continue
        if name in DERIVED_TABLES and _without_rowid(dst, name):
            # no rowid ranges to copy by (item_scores since 0017_compact_samples): it is
            # rebuilt from the samples below, like every derived table
            report["notes"].append(f"table {name} is derived: rebuilt from the samples")
            continue
        src_cols = [r[1] for r in src.execute(f'PRAGMA table_info("{name}")')]
        cols = [c for c in src_cols if c in dst_cols]
        report["tables"][name] = _copy_table(src, dst, name, cols)


def _drop_itemless_rows(dst: sqlite3.Connection, report: dict[str, Any]) -> None:
    """Drop copied rows whose item was on a damaged page, counting them as lost."""
    # rows whose item was on a damaged page cannot be used (their item is gone): drop them,
    # so the runs that held them show as incomplete and a re-ingest restores them
    for table in ("samples", "labels", "item_axes", "item_scores", "named_slice_items"):
        if table in report["tables"]:
            cur = dst.execute(f"DELETE FROM {table} WHERE item_id NOT IN (SELECT id FROM items)")
            if cur.rowcount:
                entry = report["tables"][table]
                entry["copied"] -= cur.rowcount
                if entry["expected"] is not None:
                    entry["lost"] = max(entry["expected"] - entry["copied"], 0)
                report["notes"].append(
                    f"{cur.rowcount} {table} row(s) dropped: their item was on a damaged page"
                )


def _mark_damaged_runs(store: Any, dst: sqlite3.Connection, report: dict[str, Any]) -> None:
    """Mark the runs that lost samples incomplete (status, sample count, a meta note)."""
    damaged_runs = [
        r[0]
        for r in dst.execute(
            "SELECT name FROM runs WHERE n_samples != (SELECT count(*) FROM samples s"
            " WHERE s.run_id = runs.id)"
        )
    ]
    if damaged_runs:
        with store.write() as conn:
            conn.execute(
                "UPDATE runs SET status = 'incomplete', n_samples = (SELECT count(*) FROM"
                " samples s WHERE s.run_id = runs.id) WHERE n_samples != (SELECT count(*) FROM"
                " samples s WHERE s.run_id = runs.id)"
            )
        for name in damaged_runs:
            store.merge_run_meta(
                store.get_run(name)["id"],
                {
                    "incomplete": "samples lost to a damaged page (capslice recover); ingest the "
                    "run's logs again to restore them"
                },  # fmt: skip
            )
        report["notes"].append(
            f"runs that lost samples (marked incomplete; ingest their logs again to restore "
            f"the missing samples): {', '.join(damaged_runs)}"
        )


def _without_rowid(conn: sqlite3.Connection, name: str) -> bool:
    """Whether table ``name`` is a ``WITHOUT ROWID`` table (it has no rowid to copy by)."""
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return row is not None and "WITHOUT ROWID" in (row[0] or "").upper()


def _copy_table(
    src: sqlite3.Connection, dst: sqlite3.Connection, name: str, cols: list[str]
) -> dict[str, Any]:
    """Copy one table by rowid ranges, halving a range that fails down to single rows."""
    expected_rows, _ = _try(src, f'SELECT count(*) FROM "{name}"')
    expected = expected_rows[0][0] if expected_rows else None
    top_rows, _ = _try(src, f'SELECT max(rowid) FROM "{name}"')
    top = top_rows[0][0] if top_rows else None
    if top is None and expected_rows:
        top = 0  # empty table
    col_list = ", ".join(f'"{c}"' for c in cols)
    select = f'SELECT rowid, {col_list} FROM "{name}" WHERE rowid BETWEEN ? AND ?'
    insert = (
        f'INSERT OR IGNORE INTO "{name}" (rowid, {col_list}) VALUES '
        f"({', '.join('?' * (len(cols) + 1))})"
    )
    copied = 0
    unreadable = 0

    def read(lo: int, hi: int) -> None:
        nonlocal copied, unreadable
        try:
            rows = src.execute(select, (lo, hi)).fetchall()
        except sqlite3.DatabaseError as exc:
            if not is_damage(exc):
                raise
            if lo == hi:
                unreadable += 1
                return
            mid = (lo + hi) // 2
            read(lo, mid)
            read(mid + 1, hi)
            return
        dst.executemany(insert, [tuple(r) for r in rows])
        copied += len(rows)

    dst.execute("BEGIN IMMEDIATE")
    try:
        if top is None:  # max(rowid) unreadable: walk ranges until a long empty stretch
            lo, empty = 1, 0
            while empty < 50:
                before = copied
                read(lo, lo + RANGE - 1)
                empty = empty + 1 if copied == before else 0
                lo += RANGE
        else:
            lowest_rows, _ = _try(src, f'SELECT min(rowid) FROM "{name}"')
            lo = lowest_rows[0][0] if lowest_rows and lowest_rows[0][0] is not None else 1
            while lo <= top:
                read(lo, min(lo + RANGE - 1, top))
                lo += RANGE
        dst.execute("COMMIT")
    except BaseException:
        dst.execute("ROLLBACK")
        raise
    return {
        "copied": copied,
        "expected": expected,
        "lost": None if expected is None else max(expected - copied, 0),
        "unreadable_rowids": unreadable,
    }


def backup(path: str | os.PathLike[str], target: str | os.PathLike[str]) -> dict[str, Any]:
    """Copy a store to ``target`` with SQLite's online backup API (a consistent snapshot, safe
    while other processes write; pages copied in steps so writers are not blocked long).

    Returns:
        ``{"source", "target", "bytes", "integrity"}`` (integrity of the copy: "ok" or the
        first problem).

    Raises:
        StoreError: ``target`` exists or the source is missing.
    """
    src_path, dst_path = Path(path), Path(target)
    if dst_path.exists():
        raise StoreError(f"{dst_path}: already exists; backup writes a new file only")
    if not dst_path.parent.is_dir():
        raise StoreError(f"{dst_path}: folder {dst_path.parent} does not exist")
    src = _open_ro(src_path)
    dst = sqlite3.connect(dst_path)
    try:
        src.backup(dst, pages=1024)
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA quick_check(1)").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        dst.close()
        dst_path.unlink(missing_ok=True)
        if is_damage(exc):
            raise StoreError(
                f"{src_path}: cannot back up a damaged store ({exc}); use `capslice recover "
                f"{src_path} NEW.db` instead"
            ) from exc
        raise
    finally:
        src.close()
    dst.close()
    return {"source": str(src_path), "target": str(dst_path), "bytes": dst_path.stat().st_size,
            "integrity": check}  # fmt: skip
