"""``capslice discover``: suggest slices nobody labelled (scikit-learn clustering)."""

from __future__ import annotations

import sys
from typing import Any

import click

from ..cli import Ctx, format_option, friendly_errors, parse_slice, pass_ctx
from ..render import count, emit_table, interval, pct, shorten

COMMANDS = ["discover"]


def suggestion_rows(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a discovery result for a text or Markdown table."""
    headers = [
        "id",
        "cluster",
        "samples",
        "items",
        "error",
        "95% CI",
        "vs run",
        "mode",
        "tasks",
        "top terms",
    ]
    rows = []
    for s in result["suggestions"]:
        err = s["error_rate"]
        diff = s["diff"]
        mode = s["dominant_failure_mode"] or "-"
        if s["failure_mode_share"] is not None:
            mode = f"{mode} {pct(s['failure_mode_share'], 0)}"
        tasks = ", ".join(f"{t} {n}" for t, n in list(s["groups"].items())[:2])
        rows.append(
            [
                s.get("id", "-"),
                s["name"],
                s["size"],
                s["n_items"],
                "-" if err is None else f"{pct(err)} ({count(s['n_errors'], s['size'])})",
                interval(s["ci_low"], s["ci_high"]),
                "-" if diff is None else f"{100 * diff:+.1f}",
                mode,
                shorten(tasks, 40),
                shorten(", ".join(s["top_terms"][:5]), 40),
            ]
        )
    return headers, rows


@click.command()
@click.option("--run", required=True, help="Run name.")
@click.option("--benchmark", default=None, help="Only this benchmark.")
@click.option("--slice", "slice_", multiple=True, metavar="AXIS=VALUE", help="Only this slice.")
@click.option("--failing-only", is_flag=True, help="Cluster only samples scored wrong.")
@click.option("--k", "k", default="auto", show_default=True, help="'auto' (silhouette) or N.")
@click.option(
    "--method", type=click.Choice(["kmeans", "hdbscan"]), default="kmeans", show_default=True
)
@click.option(
    "--error-aware",
    is_flag=True,
    help="Weigh correctness and failure mode into the features (Domino-like).",
)
@click.option("--random-state", type=int, default=0, show_default=True, help="Seed.")
@click.option(
    "--save",
    is_flag=True,
    help="Store the suggestions so `capslice label accept ID --name N` can name one.",
)
@click.option("--user", default=None, help="Who saves (default $USER).")
@format_option
@pass_ctx
@friendly_errors
def discover(
    obj: Ctx,
    run: str,
    benchmark: str | None,
    slice_: tuple[str, ...],
    failing_only: bool,
    k: str,
    method: str,
    error_aware: bool,
    random_state: int,
    save: bool,
    user: str | None,
    fmt: str,
) -> None:
    """Suggest coherent groups of samples: size, error rate, top terms, failure mode, labels.

    Empty and [invalid] responses form the fixed "no content" bucket; k is clamped to the
    number of distinct documents (the notes say so). Same --random-state, same result.
    """

    def progress(stage: str, frac: float) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{stage:<12} {100 * frac:3.0f}%", err=True, nl=False)

    result = obj.ws.discover(
        run,
        benchmark=benchmark,
        where=parse_slice(slice_) or None,
        failing_only=failing_only,
        k=k,
        method=method,
        error_aware=error_aware,
        random_state=random_state,
        save=save,
        who=user,
        progress=progress,
    )
    if sys.stderr.isatty():
        click.echo("\r" + " " * 20 + "\r", err=True, nl=False)
    data = result.to_dict()
    headers, rows = suggestion_rows(data)
    notes = [
        f"{data['n_samples']} samples, k={data['k']}; run error rate "
        f"{pct(data['run_error_rate'])}; 'vs run' = error rate minus the run's, in points",
        *data["notes"],
    ]
    if save:
        notes.append("saved: name one with `capslice label accept ID --name NAME`")
    emit_table(headers, rows, fmt, title=f"suggested slices of {run}", notes=notes, payload=data)
