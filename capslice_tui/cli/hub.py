"""``capslice hub init|add|list``, ``push`` and ``pull``: share runs, labels, slices and
interventions through a team hub on PostgreSQL (see ``capslice_tui.hub``)."""

from __future__ import annotations

from typing import Any

import click

from ..formatting import plural
from .render import emit_json, emit_table
from .root import Ctx, format_option, friendly_errors, pass_ctx

_PASSWORD_NOTE = (
    "the password in the URL was not stored; give it through PGPASSWORD, ~/.pgpass or a"
    " service file (pg_service.conf)"
)


def _progress(message: str) -> None:
    click.echo(message, err=True)


def _emit_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json({k: v for k, v in report.items() if k != "lines"})
        return
    for line in report["lines"]:
        click.echo(line)


@click.group()
def hub() -> None:
    """Set up and list team hubs: PostgreSQL databases that nodes push runs, labels, slices
    and interventions to and pull them from (like git remotes).

    Passwords come only from libpq's places (PGPASSWORD, ~/.pgpass, a service file); a URL
    given with a password is stored without it. sslmode and other URL parameters are kept.
    """


@hub.command("init")
@click.argument("url")
@friendly_errors
def hub_init(url: str) -> None:
    """Create (or migrate) the hub schema at URL, e.g. postgresql://host/db?sslmode=require.

    Run it once as a role that may create tables (and roles, unless a DBA made them). It
    creates the roles capslice_reader (read), capslice_writer (push) and capslice_lead (also
    accept or reject interventions), enforced by GRANTs.
    """
    from ..hub.schema import DBA_NOTE
    from ..hub.sync import init_hub, strip_password

    clean, had = strip_password(url)
    if had:
        click.echo(f"warning: {_PASSWORD_NOTE}", err=True)
    result = init_hub(clean)
    applied = ", ".join(result["applied"]) or "none (the hub was current)"
    click.echo(f"hub at {clean}: migrations applied: {applied}; as role {result['role']}")
    click.echo(f"roles present: {', '.join(result['roles'])}")
    click.echo(DBA_NOTE)


@hub.command("add")
@click.argument("name")
@click.argument("url")
@pass_ctx
@friendly_errors
def hub_add(obj: Ctx, name: str, url: str) -> None:
    """Record hub NAME at URL in this store (a libpq URL, e.g. postgresql://host/db).

    A password in URL is stripped with a warning: it is never written to the store.
    """
    added = obj.ws.hub_add(name, url)
    if added["password_stripped"]:
        click.echo(f"warning: {_PASSWORD_NOTE}", err=True)
    click.echo(f"hub {name} {'now at' if added['replaced'] else 'added:'} {added['url']}")


@hub.command("list")
@format_option
@pass_ctx
@friendly_errors
def hub_list(obj: Ctx, fmt: str) -> None:
    """List this store's hubs with their URL (never a password) and last push and pull."""
    rows = obj.ws.hubs()
    emit_table(
        ["hub", "url", "last push", "last pull", "added by"],
        [[r["name"], r["url"], r["last_push"] or "-", r["last_pull"] or "-", r["added_by"]]
         for r in rows],
        fmt,
        payload=rows,
    )  # fmt: skip


_hub_option = click.option(
    "--hub", "hub_name", default=None, help="Hub NAME (default: the only one)."
)
_run_option = click.option("--run", "runs", multiple=True, help="Only this run (repeatable).")
_json_option = click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")


@click.command()
@_hub_option
@_run_option
@click.option("--with-text", is_flag=True, help="Also send responses and prompts (as capped here).")
@click.option("--ours", is_flag=True, help="On a conflict, replace the hub's version with yours.")
@_json_option
@pass_ctx
@friendly_errors
def push(
    obj: Ctx, hub_name: str | None, runs: tuple[str, ...], with_text: bool, ours: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Send runs (evaluation settings and per-sample outcomes), labels with their history,
    named slices and interventions with their decisions to a hub. Only what changed since the
    last sync is sent; a push that stopped half-way completes when run again. A label, slice
    or intervention changed on both sides is reported, not overwritten (--ours sends yours).
    """
    report = obj.ws.hub_push(
        hub_name, runs=runs or None, with_text=with_text, ours=ours,
        progress=None if as_json else _progress,
    )  # fmt: skip
    _emit_report(report, as_json)


@click.command()
@_hub_option
@_run_option
@click.option("--theirs", is_flag=True, help="On a conflict, take the hub's version over yours.")
@_json_option
@pass_ctx
@friendly_errors
def pull(
    obj: Ctx, hub_name: str | None, runs: tuple[str, ...], theirs: bool, as_json: bool
) -> None:
    """Bring runs, labels, slices and interventions that changed on a hub since the last pull
    into this store. Pulled runs work with slices, compare and diagnose as local ones; labels
    and decisions carry the database role that pushed them. Conflicts are reported and kept
    as they are here (--theirs takes the hub's).
    """
    report = obj.ws.hub_pull(
        hub_name, runs=runs or None, theirs=theirs, progress=None if as_json else _progress
    )
    _emit_report(report, as_json)


def hub_runs_table(obj: Ctx, hub_name: str, fmt: str) -> None:
    """``capslice runs --hub NAME``: the hub's runs, who pushed each and whether it is here."""
    rows = obj.ws.hub_runs(hub_name)
    notes = [
        f"{r['name']}: push under way or interrupted ({plural(r['on_hub'], 'sample')} so far)"
        for r in rows
        if not r["complete"]
    ]
    emit_table(
        ["run", "model", "step", "samples", "status", "pushed by", "pushed at", "here"],
        [[r["name"], r["model"] or "-", r["step"] if r["step"] is not None else "-",
          r["on_hub"], r["status"], r["pushed_by"], r["pushed_at"], r["here"]] for r in rows],
        fmt,
        notes=notes,
        payload=rows,
    )  # fmt: skip
