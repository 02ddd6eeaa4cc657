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
@click.option(
    "--modes",
    is_flag=True,
    help="Show the failure-mode mix of each slice per step (shares of scored samples with "
    "their counts, and a stacked bar) instead of the scores.",
)
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
    modes: bool,
    fmt: str,
) -> None:
    """Slice scores over checkpoints: for each slice, each run's score with its 95% interval
    and counts, runs ordered by training step, and the change from the previous step.

    Change is a difference of two point estimates, not a test; `capslice compare` tests a
    pair of runs.

    With --modes: each slice's failure-mode mix per step instead (correct, wrong_answer,
    extraction_failure, truncated, runaway, empty), each a share of the scored samples with
    the count that gives it, and in table form a stacked bar per step with one legend line.
    """
    from ..workspace.trend import trend_rows

    if modes:
        if average != "micro":
            raise click.UsageError(
                "--average weighs scores; --modes counts samples (shares of samples): drop one"
            )
        _modes(obj, runs_.split(","), by, benchmark, filter_name, fmt)
        return

    result = obj.ws.trend(
        runs_.split(","), by=by, benchmark=benchmark, filter_name=filter_name, average=average
    )
    # the run last: a run name is never cut (it is typed into other commands), so in a
    # narrow terminal it is the column left out (the title names every step's run)
    headers = [*result.by, "step", "items", "score", "95% CI", "count", "change", "run"]
    k = len(result.by)
    notes = [
        f"interval: {', '.join(result.intervals) or '-'} (95%); change: score minus the "
        "previous step's, in points (no test; `capslice compare` tests two runs)",
        f"ALL: {AVERAGE_MEANING[result.average]}",
    ]
    notes += [f"warning: {w}" for w in result.warnings]
    steps = " < ".join(f"{r.name}@{r.step}" for r in result.runs)
    emit_table(
        headers,
        [[*r[: k + 1], *r[k + 2 :], r[k + 1]] for r in trend_rows(result)],
        fmt,
        title=f"trend by {', '.join(result.by)}: {steps}",
        notes=notes,
        payload=result.to_dict(),
    )


def _modes(
    obj: Ctx, runs: list[str], by: str, benchmark: str | None, filter_name: str | None, fmt: str
) -> None:
    """``capslice trend --modes``: one row per slice and step, a share per failure mode."""
    from ..workspace.trend import MIX_WIDTH, mix_legend, mode_rows

    result = obj.ws.trend_modes(runs, by=by, benchmark=benchmark, filter_name=filter_name)
    bar = fmt == "table"
    headers = [*result.by, "step", *(["mix"] if bar else []), "samples", *result.modes, "run"]
    notes = [
        "each mode: share of the slice's scored samples (count/samples); every sample has one "
        "failure mode (`capslice samples --failure-mode` lists them)"
    ]
    if bar:
        notes.append(mix_legend(result.modes, MIX_WIDTH))
    if result.absent:
        notes.append(f"no sample of any run is {', '.join(result.absent)} (0%, not shown)")
    notes += [f"warning: {w}" for w in result.warnings]
    steps = " < ".join(f"{r.name}@{r.step}" for r in result.runs)
    emit_table(
        headers,
        mode_rows(result, bar=bar),
        fmt,
        title=f"failure modes by {', '.join(result.by)}: {steps}",
        notes=notes,
        payload=result.to_dict(),
        whole=["mix"],
    )
