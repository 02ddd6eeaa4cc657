"""Which filesystem a store lives on, and the journal mode that is safe there.

SQLite's WAL mode needs shared memory between every process that opens the database, which
network and cluster filesystems (NFS, Lustre, GPFS, AFS, CIFS/SMB, 9p, sshfs...) do not give
across hosts; their byte-range locks are also unreliable (sqlite.org/wal.html, "WAL does not
work over a network filesystem"; sqlite.org/faq.html#q5). On those, a store uses the rollback
journal (``journal_mode=DELETE``) with ``synchronous=FULL`` and capslice warns that writers on
several hosts at once are unsafe. The filesystem is read from the mount table
(``/proc/self/mounts``), which tests replace with ``CAPSLICE_MOUNTS`` (a file in the same
format) or the ``mounts`` argument.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MOUNTS_ENV = "CAPSLICE_MOUNTS"
CLUSTER_FS = frozenset(
    {
        "nfs", "nfs3", "nfs4", "lustre", "gpfs", "afs", "openafs", "cifs", "smb", "smb3",
        "smbfs", "9p", "fuse.sshfs", "sshfs", "ceph", "fuse.ceph", "fuse.cephfs", "beegfs",
        "glusterfs", "fuse.glusterfs", "panfs", "wekafs", "fuse.gcsfuse", "fuse.s3fs",
        "fuse.rclone", "fuse.juicefs", "vboxsf", "davfs", "fuse.davfs2",
    }
)  # fmt: skip
"""Filesystem types where WAL is never used (network or cluster filesystems)."""


@dataclass(frozen=True)
class FsInfo:
    """The mount a path lives on.

    Attributes:
        fstype: filesystem type as the mount table names it (``ext4``, ``nfs4``...), or
            ``unknown`` when the mount table cannot be read.
        mountpoint: where that filesystem is mounted.
        source: the mounted device or export (``server:/export`` for NFS).
    """

    fstype: str
    mountpoint: str
    source: str

    @property
    def cluster(self) -> bool:
        """True on a network or cluster filesystem (no WAL there)."""
        return self.fstype in CLUSTER_FS or self.fstype.startswith("nfs")

    def warning(self, path: Path) -> str | None:
        """The warning to print for a store on this filesystem (None when local)."""
        if not self.cluster:
            return None
        return (
            f"{path}: the store is on a {self.fstype} filesystem ({self.source} mounted at "
            f"{self.mountpoint}); capslice uses the rollback journal there (no WAL) with full "
            "sync. Writers on several hosts at once are unsafe on it: run ingests and labelling "
            "from one host at a time, or keep the store on a local disk and move it with "
            "`capslice backup`."
        )


def _unescape(field: str) -> str:
    """Mount-table fields escape space, tab, newline and backslash as octal (``\\040``)."""
    return (
        field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n")
        .replace("\\134", "\\")
    )  # fmt: skip


def read_mounts(mounts: str | os.PathLike[str] | None = None) -> list[FsInfo]:
    """Entries of the mount table: ``mounts``, else ``$CAPSLICE_MOUNTS``, else
    ``/proc/self/mounts``. Unreadable -> empty list."""
    source = mounts or os.environ.get(MOUNTS_ENV) or "/proc/self/mounts"
    try:
        text = Path(source).read_text(errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out.append(FsInfo(parts[2], _unescape(parts[1]), _unescape(parts[0])))
    return out


def filesystem_of(path: str | os.PathLike[str], mounts: str | None = None) -> FsInfo:
    """The mount holding ``path`` (the longest mountpoint that is a prefix of its resolved
    folder); ``fstype`` ``unknown`` when no mount table is readable."""
    target = Path(path).resolve()
    folder = target if target.is_dir() else target.parent
    best: FsInfo | None = None
    for entry in read_mounts(mounts):
        mp = entry.mountpoint.rstrip("/") or "/"
        inside = mp == "/" or folder == Path(mp) or str(folder).startswith(mp + "/")
        if inside and (best is None or len(mp) >= len(best.mountpoint.rstrip("/") or "/")):
            best = entry
    return best or FsInfo("unknown", "/", "")


LEASE_STALE_S = 600.0
"""A lease older than this is taken over (no capslice write transaction lasts that long)."""


class LeaseHeld(Exception):
    """Another process holds the store's write lease; the message names host, pid and since."""


class WriteLease:
    """A single-writer lease file beside a store on a network/cluster filesystem.

    SQLite's file locks are unreliable on such filesystems, so each write transaction first
    creates ``<store>.lease`` with ``O_CREAT | O_EXCL`` (atomic on NFSv3+, Lustre, GPFS),
    writing the host, pid and time, and removes it when the transaction ends. A lease whose
    process is gone (same host, pid not alive) or older than :data:`LEASE_STALE_S` is taken
    over.

    Args:
        store_path: the store file; the lease is ``<store_path>.lease``.
    """

    def __init__(self, store_path: Path) -> None:
        self.path = store_path.with_name(store_path.name + ".lease")
        self._mine: str | None = None

    def holder(self) -> dict[str, str] | None:
        """The current lease's ``{"host", "pid", "since"}`` (None when there is none)."""
        try:
            text = self.path.read_text()
        except OSError:
            return None
        fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
        return fields or {"host": "?", "pid": "?", "since": "?"}

    def _stale(self, held: dict[str, str]) -> bool:
        import socket
        import time

        try:
            age = time.time() - self.path.stat().st_mtime
        except OSError:
            return True
        if age > LEASE_STALE_S:
            return True
        if held.get("host") == socket.gethostname() and held.get("pid", "").isdigit():
            try:
                os.kill(int(held["pid"]), 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
        return False

    def acquire(self, timeout_s: float) -> None:
        """Take the lease, waiting up to ``timeout_s`` for its holder.

        Raises:
            LeaseHeld: another live process kept it beyond ``timeout_s``.
        """
        import socket
        import time
        from datetime import datetime, timezone

        me = (
            f"host={socket.gethostname()} pid={os.getpid()} "
            f"since={datetime.now(timezone.utc).isoformat(timespec='seconds')}\n"
        )
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                held = self.holder()
                if held is not None and self._stale(held):
                    self.path.unlink(missing_ok=True)
                    continue
                if time.monotonic() >= deadline:
                    who = held or {}
                    raise LeaseHeld(
                        f"{self.path}: another capslice process holds this store's write lease "
                        f"(host {who.get('host', '?')}, pid {who.get('pid', '?')}, since "
                        f"{who.get('since', '?')}); on a network/cluster filesystem capslice "
                        "lets one process write at a time. Wait for it to finish; if that "
                        "process is gone, delete the lease file."
                    ) from None
                time.sleep(0.1)
                continue
            with os.fdopen(fd, "w") as fh:
                fh.write(me)
            self._mine = me
            return

    def release(self) -> None:
        """Remove the lease if it is still this process's."""
        if self._mine is None:
            return
        try:
            if self.path.read_text() == self._mine:
                self.path.unlink()
        except OSError:
            pass
        self._mine = None


def folder_store_problem(path: Path) -> str:
    """Why ``path`` cannot be a store because it is a folder ('' when it is not one); SQLite's
    own answer, ``unable to open database file``, names neither the path nor why."""
    if not path.is_dir():
        return ""
    return (
        f"{path} is a folder, not a store file: a capslice store is one SQLite file, e.g. "
        f"{path / 'capslice.db'} (check --store or CAPSLICE_STORE)"
    )
