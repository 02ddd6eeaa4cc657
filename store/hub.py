"""The local side of a team hub: remotes, what was last synced, and reading/writing the rows a
push sends or a pull brings (the PostgreSQL side is ``capslice_tui.hub``).

Objects are matched across stores by content, never by local ids: a run by name, an item by its
``item_hash``, a label by (item_hash, axis, source), a named slice by name, an intervention by
the sha256 of its title, author and creation time. A content id (``content_id``) is the sha256
of an object's canonical JSON; ``hub_sync`` keeps, per hub and object, the content id both
sides agreed on at the last push or pull (the base that tells "changed here", "changed there"
and "changed on both sides" apart).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from .compact import pack_doc, settings_hashes, to_blob, to_hex, with_settings_hash
from .db import NotFound, StoreError, chunks, current_user, now_iso, placeholders
from .ingest import max_sample_id, note_new_samples

if TYPE_CHECKING:
    from . import Store

TEXT_COLUMNS = ("response", "reasoning", "prompt_hash")
_LOCAL_ONLY = ("id", "run_id", "item_id", "ingest_id")


def content_id(obj: Any) -> str:
    """sha256 hex of ``obj`` as canonical JSON (sorted keys, no spaces)."""
    import hashlib  # here: `capslice runs` reads run_origins and needs no hash (~5 ms)

    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()


# ---- remotes and sync state -------------------------------------------------------------
def add_remote(store: Store, name: str, url: str) -> bool:
    """Record hub ``name`` at ``url`` (which must carry no password); True when it replaced
    an earlier URL of that name."""
    with store.write() as conn:
        old = conn.execute("SELECT url FROM hub_remotes WHERE name = ?", (name,)).fetchone()
        conn.execute(
            "INSERT OR REPLACE INTO hub_remotes (name, url, added_at, added_by) VALUES (?,?,?,?)",
            (name, url, now_iso(), current_user()),
        )
    return old is not None


def list_remotes(store: Store) -> list[dict[str, Any]]:
    """Every hub of the store: name, url, added_at, added_by, last push/pull time."""
    out = []
    for row in store.conn.execute("SELECT * FROM hub_remotes ORDER BY name"):
        d = dict(row)
        for direction in ("push", "pull"):
            last = store.conn.execute(
                "SELECT value FROM hub_state WHERE hub = ? AND name = ?",
                (d["name"], f"last_{direction}"),
            ).fetchone()
            d[f"last_{direction}"] = last[0] if last else None
        out.append(d)
    return out


def get_remote(store: Store, name: str | None) -> dict[str, Any]:
    """The hub called ``name``; with None, the only hub of the store.

    Raises:
        NotFound: no such hub, or None given while the store has none or several.
    """
    hubs = list_remotes(store)
    names = ", ".join(h["name"] for h in hubs) or "none yet; use `capslice hub add NAME URL`"
    if name is None:
        if len(hubs) == 1:
            return hubs[0]
        raise NotFound(f"say which hub with --hub NAME (hubs: {names})")
    for h in hubs:
        if h["name"] == name:
            return h
    raise NotFound(f"no hub named {name!r} (hubs: {names})")


def sync_bases(store: Store, hub: str, kind: str) -> dict[str, tuple[str, str]]:
    """key -> (content id, direction) last agreed with ``hub`` for objects of ``kind``."""
    return {
        r[0]: (r[1], r[2])
        for r in store.conn.execute(
            "SELECT key, cid, direction FROM hub_sync WHERE hub = ? AND kind = ?", (hub, kind)
        )
    }


def record_sync(
    store: Store, hub: str, kind: str, pairs: Sequence[tuple[str, str]], direction: str
) -> None:
    """Record that ``(key, content id)`` pairs of ``kind`` now agree with ``hub``."""
    if not pairs:
        return
    at = now_iso()
    with store.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO hub_sync (hub, kind, key, cid, direction, at)"
            " VALUES (?,?,?,?,?,?)",
            [(hub, kind, k, c, direction, at) for k, c in pairs],
        )


def get_state(store: Store, hub: str, name: str) -> str | None:
    """A hub's stored state value (e.g. ``pull_watermark``), None when unset."""
    row = store.conn.execute(
        "SELECT value FROM hub_state WHERE hub = ? AND name = ?", (hub, name)
    ).fetchone()
    return None if row is None else str(row[0])


def set_state(store: Store, hub: str, name: str, value: str) -> None:
    """Set a hub's state value."""
    with store.write() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO hub_state (hub, name, value) VALUES (?,?,?)",
            (hub, name, value),
        )


def run_origins(store: Store) -> dict[str, str]:
    """run name -> ``pulled from H`` / ``pushed to H`` for runs synced with a hub (others
    are local)."""
    out: dict[str, str] = {}
    for key, hub, direction in store.conn.execute(
        "SELECT key, hub, direction FROM hub_sync WHERE kind = 'run' AND cid != 'pulling'"
        " ORDER BY hub"
    ):
        word = "pulled from" if direction == "pull" else "pushed to"
        out[key] = f"{out[key]}, {word} {hub}" if key in out else f"{word} {hub}"
    return out


# ---- reading what a push sends ------------------------------------------------------------
def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def run_document(store: Store, name: str) -> dict[str, Any]:
    """A run as shared: its row (without the local id) and its tasks' evaluation settings.

    Raises:
        NotFound: no run of that name.
    """
    run = store.get_run(name)
    run_id = run.pop("id")
    tasks = [{k: v for k, v in t.items() if k != "run_id"} for t in store.run_tasks(run_id)]
    return {"run": run, "tasks": tasks}


def run_samples(
    store: Store, name: str, *, with_text: bool, batch: int = 2000
) -> Iterator[list[dict[str, Any]]]:
    """The samples of run ``name`` in batches, as dicts: the key (task, filter, doc_id,
    sample_idx), ``item_hash`` and ``data`` (every other column; response, reasoning and the
    prompt only when ``with_text``, else the response's sha256 in ``response_sha256``)."""
    import hashlib

    run_id = store.get_run(name)["id"]
    drop = set(_LOCAL_ONLY) | (set() if with_text else set(TEXT_COLUMNS))
    cur = store.conn.execute(
        "SELECT s.*, i.item_hash AS item_hash FROM samples s JOIN items i ON i.id = s.item_id"
        " WHERE s.run_id = ? ORDER BY s.id",
        (run_id,),
    )
    hashes = settings_hashes(store.conn)  # hex outside (0021_narrow_store)
    while True:
        rows = cur.fetchmany(batch)
        if not rows:
            return
        out = []
        for r in rows:
            d = with_settings_hash(dict(r), hashes)
            item_hash = to_hex(d.pop("item_hash"))
            data = {k: v for k, v in d.items() if k not in drop}
            if "prompt_hash" in data:
                data["prompt_hash"] = to_hex(data["prompt_hash"])
            data["seq"] = d["id"]  # the order samples were stored in, kept where pulled
            if not with_text and d.get("response") is not None and not d.get("response_sha256"):
                # the text stays here; its hash says so where it is pulled (a re-score there
                # keeps the sample as it is instead of scoring a missing response)
                data["response_sha256"] = hashlib.sha256(d["response"].encode()).hexdigest()
            out.append({"item_hash": item_hash, "data": data})
        yield out


def run_fingerprint(store: Store, name: str) -> str:
    """sha256 over run ``name``'s per-sample outcomes (key, score, lenient score, failure
    mode), in key order: tells whether a run changed here (re-scored, re-ingested) since it
    was last pushed or pulled."""
    import hashlib

    h = hashlib.sha256()
    run_id = store.get_run(name)["id"]
    for row in store.conn.execute(
        "SELECT task, filter, doc_id, sample_idx, score, lenient, failure_mode FROM samples"
        " WHERE run_id = ? ORDER BY task, filter, doc_id, sample_idx",
        (run_id,),
    ):
        h.update(orjson.dumps(list(row)))
    return h.hexdigest()


def run_items(store: Store, name: str) -> list[dict[str, Any]]:
    """The items run ``name`` has samples of: local id (their order here), item_hash,
    benchmark, task, doc_id and their question, target and doc (as stored)."""
    run_id = store.get_run(name)["id"]
    return [
        dict(r)
        for r in store.conn.execute(
            "SELECT id, capslice_hex(item_hash) AS item_hash, benchmark, task, doc_id, question,"
            " target,"
            " capslice_doc(doc, question, target) AS doc FROM items"
            " WHERE id IN (SELECT DISTINCT item_id FROM samples WHERE run_id = ?)",
            (run_id,),
        )
    ]


def run_settings(store: Store, name: str) -> list[tuple[str, str]]:
    """``(hash, settings JSON)`` of the evaluation settings run ``name``'s samples use."""
    run_id = store.get_run(name)["id"]
    return [
        (r[0], r[1])
        for r in store.conn.execute(
            "SELECT capslice_hex(hash), settings FROM eval_settings WHERE id IN"
            " (SELECT DISTINCT settings_id FROM samples WHERE run_id = ?)",
            (run_id,),
        )
    ]


def run_texts(store: Store, name: str) -> list[tuple[str, str]]:
    """``(hash, text)`` of the prompts run ``name``'s samples use."""
    run_id = store.get_run(name)["id"]
    return [
        (r[0], r[1])
        for r in store.conn.execute(
            "SELECT capslice_hex(hash), text FROM prompt_texts WHERE hash IN"
            " (SELECT DISTINCT prompt_hash FROM samples WHERE run_id = ?)",
            (run_id,),
        )
    ]


def labels(store: Store, item_hashes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Labels (every source) with their item's hash; only of ``item_hashes`` when given."""
    sql = (
        "SELECT capslice_hex(i.item_hash) AS item_hash, l.axis, l.source, l.value, l.origin,"
        " l.note, l.who, l.at"
        " FROM labels l JOIN items i ON i.id = l.item_id"
    )
    if item_hashes is None:
        return [dict(r) for r in store.conn.execute(sql + " ORDER BY l.id")]
    out: list[dict[str, Any]] = []
    for chunk in chunks(list(item_hashes)):
        out += [
            dict(r)
            for r in store.conn.execute(
                sql + f" WHERE i.item_hash IN ({placeholders(chunk)})",
                [to_blob(h) for h in chunk],
            )
        ]
    return out


def label_history(store: Store) -> list[dict[str, Any]]:
    """Every hand-label history row with its item's hash, oldest first."""
    return [
        dict(r)
        for r in store.conn.execute(
            "SELECT capslice_hex(i.item_hash) AS item_hash, h.axis, h.source, h.old_value, h.new_value, h.old_note,"
            " h.new_note, h.action, h.batch, h.who, h.at FROM label_history h"
            " JOIN items i ON i.id = h.item_id WHERE h.source = 'hand' ORDER BY h.id"
        )
    ]


def named_slices(store: Store) -> list[dict[str, Any]]:
    """Named slices: name, run name, origin, description, note, sorted item hashes, last
    editor and time."""
    out = []
    for r in store.conn.execute(
        "SELECT s.*, r.name AS run_name FROM named_slices s LEFT JOIN runs r ON r.id = s.run_id"
        " ORDER BY s.name"
    ):
        d = dict(r)
        d["items"] = [
            x[0]
            for x in store.conn.execute(
                "SELECT capslice_hex(i.item_hash) FROM named_slice_items n"
                " JOIN items i ON i.id = n.item_id"
                " WHERE n.slice_id = ? ORDER BY i.item_hash",
                (d["id"],),
            )
        ]
        out.append(d)
    return out


DECISION_FIELDS = ("status", "decision_reason", "decided_by", "decided_at", "decision_warning")


def intervention_key(row: dict[str, Any]) -> str:
    """The identity of an intervention across stores: sha256 of title, author, creation time."""
    return content_id([row["title"], row["author"], row["created_at"]])[:32]


def interventions(store: Store) -> list[dict[str, Any]]:
    """Interventions as stored (every column), each with ``key`` and its ``history`` rows."""
    out = []
    for r in store.conn.execute("SELECT * FROM interventions ORDER BY id"):
        d = dict(r)
        d["key"] = intervention_key(d)
        d["history"] = [
            dict(h)
            for h in store.conn.execute(
                "SELECT version, action, field, old_value, new_value, who, at"
                " FROM intervention_history WHERE intervention_id = ? ORDER BY id",
                (d["id"],),
            )
        ]
        out.append(d)
    return out


# ---- writing what a pull brings -----------------------------------------------------------
def begin_pulled_run(store: Store, doc: dict[str, Any]) -> tuple[int, int]:
    """Replace any local run of that name by the pulled one's row and tasks; open an ingest
    for its samples. Returns ``(run_id, ingest_id)``."""
    run = doc["run"]
    try:
        store.delete_run(run["name"])
    except NotFound:
        pass
    cols = [c for c in _columns(store.conn, "runs") if c != "id" and c in run]
    values = [json.dumps(run[c]) if c in ("source_files", "meta") else run[c] for c in cols]
    with store.write() as conn:
        cur = conn.execute(
            f"INSERT INTO runs ({', '.join(cols)}) VALUES ({placeholders(cols)})", values
        )
        run_id = int(cur.lastrowid or 0)
        conn.execute("UPDATE runs SET status = 'incomplete' WHERE id = ?", (run_id,))
    store.put_run_tasks(run_id, doc["tasks"])
    return run_id, store.begin_ingest(run_id)


def write_pulled_samples(
    store: Store,
    run_id: int,
    ingest_id: int,
    *,
    items: Sequence[dict[str, Any]],
    samples: Sequence[dict[str, Any]],
    settings: Sequence[tuple[str, str]] = (),
    texts: Sequence[tuple[str, str]] = (),
) -> int:
    """Write one bounded batch of a pulled run in one transaction; returns samples written.

    ``items``: item_hash, benchmark, task, doc_id, question, target, doc. ``samples``:
    ``item_hash`` and ``data`` (columns this store does not have are ignored).
    """
    sample_cols = [c for c in _columns(store.conn, "samples") if c not in _LOCAL_ONLY]
    with store.write() as conn:
        conn.executemany(
            "INSERT OR IGNORE INTO texts (hash, text) VALUES (?, ?)",
            [(to_blob(h), t) for h, t in texts],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO eval_settings (hash, settings) VALUES (?, ?)",
            [(to_blob(h), s) for h, s in settings],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO items (item_hash, benchmark, task, doc_id, question, target,"
            " doc) VALUES (?,?,?,?,?,?,?)",
            [
                (to_blob(i["item_hash"]), i["benchmark"], i["task"], i["doc_id"], i.get("question"),
                 i.get("target"), pack_doc(i.get("doc"), i.get("question"), i.get("target")))
                for i in items
            ],
        )  # fmt: skip
        ids = _item_ids(conn, [s["item_hash"] for s in samples])
        sids = {h: i for i, h in settings_hashes(conn).items()}  # the hub holds hex hashes

        def value(data: dict[str, Any], col: str) -> Any:
            if col == "settings_id":
                return sids.get(data.get("settings_hash"))  # type: ignore[arg-type]
            if col == "settings_hash":  # emptied where SQLite < 3.35 kept it (0021)
                return None
            return to_blob(data.get(col)) if col == "prompt_hash" else data.get(col)

        cols = ["run_id", "item_id", "ingest_id", *sample_cols]
        before, after = conn.total_changes, max_sample_id(conn)
        conn.executemany(
            f"INSERT OR REPLACE INTO samples ({', '.join(cols)}) VALUES ({placeholders(cols)})",
            [
                (
                    run_id,
                    ids[s["item_hash"]],
                    ingest_id,
                    *(value(s["data"], c) for c in sample_cols),
                )
                for s in samples
            ],
        )
        n = conn.total_changes - before
        note_new_samples(conn, after, ingest_id)  # the ingest's sample id range (0025)
        return n


def _item_ids(conn: sqlite3.Connection, hashes: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    unique = list(set(hashes))
    for chunk in chunks(unique):
        for h, i in conn.execute(
            f"SELECT item_hash, id FROM items WHERE item_hash IN ({placeholders(chunk)})",
            [to_blob(h) for h in chunk],
        ):
            out[h.hex()] = i
    return out


def item_ids(store: Store, hashes: Sequence[str]) -> dict[str, int]:
    """item_hash -> local item id for the hashes this store has."""
    return _item_ids(store.conn, hashes)


def item_names(store: Store, hashes: Sequence[str]) -> dict[str, str]:
    """item_hash -> the item as every other command names it, ``item 484 (math doc 12)``,
    for the hashes this store has (a conflict names items by these, not by hash)."""
    out: dict[str, str] = {}
    for chunk in chunks(list(set(hashes))):
        for h, i, task, doc_id in store.conn.execute(
            "SELECT item_hash, id, task, doc_id FROM items"
            f" WHERE item_hash IN ({placeholders(chunk)})",
            [to_blob(h) for h in chunk],
        ):
            out[h.hex()] = f"item {i} ({task} doc {doc_id})"
    return out


def finish_pulled_run(store: Store, run_id: int, ingest_id: int, doc: dict[str, Any]) -> None:
    """Close the pulled run's ingest, compute its aggregates, and restore its status and
    bad-line count as they were on the node that pushed it."""
    n = store.ingest_sample_count(ingest_id)
    store.finish_ingest(ingest_id, run_id, n_read=n, n_new=n, bad=[])
    run = doc["run"]
    with store.write() as conn:
        conn.execute(
            "UPDATE runs SET status = ?, n_bad = ? WHERE id = ?",
            (run.get("status") or "complete", run.get("n_bad") or 0, run_id),
        )


def put_labels(store: Store, rows: Sequence[dict[str, Any]], *, replace: bool) -> int:
    """Write labels pulled from a hub (item_hash, axis, source, value, origin, note, who, at);
    items this store lacks are skipped. ``replace``: overwrite a local label of the same item,
    axis and source (else keep it). Effective labels and slice counts are refreshed.
    Returns the labels written."""
    ids = item_ids(store, [r["item_hash"] for r in rows])
    todo = [r for r in rows if r["item_hash"] in ids]
    if not todo:
        return 0
    conflict = (
        "DO UPDATE SET value = excluded.value, origin = excluded.origin, note = excluded.note,"
        " who = excluded.who, at = excluded.at, version = labels.version + 1"
        if replace
        else "DO NOTHING"
    )
    with store.write() as conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT INTO labels (item_id, axis, value, source, origin, who, at, note)"
            f" VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (item_id, axis, source) {conflict}",
            [
                (ids[r["item_hash"]], r["axis"], r["value"], r["source"], r.get("origin"),
                 r["who"], r["at"], r.get("note"))
                for r in todo
            ],
        )  # fmt: skip
        written = conn.total_changes - before
    store.refresh_item_axes(sorted({ids[r["item_hash"]] for r in todo}))
    return written


def delete_labels(store: Store, rows: Sequence[dict[str, Any]]) -> int:
    """Remove labels cleared on another node (item_hash, axis, source); effective labels and
    slice counts are refreshed. Returns the labels removed."""
    ids = item_ids(store, [r["item_hash"] for r in rows])
    todo = [(ids[r["item_hash"]], r["axis"], r["source"]) for r in rows if r["item_hash"] in ids]
    if not todo:
        return 0
    with store.write() as conn:
        before = conn.total_changes
        conn.executemany("DELETE FROM labels WHERE item_id = ? AND axis = ? AND source = ?", todo)
        removed = conn.total_changes - before
    store.refresh_item_axes(sorted({t[0] for t in todo}))
    return removed


def add_label_history(store: Store, rows: Sequence[dict[str, Any]]) -> int:
    """Append pulled hand-label history rows (items this store lacks are skipped)."""
    ids = item_ids(store, [r["item_hash"] for r in rows])
    todo = [r for r in rows if r["item_hash"] in ids]
    with store.write() as conn:
        conn.executemany(
            "INSERT INTO label_history (item_id, axis, source, old_value, new_value, old_note,"
            " new_note, action, batch, who, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [
                (ids[r["item_hash"]], r["axis"], r["source"], r["old_value"], r["new_value"],
                 r.get("old_note"), r.get("new_note"), r["action"], r.get("batch"), r["who"],
                 r["at"])
                for r in todo
            ],
        )  # fmt: skip
    return len(todo)


def put_named_slice(store: Store, doc: dict[str, Any], *, who: str, at: str) -> int:
    """Create or replace the named slice ``doc['name']`` with the pulled content; items this
    store lacks are left out. Returns how many items it has here."""
    ids = item_ids(store, doc["items"])
    run_id = None
    if doc.get("run_name"):
        row = store.conn.execute("SELECT id FROM runs WHERE name = ?", (doc["run_name"],))
        found = row.fetchone()
        run_id = found[0] if found else None
    with store.write() as conn:
        old = conn.execute(
            "SELECT id, version FROM named_slices WHERE name = ?", (doc["name"],)
        ).fetchone()
        if old is None:
            cur = conn.execute(
                "INSERT INTO named_slices (name, run_id, origin, description, note, version,"
                " created_by, created_at, updated_by, updated_at) VALUES (?,?,?,?,?,1,?,?,?,?)",
                (doc["name"], run_id, doc.get("origin"), doc.get("description"), doc.get("note"),
                 who, at, who, at),
            )  # fmt: skip
            slice_id = int(cur.lastrowid or 0)
        else:
            slice_id = int(old[0])
            conn.execute(
                "UPDATE named_slices SET run_id = ?, origin = ?, description = ?, note = ?,"
                " version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?",
                (run_id, doc.get("origin"), doc.get("description"), doc.get("note"), who, at,
                 slice_id),
            )  # fmt: skip
            conn.execute("DELETE FROM named_slice_items WHERE slice_id = ?", (slice_id,))
        conn.executemany(
            "INSERT OR IGNORE INTO named_slice_items (slice_id, item_id) VALUES (?, ?)",
            [(slice_id, i) for i in ids.values()],
        )
    return len(ids)


def put_intervention(
    store: Store, key: str, row: dict[str, Any], history: Sequence[dict[str, Any]]
) -> int:
    """Create or update the intervention whose identity is ``key`` with the pulled columns in
    ``row`` and append the ``history`` rows it lacks. Returns its local id.

    Raises:
        StoreError: ``row`` lacks title, author or created_at.
    """
    if not all(row.get(k) for k in ("title", "author", "created_at")):
        raise StoreError(f"hub intervention {key}: title, author or created_at missing")
    cols = [c for c in _columns(store.conn, "interventions") if c != "id" and c in row]
    local = {intervention_key(dict(r)): int(r["id"]) for r in
             store.conn.execute("SELECT id, title, author, created_at FROM interventions")}  # fmt: skip
    with store.write() as conn:
        if key in local:
            iid = local[key]
            conn.execute(
                f"UPDATE interventions SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
                [row[c] for c in cols] + [iid],
            )
        else:
            cur = conn.execute(
                f"INSERT INTO interventions ({', '.join(cols)}) VALUES ({placeholders(cols)})",
                [row[c] for c in cols],
            )
            iid = int(cur.lastrowid or 0)
        have = {  # a change is one (version, action, field), whoever recorded it and when
            (r[0], r[1], r[2])
            for r in conn.execute(
                "SELECT version, action, field FROM intervention_history WHERE intervention_id = ?",
                (iid,),
            )
        }
        conn.executemany(
            "INSERT INTO intervention_history (intervention_id, version, action, field,"
            " old_value, new_value, who, at) VALUES (?,?,?,?,?,?,?,?)",
            [
                (iid, h["version"], h["action"], h["field"], h["old_value"], h["new_value"],
                 h["who"], h["at"])
                for h in history
                if (h["version"], h["action"], h["field"]) not in have
            ],
        )  # fmt: skip
    return iid
