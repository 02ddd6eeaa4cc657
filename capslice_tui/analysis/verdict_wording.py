"""The wording of verdicts: evidence lines, numbers in sentences and the texts that explain a
change. :mod:`capslice_tui.analysis.verdict` holds the rules and calls these.

Numbers are written through :mod:`capslice_tui.formatting` where it has the form (percentages,
points); p-values in verdict texts keep their own form (``0.0312``, ``4.6e-41``, ``<1e-300``)
because an evidence line must show how far below a threshold a tiny p is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from capslice_tui.analysis.compare import PairedResult, required_items
from capslice_tui.analysis.decompose import CARRY_SHARE, Decomposition
from capslice_tui.analysis.evaluation import EvaluationCheck
from capslice_tui.analysis.failure_modes import FORMAT_MODES
from capslice_tui.analysis.slice_search import PairedSlice, PairedSliceSearch, SignificantSlice
from capslice_tui.formatting import (
    change_points,
    p_adj_text,
    p_join,
    p_text,
    pct,
    pct_count,
    plural,
    point_value,
    points,
    pvalue,
    rounding_note,
)


@dataclass(frozen=True)
class Evidence:
    """One checkable fact behind a verdict.

    Attributes:
        name: what was measured.
        value: the number, in ``unit`` (or a count string like ``"8/30"``, unit ``slices``).
        detail: the counts and context a reviewer can check.
        unit: unit of ``value``: ``points`` (of accuracy), ``%``, ``p``, ``items``,
            ``slices``, or ``""`` for text.
    """

    name: str
    value: Any
    detail: str
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with keys name, value, unit, detail."""
        return {"name": self.name, "value": self.value, "unit": self.unit, "detail": self.detail}


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _pct(x: float | None) -> str:
    return "n/a" if _nan(x) else pct(x)


def _pts(x: float) -> str:
    return change_points(x)


def _r1(x: float | None) -> float | None:
    """A proportion as a number of percent or points, one decimal (None when undefined)."""
    return None if _nan(x) or (isinstance(x, float) and math.isinf(x)) else point_value(x)


def _num(x: float) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _p(p: float) -> str:
    """A p-value for text as every table prints it (:func:`formatting.pvalue`): ``0.0312``,
    ``<1e-4``; ``n/a`` when undefined."""
    return "n/a" if _nan(p) else pvalue(p)


def _pe(p: float, n_boot: int | None = 0) -> str:
    """``=0.031`` or ``<0.0001``: a p-value after its name (``p{_pe(p)}``), joined as every
    text joins them (:func:`formatting.p_join`); ``n_boot``: the resamples of a paired
    bootstrap, whose p at its floor 1/(B+1) reads ``<0.001`` (:func:`formatting.p_text`);
    ``=n/a`` when undefined, as the verdict writes every undefined figure."""
    return p_join("", "n/a" if _nan(p) else p_text(p, n_boot))


def _pae(p_adj: float, p: float | None, n_boot: int | None) -> str:
    """``=0.041`` or ``<=0.0020``: an adjusted p after its name (:func:`formatting.p_join`),
    a bound when the raw ``p`` is a paired-bootstrap p at its floor
    (:func:`formatting.p_adj_text`)."""
    return p_join("", "n/a" if _nan(p_adj) else p_adj_text(p_adj, p, n_boot))


def _p_value(p: float, n_boot: int = 0) -> float | str | None:
    """A p-value as a number with 2 significant digits (``4.6e-41``), None when undefined;
    a paired-bootstrap p at its floor 1/(B+1) as the text ``<0.001`` (:func:`formatting.p_text`),
    never the rounded ``0.001`` that reads as a threshold."""
    if _nan(p):
        return None
    floor = p_text(p, n_boot)
    return floor if floor.startswith("<") and n_boot else float(f"{p:.2g}")


def _overall_evidence(overall: PairedResult) -> list[Evidence]:
    b, c = overall.base, overall.cand
    test = (
        f"exact McNemar, b={overall.b} right->wrong, c={overall.c} wrong->right"
        if overall.test == "mcnemar-exact"
        else f"paired bootstrap over {overall.n_items} items, B={overall.n_boot}"
    )
    return [
        Evidence(
            "accuracy change", _r1(overall.diff),
            f"{b.metric_name} {pct_count(b.score, b.correct, b.n_samples)} -> "
            f"{pct_count(c.score, c.correct, c.n_samples)}; "
            f"{_pts(overall.diff)}, 95% CI [{_pts(overall.diff_lo)}, {_pts(overall.diff_hi)}]",
            "points",
        ),
        Evidence("paired p-value", _p_value(overall.p_value, overall.n_boot),
                 f"{test}; n={overall.n_items} items", "p"),
    ]  # fmt: skip


def _inconclusive_power(overall: PairedResult) -> tuple[str, Evidence]:
    n = overall.n_items
    psi = None
    if overall.test == "mcnemar-exact" and overall.b is not None and overall.c is not None:
        psi = (overall.b + overall.c) / n if n and overall.b + overall.c else None
    mdd = overall.mdd
    if overall.test == "mcnemar-exact":
        need = required_items(overall.diff, psi) if overall.diff else math.inf
    else:
        # normal approximation: n_needed = n · (mdd / |diff|)²
        need = (
            math.ceil(n * (mdd / abs(overall.diff)) ** 2)
            if overall.diff and not math.isnan(mdd)
            else math.inf
        )
    mdd_txt = "no difference" if math.isinf(mdd) else points(mdd, " points", signed=False)
    if math.isinf(need) or math.isnan(need):
        more = f"the observed change is {_pts(overall.diff)}, too small to size a larger test"
    else:
        more = (
            f"detecting the observed {_pts(overall.diff)} would take about {int(need):,} "
            f"items ({max(int(need) - n, 0):,} more)"
        )
    text = f"With {n} items the smallest detectable change is {mdd_txt}; {more}."
    return text, Evidence(
        "minimum detectable difference", _r1(mdd),
        f"smallest change {n} items can detect: {mdd_txt} (α=0.05, power 0.8, Connor 1987); "
        f"items needed for the observed change: "
        f"{'n/a' if math.isinf(need) or math.isnan(need) else int(need)}",
        "points",
    )  # fmt: skip


def _signal_share(signals: Mapping[str, int] | None, name: str) -> float | None:
    if not signals or not signals.get("n"):
        return None
    return signals.get(name, 0) / signals["n"]


def _modes_text(counts: Mapping[str, float] | None) -> str:
    if not counts:
        return ""
    parts = [f"{_num(v)} {m}" for m, v in sorted(counts.items(), key=lambda t: -t[1]) if v]
    return " + ".join(parts)


_SIGNALS = (
    ("cap", "samples at the generation cap"),
    ("new_block", "samples starting a new few-shot block"),
    ("stop_literal", "samples with literal stop-token text"),
    ("repetition", "samples in a repetition loop"),
)


_CAP_CLASSED = {
    "wrong_answer": "a complete wrong answer, then the text ran on to the cap",
    "extraction_failure": "the right answer is in the text but was not extracted",
    "runaway": "a loop the cap cut",
    "correct": "the right answer before the cap",
    "empty": "no text",
}
"""What a sample at the generation cap holds when its failure mode is not ``truncated``
(``failure_modes.classify``: a cap hit is classed by what its text holds)."""


def _cap_counted(*cap_modes: Mapping[str, float] | None) -> str:
    """What the cap signal counts besides truncated samples, from the cap hits by mode of
    each side (failure mode -> samples; None or empty: not known): the modes other than
    ``truncated`` with a cap hit, most first, each with what such a sample holds
    (:data:`_CAP_CLASSED`); without by-mode counts, the modes a cap hit can be classed as."""
    known = [m for m in cap_modes if m and any(m.values())]
    if not known:
        return (
            "counted over failing samples of every mode, not only truncated ones: a sample "
            "at the cap is classed by what its text holds (wrong_answer when it gave a "
            "complete wrong answer, extraction_failure when the right answer is in it, "
            "runaway when it loops)"
        )
    hits: dict[str, float] = {}
    for m in known:
        for mode, k in m.items():
            hits[mode] = hits.get(mode, 0.0) + float(k or 0)
    other = [m for m, k in sorted(hits.items(), key=lambda t: -t[1]) if k and m != "truncated"]
    if not other:
        return "counted over failing samples of every mode; every one here is truncated"
    said = ", ".join(f"{m} ({_CAP_CLASSED.get(m, 'classed by what its text holds')})"
                     for m in other)  # fmt: skip
    return (
        "counted over failing samples of every mode, so it includes samples that hit the "
        f"cap but are classed by what their text holds, not truncated: {said}"
    )


def _signal_evidence(
    base_signals: Mapping[str, int] | None,
    cand_signals: Mapping[str, int] | None,
    base_cap_modes: Mapping[str, float] | None,
    cand_cap_modes: Mapping[str, float] | None,
    who: str = "candidate",
) -> tuple[dict[str, float], list[Evidence]]:
    """Per-signal move (cand share − base share) and one evidence line per signal. One run
    (weakness mode): ``base_signals`` None, the moves are the run's own shares, and ``who``
    names the run in the details."""
    moves: dict[str, float] = {}
    ev: list[Evidence] = []
    for name, label in _SIGNALS:
        cs, bs = _signal_share(cand_signals, name), _signal_share(base_signals, name)
        if cs is None:
            continue
        moves[name] = cs - (bs or 0.0)
        detail = f"{who} {cand_signals[name]}/{cand_signals['n']} ({_pct(cs)})"  # type: ignore[index]
        if bs is not None:
            detail += f" vs base {base_signals[name]}/{base_signals['n']} ({_pct(bs)})"  # type: ignore[index]
        if name == "cap":
            detail += "; " + _cap_counted(cand_cap_modes, base_cap_modes)
            by_mode = [
                f"{side} {_modes_text(m)}"
                for side, m in ((who, cand_cap_modes), ("base", base_cap_modes))
                if m and any(m.values())
            ]
            if by_mode:
                detail += "; cap hits by mode: " + "; ".join(by_mode)
        ev.append(Evidence(label, _r1(cs), detail, "%"))
    return moves, ev


def _shares(dec: Decomposition) -> tuple[float, float]:
    total = dec.total_change
    if not total:
        return math.nan, math.nan
    # + 0.0: a part of exactly 0 of a negative net is 0.0, never printed "-0.0%"
    return dec.format_contribution / total + 0.0, dec.wrong_answer_contribution / total + 0.0


def _against(dec: Decomposition) -> bool:
    """True when the format part or the wrong-answer part moved against the net change."""
    t = dec.total_change
    return dec.format_contribution * t < 0 or dec.wrong_answer_contribution * t < 0


def _mode_move(dec: Decomposition, m: str) -> str:
    n = dec.n_items
    b, c = dec.mode_shares_base[m], dec.mode_shares_cand[m]
    return f"{m} {_num(b * n)}/{_num(n)} -> {_num(c * n)}/{_num(n)}"


def _format_parts(dec: Decomposition) -> str:
    """``extraction_failure -20.4 points, truncated -15.2 points, runaway -6.0 points``: every
    format mode that moved (rounded to 0.1 point), largest first, so the parts make up the
    format total they are listed beside; ``; parts rounded separately`` after them when the
    rounded parts do not add up to the rounded total (:func:`_format_rounding`)."""
    top = sorted(FORMAT_MODES, key=lambda m: -abs(dec.mode_contributions[m]))
    parts = ", ".join(
        f"{m} {_pts(dec.mode_contributions[m])}"
        for m in top
        if point_value(dec.mode_contributions[m])
    )
    note = _format_rounding(dec)
    return f"{parts}; {note}" if parts and note else parts


def _format_rounding(dec: Decomposition) -> str:
    """``parts rounded separately`` when the format modes' points, each rounded to 0.1, do
    not add up to the format total as printed (-35.2 - 20.8 - 6.0 beside -62.1); else ``""``."""
    return rounding_note([dec.mode_contributions[m] for m in FORMAT_MODES], dec.format_contribution)


def _why_opposite(dec: Decomposition) -> str:
    """Why the part that moved against the net change moved, from the mode transitions."""
    tr = dec.transitions
    if dec.wrong_answer_contribution * dec.total_change < 0:
        if dec.wrong_answer_contribution > 0:  # fewer wrong answers during a drop
            moved = {f: tr.get("wrong_answer", {}).get(f, 0.0) for f in FORMAT_MODES}
            fixed = tr.get("wrong_answer", {}).get("correct", 0.0)
            if sum(moved.values()):
                return (
                    f"because {_num(sum(moved.values()))} items that were wrong answers became "
                    f"format failures ({_modes_text(moved)})"
                    + (f" (and {_num(fixed)} wrong answers became right)" if fixed else "")
                )
            return "because fewer items end in a wrong answer"
        moved = {f: tr.get(f, {}).get("wrong_answer", 0.0) for f in FORMAT_MODES}
        lost = tr.get("correct", {}).get("wrong_answer", 0.0)
        if sum(moved.values()):
            return (
                f"because {_num(sum(moved.values()))} items that were format failures "
                f"({_modes_text(moved)}) now end in a scoreable but wrong answer"
                + (f" (and {_num(lost)} right answers became wrong)" if lost else "")
            )
        return "because more items end in a wrong answer"
    if dec.format_contribution > 0:  # fewer format failures during a drop
        out = {
            f: sum(v for k, v in tr.get(f, {}).items() if k in ("correct", "wrong_answer"))
            for f in FORMAT_MODES
        }
        if sum(out.values()):
            return (
                f"because {_num(sum(out.values()))} items that were format failures "
                f"({_modes_text(out)}) now end in an answer"
            )
        return "because fewer items are format failures"
    into = {
        f: sum(tr.get(k, {}).get(f, 0.0) for k in ("correct", "wrong_answer")) for f in FORMAT_MODES
    }
    if sum(into.values()):
        return (
            f"because {_num(sum(into.values()))} items became format failures ({_modes_text(into)})"
        )
    return "because more items are format failures"


def _split_text(dec: Decomposition, lead: str) -> str:
    """How the net change splits into format failures and wrong answers, always true.

    ``lead`` is ``"format"`` or ``"wrong"``: the part named first. Shares are given as
    percentages only when both parts move with the net change (so both lie in [0, 100%]);
    otherwise both parts are given in points with the net.
    """
    total = dec.total_change
    direction = "drop" if total < 0 else "gain"
    fmt_share, wrong_share = _shares(dec)
    fmt_txt = _format_parts(dec)
    if not _against(dec):
        if lead == "format":
            return (
                f"{_pct(fmt_share)} of the {_pts(total)} {direction} comes from format "
                f"failures ({fmt_txt or 'none'}); wrong answers carry {_pct(wrong_share)}"
            )
        what = "wrong answers" if total < 0 else "carried by answers becoming right"
        return (
            f"{_pct(wrong_share)} of the {_pts(total)} {direction} is {what} "
            f"({_pts(dec.wrong_answer_contribution)}); format failures carry {_pct(fmt_share)}"
        )
    fmt_part = f"format failures account for {_pts(dec.format_contribution)}" + (
        f" ({fmt_txt})" if fmt_txt else ""
    )
    wrong_part = f"wrong answers account for {_pts(dec.wrong_answer_contribution)}"
    why = _why_opposite(dec)
    if dec.wrong_answer_contribution * total < 0:
        wrong_part = f"wrong answers moved {_pts(dec.wrong_answer_contribution)} {why}"
    else:
        fmt_part = f"format failures moved {_pts(dec.format_contribution)} {why}"
    first, second = (fmt_part, wrong_part) if lead == "format" else (wrong_part, fmt_part)
    net = rounding_note([dec.format_contribution, dec.wrong_answer_contribution], total)
    return f"{first}; {second}; net {_pts(total)}" + (f" ({net})" if net else "")


def _share_text(dec: Decomposition, part: float, other: float, other_name: str) -> str:
    """``part`` (points) set against the net change, worded for a first reading: a share of
    the net only when it lies in [0, 100%]; a part larger than the net is said in points
    ("on its own -41.7 points, more than the net -28.1 points: wrong answers moved the other
    way (+13.5 points) and offset part of it, so this part carries all of the net change":
    the demo's ``capslice diagnose bbh-base bbh-eos-masked``),
    never as a share above 100%; a part moving against the net is said to offset it. For
    the format part, led by ``modes' points rounded separately;`` when its modes' points
    (listed before it) do not add up to it as printed."""
    total = dec.total_change
    if not total:
        return "no net change"
    # the format part's evidence lists its modes' points just before this: when they miss
    # its total as printed, say why (each is rounded once, on its own)
    fmt = part == dec.format_contribution and other == dec.wrong_answer_contribution
    lead = "modes' points rounded separately; " if fmt and _format_rounding(dec) else ""
    share = part / total
    if share < 0:
        return (
            f"{lead}{_pts(part)} in the other direction from the net {_pts(total)} change: "
            "it offset part of the change, so this part carries none of it"
        )
    if share > 1 + 1e-9 and pct(share) != "100.0%":
        return (
            f"{lead}on its own {_pts(part)}, more than the net {_pts(total)}: {other_name} "
            f"moved the other way ({_pts(other)}) and offset part of it, so this part "
            "carries all of the net change"
        )
    return f"{lead}{_pct(share)} of the net {_pts(total)}"


def _spread_evidence(dec: Decomposition) -> list[Evidence]:
    out = []
    for axis in dec.content_axes:
        c = dec.concentration.get(axis)
        if c is None or c.pattern == "single_slice":
            continue
        out.append(
            Evidence(
                f"{axis}: slices moving with the change",
                f"{c.n_moving}/{c.n_eligible}",
                f"pattern {c.pattern}; top slice {c.top_value} carries {_pct(c.top_share)}; "
                f"{plural(c.n_carrying, 'slice')} holding {_pct(c.carrying_weight)} of the items "
                f"{'carries' if c.n_carrying == 1 else 'carry'} "
                f"{CARRY_SHARE:.0%} of it; normalised entropy "
                f"{c.entropy:.2f} (slices with >= {dec.min_size} items)",
                "slices",
            )  # fmt: skip
        )
    return out


def _moving_text(dec: Decomposition) -> str:
    parts = [
        f"{a} {c.n_moving}/{c.n_eligible}"
        for a in dec.content_axes
        if (c := dec.concentration.get(a)) is not None and c.pattern != "single_slice"
    ]
    return ", ".join(parts)


def _slice_evidence(
    s: SignificantSlice, kind: str = "change", samples: tuple[float, int] | None = None
) -> Evidence:
    """One significant slice. ``kind`` ``change``: the error is the lost-item indicator;
    ``weakness``: the per-item error (1 − item accuracy). ``samples``: (correct, samples)."""
    sl = s.slice
    fails = sum(s.mode_counts.values())
    wrong = s.mode_counts.get("wrong_answer", 0)
    modes = ", ".join(f"{m} {c}" for m, c in s.mode_counts.items())
    test = f"p{_pe(s.p_value)}, BH p_adj{_pe(s.p_adj)} over {s.n_tested} slices tested"
    # the value is named in the evidence name (walk 9 #12: an unlabelled error rate led the
    # line while the slice list below leads with accuracy)
    if kind == "change":
        what = "share of items lost"
        head = (
            f"lost (right->wrong) {_num(sl.errors)}/{sl.size} = {_pct(sl.error)} vs "
            f"{_pct(s.overall_error)} overall"
        )
        tail = f"; lost items by candidate mode: {modes} (wrong answers {wrong}/{fails})"
    else:
        what = "mean per-item error"
        head = f"{sl.size} items, vs {_pct(s.overall_error)} over all items"
        if samples is not None:
            c, n = samples
            head += f"; samples: {_num(n - c)}/{n} wrong ({_pct((n - c) / n if n else math.nan)})"
        tail = f"; items failing by dominant mode: {modes} (wrong answers {wrong}/{fails})"
    return Evidence(
        f"slice {s.label}, {what}",
        _r1(sl.error),
        f"{head}; {test}" + (tail if fails else ""),
        "%",
    )


def _largest_drops(dec: Decomposition, k: int = 3) -> str:
    """The content slices contributing most to the change, on the first informative axis."""
    for axis in ("task_type", "solving_operation", "background_condition", *dec.content_axes):
        rows = [d for d in dec.axes.get(axis, []) if d.eligible]
        if len(rows) < 2:
            continue
        sign = -1 if dec.total_change < 0 else 1
        rows = sorted(rows, key=lambda d: -sign * d.contribution)[:k]
        return "; ".join(
            f"{axis}={d.value} {_pct(d.base_score)} -> {_pct(d.cand_score)} "
            f"({_num(d.items)} items, {_pts(d.contribution)} of the total)"
            for d in rows
            if d.contribution * sign > 0
        )
    return ""


def _test_label(row: Mapping[str, Any]) -> str:
    key = row.get("slice") or {}
    return (
        ", ".join(f"{k}={v}" for k, v in key.items())
        if len(key) > 1
        else (f"{next(iter(key))} {next(iter(key.values()))}" if key else "?")
    )


def _test_text(row: Mapping[str, Any], family: str = "") -> str:
    """``task word_sorting 40.0% -> 50.0% (+10.0 points, 250 items, p_adj=0.003 over 27
    tasks)``. ``family``: what the Benjamini-Hochberg correction of ``p_adjusted`` ran over
    (``27 tasks``), named beside every adjusted p so it is never read as the slice search's
    (over all axis combinations) for the same slice."""
    b, c = row["base"], row["cand"]
    over = f" over {family}" if family else ""
    return (
        f"{_test_label(row)} {_pct(b['score'])} -> {_pct(c['score'])} ({_pts(row['diff'])}, "
        f"{row['n_items']} items, p_adj{_pae(row['p_adjusted'], row.get('p_value'), row.get('n_boot'))}{over})"
    )


def _nature_text(dec: Decomposition) -> str:
    """The nature of a change by failure mode, from the mode shares and transitions."""
    n = dec.n_items
    tr = dec.transitions
    fmt_base = sum(dec.mode_shares_base[m] for m in FORMAT_MODES) * n
    fmt_cand = sum(dec.mode_shares_cand[m] for m in FORMAT_MODES) * n
    wa = _mode_move(dec, "wrong_answer")
    if dec.total_change > 0:
        from_wrong = tr.get("wrong_answer", {}).get("correct", 0.0)
        head = (
            f"by failure mode it is wrong answers turning right: {_num(from_wrong)} of the "
            f"{_num(dec.gained)} items gained (wrong -> right) were wrong answers in the base "
            f"({wa} items)"
        )
    else:
        to_wrong = dec.lost_by_mode.get("wrong_answer", 0.0)
        head = (
            f"by failure mode it is right answers turning into wrong answers: {_num(to_wrong)} "
            f"of the {_num(dec.lost)} items lost (right -> wrong) end as wrong answers in the "
            f"candidate ({wa} items)"
        )
    if not round(fmt_base) and not round(fmt_cand):
        tail = (
            "; there are no format failures (extraction, truncation, runaway, empty) in "
            "either run, so it is not a termination or extraction change"
        )
    else:
        tail = (
            f"; format failures {_num(fmt_base)} -> {_num(fmt_cand)} items "
            f"({_pts(dec.format_contribution)} of accuracy)"
        )
    return head + tail


def _pattern_text(pattern: str) -> str:
    """A content pattern in plain words (the pattern names are tokens, never prose)."""
    return {
        "concentrated": "concentrated in a few content slices",
        "spread": "spread across the content slices",
        "mixed": "neither concentrated in a few content slices nor spread across them",
        "no_change": "not carried by any content slice",
        "single_slice": "on a single content slice",
    }.get(pattern, "not measurable on the content slices")


def _axes_text(uninformative: Mapping[str, str], content_axes: Sequence[str]) -> str:
    """``every item carries the same label on each axis (task_type=word_problem, ...)``."""
    same = [r.split(" is ", 1)[1] for r in uninformative.values() if r.startswith("every")]
    if len(same) == len(uninformative):
        return f"every item carries the same label on each axis ({', '.join(same)})"
    return "; ".join(f"{a}: {r}" for a, r in uninformative.items())


def _test_name(test: str) -> str:
    """``mcnemar-exact`` -> ``exact McNemar`` (test tokens never appear in a sentence)."""
    return {"mcnemar-exact": "exact McNemar", "paired-bootstrap": "paired bootstrap"}.get(
        test, test
    )


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _who(benchmark: str | None) -> str:
    return f"{benchmark} items" if benchmark else "the items"


def _axes_evidence(
    uninformative: Mapping[str, str] | None, benchmark: str | None, content_axes: Sequence[str]
) -> list[Evidence]:
    if not uninformative:
        return []
    n_content = sum(1 for a in content_axes if a in uninformative)
    return [
        Evidence(
            "axes that cannot tell the items apart", len(uninformative),
            f"{_who(benchmark)} cannot be told apart on {', '.join(uninformative)}, "
            f"{_content_share(n_content, len(content_axes), len(uninformative))}; "
            f"{_reasons(uninformative)}; item-level labelling rules, from the question or the "
            "reference solution, would give finer slices",
            "axes",
        )
    ]  # fmt: skip


def _content_share(n_content: int, n_axes: int, n_listed: int) -> str:
    """``all 3 content axes`` or ``2 of the 3 content axes`` (``among them`` when other axes
    are listed too): one phrase, not a parenthesis inside the evidence line's own."""
    share = f"all {n_axes}" if n_content == n_axes else f"{n_content} of the {n_axes}"
    return f"{share} content axes" + (" among them" if n_listed > n_content else "")


def _reasons(uninformative: Mapping[str, str]) -> str:
    """Why each axis cannot tell the items apart: ``on each, no item is labelled`` when one
    reason holds for all, else ``task_type: no item is labelled; ...``."""
    reasons = set(uninformative.values())
    if len(uninformative) > 1 and len(reasons) == 1:
        return f"on each, {reasons.pop()}"
    return "; ".join(f"{a}: {r}" for a, r in uninformative.items())


def _evaluation_evidence(evaluation: EvaluationCheck | None) -> list[Evidence]:
    if evaluation is None:
        return []
    material = evaluation.phrases(True)
    other = evaluation.phrases(False)
    if material:
        detail = "; ".join(material)
    elif evaluation.not_compared:
        detail = f"no difference found, but {evaluation.not_compared_text()}"
    else:
        detail = "prompts, few-shot, decoding and scoring agree"
    if other:
        detail += "; not material on its own: " + "; ".join(other)
    if evaluation.unchecked:
        detail += "; recorded by one run only (not compared): " + ", ".join(evaluation.unchecked)
    if evaluation.not_recorded:
        detail += (
            f"; no evaluation settings recorded for the {' and '.join(evaluation.not_recorded)} "
            "run (ingested before capslice recorded them: ingest again into a new store to check)"
        )
    n = sum(1 for d in evaluation.differences if d.material)
    return [
        Evidence(
            "evaluation differences on the shared items", n,
            f"{evaluation.n_items:,} shared items compared (prompt hash, few-shot count, "
            f"prompting, decoding, filter, scorer, harness): {detail}",
            "setting" if n == 1 else "settings",
        )
    ]  # fmt: skip


def _slice_tests_name(search: PairedSliceSearch) -> str:
    """The paired test the tested slices used, named as run: ``exact McNemar, two-sided``
    (greedy 0/1 items), ``paired bootstrap over items, two-sided, B=1000`` (several samples
    per item), or both with their slice counts when the slices mixed them."""
    tested = [s.result for s in search.slices if not _nan(s.p_value)]
    mcnemar = sum(1 for r in tested if r.test == "mcnemar-exact")
    boots = sorted({r.n_boot for r in tested if r.test != "mcnemar-exact"})
    boot = "paired bootstrap over items, two-sided" + (
        f", B={'/'.join(str(b) for b in boots)}" if boots else ""
    )
    if not mcnemar and boots:
        return boot
    if mcnemar and boots:
        return (
            f"exact McNemar, two-sided, on {mcnemar} slices; {boot}, on "
            f"{len(tested) - mcnemar} slices"
        )
    return "exact McNemar, two-sided"


def untested_text(min_size: int) -> str:
    """Why a paired slice search tested no slice, said instead of ``none of the 0 slices``
    (``no slice was tested: ...``): no axis label splits the items into slices of at least
    ``min_size`` items (items nobody labelled all read as one value; a slice holding every
    item is the run itself)."""
    return f"no axis label splits the items into slices of at least {min_size} items"


def _paired_evidence(search: PairedSliceSearch | None, dec: Decomposition) -> list[Evidence]:
    """How many distinct slices change significantly (paired test, BH across all of them)."""
    if search is None:
        return []
    sig = search.significant
    if not search.n_tested:
        return [
            Evidence(
                "slices with a significant paired change",
                0,
                f"none tested: {untested_text(dec.min_size)}; per-task paired tests: "
                "`capslice compare`",
                "slices",
            )
        ]
    merged = search.n_descriptions - len(search.slices)
    detail = (
        f"{len(sig)} of {search.n_tested} distinct slices tested (every axis combination up "
        f"to 4 with >= {dec.min_size} items; descriptions that select the same items are one "
        f"slice{f', {merged} merged' if merged > 0 else ''}) change significantly: paired test "
        f"per slice ({_slice_tests_name(search)}, as in `capslice compare`), Benjamini-Hochberg "
        f"q={search.q} across all {search.n_tested}"
    )
    tested = [s for s in search.slices if not _nan(s.p_adj)]
    if tested and not sig:
        best = tested[0]
        r = best.result
        pair = f", {r.b} right->wrong vs {r.c} wrong->right" if r.b is not None else ""
        detail += (
            f"; the smallest adjusted p is {p_adj_text(best.p_adj, best.p_value, r.n_boot)} ({best.label}: {_pts(r.diff)} on "
            f"{r.n_items} items{pair}, raw p{_pe(best.p_value, r.n_boot)})"
        )
    return [Evidence("slices with a significant paired change", len(sig), detail, "slices")]


def _paired_slice_evidence(s: PairedSlice) -> Evidence:
    r = s.result
    pair = f"; {r.b} right->wrong, {r.c} wrong->right" if r.b is not None else ""
    test = "exact McNemar" if r.test == "mcnemar-exact" else "paired bootstrap"
    modes = ", ".join(f"{m} {c}" for m, c in s.mode_counts.items())
    moved = "lost" if r.diff < 0 else "gained"
    detail = (
        f"{_pct(r.base.score)} -> {_pct(r.cand.score)} on {r.n_items} items{pair}; {test} "
        f"p{_pe(s.p_value, s.result.n_boot)}, BH p_adj{_pae(s.p_adj, s.p_value, s.result.n_boot)} over {s.n_tested} "
        "slices tested"
    )
    if modes:
        detail += f"; {moved} items by mode: {modes}"
    if s.aliases:
        detail += f"; the same items as {'; '.join(s.aliases[:3])}"
        if len(s.aliases) > 3:
            detail += f" and {len(s.aliases) - 3} more descriptions"
    return Evidence(f"slice {s.label}, change", _r1(r.diff), detail, "points")


def _names(slices: Sequence[PairedSlice], k: int = 4) -> str:
    """``label (-22.1 points, 208 items, p_adj<1e-4 over 27 slices); ...``: each adjusted p
    names its family (the slice search over every axis combination)."""
    text = "; ".join(
        f"{s.label} ({_pts(s.diff)}, {s.n_items} items, p_adj{_pae(s.p_adj, s.p_value, s.result.n_boot)} over "
        f"{plural(s.n_tested, 'slice')})"
        for s in slices[:k]
    )
    return text + (f" and {len(slices) - k} more" if len(slices) > k else "")
