"""``capslice trend``: slice scores with 95% intervals over the training steps of several runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..formatting import AVERAGE_MEANING, pct, plural, visible
from ..vocabulary import MODE_MARKS
from .render import emit_table, table_width
from .root import (
    PER_ITEM_MEAN_NOTE,
    Ctx,
    _average_option,
    format_option,
    friendly_errors,
    interval_words,
    pass_ctx,
    per_item_mean,
)

if TYPE_CHECKING:
    from ..workspace.trend import ModeTrend


@click.command()
@click.option(
    "--runs",
    "runs_",
    required=True,
    metavar="R1,R2,...",
    help="Runs to line up (commas); ordered by their training step (ingest --step). One run: "
    "every run with a step of its model lineage (its checkpoints and runs continued from it) "
    "on the same benchmarks.",
)
@click.option(
    "--by",
    default="task",
    show_default=True,
    help="task, benchmark, an axis, or axes joined by commas (a combination).",
)
@click.option("--benchmark", default=None, help="Only this benchmark.")
@click.option(
    "--filter",
    "filter_name",
    default=None,
    help="Filter to use instead of each task's primary one.",
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

    names, picked = _runs(obj, runs_)
    if modes:
        if average != "micro":
            raise click.UsageError(
                "--average weighs scores; --modes counts samples (shares of samples): drop one"
            )
        _modes(obj, names, by, benchmark, filter_name, fmt, picked)
        return

    result = obj.ws.trend(
        names, by=by, benchmark=benchmark, filter_name=filter_name, average=average
    )
    headers = [*result.by, "step", "items", "score", "95% CI", "count", CHANGE_HEAD, "run"]
    k = len(result.by)
    rows = [[*r[: k + 1], *r[k + 2 :], r[k + 1]] for r in trend_rows(result)]
    points = [p for s in [*result.series, result.overall] for p in s.points if p is not None]
    notes = [
        f"interval (95%): {interval_words(result.intervals)}; {CHANGE_HEAD}: score minus "
        "the previous step's, in points (no test; `capslice compare` tests two runs)",
        f"ALL: {AVERAGE_MEANING[result.average]}",
        # ALL (micro) 43.1% beside 1093/5888 (18.6%): the count is of samples (as slices)
        *([PER_ITEM_MEAN_NOTE] if any(map(per_item_mean, points)) else []),
        *picked,
    ]
    if fmt == "table" and not fits(headers, rows, k, table_width()):
        # the run column repeats the step (the title names each step's run) and a run name is
        # never cut: in a narrow terminal it goes first, so the slice names keep their room
        headers, rows = headers[:-1], [r[:-1] for r in rows]
        notes.append(RUN_NOTE)
    notes += [f"warning: {w}" for w in result.warnings]
    steps = step_order(result.runs)
    emit_table(
        headers,
        rows,
        fmt,
        title=f"trend by {', '.join(result.by)}: {steps}",
        notes=notes,
        payload=result.to_dict(),
        expendable=("95% CI",),  # before the names are cut unreadably (as compare)
        keep=(CHANGE_HEAD,),
    )


CHANGE_HEAD = "vs prev"
"""The header of a trend's change column: the change from the previous step (the app's trend,
one row per slice, shows ``last-first`` instead, under that name)."""


def step_order(runs: Sequence[Any]) -> str:
    """The runs in step order, as the title gives them: ``a@1000 < b@2000``; runs of one
    step are joined by ``=`` (``a@1000 = b@1000``), not ordered by ``<`` they do not have
    (a warning says they are ordered by name)."""
    out = ""
    for prev, r in zip([None, *runs], runs, strict=False):
        if prev is not None:
            out += " = " if prev.step == r.step else " < "
        out += f"{r.name}@{r.step}"
    return out


def _runs(obj: Ctx, runs: str) -> tuple[list[str], list[str]]:
    """The runs ``--runs`` names and the note saying how they were picked: one run stands for
    its model lineage on its benchmarks (:meth:`TrendMixin.lineage_runs`), named in the note;
    several are taken as given (no note)."""
    names = [r.strip() for r in runs.split(",") if r.strip()]
    if len(names) != 1:
        return names, []
    picked = obj.ws.lineage_runs(names[0])
    if len(picked) < 2:
        raise ValueError(
            f"{names[0]}: {plural(len(picked), 'run')} with a step of its model lineage on its "
            f"benchmarks ({', '.join(picked) or 'none'}); a trend needs at least two "
            "(--runs R1,R2,...; `capslice ingest --step N` sets a run's step)"
        )
    return picked, [
        f"runs: every run with a step of {names[0]}'s model lineage on its benchmarks "
        f"({', '.join(picked)})"
    ]


RUN_NOTE = "run: left out at this width; the title names each step's run (run@step)"
"""The note of a narrow trend table without its run column."""

NAME_ROOM = 16
"""Characters a slice name keeps, at least, when :func:`fits` weighs a narrow table (the
name width below which the shared cutter makes task names unreadable)."""


def fits(headers: Sequence[str], rows: Sequence[Sequence[Any]], k: int, width: int) -> bool:
    """Whether a table fits ``width`` terminal columns with its first ``k`` (slice name)
    columns cut to no less than :data:`NAME_ROOM` characters (shorter names whole) and every
    other cell whole, at 2 characters of padding between columns."""
    cells = [[visible(str(c)) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    need = [min(w, max(NAME_ROOM, len(headers[i]))) if i < k else w for i, w in enumerate(widths)]
    return sum(need) + 2 * (len(headers) - 1) <= width


def _modes(
    obj: Ctx,
    runs: list[str],
    by: str,
    benchmark: str | None,
    filter_name: str | None,
    fmt: str,
    picked: list[str],
) -> None:
    """``capslice trend --modes``: one row per slice and step, a share per failure mode."""
    from ..workspace.trend import MIX_WIDTH, mix_legend, mode_rows

    result = obj.ws.trend_modes(runs, by=by, benchmark=benchmark, filter_name=filter_name)
    bar = fmt == "table"
    k = len(result.by)
    headers = [*result.by, "step", *(["mix"] if bar else []), "samples", *result.modes, "run"]
    rows = mode_rows(result, bar=bar)
    notes = [
        "each mode: share of the slice's scored samples (count/samples); every sample has one "
        "failure mode (`capslice samples --failure-mode` lists them)"
    ]
    if bar:
        notes.append(mix_legend(result.modes, MIX_WIDTH))  # beside full-name headers
    if bar and not fits(headers, rows, k, table_width()):
        headers, rows, narrow = narrow_modes(result, table_width())
        notes = narrow
    notes += picked
    if result.absent:
        notes.append(f"no sample of any run is {', '.join(result.absent)} (0%, not shown)")
    notes += [f"warning: {w}" for w in result.warnings]
    steps = step_order(result.runs)
    emit_table(
        headers,
        rows,
        fmt,
        title=f"failure modes by {', '.join(result.by)}: {steps}",
        notes=notes,
        payload=result.to_dict(),
        whole=["mix"],
    )


MODE_HEADS = MODE_MARKS
"""Short mode headers of a narrow ``trend --modes`` table: the samples table's markers
(:data:`~capslice_tui.vocabulary.MODE_MARKS`, one scheme; a note names each in full)."""


def moved(result: ModeTrend, mode: str) -> float:
    """How far ``mode``'s share moves over the trend's steps: its largest highest-minus-lowest
    share (0..1) over the slices and the ALL series."""
    spread = 0.0
    for s in [*result.series, result.overall]:
        shares = [p.share(mode) for p in s.points if p is not None and p.total]
        if shares:
            spread = max(spread, max(shares) - min(shares))
    return spread


def narrow_modes(result: ModeTrend, width: int) -> tuple[list[str], list[list[Any]], list[str]]:
    """``trend --modes`` for a terminal of ``width`` columns: headers, rows and notes.

    Shares only (``20.8%``; the counts are in ``--format md/json``) under short mode headers
    (:data:`MODE_HEADS`), no run column (the title names each step's run), the mix bar while
    it fits beside every mode; when even the shares do not fit, the modes whose share moved
    least over the steps (:func:`moved`) are left out first and named in a note, so the
    modes that change (the EOS story: extraction_failure, truncated, runaway) stay."""
    from ..formatting import mix_legend as marked_legend
    from ..workspace.trend import MIX_WIDTH, MODE_GLYPHS, mix_bar

    k = len(result.by)
    modes = list(result.modes)

    def table(with_bar: bool, shown: list[str]) -> tuple[list[str], list[list[Any]]]:
        heads = [*result.by, "step", *(["mix"] if with_bar else []), "samples"]
        heads += [MODE_HEADS.get(m, m) for m in shown]
        out = []
        for s in [*result.series, result.overall]:
            key = (
                ["ALL"] + [""] * (k - 1)
                if s is result.overall
                else [s.key.get(g, "") for g in result.by]
            )
            for run, p in zip(result.runs, s.points, strict=True):
                if p is None or not p.total:
                    picture = ["not in this run"] if with_bar else []
                    out.append([*key, run.step, *picture, 0, *["-"] * len(shown)])
                else:
                    picture = [mix_bar(p, result.modes)] if with_bar else []
                    out.append([*key, run.step, *picture, p.total,
                                *[pct(p.share(m)) for m in shown]])  # fmt: skip
        return heads, out

    left: list[str] = []
    heads, rows = table(True, modes)
    with_bar = fits(heads, rows, k, width)
    if not with_bar:
        heads, rows = table(False, modes)
        by_move = sorted(modes, key=lambda m: (moved(result, m), -modes.index(m)))
        while len(modes) > 1 and not fits(heads, rows, k, width):
            left.append(by_move.pop(0))
            modes = [m for m in modes if m not in left]
            heads, rows = table(False, modes)
    named = [f"{MODE_HEADS[m]} = {m}" for m in modes if MODE_HEADS.get(m, m) != m]
    notes = [
        "each mode: share of the slice's scored samples (the counts: --format md or json); "
        "every sample has one failure mode (`capslice samples --failure-mode` lists them)"
        + (f"; {', '.join(named)}" if named else ""),
    ]
    if with_bar:  # beside the headers' markers (wrong, fmt!, trunc): the same markers
        notes.append(marked_legend(MODE_GLYPHS, result.modes, cells=MIX_WIDTH))
    else:
        notes.append("mix bar: left out at this width (a wider terminal shows it)")
    if left:
        moves = ", ".join(f"{m} (moved at most {pct(moved(result, m))})" for m in left)
        notes.append(f"not shown at {width} columns, the modes that moved least: {moves}")
    notes.append(RUN_NOTE)
    return heads, rows, notes
