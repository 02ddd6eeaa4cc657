"""``capslice compare``, ``capslice diagnose`` and ``capslice report``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import click

from ..formatting import (
    bound_notes,
    count,
    interval,
    pct,
    pct_cell,
    pct_count,
    plural,
    points,
    row_p_adj,
    run_pair,
    score_counts,
)
from ..report import (
    FAIL_ON_CODES,
    change_points,
    combination_score,
    comparison_sig,
    diagnosis_next,
    evaluation_lines,
    evidence_line,
    gate_status,
    no_slice_text,
    overall_note,
    p_text,
    shift_label,
    slice_heading,
    verdict_reason,
)
from .render import dropped_columns, echo_next, emit_json, emit_table, table_width
from .root import Ctx, format_option, friendly_errors, pass_ctx

if TYPE_CHECKING:
    from ..workspace.results import (
        CompareSide,
        ComparisonDict,
        DiagnosisDict,
        DiagnosisSlice,
    )


def _side(s: CompareSide) -> str:
    return pct_count(s["score"], s["correct"], s["n"])


def _mdd(mdd: float | None) -> str:
    """Minimum detectable difference in points (what a slice this size could have shown)."""
    if mdd is None or mdd != mdd:
        return "-"
    return "n<" if mdd == float("inf") else points(mdd, "", signed=False)


def comparison_table(
    cmp: ComparisonDict, compact: bool = False
) -> tuple[list[str], list[list[Any]], list[str]]:
    """Headers, rows and notes of a comparison for a text or Markdown table. ``compact``: the
    base and cand cells as a narrow table shows them (:func:`_short_side`)."""
    side = _short_side if compact else _side
    headers = [
        *cmp["by"],
        "items",
        "base",
        "cand",
        "diff",
        "95% CI",
        "p",
        "p adj",
        "sig",
        "MDD",
        "note",
    ]
    rows = []
    for r in [*cmp["rows"], cmp["overall"]]:
        key = (
            list(r["slice"].values())
            if r is not cmp["overall"]
            else ["ALL"] + [""] * (len(cmp["by"]) - 1)
        )
        rows.append(
            [
                *key,
                r["n_items"],
                side(r["base"]),
                side(r["cand"]),
                points(r["diff"], ""),
                interval(r["diff_low"], r["diff_high"]),
                p_text(r["p_value"], r.get("n_boot")),
                row_p_adj(r),
                comparison_sig(r, cmp),
                _mdd(r["mdd"]),
                r["warning"] or "",
            ]
        )
    # the runs evaluated differently: said first, before the legend
    warning = cmp.get("evaluation_warning")
    notes = [
        *([warning] if warning else []),
        f"{plural(cmp['n_tested'], 'slice')} tested; Benjamini-Hochberg at q={cmp['q']}; "
        "worse*/better* = significant after correction; diff in points (cand - base); MDD = "
        "smallest difference this slice could detect, in points (alpha 0.05, power 0.8; n<: "
        "too few items for any difference at the observed discordance)",
        *(n for n in cmp["notes"] if n != warning),
    ]
    overall = overall_note(cmp)
    if overall:
        notes.insert(2 if warning else 1, overall)
    notes += bound_notes(cmp["rows"])
    shown: list[Any] = [cmp["overall"], *cmp["rows"]]  # the ALL row first
    means = [_short_side(r[s]) for r in shown for s in SIDES if _short_side(r[s]).endswith(" mean")]
    if compact and means:
        k = cmp.get("k")
        # quote a cell the table shows (the ALL row's first), never a fixed example
        note = SHORT_MEAN_NOTE.replace("43.1% mean", means[0])
        notes.append(note.replace("accuracies", f"pass@{k} estimates") if k else note)
    return headers, rows, notes


SIDES = ("base", "cand")
SHORT_MEAN_NOTE = (
    "base/cand '43.1% mean': mean of the per-item accuracies (items have several samples); "
    "the sample counts, a different ratio, are in --format md or json"
)
"""The note under a table whose score cells are :func:`_short_side`'s ``... mean``; its
``43.1% mean`` is replaced by a mean cell the table shows (the ALL row's)."""


def _short_side(s: CompareSide) -> str:
    """A score cell for a table short of room: ``64.5% 330/512`` when the score is that
    ratio, ``26.1% mean`` when it is a mean of per-item accuracies (the sample count,
    another ratio, is left to :data:`SHORT_MEAN_NOTE`); ``-`` without a score (no item
    eligible for pass@k)."""
    score = s["score"]
    if score is None or score != score:
        return "-"
    return pct_cell(score, s["correct"], s["n"])


NARROW_WIDTH = 100
"""Below this many terminal columns ``compare`` prints :func:`narrow_comparison_table`."""


COMPARE_KEEP = ("diff", "sig")
"""Columns a compare table never leaves out in a narrow terminal: the difference is what a
comparison is read for, the marker says whether it is significant."""


def fitted_comparison(
    cmp: ComparisonDict, width: int
) -> tuple[list[str], list[list[Any]], list[str]]:
    """The first form of the comparison that shows every column at ``width`` terminal
    columns: the full table (from :data:`NARROW_WIDTH` up), the full table with short score
    cells (:func:`_short_side`), else :func:`narrow_comparison_table`, which the table
    fits further by leaving out its 95% CI (never sig). Short score cells come before any
    left-out column: base, cand, diff and sig are what a comparison is read for."""
    tables = [comparison_table(cmp), comparison_table(cmp, compact=True)]
    for headers, rows, notes in tables if width >= NARROW_WIDTH else []:
        if not dropped_columns(headers, rows, width, expendable=("95% CI",), keep=COMPARE_KEEP):
            return headers, rows, notes
    return narrow_comparison_table(cmp)


def narrow_comparison_table(cmp: ComparisonDict) -> tuple[list[str], list[list[Any]], list[str]]:
    """The comparison in 80 columns: slice, base and cand (score and count), the difference with
    its interval, adjusted p and the significance marker; the rest is named in a note."""
    headers = [*cmp["by"], "base", "cand", "diff", "95% CI", "p adj", "sig"]
    rows = []
    for r in [*cmp["rows"], cmp["overall"]]:
        key = (
            list(r["slice"].values())
            if r is not cmp["overall"]
            else ["ALL"] + [""] * (len(cmp["by"]) - 1)
        )
        rows.append([
            *key,
            _short_side(r["base"]),
            _short_side(r["cand"]),
            points(r["diff"], ""),
            interval(r["diff_low"], r["diff_high"]),
            row_p_adj(r),
            comparison_sig(r, cmp),
        ])  # fmt: skip
    _, _, notes = comparison_table(cmp, compact=True)
    notes.insert(
        1, "narrow terminal: items, raw p, MDD and per-slice notes left out (--format md/json)"
    )
    return headers, rows, notes


@click.command()
@click.argument("base")
@click.argument("cand")
@click.option("--benchmark", default=None, help="Only this benchmark's items.")
@click.option("--by", default="task", show_default=True, help="task, benchmark, axis or axis,axis.")
@click.option(
    "--k",
    type=click.IntRange(min=1),
    default=None,
    help="Compare pass@k instead of accuracy (multi-sample runs).",
)
@click.option(
    "--allow-mismatch",
    is_flag=True,
    help="Compare runs that differ in filter, samples or temperature.",
)
@click.option(
    "--filter",
    "filter_name",
    default=None,
    help="Read both runs on this answer filter instead of each task's primary one.",
)
@format_option
@pass_ctx
@friendly_errors
def compare(
    obj: Ctx,
    base: str,
    cand: str,
    benchmark: str | None,
    by: str,
    k: int | None,
    allow_mismatch: bool,
    filter_name: str | None,
    fmt: str,
) -> None:
    """Compare CAND against BASE slice by slice with paired tests (McNemar or bootstrap)."""
    label = obj.ws.filter_pair_label(base, cand, filter_name, benchmark=benchmark)
    cmp = obj.ws.compare(
        base, cand, benchmark=benchmark, by=by, k=k, allow_mismatch=allow_mismatch,
        filter_name=filter_name,
    ).to_dict()  # fmt: skip
    if k is not None and not cmp["overall"]["n_items"]:  # a table of '-' says nothing
        raise ValueError(
            f"--k {k}: no item has {k} samples in both {base} and {cand}; pass@k needs at "
            "least k samples per item (capslice slices --run RUN shows each run's pass@k curve)"
        )
    headers, rows, notes = (
        fitted_comparison(cmp, table_width()) if fmt == "table" else comparison_table(cmp)
    )
    if cmp.get("pair_warning"):  # the same run twice, or different models: said first
        notes = [f"warning: {cmp['pair_warning']}", *notes]
    title = f"{run_pair(base, cand)} · {label}"
    emit_table(
        headers, rows, fmt, title=title, notes=notes, payload={**cmp, "filter": label},
        expendable=("95% CI",), keep=COMPARE_KEEP,
    )  # fmt: skip


def slice_line(diag: DiagnosisDict, s: DiagnosisSlice) -> str:
    """One significant slice, with per-item and per-sample figures labelled."""
    if "diff" in s:  # paired test of the change (change mode, or weakness against a reference)
        who = "cand" if diag["mode"] == "change" else diag["base"]
        same = f"; same items as {'; '.join(s['aliases'])}" if s.get("aliases") else ""
        return (
            f"{s['label']}: {pct(s['base_score'])} -> {who} {pct(s['score'])} "
            f"({points(s['diff'], ' points')}, {s['n_items']} items), p {p_text(s['p_value'], s.get('n_boot'))}, "
            f"p adj {row_p_adj(s)}; wrong answers {pct(s['wrong_answer_share'])} of "
            f"the items that moved{same}"
        )
    if diag["mode"] == "change":
        base = f"base {pct(s['base_score'])} -> " if "base_score" in s else ""
        lost = s.get("regressed_items")
        lost_txt = (
            f", lost (right->wrong) {lost:g}/{s['n_items']} items" if lost is not None else ""
        )
        return (
            f"{s['label']}: {base}cand "
            f"{score_counts(s['score'], s['correct'], s['n_samples'], s['n_items'])}{lost_txt}, p adj {row_p_adj(s)}, wrong answers "
            f"{pct(s['wrong_answer_share'])} of lost items"
        )
    return (
        f"{s['label']}: {s['n_items']} items, mean per-item accuracy {pct(s['score'])}; "
        f"{count(s['correct'], s['n_samples'])} samples correct; p adj {row_p_adj(s)}; "
        f"wrong answers {pct(s['wrong_answer_share'])} of failing items"
    )


def print_diagnosis(diag: DiagnosisDict, step: Mapping[str, str] | None = None) -> None:
    """Plain-text view of a diagnosis for the terminal (prose wrapped at the width), ending
    with the loop's ``next:`` step when there is one (:func:`report.diagnosis_next`)."""
    from ..report import bar
    from .render import echo_prose

    if diag["cand"]:
        who = run_pair(diag["base"], diag["cand"])
    elif diag.get("reference"):  # weakness mode, each slice paired by item with the reference
        who = f"{diag['base']} (weakness against reference {diag['reference']}, paired by item)"
    else:  # weakness mode: each slice against the run's own average
        who = f"{diag['base']} (weakness against its own average)"
    echo_prose(  # wrapped: a weakness heading is wider than 80 columns (walk 9)
        f"VERDICT: {diag['verdict'].upper()}{verdict_reason(diag)}   [{who}"
        + (f", {diag['benchmark']}]" if diag["benchmark"] else "]"),
        indent="  ",
    )
    echo_prose(diag["summary"])
    incomplete = diag.get("incomplete") or []
    for note in incomplete:  # beside the verdict: it covers what is stored (walk 18 F1)
        echo_prose(f"warning: {note}")
    if diag.get("pair_warning"):
        echo_prose(f"warning: {diag['pair_warning']}")
    for cause in diag["causes"]:
        echo_prose(f"  cause: {cause}", indent="         ")
    if evaluation_lines(diag):
        click.echo("\nEvaluation of the shared items:")
        for line in evaluation_lines(diag):
            echo_prose(f"  - {line}")
    click.echo("\nEvidence:")
    for e in diag["evidence"]:
        echo_prose(f"  - {evidence_line(e)}")
    click.echo("\nFailure modes (samples):")
    runs = list(diag["failure_modes"])
    # each column is as wide as its run name (long names never run into each other)
    widths = [max(len(r), 8) for r in runs]
    click.echo(
        "  " + f"{'mode':<20}" + "".join(f"  {r:>{w}}" for r, w in zip(runs, widths, strict=True))
    )
    for m in next(iter(diag["failure_modes"].values())):
        cells = (f"  {diag['failure_modes'][r][m]:>{w}}" for r, w in zip(runs, widths, strict=True))
        click.echo("  " + f"{m:<20}" + "".join(cells))
    if diag["failure_mode_shift"]:
        click.echo("\nChange by failure mode (points of accuracy; correct = the net change):")
        scale = max(abs(r["contribution"]) for r in diag["failure_mode_shift"]) or 1
        for r in diag["failure_mode_shift"]:
            mode = shift_label(r["mode"])
            change = change_points(r["contribution"], "")
            click.echo(f"  {mode:<20}{change:>7}  {bar(r['contribution'], scale)}")
    # an empty list is one sentence, not a heading over nothing (nor "none of the 0 slices")
    echo_prose("\n" + (f"{slice_heading(diag)}:" if diag["slices"] else no_slice_text(diag)))
    for s in diag["slices"]:
        echo_prose(f"  - {slice_line(diag, s)}")
        for c in s["combinations"][:3]:  # counted on this slice's items only
            echo_prose(
                f"      within it: {c['task_type']} x {c['solving_operation']}: "
                + combination_score(diag, c)
            )
    for n in [*diag.get("notes", []), *bound_notes(diag["slices"])]:
        if n not in incomplete:
            echo_prose(f"note: {n}", indent="  ")
    if step:  # the loop's next step, last (walk 9 #1)
        echo_next(step["why"], step.get("command"))


SAME_LINEAGE_HELP = (
    "Read the two runs (or the run and --reference) as checkpoints of one training lineage "
    "although their model names or sizes differ or one names a verifier or reranker (the "
    "verdict says it assumed so); without it such a pair gets no data verdict."
)
FAIL_ON_HELP = (
    "CI gate: exit with a distinct code when the condition holds: "
    + ", ".join(f"{c} -> {code}" for c, code in FAIL_ON_CODES.items())
    + " (regression = a significant drop, overall paired test p < 0.05; not_data/data = that "
    "verdict). 0 when it does not hold; 1 for errors, 2 for usage errors."
)


@click.command()
@click.argument("base")
@click.argument("cand", required=False)
@click.option("--benchmark", default=None, help="Benchmark to diagnose (recommended).")
@click.option(
    "--reference",
    default=None,
    help="Weakness mode: test each slice against this run, paired by item, instead of the "
    "run's own average.",
)
@click.option(
    "--same-evaluation",
    is_flag=True,
    help="Read the change as content even though the two runs' prompts, few-shot, decoding "
    "or scoring differ (the verdict says it assumed so).",
)
@click.option("--allow-mismatch", is_flag=True, help="Same as --same-evaluation.")
@click.option("--same-lineage", is_flag=True, help=SAME_LINEAGE_HELP)
@click.option("--fail-on", type=click.Choice(list(FAIL_ON_CODES)), default=None, help=FAIL_ON_HELP)
@click.option(
    "--filter",
    "filter_name",
    default=None,
    help="Read the runs on this answer filter instead of each task's primary one.",
)
@format_option
@pass_ctx
@friendly_errors
def diagnose(
    obj: Ctx,
    base: str,
    cand: str | None,
    benchmark: str | None,
    reference: str | None,
    same_evaluation: bool,
    allow_mismatch: bool,
    same_lineage: bool,
    fail_on: str | None,
    filter_name: str | None,
    fmt: str,
) -> None:
    """Verdict for a change (BASE CAND) or a weakness (RUN alone): data, not_data or inconclusive.

    First compares how the two runs evaluated their shared items (prompts, few-shot count,
    prompting, decoding, filter, scorer): a difference gives not_data (evaluation changed)
    unless --same-evaluation. Two runs whose records say they are not checkpoints of one
    training lineage (different models or sizes, a verifier or reranker named on one side) get
    no data verdict (inconclusive: not a checkpoint pair) unless --same-lineage. Then
    decomposes the change by failure mode and by each axis, tests every distinct axis
    combination with the paired test of `compare` (Benjamini-Hochberg across all), and lists
    the evidence as checkable numbers.

    Exit codes with --fail-on: regression 3, not_data 4, data 5 when the condition holds;
    0 otherwise; 1 on errors; 2 on usage errors.
    """
    if fail_on == "regression" and cand is None:
        raise click.UsageError("--fail-on regression needs two runs: BASE CAND")
    other = cand or reference
    label = (
        obj.ws.filter_pair_label(base, other, filter_name, benchmark=benchmark)
        if other
        else obj.ws.filter_use(base, filter_name, benchmark=benchmark).label
    )
    result = obj.ws.diagnose(
        base, cand, benchmark=benchmark, reference=reference,
        same_evaluation=same_evaluation or allow_mismatch, same_lineage=same_lineage,
        filter_name=filter_name,
    )  # fmt: skip
    diag = result.to_dict()
    diag["notes"].append(f"answers read on {label}")
    # the loop's next step: the text's last line, a JSON field; a plan command names the
    # catalog and budget capslice knows (an intervention's plan, the demo's)
    runs = [base, *([cand] if cand else [])]
    data = diag.get("verdict") == "data"
    step = diagnosis_next(diag, obj.ws.plan_inputs(runs, diag.get("benchmark")) if data else None)
    gate = gate_status(result.decision(), fail_on) if fail_on else None
    if fmt == "json":  # the diagnosis plus the filter read and the CI gate
        emit_json({**diag, "filter": label, **({"gate": gate} if gate is not None else {}),
                   **({"next": step} if step else {})})  # fmt: skip
    elif fmt == "md":
        from ..report import diagnosis_markdown

        click.echo("\n".join(diagnosis_markdown(diag)))
        if gate is not None:
            click.echo(f"\n**CI gate**: {gate['text']}")
    else:
        print_diagnosis(diag, step)
        if gate is not None:
            click.echo(gate["text"])
    if gate is not None and gate["holds"]:
        raise SystemExit(gate["exit_code"])


@click.command()
@click.argument("base")
@click.argument("cand")
@click.option(
    "--benchmark", default=None, help="Benchmark to report on (recommended, as for diagnose)."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the Markdown here (default: stdout).",
)
@click.option("--allow-mismatch", is_flag=True, help="Same as --same-evaluation.")
@click.option(
    "--same-evaluation",
    is_flag=True,
    help="Read the change as content even though the evaluations differ.",
)
@click.option(
    "--same-lineage",
    is_flag=True,
    help=SAME_LINEAGE_HELP.replace(" (or the run and --reference)", ""),  # report has no REF
)
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON_CODES)),
    default=None,
    help="State in the report whether this CI gate of `capslice diagnose --fail-on` holds "
    "and its exit code (the report itself exits 0).",
)
@pass_ctx
@friendly_errors
def report(
    obj: Ctx,
    base: str,
    cand: str,
    benchmark: str | None,
    output: str | None,
    allow_mismatch: bool,
    same_evaluation: bool,
    same_lineage: bool,
    fail_on: str | None,
) -> None:
    """Write a complete Markdown review report of CAND against BASE (verdict, evidence, tables)."""
    text = obj.ws.report(
        base, cand, benchmark=benchmark, allow_mismatch=allow_mismatch,
        same_evaluation=same_evaluation, fail_on=fail_on, same_lineage=same_lineage,
    )  # fmt: skip
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text)
