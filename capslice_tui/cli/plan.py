"""``capslice plan`` and ``capslice intervention``: weakness-targeted plans and the intervention log.

These commands only parse arguments and call the workspace facade (``PlanMixin``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from ..formatting import (
    PASS_AT_K_ESTIMATOR,
    bound_notes,
    change_span,
    pct,
    plural,
    points,
    row_p_adj,
    utc_minute,
)
from ..vocabulary import SLICE_JOINER
from ..vocabulary import label as slice_label
from .render import echo_next, emit_json, emit_table
from .root import Ctx, format_option, friendly_errors, parse_slice, pass_ctx

if TYPE_CHECKING:
    from ..planning.mixture import Plan
    from ..workspace.results import Intervention, OutcomeDict


def _current_user() -> str:
    from ..store import current_user  # lazy: the store (sqlite-utils, numpy) is not for --help

    return current_user()


def _user_option(func: Any) -> Any:
    return click.option(
        "--user",
        "who",
        default=_current_user,
        show_default="$USER",
        help="Who is acting (recorded in the audit history).",
    )(func)


def _version_option(func: Any) -> Any:
    return click.option(
        "--expect-version",
        "expected_version",
        type=int,
        default=None,
        help="Fail if the intervention changed since you saw this version (concurrent edits).",
    )(func)


def _audited_command(func: Any) -> Any:
    """The options and wrappers of every intervention state change, in this order:
    ``--user``, ``--expect-version``, ``--format``, then the context and error handling."""
    for decorate in (friendly_errors, pass_ctx, format_option, _version_option, _user_option):
        func = decorate(func)
    return func


def _parse_slices(values: tuple[str, ...], what: str) -> list[dict[str, str]]:
    """Each value is ``axis=value[,axis=value]`` (a conjunction)."""
    out = []
    for v in values:
        parts = tuple(p for p in v.split(",") if p.strip())
        try:
            out.append(parse_slice(parts))
        except click.BadParameter as exc:
            raise click.BadParameter(str(exc), param_hint=what) from exc
    return out


def _label(s: dict[str, Any]) -> str:
    return slice_label(s)


# --------------------------------------------------------------------------- plan


@click.command("plan")
@click.option("--baseline", required=True, help="Run whose weak slices drive the plan.")
@click.option("--benchmark", required=True, help="Benchmark to diagnose.")
@click.option(
    "--candidate", default=None, help="A later run: plan from the change baseline -> candidate."
)
@click.option("--reference", default=None, help="Reference run for the weakness deficits.")
@click.option("--catalog", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Data catalog (YAML cells: list, or CSV).")  # fmt: skip
@click.option(
    "--budget-tokens",
    required=True,
    type=click.IntRange(min=1),
    help="Training tokens for the new mixture.",
)
@click.option(
    "--max-multiplier",
    type=click.FloatRange(min=1),
    default=3.0,
    show_default=True,
    help="Cap on new/base weight.",
)
@click.option(
    "--max-epochs",
    type=click.FloatRange(min=0, min_open=True),
    default=4.0,
    show_default=True,
    help="Cap on epochs over a cell's tokens.",
)
@click.option(
    "--strength",
    type=click.FloatRange(min=0),
    default=4.0,
    show_default=True,
    help="Multiplier per unit of deficit x rule weight.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Boost data even when the diagnosis is not `data` (the plan records that it was forced).",
)
@click.option("--export", "export", type=click.Choice(["yaml", "json", "megatron", "md"]), default=None,
              help="Write the mixture in this format (to -o, else stdout) instead of the review table.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File for --export (default format yaml when only -o is given).")  # fmt: skip
@click.option("--overwrite", is_flag=True,
              help="Replace the -o file if it exists (else an existing file is refused).")  # fmt: skip
@format_option
@pass_ctx
@friendly_errors
def plan_cmd(
    obj: Ctx, baseline: str, benchmark: str, candidate: str | None, reference: str | None,
    catalog: Path, budget_tokens: int, max_multiplier: float, max_epochs: float, strength: float,
    force: bool, export: str | None, output: Path | None, overwrite: bool, fmt: str,
) -> None:  # fmt: skip
    """Propose new mixture weights that target the baseline's weak slices.

    Weak slices come from the diagnosis; mapping rules (mapping.yaml) pick the data cells of the
    catalog; caps keep the mixture from collapsing. Data is boosted only when the diagnosis of
    the same pair (or run) is `data`; otherwise the plan says why and keeps the mixture, unless
    --force. Slices whose failures are mostly extraction/truncation, or that are not
    significant, never boost data: they are listed with the reason.
    """
    from ..planning.export import EXPORTS

    _refuse_existing_output(output, overwrite)
    plan = obj.ws.plan(
        baseline, benchmark=benchmark, catalog=catalog, budget_tokens=budget_tokens,
        candidate=candidate, reference=reference, max_multiplier=max_multiplier,
        max_epochs=max_epochs, strength=strength, force=force,
    )  # fmt: skip
    if output is not None and export is None:
        export = "yaml"
    if export is not None:
        text = EXPORTS[export](plan)
        if output is None:
            click.echo(text, nl=False)
        else:
            replaced = output.exists()
            output.write_text(text, encoding="utf-8")
            verb = "replaced" if replaced else "wrote"
            click.echo(f"{verb} {output} with the {export} plan", err=True)
            click.echo(plan.summary, err=True)
        return
    if fmt == "json":
        emit_json(plan.to_dict())
        return
    _plan_table(plan, benchmark, candidate, fmt)
    if fmt == "table" and plan.boosted and plan.targets_shrink:
        from .render import echo_prose

        # walk 18 F9: a plan that lowers its own targets is not offered as an intervention
        echo_prose(
            "next: no intervention to record with this plan: the cells it targets lose "
            "weight; plan again with a budget or --max-epochs the summary names"
        )
    elif fmt == "table" and plan.boosted:
        _echo_plan_next(baseline, benchmark, candidate)


def _refuse_existing_output(output: Path | None, overwrite: bool) -> None:
    """A blend file is what training reads (walk 18 F8): ``-o`` never replaces an existing
    file silently; ``--overwrite`` says it may (the app's export asks first). ``--force`` is
    not reused: it changes the plan (boosts data without a data diagnosis)."""
    if output is None or overwrite or not output.exists():
        return
    raise click.ClickException(
        f"{output} exists: not replaced (add --overwrite to replace it, or choose another -o file)"
    )


def _echo_plan_next(run: str, benchmark: str, candidate: str | None = None) -> None:
    """The loop's next step after a plan (walk 9 #1): export the weights, and record the
    intervention with the plan attached (saved with ``--format json``, not ``--export``).

    The command is valid shell (walk 11 #3: ``--baseline a -> b`` redirected to a file named
    ``b``): ``--baseline`` takes one run, the plan's run in weakness mode and, in change mode,
    the candidate (the run whose slices fell, which the data change should improve); every
    value is shell-quoted."""
    from ..report import command_lines
    from .render import echo_prose, prose_width

    echo_prose(
        "next: add --export megatron -o blend.txt (or yaml|json|md) to this command to write "
        "the weights for training; add --format json > plan.json to save the plan, then "
        "record the intervention with it"
        + (f" (its baseline: the candidate {candidate}, whose weak slices the data should "
           "lift)" if candidate else "")
        + ":",
        indent="  ",
    )  # fmt: skip
    command = (
        'capslice intervention new --title "..." --hypothesis "..." --baseline '
        f"{shlex.quote(candidate or run)} --benchmark {shlex.quote(benchmark)} "
        "--plan-file plan.json"
    )
    for line in command_lines(command, prose_width(), lead="  "):
        click.echo(line)


WHOLE_PLAN: tuple[str, ...] = ("base", "new", "x", "tokens", "epochs")
"""The plan table's number columns: never cut in a narrow terminal (``12,000,000,000`` tokens
does not read as a figure to the table's own test, so they are named)."""


def _plan_table(plan: Plan, benchmark: str, candidate: str | None, fmt: str) -> None:
    """The plan's review table (``table`` or ``md``), headed by what it planned from
    (:meth:`Plan.title`; ``benchmark`` and ``candidate`` when the plan does not name them):
    one row per catalog cell, its weights,
    tokens and epochs, with the diagnosis, the boosts' sources and the exclusions as notes.
    In a narrow terminal the numbers stay whole (token counts too); epochs, then the
    multiplier, are left out first (and named in a note); cell ids are cut in one place."""

    from ..planning.export import cell_note, note_lines, source_lines

    rows = []
    for c in plan.cells:
        note = cell_note(c)
        mult = "-" if c.base_weight == 0 else f"{c.multiplier:.2f}x"
        rows.append([c.id, f"{c.base_weight:.4f}", f"{c.new_weight:.6f}", mult,
                     f"{c.tokens:,}", f"{c.epochs:.2f}", note])  # fmt: skip
    notes = [plan.summary]
    notes += [f"note: {line}" for line in note_lines(plan)]
    if plan.verdict is not None:
        notes.append(
            f"diagnosis of {plan.baseline}: {plan.diagnosis_words()}"
            + (f". {plan.diagnosis_summary}" if plan.diagnosis_summary else "")
        )
    notes += source_lines(plan)
    for d in plan.excluded:
        notes.append(f"excluded {d.label}: " + "; ".join(d.reasons))
        for cause in d.non_data_causes:
            notes.append(f"  check {cause['cause']}: {cause['description']}")
    notes += [f"warning: {w}" for w in plan.warnings]
    emit_table(
        ["cell", "base", "new", "x", "tokens", "epochs", "note"], rows, fmt,
        title=plan.title(benchmark, change=bool(candidate)) + (" (FORCED against the diagnosis)" if plan.forced else ""),
        notes=notes, payload=plan, whole=WHOLE_PLAN,
        expendable=("epochs", "x"),
        wrap=("cell",),  # an id wraps after its _ (cc_sci_knowledge_ / web), never cut
    )  # fmt: skip


# --------------------------------------------------------------------------- interventions


@click.group("intervention")
def intervention() -> None:
    """Record, decide and judge data interventions (proposed -> accepted|rejected -> running -> evaluated)."""


def _decision_text(rec: Intervention) -> str:
    """``accepted by ana at 2026-...: reason``; ``not decided`` before accept/reject.

    The decision is the last accept or reject: a rejected intervention has status
    ``rejected``; an accepted one is ``accepted``, ``running`` or ``evaluated``.
    """
    if not rec.get("decided_at"):
        return "not decided"
    word = "rejected" if rec["status"] == "rejected" else "accepted"
    text = f"{word} by {rec['decided_by'] or '-'} at {rec['decided_at']}"
    return f"{text}: {rec['decision_reason']}" if rec.get("decision_reason") else text


def _gone(rec: Intervention, role: str) -> str:
    """`` (deleted)`` when the intervention's ``role`` run is no longer in the store."""
    deleted = any(m.startswith(f"{role} run ") for m in rec.get("missing_runs") or [])
    return " (deleted)" if deleted else ""


def _show(rec: Intervention, fmt: str) -> None:
    if fmt == "json":
        emit_json(rec)
        return
    fields = [
        ("id", rec["id"]), ("title", rec["title"]), ("status", rec["status"]),
        ("version", rec["version"]), ("hypothesis", rec["hypothesis"]),
        ("targets", "; ".join(_label(s) for s in rec["target_slices"])),
        ("controls", "; ".join(_label(s) for s in rec["control_slices"]) or "-"),
        ("expected effect", points(rec["expected_effect"])),
        ("baseline", rec["baseline_run"] + _gone(rec, "baseline")),
        ("benchmark", rec["benchmark"] or "-"),
        ("result run", (rec["result_run"] or "-") + _gone(rec, "result")),
        ("author", f"{rec['author']} at {rec['created_at']}"),
        ("decision", _decision_text(rec)),
        ("verdict", _outcome_text(rec)),
    ]  # fmt: skip
    if rec.get("decision_warning"):
        fields.append(("decision warning", rec["decision_warning"]))
    if rec.get("control_warning"):  # no outcome yet, and it could not be read against controls
        fields.append(("warning", rec["control_warning"]))
    for missing in rec.get("missing_runs") or []:
        # the run was deleted after linking: its stored outcome can no longer be checked
        note = f"{missing}; the outcome shown was measured before and cannot be re-evaluated"
        fields.append(("warning", note))
        click.echo(f"warning: intervention #{rec['id']}: {note}", err=True)
    plan = rec.get("plan")
    if plan:
        forced = "FORCED against its diagnosis: " if plan.get("forced") else ""
        fields.append(("plan", forced + plan.get("summary", "")))
    emit_table(
        ["field", "value"], [[k, v] for k, v in fields], fmt, title=f"intervention #{rec['id']}"
    )
    outcome = rec.get("outcome")
    if outcome:
        _outcome_table(outcome, fmt)
    if rec.get("history"):
        _history_table(rec["history"], fmt)


def _history_table(history: Sequence[Mapping[str, Any]], fmt: str) -> None:
    """An intervention's audit history: version, time, who, action, field, old and new
    value. A terminal table gives times to the minute in UTC (said once), not
    ``...T00:36:15+00:00``, and, when the table is wider than the terminal and one person made
    every change, says who in a note (``emit_table``'s ``once``), so the new values (slice
    lists) get the room."""
    stamp = utc_minute if fmt == "table" else str
    headers = ["v", "at", "who", "action", "field", "old", "new"]
    rows = [[h["version"], stamp(h["at"]), h["who"], h["action"], history_field(h["field"]),
             _history_value(h["field"], h["old_value"], stamp),
             _history_value(h["field"], h["new_value"], stamp)]
            for h in history]  # fmt: skip
    notes = []
    if fmt == "table":
        notes.append("times in UTC (--format json has them to the second)")
        # an outcome's whole text (verdict, changes, the items measured): both sides of each
        # re-measurement stay readable (walk 18 F2)
        notes += [f"v{h['version']} outcome: {h['old_value'] or '-'} -> {h['new_value']}"
                  for h in history if h["field"] == "outcome" and h["old_value"]]  # fmt: skip
    emit_table(
        # when, who and what first; the new value last, where a long one wraps whole
        headers, rows, fmt, title="history", whole=("field",),  # field names are never cut
        notes=notes, once=("who",),
    )  # fmt: skip


def _outcome_text(rec: Mapping[str, Any]) -> str:
    """``refuted: the controls gained ...`` from the stored outcome, else its name or ``-``."""
    from ..analysis.outcome import OUTCOME_KEY, outcome_name

    outcome = rec.get("outcome")
    if outcome and outcome.get("reason"):
        return f"{outcome_name(outcome)}: {outcome['reason']}"
    return rec[OUTCOME_KEY] or "-"


HISTORY_FIELD_WORDS = {
    "target_slices": "targets",
    "control_slices": "controls",
    "expected_effect": "expected effect",
    "baseline_run": "baseline",
    "result_run": "result run",
    "decision_reason": "decision reason",
    "decided_by": "decided by",
    "decided_at": "decided at",
    "decision_warning": "decision warning",
    "plan_forced": "plan forced",
}
"""A stored intervention column -> the word ``intervention show`` uses for it (``targets``,
``baseline``...); the history's ``field`` column shows these, ``--format json`` the column."""


def history_field(field: str | None) -> str:
    """An audit-history field as the show table names it (:data:`HISTORY_FIELD_WORDS`); any
    other column with spaces for underscores."""
    return HISTORY_FIELD_WORDS.get(field or "", (field or "-").replace("_", " "))


def _history_value(field: str | None, value: Any, stamp: Any = str) -> str:
    """An audit-history value as read: a list of slices (``target_slices``,
    ``control_slices``, stored as JSON) as their names joined by ``; ``
    (``task_type=algebra; task_type=prealgebra``); a time (a field ending in ``_at``) as
    ``stamp`` gives it (:func:`~capslice_tui.formatting.utc_minute` in a terminal table);
    anything else as :func:`_cut` shows it (a value that is not such a list is shown as
    stored)."""
    if (field or "").endswith("_at") and value is not None:
        return _cut(stamp(value))
    if field == "outcome" and isinstance(value, str):  # its verdict; the whole text in a note
        return _cut(value.split(";", 1)[0])
    if field == "expected_effect" and value is not None:  # stored as a proportion
        try:
            return points(float(value))
        except ValueError:
            return _cut(value)
    if (field or "").endswith("_slices") and isinstance(value, str):
        try:
            slices = json.loads(value)
        except ValueError:
            slices = None
        if isinstance(slices, list) and all(isinstance(x, dict) for x in slices):
            return "; ".join(_label(x) for x in slices) or "-"
    return _cut(value)


def _cut(value: Any, width: int = 40) -> str:
    s = "-" if value is None else str(value)
    return s if len(s) <= width else s[: width - 1] + "…"


def change_note(outcome: OutcomeDict) -> str:
    """``change against controls: ...`` under the outcome table. With one target slice the
    target change's interval is that slice's row (its 95% CI); the pooled bootstrap
    interval of the same change is not printed beside it (two intervals for one number)."""
    from ..analysis.outcome import did_text, no_control_text
    from ..formatting import rounding_note

    pooled = outcome.get("did")
    if not pooled:
        return (
            "change against controls: not measurable "
            f"({no_control_text(outcome.get('uncontrolled'))})"
        )
    one_target = sum(1 for r in outcome["rows"] if r["role"] == "target") == 1
    target = (
        ""
        if one_target
        else f"target change {change_span(pooled['target_low'], pooled['target_high'])}, "
    )
    rounded = rounding_note([pooled["target_change"], -pooled["control_change"]], pooled["did"])
    return (
        f"change against controls: {did_text(pooled)}; {target}control change "
        f"{change_span(pooled['control_low'], pooled['control_high'])}; {pooled['method']}, "
        f"random_state {pooled['random_state']}" + (f"; {rounded}" if rounded else "")
    )


OUTCOME_EXPENDABLE = ("pass@k", "p adj", "DiD vs controls")
"""The outcome table's columns left out first, in this order, in a narrow terminal: the mark
says which slices are significant, and the pooled change against controls is a note under
the table; the slices, their sizes, scores, change and interval stay."""


def _slice_column(rows: Sequence[Mapping[str, Any]]) -> tuple[str, list[str], str]:
    """The header, cells and note of the outcome table's slice column: the cells hold the
    slices' values (``number_theory & integer``), the axes are named once, so a narrow
    terminal shows the names rather than a cut ``task_type=number_th…``. When every slice is
    on the same axes the header names them (``task_type``; no note); else the header is
    ``slice`` and the note names each role's axes
    (``slice: values of task_type & output_constraint (target); task_type (control)``)."""
    axes = [tuple(r["slice"]) for r in rows]
    cells = [slice_label(r["slice"], values_only=True) or "-" for r in rows]
    if len(set(axes)) == 1 and axes[0]:
        return SLICE_JOINER.join(axes[0]), cells, ""
    seen = dict.fromkeys(
        (SLICE_JOINER.join(a) or "no axis", r["role"]) for a, r in zip(axes, rows, strict=True)
    )
    by_axes: dict[str, list[str]] = {}
    for names, role in seen:
        by_axes.setdefault(names, []).append(role)
    parts = [f"{names} ({', '.join(dict.fromkeys(roles))})" for names, roles in by_axes.items()]
    return "slice", cells, "slice: values of " + "; ".join(parts)


def _outcome_table(outcome: OutcomeDict, fmt: str, exploratory: bool = False) -> None:
    """The outcome table; ``exploratory``: an outcome computed at other settings than the
    recorded verdict's and not stored (its title and verdict line say so)."""
    from ..analysis.outcome import outcome_name

    slice_header, names, slice_note = _slice_column(outcome["rows"])
    with_pk = any(r.get("pass_at_k") for r in outcome["rows"])
    with_did = any(r.get("did") for r in outcome["rows"])  # none without control items
    rows = []
    for r, name in zip(outcome["rows"], names, strict=True):
        pk = r.get("pass_at_k")
        pk_text = "-"
        if pk:
            pk_text = f"pass@{pk['k']} {points(pk['diff'], '')} {change_span(pk['diff_low'], pk['diff_high'])}"
        mark = ("better*" if r["diff"] > 0 else "worse*") if r["significant"] else ""
        did = r.get("did")
        did_cell = "-"
        if did:
            did_cell = f"{points(did['did'], '')} {change_span(did['did_low'], did['did_high'])}"
            did_cell += (
                " beats*" if did["did_low"] > 0 else (" behind*" if did["did_high"] < 0 else "")
            )
        rows.append([
            r["role"], name, r["n_items"], pct(r["base_score"]), pct(r["cand_score"]),
            points(r["diff"], ""),
            change_span(r["diff_low"], r["diff_high"]),
            row_p_adj(r), mark, did_cell,
            pk_text,
        ])  # fmt: skip
    notes = [
        ("exploratory outcome (not recorded): " if exploratory else "verdict: ")
        + f"{outcome_name(outcome)}: {outcome['reason']}",
        change_note(outcome),
        f"metric: {outcome['metric']}; BH over {plural(outcome['n_tested'], 'slice')} at q={outcome['q']:g}; "
        f"diff, 95% CI{', DiD' if with_did else ''}{' and pass@k' if with_pk else ''}: result - base, in points; "
        f"harm tolerance {points(outcome['tolerance'], signed=False)}"
        + (
            "; pass@k column: each slice at its own k, the samples every item of it has"
            if with_pk
            else ""
        )
        + (
            f"; {PASS_AT_K_ESTIMATOR}"
            if with_pk or str(outcome["metric"]).startswith("pass@")
            else ""
        ),
        *[f"warning: {w}" for w in outcome["warnings"]],
    ]
    for note in bound_notes(outcome["rows"]):  # before the warnings, which end the notes
        notes.insert(len(notes) - len(outcome["warnings"]), note)
    if slice_note:
        notes.insert(0, slice_note)
    headers = ["role", slice_header, "items", "base", "result", "diff", "95% CI", "p adj",
               "mark", "DiD vs controls", "pass@k"]  # fmt: skip
    if not with_pk:  # one sample per item, or at --k where the metric is pass@k
        headers, rows = headers[:-1], [row[:-1] for row in rows]
    if not with_did:  # no control item: no DiD to show, not a column of dashes
        drop = headers.index("DiD vs controls")
        headers = headers[:drop] + headers[drop + 1 :]
        rows = [row[:drop] + row[drop + 1 :] for row in rows]
    emit_table(
        headers, rows, fmt, notes=notes,
        title=("exploratory " if exploratory else "")
        + f"outcome {outcome['baseline_run']} -> {outcome['result_run']}",
        expendable=OUTCOME_EXPENDABLE,
    )  # fmt: skip


@intervention.command("new")
@click.option("--title", required=True, help="A short name for the intervention.")
@click.option("--hypothesis", required=True, help="What the data change should do, and why.")
@click.option("--baseline", required=True, help="Baseline run.")
@click.option("--benchmark", default=None, help="Benchmark the slices are measured on.")
@click.option("--target", "targets", multiple=True, metavar="AXIS=V[,AXIS=V]",
              help="Target slice (repeatable). Required unless --plan-file is given; with "
                   "--plan-file and no --target, the slices the plan boosts from.")  # fmt: skip
@click.option("--control", "controls", multiple=True, metavar="AXIS=V[,AXIS=V]",
              help="Control slice (repeatable). Default (needs --benchmark): every task_type "
                   "of the baseline with >= 20 items and no item in any target slice; the "
                   "output lists the choice.")  # fmt: skip
@click.option(
    "--expected-gain",
    type=float,
    default=None,
    help="Expected gain on targets, in points (10 = +10 points).",
)
@click.option("--plan-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A plan saved with `capslice plan --format json` to attach (not the "
                   "weights of `--export json`; a file that is not a plan is refused).")  # fmt: skip
@_user_option
@format_option
@pass_ctx
@friendly_errors
def intervention_new(
    obj: Ctx, title: str, hypothesis: str, baseline: str, benchmark: str | None,
    targets: tuple[str, ...], controls: tuple[str, ...], expected_gain: float | None,
    plan_file: Path | None, who: str, fmt: str,
) -> None:  # fmt: skip
    """Record a proposed intervention with pre-registered target and control slices."""
    from ..planning.export import read_plan_file

    plan = read_plan_file(plan_file) if plan_file else None
    rec = obj.ws.new_intervention(
        title=title, hypothesis=hypothesis, baseline=baseline, benchmark=benchmark,
        targets=_parse_slices(targets, "--target") or None,
        controls=_parse_slices(controls, "--control") if controls else None,
        expected_effect=None if expected_gain is None else expected_gain / 100, plan=plan, who=who,
    )  # fmt: skip
    warning = rec.get("control_warning") if fmt != "json" else None
    _show(cast("Intervention", {k: v for k, v in rec.items() if k != "control_warning"})
          if warning else rec, fmt)  # fmt: skip
    from .render import echo_prose

    if rec.get("control_choice") and fmt != "json":
        click.echo("\nControl slices chosen by default (no item shared with a target slice):")
        for note in rec["control_choice"]:
            echo_prose(f"  - {note}")
    if warning:  # last, beside the next step: said once (not in the table above)
        echo_prose(f"warning: {warning}")
    if fmt == "table":  # the loop's next step (walk 9 #1)
        echo_next(f"once reviewed: capslice intervention accept {rec['id']}")


@intervention.command("list")
@click.option(
    "--status",
    default=None,
    type=click.Choice(["proposed", "accepted", "rejected", "running", "evaluated"]),
    help="Only interventions with this status.",
)
@format_option
@pass_ctx
@friendly_errors
def intervention_list(obj: Ctx, status: str | None, fmt: str) -> None:
    """List interventions, newest first."""
    data = obj.ws.interventions(status)
    rows = [[r["id"], r["status"], r["verdict"] or "-",
             r["title"] + (" [plan forced]" if r.get("plan_forced") else ""), r["baseline_run"],
             r["result_run"] or "-", r["author"], r["updated_at"]] for r in data]  # fmt: skip
    emit_table(["id", "status", "verdict", "title", "baseline", "result", "author", "updated"],
               rows, fmt, payload=data)  # fmt: skip


@intervention.command("show")
@click.argument("intervention_id", type=int)
@format_option
@pass_ctx
@friendly_errors
def intervention_show(obj: Ctx, intervention_id: int, fmt: str) -> None:
    """Show an intervention: hypothesis, slices, decision, outcome and audit history."""
    _show(obj.ws.intervention(intervention_id), fmt)


@intervention.command("accept")
@click.argument("intervention_id", type=int)
@click.option("--reason", default=None, help="Why it is accepted (kept with the decision).")
@_audited_command
def intervention_accept(obj: Ctx, intervention_id: int, reason: str | None, who: str,
                        expected_version: int | None, fmt: str) -> None:  # fmt: skip
    """Accept a proposed intervention."""
    obj.ws.accept_intervention(
        intervention_id, who=who, reason=reason, expected_version=expected_version
    )
    _show(obj.ws.intervention(intervention_id), fmt)
    if fmt == "table":  # the loop's next step (walk 9 #1)
        echo_next(
            "train with the plan, ingest the new checkpoint's evaluation as a run, then: "
            f"capslice intervention link {intervention_id} --run RESULT_RUN"
        )


@intervention.command("reject")
@click.argument("intervention_id", type=int)
@click.option(
    "--reason",
    required=True,
    help="Why it is rejected (kept with the decision; a regression it names is checked "
    "against the measured outcome).",
)
@click.option("--regression/--no-regression", "regression", default=None,
              help="Whether the rejection is because of a regression (default: read from the "
                   "reason's words). A regression the measured outcome does not show "
                   "significantly is stored with a warning.")  # fmt: skip
@_audited_command
def intervention_reject(obj: Ctx, intervention_id: int, reason: str, regression: bool | None,
                        who: str, expected_version: int | None, fmt: str) -> None:  # fmt: skip
    """Reject a proposed intervention, or an evaluated one after its outcome (a reason is
    required)."""
    rec = obj.ws.reject_intervention(
        intervention_id, reason=reason, who=who, expected_version=expected_version,
        regression=regression,
    )  # fmt: skip
    if rec.get("decision_warning") and fmt != "json":
        click.echo(f"warning stored with the decision: {rec['decision_warning']}", err=True)
    _show(obj.ws.intervention(intervention_id), fmt)


@intervention.command("start")
@click.argument("intervention_id", type=int)
@_audited_command
def intervention_start(obj: Ctx, intervention_id: int, who: str, expected_version: int | None,
                       fmt: str) -> None:  # fmt: skip
    """Mark an accepted intervention as running (training has started)."""
    obj.ws.start_intervention(intervention_id, who=who, expected_version=expected_version)
    _show(obj.ws.intervention(intervention_id), fmt)


def _eval_options(func: Any) -> Any:
    func = click.option("--k", "k", type=click.IntRange(min=1), default=None,
                        help="Compare pass@k instead of accuracy (mean over samples). Default: "
                             "the k the verdict was recorded at (first link: accuracy).")(func)  # fmt: skip
    func = click.option("--tolerance", type=float, default=None,
                        help="Control regression (points) that makes the outcome harmful. "
                             "Default: the recorded one (first link: 2).")(func)  # fmt: skip
    func = click.option("--record", is_flag=True, default=False,
                        help="Replace the recorded verdict by one at other --k/--tolerance "
                             "(audited). Without it such an evaluation is exploratory: shown, "
                             "not stored.")(func)  # fmt: skip
    return func


def _points_option(tolerance: float | None) -> float | None:
    return None if tolerance is None else tolerance / 100


@intervention.command("link")
@click.argument("intervention_id", type=int)
@click.option("--run", required=True, help="The result run (checkpoint trained with the plan).")
@click.option("--allow-incomplete", is_flag=True,
              help="Link a run whose ingest did not finish (refused otherwise); the outcome "
              "records that it covers only what is stored.")  # fmt: skip
@_eval_options
@_audited_command
def intervention_link(obj: Ctx, intervention_id: int, run: str, allow_incomplete: bool,
                      k: int | None, tolerance: float | None, record: bool, who: str,
                      expected_version: int | None, fmt: str) -> None:  # fmt: skip
    """Link the result run and evaluate the outcome against the baseline (not the baseline
    itself). The verdict is recorded at the first link's --k and --tolerance. An incomplete
    run (an interrupted ingest, a log cut short) is refused unless --allow-incomplete."""
    obj.ws.link_intervention(intervention_id, run, who=who, expected_version=expected_version,
                             record=record, allow_incomplete=allow_incomplete, k=k,
                             tolerance=_points_option(tolerance))  # fmt: skip
    _show(obj.ws.intervention(intervention_id), fmt)


@intervention.command("evaluate")
@click.argument("intervention_id", type=int)
@click.option("--membership", type=click.Choice(["frozen", "today"]), default="frozen",
              show_default=True,
              help="The target/control items: those frozen when the outcome was first "
              "measured, or today's labels (with --record: replaces the outcome, both kept "
              "in the history).")  # fmt: skip
@_eval_options
@_audited_command
def intervention_evaluate(obj: Ctx, intervention_id: int, membership: str, k: int | None,
                          tolerance: float | None, record: bool, who: str,
                          expected_version: int | None, fmt: str) -> None:  # fmt: skip
    """Re-evaluate the outcome at the recorded settings (after a re-score, say); the change is
    audited. It is measured on the target/control items frozen when the outcome was first
    measured; when labels changed since, it says how many items joined or left
    (--membership today --record re-measures on today's). At another --k or --tolerance the
    evaluation is exploratory: shown, not stored, the recorded verdict stays (--record
    replaces it)."""
    from ..analysis.outcome import settings_change

    if membership == "today" and not record:
        raise click.UsageError(
            "--membership today replaces the recorded outcome: add --record (audited)"
        )
    rec = obj.ws.intervention(intervention_id)
    asked = {"k": k, "tolerance": _points_option(tolerance)}
    params = obj.ws.recorded_settings(rec, record=True, **asked)
    recorded = rec.get("outcome")
    changed = settings_change(recorded, params) if recorded else ""
    if changed and not record:
        outcome = obj.ws.intervention_outcome(intervention_id, **params)
        if fmt == "json":
            emit_json({"recorded": False, "outcome": outcome})
            return
        _outcome_table(outcome, fmt, exploratory=True)
        flags = " ".join(f"--{name} {value:g}" for name, value in
                         (("k", k), ("tolerance", tolerance)) if value is not None)  # fmt: skip
        from .render import echo_prose

        echo_prose(
            f"exploratory: not recorded. The verdict of #{intervention_id} stays "
            f"{rec['verdict']}, recorded at {changed}. To replace it: capslice intervention "
            f"evaluate {intervention_id} {flags} --record"
        )
        return
    obj.ws.evaluate_intervention(intervention_id, who=who, expected_version=expected_version,
                                 record=record, membership=membership, **params)  # fmt: skip
    _show(obj.ws.intervention(intervention_id), fmt)
