"""``capslice export`` and ``capslice import``: move work between stores as files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..formatting import plural
from .render import emit_json
from .root import Ctx, friendly_errors, pass_ctx


@click.command("export")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--no-parquet", is_flag=True, help="Write the JSONL files only.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@pass_ctx
@friendly_errors
def export_cmd(obj: Ctx, folder: Path, no_parquet: bool, as_json: bool) -> None:
    """Export the store to FOLDER (new or empty): runs with their settings, samples, item
    scores, labels and their history, named slices, accepted discovery suggestions,
    interventions (decisions, linked runs, outcomes, plans) as JSONL and Parquet, with a
    manifest.json (capslice and schema version, rows and sha256 per file).

    Read as one snapshot: safe while others write. `capslice import FOLDER` loads it into
    another store.
    """
    manifest = obj.ws.export_to(
        folder,
        parquet=not no_parquet,
        progress=None if as_json else (lambda line: click.echo(f"  {line}", err=True)),
    )
    if as_json:
        emit_json(manifest)
        return
    tables = manifest["tables"]
    counts = ", ".join(f"{name} {t['rows']}" for name, t in tables.items() if t["rows"])
    click.echo(f"exported {obj.store_path} to {folder}: {counts or 'no rows'}")
    pq = manifest["parquet"]
    click.echo(
        "files: <table>.jsonl (read by import)"
        + (" and <table>.parquet" if pq["written"] else f"; no Parquet: {pq['reason']}")
        + f", manifest.json (schema version {manifest['schema_version']})"
    )
    for note in manifest["notes"]:
        click.echo(f"note: {note}")


def _change(side: dict[str, Any] | None) -> str:
    """An intervention's side of a conflict: its newest change and who made it when
    (``evaluate: verdict confirmed -> inconclusive by w2b at T``; walk 18 F3: it named the
    record's decider and its status)."""
    if not side or "change" not in side:
        return _side(side)
    return f"{side['change']} by {side['who']} at {side['at']}"


SETTLE = {
    "label": "set the label you want with `capslice label set`",
    "named_slice": "set the value you want with `capslice label set`",
    "intervention": "settle an intervention here with `capslice intervention reject ID` or "
    "`capslice intervention evaluate ID --record` (see `capslice intervention show ID`)",
}
"""The command that settles a conflict, per kind (walk 18 F3: an intervention's conflict
was told to use `label set`)."""


def _settle(conflicts: list[dict[str, Any]]) -> str:
    kinds = dict.fromkeys(c["kind"] for c in conflicts)
    ids = [str(c["id"]) for c in conflicts if c["kind"] == "intervention"]
    text = "; ".join(SETTLE.get(k, SETTLE["label"]) for k in kinds)
    return text.replace(" ID", f" {ids[0]}") if len(ids) == 1 else text


def _side(side: dict[str, Any] | None) -> str:
    if side is None:
        return "(none)"
    value = side.get("value", side.get("status", side.get("note")))
    note = f" note {side['note']!r}" if side.get("note") and "value" in side else ""
    who = side.get("who") or side.get("updated_by") or side.get("decided_by") or "?"
    return f"{value!r}{note} by {who} at {side.get('at') or side.get('updated_at')}"


@click.command("import")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_ctx
@friendly_errors
def import_cmd(obj: Ctx, folder: Path, as_json: bool) -> None:
    """Import an export FOLDER (from `capslice export`) into the store.

    The manifest is checked first (schema version, every file present, checksums). Rows already
    here are skipped, so importing twice changes nothing. Labels, named slices and interventions
    on both sides are merged through their history: the side that saw the other's value and
    changed it since wins; changed on both sides is a conflict, listed here, and the value in
    this store is kept. Exit status 2 when there are conflicts.
    """
    from ..workspace.interrupt import stop_signals

    # SIGTERM/SIGHUP stop it as Ctrl-C does: the batch being written rolls back and the
    # message says what was kept and how to finish (walk 18 F11: it said "Aborted!")
    with stop_signals():
        report = obj.ws.import_from(folder, progress=None if as_json else click.echo)
    if as_json:
        emit_json(report)
    else:
        if report["changed"] == 0:
            click.echo(
                f"nothing changed: everything in {folder} was already in {obj.store_path}"
                + (", except what conflicts (below)" if report["conflicts"] else "")
            )
        else:
            click.echo(
                f"imported {folder} into {obj.store_path}: {plural(report['changed'], 'row')} written"
            )
        for note in report["notes"][:20]:
            click.echo(f"note: {note}")
        for c in report["conflicts"]:
            if c["kind"] == "label":
                what = f"item {c['item_id']} {c['axis']} ({c['source']} label)"
            elif c["kind"] == "named_slice":
                what = f"named slice {c['name']!r}"
            else:
                what = f"intervention #{c['id']} {c['title']!r}"
            side = _change if c["kind"] == "intervention" else _side
            click.echo(
                f"conflict: {what}: here {side(c['here'])}, imported {side(c['imported'])};"
                " kept the value here",
                err=True,
            )
    if report["conflicts"]:
        click.echo(
            f"{plural(len(report['conflicts']), 'conflict')}: changed on both sides since the export;"
            f" nothing was overwritten ({_settle(report['conflicts'])})",
            err=True,
        )
        raise SystemExit(2)
