"""Move work between stores as files: ``x`` exports this store to a new folder (``capslice
export DIR``), ``i`` imports an export folder into it (``capslice import DIR``) after showing
its manifest and asking first. Both run in thread workers; each table done shows in the status
line; the result (files and rows per table; rows added, "nothing changed", conflicts with who
and when on each side) is plain text, never markup."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, Static
from textual.worker import Worker, WorkerState

from ...formatting import plural
from .base import CapsliceScreen, user_error

INTRO = (
    "x: export this store to a new folder (JSONL + Parquet + manifest.json)\n"
    "i: import an export folder into this store (rows already here are skipped)"
)


def default_export(cwd: Path | None = None) -> Path:
    """``./capslice-export-YYYYmmdd-HHMMSS`` in the current directory (or ``cwd``)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return (cwd or Path(".")) / f"capslice-export-{stamp}"


def refuse_target(target: Path) -> str | None:
    """Why ``target`` cannot take an export (a file, a non-empty folder), as the CLI refuses
    it; ``None`` when it is new or an empty folder."""
    if not target.exists():
        return None
    if not target.is_dir():
        return f"{target} is a file; export into a new or empty folder"
    if any(target.iterdir()):
        return f"{target} is not empty; export into a new or empty folder"
    return None


def _table_lines(tables: dict[str, Any], count: Any) -> list[str]:
    """``  name   rows`` for every table with a non-zero ``count(entry)``."""
    rows = [(name, count(entry)) for name, entry in tables.items()]
    rows = [(name, n) for name, n in rows if n]
    if not rows:
        return ["  (no rows)"]
    width = max(len(name) for name, _ in rows)
    return [f"  {name.ljust(width)}  {n:>9}" for name, n in rows]


def export_lines(store: Path, folder: Path, manifest: dict[str, Any]) -> list[str]:
    """What an export wrote: the folder, files, schema version, rows per table, notes."""
    tables = manifest.get("tables", {})
    total = sum(t["rows"] for t in tables.values())
    jsonl_bytes = sum(t["jsonl"]["bytes"] for t in tables.values())
    parquet = manifest.get("parquet", {})
    n_parquet = sum(1 for t in tables.values() if t.get("parquet"))
    lines = [
        f"exported {store}",
        f"      to {folder}",
        f"{plural(total, 'row')} in {plural(len(tables), 'table')}; schema version {manifest.get('schema_version')}",
        f"files: manifest.json, {len(tables)} <table>.jsonl ({jsonl_bytes} bytes; read by import)",
        f"       {n_parquet} <table>.parquet (for pandas, DuckDB, Spark)"
        if parquet.get("written")
        else f"       no Parquet: {parquet.get('reason')}",
        "rows per table:",
        *_table_lines(tables, lambda t: t["rows"]),
    ]
    lines += [f"note: {note}" for note in manifest.get("notes", [])]
    return lines


def manifest_lines(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """The summary shown before an import: source, who exported it when, versions, rows."""
    tables = manifest.get("tables", {})
    total = sum(t.get("rows", 0) for t in tables.values())
    return [
        f"export folder {folder} (checked: every file present, checksums match)",
        f"  from {manifest.get('source', '?')}",
        f"  by {manifest.get('exported_by', '?')} at {manifest.get('exported_at', '?')},"
        f" capslice {manifest.get('capslice_version', '?')}",
        f"  schema version {manifest.get('schema_version', '?')},"
        f" format version {manifest.get('format_version', '?')}",
        f"{plural(total, 'row')} in {plural(len(tables), 'table')}:",
        *_table_lines(tables, lambda t: t.get("rows", 0)),
    ]


def side_text(side: dict[str, Any] | None) -> str:
    """One side of a conflict: its value (or status), note, who and when."""
    if side is None:
        return "(none)"
    value = side.get("value", side.get("status", side.get("note")))
    note = f" note {side['note']!r}" if side.get("note") and "value" in side else ""
    who = side.get("who") or side.get("updated_by") or side.get("decided_by") or "?"
    when = side.get("at") or side.get("updated_at") or "?"
    return f"{value!r}{note} by {who} at {when}"


def conflict_lines(conflict: dict[str, Any]) -> list[str]:
    """A conflict as three lines: what, the value here, the imported value."""
    kind = conflict.get("kind")
    if kind == "label":
        what = f"item {conflict.get('item_id')} {conflict.get('axis')} ({conflict.get('source')} label)"
    elif kind == "named_slice":
        what = f"named slice {conflict.get('name')!r}"
    else:
        what = f"intervention #{conflict.get('id')} {conflict.get('title')!r}"
    return [
        f"conflict: {what}",
        f"  here:     {side_text(conflict.get('here'))}  (kept)",
        f"  imported: {side_text(conflict.get('imported'))}",
    ]


def import_lines(store: Path, folder: Path, report: dict[str, Any]) -> list[str]:
    """What an import did: rows written (or "nothing changed"), per table, notes, conflicts."""
    conflicts = report.get("conflicts", [])
    if report.get("changed", 0) == 0:
        lines = [
            f"nothing changed: everything in {folder} was already in {store}"
            + (", except what conflicts (below)" if conflicts else "")
        ]
    else:
        lines = [
            f"imported {folder}",
            f"    into {store}: {plural(report['changed'], 'row')} written",
        ]
    tables = report.get("tables", {})
    shown = {k: v for k, v in tables.items() if any(v.values())}
    if shown:
        width = max(len(name) for name in shown)
        lines.append("per table:")
        for name, t in shown.items():
            parts = [f"{t[k]} {k}" for k in ("added", "updated", "present", "held") if t.get(k)]
            lines.append(f"  {name.ljust(width)}  {', '.join(parts)}")
    notes = report.get("notes", [])
    lines += [f"note: {note}" for note in notes[:20]]
    cli = ["capslice", "--store", str(store)]
    if len(notes) > 20:
        again = shlex.join([*cli, "import", str(folder), "--json"])
        lines.append(
            f"note: {plural(len(notes) - 20, 'more note')} (`{again}` lists all; importing "
            "again changes nothing)"
        )
    for conflict in conflicts:
        lines += conflict_lines(conflict)
    if conflicts:
        label = next((c for c in conflicts if c.get("kind") == "label"), None)
        how = (
            "set the value you want with `"
            + shlex.join([*cli, "label", "set", "--items", str(label.get("item_id")),
                          "--axis", str(label.get("axis"))])
            + " --value VALUE`"
            if label
            else "change it where you want the other value"
        )  # fmt: skip
        lines.append(
            f"{plural(len(conflicts), 'conflict')}: changed on both sides since the export; nothing was"
            f" overwritten ({how})"
        )
    return lines


class ExchangeScreen(CapsliceScreen):
    """Export this store to a folder, or import an export folder into it."""

    HELP_TITLE = "Export and import"
    HELP_LEGEND = (
        "x: export to a new or empty folder (one snapshot; safe while others write):",
        "   <table>.jsonl (read by import), <table>.parquet, manifest.json",
        "i: import a folder: its manifest is checked and shown, then y imports it;",
        "   rows already here are skipped (importing twice changes nothing)",
        "a label, named slice or intervention changed on both sides is a conflict:",
        "   the value here is kept and both sides are listed (who, when)",
    )
    BINDINGS = [
        Binding("x", "export", "Export", id="exchange.export", tooltip="Export to a folder"),
        Binding("i", "import", "Import", id="exchange.import", tooltip="Import a folder"),
    ]

    class Exported(Message):
        """``ws.export_to`` finished: the folder and the manifest it wrote."""

        def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
            super().__init__()
            self.folder = folder
            self.manifest = manifest

    class ManifestRead(Message):
        """``ws.export_manifest`` checked a folder: the folder and its manifest."""

        def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
            super().__init__()
            self.folder = folder
            self.manifest = manifest

    class Imported(Message):
        """``ws.import_from`` finished: the folder and the report dict."""

        def __init__(self, folder: Path, report: dict[str, Any]) -> None:
            super().__init__()
            self.folder = folder
            self.report = report

    def __init__(self) -> None:
        super().__init__()
        self.last_folder: Path | None = None  # offered first when importing

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="exchange-scroll"):
            yield Static(INTRO, id="exchange-report", markup=False)
        yield Static("x: export · i: import", id="status", markup=False)
        yield Footer()

    @property
    def store_path(self) -> Path:
        """The store the app works on."""
        path = getattr(self.ws, "store_path", None) or getattr(self.app, "store_path", None)
        return Path(str(path))

    def on_mount(self) -> None:
        self.sub_title = "export / import"

    def show(self, lines: list[str]) -> None:
        """Replace the report with ``lines`` (plain text) and scroll to its top."""
        self.query_one("#exchange-report", Static).update(Text("\n".join(lines)))
        self.query_one("#exchange-scroll", VerticalScroll).scroll_home(animate=False)

    def busy(self) -> bool:
        """Whether an export or import is still running (then ``x`` and ``i`` wait: two
        imports at once into one store would race); says so in the status line."""
        running = [
            w
            for w in self.workers
            if w.node is self and w.group in ("export", "import") and not w.is_finished
        ]
        if running:
            self.set_status(f"{running[0].group} still running: wait for it to finish")
        return bool(running)

    def progress(self, line: str) -> None:
        """A table done (called from the worker thread): shown in the status line."""
        self.app.call_from_thread(self.set_status, line)

    # ---- export -------------------------------------------------------------------------
    def action_export(self) -> None:
        from .prompt import PromptScreen

        if self.busy():
            return

        def answered(text: str | None) -> None:
            if not text:
                self.set_status("nothing exported")
                return
            target = Path(text).expanduser()
            refusal = refuse_target(target)
            if refusal is not None:
                self.set_status(refusal)
                self.show([f"not exported: {refusal}"])
                return
            self.set_status(f"exporting to {target}…")
            self.export(target)

        self.app.push_screen(
            PromptScreen(
                f"Export {self.store_path} to the new or empty folder:", str(default_export())
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="export")
    def export(self, target: Path) -> None:
        manifest = self.ws.export_to(target, progress=self.progress)
        self.post_message(self.Exported(target, manifest))

    def on_exchange_screen_exported(self, message: Exported) -> None:
        self.last_folder = message.folder
        self.show(export_lines(self.store_path, message.folder, message.manifest))
        total = sum(t["rows"] for t in message.manifest["tables"].values())
        self.set_status(f"exported {plural(total, 'row')} to {message.folder}")

    # ---- import -------------------------------------------------------------------------
    def action_import(self) -> None:
        from .prompt import PromptScreen

        if self.busy():
            return

        def answered(text: str | None) -> None:
            if not text:
                self.set_status("nothing imported")
                return
            folder = Path(text).expanduser()
            self.set_status(f"checking {folder}…")
            self.read_manifest(folder)

        self.app.push_screen(
            PromptScreen(
                f"Import into {self.store_path} the export folder:",
                str(self.last_folder or ""),
            ),
            answered,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def read_manifest(self, folder: Path) -> None:
        self.post_message(self.ManifestRead(folder, self.ws.export_manifest(folder)))

    def on_exchange_screen_manifest_read(self, message: ManifestRead) -> None:
        from .confirm import ConfirmScreen

        folder, manifest = message.folder, message.manifest
        self.show(manifest_lines(folder, manifest))
        total = sum(t.get("rows", 0) for t in manifest.get("tables", {}).values())
        self.set_status(f"{folder}: {plural(total, 'row')} · y: import · n: cancel")

        def confirmed(yes: bool | None) -> None:
            if not yes:
                self.set_status("nothing imported")
                return
            self.set_status(f"importing {folder}…")
            self.import_folder(folder)

        self.app.push_screen(
            ConfirmScreen(
                f"Import {plural(total, 'row')} from {folder} into {self.store_path}? Rows already"
                " here are skipped; a value changed on both sides is kept here and listed."
            ),
            confirmed,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="import")
    def import_folder(self, folder: Path) -> None:
        report = self.ws.import_from(folder, progress=self.progress)
        self.post_message(self.Imported(folder, report))

    def on_exchange_screen_imported(self, message: Imported) -> None:
        report = message.report
        self.show(import_lines(self.store_path, message.folder, report))
        conflicts = len(report.get("conflicts", []))
        done = (
            "nothing changed"
            if report.get("changed", 0) == 0
            else f"{plural(report['changed'], 'row')} written"
        )
        self.set_status(
            f"imported: {done}" + (f", {plural(conflicts, 'conflict')}" if conflicts else "")
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            what = event.worker.group or event.worker.name
            self.show([f"{what} failed: {user_error(event.worker.error)}"])
