"""Markdown review report for a diagnosis: paste-ready, every percentage with its counts."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from .formatting import (
    bound_notes,
    change_points,
    interval,
    p_clause,
    p_join,
    p_text,
    pct,
    pct_count,
    plural,
    points,
    row_p_adj,
    run_pair,
    score_counts,
)
from .vocabulary import label as slice_label

BAR_WIDTH = 24
TEST_NAMES = {"mcnemar-exact": "exact McNemar", "paired-bootstrap": "paired bootstrap"}


def paired_test_name(test: str | None) -> str:
    """A paired test's name in words (``exact McNemar``), never its token; ``paired test``
    when none is recorded."""
    return TEST_NAMES.get(test or "", test or "paired test")


def bar(value: float, scale: float, width: int = BAR_WIDTH) -> str:
    """A text bar for ``value`` on ``[-scale, scale]``: ``-####`` / ``+##`` (no colour needed)."""
    if scale <= 0:
        return ""
    n = int(round(min(abs(value) / scale, 1.0) * width))
    return ("-" if value < 0 else "+") + "#" * n


def evidence_value(e: Mapping[str, Any]) -> str:
    """An evidence value with its unit: ``-28.1 points``, ``68.5%``, ``p<0.0001``, ``0 slices``.

    A p-value reads as every table and verdict prints it (:func:`formatting.p_clause`:
    ``p=0.031``, ``p<0.0001``, never ``p=4.6e-41``); a text value (``<0.001``, a bootstrap p
    at its floor) is joined to its name the same way (:func:`formatting.p_join`)."""
    value, unit = e.get("value"), e.get("unit") or ""
    if value is None or value == "":
        return "-" if unit else ""
    if unit == "%":
        return f"{value}%"
    if unit == "p":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return p_clause(float(value))
        return p_join("p", str(value))
    if unit == "points" and isinstance(value, (int, float)):
        return points(value / 100, " points")  # the value is in points already
    return f"{value} {unit}".strip()


def evidence_line(e: Mapping[str, Any]) -> str:
    """One evidence entry as a line, the same in the CLI's ``Evidence:`` list and the app's
    diagnose screen: ``name: value (detail)``; ``name: value`` without a detail, and
    ``name: detail`` for evidence without a value (:func:`evidence_value`), never an empty
    value or ``()``.

    >>> evidence_line({"name": "format share", "value": 60.8, "unit": "%", "detail": "of failures"})
    'format share: 60.8% (of failures)'
    """
    value, detail = evidence_value(e), e.get("detail") or ""
    if not value:
        return f"{e.get('name')}: {detail}"
    return f"{e.get('name')}: {value}" + (f" ({detail})" if detail else "")


def _tests_used(slices: Sequence[Mapping[str, Any]]) -> str:
    """The paired tests of the listed slices, named as run: ``exact McNemar``, ``paired
    bootstrap (B=1000)``, both (a mix), or ``exact McNemar or paired bootstrap`` when no
    slice says (none listed)."""
    tests = {s.get("test") for s in slices if s.get("test")}
    boots = sorted(
        {int(s.get("n_boot") or 0) for s in slices if s.get("test") == "paired-bootstrap"}
    )
    boot = "paired bootstrap" + (f" (B={'/'.join(map(str, boots))})" if boots and boots[0] else "")
    if tests == {"mcnemar-exact"}:
        return "exact McNemar"
    if tests == {"paired-bootstrap"}:
        return boot
    if tests:
        return f"exact McNemar or {boot}"
    return "exact McNemar or paired bootstrap"


DIFFICULTY_NOT_RULED_OUT = "against the run's own average: difficulty not ruled out"
"""What a data weakness read against the run's own average cannot tell (a slice harder for
every model looks weak too), said beside its reason in every verdict heading: the CLI's, the
Markdown's and the app's banner (:func:`verdict_qualifier`)."""


def verdict_qualifier(diag: Mapping[str, Any]) -> str:
    """:data:`DIFFICULTY_NOT_RULED_OUT` for a ``data`` verdict of one run against its own
    average (weakness mode without ``--reference``), '' otherwise."""
    weakness = diag.get("mode") == "weakness" and not diag.get("reference")
    return DIFFICULTY_NOT_RULED_OUT if weakness and diag.get("verdict") == "data" else ""


def verdict_reason(diag: Mapping[str, Any]) -> str:
    """`` (localized wrong answers)``: the reason token in words after the verdict in a
    heading, worded for a gain where a drop's words would not fit it
    (:data:`~capslice_tui.planning.mixture.GAIN_REASON_HEADINGS`), with
    :func:`verdict_qualifier` when there is one; '' without a reason."""
    from .planning.mixture import GAIN_REASON_HEADINGS

    reason = diag.get("reason")
    if not reason:
        return ""
    more = verdict_qualifier(diag)
    gain = diag.get("direction") == "gain" and diag.get("mode") == "change"
    words = (GAIN_REASON_HEADINGS.get(reason) if gain else None) or reason.replace("_", " ")
    return f" ({words}{'; ' + more if more else ''})"


def slice_search_title(diag: Mapping[str, Any]) -> str:
    """What the slice search looked for (``Slices with a significant paired change``,
    ``Slices significantly below the reference run R``, ``Slices significantly weaker than
    the rest``): the start of :func:`slice_heading` and of :func:`no_slice_text`, and the
    report's heading over an empty search."""
    if diag["mode"] == "change":
        return "Slices with a significant paired change"
    if diag.get("reference"):
        return f"Slices significantly below the reference run {diag['reference']}"
    return "Slices significantly weaker than the rest"


def slice_heading(diag: Mapping[str, Any]) -> str:
    """Heading of the slice list: what the search looked for, kept and tested counts."""
    kept, tested = len(diag["slices"]), diag["slices_tested"]
    title = slice_search_title(diag)
    if diag["mode"] == "change":
        return (
            f"{title} ({kept} listed of {tested} distinct "
            f"slices tested; {_tests_used(diag['slices'])} per slice, as in compare; "
            f"p adj: Benjamini-Hochberg q=0.05 across all {tested} slices; slices explained by "
            "overlap with those listed are left out)"
        )
    if diag.get("reference"):
        return (
            f"{title} ({kept} listed "
            f"of {plural(tested, 'distinct slice')} tested; paired test per slice; p adj: "
            f"Benjamini-Hochberg q=0.05 across all {tested} slices)"
        )
    return (
        f"{title} ({kept} kept of {tested} tested; p adj: "
        f"Benjamini-Hochberg q=0.05 across all {tested} slices)"
    )


def no_slice_text(diag: Mapping[str, Any]) -> str:
    """The one sentence said instead of :func:`slice_heading` over an empty list: what was
    looked for, ``none``, and how many slices were tested, or why none was (``none of the 0
    slices`` said nothing; the reason is the verdict's, ``verdict_wording.untested_text``)."""
    from .analysis.verdict_wording import untested_text
    from .vocabulary import MIN_SLICE_SIZE

    tested = diag["slices_tested"]
    what = slice_search_title(diag)
    if tested:
        text = (
            f"{what}: none ({plural(tested, 'slice')} tested; p adj: Benjamini-Hochberg "
            f"q=0.05 across {'all of them' if tested > 1 else 'it'})"
        )
    else:
        text = f"{what}: none; no slice was tested ({untested_text(MIN_SLICE_SIZE)})"
    if diag["mode"] == "change":
        text += f"; per-task tests: capslice compare {diag['base']} {diag['cand']}"
    return text + "."


CATALOG_PLACEHOLDER = "YOUR_CATALOG.yaml"
BUDGET_PLACEHOLDER = "YOUR_TOKEN_BUDGET"
"""What a ``next:`` plan command holds where capslice does not know the data catalog or the
token budget: names no one would take for a real file or number (the command refuses them
as they are), and the step says they are to be filled in."""


def diagnosis_next(
    diag: Mapping[str, Any], inputs: Mapping[str, Any] | None = None
) -> dict[str, str] | None:
    """The loop's next step after a diagnosis (walk 9 #1): ``{"command": ..., "why": ...}``
    (``command`` may be absent). For a ``data`` verdict the ``capslice plan`` command on the
    same run(s), which plans data for the weak slices just listed, with the catalog and budget
    of ``inputs`` where capslice knows them (``Workspace.plan_inputs``: ``catalog``,
    ``budget_tokens``, ``source``; the demo's ``sample_data/catalog.yaml``), else
    :data:`CATALOG_PLACEHOLDER` / :data:`BUDGET_PLACEHOLDER`, which ``why`` says to fill
    in; for ``not_data``, that
    the cause is fixed in the evaluation or the run's config, then the run re-evaluated and
    diagnosed again; ``None`` otherwise (an inconclusive verdict says what it lacks; a gain
    has no weak slice to plan for: ``plan --candidate`` on it boosts nothing)."""
    base, cand, ref = diag["base"], diag.get("cand"), diag.get("reference")
    if diag.get("direction") == "gain":  # the candidate is better: nothing to plan or fix
        return None
    if diag["verdict"] == "data":
        q = shlex.quote  # a run name with a space or a quote still pastes as one word
        runs = f"--baseline {q(base)}" + (f" --candidate {q(cand)}" if cand else "")
        unsure = (  # against its own average: the summary says how to rule difficulty out
            "; the slices are weak against the run's own average, so rule difficulty out "
            "first with --reference (see above)"
            if verdict_qualifier(diag)
            else ""
        )
        runs += f" --reference {q(ref)}" if ref and not cand else ""
        n = len(diag.get("slices") or [])
        catalog, budget = (inputs or {}).get("catalog"), (inputs or {}).get("budget_tokens")
        return {
            "command": f"capslice plan {runs} --benchmark {q(diag.get('benchmark') or 'BENCHMARK')} "
            f"--catalog {q(catalog) if catalog else CATALOG_PLACEHOLDER} "
            f"--budget-tokens {budget or BUDGET_PLACEHOLDER}",
            # not "for the N weak slices": a slice no mapping rule reaches gets no data (the
            # plan says which it set aside; walk 10 #4 read 5 promised, 4 served)
            "why": (
                f"plans data for those of the {plural(n, 'weak slice')} above that the mapping "
                "rules reach"
                if n
                else "plans data"
            )
            + unsure
            + _inputs_words(catalog, budget, str((inputs or {}).get("source") or "")),
        }
    if diag["verdict"] == "not_data":
        return {
            "why": "not a data problem, so no plan: fix the cause above in the evaluation or "
            "the run's config, re-evaluate, ingest the new run and diagnose it again"
        }
    return None


def _inputs_words(catalog: str | None, budget: int | None, source: str) -> str:
    """What the ``next:`` plan step says of its ``--catalog`` and ``--budget-tokens``: whose
    they are when known (``; catalog and budget: the demo's``), and which are placeholders
    to fill in when not."""
    known = [w for w, v in (("catalog", catalog), ("budget", budget)) if v]
    said = f"; {' and '.join(known)}: {source}" if known and source else ""
    missing = [
        f"{name} ({what})"
        for name, what, v in (
            (CATALOG_PLACEHOLDER, "your data catalog, a YAML 'cells:' list", catalog),
            (BUDGET_PLACEHOLDER, "the training tokens", budget),
        )
        if not v
    ]
    if not missing:
        return said
    return said + f"; {' and '.join(missing)}: placeholders, fill them in"


def command_lines(command: str, width: int, lead: str = "next: ") -> list[str]:
    """``command`` after ``lead``, broken before its ``--`` options with shell backslash
    continuations so each line fits ``width`` and the whole still pastes as one command (a
    single option longer than the width stays whole on its line). ``command`` is read as the
    shell reads it (a quoted name holding `` --`` is one word, not a break)."""
    words = _option_groups(command)
    lines, line = [], lead + words[0]
    for w in words[1:]:
        if len(line) + 1 + len(w) + 2 <= width:  # room for " \" after it
            line += " " + w
        else:
            lines.append(line + " \\")
            line = "    " + w
    return [*lines, line]


def _option_groups(command: str) -> list[str]:
    """``command`` cut before each `` --`` that is outside quotes, its text kept as written
    (``--title "..."`` stays so)."""
    groups, start, quote = [], 0, ""
    for i, ch in enumerate(command):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif command.startswith(" --", i):
            groups.append(command[start:i])
            start = i + 1
    return [*groups, command[start:]]


def adjusted_header(n_tested: int, noun: str) -> str:
    """``p adj (BH over 27 slices)``: a table's adjusted-p column named with the family its
    Benjamini-Hochberg correction ran over, so the same slice in two tables (a comparison by
    task_type, the slice search over every axis combination) shows which p adj is which."""
    return f"p adj (BH over {plural(n_tested, noun)})"


def shift_label(mode: str) -> str:
    """A failure mode's row name in a change-by-failure-mode table: ``correct (net)`` for
    ``correct``, whose row is the net change the failure modes add up to, not a part."""
    return "correct (net)" if mode == "correct" else mode


def evaluation_lines(diag: Mapping[str, Any]) -> list[str]:
    """How the two runs' evaluations of the shared items differ, one line each ([] when the
    diagnosis has no evaluation check)."""
    ev = diag.get("evaluation")
    if not ev:
        return []
    lines = []
    for d in ev["differences"]:
        what = (
            "prompt texts differ (by hash)"
            if d["key"] == "prompt"
            else f"{d['key']}: {' / '.join(d['base_values'])} vs {' / '.join(d['cand_values'])}"
        )
        flag = "" if d["material"] else " (not material on its own)"
        lines.append(
            f"{d['category']}: {what} on {d['n_items']:,} of {plural(ev['n_items'], 'item', ',')}{flag}"
        )
    if not lines and ev.get("not_compared"):
        lines.append(
            f"evaluation not recorded: the {' and '.join(ev['not_compared'])} settings were not "
            f"recorded by both runs on the {plural(ev['n_items'], 'shared item', ',')}, so an "
            "evaluation cause (other prompts, few-shot, decoding or reranking) cannot be ruled "
            "out; what was recorded (task, filter, scorer, prompt hash where logged) agrees"
        )
    elif not lines:
        lines.append(
            f"same evaluation on the {plural(ev['n_items'], 'shared item', ',')} (prompts, few-shot, "
            "decoding, filter and scorer agree where both runs recorded them)"
        )
    if ev.get("unchecked"):
        lines.append("recorded by one run only, not compared: " + ", ".join(ev["unchecked"]))
    if ev.get("not_recorded"):
        lines.append(
            "no evaluation settings recorded for the "
            + " and ".join(ev["not_recorded"])
            + " run (stored before capslice recorded them)"
        )
    return lines


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return out + [""]


def diagnosis_markdown(diag: Mapping[str, Any]) -> list[str]:
    """The verdict, evidence, failure modes and significant slices of a diagnosis as Markdown."""
    lines = _verdict_markdown(diag)
    lines += _failure_mode_markdown(diag)
    lines += _axes_markdown(diag)
    lines += _slices_markdown(diag)
    lines += [f"- {n}" for n in [*diag.get("notes", []), *bound_notes(diag["slices"])]]
    return lines


def _verdict_markdown(diag: Mapping[str, Any]) -> list[str]:
    """The verdict heading, summary, evaluation differences, likely causes and evidence table."""
    lines = [f"## Verdict: **{diag['verdict']}**{verdict_reason(diag)}", "", diag["summary"], ""]
    if diag.get("pair_warning"):
        lines += [f"**Warning**: {diag['pair_warning']}", ""]
    if evaluation_lines(diag):
        lines += ["### Evaluation of the shared items", ""]
        lines += [f"- {line}" for line in evaluation_lines(diag)] + [""]
    if diag["causes"]:
        lines += ["Likely causes:", ""] + [f"1. {c}" for c in diag["causes"]] + [""]
    lines += ["### Evidence", ""]
    lines += _table(
        ["evidence", "value", "detail"],
        [[e["name"], evidence_value(e), e["detail"]] for e in diag["evidence"]],
    )
    return lines


def _failure_mode_markdown(diag: Mapping[str, Any]) -> list[str]:
    """Failure-mode sample counts per run, and the shift between runs when there is one."""
    runs = list(diag["failure_modes"])
    modes = list(next(iter(diag["failure_modes"].values())))
    lines = ["### Failure modes (samples)", ""]
    lines += _table(
        ["mode", *runs], [[m, *(diag["failure_modes"][r][m] for r in runs)] for m in modes]
    )
    if diag["failure_mode_shift"]:
        lines += ["### Where the change comes from, by failure mode", ""]
        scale = max((abs(r["contribution"]) for r in diag["failure_mode_shift"]), default=0)
        lines += _table(
            ["mode", "base share", "cand share", "points of accuracy", ""],
            [
                [shift_label(r["mode"]), pct(r["base_share"]), pct(r["cand_share"]),
                 change_points(r["contribution"], ""), "`" + bar(r["contribution"], scale) + "`"]
                for r in diag["failure_mode_shift"]
            ],
        )  # fmt: skip
    return lines


def _axes_markdown(diag: Mapping[str, Any]) -> list[str]:
    """One table per axis: deltas and contributions (change) or scores and deficits (weakness)."""
    lines: list[str] = []
    for axis, rows in diag["axes"].items():
        lines += [f"### By {axis}", ""]
        if diag["mode"] == "change":
            scale = max((abs(r["contribution"]) for r in rows), default=0)
            lines += _table(
                ["value", "items", "base", "cand", "delta", "contribution", ""],
                [
                    [r["value"], f"{r['n_items']:g}", pct(r["base_score"]), pct(r["cand_score"]),
                     points(r["delta"], ""), points(r["contribution"], ""),
                     "`" + bar(r["contribution"], scale) + "`"]
                    for r in rows
                ],
            )  # fmt: skip
        else:
            scale = max((abs(r["deficit"]) for r in rows), default=0)
            lines += _table(
                ["value", "items", "score", "95% CI", "deficit", ""],
                [
                    [r["value"], f"{r['n_items']:g}", pct(r["score"]), interval(r["ci_low"], r["ci_high"]),
                     points(r["deficit"], ""), "`" + bar(r["deficit"], scale) + "`"]
                    for r in rows
                ],
            )  # fmt: skip
    return lines


def combination_score(diag: Mapping[str, Any], c: Mapping[str, Any]) -> str:
    """``cand 64.5% (330/512), 32 items`` or ``43.1% (mean of 158 items; samples ... = 18.6%)``:
    one task_type x solving_operation cell within a slice, as the CLI's ``within it:`` line and
    the Markdown's column say it. The score is of one run only (the candidate's in a change,
    the run's own against a reference), so it says whose, as the slice line above it does
    (``-> cand 24.1%``); a weakness against the run's own average has one run and needs no
    name. Against a reference, the reference's score on the same cell follows (``;
    math-targeted 54.3% (-42.3 points)``)."""
    txt = score_counts(c["score"], c["correct"], c["n_samples"], c["n_items"])
    if diag["cand"]:
        txt = f"cand {txt}"
    elif diag.get("reference"):
        txt = f"{diag['base']} {txt}"
    txt = txt if "mean of" in txt else f"{txt}, {plural(c['n_items'], 'item')}"
    if diag.get("reference") and "reference_score" in c:  # the same cell in the reference
        deficit = points(c["score"] - c["reference_score"])
        txt += f"; {diag['reference']} {pct(c['reference_score'])} ({deficit})"
    return txt


def combinations_header(diag: Mapping[str, Any]) -> str:
    """The Markdown column of :func:`combination_score`: which cells, in which order."""
    if diag.get("reference") and diag["mode"] != "change":
        return (
            "task_type x solving_operation within the slice, furthest below "
            f"{diag['reference']} first (samples)"
        )
    return "weakest task_type x solving_operation within the slice (samples)"


def _combinations_cell(diag: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    """Up to three cells within slice ``s`` (counted on its items only), as the CLI lists."""
    return (
        "; ".join(
            f"{c['task_type']} x {c['solving_operation']}: {combination_score(diag, c)}"
            for c in (s.get("combinations") or [])[:3]
        )
        or "-"
    )


def _slices_markdown(diag: Mapping[str, Any]) -> list[str]:
    """The significant-slice heading and table (paired or one-run), or why there is none."""
    if not diag["slices"]:  # the text's one sentence, not "(0 listed of 19 ...)" over "None"
        return [f"### {slice_search_title(diag)}", "", no_slice_text(diag), ""]
    lines = [f"### {slice_heading(diag)}", ""]
    against = diag["mode"] != "change" and diag.get("reference")
    score_head = (
        "cand score (samples)" if diag["mode"] == "change"
        else f"{diag['base']} mean per-item score (samples)" if against
        else "mean per-item score (samples)"
    )  # fmt: skip
    p_adj = adjusted_header(diag["slices_tested"], "slice")
    within = combinations_header(diag)
    if "diff" in diag["slices"][0]:
        lines += _table(
            ["slice", "items", f"reference {against}" if against else "base", score_head,
             "change (points)", "95% CI", "p", p_adj, "moved items that are wrong answers",
             "same items as", within],
            [
                [s["label"], s["n_items"], pct(s["base_score"]),
                 pct_count(s["score"], s["correct"], s["n_samples"]),
                 points(s["diff"], ""), interval(s["diff_low"], s["diff_high"]),
                 p_text(s["p_value"], s.get("n_boot")), row_p_adj(s), pct(s["wrong_answer_share"]),
                 "; ".join(s.get("aliases") or []) or "-", _combinations_cell(diag, s)]
                for s in diag["slices"]
            ],
        )  # fmt: skip
    else:
        lines += _table(
            ["slice", "items", score_head, "95% CI", p_adj, "wrong-answer share of failing items",
             within],
            [
                [s["label"], s["n_items"], pct_count(s["score"], s["correct"], s["n_samples"]),
                 interval(s["ci_low"], s["ci_high"]), row_p_adj(s), pct(s["wrong_answer_share"]),
                 _combinations_cell(diag, s)]
                for s in diag["slices"]
            ],
        )  # fmt: skip
    return lines


def comparison_sig(r: Mapping[str, Any], cmp: Mapping[str, Any]) -> str:
    """The sig cell of a comparison row: the marker of a slice (``worse*``: significant after
    Benjamini-Hochberg); the ALL row is not one of the corrected slices, so its marker has no
    ``*`` (``worse``: raw p <= 0.05 on its own, said in :func:`overall_note`)."""
    mark = r["marker"] or ""
    return mark.rstrip("*") if r is cmp["overall"] else mark


def _not_corrected(n_tested: int) -> str:
    """``not one of the 6 corrected slices``, ``not the one corrected slice``."""
    if n_tested == 1:
        return "not the one corrected slice"
    return f"not one of the {plural(n_tested, 'corrected slice')}"


def overall_note(cmp: Mapping[str, Any]) -> str:
    """What the ALL row's test is: all items pooled, tested on its own (not corrected)."""
    o = cmp["overall"]
    if o.get("p_value") is None or o["p_value"] != o["p_value"]:
        return ""
    return (
        f"ALL = every item pooled, tested on its own ({paired_test_name(o.get('test'))}, raw p "
        f"{p_text(o['p_value'], o.get('n_boot'))}; {_not_corrected(cmp['n_tested'])}, so no p "
        "adj): worse/better without * = raw p <= 0.05"
    )


def comparison_markdown(cmp: Mapping[str, Any], title: str) -> list[str]:
    """A comparison table as Markdown."""
    lines = [f"### {title}", ""]
    rows = []
    for r in [*cmp["rows"], cmp["overall"]]:
        key = slice_label(r["slice"], values_only=True) if r is not cmp["overall"] else "**all**"
        rows.append(
            [key, r["n_items"], pct_count(r["base"]["score"], r["base"]["correct"], r["base"]["n"]),
             pct_count(r["cand"]["score"], r["cand"]["correct"], r["cand"]["n"]),
             points(r["diff"], ""), interval(r["diff_low"], r["diff_high"]), p_text(r["p_value"], r.get("n_boot")),
             row_p_adj(r), comparison_sig(r, cmp), r["warning"] or ""]
        )  # fmt: skip
    family = "slice" if len(cmp["by"]) != 1 else cmp["by"][0]
    lines += _table(
        ["slice", "items", "base", "cand", "diff (points)", "95% CI", "p",
         adjusted_header(cmp["n_tested"], family), "sig", "note"],
        rows,
    )  # fmt: skip
    lines.append(
        f"{plural(cmp['n_tested'], 'slice')} tested "
        f"({paired_test_name(cmp['rows'][0]['test']) if cmp['rows'] else '-'}); "
        f"Benjamini-Hochberg at q={cmp['q']}; `worse*`/`better*` = significant after correction."
    )
    overall = [overall_note(cmp)] if overall_note(cmp) else []
    notes = [*overall, *cmp["notes"], *bound_notes(cmp["rows"])]
    return lines + [""] + [f"- {n}" for n in notes] + [""]


def report_markdown(
    runs: Mapping[str, Mapping[str, Any]],
    comparisons: Sequence[tuple[str, Mapping[str, Any]]],
    diag: Mapping[str, Any],
    gates: list[dict[str, Any]] | None = None,
) -> str:
    """The whole review report: runs, comparisons by task and by each axis, the diagnosis;
    ``gates`` (:func:`gate_status` results) add the CI exit conditions."""
    base, cand = diag["base"], diag["cand"]
    lines = [
        f"# capslice report: {run_pair(base, cand)}"
        + (f" on {diag['benchmark']}" if diag["benchmark"] else ""),
        "",
    ]
    lines += _table(
        ["run", "model", "step", "samples", "benchmarks"],
        [
            [r["name"], r["model"] or "-", r["step"] or "-", r["n_samples"],
             "; ".join(f"{b} {pct_count(s['score'], s['correct'], s['n_samples'])}" for b, s in r["benchmarks"].items())]
            for r in runs.values()
        ],
    )  # fmt: skip
    if gates:
        lines += ["**CI gate** (`capslice diagnose BASE CAND --fail-on CONDITION`):", ""]
        lines += [f"- {g['text']}" for g in gates] + [""]
    lines += diagnosis_markdown(diag)
    lines += ["## Paired comparisons", ""]
    for title, cmp in comparisons:
        lines += comparison_markdown(cmp, title)
    return "\n".join(lines) + "\n"


def gate_status(decision: Any, fail_on: str) -> dict[str, Any]:
    """Whether the ``--fail-on`` condition holds for a diagnosis, with its exit code.

    Conditions: ``regression`` — a significant drop (overall paired test p < 0.05, the
    candidate below the base); ``not_data`` / ``data`` — the verdict is that value.

    Returns:
        ``{"condition", "holds", "exit_code", "text"}``; ``exit_code`` is 0 when the condition
        does not hold, else :data:`FAIL_ON_CODES` of the condition.

    Raises:
        ValueError: unknown condition, or ``regression`` on a weakness diagnosis.
    """
    if fail_on not in FAIL_ON_CODES:
        raise ValueError(f"--fail-on {fail_on!r}: expected one of {', '.join(FAIL_ON_CODES)}")
    if fail_on == "regression":
        if decision.mode != "change":
            raise ValueError("--fail-on regression needs two runs (BASE CAND)")
        holds = decision.significant_drop
        what = "a significant drop: overall paired test p < 0.05"
    else:
        holds = decision.verdict == fail_on
        what = f"the verdict is {fail_on}"
    code = FAIL_ON_CODES[fail_on] if holds else 0
    text = (
        f"--fail-on {fail_on} ({what}): holds, exit code {code}"
        if holds
        else f"--fail-on {fail_on} ({what}): does not hold, exit code 0"
    )
    return {"condition": fail_on, "holds": holds, "exit_code": code, "text": text}


FAIL_ON_CODES: dict[str, int] = {"regression": 3, "not_data": 4, "data": 5}
"""Exit code of ``capslice diagnose --fail-on CONDITION`` when the condition holds (1 and 2
are taken by errors and usage errors)."""


def for_this_sample(reason: Any) -> Any:
    """A stored failure reason, an older store's ``the log has no official score`` read as
    the classifier words it now (``... for this sample``: the log may score the item on
    another of its generations: :func:`log_score`). The CLI's ``sample`` and the app's sample
    detail word the failure mode with it."""
    if not isinstance(reason, str):
        return reason
    import re

    return re.sub(
        r"the log has no official score(?! for this sample)",
        "the log has no official score for this sample",
        reason,
    )


def _logged(sample: Mapping[str, Any]) -> str:
    """What the log recorded on a sample: its metrics (``exact_match 0.0``), else its
    official score (``score 1.0``); '' when neither."""
    metrics = sample.get("metrics") or {}
    if metrics:
        return ", ".join(f"{k} {v}" for k, v in metrics.items())
    return "" if sample.get("official") is None else f"score {sample['official']}"


def log_score(ws: Any, s: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the log holds for the item of a sample capslice's strict extraction scored (the
    ``log's score`` field; JSON key ``log_score``), or None for a sample the log scored.
    ``ws``: the :class:`~capslice_tui.workspace.Workspace` (its ``sample(id)``). The CLI's
    ``sample`` command and the app's sample detail both call this one function.

    lm-eval writes one line per item, its K generations (``repeats``) in it and its score on
    the one answer the filter kept; the ingest keeps that score and the metrics on generation
    0 (``ingest.lmeval``). Generation 0 of the same line is the sample ``id - sample_idx``
    (one line's records are stored in order), read through the facade and checked (same run,
    task, filter and doc); when it is not, nothing is claimed about it.

    Returns a dict: ``kind`` (``generation_0``: the log scored generation #0 of the item, not
    this one; ``group``: it scored the item's generations as a group, metrics kept on
    generation 0; ``none``: the log has no score for the item; ``unknown``: generation 0 was
    not found), ``sample_id`` (the sample holding the log's score: generation 0; None for
    ``unknown``), ``metrics`` (metric -> value as logged, {} when none), ``official`` (the
    log's score on generation 0, in [0, 1], or None) and ``text`` (the sentence the text
    output prints)."""
    if s.get("score_source") != "capslice-strict":
        return None
    k = int(s.get("sample_idx") or 0)
    first: Mapping[str, Any] | None = s if k == 0 else None
    if k > 0:
        from .store import StoreError

        try:
            other: Mapping[str, Any] | None = ws.sample(int(s["id"]) - k)
        except StoreError:  # no such sample: nothing is claimed
            other = None
        same = ("run_id", "task", "filter", "doc_id")
        if (
            other is not None
            and other.get("sample_idx") == 0
            and all(other.get(c) == s.get(c) for c in same)
        ):
            first = other
    capslice = "capslice's strict extraction scored this one"
    if first is None:
        text = f"none for this generation (#{k}); {capslice}"
        return {"kind": "unknown", "sample_id": None, "metrics": {}, "official": None,
                "text": text}  # fmt: skip
    said = {"sample_id": first["id"], "metrics": dict(first.get("metrics") or {}),
            "official": first.get("official")}  # fmt: skip
    logged = _logged(first)
    if not logged:
        return {"kind": "none", **said, "text": f"none for this item; {capslice}"}
    where = f"sample {first['id']}" if first is not s else "this sample"
    if first.get("official") is not None:
        text = (f"{logged} on generation #0 of this item ({where}): the log scored one "
                f"generation of the item (its filter keeps the first), not this one (#{k}); "
                f"{capslice}")  # fmt: skip
        return {"kind": "generation_0", **said, "text": text}
    text = (f"{logged} for this item's generations as a group (kept on {where}): which "
            f"generation it scored cannot be told; {capslice}")  # fmt: skip
    return {"kind": "group", **said, "text": text}
