"""``capslice discover``: suggest slices nobody labelled (error-aware slice discovery)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from ..formatting import count, interval, pct, plural, points, pvalue, shorten
from ..vocabulary import (
    FEW_ITEMS_NO_INTERVAL,
    QUESTION_WORD,
    QUESTION_WORD_NOTE,
    few_items_no_interval,
)
from .render import emit_table
from .root import Ctx, format_option, friendly_errors, parse_slice, pass_ctx, run_argument

if TYPE_CHECKING:
    from ..workspace.results import DiscoveryDict


def suggestion_rows(
    result: DiscoveryDict, *, whole: bool = False
) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of a discovery result for a text or Markdown table (``whole``: names,
    labels and terms uncut, for Markdown; a terminal table shortens them).

    ``vs rest``: the group's error rate minus that of the other samples searched, in points;
    ``in task``: the same within the group's tasks (Mantel-Haenszel), which ranks the groups;
    ``q``: the larger of its two Benjamini-Hochberg adjusted p-values (against the rest, and
    within its tasks), the one that decides whether it is significant; ``labels``: how it relates to existing
    labels (``restates task=x``, ``within task=x``, ``across 3 tasks``).
    """
    headers = [
        "id",
        "group",
        "samples",
        "error",
        "95% CI",
        "vs rest",
        "in task",
        "q",
        "labels",
        "terms",
    ]
    rows = []
    cut = (lambda text, _width: " ".join(str(text).split())) if whole else shorten
    for s in result["suggestions"]:
        err = s["error_rate"]
        diff = s.get("diff_rest")
        within = s.get("diff_within")
        qs = [x for x in (s.get("q_value"), s.get("q_within")) if x is not None]
        q = max(qs) if qs else None
        rows.append(
            [
                s.get("id", "-"),
                cut(s["name"], 24),
                s["size"],
                "-" if err is None else f"{pct(err)} ({count(s['n_errors'], s['size'])})",
                interval(s["ci_low"], s["ci_high"]),
                points(diff, ""),
                points(within, ""),
                "-" if q is None else pvalue(q) + ("" if s.get("significant") else " ns"),
                cut(s.get("novelty", {}).get("relation", "-"), 28),
                cut(", ".join(s["top_terms"][:5]), 40),
            ]
        )
    return headers, rows


@click.command()
@run_argument("Run name.")
@click.option("--benchmark", default=None, help="Only this benchmark.")
@click.option("--slice", "slice_", multiple=True, metavar="AXIS=VALUE", help="Only this slice.")
@click.option(
    "--failing-only",
    is_flag=True,
    help="Only samples scored wrong (no error contrast then: groups ranked by size).",
)
@click.option(
    "--k", "k", default="auto", show_default=True, help="Clusters: 'auto' (silhouette) or N."
)
@click.option(
    "--method",
    type=click.Choice(["kmeans", "hdbscan"]),
    default="kmeans",
    show_default=True,
    help="Clustering of the items: k-means (--k clusters) or HDBSCAN.",
)
@click.option(
    "--error-aware",
    is_flag=True,
    help="Also cluster on the generation's failure mode (truncated, runaway, empty,"
    " extraction failure), never on right/wrong; question-word and failure-mode groups are"
    " tested either way, and a group that is just the wrong samples is never shown.",
)
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Show groups that restate an existing label instead of folding them.",
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
    show_all: bool,
    save: bool,
    user: str | None,
    fmt: str,
) -> None:
    """Suggest slices: coherent groups whose error rate differs from the rest's.

    Over all samples of the run, items are represented by their question first (response
    second, numbers normalised away). Candidate groups -- k-means clusters, items sharing a
    question word, generation failure modes -- are tested against the rest (Fisher exact;
    item by item when items have several samples, groups of fewer than 10 items untested;
    Benjamini-Hochberg) and ranked by difference x size. Groups that restate an existing
    label (task, axis value, named slice; Jaccard >= 0.7) are marked and folded. --format json
    lists every group's doc ids and representative samples. Same --random-state, same result.
    """

    def progress(stage: str, frac: float) -> None:
        if sys.stderr.isatty():
            click.echo(f"\r{stage:<12} {pct(frac, 0):>4}", err=True, nl=False)

    result = obj.ws.discover(
        run,
        benchmark=benchmark,
        where=parse_slice(slice_) or None,
        failing_only=failing_only,
        k=k,
        method=method,
        error_aware=error_aware,
        random_state=random_state,
        show_all=show_all,
        save=save,
        who=user,
        progress=progress,
    )
    if sys.stderr.isatty():
        click.echo("\r" + " " * 20 + "\r", err=True, nl=False)
    data = result.to_dict()
    headers, rows = suggestion_rows(data, whole=fmt == "md")
    if rows and all(r[0] == "-" for r in rows):  # ids come with --save: no empty column
        headers, rows = headers[1:], [r[1:] for r in rows]
    # "no clear structure" and "no error contrast" are explained in the notes themselves
    structure = (
        [
            f"{data['n_significant']} of the {data['n_candidates']} candidate groups tested"
            " differ significantly from the rest and within their tasks ("
            + (data.get("tests") or "Fisher exact and Mantel-Haenszel tests")
            + ", Benjamini-Hochberg q < 0.05)"
            # the groups too small to test are counted apart (a note names them), so the two
            # counts add up: tested + untested = every candidate group
            + (
                f"; {data['n_untested']} more spanned too few items to test"
                if data.get("n_untested")
                else ""
            )
        ]
        if data["structure"] == "clear"
        else []
    )
    notes = [
        f"{plural(data['n_samples'], 'sample')}; run error rate {pct(data['run_error_rate'])};"
        f" {data['k_reason'] or 'k=' + str(data['k'])}",
        *structure,
        "'vs rest' = error rate minus that of the other samples, in points; 'in task' = the"
        " same within the group's tasks (Mantel-Haenszel), in points, which ranks the groups;"
        " q = the larger"
        " adjusted p-value of the two tests; 'ns' = not significant; --format json lists each group's doc ids and representative samples",
        *(n for n in data["notes"] if n != data["k_reason"]),
    ]
    for s in data["suggestions"][:3]:
        if s.get("over_represented"):
            notes.append(
                f"{s['name']}: over-represented "
                + ", ".join(
                    f"{o['label']} {pct(o['share'], 0)} (run {pct(o['run_share'], 0)})"
                    for o in s["over_represented"][:2]
                )
            )
    if any(
        few_items_no_interval(s["size"], s.get("n_items", s["size"])) for s in data["suggestions"]
    ):
        notes.append(f"95% CI '-': {FEW_ITEMS_NO_INTERVAL}")
    if any(
        t.startswith(QUESTION_WORD)
        for s in data["suggestions"]
        for t in [s["name"], *s["top_terms"][:5]]
    ):
        notes.append(QUESTION_WORD_NOTE)
    if save:
        notes.append("saved: name one with `capslice label accept ID --name NAME`")
    emit_table(headers, rows, fmt, title=f"suggested slices of {run}", notes=notes, payload=data)
