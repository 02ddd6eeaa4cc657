"""Push and pull between a local store and a team hub on PostgreSQL.

What moves: runs (row, tasks' evaluation settings, per-sample outcomes; response text only with
``--with-text``, as capped by the local store), items, labels (every source) with the hand
labels' history, named slices, interventions with their history and decision.

How (the design):
- Identity is content, never local ids (see ``capslice_tui.store.hub``). A push sends an object
  only when its content id differs from the one agreed at the last sync, so a second push sends
  nothing; samples are compared one by one with the hub, so a push that was killed part-way
  sends only what is missing when it is re-run.
- Bounded transactions: a run's row is written first with no content id (a push under way),
  then its samples in batches of ``BATCH`` per transaction (``$CAPSLICE_HUB_BATCH``, default
  2000), then the content id; a pull never takes a run whose content id is unset, and writes
  what it takes here in batches of the same size.
- Incremental pulls: every shared row carries the id of the transaction that wrote it
  (``tx``). A pull reads in one REPEATABLE READ snapshot the rows with ``tx >=`` the watermark
  and then stores the snapshot's ``xmin`` as the new watermark: every transaction older than
  it had committed and was seen, so nothing committed later can be missed.
- Conflicts: a hand label, named slice or intervention changed on both sides since the last
  sync is reported as "changed by ROLE at T" (T: when it was made on its node, not pushed;
  items by local id, task and doc id) and left alone on both sides; ``--ours`` (push) or
  ``--theirs`` (pull) settles it explicitly. A hand label's history rows travel with its
  value: held by a conflict, they are neither pushed nor pulled, and rows of a value that
  ``--theirs`` replaced stay local. A run that exists here and was never synced is compared
  by content id before it is called different.
- Identity and access: the hub stamps rows with ``current_user``; pulled labels, slices and
  decisions carry that database role. Only ``capslice_lead`` may write decisions (GRANTs).
  Passwords come from libpq (``PGPASSWORD``, ``~/.pgpass``, a service file); a URL with a
  password is stored without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..formatting import plural
from ..store import NotFound, Store, StoreError, current_user, now_iso
from ..store import hub as local
from .schema import BOOTSTRAP, MIGRATIONS, ROLES

BATCH = int(os.environ.get("CAPSLICE_HUB_BATCH", "2000") or 2000)
Progress = Callable[[str], None]


class HubError(StoreError):
    """A hub operation failed for a reason the user can act on (connection, access, schema)."""


# ---- URLs and connections ---------------------------------------------------------------
def strip_password(url: str) -> tuple[str, bool]:
    """``url`` without any password, and whether it had one.

    Handles ``postgresql://user:secret@host/db`` and ``?password=`` in URLs, and
    ``password=...`` in key=value connection strings. Everything else (``sslmode``, service
    names, hosts) is kept as given.
    """
    text = url.strip()
    if text.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(text)
        had = False
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, _, hostport = netloc.rpartition("@")
            if ":" in userinfo:
                had = True
                userinfo = userinfo.split(":", 1)[0]
            netloc = f"{userinfo}@{hostport}" if userinfo else hostport
        query = parse_qsl(parts.query, keep_blank_values=True)
        kept = [(k, v) for k, v in query if k != "password"]
        had = had or len(kept) != len(query)
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(kept), "")), had
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        params = conninfo_to_dict(text)
    except Exception as exc:
        raise HubError(f"not a libpq connection string or URL: {exc}") from exc
    had = params.pop("password", None) is not None
    return (make_conninfo("", **params) if had else text), had


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise HubError(
            "the hub needs the PostgreSQL driver psycopg: pip install 'capslice[hub]'"
        ) from exc
    return psycopg


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def connect(url: str) -> Any:
    """An autocommit psycopg connection to the hub at ``url`` (password from libpq's places).

    Raises:
        HubError: psycopg missing, or the server refused or could not be reached.
    """
    psycopg = _psycopg()
    try:
        return psycopg.connect(
            url, autocommit=True, connect_timeout=15, application_name="capslice"
        )
    except psycopg.Error as exc:
        raise HubError(f"cannot connect to the hub at {url}: {_first_line(exc)}") from exc


def hub_schema_state(conn: Any) -> list[str]:
    """Migrations applied on the hub (empty when ``hub init`` never ran)."""
    row = conn.execute("SELECT to_regclass('capslice.migrations')").fetchone()
    if row[0] is None:
        return []
    return [r[0] for r in conn.execute("SELECT name FROM capslice.migrations ORDER BY name")]


def _check_schema(conn: Any, url: str) -> None:
    done = hub_schema_state(conn)
    known = [name for name, _ in MIGRATIONS]
    if not done:
        raise HubError(f"{url} has no capslice hub yet: run `capslice hub init {url}`")
    newer = sorted(set(done) - set(known))
    if newer:
        raise HubError(
            f"the hub at {url} has schema migrations this capslice does not know"
            f" ({', '.join(newer)}); upgrade capslice"
        )
    missing = [n for n in known if n not in done]
    if missing:
        raise HubError(
            f"the hub at {url} lacks migrations {', '.join(missing)}: run `capslice hub init {url}`"
        )


def init_hub(url: str) -> dict[str, Any]:
    """Create or migrate the hub schema at ``url``: applies pending migrations in order, each in
    its own transaction under an advisory lock. Returns ``applied`` (names), ``roles`` (those
    that exist now) and ``role`` (who ran it).

    Raises:
        HubError: connection failed, or the role lacks the rights (CREATE on the database;
            CREATEROLE when the capslice roles do not exist yet).
    """
    psycopg = _psycopg()
    conn = connect(url)
    applied: list[str] = []
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('capslice-hub-migrate'))")
            conn.execute(BOOTSTRAP)
        done = set(hub_schema_state(conn))
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('capslice-hub-migrate'))")
                if conn.execute(
                    "SELECT 1 FROM capslice.migrations WHERE name = %s", (name,)
                ).fetchone():
                    continue
                conn.execute(sql)
                conn.execute("INSERT INTO capslice.migrations (name) VALUES (%s)", (name,))
            applied.append(name)
        role = conn.execute("SELECT current_user").fetchone()[0]
        roles = [
            r[0]
            for r in conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s) ORDER BY rolname",
                (list(ROLES),),
            )
        ]
    except psycopg.Error as exc:
        raise HubError(
            f"hub init at {url} failed: {_first_line(exc)} (the role needs CREATE on the"
            " database, and CREATEROLE unless a DBA created capslice_reader, capslice_writer"
            " and capslice_lead)"
        ) from exc
    finally:
        conn.close()
    return {"applied": applied, "roles": roles, "role": role}


# ---- reports --------------------------------------------------------------------------
@dataclass
class SyncReport:
    """What one push or pull did: counts per kind, conflicts, notes."""

    hub: str
    direction: str  # push | pull
    role: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hold: list[int] = field(default_factory=list)  # hub tx of conflicts: re-read next pull
    textless: list[str] = field(default_factory=list)  # runs pulled without response text

    def add(self, kind: str, n: int = 1) -> None:
        if n:
            self.counts[kind] = self.counts.get(kind, 0) + n

    def same(self, kind: str, n: int = 1) -> None:
        if n:
            self.unchanged[kind] = self.unchanged.get(kind, 0) + n

    def lines(self) -> list[str]:
        """The report as lines a person reads (first line: what moved, or that nothing did)."""
        verb = "pushed to" if self.direction == "push" else "pulled from"
        order = ("runs", "samples", "labels", "rule/cluster labels", "label history rows",
                 "slices", "interventions", "decisions")  # fmt: skip
        if self.counts:
            kinds = sorted(self.counts, key=lambda k: order.index(k) if k in order else 99)
            what = ", ".join(plural(self.counts[k], k.removesuffix("s")) for k in kinds)
            out = [f"{verb} hub {self.hub} as {self.role}: {what}"]
        elif self.unchanged:
            same = ", ".join(plural(n, k.removesuffix("s")) for k, n in self.unchanged.items())
            where = "already on" if self.direction == "push" else "nothing new on"
            out = [f"nothing to {self.direction}: {where} hub {self.hub} ({same} unchanged)"]
        elif self.conflicts:
            out = [f"nothing {verb} hub {self.hub} as {self.role}: every change is a conflict"]
        elif self.direction == "push":
            out = [f"nothing to push: this store has nothing to share with hub {self.hub} yet"]
        else:
            out = [f"nothing to pull: hub {self.hub} has nothing shared yet"]
        out += [f"conflict: {c}" for c in self.conflicts]
        out += [f"note: {n}" for n in self.notes]
        if self.textless:
            out.append(
                f"note: {', '.join(self.textless)}: pushed without response text (`capslice"
                " push --with-text` sends it); samples show lengths and hashes, and a re-score"
                " here keeps their scores"
            )
        if self.conflicts:
            out.append(
                "conflicts were left as they are on both sides: `capslice push --ours` sends"
                " yours over the hub's, `capslice pull --theirs` takes the hub's over yours"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "hub": self.hub,
            "direction": self.direction,
            "role": self.role,
            "counts": self.counts,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "notes": self.notes,
            "pulled_without_text": self.textless,
        }


def _hook(_stage: str) -> None:
    """Called after each committed push batch (tests replace it to simulate a dropped link)."""


# ---- content ids of local objects -------------------------------------------------------
def _label_key(r: dict[str, Any]) -> str:
    return f"{r['item_hash']}|{r['axis']}|{r['source']}"


def _label_cid(r: dict[str, Any]) -> str:
    return local.content_id([r["value"], r.get("note"), r.get("origin")])


TOMB = local.content_id([None, None, None])  # the content id of a cleared (absent) label


def _shown(value: Any) -> str:
    return "cleared" if value is None else repr(value)


def _hist_cid(r: dict[str, Any]) -> str:
    """Identity of a label-history row on every node: what changed and in which action
    (``batch``), not who or when, which a pull rewrites to the hub's role and time."""
    keys = ("item_hash", "axis", "source", "old_value", "new_value", "old_note", "new_note",
            "action", "batch")  # fmt: skip
    return local.content_id([r.get(k) for k in keys])


def _slice_doc(s: dict[str, Any]) -> dict[str, Any]:
    return {k: s.get(k) for k in ("run_name", "origin", "description", "note", "items")}


def _intervention_data(row: dict[str, Any]) -> dict[str, Any]:
    skip = {"id", "key", "history", *local.DECISION_FIELDS}
    data = {k: v for k, v in row.items() if k not in skip}
    data["status"] = row.get("status")  # as on the pushing node; decisions are separate
    return data


def _intervention_cid(data: dict[str, Any]) -> str:
    """Content id of an intervention's shared fields. Its status is left out: it follows the
    decision (lead only) and the version, which every start, link and evaluation bumps."""
    return local.content_id({k: v for k, v in data.items() if k != "status"})


def _decision(row: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    status = row.get("status")
    if status == "rejected":
        decision = "rejected"
    elif status in ("accepted", "running", "evaluated") and row.get("decided_at"):
        decision = "accepted"
    else:
        decision = None
    return decision, row.get("decision_reason"), row.get("decision_warning")


def _ihist_cid(key: str, h: dict[str, Any]) -> str:
    """Identity of an intervention-history row on every node: the intervention, the version
    the change produced and the field (who and when are rewritten by a pull)."""
    return local.content_id([key, h["version"], h["action"], h["field"]])


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _item_name(names: dict[str, str], item_hash: str) -> str:
    """An item as the other commands name it (its local id, task and doc id)."""
    return names.get(item_hash) or f"item {item_hash[:12]}"


_WRITTEN_ISO = "to_char(written_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"')"
"""SQL: a hub row's ``written_at`` as ISO-8601 in UTC, as local times are written."""


def _made_at(local_at: Any, written_at: Any) -> str:
    """When a change was made (the pushing node's time), not when it was pushed."""
    return str(local_at) if local_at else _iso(written_at)


def _who_at(role: str, at: Any) -> str:
    when = at.isoformat(timespec="seconds") if hasattr(at, "isoformat") else str(at)
    return f"changed by {role} at {when}"


# ---- push -------------------------------------------------------------------------------
def push(
    store: Store,
    hub: str | None = None,
    *,
    runs: Sequence[str] | None = None,
    with_text: bool = False,
    ours: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Send what changed here since the last sync to the hub (see the module docstring).

    Raises:
        NotFound: unknown hub or run.
        HubError: connection, schema or access problem (nothing half-written is left visible:
            a run's samples become visible to pulls only once all of them are on the hub).
    """
    remote = local.get_remote(store, hub)
    name, url = remote["name"], remote["url"]
    psycopg = _psycopg()
    say = progress or (lambda _m: None)
    conn = connect(url)
    try:
        _check_schema(conn, url)
        role, is_lead, is_writer = conn.execute(
            "SELECT current_user, pg_has_role(current_user, 'capslice_lead', 'MEMBER'),"
            " pg_has_role(current_user, 'capslice_writer', 'MEMBER')"
        ).fetchone()
        report = SyncReport(hub=name, direction="push", role=role)
        if not is_writer:
            raise HubError(
                f"role {role} may not push to hub {name}: it needs capslice_writer"
                f" (a DBA runs: GRANT capslice_writer TO {role};)"
            )
        names = list(runs) if runs else [r["name"] for r in store.list_runs()]
        for run in names:
            _push_run(store, conn, name, run, with_text, ours, report, say)
        _push_labels(store, conn, name, ours, report)
        _push_slices(store, conn, name, ours, report)
        _push_interventions(store, conn, name, ours, bool(is_lead), report)
    except psycopg.Error as exc:
        raise HubError(
            f"push to hub {name} stopped: {_first_line(exc)}; what was committed stays,"
            " and running the push again completes it"
        ) from exc
    finally:
        conn.close()
    local.set_state(store, name, "last_push", now_iso())
    return report


_RunSample = tuple[tuple[str, str, str, int], str, str, dict[str, Any]]
"""A sample to push: (task, filter, doc_id, sample_idx), content id, item hash, document."""


def _local_run_samples(store: Store, run: str, with_text: bool) -> list[_RunSample]:
    """Every sample of ``run`` here, keyed and with its content id."""
    samples: list[_RunSample] = []
    for batch in local.run_samples(store, run, with_text=with_text):
        for s in batch:
            d = s["data"]
            key = (d["task"], d["filter"], str(d["doc_id"]), int(d["sample_idx"]))
            samples.append((key, local.content_id([s["item_hash"], d]), s["item_hash"], d))
    return samples


def _run_content(
    store: Store, run: str, with_text: bool
) -> tuple[dict[str, Any], list[_RunSample], str]:
    """``run`` here as a push sends it: its document, samples and content id (what push and
    pull compare with the hub's)."""
    doc = {**local.run_document(store, run), "with_text": with_text}
    samples = _local_run_samples(store, run, with_text)
    return doc, samples, local.content_id([doc, with_text, sorted(c for _, c, _, _ in samples)])


def _same_samples(
    conn: Any, run: str, mine: dict[str, Any], hub_doc: dict[str, Any], cids: Sequence[str]
) -> str | None:
    """How ``run`` here differs from the hub's when both hold the same samples (each node
    ingested the same logs: ``the same 12 samples here and on the hub; only the run records
    differ (created_at): ingested separately``), or None when the samples differ."""
    on_hub = sorted(
        r[0] for r in conn.execute("SELECT cid FROM capslice.samples WHERE run_name = %s", (run,))
    )
    if on_hub != sorted(cids):
        return None
    here, there = mine.get("run") or {}, hub_doc.get("run") or {}
    fields = sorted(k for k in set(here) | set(there) if here.get(k) != there.get(k))
    if mine.get("tasks") != hub_doc.get("tasks"):
        fields.append("task settings")
    return (
        f"the same {plural(len(on_hub), 'sample')} here and on the hub; only the run records"
        f" differ ({', '.join(fields) or 'how they were pushed'}): ingested separately"
    )


def _send_run_row(conn: Any, run: str, doc: dict[str, Any]) -> None:
    """Write the hub's run row with ``cid`` NULL: pulls ignore it until its samples are in."""
    meta = doc["run"]
    with conn.transaction():
        conn.execute(
            "INSERT INTO capslice.runs (name, cid, model, step, status, n_samples, data)"
            " VALUES (%s, NULL, %s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET cid = NULL,"
            " model = excluded.model, step = excluded.step, status = excluded.status,"
            " n_samples = excluded.n_samples, data = excluded.data",
            (run, meta.get("model"), meta.get("step"), meta.get("status"),
             meta.get("n_samples"), _jsonb(doc)),
        )  # fmt: skip


def _send_run_items(store: Store, conn: Any, run: str, with_text: bool) -> None:
    """Send the items, eval settings and (``with_text``) texts of ``run`` the hub lacks."""
    items = local.run_items(store, run)
    for start in range(0, len(items), BATCH):
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO capslice.items (item_hash, benchmark, task, doc_id, data)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (item_hash) DO NOTHING",
                [
                    (i["item_hash"], i["benchmark"], i["task"], i["doc_id"],
                     _jsonb({"question": i["question"], "target": i["target"], "doc": i["doc"],
                             "seq": i["id"]}))
                    for i in items[start : start + BATCH]
                ],
            )  # fmt: skip
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO capslice.eval_settings (hash, settings) VALUES (%s, %s)"
            " ON CONFLICT (hash) DO NOTHING",
            local.run_settings(store, run),
        )
        if with_text:
            cur.executemany(
                "INSERT INTO capslice.texts (hash, text) VALUES (%s, %s)"
                " ON CONFLICT (hash) DO NOTHING",
                local.run_texts(store, run),
            )


def _send_run_samples(
    conn: Any, run: str, samples: list[_RunSample], report: SyncReport, say: Progress
) -> None:
    """Send the samples of ``run`` that differ on the hub, in batches; delete those it lost."""
    on_hub = {
        (r[0], r[1], r[2], r[3]): r[4]
        for r in conn.execute(
            "SELECT task, filter, doc_id, sample_idx, cid FROM capslice.samples"
            " WHERE run_name = %s",
            (run,),
        )
    }
    todo = [s for s in samples if on_hub.get(s[0]) != s[1]]
    stale = set(on_hub) - {s[0] for s in samples}
    for start in range(0, len(todo), BATCH):
        part = todo[start : start + BATCH]
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO capslice.samples (run_name, task, filter, doc_id, sample_idx,"
                " item_hash, cid, score, lenient, failure_mode, data)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (run_name, task, filter, doc_id, sample_idx) DO UPDATE SET"
                " item_hash = excluded.item_hash, cid = excluded.cid, score = excluded.score,"
                " lenient = excluded.lenient, failure_mode = excluded.failure_mode,"
                " data = excluded.data",
                [
                    (run, *key, item_hash, c, d.get("score"), d.get("lenient"),
                     d.get("failure_mode"), _jsonb(d))
                    for key, c, item_hash, d in part
                ],
            )  # fmt: skip
        report.add("samples", len(part))
        say(f"{run}: {min(start + BATCH, len(todo))}/{plural(len(todo), 'sample')} sent")
        _hook("samples")
    if stale:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "DELETE FROM capslice.samples WHERE run_name = %s AND task = %s AND filter = %s"
                " AND doc_id = %s AND sample_idx = %s",
                [(run, *k) for k in stale],
            )


def _push_run(
    store: Store, conn: Any, hub: str, run: str, with_text: bool, ours: bool,
    report: SyncReport, say: Progress,
) -> None:  # fmt: skip
    doc, samples, cid = _run_content(store, run, with_text)
    base = local.sync_bases(store, hub, "run").get(run)
    if base is not None and base[0] == cid:
        report.same("runs")
        return
    row = conn.execute(
        "SELECT cid, role, written_at, data FROM capslice.runs WHERE name = %s", (run,)
    ).fetchone()
    if row is not None and row[0] == cid:
        local.record_sync(store, hub, "run", [(run, cid)], "push")
        local.record_sync(
            store, hub, "runlocal", [(run, local.run_fingerprint(store, run))], "push"
        )
        report.same("runs")
        return
    if row is not None and row[0] is not None and (base is None or row[0] != base[0]) and not ours:
        same = _same_samples(conn, run, doc, row[3] or {}, [c for _, c, _, _ in samples])
        report.conflicts.append(
            f"run {run}: {same or 'the hub has a different run of that name'}"
            f" ({_who_at(row[1], row[2])}); not pushed (rename it here, or `capslice push"
            " --ours` replaces the hub's)"
        )
        return
    _send_run_row(conn, run, doc)
    _send_run_items(store, conn, run, with_text)
    _send_run_samples(conn, run, samples, report, say)
    with conn.transaction():
        conn.execute("UPDATE capslice.runs SET cid = %s WHERE name = %s", (cid, run))
    local.record_sync(store, hub, "run", [(run, cid)], "push")
    local.record_sync(store, hub, "runlocal", [(run, local.run_fingerprint(store, run))], "push")
    report.add("runs")


def _hub_items(conn: Any, hashes: Sequence[str]) -> set[str]:
    out: set[str] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 5000):
        out.update(
            r[0]
            for r in conn.execute(
                "SELECT item_hash FROM capslice.items WHERE item_hash = ANY(%s)",
                (unique[start : start + 5000],),
            )
        )
    return out


def _tombstones(
    rows: list[dict[str, Any]], bases: dict[str, tuple[str, str]]
) -> list[dict[str, Any]]:
    """Hand labels agreed with the hub at the last sync and cleared here since: sent as a
    label with no value, so the clear reaches the other nodes instead of being undone."""
    here = {_label_key(r) for r in rows}
    out = []
    for key in bases:
        item_hash, axis, source = key.split("|")
        if source == "hand" and key not in here:
            out.append({"item_hash": item_hash, "axis": axis, "source": source, "value": None,
                        "note": None, "origin": None, "who": current_user(), "at": now_iso()})  # fmt: skip
    return out


def _push_labels(store: Store, conn: Any, hub: str, ours: bool, report: SyncReport) -> None:
    bases = local.sync_bases(store, hub, "label")
    rows = local.labels(store)
    rows += _tombstones(rows, bases)
    changed = [r for r in rows if bases.get(_label_key(r), ("",))[0] != _label_cid(r)]
    report.same("labels", len(rows) - len(changed))
    on_hub = _hub_items(conn, [r["item_hash"] for r in changed])
    changed = [r for r in changed if r["item_hash"] in on_hub]
    keys = [_label_key(r) for r in changed]
    hub_rows = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT item_hash || '|' || axis || '|' || source, cid, role, local_at, value,"
            " written_at FROM capslice.labels"
            " WHERE item_hash || '|' || axis || '|' || source = ANY(%s)",
            (keys,),
        )
    }
    names = local.item_names(store, [r["item_hash"] for r in changed])
    send, agreed, refused = [], [], set()
    for r in changed:
        key, cid = _label_key(r), _label_cid(r)
        theirs = hub_rows.get(key)
        base = bases.get(key, ("",))[0]
        if theirs is not None and theirs[0] == cid:
            agreed.append((key, cid))
        elif theirs is not None and theirs[0] != base and not ours:
            if r["source"] == "hand":
                refused.add(key)
                report.conflicts.append(
                    f"hand label {r['axis']} of {_item_name(names, r['item_hash'])}:"
                    f" {_who_at(theirs[1], _made_at(theirs[2], theirs[4]))} to"
                    f" {_shown(theirs[3])} on the hub; yours is {_shown(r['value'])}, set by"
                    f" {r['who']} at {r['at']} (not pushed, nor its history)"
                )
            # rule and cluster labels come from each node's taxonomy: the hub's stays
        else:
            send.append(r)
    local.record_sync(store, hub, "label", agreed, "push")
    for start in range(0, len(send), BATCH):
        part = send[start : start + BATCH]
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO capslice.labels (item_hash, axis, source, value, origin, note, cid,"
                " local_who, local_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (item_hash, axis, source) DO UPDATE SET value = excluded.value,"
                " origin = excluded.origin, note = excluded.note, cid = excluded.cid,"
                " local_who = excluded.local_who, local_at = excluded.local_at",
                [
                    (r["item_hash"], r["axis"], r["source"], r["value"], r.get("origin"),
                     r.get("note"), _label_cid(r), r["who"], r["at"])
                    for r in part
                ],
            )  # fmt: skip
        local.record_sync(
            store, hub, "label", [(_label_key(r), _label_cid(r)) for r in part], "push"
        )
        report.add("labels", len(part))
        _hook("labels")
    _push_label_history(store, conn, hub, refused, report)


def _push_label_history(
    store: Store, conn: Any, hub: str, refused: set[str], report: SyncReport
) -> None:
    """Send every hand-label history row once; the rows of a label refused by a conflict
    stay here with it (history and value travel together, or not at all)."""
    hist = local.label_history(store)
    sent = local.sync_bases(store, hub, "hist")
    unsent = [h for h in hist if _hist_cid(h) not in sent and _label_key(h) not in refused]
    hist_items = _hub_items(conn, [h["item_hash"] for h in unsent])
    new = [h for h in unsent if h["item_hash"] in hist_items]
    report.same("label history rows", sum(1 for h in hist if _hist_cid(h) in sent))
    for start in range(0, len(new), BATCH):
        part = new[start : start + BATCH]
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO capslice.label_history (cid, item_hash, axis, source, old_value,"
                " new_value, old_note, new_note, action, batch, local_who, local_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (cid) DO NOTHING",
                [
                    (_hist_cid(h), h["item_hash"], h["axis"], h["source"], h["old_value"],
                     h["new_value"], h.get("old_note"), h.get("new_note"), h["action"],
                     h.get("batch"), h["who"], h["at"])
                    for h in part
                ],
            )  # fmt: skip
            added = max(cur.rowcount, 0)  # rows the hub did not have yet
        local.record_sync(store, hub, "hist", [(_hist_cid(h), _hist_cid(h)) for h in part], "push")
        report.add("label history rows", added)
        report.same("label history rows", len(part) - added)


def _push_slices(store: Store, conn: Any, hub: str, ours: bool, report: SyncReport) -> None:
    bases = local.sync_bases(store, hub, "slice")
    for s in local.named_slices(store):
        doc = _slice_doc(s)
        cid = local.content_id(doc)
        base = bases.get(s["name"], ("",))[0]
        if base == cid:
            report.same("slices")
            continue
        theirs = conn.execute(
            "SELECT cid, role, written_at, local_at FROM capslice.slices WHERE name = %s",
            (s["name"],),
        ).fetchone()
        if theirs is not None and theirs[0] == cid:
            local.record_sync(store, hub, "slice", [(s["name"], cid)], "push")
            report.same("slices")
            continue
        if theirs is not None and theirs[0] != base and not ours:
            report.conflicts.append(
                f"slice {s['name']}: {_who_at(theirs[1], _made_at(theirs[3], theirs[2]))} on the"
                " hub and changed here"
                f" by {s['updated_by']} at {s['updated_at']} (not pushed)"
            )
            continue
        with conn.transaction():
            conn.execute(
                "INSERT INTO capslice.slices (name, run_name, origin, description, note, items,"
                " cid, local_who, local_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (name) DO UPDATE SET run_name = excluded.run_name,"
                " origin = excluded.origin, description = excluded.description,"
                " note = excluded.note, items = excluded.items, cid = excluded.cid,"
                " local_who = excluded.local_who, local_at = excluded.local_at",
                (s["name"], doc["run_name"], doc["origin"], doc["description"], doc["note"],
                 doc["items"], cid, s["updated_by"], s["updated_at"]),
            )  # fmt: skip
        local.record_sync(store, hub, "slice", [(s["name"], cid)], "push")
        report.add("slices")


def _push_decision(
    store: Store, conn: Any, hub: str, row: dict[str, Any], theirs: Any,
    dbases: dict[str, tuple[str, str]], is_lead: bool, report: SyncReport,
) -> None:  # fmt: skip
    """Send an intervention's decision when it changed here (a capslice_lead role only)."""
    key = row["key"]
    decision = _decision(row)
    dcid = local.content_id(list(decision))
    hub_decision = (theirs[3], theirs[4], theirs[5]) if theirs is not None else (None,) * 3
    if decision[0] is not None and dbases.get(key, ("",))[0] != dcid:
        if tuple(hub_decision) == decision:
            local.record_sync(store, hub, "decision", [(key, dcid)], "push")
        elif not is_lead:
            report.notes.append(
                f"intervention {row['title']!r}: its decision ({decision[0]} by"
                f" {row.get('decided_by')}) was not pushed: role {report.role} is not"
                " capslice_lead; a lead pushes it"
            )
        else:
            with conn.transaction():
                conn.execute(
                    "UPDATE capslice.interventions SET decision = %s, decision_reason = %s,"
                    " decision_warning = %s WHERE key = %s",
                    (*decision, key),
                )
            local.record_sync(store, hub, "decision", [(key, dcid)], "push")
            report.add("decisions")


def _push_intervention_history(
    store: Store, conn: Any, hub: str, row: dict[str, Any],
    sent_hist: dict[str, tuple[str, str]], is_lead: bool,
) -> None:  # fmt: skip
    """Send the history rows of an intervention not sent yet (accept/reject: a lead only)."""
    key = row["key"]
    hist = [
        h for h in row["history"]
        if _ihist_cid(key, h) not in sent_hist
        and (is_lead or h["action"] not in ("accept", "reject"))
    ]  # fmt: skip
    if (
        hist
        and conn.execute("SELECT 1 FROM capslice.interventions WHERE key = %s", (key,)).fetchone()
    ):
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO capslice.intervention_history (cid, intervention_key, version,"
                " action, field, old_value, new_value, local_who, local_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (cid) DO NOTHING",
                [
                    (_ihist_cid(key, h), key, h["version"], h["action"], h["field"],
                     h["old_value"], h["new_value"], h["who"], h["at"])
                    for h in hist
                ],
            )  # fmt: skip
        local.record_sync(store, hub, "ihist", [(_ihist_cid(key, h), key) for h in hist], "push")


def _push_interventions(
    store: Store, conn: Any, hub: str, ours: bool, is_lead: bool, report: SyncReport
) -> None:
    bases = local.sync_bases(store, hub, "intervention")
    dbases = local.sync_bases(store, hub, "decision")
    sent_hist = local.sync_bases(store, hub, "ihist")
    for row in local.interventions(store):
        key = row["key"]
        data = _intervention_data(row)
        cid = _intervention_cid(data)
        base = bases.get(key, ("",))[0]
        theirs = conn.execute(
            f"SELECT cid, role, coalesce(data->>'updated_at', {_WRITTEN_ISO}), decision,"
            " decision_reason, decision_warning, decided_by FROM capslice.interventions"
            " WHERE key = %s",
            (key,),
        ).fetchone()
        moved = False
        if base != cid:
            if theirs is not None and theirs[0] == cid:
                local.record_sync(store, hub, "intervention", [(key, cid)], "push")
            elif theirs is not None and theirs[0] != base and not ours:
                report.conflicts.append(
                    f"intervention {row['title']!r}: {_who_at(theirs[1], theirs[2])} on the hub"
                    f" and changed here at {row['updated_at']} (not pushed)"
                )
                continue
            else:
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO capslice.interventions (key, title, data, cid)"
                        " VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET"
                        " title = excluded.title, data = excluded.data, cid = excluded.cid",
                        (key, row["title"], _jsonb(data), cid),
                    )
                local.record_sync(store, hub, "intervention", [(key, cid)], "push")
                moved = True
        _push_decision(store, conn, hub, row, theirs, dbases, is_lead, report)
        _push_intervention_history(store, conn, hub, row, sent_hist, is_lead)
        if moved:
            report.add("interventions")
        elif base == cid:
            report.same("interventions")


# ---- pull -------------------------------------------------------------------------------
def pull(
    store: Store,
    hub: str | None = None,
    *,
    runs: Sequence[str] | None = None,
    theirs: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Bring what changed on the hub since the last pull into this store (see the module
    docstring). Runs are pulled whole, written in bounded local transactions; a pull that was
    killed part-way is completed by running it again.

    Raises:
        NotFound: unknown hub.
        HubError: connection, schema or access problem.
    """
    remote = local.get_remote(store, hub)
    name, url = remote["name"], remote["url"]
    psycopg = _psycopg()
    say = progress or (lambda _m: None)
    conn = connect(url)
    try:
        _check_schema(conn, url)
        mark = local.get_state(store, name, "pull_watermark") or "0"
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            role, horizon = conn.execute(
                "SELECT current_user, pg_snapshot_xmin(pg_current_snapshot())::text"
            ).fetchone()
            report = SyncReport(hub=name, direction="pull", role=role)
            pulled_items: list[str] = []
            for row in conn.execute(
                "SELECT name, cid, data, role, written_at FROM capslice.runs"
                + (" WHERE name = ANY(%s)" if runs else "")
                + " ORDER BY name",
                (list(runs),) if runs else (),
            ).fetchall():
                pulled_items += _pull_run(store, conn, name, row, theirs, report, say)
            if runs:
                missing = sorted(set(runs) - {r[0] for r in conn.execute(
                    "SELECT name FROM capslice.runs WHERE name = ANY(%s)", (list(runs),))})  # fmt: skip
                if missing:
                    raise NotFound(f"hub {name} has no run named {', '.join(missing)}")
            _pull_labels(store, conn, name, mark, pulled_items, theirs, report)
            _pull_slices(store, conn, name, mark, theirs, report)
            _pull_interventions(store, conn, name, mark, theirs, report)
    except psycopg.Error as exc:
        raise HubError(
            f"pull from hub {name} stopped: {_first_line(exc)}; what was written here stays,"
            " and running the pull again completes it"
        ) from exc
    finally:
        conn.close()
    # a conflict left unresolved is read again by the next pull (--theirs can then take it)
    local.set_state(store, name, "pull_watermark", str(min([int(horizon), *report.hold])))
    local.set_state(store, name, "last_pull", now_iso())
    return report


def _hub_item_rows(conn: Any, hashes: list[str]) -> dict[str, dict[str, Any]]:
    """item_hash -> the hub's item (its columns and data) for ``hashes``."""
    items: dict[str, dict[str, Any]] = {}
    for start in range(0, len(hashes), 5000):
        for h, bench, task, doc_id, data in conn.execute(
            "SELECT item_hash, benchmark, task, doc_id, data FROM capslice.items"
            " WHERE item_hash = ANY(%s)",
            (hashes[start : start + 5000],),
        ):
            items[h] = {"item_hash": h, "benchmark": bench, "task": task, "doc_id": doc_id, **data}
    return items


def _receive_run_samples(
    store: Store, conn: Any, run: str, run_id: int, ingest_id: int,
    settings: Sequence[Any], texts: Sequence[Any], say: Progress,
) -> int:  # fmt: skip
    """Write the hub's samples of ``run`` here in pushing order, in batches; returns how many."""
    n = 0
    with conn.cursor(name=f"capslice_pull_{run_id}") as cur:
        cur.execute(
            "SELECT item_hash, data FROM capslice.samples WHERE run_name = %s"
            " ORDER BY (data->>'seq')::bigint NULLS LAST, task, filter, doc_id, sample_idx",
            (run,),
        )
        first = True
        while True:
            part = cur.fetchmany(BATCH)
            if not part:
                break
            n += local.write_pulled_samples(
                store, run_id, ingest_id,
                items=[],
                samples=[{"item_hash": h, "data": d} for h, d in part],
                settings=settings if first else (),
                texts=texts if first else (),
            )  # fmt: skip
            first = False
            say(f"{run}: {plural(n, 'sample')} received")
    return n


def _pull_run(
    store: Store, conn: Any, hub: str, row: Any, theirs: bool, report: SyncReport, say: Progress
) -> list[str]:
    run, cid, doc, role, at = row
    if cid is None:
        report.notes.append(
            f"run {run}: its push is under way or was interrupted ({_who_at(role, at)}); not"
            " pulled until the push completes"
        )
        return []
    base = local.sync_bases(store, hub, "run").get(run)
    if base is not None and base[0] == cid:
        report.same("runs")
        return []
    exists = store.conn.execute("SELECT 1 FROM runs WHERE name = ?", (run,)).fetchone()
    if exists and base is None:  # compared before it is called different
        mine, samples, mine_cid = _run_content(store, run, bool(doc.get("with_text")))
        if mine_cid == cid:  # the same run here (a copy of the store, or a lost sync record)
            local.record_sync(store, hub, "run", [(run, cid)], "pull")
            local.record_sync(
                store, hub, "runlocal", [(run, local.run_fingerprint(store, run))], "pull"
            )
            report.same("runs")
            return []
        if not theirs:
            same = _same_samples(conn, run, mine, doc, [c for _, c, _, _ in samples])
            report.conflicts.append(
                f"run {run}: {same or 'a different run of that name exists here'}; the hub's"
                f" was {_who_at(role, at)}; not pulled (rename or delete-run it here, or"
                " `capslice pull --theirs` replaces it)"
            )
            return []
    if exists and base is not None and base[0] != "pulling" and not theirs:
        mark = local.sync_bases(store, hub, "runlocal").get(run)
        if mark is not None and mark[0] != local.run_fingerprint(store, run):
            report.conflicts.append(
                f"run {run}: changed here since the last sync (re-scored or re-ingested) and"
                f" on the hub ({_who_at(role, at)}); not pulled (`capslice push --ours` sends"
                " yours, `capslice pull --theirs` takes the hub's)"
            )
            return []
    local.record_sync(store, hub, "run", [(run, "pulling")], "pull")
    run_id, ingest_id = local.begin_pulled_run(store, doc)
    hashes = [r[0] for r in conn.execute(
        "SELECT DISTINCT item_hash FROM capslice.samples WHERE run_name = %s", (run,))]  # fmt: skip
    items = _hub_item_rows(conn, hashes)
    settings = conn.execute(
        "SELECT hash, settings FROM capslice.eval_settings WHERE hash IN (SELECT DISTINCT"
        " data->>'settings_hash' FROM capslice.samples WHERE run_name = %s)",
        (run,),
    ).fetchall()
    texts = conn.execute(
        "SELECT hash, text FROM capslice.texts WHERE hash IN (SELECT DISTINCT"
        " data->>'prompt_hash' FROM capslice.samples WHERE run_name = %s)",
        (run,),
    ).fetchall()
    # items first, in the order the pushing node stored them (ties in slice tables and the
    # bootstrap over items then fall as they do there), in bounded transactions
    ordered = sorted(items.values(), key=lambda i: (i.get("seq") is None, i.get("seq") or 0))
    for start in range(0, len(ordered), BATCH):
        local.write_pulled_samples(
            store, run_id, ingest_id, items=ordered[start : start + BATCH], samples=[]
        )
    n = _receive_run_samples(store, conn, run, run_id, ingest_id, settings, texts, say)
    if not doc.get("with_text"):
        report.textless.append(run)
    local.finish_pulled_run(store, run_id, ingest_id, doc)
    local.record_sync(store, hub, "run", [(run, cid)], "pull")
    local.record_sync(store, hub, "runlocal", [(run, local.run_fingerprint(store, run))], "pull")
    report.add("runs")
    report.add("samples", n)
    return hashes


def _local_hand_labels(store: Store, hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
    return {
        _label_key(r): r for r in local.labels(store, list(set(hashes))) if r["source"] == "hand"
    }


def _pull_labels(
    store: Store, conn: Any, hub: str, mark: str, item_hashes: Sequence[str], theirs: bool,
    report: SyncReport,
) -> None:  # fmt: skip
    cols = ("item_hash, axis, source, value, origin, note, cid, role, written_at, local_at,"
            " tx::text")  # fmt: skip
    rows = [dict(zip(cols.replace(" ", "").split(","), r, strict=True)) for r in conn.execute(
        f"SELECT {cols} FROM capslice.labels WHERE tx >= %s::xid8 OR item_hash = ANY(%s)",
        (mark, list(item_hashes)),
    )]  # fmt: skip
    known = local.item_ids(store, [r["item_hash"] for r in rows])
    rows = [r for r in rows if r["item_hash"] in known]
    for r in rows:  # who: the hub's role; when: the time it was set, not pushed
        r["who"], r["at"] = r["role"], _made_at(r["local_at"], r["written_at"])
    bases = local.sync_bases(store, hub, "label")
    mine = _local_hand_labels(store, [r["item_hash"] for r in rows if r["source"] == "hand"])
    names = local.item_names(store, [r["item_hash"] for r in rows if r["source"] == "hand"])
    take, agreed, held = [], [], set()
    for r in rows:
        if r["source"] != "hand":
            continue
        key = _label_key(r)
        here = mine.get(key)
        here_cid = _label_cid(here) if here else TOMB  # absent here: as if cleared
        base = bases.get(key, (TOMB,))[0]  # never synced: both started from "absent"
        if here_cid == r["cid"]:
            agreed.append((key, r["cid"]))
        elif base == r["cid"]:
            continue  # the hub has what we agreed on; the change is ours, to push
        elif here_cid == base or theirs:
            take.append(r)
        else:
            report.hold.append(int(r["tx::text"]))
            held.add(key)
            mine_text = (
                f"by {here['who']} at {here['at']} to {_shown(here['value'])}" if here
                else "cleared"
            )  # fmt: skip
            report.conflicts.append(
                f"hand label {r['axis']} of {_item_name(names, r['item_hash'])}:"
                f" {_who_at(r['role'], r['at'])} to {_shown(r['value'])} on the hub and"
                f" {mine_text} here (kept yours, and your history)"
            )
    local.record_sync(store, hub, "label", agreed, "pull")
    hist_here = local.label_history(store)  # the writes below add no history rows
    if take:
        set_rows = [r for r in take if r["value"] is not None]
        if set_rows:
            local.put_labels(store, set_rows, replace=True)
        local.delete_labels(store, [r for r in take if r["value"] is None])
        local.record_sync(store, hub, "label", [(_label_key(r), r["cid"]) for r in take], "pull")
        _keep_replaced_history(store, hub, {_label_key(r) for r in take}, hist_here)
        report.add("labels", len(take))
    others = [r for r in rows if r["source"] != "hand"]
    if others:
        added = local.put_labels(store, others, replace=False)
        report.add("rule/cluster labels", added)
    _pull_label_history(store, conn, hub, mark, item_hashes, set(known), held, hist_here, report)


def _keep_replaced_history(
    store: Store, hub: str, keys: set[str], hist_here: Sequence[dict[str, Any]]
) -> None:
    """History rows here (``hist_here``) not yet pushed of labels the hub's value replaced:
    they stay here, never pushed, so no other node reads a change its label does not hold."""
    sent = local.sync_bases(store, hub, "hist")
    rows = [h for h in hist_here if _label_key(h) in keys]
    local.record_sync(
        store, hub, "hist",
        [(c, "replaced") for c in (_hist_cid(h) for h in rows) if c not in sent], "pull",
    )  # fmt: skip


def _pull_label_history(
    store: Store, conn: Any, hub: str, mark: str, item_hashes: Sequence[str], known: set[str],
    held: set[str], hist_here: Sequence[dict[str, Any]], report: SyncReport,
) -> None:  # fmt: skip
    """Bring the hub's new hand-label history rows here, in the order they were made; those of
    a label held by a conflict come only with its value (the next pull re-reads them)."""
    hcols = ("cid, item_hash, axis, source, old_value, new_value, old_note, new_note, action,"
             " batch, role, written_at, local_at")  # fmt: skip
    seen = local.sync_bases(store, hub, "hist")
    here = {_hist_cid(h) for h in hist_here}
    hist = [dict(zip(hcols.replace(" ", "").split(","), h, strict=True)) for h in conn.execute(
        f"SELECT {hcols} FROM capslice.label_history WHERE tx >= %s::xid8 OR item_hash = ANY(%s)"
        " ORDER BY written_at, cid",
        (mark, list(item_hashes)),
    )]  # fmt: skip
    fresh = [h for h in hist if h["cid"] not in seen and h["item_hash"] in known]
    # a row this store already holds (a copy of the same store) is recorded, not added twice
    local.record_sync(
        store, hub, "hist", [(h["cid"], h["cid"]) for h in fresh if h["cid"] in here], "pull"
    )
    new = [h for h in fresh if h["cid"] not in here and _label_key(h) not in held]
    for h in new:
        h["who"], h["at"] = h["role"], _made_at(h["local_at"], h["written_at"])
    new.sort(key=lambda h: (h["at"], h["cid"]))
    if new:
        local.add_label_history(store, new)
        # under the hub's id and the id this store computes for the row as written here
        pairs = [(h["cid"], h["cid"]) for h in new] + [(_hist_cid(h), h["cid"]) for h in new]
        local.record_sync(store, hub, "hist", pairs, "pull")
        report.add("label history rows", len(new))


def _iso(at: Any) -> str:
    return at.isoformat(timespec="seconds") if hasattr(at, "isoformat") else str(at)


def _pull_slices(
    store: Store, conn: Any, hub: str, mark: str, theirs: bool, report: SyncReport
) -> None:
    bases = local.sync_bases(store, hub, "slice")
    mine = {s["name"]: s for s in local.named_slices(store)}
    for name, run_name, origin, description, note, items, cid, role, at, tx in conn.execute(
        "SELECT name, run_name, origin, description, note, items, cid, role,"
        f" coalesce(local_at, {_WRITTEN_ISO}), tx::text"
        " FROM capslice.slices WHERE tx >= %s::xid8 ORDER BY name",
        (mark,),
    ).fetchall():
        here = mine.get(name)
        here_cid = local.content_id(_slice_doc(here)) if here else None
        base = bases.get(name, ("",))[0]
        if here_cid == cid:
            local.record_sync(store, hub, "slice", [(name, cid)], "pull")
            continue
        if base == cid:
            continue
        if here is not None and here_cid != base and not theirs:
            report.hold.append(int(tx))
            report.conflicts.append(
                f"slice {name}: {_who_at(role, at)} on the hub and changed here by"
                f" {here['updated_by']} at {here['updated_at']} (kept yours)"
            )
            continue
        doc = {"name": name, "run_name": run_name, "origin": origin,
               "description": description, "note": note, "items": list(items)}  # fmt: skip
        n = local.put_named_slice(store, doc, who=role, at=_iso(at))
        if n < len(items):
            report.notes.append(
                f"slice {name}: {n} of its {plural(len(items), 'item')} are in this store (pull their"
                " runs to have the rest)"
            )
        local.record_sync(store, hub, "slice", [(name, cid)], "pull")
        report.add("slices")


def _hub_intervention_history(conn: Any, key: str) -> list[dict[str, Any]]:
    """The hub's history rows of intervention ``key``, oldest first."""
    return [
        {"cid": c, "version": v, "action": a, "field": f, "old_value": o, "new_value": n,
         "who": r, "at": _iso(w)}
        for c, v, a, f, o, n, r, w in conn.execute(
            "SELECT cid, version, action, field, old_value, new_value, role, written_at"
            " FROM capslice.intervention_history WHERE intervention_key = %s"
            " ORDER BY version, written_at, cid",
            (key,),
        )
    ]  # fmt: skip


def _pulled_intervention_row(
    data: dict[str, Any], here: dict[str, Any] | None, here_dec: tuple[Any, Any, Any],
    fields_new: bool, decided: tuple[Any, Any, Any, Any, Any], report: SyncReport,
) -> dict[str, Any]:  # fmt: skip
    """The intervention to store here: the hub's fields (or ours when current) and the
    decision's status; ``decided`` = (decision, reason, warning, decided_by, decided_at)."""
    decision, reason, warning, decided_by, decided_at = decided
    title = data.get("title")
    if fields_new or here is None:
        row = dict(data)
    else:  # ours is current: keep our fields
        row = {k: here[k] for k in data if k in here}
    if decision is not None:
        status = row.get("status") or "proposed"
        if decision == "rejected":
            status = "rejected"
        elif status not in ("accepted", "running", "evaluated"):
            status = "accepted"
        row.update(status=status, decision_reason=reason, decision_warning=warning,
                   decided_by=decided_by, decided_at=_iso(decided_at) if decided_at else None)  # fmt: skip
    elif here is not None and here_dec[0] is not None:
        # decided here, not (yet) on the hub: a lead's push sends it; keep ours
        row.update({k: here[k] for k in local.DECISION_FIELDS})
        if fields_new and data.get("status") in ("running", "evaluated"):
            row["status"] = data["status"]
    else:
        if (row.get("status") or "proposed") != "proposed":
            report.notes.append(
                f"intervention {title!r}: {row.get('status')} on the node that pushed it, but"
                " no lead's decision is on the hub; kept as proposed"
            )
        row.update(status="proposed", decision_reason=None, decision_warning=None,
                   decided_by=None, decided_at=None)  # fmt: skip
    return row


def _without_baseline_link(
    data: dict[str, Any], history: Sequence[dict[str, Any]], new_hist: list[dict[str, Any]]
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The hub's fields and new history rows of an intervention without its link of its own
    baseline run as the result run, or None when its result run is another run (or none).

    A local link refuses that run (a run compared with itself measures no change:
    :func:`~capslice_tui.store.interventions.baseline_link_refusal`), so a pull does too:
    no result run, no outcome and verdict (judged on that link), ``evaluated`` back to
    ``running`` (it was started); the hub's history rows of that link and of the
    evaluations after it are left out. Every other field and history row is kept."""
    run = data.get("result_run")
    if not run or run != data.get("baseline_run"):
        return None
    fields = {**data, "result_run": None, "outcome": None, "verdict": None}
    if fields.get("status") == "evaluated":
        fields["status"] = "running"
    links = [h["version"] for h in history
             if h["action"] == "link" and h["field"] == "result_run" and h["new_value"] == run]  # fmt: skip
    if not links:
        return fields, new_hist
    since = max(links)
    kept = [
        h
        for h in new_hist
        if not (h["action"] == "link" and h["version"] >= since)
        and not (h["action"] == "evaluate" and h["version"] > since)
    ]
    return fields, kept


def _baseline_link_note(title: Any, run: str, iid: int, status: Any) -> str:
    """The pull report's note on a refused link of an intervention's own baseline run."""
    return (
        f"intervention {title!r} (#{iid} here): its result run {run!r} on the hub is its own"
        " baseline run, and a run compared with itself measures no change, so that link and"
        f" the outcome judged on it were not pulled: it is {status} here, with no result run,"
        " and a push from here sends it without that link; link the run trained with the"
        f" intervention's data: capslice intervention link {iid} --run RUN"
    )


def _pull_interventions(
    store: Store, conn: Any, hub: str, mark: str, theirs: bool, report: SyncReport
) -> None:
    bases = local.sync_bases(store, hub, "intervention")
    dbases = local.sync_bases(store, hub, "decision")
    sent_hist = local.sync_bases(store, hub, "ihist")
    mine = {r["key"]: r for r in local.interventions(store)}
    rows = conn.execute(
        "SELECT key, data, cid, decision, decision_reason, decision_warning, decided_by,"
        " decided_at, role, written_at, tx::text FROM capslice.interventions i"
        " WHERE tx >= %s::xid8"
        " OR EXISTS (SELECT 1 FROM capslice.intervention_history h"
        " WHERE h.intervention_key = i.key AND h.tx >= %s::xid8) ORDER BY written_at",
        (mark, mark),
    ).fetchall()
    for key, data, cid, decision, reason, warning, decided_by, decided_at, role, at, tx in rows:
        here = mine.get(key)
        here_cid = _intervention_cid(_intervention_data(here)) if here else None
        base = bases.get(key, ("",))[0]
        title = data.get("title")
        if here is not None and here_cid not in (cid, base) and base != cid and not theirs:
            report.hold.append(int(tx))
            report.conflicts.append(
                f"intervention {title!r}: {_who_at(role, data.get('updated_at') or at)} on the"
                f" hub and changed here at {here['updated_at']} (kept yours)"
            )
            continue
        hub_dec = (decision, reason, warning)
        here_dec = _decision(here) if here else (None, None, None)
        dec_new = decision is not None and hub_dec != here_dec
        if (dec_new and here_dec[0] is not None and not theirs
                and local.content_id(list(here_dec)) != dbases.get(key, ("",))[0]):  # fmt: skip
            report.hold.append(int(tx))
            report.conflicts.append(
                f"intervention {title!r}: {decision} on the hub by {decided_by} at"
                f" {_iso(decided_at)}, {here_dec[0]} here (kept yours)"
            )
            continue
        history = _hub_intervention_history(conn, key)
        ours = {_ihist_cid(key, h) for h in (here or {}).get("history", [])}
        new_hist = [h for h in history if h["cid"] not in sent_hist and h["cid"] not in ours]
        fields_new = here is None or (here_cid != cid and base != cid)
        if not (fields_new or dec_new or new_hist):
            local.record_sync(store, hub, "intervention", [(key, cid)], "pull")
            report.same("interventions")
            continue
        # the link of its own baseline run is refused, as a local link refuses it; the rows
        # left out are recorded as pulled below (the hub keeps them: not brought again)
        refused = _without_baseline_link(data, history, new_hist) if fields_new else None
        row = _pulled_intervention_row(
            refused[0] if refused else data, here, here_dec, fields_new,
            (decision, reason, warning, decided_by, decided_at), report,
        )  # fmt: skip
        iid = local.put_intervention(store, key, row, refused[1] if refused else new_hist)
        if refused:
            report.notes.append(
                _baseline_link_note(title, data["result_run"], iid, row.get("status"))
            )
        local.record_sync(store, hub, "intervention", [(key, cid)], "pull")
        if decision is not None:
            local.record_sync(
                store, hub, "decision", [(key, local.content_id(list(hub_dec)))], "pull"
            )
        pairs = [(h["cid"], key) for h in new_hist] + [(_ihist_cid(key, h), key) for h in new_hist]
        local.record_sync(store, hub, "ihist", pairs, "pull")
        report.add("interventions")


def hub_runs(store: Store, hub: str | None = None) -> list[dict[str, Any]]:
    """The runs on a hub: name, model, step, status, samples, whether its push completed,
    who pushed it (database role) and when; with ``here`` saying whether this store has it.

    Raises:
        NotFound: unknown hub.
        HubError: connection or schema problem.
    """
    remote = local.get_remote(store, hub)
    conn = connect(remote["url"])
    try:
        _check_schema(conn, remote["url"])
        rows = conn.execute(
            "SELECT r.name, r.model, r.step, r.status, r.n_samples, r.cid IS NOT NULL,"
            " r.role, r.written_at, (SELECT count(*) FROM capslice.samples s"
            " WHERE s.run_name = r.name) FROM capslice.runs r ORDER BY r.name"
        ).fetchall()
    finally:
        conn.close()
    origins = local.run_origins(store)
    here = {r["name"] for r in store.list_runs()}
    return [
        {
            "name": name, "model": model, "step": step, "status": status,
            "n_samples": n_samples, "on_hub": on_hub_n, "complete": complete,
            "pushed_by": role, "pushed_at": _iso(at),
            "here": origins.get(name, "local copy") if name in here else "not pulled",
        }
        for name, model, step, status, n_samples, complete, role, at, on_hub_n in rows
    ]  # fmt: skip
