"""``capslice compare``, ``capslice diagnose`` and ``capslice report``."""

from __future__ import annotations

from typing import Any

import click

from ..cli import Ctx, format_option, friendly_errors, pass_ctx
from ..render import count, emit_json, emit_table, interval, pct, pvalue

COMMANDS = ["compare"]


def _side(s: dict[str, Any]) -> str:
    return f"{pct(s['score'])} ({count(s['correct'], s['n'])})"


def comparison_table(cmp: dict[str, Any]) -> tuple[list[str], list[list[Any]], list[str]]:
    """Headers, rows and notes of a comparison for a text or Markdown table."""
    headers = [*cmp["by"], "items", "base", "cand", "diff", "95% CI", "p", "p adj", "sig", "note"]
    rows = []
    for r in [*cmp["rows"], cmp["overall"]]:
        key = list(r["slice"].values()) if r is not cmp["overall"] else ["ALL"] + [""] * (
            len(cmp["by"]) - 1
        )
        rows.append(
            [
                *key,
                r["n_items"],
                _side(r["base"]),
                _side(r["cand"]),
                f"{100 * r['diff']:+.1f}",
                interval(r["diff_low"], r["diff_high"]),
                pvalue(r["p_value"]),
                pvalue(r["p_adjusted"]),
                r["marker"] or "",
                r["warning"] or "",
            ]
        )
    notes = [
        f"{cmp['n_tested']} slices tested; Benjamini-Hochberg at q={cmp['q']}; "
        "worse*/better* = significant after correction; diff in points (cand - base)",
        *cmp["notes"],
    ]
    return headers, rows, notes


@click.command()
@click.argument("base")
@click.argument("cand")
@click.option("--benchmark", default=None)
@click.option("--by", default="task", show_default=True, help="task, benchmark, axis or axis,axis.")
@click.option("--k", type=int, default=None, help="Compare pass@k instead of accuracy (multi-sample runs).")
@click.option("--allow-mismatch", is_flag=True, help="Compare runs that differ in filter, samples or temperature.")
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
    fmt: str,
) -> None:
    """Compare CAND against BASE slice by slice with paired tests (McNemar or bootstrap)."""
    cmp = obj.ws.compare(
        base, cand, benchmark=benchmark, by=by, k=k, allow_mismatch=allow_mismatch
    ).to_dict()
    headers, rows, notes = comparison_table(cmp)
    emit_table(headers, rows, fmt, title=f"{cand} vs {base}", notes=notes, payload=cmp)



