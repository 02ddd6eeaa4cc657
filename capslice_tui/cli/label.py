"""``capslice label``: hand labels with provenance, named slices, history and undo."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from ..formatting import plural, utc_minute
from .render import emit_json, emit_table, without_empty
from .root import Ctx, format_option, friendly_errors, parse_slice, pass_ctx

if TYPE_CHECKING:
    from ..workspace.results import LabelResult


def _ids(text: str, option: str) -> list[int]:
    try:
        return [int(p) for p in text.replace(" ", "").split(",") if p]
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a comma-separated list of ids", param_hint=option
        ) from None


def _done(result: Mapping[str, Any], fmt: str, what: str) -> None:
    if fmt == "json":
        emit_json(result)
        return
    extra = f"; slice version {result['version']}" if "version" in result else ""
    if not result["changed"]:
        held = f"the {plural(result['items'], 'item')} already hold that label"
        if result.get("note_changed"):
            click.echo(f"{what}: no label changed ({held}); the slice's note changed{extra}")
        else:
            click.echo(f"{what}: no change: {held}; nothing written{extra}")
        return
    click.echo(
        f"{what}: {plural(result['changed'], 'label')} changed on {plural(result['items'], 'item')} by"
        f" {result['who']} at {result['at']} (batch {result['batch']}{extra});"
        " undo with `capslice label undo`"
    )


@click.group()
def label() -> None:
    """Assign axis values by hand, name discovered slices, see history, undo.

    Every label keeps its source (rule, cluster, hand), who and when. The effective value of
    an axis is the hand label if any, else the cluster label, else the rule label.
    """


@label.command("set")
@click.option("--run", default=None, help="Run whose items --slice AXIS=VALUE selects.")
@click.option(
    "--slice",
    "slice_",
    multiple=True,
    metavar="NAME | AXIS=VALUE",
    help="A named slice, or (with --run) axis conditions selecting items.",
)
@click.option("--items", default=None, metavar="ID,ID", help="Item ids.")
@click.option("--samples", default=None, metavar="ID,ID", help="Sample ids (labels their items).")
@click.option(
    "--suggestion",
    type=int,
    default=None,
    help="A saved suggestion (labels with source 'cluster').",
)
@click.option("--axis", required=True, help="Axis to set.")
@click.option("--value", default=None, help="Value to set (omit with --clear).")
@click.option("--clear", is_flag=True, help="Remove this source's label on the axis.")
@click.option(
    "--expect-version",
    type=int,
    default=None,
    help="Named slices: fail with a conflict unless the slice is at this version.",
)
@click.option("--note", default=None, help="A note kept with the label.")
@click.option("--user", default=None, help="Who labels (default $USER).")
@format_option
@pass_ctx
@friendly_errors
def label_set(
    obj: Ctx,
    run: str | None,
    slice_: tuple[str, ...],
    items: str | None,
    samples: str | None,
    suggestion: int | None,
    axis: str,
    value: str | None,
    clear: bool,
    expect_version: int | None,
    note: str | None,
    user: str | None,
    fmt: str,
) -> None:
    """Set an axis value on a named slice, a slice of a run, a suggestion or single items."""
    if clear == (value is not None):
        raise click.UsageError("give exactly one of --value V or --clear")
    values = {axis: None if clear else value}
    named = [s for s in slice_ if "=" not in s]
    where = parse_slice(tuple(s for s in slice_ if "=" in s))
    targets = sum(bool(x) for x in (named, where, items, samples, suggestion is not None))
    if targets != 1:
        raise click.UsageError(
            "choose one target: --slice NAME, --run R --slice AXIS=VALUE..., --items, --samples"
            " or --suggestion"
        )
    ws = obj.ws
    if named:
        if len(named) > 1:
            raise click.UsageError("one named slice at a time")
        result: LabelResult = ws.label_slice(
            named[0], values, expected_version=expect_version, who=user, note=note
        )
        _done(result, fmt, f"slice {named[0]!r}")
    elif where:
        if not run:
            raise click.UsageError("--slice AXIS=VALUE needs --run")
        result = ws.label_where(run, where, values, who=user, note=note)
        _done(result, fmt, "slice " + ",".join(f"{a}={v}" for a, v in where.items()))
    elif items:
        _done(ws.label_items(_ids(items, "--items"), values, who=user, note=note), fmt, "items")
    elif samples:
        _done(
            ws.label_samples(_ids(samples, "--samples"), values, who=user, note=note),
            fmt,
            "items of samples",
        )
    else:
        assert suggestion is not None
        _done(
            ws.label_suggestion(suggestion, values, who=user, note=note),
            fmt,
            f"suggestion {suggestion} (source cluster)",
        )


@label.command("accept")
@click.argument("suggestion_id", type=int)
@click.option("--name", required=True, help="Name of the new slice.")
@click.option("--note", default=None, help="A note kept with the named slice.")
@click.option("--user", default=None, help="Who accepts (default $USER).")
@format_option
@pass_ctx
@friendly_errors
def label_accept(
    obj: Ctx, suggestion_id: int, name: str, note: str | None, user: str | None, fmt: str
) -> None:
    """Accept a saved suggestion (from `discover --save`) as a named slice."""
    created = obj.ws.accept_suggestion(suggestion_id, name, who=user, note=note)
    if fmt == "json":
        emit_json(created)
        return
    click.echo(
        f"slice {created['name']!r}: {plural(created['n_items'], 'item')}, version"
        f" {created['version']}, by {created['created_by']} at {created['created_at']}"
    )


@label.command("slices")
@format_option
@pass_ctx
@friendly_errors
def label_slices(obj: Ctx, fmt: str) -> None:
    """List named slices with their size, version and last editor."""
    data = obj.ws.named_slices()
    rows = [
        [
            s["name"],
            s["n_items"],
            s["version"],
            s["origin"] or "-",
            s["updated_by"],
            s["updated_at"],
            s["note"] or "",
        ]
        for s in data
    ]
    emit_table(
        ["name", "items", "version", "origin", "changed by", "at", "note"], rows, fmt, payload=data
    )


@label.command("history")
@click.option("--item", "item_id", type=int, default=None, help="Only this item's rows.")
@click.option("--batch", default=None, help="Only this action's rows.")
@click.option("--user", default=None, help="Only this annotator.")
@click.option("--actions", is_flag=True, help="One line per action instead of per label.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Show at most this many rows (actions with --actions).",
)
@format_option
@pass_ctx
@friendly_errors
def label_history(
    obj: Ctx,
    item_id: int | None,
    batch: str | None,
    user: str | None,
    actions: bool,
    limit: int,
    fmt: str,
) -> None:
    """Show label changes, newest first (old -> new value, note, source, who, when, batch)."""
    if actions:
        data = obj.ws.label_actions(who=user, limit=limit)
        rows: list[list[Any]] = [
            [
                a["batch"],
                a["at"],
                a["who"],
                a["action"],
                a["items"],
                a["axes"],
                a["values"] or "-",
                a.get("notes") or "",
                "undone" if a["undone"] else "",
            ]
            for a in data
        ]
        headers = ["batch", "at", "who", "action", "items", "axes", "values", "note", "state"]
        if fmt == "table":
            for r in rows:
                r[1] = utc_minute(r[1])
            headers, rows = without_empty(headers, rows, ("note", "state"))
        emit_table(
            headers,
            rows,
            fmt,
            payload=data,
            whole=("batch",),  # an id is typed into `label undo --batch`: never cut
            wrap=("axes", "values"),  # axis names and values wrap, never cut
            notes=["at: UTC"] if fmt == "table" and rows else (),
        )
        return
    history = obj.ws.label_history(item_id=item_id, batch=batch, who=user, limit=limit)
    rows = [
        [
            h["at"],
            h["who"],
            h["action"],
            h["item_id"],
            h["axis"],
            h["source"],
            h["old_value"] or "-",
            h["new_value"] or "-",
            h.get("new_note") or "",
            h["batch"],
        ]
        for h in history
    ]
    headers = ["at", "who", "action", "item", "axis", "source", "old", "new", "note", "batch"]
    if fmt == "table":
        for r in rows:
            r[0] = utc_minute(r[0])
        headers, rows = without_empty(headers, rows, ("note",))
    emit_table(
        headers,
        rows,
        fmt,
        payload=history,
        # an id is typed into `label undo --batch`: never cut, wrapped or left out
        # the value set stays whole too: the columns around it go first
        whole=("new", "batch"),
        keep=("new", "batch"),
        expendable=("old", "source", "who"),
        notes=["at: UTC"] if fmt == "table" and rows else (),
    )


@label.command("undo")
@click.option("--batch", default=None, help="The action to undo (default: your last one).")
@click.option("--user", default=None, help="Whose last action (default $USER).")
@click.option("--anyone", is_flag=True, help="Undo the newest action by anyone.")
@click.option("--force", is_flag=True, help="Undo even if the labels changed since.")
@format_option
@pass_ctx
@friendly_errors
def label_undo(
    obj: Ctx, batch: str | None, user: str | None, anyone: bool, force: bool, fmt: str
) -> None:
    """Undo the last labelling action (or --batch B), restoring the previous values."""
    ws = obj.ws
    who = None if (anyone or batch) else (user or ws.current_user())
    result = ws.undo_labels(batch, who=who, force=force)
    if fmt == "json":
        emit_json(result)
        return
    click.echo(
        f"undid {result['undid']}: {plural(result['restored'], 'label')} on "
        f"{plural(result['items'], 'item')} restored (batch {result['batch']})"
    )


SLICE_FIELD_WORDS = {
    "name": "name",
    "n_items": "items",
    "version": "version",
    "origin": "origin",
    "description": "description",
    "note": "note",
    "created_by": "created by",
    "created_at": "created at",
    "updated_by": "changed by",
    "updated_at": "changed at",
}
"""A named slice's record (``--format json`` keys) -> the words ``label show --slice`` prints,
as ``label slices`` heads them (``items``, ``changed by``)."""


@label.command("show")
@click.option("--item", "item_id", type=int, default=None, help="Item id.")
@click.option("--sample", "sample_id", type=int, default=None, help="Sample id (its item).")
@click.option("--slice", "slice_name", default=None, help="Named slice: its record and members.")
@format_option
@pass_ctx
@friendly_errors
def label_show(
    obj: Ctx, item_id: int | None, sample_id: int | None, slice_name: str | None, fmt: str
) -> None:
    """Every source's value per axis, the winner marked '*' (hand > cluster > rule)."""
    ws = obj.ws
    if sum(x is not None for x in (item_id, sample_id, slice_name)) != 1:
        raise click.UsageError("give one of --item, --sample or --slice")
    if slice_name is not None:
        data = ws.named_slice(slice_name)
        if fmt == "json":
            emit_json(data)
            return
        for key, word in SLICE_FIELD_WORDS.items():
            click.echo(f"{word:>12}: {data[key] if data[key] is not None else '-'}")  # type: ignore[literal-required]
        ids = data["item_ids"]
        click.echo(
            f"{'item ids':>12}: {', '.join(map(str, ids[:30]))}"
            + (f" ... (+{len(ids) - 30})" if len(ids) > 30 else "")
        )
        return
    if sample_id is not None:
        item_id = int(ws.sample(sample_id)["item_id"])
    assert item_id is not None
    shown = ws.label_show(item_id)
    rows = []
    for axis, entry in shown["axes"].items():
        if not entry["values"]:
            rows.append([axis, "-", "-", "-", "-", "-", ""])
        for r in entry["values"]:
            rows.append(
                [
                    axis,
                    ("* " if r["winner"] else "  ") + r["value"],
                    r["source"],
                    r["origin"] or "-",
                    r["who"],
                    r["at"],
                    r["note"] or "",
                ]
            )
    headers = ["axis", "value", "source", "origin", "who", "at", "note"]
    notes = ["* = effective value (hand > cluster > rule)"]
    if fmt == "table":
        headers, rows, notes = _narrow_item_table(headers, rows, notes)
    emit_table(headers, rows, fmt, title=f"labels of item {item_id}", notes=notes, payload=shown)


def _narrow_item_table(
    headers: list[str], rows: list[list[Any]], notes: list[str]
) -> tuple[list[str], list[list[Any]], list[str]]:
    """``label show --item``'s terminal table: times to the minute (UTC); an empty note column
    left out; when the rest is wider than the terminal, who and at left out (said in a note)
    before the values and origins are cut (``* competit…`` told nothing)."""
    from .render import table_width

    at = headers.index("at")
    for r in rows:
        r[at] = utc_minute(r[at]) if r[at] != "-" else "-"
    headers, rows = without_empty(headers, rows, ("note",))
    keep = list(range(len(headers)))

    def wide(cols: list[int]) -> int:
        return sum(max(len(str(x)) for x in [headers[i], *(r[i] for r in rows)]) for i in cols)

    notes = [*notes, "at: UTC"]
    if rows and wide(keep) + 2 * (len(keep) - 1) > table_width():
        keep = [i for i in keep if headers[i] not in ("who", "at")]
        notes = [
            *notes[:1],
            "who, at: left out to keep the values whole (--format md or json shows them)",
        ]
    return [headers[i] for i in keep], [[r[i] for i in keep] for r in rows], notes
