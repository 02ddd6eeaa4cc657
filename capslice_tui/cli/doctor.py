"""``capslice doctor``, ``recover`` and ``backup``: check a store, rescue a damaged one, copy
one safely while others write."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..formatting import plural
from ..workspace.reliability import schema_line
from .render import emit_json
from .root import Ctx, friendly_errors, pass_ctx

if TYPE_CHECKING:
    from ..workspace.results import DoctorReport


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@pass_ctx
@friendly_errors
def doctor(obj: Ctx, as_json: bool) -> None:
    """Check the store without changing it: integrity, schema version and pending migrations,
    interrupted ingests, orphaned rows, filesystem and journal mode, size.

    Exit status 1 when the file is damaged (then `capslice recover` copies what is readable
    into a new file), 0 otherwise.
    """
    from ..workspace.reliability import doctor_store

    report = doctor_store(obj.store_path)
    if as_json:
        emit_json(report)
    else:
        _print_doctor(report)
    if report["damaged"]:
        sys.exit(1)


def _print_doctor(r: DoctorReport) -> None:
    fs = r["filesystem"]
    wal = f" (+ {_size(r['wal_bytes'])} write-ahead log)" if r["wal_bytes"] else ""
    click.echo(f"store:        {r['path']}, {_size(r['size_bytes'])}{wal}")
    click.echo(
        f"filesystem:   {fs['fstype']} at {fs['mountpoint']}"
        + (" (network/cluster filesystem)" if fs["cluster"] else "")
    )
    click.echo(f"journal mode: {r['journal_mode']}")
    integrity = "ok" if not r["damaged"] else f"DAMAGED ({plural(len(r['integrity']), 'problem')})"
    click.echo(f"integrity:    {integrity}")
    for line in r["integrity"][:10] if r["damaged"] else []:
        click.echo(f"  {line}")
    schema = r["schema"]
    click.echo(f"schema:       {schema_line(schema)}")
    imports = len(r.get("unfinished_imports") or [])  # runs of an import stopped midway
    click.echo(
        f"interrupted:  {plural(len(r['interrupted']), 'ingest')}"
        + (f", {plural(imports, 'run')} of an unfinished import" if imports else "")
    )
    orphans = sum(v for v in r["orphans"].values() if isinstance(v, int))
    click.echo(f"orphaned:     {plural(orphans, 'row')}")
    # the search index tables (*_fts*) are SQLite FTS5 bookkeeping, not data
    tables = [
        f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
        for k, v in r["tables"].items()
        if not k.startswith("_") and "_fts" not in k
    ]
    click.echo("rows:")
    click.echo(
        textwrap.fill(", ".join(tables), width=78, initial_indent="  ", subsequent_indent="  ")
    )
    if r["fs_warning"]:
        click.echo(f"warning: {r['fs_warning']}")
    for finding in r["findings"]:
        click.echo(f"- {finding}")
    if not r["findings"]:
        click.echo("no problems found")


@click.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@friendly_errors
def recover(old: Path, new: Path, as_json: bool) -> None:
    """Copy everything readable of the store OLD into the new store NEW and report what was
    lost. OLD is only read, never modified; NEW must not exist.

    Tables are copied row range by row range; a range that meets a damaged page is split down
    to single rows, so only the rows on the damaged pages are lost. Runs that lost samples are
    marked incomplete (ingest their logs again to restore them).
    """
    from ..workspace.reliability import recover_store

    report = recover_store(old, new)
    if as_json:
        emit_json(report)
        return
    for name, t in report["tables"].items():
        if t["copied"] or t["lost"] or t["unreadable_rowids"]:
            expected = "? rows" if t["expected"] is None else plural(t["expected"], "row")
            lost = "unknown" if t["lost"] is None else t["lost"]
            click.echo(f"{name}: {t['copied']} of {expected} copied, lost {lost}")
    total = report["lost_total"]
    click.echo(
        f"recovered into {new}: "
        + (
            "nothing lost"
            if total == 0
            else f"{'an unknown number of rows' if total is None else plural(total, 'row')} lost"
        )  # fmt: skip
        + f"; {old} was not modified"
    )
    for note in report["notes"]:
        click.echo(f"note: {note}")


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
@friendly_errors
def backup(obj: Ctx, target: Path) -> None:
    """Copy the store to the new file TARGET with SQLite's online backup API: a consistent
    snapshot, safe while other capslice processes keep writing."""
    from ..workspace.reliability import backup_store

    done = backup_store(obj.store_path, target)
    click.echo(
        f"backed up {done['source']} to {done['target']} ({_size(done['bytes'])}; "
        f"integrity of the copy: {done['integrity']})"
    )
