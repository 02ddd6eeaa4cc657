"""Markdown review report for a diagnosis: paste-ready, every percentage with its counts."""

from __future__ import annotations

from typing import Any

from .render import count, interval, pct, pvalue

BAR_WIDTH = 24


def bar(value: float, scale: float, width: int = BAR_WIDTH) -> str:
    """A text bar for ``value`` on ``[-scale, scale]``: ``-####`` / ``+##`` (no colour needed)."""
    if scale <= 0:
        return ""
    n = int(round(min(abs(value) / scale, 1.0) * width))
    return ("-" if value < 0 else "+") + "#" * n


def evidence_value(e: dict[str, Any]) -> str:
    """An evidence value with its unit: ``-28.1 points``, ``68.5%``, ``p=4.6e-41``, ``0 slices``."""
    value, unit = e.get("value"), e.get("unit") or ""
    if value is None or value == "":
        return "-" if unit else ""
    if unit == "%":
        return f"{value}%"
    if unit == "p":
        return f"p={value}"
    if unit == "points" and isinstance(value, (int, float)):
        return f"{value:+.1f} points"
    return f"{value} {unit}".strip()


def slice_heading(diag: dict[str, Any]) -> str:
    """Heading of the slice list: what the search looked for, kept and tested counts."""
    kept, tested = len(diag["slices"]), diag["slices_tested"]
    if diag["mode"] == "change":
        what = (
            "Slices where losses (right->wrong) are concentrated despite the gain"
            if diag.get("direction") == "gain"
            else "Slices where the change is concentrated"
        )
        return (
            f"{what} ({kept} kept of {tested} tested, BH q=0.05: share of lost items "
            "(right->wrong) significantly above the overall share)"
        )
    return f"Slices significantly weaker than the rest ({kept} kept of {tested} tested, BH q=0.05)"


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
    return out + [""]


def diagnosis_markdown(diag: dict[str, Any]) -> list[str]:
    """The verdict, evidence, failure modes and significant slices of a diagnosis as Markdown."""
    reason = diag.get("reason")
    why = f" ({reason.replace('_', ' ')})" if reason else ""
    lines = [f"## Verdict: **{diag['verdict']}**{why}", "", diag["summary"], ""]
    if diag["causes"]:
        lines += ["Likely causes:", ""] + [f"1. {c}" for c in diag["causes"]] + [""]
    lines += ["### Evidence", ""]
    lines += _table(
        ["evidence", "value", "detail"],
        [[e["name"], evidence_value(e), e["detail"]] for e in diag["evidence"]],
    )
    runs = list(diag["failure_modes"])
    modes = list(next(iter(diag["failure_modes"].values())))
    lines += ["### Failure modes (samples)", ""]
    lines += _table(
        ["mode", *runs], [[m, *(diag["failure_modes"][r][m] for r in runs)] for m in modes]
    )
    if diag["failure_mode_shift"]:
        lines += ["### Where the change comes from, by failure mode", ""]
        scale = max((abs(r["contribution"]) for r in diag["failure_mode_shift"]), default=0)
        lines += _table(
            ["mode", "base share", "cand share", "points of accuracy", ""],
            [
                [r["mode"], pct(r["base_share"]), pct(r["cand_share"]), f"{100 * r['contribution']:+.1f}",
                 "`" + bar(r["contribution"], scale) + "`"]
                for r in diag["failure_mode_shift"]
            ],
        )  # fmt: skip
    for axis, rows in diag["axes"].items():
        lines += [f"### By {axis}", ""]
        if diag["mode"] == "change":
            scale = max((abs(r["contribution"]) for r in rows), default=0)
            lines += _table(
                ["value", "items", "base", "cand", "delta", "contribution", ""],
                [
                    [r["value"], f"{r['n_items']:g}", pct(r["base_score"]), pct(r["cand_score"]),
                     f"{100 * r['delta']:+.1f}", f"{100 * r['contribution']:+.1f}",
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
                     f"{100 * r['deficit']:+.1f}", "`" + bar(r["deficit"], scale) + "`"]
                    for r in rows
                ],
            )  # fmt: skip
    lines += [f"### {slice_heading(diag)}", ""]
    score_head = (
        "cand score (samples)" if diag["mode"] == "change" else "mean per-item score (samples)"
    )
    if diag["slices"]:
        lines += _table(
            ["slice", "items", score_head, "95% CI", "p adj", "wrong-answer share of failing items",
             "weakest task_type x solving_operation (samples)"],
            [
                [s["label"], s["n_items"], f"{pct(s['score'])} ({count(s['correct'], s['n_samples'])})",
                 interval(s["ci_low"], s["ci_high"]), pvalue(s["p_adjusted"]), pct(s["wrong_answer_share"]),
                 "; ".join(f"{c['task_type']} x {c['solving_operation']} {pct(c['score'])} "
                           f"({count(c['correct'], c['n_samples'])}, {c['n_items']} items)"
                           for c in s["combinations"][:3])]
                for s in diag["slices"]
            ],
        )  # fmt: skip
    elif diag["mode"] == "change":
        lines += [
            "None: no slice's losses stand out beyond the overall change. Per-slice paired tests: "
            f"`capslice compare {diag['base']} {diag['cand']} --by task_type`.",
            "",
        ]
    else:
        lines += ["None.", ""]
    lines += [f"- {n}" for n in diag.get("notes", [])]
    return lines


def comparison_markdown(cmp: dict[str, Any], title: str) -> list[str]:
    """A comparison table as Markdown."""
    lines = [f"### {title}", ""]
    rows = []
    for r in [*cmp["rows"], cmp["overall"]]:
        key = " & ".join(r["slice"].values()) if r is not cmp["overall"] else "**all**"
        rows.append(
            [key, r["n_items"], f"{pct(r['base']['score'])} ({count(r['base']['correct'], r['base']['n'])})",
             f"{pct(r['cand']['score'])} ({count(r['cand']['correct'], r['cand']['n'])})",
             f"{100 * r['diff']:+.1f}", interval(r["diff_low"], r["diff_high"]), pvalue(r["p_value"]),
             pvalue(r["p_adjusted"]), r["marker"], r["warning"] or ""]
        )  # fmt: skip
    lines += _table(
        ["slice", "items", "base", "cand", "diff (pts)", "95% CI", "p", "p adj", "sig", "note"],
        rows,
    )
    lines.append(
        f"{cmp['n_tested']} slices tested ({cmp['rows'][0]['test'] if cmp['rows'] else '-'}); "
        f"Benjamini-Hochberg at q={cmp['q']}; `worse*`/`better*` = significant after correction."
    )
    return lines + [""] + [f"- {n}" for n in cmp["notes"]] + [""]


def report_markdown(
    runs: dict[str, dict[str, Any]],
    comparisons: list[tuple[str, dict[str, Any]]],
    diag: dict[str, Any],
) -> str:
    """The whole review report: runs, comparisons by task and by each axis, the diagnosis."""
    base, cand = diag["base"], diag["cand"]
    lines = [
        f"# capslice report: {cand} vs {base}"
        + (f" on {diag['benchmark']}" if diag["benchmark"] else ""),
        "",
    ]
    lines += _table(
        ["run", "model", "step", "samples", "benchmarks"],
        [
            [r["name"], r["model"] or "-", r["step"] or "-", r["n_samples"],
             "; ".join(f"{b} {pct(s['score'])} ({count(s['correct'], s['n_samples'])})" for b, s in r["benchmarks"].items())]
            for r in runs.values()
        ],
    )  # fmt: skip
    lines += diagnosis_markdown(diag)
    lines += ["## Paired comparisons", ""]
    for title, cmp in comparisons:
        lines += comparison_markdown(cmp, title)
    return "\n".join(lines) + "\n"
