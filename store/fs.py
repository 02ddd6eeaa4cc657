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
