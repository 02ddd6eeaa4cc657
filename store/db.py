"""Connections and transactions for the capslice store.

One SQLite connection per thread, never shared (Datasette's model): ``Store.conn`` opens a
connection lazily for the calling thread. Writes go through :meth:`Store.write`, which takes the
write lock up front (``BEGIN IMMEDIATE``) so two annotators and a background ingest never
deadlock half-way through a transaction; a store that stays busy beyond ``busy_timeout_s``
raises :class:`StoreBusy` with a message a person can act on.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compact import register as register_sql_functions
from .fs import LeaseHeld, WriteLease, filesystem_of
from .schema import SchemaTooNew, migrate

if TYPE_CHECKING:
    import sqlite_utils


class StoreError(Exception):
    """A store operation failed for a reason the user can act on."""


class StoreBusy(StoreError):
    """Another process held the write lock longer than the busy timeout."""


class NotFound(StoreError):
    """A named run, item, slice or intervention does not exist."""


class Conflict(StoreError):
    """Someone else changed the object since it was read; nothing was written.

    The one conflict type of the store: stale label/slice edits, a slice name taken, an undo
    over someone's later change, and a stale intervention edit. The message says who changed
    it and when.
    """


class StoreDamaged(StoreError):
    """The store file has a damaged page ("database disk image is malformed"); nothing was
    written. The message names ``capslice doctor`` and ``capslice recover``."""


BUSY_TIMEOUT_ENV = "CAPSLICE_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT_S = 30.0

_DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "disk i/o error", "database disk image")


def is_damage(exc: BaseException) -> bool:
    """True when an SQLite error means the file is damaged (not busy, not a bad query)."""
    text = str(exc).lower()
    return isinstance(exc, sqlite3.DatabaseError) and any(w in text for w in _DAMAGE_WORDS)


def damage_message(path: str | os.PathLike[str], exc: BaseException | str) -> str:
    """One clear message for a damaged store: what SQLite said, that nothing was written, and
    the two commands that help."""
    quoted = str(path)
    return (
        f"{quoted}: the store is damaged ({exc}); nothing was written. Run `capslice --store "
        f"{quoted} doctor` to see what is affected, and `capslice recover {quoted} NEW.db` to "
        "copy everything readable into a new store (the damaged file is left as it is)."
    )


def default_busy_timeout() -> float:
    """Seconds a write waits for another writer: ``$CAPSLICE_BUSY_TIMEOUT`` or 30.

    Raises:
        StoreError: the variable is not a non-negative number.
    """
    raw = os.environ.get(BUSY_TIMEOUT_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_BUSY_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise StoreError(f"{BUSY_TIMEOUT_ENV}={raw!r}: give the busy timeout in seconds (>= 0)")
    return value


SQL_VARIABLES = 900  # under SQLite's default limit of bound parameters per statement


def chunks(values: Sequence[Any], size: int = SQL_VARIABLES) -> Iterator[Sequence[Any]]:
    """Consecutive slices of ``values`` of at most ``size`` (for ``IN (?, ?, ...)`` lists)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def placeholders(values: Sequence[Any]) -> str:
    """``?,?,?`` with one ``?`` per value."""
    return ",".join("?" * len(values))


def now_iso() -> str:
    """Current UTC time as ISO-8601 with seconds, e.g. ``2026-11-29T12:00:00+00:00``."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def current_user() -> str:
    """The person acting: ``$CAPSLICE_USER``, else ``$USER``, else the login name."""
    explicit = os.environ.get("CAPSLICE_USER") or os.environ.get("USER")
    if explicit:
        return explicit
    import getpass  # lazy: the login name is rarely needed (issue 14: start-up)

    return getpass.getuser()


QUICK_TRY_MS = 200  # first attempt at the write lock before telling the user we wait


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class StoreBase:
    """Per-thread connections, migrations and the single write path.

    Args:
        path: SQLite file; created (with its schema) on first use.
        busy_timeout_s: how long a write waits for another writer before :class:`StoreBusy`
            (None: ``$CAPSLICE_BUSY_TIMEOUT``, else 30 s).
        on_upgrade: told the pending migrations' names before an existing store is upgraded
            to this version's schema (see :func:`store.schema.migrate`).

    The filesystem is read from the mount table before the journal mode is chosen: WAL on
    local disks, the rollback journal with full sync on network/cluster filesystems
    (:mod:`store.fs`), where ``fs_warning`` says that writers on several hosts are unsafe.
    The first write of each instance runs ``PRAGMA quick_check``: a damaged store refuses
    writes with :class:`StoreDamaged`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        busy_timeout_s: float | None = None,
        on_upgrade: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout_s = default_busy_timeout() if busy_timeout_s is None else busy_timeout_s
        self.fs = filesystem_of(self.path)
        self.fs_warning = self.fs.warning(self.path)
        # one writer at a time across hosts where file locks cannot be trusted
        self.lease = WriteLease(self.path) if self.fs.cluster else None
        self._write_checked = False
        # called once per write that has to wait for another writer (the CLI prints it)
        self.on_wait: Callable[[str], None] | None = None
        self._local = threading.local()
        if self.path.parent and not self.path.parent.exists():
            raise StoreError(f"{self.path}: folder {self.path.parent} does not exist")
        try:
            migrate(self.conn, on_upgrade)
        except SchemaTooNew as exc:
            self.close()
            raise StoreError(f"{self.path}: {exc}") from exc
        except sqlite3.OperationalError as exc:
            self.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreBusy(
                    f"{self.path}: the store is busy (another capslice process is writing); "
                    f"waited {self.busy_timeout_s:g} s. Try again when it finishes."
                ) from exc
            raise StoreError(
                f"{self.path}: cannot use this file as a capslice store: {exc}"
            ) from exc
        except sqlite3.DatabaseError as exc:
            self.close()
            if is_damage(exc) and "not a database" not in str(exc):
                raise StoreDamaged(damage_message(self.path, exc)) from exc
            raise StoreError(
                f"{self.path}: cannot use this file as a capslice store: {exc} (a leftover "
                f"{self.path.name}-wal/-shm without its database, or not an SQLite file?)"
            ) from exc

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit mode; transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout_s)
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.path}: cannot open store: {exc}") from exc
            try:
                # never WAL on a network/cluster filesystem (no shared memory across hosts)
                conn.execute(f"PRAGMA journal_mode={'DELETE' if self.fs.cluster else 'WAL'}")
            except sqlite3.DatabaseError as exc:
                conn.close()
                raise StoreError(
                    f"{self.path}: cannot use this file as a capslice store: {exc} (a leftover "
                    f"{self.path.name}-wal/-shm without its database, or not an SQLite file?)"
                ) from exc
            conn.execute(f"PRAGMA synchronous={'FULL' if self.fs.cluster else 'NORMAL'}")
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            conn.row_factory = sqlite3.Row
            register_sql_functions(conn)  # reads of the compact forms (0021_narrow_store)
            self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils view of this thread's connection (schema and small writes)."""
        db = getattr(self._local, "db", None)
        if db is None:
            import sqlite_utils  # lazy: it imports numpy, which the cheap commands do without

            db = sqlite_utils.Database(self.conn)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close this thread's connection (other threads keep theirs)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            self._local.db = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the lock from its first statement.

        Raises:
            StoreBusy: another writer kept the store locked beyond ``busy_timeout_s``.
            StoreDamaged: the store has a damaged page (checked on this instance's first
                write, and whenever a statement meets one); nothing is written.
        """
        conn = self.conn
        if not self._write_checked:
            self.check_not_damaged()
        if self.lease is not None:
            try:
                self.lease.acquire(self.busy_timeout_s)
            except LeaseHeld as exc:
                raise StoreBusy(str(exc)) from exc
        try:
            with self._transaction(conn) as tx:
                yield tx
        finally:
            if self.lease is not None:
                self.lease.release()

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any exception)."""
        try:
            conn.execute(f"PRAGMA busy_timeout={QUICK_TRY_MS}")
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if self.on_wait is not None:
                    self.on_wait(
                        f"{self.path}: waiting for another capslice process to finish writing "
                        f"(up to {self.busy_timeout_s:g} s)..."
                    )
                conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
                conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _is_busy(exc):
                raise StoreBusy(
                    f"{self.path}: the store is busy (another capslice process is writing); "
                    f"waited {self.busy_timeout_s:g} s. Try again when it finishes."
                ) from exc
            raise
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
        try:
            yield conn
        except BaseException as exc:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                if not is_damage(exc):
                    raise
            if is_damage(exc):
                raise StoreDamaged(damage_message(self.path, exc)) from exc
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                if is_damage(exc):
                    raise StoreDamaged(damage_message(self.path, exc)) from exc
                raise

    def check_not_damaged(self) -> None:
        """``PRAGMA quick_check`` of the whole file (about 0.25 s per 50 MB).

        Raises:
            StoreDamaged: the check finds a damaged page or cannot read the file.
        """
        try:
            rows = self.conn.execute("PRAGMA quick_check(5)").fetchall()
        except sqlite3.DatabaseError as exc:
            raise StoreDamaged(damage_message(self.path, exc)) from exc
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise StoreDamaged(damage_message(self.path, "; ".join(problems[:2])))
        self._write_checked = True

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read query; rows index by name (``row["task"]``) and by position.

        Raises:
            StoreDamaged: the query met a damaged page.
        """
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            if is_damage(exc):
                raise StoreDamaged(damage_message(self.path, exc)) from exc
            raise
