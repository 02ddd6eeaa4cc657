"""``capslice trend``: slice scores with 95% intervals over the training steps of several runs."""

from __future__ import annotations

import click

from ..formatting import AVERAGE_MEANING
from .render import emit_table
from .root import Ctx, _average_option, format_option, friendly_errors, pass_ctx


@click.command()
@click.option(
    "--runs",
    "runs_",
    required=True,
    metavar="R1,R2,...",
    help="Runs to line up (commas); ordered by their training step (ingest --step).",
)
@click.option(
    "--by",
    default="task",
    show_default=True,
    help="task, benchmark, an axis, or axes joined by commas (a combination).",
)
@click.option("--benchmark", default=None, help="Only this benchmark.")
@click.option(
    "--filter", "filter_name", default=None, help="Filter to use instead of each task's primary."
)
@_average_option
@format_option
@pass_ctx
@friendly_errors
def trend(
    obj: Ctx,
    runs_: str,
    by: str,
    benchmark: str | None,
    filter_name: str | None,
    average: str,
    fmt: str,
) -> None:
    """Slice scores over checkpoints: for each slice, each run's score with its 95% interval
    and counts, runs ordered by training step, and the change from the previous step.

    Change is a difference of two point estimates, not a test; `capslice compare` tests a
    pair of runs.
    """
    from ..workspace.trend import trend_rows

    result = obj.ws.trend(
        runs_.split(","), by=by, benchmark=benchmark, filter_name=filter_name, average=average
    )
    headers = [*result.by, "step", "run", "items", "score", "95% CI", "count", "change"]
    notes = [
        f"interval: {', '.join(result.intervals) or '-'} (95%); change: score minus the "
        "previous step's, in points (no test; `capslice compare` tests two runs)",
        f"ALL: {AVERAGE_MEANING[result.average]}",
    ]
    notes += [f"warning: {w}" for w in result.warnings]
    steps = " < ".join(f"{r.name}@{r.step}" for r in result.runs)
    emit_table(
        headers,
        trend_rows(result),
        fmt,
        title=f"trend by {', '.join(result.by)}: {steps}",
        notes=notes,
        payload=result.to_dict(),
    )
