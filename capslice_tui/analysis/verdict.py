"""Data or not data: turn a decomposition, a paired test and failing slices into a verdict.

Rules for a change between two runs (:func:`verdict_for_change`), in order:

1. ``inconclusive`` when the overall paired test is not significant (p >= α) and no slice is
   significant. The summary gives the minimum detectable difference and, from Connor's
   formula with the observed discordance, how many items would detect the observed change.
2. Share of the change carried by format modes: ``format_share`` = Σ contributions of
   ``extraction_failure``, ``truncated``, ``runaway``, ``empty`` / total change (each
   contribution is minus the change in that mode's share; see ``decompose``).
3. ``not_data`` when ``format_share >= FORMAT_SHARE`` (60%) and the change is not
   concentrated on the content axes (``spread`` or ``mixed``). Likely causes come from which
   format modes carry it and from the candidate's text signals (cap hits, new few-shot blocks,
   literal stop tokens), each compared with the base run.
4. ``data`` when the wrong-answer share is >= ``WRONG_SHARE`` (60%) and the change is
   localized: content pattern ``concentrated`` or significant slices whose failing rows are
   mostly wrong answers. The slices are named.
5. ``inconclusive`` otherwise (mixed causes, or format failures concentrated in a few content
   slices, which may be a length need of those items rather than a termination bug).

Thresholds are module constants, recorded in every verdict's evidence.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from capslice_tui.analysis.compare import PairedResult, required_items
from capslice_tui.analysis.decompose import (
    CARRY_SHARE,
    CONTENT_AXES,
    Decomposition,
    SignificantSlice,
    SliceSearch,
    Weakness,
)
from capslice_tui.analysis.failure_modes import FORMAT_MODES

FORMAT_SHARE = 0.6
"""Share of the change carried by format modes above which a change is not a data problem."""

WRONG_SHARE = 0.6
"""Share of the change (or of a slice's failures) that must be wrong answers for ``data``."""

CAP_RISE = 0.05
"""Rise in the share of samples at the generation cap that counts as termination evidence."""

ALPHA = 0.05


@dataclass(frozen=True)
class Evidence:
    """One checkable fact behind a verdict.

    Attributes:
        name: what was measured.
        value: the number (or count string like ``"8/30"``).
        detail: the counts and context a reviewer can check.
    """

    name: str
    value: Any
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"name": self.name, "value": self.value, "detail": self.detail}


@dataclass(frozen=True)
class Verdict:
    """A data / not-data verdict with its evidence.

    Attributes:
        verdict: ``"data"``, ``"not_data"`` or ``"inconclusive"``.
        summary: one or two plain sentences.
        causes: likely causes, most likely first (empty for ``data``/``inconclusive``
            unless a cause is clear).
        evidence: checkable :class:`Evidence` items.
        slices: the significant slices the verdict rests on.
    """

    verdict: str
    summary: str
    causes: list[str]
    evidence: list[Evidence]
    slices: list[SignificantSlice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "verdict": self.verdict, "summary": self.summary, "causes": list(self.causes),
            "evidence": [e.to_dict() for e in self.evidence],
            "slices": [s.to_dict() for s in self.slices],
        }  # fmt: skip


def _pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f}%"


def _pts(x: float) -> str:
    return f"{round(100 * x, 1) + 0.0:+.1f} points"


def _num(x: float) -> str:
    return str(int(round(x))) if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def _p(p: float) -> str:
    return "n/a" if math.isnan(p) else (f"{p:.3g}" if p >= 1e-4 else f"{p:.1e}")


def _overall_evidence(overall: PairedResult) -> list[Evidence]:
    b, c = overall.base, overall.cand
    test = (
        f"exact McNemar, b={overall.b} right→wrong, c={overall.c} wrong→right"
        if overall.test == "mcnemar-exact"
        else f"paired bootstrap over {overall.n_items} items, B={overall.n_boot}"
    )
    return [
        Evidence(
            "accuracy change", round(100 * overall.diff, 2),
            f"{b.metric_name} {_pct(b.score)} ({b.counts}) → {_pct(c.score)} ({c.counts}); "
            f"{_pts(overall.diff)}, 95% CI [{_pts(overall.diff_lo)}, {_pts(overall.diff_hi)}]",
        ),
        Evidence("paired p-value", overall.p_value, f"{test}; n={overall.n_items} items"),
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
    mdd_txt = "no difference" if math.isinf(mdd) else f"{100 * mdd:.1f} points"
    if math.isinf(need) or math.isnan(need):
        more = f"the observed change is {_pts(overall.diff)}, too small to size a larger test"
    else:
        more = (
            f"detecting the observed {_pts(overall.diff)} would take about {int(need):,} "
            f"items ({max(int(need) - n, 0):,} more)"
        )
    text = f"With {n} items the smallest detectable change is {mdd_txt}; {more}."
    return text, Evidence(
        "minimum detectable difference", mdd,
        f"α=0.05, power 0.8, Connor (1987); items needed for the observed change: "
        f"{'n/a' if math.isinf(need) or math.isnan(need) else int(need)}",
    )  # fmt: skip


def _signal_share(signals: Mapping[str, int] | None, name: str) -> float | None:
    if not signals or not signals.get("n"):
        return None
    return signals.get(name, 0) / signals["n"]


def _causes(
    dec: Decomposition,
    base_signals: Mapping[str, int] | None,
    cand_signals: Mapping[str, int] | None,
) -> tuple[list[str], list[Evidence]]:
    sign = -1.0 if dec.total_change < 0 else 1.0
    part = {m: sign * dec.mode_contributions[m] for m in FORMAT_MODES}
    fmt_total = sum(v for v in part.values() if v > 0) or 1.0
    term = (max(part["truncated"], 0) + max(part["runaway"], 0)) / fmt_total
    ext = max(part["extraction_failure"], 0) / fmt_total
    empty = max(part["empty"], 0) / fmt_total
    rises = {}
    ev: list[Evidence] = []
    for name, label in (
        ("cap", "samples at the generation cap"),
        ("new_block", "samples starting a new few-shot block"),
        ("stop_literal", "samples with literal stop-token text"),
        ("repetition", "samples in a repetition loop"),
    ):
        cs, bs = _signal_share(cand_signals, name), _signal_share(base_signals, name)
        if cs is None:
            continue
        rises[name] = cs - (bs or 0.0)
        detail = f"candidate {cand_signals[name]}/{cand_signals['n']} ({_pct(cs)})"  # type: ignore[index]
        if bs is not None:
            detail += f" vs base {base_signals[name]}/{base_signals['n']} ({_pct(bs)})"  # type: ignore[index]
        ev.append(Evidence(label, round(100 * cs, 2), detail))
    cap_rise = rises.get("cap", 0.0) >= CAP_RISE
    causes: list[tuple[float, str]] = []
    if term >= 0.5 or (ext >= 0.5 and cap_rise):
        causes.append((
            term + (ext if cap_rise else 0.0),
            "EOS not emitted: generations run on to the generation cap. Check the tokenizer's "
            "EOS id in the checkpoint and the eval config, and whether the end-of-sequence "
            "token is masked out of the loss (or missing) in the training/SFT data",
        ))  # fmt: skip
        causes.append((
            0.5 * term,
            "generation cap (max_gen_toks) too low for the candidate's longer outputs",
        ))  # fmt: skip
    if rises.get("new_block", 0.0) > 0.02:
        causes.append((
            rises["new_block"] + 0.3,
            "stop sequences: the model continues with a new few-shot block ('Q:'), so the "
            "task's `until` strings or the model's EOS do not end the answer",
        ))  # fmt: skip
    if rises.get("stop_literal", 0.0) > 0.02:
        causes.append((
            rises["stop_literal"] + 0.3,
            "chat template / special tokens: end-of-turn markers appear as literal text, so "
            "the template or the tokenizer's special tokens do not match the model",
        ))  # fmt: skip
    if ext >= 0.5 and not cap_rise:
        causes.append((
            ext,
            "answer-extraction filter: answers are present but in a form the filter does not "
            "accept (e.g. a missing 'The answer is' or '####' marker); re-score with a lenient "
            "extractor or fix the prompt/filter",
        ))  # fmt: skip
    if empty >= 0.3:
        causes.append((
            empty,
            "empty generations: a stop sequence fires at once or the chat template ends the "
            "turn immediately",
        ))  # fmt: skip
    causes.sort(key=lambda t: -t[0])
    return [c for _, c in causes], ev


def _mode_evidence(dec: Decomposition) -> list[Evidence]:
    n = dec.n_items
    parts = []
    for m in ("wrong_answer", *FORMAT_MODES):
        b, c = dec.mode_shares_base[m], dec.mode_shares_cand[m]
        if b == 0 and c == 0:
            continue
        parts.append(
            f"{m} {_num(b * n)}/{_num(n)} → {_num(c * n)}/{_num(n)} "
            f"({_pts(dec.mode_contributions[m])} of accuracy)"
        )
    lost = ", ".join(f"{_num(v)} {m}" for m, v in dec.lost_by_mode.items() if v)
    total = dec.total_change
    fmt_share = dec.format_contribution / total if total else math.nan
    wrong_share = dec.wrong_answer_contribution / total if total else math.nan
    return [
        Evidence("share of the change carried by format modes", round(fmt_share, 4) + 0.0,
                 "; ".join(parts) + f" (threshold {FORMAT_SHARE:.0%})"),
        Evidence("share of the change carried by wrong answers", round(wrong_share, 4) + 0.0,
                 f"threshold {WRONG_SHARE:.0%} for a data verdict"),
        Evidence("items lost (right → wrong)", _num(dec.lost),
                 f"by candidate mode: {lost or 'none'}; items gained: {_num(dec.gained)}"),
    ]  # fmt: skip


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
                f"{c.n_carrying} slice(s) holding {_pct(c.carrying_weight)} of the items carry "
                f"{CARRY_SHARE:.0%} of it; normalised entropy "
                f"{c.entropy:.2f} (slices with >= {dec.min_size} items)",
            )  # fmt: skip
        )
    return out


def _slice_evidence(s: SignificantSlice) -> Evidence:
    sl = s.slice
    fails = sum(s.mode_counts.values())
    wrong = s.mode_counts.get("wrong_answer", 0)
    modes = ", ".join(f"{m} {c}" for m, c in s.mode_counts.items())
    return Evidence(
        f"slice {s.label}", f"{_num(sl.errors)}/{sl.size}",
        f"error {_pct(sl.error)} vs {_pct(s.overall_error)} overall; p={_p(s.p_value)}, "
        f"BH p_adj={_p(s.p_adj)} over {s.n_tested} slices tested"
        + (f"; failing rows: {modes} (wrong answers {wrong}/{fails})" if fails else ""),
    )  # fmt: skip


def _is_content(s: SignificantSlice, content_axes: Sequence[str]) -> bool:
    return any(a in content_axes for a, _ in s.slice.predicates)


def _wrong_share(s: SignificantSlice) -> float:
    total = sum(s.mode_counts.values())
    return s.mode_counts.get("wrong_answer", 0) / total if total else math.nan


def verdict_for_change(
    decomposition: Decomposition,
    overall: PairedResult,
    slices: SliceSearch | Sequence[SignificantSlice] | None = None,
    *,
    base_signals: Mapping[str, int] | None = None,
    cand_signals: Mapping[str, int] | None = None,
    alpha: float = ALPHA,
) -> Verdict:
    """Verdict for a change between two runs (rules in the module docstring).

    Args:
        decomposition: :func:`decompose.decompose_change` of the two runs.
        overall: :func:`compare.paired_compare` over all items.
        slices: :func:`decompose.significant_slices` on the regression indicator
            (``decompose.regression_errors``), with the candidate's modes; optional.
        base_signals, cand_signals: :func:`failure_modes.signal_counts` of each run's
            samples (cap hits, new blocks, literal stop tokens, loops); optional, used to name
            causes.
        alpha: level of the overall test.

    Returns:
        :class:`Verdict`.
    """
    dec = decomposition
    sig = list(slices.slices if isinstance(slices, SliceSearch) else (slices or []))
    evidence = _overall_evidence(overall)
    total = dec.total_change
    significant = not math.isnan(overall.p_value) and overall.p_value < alpha
    direction = "drop" if total < 0 else "gain"
    if not significant and not sig:
        power_text, power_ev = _inconclusive_power(overall)
        evidence.append(power_ev)
        return Verdict(
            "inconclusive",
            f"No significant change: {_pts(overall.diff)} (p={_p(overall.p_value)}, "
            f"{overall.test}) and no slice passes the corrected test. {power_text}",
            [], evidence, [],
        )  # fmt: skip
    evidence += _mode_evidence(dec) + _spread_evidence(dec)
    fmt_share = dec.format_contribution / total if total else math.nan
    wrong_share = dec.wrong_answer_contribution / total if total else math.nan
    content_sig = [s for s in sig if _is_content(s, dec.content_axes)]
    evidence += [_slice_evidence(s) for s in content_sig[:5]]
    pattern = dec.content_pattern
    if fmt_share >= FORMAT_SHARE and pattern != "concentrated":
        causes, sig_ev = _causes(dec, base_signals, cand_signals)
        evidence += sig_ev
        top_modes = sorted(
            FORMAT_MODES, key=lambda m: -abs(dec.mode_contributions[m])
        )[:2]  # fmt: skip
        mode_txt = " and ".join(
            f"{m} ({_pts(dec.mode_contributions[m])})"
            for m in top_modes
            if dec.mode_contributions[m]
        )
        summary = (
            f"Not a data problem: {_pct(fmt_share)} of the {_pts(total)} {direction} comes "
            f"from {mode_txt}, and it is {pattern} across the content slices."
        )
        if causes:
            summary += f" Most likely cause: {causes[0].split(':')[0]}."
        return Verdict("not_data", summary, causes, evidence, content_sig)
    # slices without mode counts rely on the overall wrong-answer share
    localized = [
        s for s in content_sig
        if math.isnan(_wrong_share(s)) or _wrong_share(s) >= WRONG_SHARE
    ]  # fmt: skip
    if wrong_share >= WRONG_SHARE and (pattern == "concentrated" or localized):
        named = localized or content_sig
        if named:
            where = "; ".join(s.label for s in named[:4])
        else:
            where = "; ".join(
                f"{a}={dec.concentration[a].top_value}"
                for a in dec.content_axes
                if a in dec.concentration and dec.concentration[a].pattern == "concentrated"
            )
        return Verdict(
            "data",
            f"A data problem: {_pct(wrong_share)} of the {_pts(total)} {direction} is wrong "
            f"answers, localized in {where}.",
            [], evidence, named,
        )  # fmt: skip
    if fmt_share >= FORMAT_SHARE:
        causes, sig_ev = _causes(dec, base_signals, cand_signals)
        evidence += sig_ev
        return Verdict(
            "inconclusive",
            f"Format failures carry {_pct(fmt_share)} of the {_pts(total)} {direction} but "
            "they are concentrated in a few content slices: this may be a length or format "
            "need of those items rather than a termination bug.",
            causes, evidence, content_sig,
        )  # fmt: skip
    return Verdict(
        "inconclusive",
        f"Mixed: wrong answers carry {_pct(wrong_share)} and format failures "
        f"{_pct(fmt_share)} of the {_pts(total)} {direction}; the change is {pattern} across "
        "the content slices.",
        [], evidence, content_sig,
    )  # fmt: skip


def verdict_for_weakness(
    weakness: Weakness,
    slices: SliceSearch,
    content_axes: Sequence[str] = CONTENT_AXES,
) -> Verdict:
    """Verdict for a single run's weak slices.

    ``data`` when significant content slices (from :func:`decompose.significant_slices` on
    1 − correct, with the run's modes) fail mostly by wrong answers (>= WRONG_SHARE of their
    failing rows); ``not_data`` when the significant slices fail mostly by format modes;
    ``inconclusive`` when no slice is significant.
    """
    evidence = [
        Evidence(
            "overall accuracy", round(100 * weakness.score, 2),
            f"{_num(weakness.score * weakness.n_items)}/{_num(weakness.n_items)} items "
            f"({_pct(weakness.score)})",
        ),
        Evidence("slices tested", slices.n_tested,
                 f"{slices.n_significant} significant at BH q={slices.q} before nesting "
                 f"collapse, {len(slices.slices)} after"),
    ]  # fmt: skip
    if weakness.mode_shares:
        ev = ", ".join(f"{m} {_pct(v)}" for m, v in weakness.mode_shares.items() if v)
        evidence.append(Evidence("failure modes overall", "", ev))
    content = [s for s in slices.slices if any(a in content_axes for a, _ in s.slice.predicates)]
    evidence += [_slice_evidence(s) for s in content[:5]]
    if not content:
        return Verdict(
            "inconclusive",
            f"No content slice is significantly weaker than the rest ({slices.n_tested} "
            "slices tested with Benjamini–Hochberg).",
            [], evidence, [],
        )  # fmt: skip
    wrong = [s for s in content if _wrong_share(s) >= WRONG_SHARE]
    fmt = [s for s in content if (1 - _wrong_share(s)) >= FORMAT_SHARE]
    if not wrong and not fmt:
        return Verdict(
            "inconclusive",
            f"{len(content)} content slice(s) are significantly weaker, but their failures "
            "are a mix of wrong answers and format failures (or carry no failure modes).",
            [], evidence, content,
        )  # fmt: skip
    if wrong:
        names = "; ".join(s.label for s in wrong[:4])
        return Verdict(
            "data",
            f"A data weakness: {len(wrong)} slice(s) fail significantly more often than the "
            f"rest, mostly with wrong answers: {names}.",
            [], evidence, wrong,
        )  # fmt: skip
    names = "; ".join(s.label for s in fmt[:4])
    return Verdict(
        "not_data",
        f"The weak slices fail mostly by format (extraction, truncation, runaway or empty "
        f"output), not by wrong answers: {names}.",
        ["format/termination of these items: check the generation cap, stop sequences and "
         "the answer-extraction filter for them"],
        evidence, fmt,
    )  # fmt: skip
