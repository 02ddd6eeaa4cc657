"""``capslice rescore``: re-apply the current answer extraction to stored generations."""

from __future__ import annotations

import click

from ..formatting import plural
from .render import emit_json, emit_table
from .root import Ctx, _progress, format_option, friendly_errors, pass_ctx, run_argument


@click.command()
@run_argument("Run to re-score.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@format_option
@pass_ctx
@friendly_errors
def rescore(obj: Ctx, run: str, dry_run: bool, fmt: str) -> None:
    """Re-score a run's stored responses with the current extraction rules (no model run).

    The lenient re-extraction, the failure modes and, for samples capslice scored itself,
    the score are recomputed; the harness's official score is never changed. Slice counts are
    rebuilt. Each item's current output_constraint label is used: after editing the taxonomy,
    run `capslice taxonomy apply` first.
    """
    progress_cb, done = _progress("rescore")
    try:
        report = obj.ws.rescore(
            run,
            dry_run=dry_run,
            progress=(lambda n, _total: progress_cb(n)) if progress_cb else None,
        )
    finally:
        done()
    if fmt == "json":
        emit_json(report.to_dict())
        return
    notes = [report.lenient_line()]
    if report.n_capslice_scored:
        notes.append(
            f"scores changed: {report.score_changed} of the {plural(report.n_capslice_scored, 'sample')} "
            "capslice scored itself\n(official scores are never changed)"
        )
    else:
        notes.append("every sample carries the harness's official score: scores unchanged")
    if report.n_kept_cut:
        notes.append(
            f"{plural(report.n_kept_cut, 'sample')} kept as they were: their response was stored cut "
            "at ingest,\nso its final answer may be missing"
        )
    for label, ids in report.examples.items():
        notes.append(f"e.g. {label}: capslice sample {' / '.join(str(i) for i in ids)}")
    if dry_run and report.n_changed:
        notes.append("dry run: nothing was written")
    if fmt == "md":
        rows = [[n, old, new] for old, new, n in _ordered(report.transitions)]
        emit_table(
            ["samples", "failure mode before", "after"],
            rows,
            fmt,
            title=report.summary(),
            notes=notes,
        )
        return
    for line in [*_wrap(report.summary()), *notes]:
        click.echo(line)


def _wrap(summary: str, width: int = 80) -> list[str]:
    """The summary on lines of at most ``width`` characters, broken after a comma or colon so
    that no ``old -> new`` pair is split."""
    lines = [""]
    for part in summary.replace(": ", ":\n").replace(", ", ",\n").split("\n"):
        if lines[-1] and len(lines[-1]) + 1 + len(part) > width:
            lines.append("  " + part)
        else:
            lines[-1] = f"{lines[-1]} {part}" if lines[-1] else part
    return lines


def _ordered(transitions: dict[tuple[str, str], int]) -> list[tuple[str, str, int]]:
    """Mode changes as ``(before, after, samples)``, most frequent first."""
    return sorted(((o, n, k) for (o, n), k in transitions.items()), key=lambda t: (-t[2], t[:2]))
