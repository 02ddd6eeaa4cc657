"""Store health through the facade: doctor, recover, backup, and one message for a damaged
store. These open the store file themselves (read-only for doctor, backup and the damaged side
of recover), so they work where :class:`~capslice_tui.workspace.Workspace` cannot open it."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from ..formatting import plural
from ..store import Store, StoreDamaged, damage_message, is_damage
from ..store import doctor as _doctor
from .results import BackupReport, DoctorReport


class ReliabilityMixin:
    """Store health on an open workspace (the app's runs screen reads ``storage_warning``)."""

    store: Store

    @property
    def storage_warning(self) -> str | None:
        """The warning for a store on a network/cluster filesystem (None on a local disk)."""
        return self.store.fs_warning

    def doctor(self) -> DoctorReport:
        """:func:`doctor_store` on this workspace's store file."""
        return doctor_store(self.store.path)

    def backup(self, target: str | os.PathLike[str]) -> BackupReport:
        """:func:`backup_store` of this workspace's store to the new file ``target``."""
        return backup_store(self.store.path, target)


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
