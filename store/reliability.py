"""Interrupted ingests: who is writing, what was stored, how to resume or delete.

An ingest row records the process writing it (``pid``, ``host``), the records its input holds
when they can be counted (``n_expected``), and why it stopped (``reason``). A signal
(SIGINT/SIGTERM/SIGHUP) ends an ingest as ``interrupted``: the batch being written is rolled
back, every batch committed before it stays, and the run is ``incomplete``. An ingest left
``running`` by a process that no longer exists (SIGKILL, OOM killer, a node that rebooted) is
shown as interrupted too. Re-running the same ingest adds only the missing samples (samples
are unique per run, task, filter, doc_id and sample index).
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any

from .db import StoreBase, now_iso
from .ingest import count_ingest_samples


def process_alive(pid: int) -> bool:
    """True when a process with this id exists on this host (signal 0 probe)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


def this_host() -> str:
    """This machine's host name (ingests record it beside their process id).

    ``os.uname().nodename`` is what ``socket.gethostname()`` returns on POSIX, without
    importing ``socket`` (~5-10 ms) on every command; elsewhere ``socket`` answers."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def command_for_store(command: str | None, path: str | os.PathLike[str]) -> str | None:
    """``command``, a ``capslice ...`` line kept in a store's records (the one that resumes an
    ingest), naming the store at ``path``: its ``--store`` is replaced, or added when it has
    none. A store exported and imported, copied or moved keeps the line it was written with,
    which would act on the old store. A line that is not a capslice command is returned as
    it is, and None stays None."""
    try:
        words = shlex.split(command or "")
    except ValueError:
        return command
    if not words or words[0] != "capslice":
        return command
    rest = words[1:]
    if rest[:1] == ["--store"]:
        rest = rest[2:]
    elif rest and rest[0].startswith("--store="):
        rest = rest[1:]
    return shlex.join(["capslice", "--store", str(Path(path).resolve()), *rest])


def delete_run_command(path: str | os.PathLike[str], run: str) -> str:
    """``capslice --store PATH delete-run RUN``: a suggested delete names the store it acts on
    (without it, run from a folder holding another capslice.db, it deletes there)."""
    return shlex.join(["capslice", "--store", str(Path(path).resolve()), "delete-run", run])


class IngestStateMixin(StoreBase):
    """Process bookkeeping of ingests and the state of each run's last ingest."""

    def note_ingest_process(
        self, ingest_id: int, run_id: int, *, n_expected: int | None, command: str
    ) -> None:
        """Record the writing process (pid, host), the expected record count and the command
        that resumes this ingest (kept in the run's meta as ``ingest_command``)."""
        with self.write() as conn:
            conn.execute(
                "UPDATE ingests SET pid = ?, host = ?, n_expected = ? WHERE id = ?",
                (os.getpid(), this_host(), n_expected, ingest_id),
            )
            row = conn.execute("SELECT meta FROM runs WHERE id = ?", (run_id,)).fetchone()
            meta = json.loads(row["meta"] or "{}") if row is not None else {}
            meta["ingest_command"] = command
            conn.execute(
                "UPDATE runs SET meta = ? WHERE id = ?", (json.dumps(meta, default=str), run_id)
            )

    def run_sample_count(self, run_id: int) -> int:
        """Samples stored for a run (counted, not the cached ``runs.n_samples``)."""
        return int(
            self.conn.execute(
                "SELECT count(*) FROM samples WHERE run_id = ?", (run_id,)
            ).fetchone()[0]
        )

    def has_item_scores(self, run_id: int) -> bool:
        """Whether the run's per-item totals (``item_scores``) were computed: an ingest killed
        before its end stored samples but none (walk 18 F12)."""
        row = self.conn.execute(
            "SELECT 1 FROM item_scores WHERE run_id = ? LIMIT 1", (run_id,)
        ).fetchone()
        return row is not None

    def interrupt_ingest(
        self, ingest_id: int, run_id: int, *, reason: str, n_read: int
    ) -> dict[str, Any]:
        """End an ingest stopped by a signal: keep its committed batches, mark it
        ``interrupted`` with ``reason``, bring the run's aggregates up to date and mark the
        run ``incomplete``.

        Returns:
            ``{"k": samples stored for the run, "n_expected": records in the input or None}``.
        """
        k = self.run_sample_count(run_id)
        self.refresh_item_scores(run_id)  # type: ignore[attr-defined]
        with self.write() as conn:
            n_new = count_ingest_samples(conn, ingest_id)
            conn.execute(
                "UPDATE ingests SET finished_at = ?, status = 'interrupted', reason = ?,"
                " n_read = ?, n_new = ? WHERE id = ?",
                (now_iso(), reason, n_read, n_new, ingest_id),
            )
            conn.execute(
                "UPDATE runs SET status = 'incomplete', n_samples = ? WHERE id = ?", (k, run_id)
            )
            row = conn.execute(
                "SELECT n_expected FROM ingests WHERE id = ?", (ingest_id,)
            ).fetchone()
        return {"k": k, "n_expected": row[0] if row else None}

    def ingest_states(self) -> dict[int, dict[str, Any]]:
        """The last ingest of every run whose run is not complete, keyed by run id.

        Each value: ``state`` (``interrupted`` | ``running`` | ``rolled_back`` | ...),
        ``reason``, ``k`` (samples stored for the run), ``n_expected`` (records in the input,
        None when not countable), ``pid``, ``host``, ``started_at``, ``command`` (resumes the
        ingest, from the run's meta, naming this store: :func:`command_for_store`). A ``running`` ingest whose process is gone (same host,
        pid not alive) is reported as ``interrupted`` with reason "process <pid> ended without
        finishing (killed?)"; on another host it stays ``running`` (it cannot be checked).
        """
        out: dict[int, dict[str, Any]] = {}
        rows = self.conn.execute(
            "SELECT i.*, r.meta AS run_meta, r.status AS run_status FROM ingests i"
            " JOIN runs r ON r.id = i.run_id WHERE i.id IN (SELECT max(id) FROM ingests"
            " GROUP BY run_id) AND r.status != 'complete'"
        ).fetchall()
        host = this_host()
        for r in rows:
            state, reason = r["status"], r["reason"]
            if state == "running" and r["pid"] is not None and r["host"] == host:
                if not process_alive(int(r["pid"])):
                    state = "interrupted"
                    reason = f"process {r['pid']} ended without finishing (killed?)"
            meta = json.loads(r["run_meta"] or "{}")
            out[int(r["run_id"])] = {
                "state": state,
                "reason": reason,
                "k": self.run_sample_count(int(r["run_id"])),
                "n_expected": r["n_expected"],
                "pid": r["pid"],
                "host": r["host"],
                "started_at": r["started_at"],
                "command": command_for_store(meta.get("ingest_command"), self.path),
            }
        return out
