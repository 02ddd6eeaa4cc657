"""Data or not data: an evaluation check, a decomposition and paired slice tests make a verdict.

Rules for a change between two runs (:func:`verdict_for_change`), in order:

0. ``not_data`` when the two runs evaluated their shared items differently (prompts,
   few-shot count, prompting, chat template, decoding, filter or scorer differ; see
   :mod:`capslice_tui.analysis.evaluation`): a change between two evaluations is not a change
   of the model's data. The differences are listed. With ``same_evaluation`` (the user says
   so on purpose) the rules below apply and the summary starts by saying what was assumed.
1. ``inconclusive`` when the overall paired test is not significant (p >= α) and no slice
   passes the corrected paired test. The summary gives the minimum detectable difference and,
   from Connor's formula with the observed discordance, how many items would detect the
   observed change.
2. Parts of the change: ``format part`` = Σ contributions of ``extraction_failure``,
   ``truncated``, ``runaway``, ``empty`` and ``wrong part`` = contribution of
   ``wrong_answer`` (each contribution is minus the change in that mode's share, in points
   of accuracy; see ``decompose``). Their shares of the net change are
   ``format_share = format part / total`` and ``wrong_share = wrong part / total``; they sum
   to 100%. When one part moved against the net change (e.g. wrong answers fell because
   wrong items became truncated), the other share exceeds 100%, so texts then give both
   parts in points and the net, never a share above 100%.
3. ``not_data`` when ``format_share >= FORMAT_SHARE`` (60%) and the change is not
   concentrated on the content axes. Likely causes come from which format modes carry it and
   from the text signals (cap hits, new few-shot blocks, literal stop tokens) of both runs,
   in the direction of the change: for a drop, what broke (e.g. "EOS not emitted"); for a
   gain, what was fixed (e.g. "termination fixed: EOS emitted again").
4. ``data`` when ``wrong_share >= WRONG_SHARE`` (60%), so format and termination are ruled
   out (and the evaluation by rule 0):

   - localized when the content pattern is ``concentrated``; or when some content slice
     moving with the change survives the correction and either the overall change is not
     significant or the pattern is ``mixed`` (neither concentrated nor spread); the slices
     (paired test, BH, overlap and nesting collapsed) are named;
   - otherwise, when the overall change is significant, a broad capability change: the
     summary says where it is spread (per-axis slices moving with it; where the candidate
     loses most and where it wins, from the per-task paired tests), or that the benchmark
     offers no finer slice (its items cannot be told apart on the content axes).
   A non-significant change with no content slice surviving the correction in its direction
   is ``inconclusive`` (weak evidence).
5. ``inconclusive`` otherwise: format failures concentrated in a few content slices (maybe a
   length need of those items rather than a termination bug), or causes really split
   (neither part carries 60% of the change).
6. ``inconclusive`` (``not_a_checkpoint_pair``) instead of ``data`` when the pair's own
   records say the two runs are not checkpoints of one training lineage (different models, a
   verifier or reranker named on one side: ``workspace.diagnose.not_one_lineage``): a data
   verdict assumes they differ only in training data. The analysis stays in the summary
   without its claim; ``same_lineage`` (the user says they are one lineage) keeps ``data`` and
   says it assumed so. The same for a weakness against a reference run. The same, in its
   own words, when the records say the two runs are one checkpoint, not two
   (``workspace.pairs.same_checkpoint``: the same model name and no step, or the same step):
   nothing was trained between them.
7. ``inconclusive`` (``identical_responses``) instead of anything but ``not_data`` when the
   two runs' responses are identical on every shared sample (``workspace.pairs``): the same
   evaluation stored twice, no difference to explain.

Slice significance is one test everywhere (``diagnose``, ``report``, ``plan``, ``compare``):
:func:`slice_search.paired_slices` runs :func:`compare.paired_compare` on every distinct slice
(identical item sets are one slice with all their descriptions) and Benjamini-Hochberg
across all of them.

Every verdict also carries a ``reason`` (JSON key ``reason``; a token, never used inside a
sentence) that tells the cases apart without changing the three verdict values:

- ``evaluation_changed`` (rule 0, ``not_data``).
- ``weak_evidence`` (rule 1, and rule 4's non-significant case): the summary says how many
  items would settle it.
- ``format_failures`` (rule 3, ``not_data``).
- ``localized_wrong_answers`` and ``broad_capability`` (rule 4, ``data``).
- ``format_concentrated`` and ``mixed_causes`` (rule 5).
- ``not_a_checkpoint_pair`` (rule 6, ``inconclusive``).
- ``identical_responses`` (rule 7, ``inconclusive``).

For a weakness (:func:`verdict_for_weakness`): ``no_weak_content_slice``, ``no_finer_slice``,
``evaluation_sensitive``, ``localized_wrong_answers``, ``format_failures`` or
``mixed_causes``.

Rules for one run's weakness (:func:`verdict_for_weakness`) are in its docstring. Counts
there are per item (each item weighs 1 whatever its number of samples) unless labelled
"samples".

Thresholds are module constants, recorded in every verdict's evidence. Every
:class:`Evidence` value is a number in the unit given by ``unit`` (``points`` of accuracy,
``%``, ``p``, ``slices``...), rounded for display; the detail holds the counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from capslice_tui.analysis.compare import PairedResult
from capslice_tui.analysis.decompose import (
    CARRY_SHARE,
    CONTENT_AXES,
    Concentration,
    Decomposition,
    SliceDelta,
    Weakness,
    _concentration,
    _content_pattern,
)
from capslice_tui.analysis.evaluation import EvaluationCheck
from capslice_tui.analysis.failure_modes import FORMAT_MODES
from capslice_tui.analysis.metrics import MIN_SLICE_SIZE
from capslice_tui.analysis.slice_search import (
    PairedSlice,
    PairedSliceSearch,
    SignificantSlice,
    SliceSearch,
)
from capslice_tui.analysis.verdict_wording import (
    Evidence,
    _axes_evidence,
    _axes_text,
    _evaluation_evidence,
    _inconclusive_power,
    _largest_drops,
    _mode_move,
    _modes_text,
    _moving_text,
    _names,
    _nan,
    _nature_text,
    _num,
    _overall_evidence,
    _paired_evidence,
    _paired_slice_evidence,
    _pattern_text,
    _pct,
    _pe,
    _pts,
    _r1,
    _share_text,
    _shares,
    _signal_evidence,
    _slice_evidence,
    _split_text,
    _spread_evidence,
    _test_label,
    _test_name,
    _test_text,
    _upper_first,
    _who,
    untested_text,
)
from capslice_tui.formatting import plural, point_value
from capslice_tui.vocabulary import UNLABELLED
from capslice_tui.vocabulary import Verdict as VerdictName

FORMAT_SHARE = 0.6
"""Share of the change carried by format modes above which a change is not a data problem."""

WRONG_SHARE = 0.6
"""Share of the change (or of a slice's failures) that must be wrong answers for ``data``."""

CAP_RISE = 0.05
"""Move in the share of samples at the generation cap that counts as termination evidence."""

ALPHA = 0.05

MAX_COMBINATIONS = 4
"""Weak task_type x solving_operation combinations named in a weakness summary."""

FORMAT_NOTE_SHARE = 0.3
"""Share of one run's failures carried by format modes above which a weakness summary says so
(a note only: below :data:`FORMAT_SHARE` the verdict is read from the slices as before)."""


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
        reason: why this verdict, one of the reasons in the module docstring (e.g.
            ``weak_evidence`` or ``broad_change`` for ``inconclusive``).
    """

    verdict: VerdictName
    summary: str
    causes: list[str]
    evidence: list[Evidence]
    slices: list[Any] = field(default_factory=list)
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (keys verdict, reason, summary, causes, evidence, slices)."""
        return {
            "verdict": self.verdict, "reason": self.reason, "summary": self.summary,
            "causes": list(self.causes), "evidence": [e.to_dict() for e in self.evidence],
            "slices": [s.to_dict() for s in self.slices],
        }  # fmt: skip


def _causes(
    dec: Decomposition,
    base_signals: Mapping[str, int] | None,
    cand_signals: Mapping[str, int] | None,
    base_cap_modes: Mapping[str, float] | None = None,
    cand_cap_modes: Mapping[str, float] | None = None,
) -> tuple[list[str], list[Evidence]]:
    """Likely causes in the direction of the change (broke for a drop, fixed for a gain)."""
    drop = dec.total_change < 0
    sign = -1.0 if drop else 1.0
    part = {m: sign * dec.mode_contributions[m] for m in FORMAT_MODES}
    moves, ev = _signal_evidence(base_signals, cand_signals, base_cap_modes, cand_cap_modes)
    # a signal supports a cause when it moved with the change: up for a drop, down for a gain
    toward = {k: (v if drop else -v) for k, v in moves.items()}
    return _format_causes(part, toward, drop), ev


def _format_causes(
    part: Mapping[str, float],
    toward: Mapping[str, float],
    drop: bool,
    outputs: str = "the candidate's longer outputs",
) -> list[str]:
    """Likely causes of format failures, most likely first.

    ``part``: format mode -> its part of the failures (points of accuracy lost for a drop,
    won back for a gain; one run's share of items in weakness mode); ``toward``: signal
    (``cap``, ``new_block``, ``stop_literal``) -> its share of samples moved with the change
    (one run: its share of samples); ``drop``: name what broke (True) or what was fixed;
    ``outputs``: whose outputs a too-low cap would cut (``the run's outputs`` for one run)."""
    fmt_total = sum(v for v in part.values() if v > 0) or 1.0
    term = (max(part["truncated"], 0) + max(part["runaway"], 0)) / fmt_total
    ext = max(part["extraction_failure"], 0) / fmt_total
    empty = max(part["empty"], 0) / fmt_total
    cap_moved = toward.get("cap", 0.0) >= CAP_RISE
    causes: list[tuple[float, str]] = []
    if term >= 0.5 or (ext >= 0.5 and cap_moved):
        if drop:
            causes.append((
                term + (ext if cap_moved else 0.0),
                "EOS not emitted: generations run on to the generation cap. Check the "
                "tokenizer's EOS id in the checkpoint and the eval config, and whether the "
                "end-of-sequence token is masked out of the loss (or missing) in the "
                "training/SFT data",
            ))  # fmt: skip
            causes.append((
                0.5 * term,
                f"generation cap (max_gen_toks) too low for {outputs}",
            ))  # fmt: skip
        else:
            causes.append((
                term + (ext if cap_moved else 0.0),
                "termination fixed: EOS emitted again, so generations stop before the "
                "generation cap and end with an answer that can be scored",
            ))  # fmt: skip
            causes.append((
                0.5 * term,
                "generation cap (max_gen_toks) raised, or the candidate's outputs are shorter",
            ))  # fmt: skip
    if toward.get("new_block", 0.0) > 0.02:
        causes.append((
            toward["new_block"] + 0.3,
            "stop sequences: the model continues with a new few-shot block ('Q:'), so the "
            "task's `until` strings or the model's EOS do not end the answer"
            if drop else
            "stop sequences fixed: fewer generations continue with a new few-shot block",
        ))  # fmt: skip
    if toward.get("stop_literal", 0.0) > 0.02:
        causes.append((
            toward["stop_literal"] + 0.3,
            "chat template / special tokens: end-of-turn markers appear as literal text, so "
            "the template or the tokenizer's special tokens do not match the model"
            if drop else
            "chat template / special tokens fixed: fewer end-of-turn markers appear as "
            "literal text",
        ))  # fmt: skip
    if ext >= 0.5 and not cap_moved:
        causes.append((
            ext,
            "answer-extraction filter: answers are present but in a form the filter does not "
            "accept (e.g. a missing 'The answer is' or '####' marker); re-score with a lenient "
            "extractor or fix the prompt/filter"
            if drop else
            "answer extraction fixed: answers the filter used to miss are now in a form it "
            "accepts (prompt, answer marker or filter change)",
        ))  # fmt: skip
    if empty >= 0.3:
        causes.append((
            empty,
            "empty generations: a stop sequence fires at once or the chat template ends the "
            "turn immediately"
            if drop else
            "empty generations fixed: fewer generations end before any text",
        ))  # fmt: skip
    causes.sort(key=lambda t: -t[0])
    return [c for _, c in causes]


def _mode_evidence(dec: Decomposition) -> list[Evidence]:
    n = dec.n_items
    fmt_moves = "; ".join(
        f"{_mode_move(dec, m)} ({_pts(dec.mode_contributions[m])})"
        for m in FORMAT_MODES
        if dec.mode_shares_base[m] or dec.mode_shares_cand[m]
    )
    lost = ", ".join(f"{_num(v)} {m}" for m, v in dec.lost_by_mode.items() if v)
    to_fmt = {f: dec.transitions.get("wrong_answer", {}).get(f, 0.0) for f in FORMAT_MODES}
    from_fmt = {f: dec.transitions.get(f, {}).get("wrong_answer", 0.0) for f in FORMAT_MODES}
    trans = []
    if sum(to_fmt.values()):
        trans.append(f"wrong_answer -> format: {_modes_text(to_fmt)}")
    if sum(from_fmt.values()):
        trans.append(f"format -> wrong_answer: {_modes_text(from_fmt)}")
    fmt, wrong = dec.format_contribution, dec.wrong_answer_contribution
    lost_v = round(dec.lost, 1)
    return [
        Evidence(
            "format failures' part of the change", _r1(fmt),
            f"{fmt_moves or 'no format failures in either run'}; "
            f"{_share_text(dec, fmt, wrong, 'wrong answers')} "
            f"(not_data needs >= {FORMAT_SHARE:.0%} of it)",
            "points",
        ),
        Evidence(
            "wrong answers' part of the change", _r1(wrong),
            f"{_mode_move(dec, 'wrong_answer')} items; "
            f"{_share_text(dec, wrong, fmt, 'format failures')} "
            f"(data needs >= {WRONG_SHARE:.0%} of it)"
            + (f"; items moving between modes: {'; '.join(trans)}" if trans else ""),
            "points",
        ),
        Evidence("items lost (right -> wrong)", int(lost_v) if lost_v.is_integer() else lost_v,
                 f"of {_num(n)} items; by candidate mode: {lost or 'none'}; "
                 f"items gained (wrong -> right): {_num(dec.gained)}", "items"),
    ]  # fmt: skip


def _wrong_share(s: SignificantSlice) -> float:
    total = sum(s.mode_counts.values())
    return s.mode_counts.get("wrong_answer", 0) / total if total else math.nan


def _significant_tests(
    slice_tests: Sequence[Mapping[str, Any]] | None, sign: int, k: int = 3
) -> list[Mapping[str, Any]]:
    """Significant per-slice paired tests moving in direction ``sign`` (+1 gain, -1 drop),
    largest move first, at most ``k``."""
    rows = [
        r for r in (slice_tests or [])
        if r.get("significant") and not _nan(r.get("diff")) and r["diff"] * sign > 0
    ]  # fmt: skip
    return sorted(rows, key=lambda r: -abs(r["diff"]))[:k]


def _tests_text(slice_tests: Sequence[Mapping[str, Any]], drop: bool) -> tuple[str, list[Evidence]]:
    """Where the candidate loses most and where it wins, from per-slice paired tests."""
    tested = [r for r in slice_tests if not _nan(r.get("p_adjusted"))]
    key = next(iter(slice_tests[0].get("slice") or {"slice": ""}))
    everything = len(slice_tests)
    worse_all = _significant_tests(slice_tests, -1, k=everything)
    better_all = _significant_tests(slice_tests, 1, k=everything)
    sign = -1 if drop else 1
    family = plural(len(tested), key)  # the correction of these p_adj, named beside each

    def row_text(row: Mapping[str, Any]) -> str:
        return _test_text(row, family)

    moving = sum(1 for r in slice_tests if not _nan(r.get("diff")) and r["diff"] * sign > 0)
    text = (
        f" Per-{key} paired tests ({len(tested)} of {everything} {key}s tested, "
        f"Benjamini-Hochberg q=0.05): {moving} of {everything} {key}s moved with the "
        f"{'drop' if drop else 'gain'}; the candidate is significantly worse on "
        f"{len(worse_all)} and significantly better on {len(better_all)}."
    )

    def others(direction: int, k: int = 3) -> list[Mapping[str, Any]]:
        rows = [
            r for r in slice_tests
            if not r.get("significant") and not _nan(r.get("diff")) and r["diff"] * direction > 0
        ]  # fmt: skip
        return sorted(rows, key=lambda r: (-abs(r["diff"]), _test_label(r)))[:k]

    def others_text(direction: int, nominal: bool = False) -> str:
        rows = others(direction)
        if nominal:  # beside significant slices, only those nominally significant (p < 0.05)
            rows = [r for r in rows if not _nan(r.get("p_value")) and r["p_value"] < ALPHA]
        if not rows:
            return ""
        return "; ".join(
            f"{row_text(r)[:-1]}, p{_pe(r['p_value'], r.get('n_boot'))})"
            if "p_value" in r
            else row_text(r)
            for r in rows
        )

    for direction, verb in ((-1, "loses most on"), (1, "wins on")):
        sig = _significant_tests(slice_tests, direction)
        rest = others_text(direction)
        word = "losses" if direction < 0 else "gains"
        if sig:
            text += f" It {verb} {'; '.join(row_text(r) for r in sig)}."
            if direction > 0 and (rest := others_text(direction, nominal=True)):
                text += f" Other {word} with p < 0.05, not significant after correction: {rest}."
        elif rest:
            text += (
                f" No {key} is significantly {'worse' if direction < 0 else 'better'} on its "
                f"own; the largest {word} (not significant after correction): {rest}."
            )
        else:
            text += f" No {key} is {'worse' if direction < 0 else 'better'} for the candidate."
    ev = [
        Evidence(
            f"{key}s significantly worse for the candidate", len(worse_all),
            "; ".join(row_text(r) for r in worse_all[:10]) or "none", "slices",
        ),
        Evidence(
            f"{key}s significantly better for the candidate", len(better_all),
            "; ".join(row_text(r) for r in better_all[:10]) or "none", "slices",
        ),
    ]  # fmt: skip
    return text, ev


def _no_finer_slice(uninformative: Mapping[str, str] | None, content_axes: Sequence[str]) -> bool:
    """True when no content axis can tell the items apart."""
    return bool(uninformative) and all(a in uninformative for a in content_axes)  # type: ignore[operator]


def _where_sentence(
    direction: str,
    pattern: str,
    uninformative: Mapping[str, str] | None,
    dec: Decomposition,
    benchmark: str | None,
) -> str:
    """`` The drop is concentrated in a few content slices.``: where the change sits on the
    content axes, or, when no content axis tells the items apart (every item carries the same
    labels), that no content slice could be tested and why (walk 9 #20: "not carried by any
    content slice" was said where nothing could be tested)."""
    if _no_finer_slice(uninformative, dec.content_axes):
        return (
            f" No content slice could be tested ({_who(benchmark)} cannot be told apart: "
            f"{_axes_text(uninformative or {}, dec.content_axes)})."
        )
    return f" The {direction} is {_pattern_text(pattern)}."


def _paired_is_content(s: PairedSlice, content_axes: Sequence[str]) -> bool:
    return any(a in content_axes for a, _ in s.predicates)


def _broad_capability(
    dec: Decomposition,
    overall: PairedResult,
    slice_tests: Sequence[Mapping[str, Any]] | None,
    uninformative: Mapping[str, str] | None,
    benchmark: str | None,
    assumed: bool = False,
    unverified: str = "",
) -> tuple[str, list[Evidence]]:
    """Summary of a significant change of wrong answers that no slice localises. ``assumed``:
    the evaluations differ and the user said to read them as the same; ``unverified``: why
    the evaluation check could not rule out an evaluation cause
    (``EvaluationCheck.not_compared_text``), '' when it could."""
    total = dec.total_change
    drop = total < 0
    b, c = overall.base, overall.cand
    counts = f"{b.counts} -> {c.counts} correct"
    if overall.b is not None and overall.c is not None:
        counts += f"; {overall.b} items right -> wrong, {overall.c} wrong -> right"
    test = (
        f"exact McNemar p{_pe(overall.p_value, overall.n_boot)}"
        if overall.test == "mcnemar-exact"
        else f"paired bootstrap p{_pe(overall.p_value, overall.n_boot)}"
    )
    head = (
        f"A broad capability {'drop, a data problem' if drop else 'gain, from the model'}: "
        "the candidate is "
        f"{_num(abs(point_value(total) or 0.0))} points {'below' if drop else 'above'} the base "
        f"({counts}; {test}). "
        f"{_upper_first(_split_text(dec, 'wrong'))}; "
        + (
            "no format or termination cause explains it, so, with the evaluations taken as "
            "the same, it is a change in what the model answers."
            if assumed
            else f"no format or termination cause explains it, but {unverified}."
            if unverified
            else "no format, termination or evaluation cause explains it, so it is a change in "
            "what the model answers, not in how it was evaluated."
        )
    )
    if _no_finer_slice(uninformative, dec.content_axes):
        where = (
            f" The benchmark offers no finer slice: {_who(benchmark)} cannot be told apart on "
            f"the axes: {_axes_text(uninformative or {}, dec.content_axes)}, so no slice can "
            "localise the change"
            + ("; a fix targets the benchmark's whole domain." if drop else ".")
        )
    else:
        where = (
            f" The {'drop' if drop else 'gain'} is {_pattern_text(dec.content_pattern)} "
            f"({_moving_text(dec) or 'no content axis with two slices'} slices moved with "
            "it), so it is not localized in a few slices"
            + ("; a fix targets the benchmark's domain as a whole." if drop else ".")
        )
    nature = f" Nature of the change: {_nature_text(dec)}."
    if slice_tests and len(slice_tests) >= 2:
        tests, ev = _tests_text(slice_tests, drop)
    else:
        ev = []
        largest = _largest_drops(dec)
        tests = f" The largest {'drops' if drop else 'gains'} are in {largest}." if largest else ""
    return head + where + nature + tests, ev


def verdict_for_change(
    decomposition: Decomposition,
    overall: PairedResult,
    slices: PairedSliceSearch | None = None,
    *,
    base_signals: Mapping[str, int] | None = None,
    cand_signals: Mapping[str, int] | None = None,
    base_cap_modes: Mapping[str, float] | None = None,
    cand_cap_modes: Mapping[str, float] | None = None,
    slice_tests: Sequence[Mapping[str, Any]] | None = None,
    evaluation: EvaluationCheck | None = None,
    same_evaluation: bool = False,
    uninformative: Mapping[str, str] | None = None,
    benchmark: str | None = None,
    alpha: float = ALPHA,
    lineage: str | None = None,
    same_lineage: bool = False,
    checkpoint: str | None = None,
    identical: str | None = None,
) -> Verdict:
    """Verdict for a change between two runs (rules in the module docstring).

    The arguments before ``lineage`` are those of :func:`_change_verdict`, which reads the
    change; ``lineage``: why the pair's own records say the two runs are not checkpoints of
    one training lineage (``workspace.diagnose.not_one_lineage``), None when they are or
    cannot be told: a ``data`` verdict then becomes ``inconclusive``
    (``not_a_checkpoint_pair``, :func:`_lineage_step`) unless ``same_lineage`` (the user says
    they are one lineage; the summary says it assumed so). ``checkpoint``: why the records say
    the two runs are one checkpoint (``workspace.pairs.same_checkpoint``: the same model name
    and no step or the same step), treated as ``lineage`` with its own words. ``identical``:
    the statement that the two runs' responses are identical on every shared sample
    (``workspace.pairs.SameResponses.text``): any verdict but ``not_data`` becomes
    ``inconclusive`` (``identical_responses``, rule 7): there is no difference to explain.
    """
    verdict = _change_verdict(
        decomposition, overall, slices, base_signals=base_signals, cand_signals=cand_signals,
        base_cap_modes=base_cap_modes, cand_cap_modes=cand_cap_modes, slice_tests=slice_tests,
        evaluation=evaluation, same_evaluation=same_evaluation, uninformative=uninformative,
        benchmark=benchmark, alpha=alpha,
    )  # fmt: skip
    total = decomposition.total_change
    what = f"the {_pts(total)} {'drop' if total < 0 else 'gain'}" if total else "the change"
    if identical and verdict.verdict != "not_data":
        return Verdict(
            "inconclusive",
            f"Nothing to explain: {identical}. Diagnose two checkpoints' evaluations instead.",
            [], [*verdict.evidence, Evidence("identical responses", "", identical)], [],
            "identical_responses",
        )  # fmt: skip
    verdict = _checkpoint_step(verdict, checkpoint, same_lineage, what, "the two runs")
    return _lineage_step(verdict, lineage, same_lineage, what, "the two runs")


NOT_A_PAIR_LEADS = {
    "A data problem: ": "",
    "A content gain, from the model: ": "",
    "A broad capability drop, a data problem: ": "a broad drop: ",
    "A broad capability gain, from the model: ": "a broad gain: ",
    "A data weakness: ": "",
}
"""The opening claim of each data summary and what is left of it when the verdict cannot
stand (:func:`_lineage_step`): the analysis is still shown, without the claim."""
NOT_A_PAIR_FIXES = (
    "; a fix targets the benchmark's domain as a whole.",
    "; a fix targets the benchmark's whole domain.",
)
"""The data fix a broad drop's summary names, left out with the claim (a full stop kept)."""


def _checkpoint_step(
    verdict: Verdict, checkpoint: str | None, same_lineage: bool, what: str, who: str
) -> Verdict:
    """:func:`_lineage_step` for a pair whose records say it is one checkpoint, not two
    (``checkpoint``: why, ``workspace.pairs.same_checkpoint``): nothing was trained between
    them, so ``what`` comes from how they were evaluated or sampled and a ``data`` verdict
    becomes ``inconclusive`` (``not_a_checkpoint_pair``), the analysis kept without its
    claim. ``same_lineage``: the user says they are two checkpoints; the verdict says it
    assumed so."""
    if verdict.verdict != "data" or not checkpoint:
        return verdict
    if same_lineage:
        return replace(
            verdict,
            summary="Assuming two checkpoints of one training lineage (--same-lineage), "
            f"although {checkpoint}. " + verdict.summary,
        )
    out = _lineage_step(verdict, checkpoint, False, what, who)
    rest = out.summary.partition(" What the analysis shows: ")[2]
    evidence = [
        *verdict.evidence,
        Evidence(
            "not a checkpoint pair", "",
            f"{checkpoint}: one checkpoint, not two; a data verdict needs two checkpoints of "
            "one training lineage",
        ),
    ]  # fmt: skip
    return replace(
        out,
        summary=f"Not read as data: {who} are one checkpoint, not two: {checkpoint} (the same "
        f"model name, no step or checkpoint difference), so nothing was trained between them "
        f"and {what} comes from how they were evaluated or sampled, not from training data. "
        "Diagnose two checkpoints of one model, or pass --same-lineage if these are different "
        "checkpoints (ingest with --step to record it). What the analysis shows: " + rest,
        evidence=evidence,
    )


def _lineage_step(
    verdict: Verdict, lineage: str | None, same_lineage: bool, what: str, who: str
) -> Verdict:
    """A ``data`` verdict of two runs that are not checkpoints of one training lineage
    (``lineage``: why, from the pair's own records) cannot be stood behind: a data verdict
    assumes the two differ only in training data, and another model size, fine-tuning or
    inference system (verification, reranking, sampling) changes ``what`` as well. The
    verdict becomes ``inconclusive`` (``not_a_checkpoint_pair``), the analysis kept (its
    opening claim dropped, :data:`NOT_A_PAIR_LEADS`), with its slices and evidence; other
    verdicts are unchanged (format failures and evaluation differences are read from the
    outputs themselves). ``same_lineage``: the user says they are one lineage; the data
    verdict stands and says it assumed so. ``who``: the pair in words."""
    if verdict.verdict != "data" or not lineage:
        return verdict
    if same_lineage:
        return replace(
            verdict,
            summary=f"Assuming one training lineage (--same-lineage), although {lineage}. "
            + verdict.summary,
        )
    rest = verdict.summary
    for lead, kept in NOT_A_PAIR_LEADS.items():
        if lead in rest:
            head, _, tail = rest.partition(lead)
            # after an assumption's sentence (--same-evaluation) the kept words open one too
            rest = head + (_upper_first(kept) if head.endswith(". ") else kept) + tail
            break
    for fix in NOT_A_PAIR_FIXES:
        rest = rest.replace(fix, ".")
    evidence = [
        *verdict.evidence,
        Evidence(
            "not a checkpoint pair", "",
            f"{lineage}; a data verdict needs two checkpoints of one training lineage",
        ),
    ]  # fmt: skip
    return Verdict(
        "inconclusive",
        f"Not read as data: {who} are not checkpoints of one training lineage: {lineage}. A "
        f"data verdict assumes they differ only in training data; another model size, "
        f"fine-tuning or inference system (verification, reranking, sampling) changes {what} "
        "too, so it cannot be put down to data. Diagnose two checkpoints of one model, or pass "
        "--same-lineage if these are one lineage. What the analysis shows: "
        + _upper_first(rest),
        [], evidence, verdict.slices, "not_a_checkpoint_pair",
    )  # fmt: skip


def _change_verdict(
    decomposition: Decomposition,
    overall: PairedResult,
    slices: PairedSliceSearch | None = None,
    *,
    base_signals: Mapping[str, int] | None = None,
    cand_signals: Mapping[str, int] | None = None,
    base_cap_modes: Mapping[str, float] | None = None,
    cand_cap_modes: Mapping[str, float] | None = None,
    slice_tests: Sequence[Mapping[str, Any]] | None = None,
    evaluation: EvaluationCheck | None = None,
    same_evaluation: bool = False,
    uninformative: Mapping[str, str] | None = None,
    benchmark: str | None = None,
    alpha: float = ALPHA,
) -> Verdict:
    """The verdict of a change read from its evidence (rules 0-5 of the module docstring).

    Args:
        decomposition: :func:`decompose.decompose_change` of the two runs.
        overall: :func:`compare.paired_compare` over all items.
        slices: :func:`slice_search.paired_slices` of the two runs (paired test per distinct
            slice, BH across all); optional.
        base_signals, cand_signals: :func:`failure_modes.signal_counts` of each run's
            samples (cap hits, new blocks, literal stop tokens, loops); optional, used to name
            causes.
        base_cap_modes, cand_cap_modes: failure mode -> samples at the generation cap, per
            run; optional, shown in the cap evidence, which says which modes other than
            truncated hit the cap and what such a sample holds (a complete wrong answer
            that ran on, a right answer not extracted, a loop).
        slice_tests: per-slice paired tests over one grouping (usually task), each a row of
            ``Comparison.rows`` (``workspace.diagnose``): ``slice`` (grouping -> value),
            ``n_items``, ``base``/``cand`` (``score`` in [0, 1]), ``diff`` (cand − base,
            proportion), ``p_adjusted`` (BH), ``significant``; optional. Used to say where a
            broad change loses most and where it wins.
        evaluation: :func:`evaluation.compare_evaluations` of the shared items; a material
            difference makes the verdict ``not_data`` (``evaluation_changed``) unless
            ``same_evaluation``.
        same_evaluation: the user states the runs are the same evaluation; the summary then
            says it assumed so.
        uninformative: :func:`slice_search.uninformative_axes` of the items (axis -> reason).
        benchmark: benchmark name used in sentences, optional.
        alpha: level of the overall test.

    Returns:
        :class:`Verdict`.
    """
    dec = decomposition
    search = slices
    evidence = _overall_evidence(overall)
    total = dec.total_change
    significant = not _nan(overall.p_value) and overall.p_value < alpha
    direction = "drop" if total < 0 else "gain"
    sign = -1 if total < 0 else 1
    eval_ev = _evaluation_evidence(evaluation)
    axes_ev = _axes_evidence(uninformative, benchmark, dec.content_axes)
    if evaluation is not None and evaluation.changed and not same_evaluation:
        return _evaluation_changed_verdict(dec, evaluation, evidence + eval_ev, direction)
    assumed = ""
    if evaluation is not None and evaluation.changed:
        assumed = (
            f"Assuming the same evaluation (--same-evaluation), although {evaluation.summary()}. "
        )
    evidence += eval_ev
    unverified = "" if evaluation is None or assumed else evaluation.not_compared_text()
    sig = search.significant if search is not None else []
    if not significant and not sig:
        power_text, power_ev = _inconclusive_power(overall)
        evidence += _paired_evidence(search, dec) + axes_ev + [power_ev]
        if search is not None and not search.n_tested:  # not "none of the 0 slices"
            tested = f"no slice could be tested ({untested_text(dec.min_size)})"
        else:
            tested = (f"none of the {search.n_tested} slices" if search is not None
                      else "no slice") + " passes the corrected paired test"  # fmt: skip
        return Verdict(
            "inconclusive",
            assumed + f"No significant change: {_pts(overall.diff)} (p{_pe(overall.p_value, overall.n_boot)}, "
            f"{_test_name(overall.test)}) and {tested}: the evidence is "
            f"too weak to call it. {power_text}",
            [], evidence, [], "weak_evidence",
        )  # fmt: skip
    evidence += _mode_evidence(dec) + _spread_evidence(dec) + _paired_evidence(search, dec)
    evidence += axes_ev
    fmt_share, wrong_share = _shares(dec)
    kept = search.kept(sign) if search is not None else []
    content_kept = [s for s in kept if _paired_is_content(s, dec.content_axes)]
    evidence += [_paired_slice_evidence(s) for s in content_kept[:5]]
    pattern = dec.content_pattern
    if fmt_share >= FORMAT_SHARE and pattern != "concentrated":
        causes, sig_ev = _causes(dec, base_signals, cand_signals, base_cap_modes, cand_cap_modes)
        evidence += sig_ev
        if total < 0:
            summary = f"Not a data problem: {_split_text(dec, 'format')}."
        else:
            summary = (
                f"Not a data problem: the {_pts(total)} gain comes from fewer format "
                f"failures: {_split_text(dec, 'format')}."
            )
        summary += _where_sentence(direction, pattern, uninformative, dec, benchmark)
        if causes:
            summary += f" Most likely cause: {causes[0].split(':')[0]}."
        return Verdict("not_data", assumed + summary, causes, evidence, content_kept,
                       "format_failures")  # fmt: skip
    if wrong_share >= WRONG_SHARE:
        return _wrong_answer_verdict(
            dec, overall, search, kept, content_kept, significant, assumed, evidence,
            slice_tests, uninformative, benchmark, unverified,
        )  # fmt: skip
    if fmt_share >= FORMAT_SHARE:
        causes, sig_ev = _causes(dec, base_signals, cand_signals, base_cap_modes, cand_cap_modes)
        evidence += sig_ev
        return Verdict(
            "inconclusive",
            assumed + f"Format-driven but concentrated: {_split_text(dec, 'format')}. The "
            "format failures sit in a few content slices: this may be a length or format need "
            "of those items rather than a termination bug.",
            causes, evidence, content_kept, "format_concentrated",
        )  # fmt: skip
    return Verdict(
        "inconclusive",
        assumed + f"Mixed causes: {_split_text(dec, 'wrong')}; neither part carries "
        f"{WRONG_SHARE:.0%} of the change, so it is neither a clear format problem nor a "
        "clear data problem." + _where_sentence(direction, pattern, uninformative, dec, benchmark),
        [], evidence, content_kept, "mixed_causes",
    )  # fmt: skip


def _evaluation_changed_verdict(
    dec: Decomposition, evaluation: EvaluationCheck, evidence: list[Evidence], direction: str
) -> Verdict:
    """Rule 0: the two runs were evaluated differently, so the change is not the data's."""
    total = dec.total_change
    evidence = evidence + _mode_evidence(dec)
    what = f"the {_pts(total)} {direction}" if total else "the comparison"
    return Verdict(
        "not_data",
        f"Not a data problem: the evaluation changed between the two runs, so {what} "
        f"cannot be read as a change in the model's data: {evaluation.summary()}. Compare "
        "runs evaluated the same way (same prompts, few-shot examples, decoding and "
        "scoring), or pass --same-evaluation if the two are meant to be the same "
        "evaluation.",
        [f"evaluation changed: {p}" for p in evaluation.phrases(True)],
        evidence, [], "evaluation_changed",
    )  # fmt: skip


def _wrong_answer_verdict(
    dec: Decomposition,
    overall: PairedResult,
    search: PairedSliceSearch | None,
    kept: list[PairedSlice],
    content_kept: list[PairedSlice],
    significant: bool,
    assumed: str,
    evidence: list[Evidence],
    slice_tests: Sequence[Mapping[str, Any]] | None,
    uninformative: Mapping[str, str] | None,
    benchmark: str | None,
    unverified: str = "",
) -> Verdict:
    """Rule 4: wrong answers carry the change: localized, a broad capability change, or weak
    evidence when it is not significant. ``unverified``: why an evaluation cause cannot be
    ruled out ('' when the check compared the evaluations), said in a data verdict."""
    total = dec.total_change
    direction = "drop" if total < 0 else "gain"
    pattern = dec.content_pattern
    localized = pattern == "concentrated" or bool(
        content_kept and (not significant or pattern == "mixed")
    )
    if localized:
        if content_kept:
            where = _names(content_kept)
        else:
            where = "; ".join(
                f"{a}={dec.concentration[a].top_value}"
                for a in dec.content_axes
                if a in dec.concentration and dec.concentration[a].pattern == "concentrated"
            )
        return Verdict(
            "data",
            assumed
            + f"{'A data problem' if total < 0 else 'A content gain, from the model'}: "
            f"{_split_text(dec, 'wrong')}; the {direction} is "
            f"{_pattern_text(pattern) if pattern == 'concentrated' else 'localized'}, in "
            f"{where}." + (f" Not checked: {unverified}." if unverified else ""),
            [], evidence, content_kept, "localized_wrong_answers",
        )  # fmt: skip
    if significant:
        summary, broad_ev = _broad_capability(dec, overall, slice_tests, uninformative,
                                              benchmark, bool(assumed), unverified)  # fmt: skip
        evidence += broad_ev
        return Verdict(
            "data", assumed + summary,
            ["broad capability: the model answers more items wrongly across the benchmark's "
             "domain; check the training data of that domain as a whole (its share, quality "
             "and recency) rather than one slice"]
            if total < 0 else [],
            evidence, kept, "broad_capability",
        )  # fmt: skip
    power_text, power_ev = _inconclusive_power(overall)
    evidence.append(power_ev)
    others = _names(search.significant) if search is not None else ""
    return Verdict(
        "inconclusive",
        assumed + f"No significant overall change ({_pts(total)}, p{_pe(overall.p_value, overall.n_boot)}) "
        f"and no content slice moving with it passes the corrected paired test; the "
        f"significant slices ({others}) move the other way or are not content slices. "
        f"{power_text}",
        [], evidence, [], "weak_evidence",
    )  # fmt: skip


def _weak_combinations(
    combinations: Sequence[Mapping[str, Any]],
    weak_task_types: Mapping[str, SignificantSlice],
    reference: float,
) -> str:
    """Weakest task_type x solving_operation cells, as a sentence fragment.

    Cells of a task_type that is itself a significant slice are summarised under it (the
    whole task type is weak); the other cells below ``reference`` are listed weakest first.
    Cells that carry ``reference_score`` (against a reference run, ``workspace.diagnose``)
    are chosen and ranked by their deficit against the reference on the same cell instead:
    those below it, largest deficit first, each with the reference's score
    (:func:`_reference_combinations`).
    """
    if combinations and all("reference_score" in c for c in combinations):
        return _reference_combinations(combinations)
    seen: dict[tuple[str, str], Mapping[str, Any]] = {}
    for c in combinations:
        seen.setdefault((str(c["task_type"]), str(c["solving_operation"])), c)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    rest = []
    for (tt, _), c in seen.items():
        if tt in weak_task_types:
            groups.setdefault(tt, []).append(c)
        elif c["score"] < reference:
            rest.append(c)
    rest.sort(key=lambda c: (c["score"], -c["n_items"]))
    parts = []
    for tt, cells in sorted(groups.items(), key=lambda t: min(c["score"] for c in t[1])):
        corr = sum(float(c["correct"]) for c in cells)
        n = sum(int(c["n_samples"]) for c in cells)
        items = sum(int(c["n_items"]) for c in cells)
        if len(cells) > 1:
            head = f"{tt} x all {len(cells)} of its solving_operations"
        elif _unlabelled(cells[0]["solving_operation"]):  # walk 18 F7: none is labelled
            head = f"{tt} (no solving_operation labelled)"
        else:
            head = f"{tt} x its only solving_operation"
        parts.append(
            head + f" {_pct(corr / n if n else math.nan)}"
            f" ({_num(corr)}/{n} samples correct, {items} items)"
        )
    for c in rest[:MAX_COMBINATIONS]:
        op = c["solving_operation"]
        cell = (
            f"{c['task_type']} x {op}"
            if not _unlabelled(op)
            else (f"{c['task_type']} (no solving_operation labelled)")
        )
        parts.append(f"{cell} {_pct(c['score'])} ({_cell_counts(c)})")
    return "; ".join(parts)


def _unlabelled(value: Any) -> bool:
    """A combination's axis value that stands for "no label" (``(unlabelled)``, None)."""
    return value is None or value in ("", UNLABELLED)


def _cell_counts(c: Mapping[str, Any]) -> str:
    """A cell's counts: the sample ratio, or a mean of per-item accuracies beside it."""
    corr, n = float(c["correct"]), int(c["n_samples"])
    ratio = _pct(corr / n if n else math.nan)
    if ratio == _pct(c["score"]):
        return f"{_num(corr)}/{n} samples correct, {c['n_items']} items"
    return f"mean of {c['n_items']} items; samples {_num(corr)}/{n} = {ratio}"


def _reference_combinations(combinations: Sequence[Mapping[str, Any]]) -> str:
    """Cells below the reference run on the same cell (``reference_score``, the reference's
    mean per-item accuracy on the cell's items), largest deficit first, at most
    :data:`MAX_COMBINATIONS`, e.g. ``counting_probability x casework 12.0% vs 54.3%
    (-42.3 points; 208 samples, 13 items)``; empty when none is below."""
    below = sorted(
        (c for c in combinations if c["score"] < c["reference_score"]),
        key=lambda c: (c["score"] - c["reference_score"], -c["n_items"]),
    )
    return "; ".join(
        f"{c['task_type']} x {c['solving_operation']} {_pct(c['score'])} vs "
        f"{_pct(c['reference_score'])} ({_pts(c['score'] - c['reference_score'])}; "
        f"{_cell_counts(c)})"
        for c in below[:MAX_COMBINATIONS]
    )


LARGE_DIFFERENCE = 0.05
"""Accuracy gap (proportion) between two evaluations of the same items that counts as large
when it is also significant (paired test)."""


@dataclass(frozen=True)
class OtherEvaluation:
    """The same items evaluated differently in another run of the store (weakness mode).

    Attributes:
        run: the other run's name.
        differences: how its evaluation differs (``EvaluationCheck.summary()``).
        n_items: items shared with the diagnosed run.
        diff: the other run's accuracy minus the diagnosed run's on those items (proportion).
        p_value: paired test of that difference (exact McNemar or paired bootstrap).
        sensitive: weak slices (labels) on which the other evaluation scores significantly
            higher (paired test per slice, Benjamini-Hochberg across the weak slices).
    """

    run: str
    differences: str
    n_items: int
    diff: float
    p_value: float
    sensitive: tuple[str, ...] = ()

    @property
    def large(self) -> bool:
        """Significant (p < 0.05) and at least :data:`LARGE_DIFFERENCE` apart."""
        return (
            not _nan(self.p_value) and self.p_value < ALPHA and abs(self.diff) >= LARGE_DIFFERENCE
        )

    def text(self) -> str:
        """``run bbh-cot holds the same 6,511 items evaluated differently (...) and scores
        +23.3 points on them (p=...)``."""
        return (
            f"run {self.run} holds the same {self.n_items:,} items evaluated differently "
            f"({self.differences}) and scores {_pts(self.diff)} against this run on them "
            f"(paired p{_pe(self.p_value)})"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (attributes plus ``large``)."""
        return {
            "run": self.run, "differences": self.differences, "n_items": self.n_items,
            "diff": self.diff, "p_value": self.p_value, "sensitive": list(self.sensitive),
            "large": self.large,
        }  # fmt: skip


@dataclass(frozen=True)
class FormatLoad:
    """How much of one run's failures are format failures (weakness mode).

    Attributes:
        n_items: items of the run (sum of per-item weights).
        failures: share of the items failing (per-item weights: 1 − mean per-item accuracy
            when modes agree with the scores).
        parts: format mode -> its share of the items (``truncated``, ``extraction_failure``,
            ``runaway``, ``empty``).
        wrong: ``wrong_answer``'s share of the items.
        share: format failures / failures (the pair rule's ``format_share`` for one run: the
            run's failures read as a drop from a run that fails nothing).
        concentration: content axis -> :class:`Concentration` of the format failures over its
            slices (the rule of :func:`decompose.decompose_change`, with each slice's format
            failure rate as its drop).
        pattern: ``spread`` | ``concentrated`` | ``mixed`` | ``no_change`` over the content
            axes.
    """

    n_items: float
    failures: float
    parts: dict[str, float]
    wrong: float
    share: float
    concentration: dict[str, Concentration]
    pattern: str

    @property
    def total(self) -> float:
        """Format failures' share of the items."""
        return sum(self.parts.values())


def format_load(w: Weakness, content_axes: Sequence[str] = CONTENT_AXES) -> FormatLoad | None:
    """The format failures of one run (:class:`FormatLoad`), None when the run carries no
    failure modes or fails nothing. The same evidence as the pair rule 3 of
    :func:`verdict_for_change`: the run's failures are the change from a run that answers
    everything right, so format modes' share of them is ``format_share`` and their content
    pattern is measured with the same concentration rule (``CARRY_SHARE``,
    ``CONCENTRATED_WEIGHT``, ``SPREAD_FRACTION`` of :mod:`decompose`) on each content axis."""
    shares = w.mode_shares
    failures = sum(v for m, v in shares.items() if m != "correct" and not _nan(v))
    if not shares or failures <= 0:
        return None
    parts = {m: float(shares.get(m) or 0.0) for m in FORMAT_MODES}
    total = sum(parts.values())
    conc: dict[str, Concentration] = {}
    for axis in content_axes:
        deltas = []
        for d in w.axes.get(axis, []):
            rate = sum(float(d.mode_shares.get(m) or 0.0) for m in FORMAT_MODES)
            deltas.append(SliceDelta(
                axis=d.axis, value=d.value, n=d.n, items=d.items, weight=d.weight,
                base_correct=d.items, cand_correct=d.items * (1 - rate), base_score=1.0,
                cand_score=1 - rate, delta=-rate, contribution=-d.weight * rate,
                eligible=d.eligible,
            ))  # fmt: skip
        if deltas:
            conc[axis] = _concentration(axis, deltas, -total)
    return FormatLoad(
        n_items=w.n_items, failures=failures, parts=parts,
        wrong=float(shares.get("wrong_answer") or 0.0), share=total / failures,
        concentration=conc, pattern=_content_pattern(conc, content_axes) if total else "no_change",
    )  # fmt: skip


def _load_parts(load: FormatLoad) -> str:
    """``extraction_failure 20.4%, truncated 15.2%, runaway 6.0%`` (of the items), largest first."""
    top = sorted((m for m in FORMAT_MODES if load.parts[m]), key=lambda m: -load.parts[m])
    return ", ".join(f"{m} {_pct(load.parts[m])}" for m in top)


def _load_count(load: FormatLoad) -> str:
    """``200/480 items``; for several samples per item, whose per-item weights give fractions
    of an item, ``per-item weights over 100 items``."""
    k, n = load.total * load.n_items, load.n_items
    if abs(k - round(k)) < 1e-6 and abs(n - round(n)) < 1e-6:
        return f"{_num(k)}/{_num(n)} items"
    return f"per-item weights over {_num(n)} items"


def _load_text(load: FormatLoad) -> str:
    """``format failures are 41.7% of the items (200/480 items) and 60.8% of the run's
    failures (extraction_failure 20.4%, ... of the items; wrong answers 26.9%)`` (the demo's
    ``capslice diagnose bbh-eos-masked``)."""
    return (
        f"format failures are {_pct(load.total)} of the items ({_load_count(load)}) "
        f"and {_pct(load.share)} of the run's failures ({_load_parts(load)} of the items; "
        f"wrong answers {_pct(load.wrong)})"
    )


def _load_where(load: FormatLoad) -> str:
    """Where the format failures sit on the content axes, in words."""
    if not load.total:
        return "no item fails by format"
    if load.pattern == "no_change":
        return "the content axes cannot tell apart the items they hit"
    if load.pattern == "concentrated":
        tops = [
            f"{c.axis}={c.top_value}" for c in load.concentration.values()
            if c.pattern == "concentrated" and c.top_value is not None
        ]  # fmt: skip
        return "concentrated in a few content slices" + (f" ({'; '.join(tops)})" if tops else "")
    return _pattern_text(load.pattern)


def _load_evidence(
    load: FormatLoad, signals: Mapping[str, int] | None, cap_modes: Mapping[str, float] | None
) -> tuple[list[str], list[Evidence]]:
    """Likely causes of one run's format failures and their evidence: the share line, one
    line per content axis (the pair rule's spread evidence) and the run's text signals."""
    moves, sig_ev = _signal_evidence(None, signals, None, cap_modes, who="the run")
    causes = _format_causes(load.parts, moves, True, outputs="the run's outputs")
    ev = [
        Evidence(
            "format failures' share of the run's failures", _r1(load.share),
            # the threshold first, beside the share it applies to (walk 9 #43: it sat beside
            # the share of items failing, a different quantity)
            f"not_data needs this share >= {FORMAT_SHARE:.0%}, not concentrated in a few "
            "content slices, as for a change; "
            + (
                f"format failures: {_load_parts(load)} of the items ({_load_count(load)}); "
                f"{_load_where(load)}"
                if load.total
                else f"no item fails by format ({_load_count(load)})"
            )
            + f"; the run's failures: {_pct(load.failures)} of the items",
            "%",
        )
    ]  # fmt: skip
    for c in load.concentration.values():
        if c.pattern in ("single_slice", "no_change"):
            continue
        ev.append(Evidence(
            f"{c.axis}: slices with format failures", f"{c.n_moving}/{c.n_eligible}",
            f"pattern {c.pattern}; top slice {c.top_value} carries {_pct(c.top_share)} of them; "
            f"{plural(c.n_carrying, 'slice')} holding {_pct(c.carrying_weight)} of the items "
            f"{'carries' if c.n_carrying == 1 else 'carry'} {CARRY_SHARE:.0%} of them",
            "slices",
        ))  # fmt: skip
    return causes, ev + sig_ev


def _format_weakness(
    load: FormatLoad, causes: list[str], search_text: str, note: str, evidence: list[Evidence]
) -> Verdict:
    """One run whose failures are mostly format failures, not concentrated in a few content
    slices: not a data problem (the pair rule 3 for one run)."""
    likely = f" Most likely cause: {causes[0].split(':')[0]}." if causes else ""
    return Verdict(
        "not_data",
        f"Not a data problem: {_load_text(load)}, {_load_where(load)}.{likely} Fix the "
        "training config, the generation settings or the answer extraction first, then "
        "diagnose again: while most "
        "failures are format failures, a weak content slice cannot be read as a data "
        f"weakness. {search_text}" + note,
        causes or [
            "format/termination: check the generation cap (max_gen_toks), the stop sequences, "
            "the EOS token and the answer-extraction filter"
        ],
        evidence, [], "format_failures",
    )  # fmt: skip


def _format_step(
    w: Weakness,
    content_axes: Sequence[str],
    signals: Mapping[str, int] | None,
    cap_modes: Mapping[str, float] | None,
    search: str,
    note: str,
    evidence: list[Evidence],
) -> tuple[Verdict | None, str]:
    """The format rule of a weakness verdict: adds the format evidence to ``evidence`` (after
    the failure-mode line); returns the ``not_data`` verdict when format failures carry the
    run's failures (>= FORMAT_SHARE, not concentrated, on >= MIN_SLICE_SIZE items), else
    None and ``note`` with the format note (:func:`_load_note`) in front."""
    load = format_load(w, content_axes)
    if load is None:
        return None, note
    causes, load_ev = _load_evidence(load, signals, cap_modes)
    at = next((i + 1 for i, e in enumerate(evidence) if e.name == "failure modes overall"), 0)
    evidence[at:at] = load_ev
    if (
        load.share >= FORMAT_SHARE
        and load.pattern != "concentrated"
        and load.total * load.n_items >= MIN_SLICE_SIZE
    ):
        return _format_weakness(load, causes, search, note, evidence), note
    return None, _load_note(load) + note


def _load_note(load: FormatLoad | None) -> str:
    """A note on format failures that do not decide a weakness verdict: concentrated in a few
    content slices, or >= :data:`FORMAT_NOTE_SHARE` of the failures; '' otherwise."""
    if load is None or load.share < FORMAT_NOTE_SHARE:
        return ""
    return (
        f" Note: {_load_text(load)}, {_load_where(load)}; the slice scores include them, so "
        "check the generation settings (cap, stop sequences, EOS, answer filter) before "
        "reading them as data."
    )


def _preds(s: SignificantSlice | PairedSlice) -> tuple[tuple[str, str], ...]:
    return s.predicates if isinstance(s, PairedSlice) else s.slice.predicates


def verdict_for_weakness(
    weakness: Weakness,
    slices: SliceSearch | PairedSliceSearch,
    content_axes: Sequence[str] = CONTENT_AXES,
    *,
    sample_counts: Mapping[str, tuple[float, int]] | None = None,
    combinations: Sequence[Mapping[str, Any]] | None = None,
    uninformative: Mapping[str, str] | None = None,
    benchmark: str | None = None,
    other_evaluations: Sequence[OtherEvaluation] = (),
    reference: str | None = None,
    reference_evaluation: EvaluationCheck | None = None,
    same_evaluation: bool = False,
    signals: Mapping[str, int] | None = None,
    cap_modes: Mapping[str, float] | None = None,
    run: str | None = None,
    lineage: str | None = None,
    same_lineage: bool = False,
    checkpoint: str | None = None,
    references: Sequence[ReferenceRun] = (),
) -> Verdict:
    """Verdict for a single run's weak slices.

    Weak slices: against the run's own average, the slices of
    :func:`slice_search.significant_slices` on the per-item error 1 − item accuracy (one-sided,
    each slice against the rest of the items, BH); against a reference run
    (``slices`` a :class:`PairedSliceSearch`), the slices where the run is significantly
    below the reference in the paired test per slice (BH).

    Against the run's own average a slice that is harder for every model looks weak too:
    the verdict keeps ``data`` (format, termination and evaluation causes are ruled out, and a
    slice failing by wrong answers is one that content can fix, hard or not) but says the
    slices are weak relative to the run's own average and that difficulty is not ruled out;
    a reference run, paired by item, rules it out.

    Rules, after the reference's evaluation check: ``not_data`` (``format_failures``) when
    format failures (truncated, extraction_failure, runaway, empty) are >= FORMAT_SHARE of the
    run's failures, not concentrated in a few content slices and on at least MIN_SLICE_SIZE
    items (:func:`format_load`: the
    pair rule 3 for one run, its failures read as a drop from a run that fails nothing) — a
    run that does not end or cannot be read shows no data weakness until the training config
    or the generation settings are fixed; format failures that are concentrated, or
    >= FORMAT_NOTE_SHARE of the failures, are noted in the summary. Then ``inconclusive``
    when no content slice is weak (``no_finer_slice`` when no content
    axis can tell the items apart, else ``no_weak_content_slice``); ``data`` when some weak
    content slices fail mostly by wrong answers (>= WRONG_SHARE of their failing items) —
    unless another run holds the same items evaluated differently and scores significantly
    higher on every one of those slices (``other_evaluations``): a prompting effect is not a
    data weakness, so the verdict is then ``inconclusive`` (``evaluation_sensitive``);
    ``not_data`` when the weak content slices fail mostly by format modes; ``inconclusive``
    for a mix. The summary counts every weak slice, says how many are on content axes and how
    many of those fail mostly with wrong answers, names the weakest
    task_type x solving_operation combinations with their per-sample counts, and notes other
    evaluations of the same items with a large difference.

    Args:
        weakness: :func:`decompose.decompose_weakness` of the run (sample rows weighted
            1/samples per item, so figures are per item).
        slices: the slice search (see above).
        content_axes: axes about what an item asks.
        sample_counts: slice label -> (correct samples, samples), shown beside per-item
            figures; optional.
        combinations: task_type x solving_operation cells, each a mapping with
            ``task_type``, ``solving_operation``, ``score`` (mean per-item accuracy),
            ``correct`` (samples), ``n_samples``, ``n_items``; optional. The weakest are named
            in the summary.
        uninformative: :func:`slice_search.uninformative_axes` of the run's items.
        benchmark: benchmark name used in sentences, optional.
        other_evaluations: other runs holding the same items evaluated differently.
        reference: the reference run's name when ``slices`` is paired against it.
        reference_evaluation: how the reference run's evaluation of the same items differs
            (:func:`evaluation.compare_evaluations`, reference as base); a material difference
            makes the verdict ``not_data`` (``evaluation_changed``): the gaps against it
            measure the evaluation. Unless ``same_evaluation``, then the summary says so.
        same_evaluation: the user takes the evaluations as the same on purpose: neither the
            reference's nor another run's evaluation difference blocks a data verdict.
        signals: :func:`failure_modes.signal_counts` of the run's samples (cap hits, new
            blocks, literal stop tokens, loops, and ``n``); optional, names the likely cause
            of format failures.
        cap_modes: failure mode -> samples at the generation cap; optional, shown beside the
            cap evidence.
        run: the diagnosed run's name (in the command that rules out difficulty).
        lineage: against a reference, why the two runs are not checkpoints of one training
            lineage (``workspace.diagnose.not_one_lineage``): a ``data`` verdict becomes
            ``inconclusive`` (``not_a_checkpoint_pair``) unless ``same_lineage``, as for a
            change (:func:`_lineage_step`).
        same_lineage: the user says the run and the reference are one lineage.
        checkpoint: against a reference, why the records say the run and the reference are
            one checkpoint (``workspace.pairs.same_checkpoint``): as ``lineage``, in its own
            words (:func:`_checkpoint_step`).
        references: against the run's own average, other runs holding its items, the one to
            test against first (:class:`ReferenceRun`): a ``data`` verdict's summary says the
            slices are weak relative to the run's own average, that difficulty is not ruled out
            without a reference, and how to rule it out (:func:`_difficulty_text`).

    Returns:
        :class:`Verdict`.
    """
    verdict = _weakness_verdict(
        weakness, slices, content_axes, sample_counts=sample_counts, combinations=combinations,
        uninformative=uninformative, benchmark=benchmark, other_evaluations=other_evaluations,
        reference=reference, reference_evaluation=reference_evaluation,
        same_evaluation=same_evaluation, signals=signals, cap_modes=cap_modes,
    )  # fmt: skip
    if isinstance(slices, PairedSliceSearch):
        who = f"{run or 'the run'} and the reference {reference or 'run'}"
        verdict = _checkpoint_step(verdict, checkpoint, same_lineage, "the gaps against it", who)
        return _lineage_step(verdict, lineage, same_lineage, "the gaps against it", who)
    if verdict.verdict != "data":
        return verdict
    return replace(
        verdict, summary=verdict.summary + _difficulty_text(weakness, run, benchmark, references)
    )


@dataclass(frozen=True)
class ReferenceRun:
    """Another run holding a run's items: what ``--reference`` would test the weak slices
    against (weakness mode against the run's own average).

    Attributes:
        run: its name.
        n_items: items it shares with the diagnosed run.
        lineage: why it is not of the diagnosed run's training lineage
            (``workspace.diagnose.not_one_lineage``), None when it is or cannot be told.
    """

    run: str
    n_items: int
    lineage: str | None = None


def _difficulty_text(
    w: Weakness, run: str | None, benchmark: str | None, references: Sequence[ReferenceRun]
) -> str:
    """What a weakness against the run's own average cannot tell: a slice harder for every
    model is weak this way too. Says how to rule difficulty out: ``--reference`` naming the
    first of ``references`` (a run of the same lineage first, ``workspace.diagnose``), or
    that no other run in the store holds the items."""
    import shlex

    text = (
        " These slices are weak relative to the run's own average "
        f"({_pct(w.reference_score)} mean per-item accuracy), not to another run: a slice "
        "harder for every model looks weak this way too, so difficulty is not ruled out "
        "without a reference."
    )
    if not references:
        return text + (
            " No other evaluation of these items is in the store: to rule difficulty out, ingest "
            "another evaluation of them (an earlier checkpoint of this model) and diagnose with "
            "--reference RUN."
        )
    ref = references[0]
    words = ["capslice", "diagnose", run or "RUN", "--reference", ref.run]
    words += ["--benchmark", benchmark] if benchmark else []
    text += (
        " To rule it out, test each slice against another run of the same items, paired by "
        f"item: `{shlex.join(words)}`; {ref.run} holds {ref.n_items:,} of them"
    )
    if ref.lineage:  # the verdict against it would be not_a_checkpoint_pair: said before
        text += (
            ", but it is not of this run's training lineage, so it can rule difficulty out, "
            f"not put the gaps down to data: {ref.lineage}"
        )
    return text + "."


def _weakness_verdict(
    weakness: Weakness,
    slices: SliceSearch | PairedSliceSearch,
    content_axes: Sequence[str] = CONTENT_AXES,
    *,
    sample_counts: Mapping[str, tuple[float, int]] | None = None,
    combinations: Sequence[Mapping[str, Any]] | None = None,
    uninformative: Mapping[str, str] | None = None,
    benchmark: str | None = None,
    other_evaluations: Sequence[OtherEvaluation] = (),
    reference: str | None = None,
    reference_evaluation: EvaluationCheck | None = None,
    same_evaluation: bool = False,
    signals: Mapping[str, int] | None = None,
    cap_modes: Mapping[str, float] | None = None,
) -> Verdict:
    """The verdict of a weakness read from its evidence (arguments and rules: :func:`verdict_for_weakness`)."""
    w = weakness
    paired = isinstance(slices, PairedSliceSearch)
    sample_counts = sample_counts or {}
    weak, n_sig, how = _weak_slices(slices, reference)
    evidence = _weakness_evidence(
        w, slices, weak, n_sig, how, sample_counts, uninformative, benchmark, content_axes,
        other_evaluations,
    )  # fmt: skip
    large = [o for o in other_evaluations if o.large]
    content = [s for s in weak if any(a in content_axes for a, _ in _preds(s))]
    n_all, n_content = len(weak), len(content)
    weaker = (
        f"significantly below {reference or 'the reference run'}"
        if paired
        else "significantly weaker than the rest"
    )
    counted = (
        f"{plural(n_all, 'slice')} {'is' if n_all == 1 else 'are'} {weaker} "
        f"({slices.n_tested} tested, Benjamini-Hochberg "
        f"q={slices.q}); {n_content} of them on content axes"
    )
    note = ""
    if large:
        note = (
            " Note: " + "; ".join(o.text() for o in large) + ". A weakness that changes with "
            "the prompting is not a data weakness."
        )
    evidence += _evaluation_evidence(reference_evaluation)
    if reference_evaluation is not None and reference_evaluation.changed:
        if not same_evaluation:
            return Verdict(
                "not_data",
                f"Not a data weakness: the reference run {reference} evaluated these items "
                f"differently ({reference_evaluation.summary()}), so the gaps against it "
                "measure the evaluation, not the data. Diagnose against a reference evaluated "
                "the same way, or pass --same-evaluation if the two are meant to be the same "
                "evaluation.",
                [f"evaluation changed: {p}" for p in reference_evaluation.phrases(True)],
                evidence, [], "evaluation_changed",
            )  # fmt: skip
        note = (
            f" Assumed the same evaluation as {reference} (--same-evaluation), although "
            f"{reference_evaluation.summary()}." + note
        )
    search = (
        f"Slice search: {counted}."
        if n_all
        else f"Slice search: no slice is {weaker} ({slices.n_tested} tested)."
    )
    by_format, note = _format_step(w, content_axes, signals, cap_modes, search, note, evidence)
    if by_format is not None:
        return by_format
    if not content:
        return _no_content_verdict(
            w, slices, n_all, weaker, counted, note, evidence, uninformative, benchmark,
            content_axes,
        )  # fmt: skip
    wrong = [s for s in content if _wrong_share(s) >= WRONG_SHARE]
    fmt = [s for s in content if (1 - _wrong_share(s)) >= FORMAT_SHARE]
    if not wrong and not fmt:
        return Verdict(
            "inconclusive",
            f"{counted}, but their failures are a mix of wrong answers and format failures "
            "(or carry no failure modes)." + note,
            [], evidence, content, "mixed_causes",
        )  # fmt: skip
    if wrong:
        return _weak_wrong_answers(
            w, weak, wrong, counted, note, evidence, other_evaluations, same_evaluation,
            combinations,
        )  # fmt: skip
    names = "; ".join(s.label for s in fmt[:4])
    return Verdict(
        "not_data",
        f"{counted}; they fail mostly by format (extraction, truncation, runaway or empty "
        f"output), not by wrong answers: {names}." + note,
        ["format/termination of these items: check the generation cap, stop sequences and "
         "the answer-extraction filter for them"],
        evidence, fmt, "format_failures",
    )  # fmt: skip


def _weakness_evidence(
    w: Weakness,
    slices: SliceSearch | PairedSliceSearch,
    weak: Sequence[Any],
    n_sig: int,
    how: str,
    sample_counts: Mapping[str, tuple[float, int]],
    uninformative: Mapping[str, str] | None,
    benchmark: str | None,
    content_axes: Sequence[str],
    other_evaluations: Sequence[OtherEvaluation],
) -> list[Evidence]:
    """The evidence of a weakness verdict: overall accuracy, slices tested, failure modes,
    axes, other evaluations of the same items and the first weak slices."""
    paired = isinstance(slices, PairedSliceSearch)
    per_sample = (
        f"; pooled over samples: {_num(w.rows_correct)}/{w.n_rows} samples correct "
        f"({_pct(w.rows_correct / w.n_rows)})"
        if not _nan(w.rows_correct) and w.n_rows
        else ""
    )
    evidence = [
        Evidence(
            "overall accuracy (mean per item)", _r1(w.score),
            f"mean of the per-item accuracies over {_num(w.n_items)} items (each item weighs 1 "
            f"whatever its number of samples; their sum is {w.score * w.n_items:.1f})"
            + per_sample,
            "%",
        ),
        Evidence("slices tested", slices.n_tested,
                 f"{n_sig} significant at BH q={slices.q} ({how}) before nesting collapse, "
                 f"{len(weak)} kept after it", "slices"),
    ]  # fmt: skip
    if w.mode_shares:
        ev = ", ".join(f"{m} {_pct(v)}" for m, v in w.mode_shares.items() if v)
        evidence.append(
            Evidence("failure modes overall", "", f"share of items (per-item weights): {ev}")
        )
    evidence += _axes_evidence(uninformative, benchmark, content_axes)
    for o in other_evaluations:
        evidence.append(
            Evidence(
                f"same items evaluated differently in run {o.run}", _r1(o.diff),
                o.text() + (f"; significantly higher on the weak slices {'; '.join(o.sensitive)}"
                            if o.sensitive else ""),
                "points",
            )
        )  # fmt: skip
    if paired:
        evidence += [_paired_slice_evidence(s) for s in weak[:6]]
    else:
        evidence += [_slice_evidence(s, "weakness", sample_counts.get(s.label)) for s in weak[:6]]
    return evidence


def _weak_wrong_answers(
    w: Weakness,
    weak: Sequence[Any],
    wrong: list[Any],
    counted: str,
    note: str,
    evidence: list[Evidence],
    other_evaluations: Sequence[OtherEvaluation],
    same_evaluation: bool,
    combinations: Sequence[Mapping[str, Any]] | None,
) -> Verdict:
    """Weak content slices failing mostly with wrong answers: a data weakness, unless another
    evaluation of the same items scores significantly higher on every one of them."""
    # --same-evaluation: the user takes the evaluations as the same on purpose
    sensitive = (
        set() if same_evaluation else {lbl for o in other_evaluations for lbl in o.sensitive}
    )
    held = [s for s in wrong if s.label not in sensitive]
    if not held:
        who = "; ".join(o.text() for o in other_evaluations if o.sensitive)
        return Verdict(
            "inconclusive",
            f"The weak slices depend on how the items were evaluated, so they are not "
            f"read as a data weakness: {who}; it scores significantly higher on every weak "
            f"slice ({'; '.join(s.label for s in wrong[:6])}). A prompting effect is not a "
            f"data weakness: compare the two evaluations with `capslice diagnose` on the "
            "two runs first.",
            ["evaluation: the same items score differently under another prompting; "
             "compare the evaluations before planning data"],
            evidence, wrong, "evaluation_sensitive",
        )  # fmt: skip
    names = "; ".join(s.label for s in held[:6])
    more = f" and {len(held) - 6} more" if len(held) > 6 else ""
    weak_tt = {
        _preds(s)[0][1]: s for s in weak if len(_preds(s)) == 1 and _preds(s)[0][0] == "task_type"
    }
    combos = _weak_combinations(combinations or [], weak_tt, w.reference_score)
    summary = (
        f"A data weakness: {counted}, {len(held)} of those failing mostly with wrong "
        f"answers (>= {WRONG_SHARE:.0%} of failing items): {names}{more}."
    )
    if len(held) < len(wrong):
        summary += (
            " Left out because another evaluation of the same items scores significantly "
            f"higher on them: {'; '.join(s.label for s in wrong if s.label in sensitive)}."
        )
    ref_who = "the run's own" if w.reference == "own average" else "the reference run's"
    if combos and combinations and "reference_score" in combinations[0]:
        summary += (
            " Furthest below the reference run on the same task_type x solving_operation "
            f"combination (this run vs the reference there, largest deficit first): {combos}."
        )
    elif combos:
        summary += (
            " Weakest task_type x solving_operation combinations (below "
            f"{ref_who} {_pct(w.reference_score)} mean per-item accuracy): {combos}."
        )
    return Verdict("data", summary + note, [], evidence, held, "localized_wrong_answers")


def _no_content_verdict(
    w: Weakness,
    slices: SliceSearch | PairedSliceSearch,
    n_all: int,
    weaker: str,
    counted: str,
    note: str,
    evidence: list[Evidence],
    uninformative: Mapping[str, str] | None,
    benchmark: str | None,
    content_axes: Sequence[str],
) -> Verdict:
    """No weak content slice: the axes cannot tell the items apart, or no content slice is
    significantly weaker."""
    if _no_finer_slice(uninformative, content_axes):
        return Verdict(
            "inconclusive",
            f"No content slice can show a weakness: {_who(benchmark)} cannot be told apart "
            f"on the axes: {_axes_text(uninformative or {}, content_axes)}; the run's "
            f"mean per-item accuracy is {_pct(w.score)}. Item-level labelling rules (from "
            "the question or the reference solution) would give finer slices." + note,
            [], evidence, [], "no_finer_slice",
        )  # fmt: skip
    tested = f"{slices.n_tested} tested, Benjamini-Hochberg q={slices.q}"
    text = (
        f"No slice is {weaker} ({tested})."
        if not n_all
        else f"No content slice is {weaker}: {counted}."
    )
    return Verdict("inconclusive", text + note, [], evidence, [], "no_weak_content_slice")


def _weak_slices(
    slices: SliceSearch | PairedSliceSearch, reference: str | None
) -> tuple[list[Any], int, str]:
    """The weak slices kept after nesting collapse, how many were significant before it, and
    how they were tested (in words)."""
    if isinstance(slices, PairedSliceSearch):
        weak: list[Any] = slices.kept(-1)
        n_sig = len(slices.significant)
        how = (
            f"paired test per slice against {reference or 'the reference run'} (exact McNemar "
            "or paired bootstrap), Benjamini-Hochberg"
        )
    else:
        weak = list(slices.slices)
        n_sig = slices.n_significant
        how = "each slice against the rest of the items, one-sided, Benjamini-Hochberg"
    return weak, n_sig, how
