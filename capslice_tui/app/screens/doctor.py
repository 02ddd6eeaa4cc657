"""Store health (``capslice doctor``, read-only) and ``c``: an online backup copy
(``capslice backup FILE``)."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static

from ...formatting import plural
from ..format import Hanging
from .base import CapsliceScreen


def size_text(n: int) -> str:
    """``512 B``, ``3.4 KB``, ``1.2 GB`` (binary units)."""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def doctor_lines(r: dict[str, Any]) -> list[str]:
    """The findings of ``doctor_store`` as the CLI prints them: file, filesystem, journal,
    integrity, schema, interrupted ingests, orphans, row counts, then each finding."""
    fs = r["filesystem"]
    wal = f" (+ {size_text(r['wal_bytes'])} write-ahead log)" if r.get("wal_bytes") else ""
    integrity = "ok" if not r["damaged"] else f"DAMAGED ({plural(len(r['integrity']), 'problem')})"
    from ...workspace.reliability import schema_line  # the CLI's line; the store loads late

    schema = r["schema"]
    orphans = sum(v for v in r["orphans"].values() if isinstance(v, int))
    lines = [
        f"store:        {r['path']}, {size_text(r['size_bytes'])}{wal}",
        f"filesystem:   {fs['fstype']} at {fs['mountpoint']}"
        + (" (network/cluster filesystem)" if fs.get("cluster") else ""),
        f"journal mode: {r['journal_mode']}",
        f"integrity:    {integrity}",
        *([f"  {line}" for line in r["integrity"][:10]] if r["damaged"] else []),
        f"schema:       {schema_line(schema)}",
        f"interrupted:  {plural(len(r['interrupted']), 'ingest')}",
        f"orphaned:     {plural(orphans, 'row')}",
        "rows:         "
        + ", ".join(f"{k} {v}" for k, v in r["tables"].items() if not k.startswith("_")),
    ]
    if r.get("fs_warning"):
        lines.append(f"warning: {r['fs_warning']}")
    lines += [f"- {finding}" for finding in r["findings"]]
    if not r["findings"]:
        lines.append("no problems found")
    if r["damaged"]:
        old = Path(str(r["path"]))
        new = old.with_name(f"{old.stem}-recovered{old.suffix or '.db'}")
        command = shlex.join(["capslice", "recover", str(old), str(new)])
        lines.append(f"the file is damaged: `{command}` copies what is readable into a new file")
    return lines


_HEAD = re.compile(r"(?:[a-z ]+:\s+|  - |- |  )")
"""The head of a doctor line its wrapped lines continue under: ``journal mode: ``, ``- ``."""


def hanging_lines(lines: list[str]) -> Hanging:
    """:func:`doctor_lines` drawn so a line that wraps continues under its text (a finding
    under the finding, a value under the value), not at column 0."""
    rows = []
    for line in lines:
        head = _HEAD.match(line)
        cut = head.end() if head and head.end() < len(line) else 0
        rows.append((line[:cut], line[cut:]))
    return Hanging(rows)


def default_backup(store: Path) -> Path:
    """``<store stem>-backup-YYYYmmdd-HHMMSS<suffix>`` next to the store."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return store.with_name(f"{store.stem}-backup-{stamp}{store.suffix or '.db'}")


class DoctorScreen(CapsliceScreen):
    """Checks the store without changing it (in a thread worker); ``r`` checks again, ``c``
    copies the store to a new file with SQLite's online backup (safe while others write)."""

    HELP_TITLE = "Store doctor"
    HELP_LEGEND = (
        "read-only: integrity, schema migrations, interrupted ingests, orphaned rows,",
        "filesystem and journal mode, size (the same checks as `capslice doctor`)",
        "c: back up the store to a new file (a consistent snapshot; never overwrites)",
        "a damaged file: `capslice recover OLD NEW` copies what is readable",
    )
    BINDINGS = [
        Binding("r", "check", "Check again", id="doctor.check"),
        Binding("c", "backup", "Backup", id="doctor.backup", tooltip="Copy the store to a file"),
    ]

    class Checked(Message):
        """``doctor_store`` finished: ``report`` is its dict."""

        def __init__(self, report: dict[str, Any]) -> None:
            super().__init__()
            self.report = report

    class BackedUp(Message):
        """``backup_store`` finished: ``done`` is its dict (source, target, bytes, integrity)."""

        def __init__(self, done: dict[str, Any]) -> None:
            super().__init__()
            self.done = done

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="doctor-scroll"):
            yield Static("checking the store…", id="doctor-report", markup=False)
        yield Static("checking…", id="status", markup=False)
        yield Footer()

    @property
    def store_path(self) -> Path:
        """The store the app works on."""
        path = getattr(self.ws, "store_path", None) or getattr(self.app, "store_path", None)
        return Path(str(path))

    def on_mount(self) -> None:
        self.sub_title = "store doctor"
        self.check()

    def action_check(self) -> None:
        self.set_status("checking…")
        self.check()

    @work(thread=True, exclusive=True, exit_on_error=False, group="doctor")
    def check(self) -> None:
        from ...workspace.reliability import doctor_store

        self.post_message(self.Checked(doctor_store(self.store_path)))

    def on_doctor_screen_checked(self, message: Checked) -> None:
        r = message.report
        self.query_one("#doctor-report", Static).update(hanging_lines(doctor_lines(r)))
        verdict = "DAMAGED" if r["damaged"] else plural(len(r["findings"]), "finding")
        self.set_status(f"{verdict} · r: check again · c: backup")

    def action_backup(self) -> None:
        from .prompt import PromptScreen

        def answered(text: str | None) -> None:
            if not text:
                self.set_status("no backup written")
                return
            target = Path(text).expanduser()
            if target.exists():
                self.set_status(f"{target} exists: choose a new file (a backup never overwrites)")
                return
            self.set_status(f"backing up to {target}…")
            self.backup(target)

        self.app.push_screen(
            PromptScreen(
                f"Back up {self.store_path} to the new file:",
                str(default_backup(self.store_path)),
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup")
    def backup(self, target: Path) -> None:
        from ...workspace.reliability import backup_store

        self.post_message(self.BackedUp(backup_store(self.store_path, target)))

    def on_doctor_screen_backed_up(self, message: BackedUp) -> None:
        done = message.done
        text = (
            f"backed up to {done['target']} ({size_text(done['bytes'])}; "
            f"integrity of the copy: {done['integrity']})"
        )
        self.set_status(text)
        self.notify(text, markup=False)
