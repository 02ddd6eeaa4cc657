"""Store health through the facade: doctor, recover, backup, and one message for a damaged
store. These open the store file themselves (read-only for doctor, backup and the damaged side
of recover), so they work where :class:`~capslice_tui.workspace.Workspace` cannot open it."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..formatting import plural
from ..store import Store, StoreDamaged, StoreError, damage_message, is_damage
from ..store import doctor as _doctor
from ..store.reliability import command_for_store
from .interrupt import delete_command
from .results import BackupReport, DoctorReport, RunCompleteness


class ReliabilityMixin:
    """Store health on an open workspace (the app's runs screen reads ``storage_warning``)."""

    store: Store

    @property
    def storage_warning(self) -> str | None:
        """The warning for a store on a network/cluster filesystem (None on a local disk)."""
        return self.store.fs_warning

    def run_completeness(self, run: str) -> RunCompleteness | None:
        """Whether the run ``run`` holds everything its input holds: None for a complete run,
        else what is stored (:class:`~capslice_tui.workspace.results.RunCompleteness`).

        The one check every command and screen that shows a score or a verdict of a run calls
        (walk 18 F1): an ingest interrupted (SIGINT/SIGTERM/SIGHUP, or a process killed), one
        still running, a log cut short or torn, an unfinished import.

        Raises:
            NotFound: unknown run.
        """
        info = self.store.get_run(run)
        if info["status"] == "complete":
            return None
        state = self.store.ingest_states().get(info["id"])
        stored = self.store.run_sample_count(info["id"])
        totals = stored == 0 or self.store.has_item_scores(info["id"])
        if state is not None and state["state"] in ("interrupted", "running"):
            k, n = state["k"], state["n_expected"]
            how = f"{k:,} of {n:,} records stored" if n else f"{k:,} records stored"
            if state["state"] == "running":
                why = f"ingest still running, pid {state['pid']} on {state['host']}"
            else:
                reason = state["reason"] or "interrupted"
                why = f"ingest {'' if reason.startswith('stopped') else 'interrupted: '}{reason}"
            resume = state["command"]
        else:
            how = f"{stored:,} records stored"
            why = _short_reason(str((info["meta"] or {}).get("incomplete") or ""))
            kept = (info["meta"] or {}).get("import_command")
            resume = command_for_store(kept, self.store.path) or None  # this store, not the old
        note = f"{run} is incomplete ({how}{'; ' + why if why else ''})"
        if totals:
            note += ": figures cover what is stored"
        else:
            note += ": the totals of the stored part were never computed"
        return {
            "run": run,
            "note": note,
            "n_stored": stored,
            "totals_computed": totals,
            "resume": resume,
        }

    def incomplete_notes(self, *runs: str) -> list[str]:
        """:meth:`run_completeness`'s one-line note of each incomplete run among ``runs``
        (each run once, in order; None entries skipped), for every command and screen that
        shows a score or a verdict of them.

        Raises:
            StoreError: a run holds samples whose per-item totals were never computed (an
                ingest killed before its end): any score of it would read as 0/0 beside its
                stored records, so the message names the command that finishes it.
            NotFound: unknown run.
        """
        out = []
        for run in dict.fromkeys(r for r in runs if r):
            found = self.run_completeness(run)
            if found is None:
                continue
            if not found["totals_computed"]:
                finish = found["resume"] or "run the same capslice ingest again"
                raise StoreError(
                    f"{found['note']}; finish it (adds only what is missing): {finish}; or "
                    f"delete it: {delete_command(self.store.path, run)}"
                )
            out.append(found["note"])
        return out

    def doctor(self) -> DoctorReport:
        """:func:`doctor_store` on this workspace's store file."""
        return doctor_store(self.store.path)

    def backup(self, target: str | os.PathLike[str]) -> BackupReport:
        """:func:`backup_store` of this workspace's store to the new file ``target``."""
        return backup_store(self.store.path, target)


def _short_reason(reason: str) -> str:
    """A run's recorded ``meta.incomplete`` without its file paths: the tasks cut short and
    the torn records (``task t: 16 of 32 expected samples; 1 incomplete trailing record``),
    else the reason itself."""
    parts = re.findall(r"task [^;:()]+: [\d,]+ of [\d,]+ expected samples", reason)
    torn = re.search(r"\d[\d,]* incomplete trailing records?", reason)
    if torn:
        parts.append(f"{torn.group(0)} skipped")
    return "; ".join(parts) if parts else reason


def doctor_store(path: str | os.PathLike[str]) -> DoctorReport:
    """Examine a store without changing it; see :func:`capslice_tui.store.doctor.doctor`."""
    return cast(DoctorReport, _doctor.doctor(path))


def recover_store(old: str | os.PathLike[str], new: str | os.PathLike[str]) -> dict[str, Any]:
    """Copy everything readable of ``old`` into the new store ``new`` (``old`` is only read);
    see :func:`capslice_tui.store.doctor.recover`."""
    return _doctor.recover(old, new, make_store=lambda p: Store(Path(p)))


def backup_store(path: str | os.PathLike[str], target: str | os.PathLike[str]) -> BackupReport:
    """Online backup of a store to a new file; see :func:`capslice_tui.store.doctor.backup`."""
    return cast(BackupReport, _doctor.backup(path, target))


def schema_line(schema: Mapping[str, list[str]]) -> str:
    """The schema line of ``doctor`` (the CLI's and the app's): ``all 17 migrations applied (newest
    0023_item_scores_run_major)``, or ``15 of 17 migrations applied, 2 pending``; ``, 1 from a
    newer capslice`` when the store has migrations this capslice does not know. The count is
    of ``known`` migrations; a name's number is not a count (the numbering skips some)."""
    known, pending = schema.get("known") or [], schema["pending"]
    newer = f", {len(schema['unknown'])} from a newer capslice" if schema["unknown"] else ""
    if not pending and known:
        return f"all {plural(len(known), 'migration')} applied (newest {max(known)}){newer}"
    done = len(known) - len(pending)
    return f"{done} of {plural(len(known), 'migration')} applied, {len(pending)} pending{newer}"


def friendly_db_error(exc: BaseException, path: str | os.PathLike[str]) -> str | None:
    """One clear sentence for an SQLite error that reached a command or a screen: a damaged
    store names doctor and recover; other SQLite errors name the store. None when ``exc`` is
    not an SQLite error (the caller reports it as it is)."""
    if isinstance(exc, StoreDamaged):
        return str(exc)
    if is_damage(exc):
        return damage_message(path, exc)
    if isinstance(exc, sqlite3.DatabaseError):
        return f"{path}: store error: {exc}"
    return None
