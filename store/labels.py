"""Labels with provenance, their history and undo, named slices and saved suggestions.

Every label row records its source (``rule`` | ``cluster`` | ``hand``), who and when; an item
keeps at most one value per (axis, source) and the effective value (hand > cluster > rule) is
materialised in ``item_axes`` by :meth:`SamplesMixin.refresh_item_axes`, called after every
change so slice statistics update at once. Each user action writes its ``label_history`` rows
under one ``batch`` id; :meth:`LabelsMixin.undo` restores the values before a batch.

Several annotators may share a store: every write is one ``BEGIN IMMEDIATE`` transaction
(:meth:`StoreBase.write`, :class:`StoreBusy` after the busy timeout), and a named slice carries
a ``version`` that each edit checks and bumps, so a stale edit raises :class:`Conflict`
("changed by X at T") instead of silently overwriting someone else's work.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from .db import Conflict, NotFound, StoreBase, chunks, current_user, now_iso
from .samples import AXES

LABEL_SOURCES = ("hand", "cluster", "rule")
"""Sources in precedence order: the first present wins."""


__all__ = ["Conflict", "LABEL_SOURCES", "LabelsMixin", "new_batch"]

_HISTORY_COLUMNS = (
    "item_id, axis, source, old_value, new_value, who, at, action, batch,"
    " old_note, new_note, old_who, old_at, old_origin"
)
_INSERT_HISTORY = (
    f"INSERT INTO label_history ({_HISTORY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def new_batch() -> str:
    """A fresh batch id grouping the history rows of one user action."""
    return uuid.uuid4().hex[:12]


def _check_axis(axis: str) -> None:
    if axis not in AXES:
        raise ValueError(f"unknown axis {axis!r}; axes are {', '.join(AXES)}")


def _check_source(source: str) -> None:
    if source not in LABEL_SOURCES:
        raise ValueError(f"unknown label source {source!r}; use one of {', '.join(LABEL_SOURCES)}")


def _filtered(
    sql: str, filters: Sequence[tuple[str, Any]], tail: str, limit: int
) -> tuple[str, list[Any]]:
    """``sql`` (which must end in a WHERE clause) plus ``AND col = ?`` per non-None filter
    value, then ``tail`` and ``LIMIT ?``; returns the statement and its parameters."""
    params: list[Any] = []
    for col, val in filters:
        if val is not None:
            sql += f" AND {col} = ?"
            params.append(val)
    params.append(limit)
    return f"{sql} {tail} LIMIT ?", params


class LabelsMixin(StoreBase):
    """Hand/cluster labels, history and undo, named slices (versioned) and suggestions."""

    # ---- labels -----------------------------------------------------------------------
    def _set_in(
        self,
        conn: sqlite3.Connection,
        item_ids: Sequence[int],
        axis: str,
        value: str | None,
        *,
        source: str,
        who: str,
        at: str,
        batch: str,
        origin: str | None,
        note: str | None,
        action: str,
    ) -> int:
        """Set (value) or clear (None) one axis/source on items inside an open transaction."""
        changed = 0
        for chunk in chunks(list(item_ids)):
            q = ",".join("?" * len(chunk))
            old = {
                r[0]: r
                for r in conn.execute(
                    f"SELECT item_id, value, note, who, at, origin FROM labels WHERE axis = ?"
                    f" AND source = ? AND item_id IN ({q})",
                    (axis, source, *chunk),
                )
            }
            history = []
            for item in chunk:
                prior = old.get(item)
                before = prior["value"] if prior else None
                old_note = prior["note"] if prior else None
                if before == value and (value is None or note is None or note == old_note):
                    continue  # a no-op (same value, same note) writes nothing (walk 18 F6)
                if value is None:
                    conn.execute(
                        "DELETE FROM labels WHERE item_id = ? AND axis = ? AND source = ?",
                        (item, axis, source),
                    )
                else:
                    conn.execute(
                        "INSERT INTO labels (item_id, axis, value, source, origin, who, at, note)"
                        " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(item_id, axis, source) DO UPDATE"
                        " SET value = excluded.value, origin = excluded.origin,"
                        " who = excluded.who, at = excluded.at, version = labels.version + 1,"
                        " note = coalesce(excluded.note, labels.note)",
                        (item, axis, value, source, origin, who, at, note),
                    )
                new_note = None if value is None else (note if note is not None else old_note)
                history.append(
                    (item, axis, source, before, value, who, at, action, batch, old_note,
                     new_note, prior["who"] if prior else None, prior["at"] if prior else None,
                     prior["origin"] if prior else None)
                )  # fmt: skip
            conn.executemany(_INSERT_HISTORY, history)
            changed += len(history)
        return changed

    def _set_values(
        self,
        conn: sqlite3.Connection,
        ids: Sequence[int],
        values: dict[str, str | None],
        *,
        source: str,
        who: str,
        at: str,
        batch: str,
        origin: str | None,
        note: str | None,
    ) -> int:
        """:meth:`_set_in` per axis of ``values`` (action ``set``, or ``clear`` for None);
        returns the number of label rows changed."""
        return sum(
            self._set_in(
                conn,
                ids,
                axis,
                value,
                source=source,
                who=who,
                at=at,
                batch=batch,
                origin=origin,
                note=note,
                action="set" if value is not None else "clear",
            )
            for axis, value in values.items()
        )

    def set_labels(
        self,
        item_ids: Sequence[int],
        values: dict[str, str | None],
        *,
        source: str = "hand",
        who: str | None = None,
        origin: str | None = None,
        note: str | None = None,
        batch: str | None = None,
    ) -> dict[str, Any]:
        """Set (or, with value None, clear) axis values of ``source`` on items, as one action.

        Args:
            item_ids: items to label.
            values: axis -> value (None clears that source's label on the axis).
            source: ``hand`` | ``cluster`` | ``rule``.
            who: annotator (default :func:`current_user`).
            origin: where the label came from (slice name, ``suggestion:<id>``...).

        Returns:
            ``{"batch", "changed", "items", "who", "at"}``; ``changed`` counts label rows
            whose value changed (unchanged rows are not written nor logged).

        Raises:
            ValueError: unknown axis or source, or no items.
            NotFound: an item id does not exist.
            StoreBusy: another writer held the store past the busy timeout.
        """
        _check_source(source)
        for axis in values:
            _check_axis(axis)
        ids = sorted({int(i) for i in item_ids})
        if not ids:
            raise ValueError("no items to label")
        who = who or current_user()
        batch = batch or new_batch()
        with self.write() as conn:
            at = now_iso()  # taken once the write lock is held: history order = time order
            self._require_items(conn, ids)
            changed = self._set_values(
                conn,
                ids,
                values,
                source=source,
                who=who,
                at=at,
                batch=batch,
                origin=origin,
                note=note,
            )
        self.refresh_item_axes(ids)  # type: ignore[attr-defined]
        return {"batch": batch, "changed": changed, "items": len(ids), "who": who, "at": at}

    @staticmethod
    def _require_items(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
        found = 0
        for chunk in chunks(list(ids)):
            q = ",".join("?" * len(chunk))
            found += conn.execute(
                f"SELECT count(*) FROM items WHERE id IN ({q})", chunk
            ).fetchone()[0]
        if found != len(ids):
            raise NotFound(f"{len(ids) - found} of {len(ids)} item ids do not exist")

    def item_labels(self, item_id: int) -> list[dict[str, Any]]:
        """Every label of an item (all sources) with ``winner`` True on the effective one.

        Rows are ordered by axis, then precedence (hand, cluster, rule).
        """
        prec = "CASE source WHEN 'hand' THEN 0 WHEN 'cluster' THEN 1 ELSE 2 END"
        rows = [
            dict(r)
            for r in self.conn.execute(
                f"SELECT item_id, axis, value, source, origin, who, at, version, note FROM labels"
                f" WHERE item_id = ? ORDER BY axis, {prec}",
                (item_id,),
            )
        ]
        seen: set[str] = set()
        for r in rows:
            r["winner"] = r["axis"] not in seen
            seen.add(r["axis"])
        return rows

    def item_docs(self, item_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """``{item id: {"task", "doc_id", "benchmark"}}`` for the given items (the item's task
        of first sighting); unknown ids are left out."""
        out: dict[int, dict[str, Any]] = {}
        for chunk in chunks(list(item_ids)):
            q = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                f"SELECT id, task, doc_id, benchmark FROM items WHERE id IN ({q})", chunk
            ):
                out[int(r[0])] = {"task": r[1], "doc_id": r[2], "benchmark": r[3]}
        return out

    def item_ids_of_samples(self, sample_ids: Sequence[int]) -> list[int]:
        """Distinct item ids of the given samples (unknown ids are ignored)."""
        out: set[int] = set()
        for chunk in chunks(list(sample_ids)):
            q = ",".join("?" * len(chunk))
            out.update(
                r[0]
                for r in self.conn.execute(f"SELECT item_id FROM samples WHERE id IN ({q})", chunk)
            )
        return sorted(out)

    def item_ids_where(
        self, run_id: int, where: dict[str, str], benchmark: str | None = None
    ) -> list[int]:
        """Items of a run whose effective labels match every ``axis=value`` in ``where``."""
        sql = (
            "SELECT DISTINCT s.item_id FROM item_scores s JOIN run_tasks rt ON rt.run_id = s.run_id"
            " AND rt.task = s.task LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " WHERE s.run_id = ?"
        )
        params: list[Any] = [run_id]
        for axis, value in where.items():
            _check_axis(axis)
            sql += f" AND a.{axis} = ?"
            params.append(value)
        if benchmark:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        return [r[0] for r in self.conn.execute(sql + " ORDER BY s.item_id", params)]

    # ---- history and undo -------------------------------------------------------------
    def label_history(
        self,
        *,
        item_id: int | None = None,
        batch: str | None = None,
        who: str | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """History rows, newest first (at most ``limit``)."""
        sql, params = _filtered(
            "SELECT * FROM label_history WHERE 1=1",
            (("item_id", item_id), ("batch", batch), ("who", who)),
            "ORDER BY id DESC",
            limit,
        )
        return [dict(r) for r in self.conn.execute(sql, params)]

    def label_batches(self, *, who: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """One row per user action, newest first: batch, who, at, action, n rows, undone."""
        sql = (
            "SELECT batch, min(who) AS who, max(at) AS at, min(action) AS action,"
            " count(*) AS n, count(DISTINCT item_id) AS items,"
            " group_concat(DISTINCT axis) AS axes, group_concat(DISTINCT new_value) AS values_,"
            " group_concat(DISTINCT new_note) AS notes,"
            " max(id) AS last_id FROM label_history WHERE batch IS NOT NULL"
        )
        sql, params = _filtered(sql, (("who", who),), "GROUP BY batch ORDER BY last_id DESC", limit)
        rows = [dict(r) for r in self.conn.execute(sql, params)]
        undone = {
            r[0][len("undo:") :]
            for r in self.conn.execute(
                "SELECT DISTINCT batch FROM label_history WHERE batch LIKE 'undo:%'"
            )
        }
        for r in rows:
            r["values"] = r.pop("values_")
            r["undone"] = r["batch"] in undone
        return rows

    def undo_target(self, *, who: str | None = None) -> str | None:
        """The batch :meth:`undo` undoes when given none (the newest action, of ``who`` if
        given, that is not an undo nor undone), or None when there is nothing to undo."""
        try:
            return self._undo_target(self.conn, who)
        except NotFound:
            return None

    @staticmethod
    def _undo_target(conn: sqlite3.Connection, who: str | None) -> str:
        """The newest batch (of ``who`` if given) that is not an undo nor undone; NotFound."""
        sql = (
            "SELECT batch FROM label_history WHERE batch NOT LIKE 'undo:%'"
            " AND batch NOT IN (SELECT substr(batch, 6) FROM label_history"
            " WHERE batch LIKE 'undo:%')"
        )
        params: list[Any] = []
        if who is not None:
            sql += " AND who = ?"
            params.append(who)
        row = conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        if row is None:
            raise NotFound("nothing to undo" + (f" by {who}" if who else ""))
        return str(row[0])

    @staticmethod
    def _check_unchanged(conn: sqlite3.Connection, batch: str, rows: list[sqlite3.Row]) -> None:
        """Raise Conflict (by whom, when) unless every label still holds what ``batch`` wrote."""
        # Undo is safe only where the labels still hold what this batch wrote.
        for r in rows:
            current = conn.execute(
                "SELECT value FROM labels WHERE item_id = ? AND axis = ? AND source = ?",
                (r["item_id"], r["axis"], r["source"]),
            ).fetchone()
            if (current[0] if current else None) != r["new_value"]:
                last = conn.execute(
                    "SELECT who, at FROM label_history WHERE item_id = ? AND axis = ?"
                    " AND source = ? ORDER BY id DESC LIMIT 1",
                    (r["item_id"], r["axis"], r["source"]),
                ).fetchone()
                raise Conflict(
                    f"cannot undo {batch}: item {r['item_id']} {r['axis']} was changed"
                    f" by {last['who']} at {last['at']} afterwards"
                    " (use --force to undo anyway)"
                )

    @staticmethod
    def _restore_labels(
        conn: sqlite3.Connection, batch: str, rows: list[sqlite3.Row], actor: str, at: str
    ) -> None:
        """Put back the label values of before ``batch`` and record them under ``undo:batch``."""
        undo_batch = f"undo:{batch}"
        history = []
        for r in rows:
            current = conn.execute(
                "SELECT value, note, who, at, origin FROM labels WHERE item_id = ?"
                " AND axis = ? AND source = ?",
                (r["item_id"], r["axis"], r["source"]),
            ).fetchone()
            if r["old_value"] is None:
                conn.execute(
                    "DELETE FROM labels WHERE item_id = ? AND axis = ? AND source = ?",
                    (r["item_id"], r["axis"], r["source"]),
                )
            else:
                # value, note, who, when and origin as they were before the batch (rows
                # written before migration 0011 lack them: who undid it, now)
                conn.execute(
                    "INSERT INTO labels (item_id, axis, value, source, origin, who, at, note)"
                    " VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(item_id, axis, source) DO UPDATE"
                    " SET value = excluded.value, origin = excluded.origin,"
                    " who = excluded.who, at = excluded.at, note = excluded.note,"
                    " version = labels.version + 1",
                    (
                        r["item_id"],
                        r["axis"],
                        r["old_value"],
                        r["source"],
                        r["old_origin"] or f"undo:{batch}",
                        r["old_who"] or actor,
                        r["old_at"] or at,
                        r["old_note"],
                    ),
                )
            history.append(
                (
                    r["item_id"], r["axis"], r["source"],
                    current["value"] if current else None, r["old_value"], actor, at,
                    "undo", undo_batch, current["note"] if current else None,
                    r["old_note"] if r["old_value"] is not None else None,
                    current["who"] if current else None, current["at"] if current else None,
                    current["origin"] if current else None,
                )
            )  # fmt: skip
        conn.executemany(_INSERT_HISTORY, history)

    @staticmethod
    def _restore_slice_notes(conn: sqlite3.Connection, batch: str, actor: str, at: str) -> None:
        """Put back the named-slice notes of before ``batch`` (slices since deleted are skipped).

        The slice's ``updated_by``/``updated_at`` become ``actor``/``at``: an undo is a change.
        """
        undo_batch = f"undo:{batch}"
        for h in conn.execute(
            "SELECT * FROM named_slice_history WHERE batch = ? ORDER BY id DESC", (batch,)
        ).fetchall():
            cur_slice = conn.execute(
                "SELECT note, updated_by, updated_at FROM named_slices WHERE id = ?",
                (h["slice_id"],),
            ).fetchone()
            if cur_slice is None:
                continue
            conn.execute(
                "UPDATE named_slices SET note = ?, updated_by = ?, updated_at = ?,"
                " version = version + 1 WHERE id = ?",
                # an undo is a change: who undid it, and when (the history row keeps
                # who wrote the note and when)
                (h["old_note"], actor, at, h["slice_id"]),
            )
            conn.execute(
                "INSERT INTO named_slice_history (slice_id, batch, old_note, new_note,"
                " old_who, old_at, who, at) VALUES (?,?,?,?,?,?,?,?)",
                (h["slice_id"], undo_batch, cur_slice["note"], h["old_note"],
                 cur_slice["updated_by"], cur_slice["updated_at"], actor, at),
            )  # fmt: skip

    def undo(
        self, batch: str | None = None, *, who: str | None = None, force: bool = False
    ) -> dict[str, Any]:
        """Restore the label values from before one action.

        Args:
            batch: the action to undo; None = the newest action (of ``who`` if given) that is
                not itself an undo and has not been undone.
            force: undo even where someone changed the same label after that action.

        Returns:
            ``{"batch": undo batch id, "undid": batch, "restored": rows, "items": n}``.

        Raises:
            NotFound: nothing to undo, or no such batch.
            Conflict: a label of the batch was changed afterwards by someone (unless force);
                the message says by whom and when.
        """
        actor = current_user() if who is None else who
        with self.write() as conn:
            if batch is None:
                batch = self._undo_target(conn, who)
            if batch.startswith("undo:"):
                raise ValueError(
                    f"batch {batch} is itself an undo; undo it by setting labels again"
                )
            rows = conn.execute(
                "SELECT * FROM label_history WHERE batch = ? ORDER BY id DESC", (batch,)
            ).fetchall()
            if not rows:
                raise NotFound(f"no label action with batch id {batch!r}")
            if conn.execute(
                "SELECT 1 FROM label_history WHERE batch = ? LIMIT 1", (f"undo:{batch}",)
            ).fetchone():
                raise Conflict(f"batch {batch} was already undone")
            if not force:
                self._check_unchanged(conn, batch, rows)
            at = now_iso()  # taken once the write lock is held
            undo_batch = f"undo:{batch}"
            self._restore_labels(conn, batch, rows, actor, at)
            self._restore_slice_notes(conn, batch, actor, at)
        items = sorted({r["item_id"] for r in rows})
        self.refresh_item_axes(items)  # type: ignore[attr-defined]
        return {"batch": undo_batch, "undid": batch, "restored": len(rows), "items": len(items)}

    # ---- named slices -----------------------------------------------------------------
    def create_named_slice(
        self,
        name: str,
        item_ids: Sequence[int],
        *,
        run_id: int | None = None,
        origin: str | None = None,
        description: str | None = None,
        note: str | None = None,
        who: str | None = None,
    ) -> dict[str, Any]:
        """Create a named slice of items (version 1).

        Raises:
            ValueError: empty name or no items.
            Conflict: the name is taken (the message says by whom and when).
        """
        name = name.strip()
        if not name:
            raise ValueError("a named slice needs a non-empty name")
        ids = sorted({int(i) for i in item_ids})
        if not ids:
            raise ValueError(f"slice {name!r} would have no items")
        who = who or current_user()
        with self.write() as conn:
            at = now_iso()  # taken once the write lock is held
            existing = conn.execute(
                "SELECT created_by, created_at FROM named_slices WHERE name = ?", (name,)
            ).fetchone()
            if existing is not None:
                raise Conflict(
                    f"a slice named {name!r} already exists (created by {existing[0]} at"
                    f" {existing[1]}); pick another name"
                )
            cur = conn.execute(
                "INSERT INTO named_slices (name, run_id, origin, description, note, version,"
                " created_by, created_at, updated_by, updated_at) VALUES (?,?,?,?,?,1,?,?,?,?)",
                (name, run_id, origin, description, note, who, at, who, at),
            )
            slice_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT OR IGNORE INTO named_slice_items (slice_id, item_id) VALUES (?, ?)",
                [(slice_id, i) for i in ids],
            )
        return self.get_named_slice(name)

    def get_named_slice(self, name: str, *, with_items: bool = True) -> dict[str, Any]:
        """A named slice with its version, who/when, and (optionally) its item ids.

        Raises:
            NotFound: no slice by that name (the message lists the existing ones).
        """
        row = self.conn.execute("SELECT * FROM named_slices WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [r[0] for r in self.conn.execute("SELECT name FROM named_slices ORDER BY name")]
            raise NotFound(
                f"no named slice {name!r} (slices: {', '.join(names) if names else 'none yet'})"
            )
        out = dict(row)
        if with_items:
            out["item_ids"] = [
                r[0]
                for r in self.conn.execute(
                    "SELECT item_id FROM named_slice_items WHERE slice_id = ? ORDER BY item_id",
                    (out["id"],),
                )
            ]
        out["n_items"] = self.conn.execute(
            "SELECT count(*) FROM named_slice_items WHERE slice_id = ?", (out["id"],)
        ).fetchone()[0]
        return out

    def list_named_slices(self) -> list[dict[str, Any]]:
        """Every named slice (no item lists), by name."""
        return [
            dict(r)
            for r in self.conn.execute(
                "SELECT n.*, (SELECT count(*) FROM named_slice_items i WHERE i.slice_id = n.id)"
                " AS n_items FROM named_slices n ORDER BY name"
            )
        ]

    @staticmethod
    def _log_slice_note(
        conn: sqlite3.Connection, row: sqlite3.Row, batch: str, note: str | None, who: str, at: str
    ) -> None:
        """Set a named slice's note (when given) and log the edit in its history."""
        if note is not None:
            conn.execute("UPDATE named_slices SET note = ? WHERE id = ?", (note, row["id"]))
        conn.execute(
            "INSERT INTO named_slice_history (slice_id, batch, old_note, new_note, old_who,"
            " old_at, who, at) VALUES (?,?,?,?,?,?,?,?)",
            (row["id"], batch, row["note"], note if note is not None else row["note"],
             row["updated_by"], row["updated_at"], who, at),
        )  # fmt: skip

    @staticmethod
    def _check_slice_version(
        conn: sqlite3.Connection, name: str, expected_version: int | None
    ) -> sqlite3.Row:
        """The named slice's row; Conflict when it is not at ``expected_version``."""
        row = conn.execute("SELECT * FROM named_slices WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no named slice {name!r}")
        if expected_version is not None and row["version"] != expected_version:
            raise Conflict(
                f"slice {name!r} was changed by {row['updated_by']} at {row['updated_at']}"
                f" (now version {row['version']}, you had version {expected_version});"
                " reload it and apply your change again"
            )
        return row

    @staticmethod
    def _bump_slice(conn: sqlite3.Connection, row: sqlite3.Row, who: str, at: str) -> None:
        """The next version of the named slice ``row`` (read by :meth:`_check_slice_version`
        in the same write), changed by ``who`` at ``at``."""
        conn.execute(
            "UPDATE named_slices SET version = version + 1, updated_by = ?, updated_at = ?"
            " WHERE id = ?",
            (who, at, row["id"]),
        )

    def label_named_slice(
        self,
        name: str,
        values: dict[str, str | None],
        *,
        expected_version: int | None = None,
        who: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Hand-label every item of a named slice, as one action, with a version check.

        Args:
            expected_version: the version the caller last read; None skips the check.

        Returns:
            The :meth:`set_labels` result plus ``version`` (the slice's new version).

        Raises:
            Conflict: the slice's version is not ``expected_version`` ("changed by X at T");
                nothing is written.
        """
        for axis in values:
            _check_axis(axis)
        who = who or current_user()
        batch = new_batch()
        with self.write() as conn:
            at = now_iso()  # taken once the write lock is held
            row = self._check_slice_version(conn, name, expected_version)
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT item_id FROM named_slice_items WHERE slice_id = ?", (row["id"],)
                )
            ]
            changed = self._set_values(
                conn,
                ids,
                values,
                source="hand",
                who=who,
                at=at,
                batch=batch,
                origin=f"slice:{name}",
                note=note,
            )
            note_changed = note is not None and note != row["note"]
            version = row["version"]
            if changed or note_changed:  # a no-op keeps the version (walk 18 F6)
                self._bump_slice(conn, row, who, at)
                self._log_slice_note(conn, row, batch, note, who, at)
                version += 1
        if not changed:
            return {"batch": batch if note_changed else None, "changed": 0, "items": len(ids), "who": who, "at": at,
                    "version": version, "note_changed": note_changed}  # fmt: skip
        self.refresh_item_axes(ids)  # type: ignore[attr-defined]
        return {
            "batch": batch,
            "changed": changed,
            "items": len(ids),
            "who": who,
            "at": at,
            "version": version,
        }

    def edit_named_slice(
        self,
        name: str,
        *,
        expected_version: int | None = None,
        new_name: str | None = None,
        note: str | None = None,
        add_items: Sequence[int] = (),
        remove_items: Sequence[int] = (),
        who: str | None = None,
    ) -> dict[str, Any]:
        """Rename, annotate, or change the members of a named slice (version-checked).

        Raises:
            Conflict: stale ``expected_version``, or ``new_name`` is taken.
        """
        who = who or current_user()
        with self.write() as conn:
            at = now_iso()  # taken once the write lock is held
            row = self._check_slice_version(conn, name, expected_version)
            self._bump_slice(conn, row, who, at)
            if new_name and new_name != name:
                if conn.execute(
                    "SELECT 1 FROM named_slices WHERE name = ?", (new_name,)
                ).fetchone():
                    raise Conflict(f"a slice named {new_name!r} already exists")
                conn.execute("UPDATE named_slices SET name = ? WHERE id = ?", (new_name, row["id"]))
            if note is not None:
                conn.execute("UPDATE named_slices SET note = ? WHERE id = ?", (note, row["id"]))
            conn.executemany(
                "INSERT OR IGNORE INTO named_slice_items (slice_id, item_id) VALUES (?, ?)",
                [(row["id"], int(i)) for i in add_items],
            )
            conn.executemany(
                "DELETE FROM named_slice_items WHERE slice_id = ? AND item_id = ?",
                [(row["id"], int(i)) for i in remove_items],
            )
        return self.get_named_slice(new_name or name, with_items=False)

    # ---- suggestions ------------------------------------------------------------------
    def save_suggestions(
        self,
        run_id: int,
        params: dict[str, Any],
        notes: Sequence[str],
        suggestions: Sequence[tuple[int, dict[str, Any], Sequence[int]]],
        *,
        who: str | None = None,
    ) -> list[int]:
        """Store one discovery result: ``(cluster, summary, item_ids)`` per suggestion.

        Returns:
            The new suggestion ids, in input order.
        """
        who = who or current_user()
        ids: list[int] = []
        with self.write() as conn:
            cur = conn.execute(
                "INSERT INTO suggestion_sets (run_id, params, notes, created_by, created_at)"
                " VALUES (?,?,?,?,?)",
                (run_id, json.dumps(params, default=str), json.dumps(list(notes)), who, now_iso()),
            )
            set_id = int(cur.lastrowid or 0)
            for cluster, summary, items in suggestions:
                cur = conn.execute(
                    "INSERT INTO suggestions (set_id, cluster, summary) VALUES (?,?,?)",
                    (set_id, int(cluster), json.dumps(summary, default=str)),
                )
                sid = int(cur.lastrowid or 0)
                conn.executemany(
                    "INSERT OR IGNORE INTO suggestion_items (suggestion_id, item_id) VALUES (?,?)",
                    [(sid, int(i)) for i in items],
                )
                ids.append(sid)
        return ids

    def get_suggestion(self, suggestion_id: int) -> dict[str, Any]:
        """A saved suggestion: summary, run, item ids, and the slice it was accepted as.

        Raises:
            NotFound: no suggestion with that id.
        """
        row = self.conn.execute(
            "SELECT s.*, ss.run_id, ss.created_by, ss.created_at, ns.name AS accepted_as"
            " FROM suggestions s JOIN suggestion_sets ss ON ss.id = s.set_id"
            " LEFT JOIN named_slices ns ON ns.id = s.accepted_slice_id WHERE s.id = ?",
            (suggestion_id,),
        ).fetchone()
        if row is None:
            raise NotFound(
                f"no saved suggestion {suggestion_id}; run `capslice discover --save` first"
            )
        out = dict(row)
        out["summary"] = json.loads(out["summary"])
        out["item_ids"] = [
            r[0]
            for r in self.conn.execute(
                "SELECT item_id FROM suggestion_items WHERE suggestion_id = ? ORDER BY item_id",
                (suggestion_id,),
            )
        ]
        return out

    def list_suggestions(self, run_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Saved suggestions, newest set first."""
        sql = (
            "SELECT s.id, s.set_id, s.cluster, s.summary, ss.run_id, ss.created_at,"
            " ns.name AS accepted_as FROM suggestions s JOIN suggestion_sets ss ON ss.id = s.set_id"
            " LEFT JOIN named_slices ns ON ns.id = s.accepted_slice_id WHERE 1=1"
        )
        sql, params = _filtered(
            sql, (("ss.run_id", run_id),), "ORDER BY s.set_id DESC, s.id", limit
        )
        out = []
        for r in self.conn.execute(sql, params):
            d = dict(r)
            d["summary"] = json.loads(d["summary"])
            out.append(d)
        return out

    def accept_suggestion(
        self, suggestion_id: int, name: str, *, who: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        """Turn a saved suggestion into a named slice of its member items.

        Raises:
            NotFound: no such suggestion.
            Conflict: the name is taken, or the suggestion was already accepted (by whom, when).
        """
        sug = self.get_suggestion(suggestion_id)
        if sug["accepted_as"]:
            ns = self.get_named_slice(sug["accepted_as"], with_items=False)
            raise Conflict(
                f"suggestion {suggestion_id} was already accepted as {sug['accepted_as']!r}"
                f" by {ns['created_by']} at {ns['created_at']}"
            )
        terms = ", ".join(sug["summary"].get("top_terms", [])[:5])
        created = self.create_named_slice(
            name,
            sug["item_ids"],
            run_id=sug["run_id"],
            origin=f"suggestion:{suggestion_id}",
            description=f"discovered cluster; terms: {terms}" if terms else "discovered cluster",
            note=note,
            who=who,
        )
        with self.write() as conn:
            cur = conn.execute(
                "UPDATE suggestions SET accepted_slice_id = ? WHERE id = ? AND accepted_slice_id"
                " IS NULL",
                (created["id"], suggestion_id),
            )
            if cur.rowcount == 0:
                conn.execute("DELETE FROM named_slice_items WHERE slice_id = ?", (created["id"],))
                conn.execute("DELETE FROM named_slices WHERE id = ?", (created["id"],))
                raise Conflict(f"suggestion {suggestion_id} was accepted by someone else meanwhile")
        return created

    # ---- discovery input --------------------------------------------------------------
    def discovery_rows(
        self,
        run_id: int,
        *,
        benchmark: str | None = None,
        failing_only: bool = False,
        where: dict[str, str] | None = None,
    ) -> list[sqlite3.Row]:
        """Samples of a run (primary filter) with the text discovery needs.

        Columns: id, item_id, doc_id, task, benchmark, question, response, score, failure_mode
        and the four effective axis columns. Ordered by sample id.
        """
        sql = (
            "SELECT s.id, s.item_id, i.doc_id, s.task, rt.benchmark, i.question, s.response,"
            " s.score, s.failure_mode, a.background_condition, a.task_type, a.solving_operation,"
            " a.output_constraint FROM samples s JOIN items i ON i.id = s.item_id"
            " JOIN run_tasks rt ON rt.run_id = s.run_id AND rt.task = s.task"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " WHERE s.run_id = ? AND s.filter = rt.primary_filter"
        )
        params: list[Any] = [run_id]
        if benchmark is not None:
            sql += " AND rt.benchmark = ?"
            params.append(benchmark)
        if failing_only:
            sql += " AND coalesce(s.score, 0) < 1"
        for axis, value in (where or {}).items():
            _check_axis(axis)
            sql += f" AND a.{axis} = ?"
            params.append(value)
        return self.conn.execute(sql + " ORDER BY s.id", params).fetchall()
