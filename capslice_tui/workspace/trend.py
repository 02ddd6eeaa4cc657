"""Trends: one slice table per checkpoint, lined up by training step.

A trend reuses :meth:`CoreMixin.slices` for every run (same grouping, benchmark, filter and
average), so each point is exactly the row ``capslice slices`` prints for that run: the score,
its 95% interval (Wilson for 0/1 scores, see statistics.md) and its counts. Nothing is
interpolated or smoothed; a slice absent from a run is a gap, not a zero.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..formatting import count, interval, pct, pct_count, points
from ..store.samples import UNLABELLED
from ..vocabulary import FAILURE_MODES
from ..vocabulary import label as slice_label
from .core import SliceRow, parse_by
from .results import (
    ModeMixDict,
    ModeSeriesDict,
    ModeTrendDict,
    TrendDict,
    TrendRunDict,
    TrendSeriesDict,
)


@dataclass
class TrendRun:
    """One checkpoint of a trend: run name, training step (``runs.step``), model name."""

    name: str
    step: int
    model: str | None

    def to_dict(self) -> TrendRunDict:
        """JSON-ready dict (``name``, ``step``, ``model``)."""
        return {"name": self.name, "step": self.step, "model": self.model}


@dataclass
class TrendSeries:
    """One slice over the trend's runs: ``points[i]`` is its row in ``runs[i]`` (``None``
    when that run has no item in the slice)."""

    key: dict[str, str]
    points: list[SliceRow | None]

    @property
    def label(self) -> str:
        """The slice's values joined by `` & `` (``ALL`` for the whole-run series)."""
        return slice_label(self.key, values_only=True)

    def scores(self) -> list[float | None]:
        """The score at each run (``None`` for a gap), in step order."""
        return [None if p is None else p.score for p in self.points]

    def to_dict(self, runs: Sequence[TrendRun]) -> TrendSeriesDict:
        """JSON-ready dict: the slice and one entry per run (its slice row, or ``null``)."""
        return {
            "slice": self.key,
            "points": [
                {"run": r.name, "step": r.step, **(p.to_dict() if p else {"score": None})}
                for r, p in zip(runs, self.points, strict=True)
            ],
        }


@dataclass
class Trend:
    """Slice scores of several runs ordered by training step.

    ``warnings`` says when the points are not comparable: runs of different models, two runs
    at one step, a slice whose item count or metric changes between runs, two consecutive
    runs whose evaluations differ (``diagnose``'s check; ``evaluation_changed`` holds the
    index of each such run, whose change from the run before is not printed).
    """

    runs: list[TrendRun]
    by: list[str]
    benchmark: str | None
    average: str
    overall: TrendSeries
    series: list[TrendSeries]
    warnings: list[str] = field(default_factory=list)
    intervals: list[str] = field(default_factory=list)
    evaluation_changed: set[int] = field(default_factory=set)

    def to_dict(self) -> TrendDict:
        """JSON-ready dict (``capslice trend --format json``)."""
        return {
            "runs": [r.to_dict() for r in self.runs],
            "by": self.by,
            "benchmark": self.benchmark,
            "average": self.average,
            "intervals": self.intervals,
            "overall": self.overall.to_dict(self.runs),
            "slices": [s.to_dict(self.runs) for s in self.series],
            "warnings": self.warnings,
        }


def _comparability(label: str, points: Sequence[SliceRow | None]) -> list[str]:
    """Warnings for one series whose points do not measure the same thing."""
    rows = [p for p in points if p is not None]
    out = []
    sizes = sorted({p.n_items for p in rows})
    if len(sizes) > 1:
        out.append(
            f"{label}: item count changes across runs ({', '.join(map(str, sizes))}); "
            "its scores are over different item sets"
        )
    metrics = sorted({p.metric for p in rows})
    if len(metrics) > 1:
        out.append(f"{label}: metric changes across runs ({', '.join(metrics)})")
    return out


def trend_rows(trend: Trend) -> list[list[Any]]:
    """One row per slice and run (runs in step order, the ALL series last):
    ``[*slice values, step, run, items, score, 95% CI, count, change]``; ``change`` is the
    score minus the same slice's previous point in points: ``-`` for the first point or after
    a gap, ``items differ`` / ``metric differs`` / ``eval differs`` when the two points do
    not measure the same items the same way (no difference is printed then)."""
    rows = []
    changed = getattr(trend, "evaluation_changed", ())  # a trend built before it was kept
    for s in [*trend.series, trend.overall]:
        if s is trend.overall:
            key = [f"ALL ({trend.average})"] + [""] * (len(trend.by) - 1)
        else:
            key = [s.key.get(g, "") for g in trend.by]
        previous = None
        for i, (run, p) in enumerate(zip(trend.runs, s.points, strict=True)):
            if p is None:
                rows.append([*key, run.step, run.name, 0, "-", "-", "-", "not in this run"])
                previous = None
                continue
            tally = (
                f"macro of {p.n_tasks} tasks"
                if p.average == "macro" and (p.n_tasks or 0) > 1
                else count(p.correct, p.n_samples)
            )
            if previous is None:
                change = "-"
            elif previous.n_items != p.n_items:
                change = "items differ"
            elif previous.metric != p.metric:
                change = "metric differs"
            elif i in changed:  # the point before is run i - 1's
                change = "eval differs"
            else:
                # rounded once (formatting.points): 25/48 - 40/48 is -0.3125 plus float
                # noise, which would print -31.3 beside compare's -31.2 for -15/48
                change = points(p.score - previous.score, "")  # the notes name the unit
            rows.append(
                [*key, run.step, run.name, p.n_items, pct(p.score), interval(p.lo, p.hi),
                 tally, change]
            )  # fmt: skip
            previous = p
    return rows


UNCLASSIFIED = "(unclassified)"
"""The mode of a scored sample stored without one (an old or imported store): counted, never
guessed as one of :data:`capslice_tui.vocabulary.FAILURE_MODES`."""

MODE_GLYPHS: dict[str, str] = {
    "correct": "#",
    "wrong_answer": "x",
    "extraction_failure": "e",
    "truncated": "t",
    "runaway": "r",
    "empty": "_",
    UNCLASSIFIED: "?",
}
"""One ASCII glyph per failure mode in a stacked mix bar (reads without colour, on any
console); :func:`mix_legend` names them."""

MIX_WIDTH = 20
"""Cells of a stacked mix bar: the whole bar is 100% of the samples, a cell 5%."""


@dataclass
class ModeMix:
    """Failure modes of the scored samples of one slice in one run: ``counts[mode]`` samples
    out of ``total`` (every mode of the trend present, 0 when none)."""

    counts: dict[str, int]
    total: int

    def share(self, mode: str) -> float:
        """``counts[mode] / total`` (0..1); 0.0 for an empty slice."""
        return self.counts.get(mode, 0) / self.total if self.total else 0.0

    def to_dict(self) -> ModeMixDict:
        """JSON-ready dict: ``samples`` (the denominator), ``counts`` and ``shares`` (0..1)."""
        return {
            "samples": self.total,
            "counts": dict(self.counts),
            "shares": {m: self.share(m) for m in self.counts},
        }


@dataclass
class ModeSeries:
    """One slice's failure-mode mix over the trend's runs (``None``: no sample in that run)."""

    key: dict[str, str]
    points: list[ModeMix | None]

    @property
    def label(self) -> str:
        """The slice's values joined by `` & `` (``ALL`` for the whole-run series)."""
        return slice_label(self.key, values_only=True)

    def to_dict(self, runs: Sequence[TrendRun]) -> ModeSeriesDict:
        """JSON-ready dict: the slice and one entry per run (its mix, or ``samples: 0``)."""
        return {
            "slice": self.key,
            "points": [
                {"run": r.name, "step": r.step, **(p.to_dict() if p else {"samples": 0})}
                for r, p in zip(runs, self.points, strict=True)
            ],
        }


@dataclass
class ModeTrend:
    """The failure-mode mix of each slice over training steps (``capslice trend --modes``).

    ``modes``: the modes that occur in any point, in :data:`FAILURE_MODES` order (then
    :data:`UNCLASSIFIED`); ``absent``: the vocabulary's modes no sample of the trend has.
    Shares are of scored samples (not items), on the samples the slice table counts.
    """

    runs: list[TrendRun]
    by: list[str]
    benchmark: str | None
    modes: list[str]
    absent: list[str]
    overall: ModeSeries
    series: list[ModeSeries]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> ModeTrendDict:
        """JSON-ready dict (``capslice trend --modes --format json``)."""
        return {
            "runs": [r.to_dict() for r in self.runs],
            "by": self.by,
            "benchmark": self.benchmark,
            "modes": self.modes,
            "absent_modes": self.absent,
            "overall": self.overall.to_dict(self.runs),
            "slices": [s.to_dict(self.runs) for s in self.series],
            "warnings": self.warnings,
        }


def mix_bar(mix: ModeMix | None, modes: Sequence[str], width: int = MIX_WIDTH) -> str:
    """A stacked bar of ``width`` cells, one :data:`MODE_GLYPHS` glyph per cell, modes in
    ``modes`` order; cells are shared out by largest remainder (Hamilton), so the bar is always
    ``width`` long and a mode's cells are its share rounded to whole cells (a mode under half
    a cell may get none). ``""`` for a missing or empty point."""
    if mix is None or not mix.total:
        return ""
    exact = [mix.counts.get(m, 0) * width / mix.total for m in modes]
    cells = [int(x) for x in exact]
    order = sorted(range(len(modes)), key=lambda i: (-(exact[i] - cells[i]), i))
    for i in order[: width - sum(cells)]:
        cells[i] += 1
    return "".join(MODE_GLYPHS.get(m, "?") * n for m, n in zip(modes, cells, strict=True))


MODE_SHORT: dict[str, str] = {
    "wrong_answer": "wrong",
    "extraction_failure": "extraction",
    UNCLASSIFIED: "unclassified",
}
"""Shorter mode names for a legend that must fit 80 columns (the others read as they are)."""


def mix_legend(modes: Sequence[str], width: int = MIX_WIDTH, *, short: bool = False) -> str:
    """The one legend line of a mix bar: each glyph with its mode, and the scale.

    ``short``: ``glyph=name`` with :data:`MODE_SHORT` names and no scale (the app's line,
    under 80 columns for every mode; its help states the scale)."""
    if short:
        return "mix: " + " ".join(
            f"{MODE_GLYPHS.get(m, '?')}={MODE_SHORT.get(m, m)}" for m in modes
        )
    names = "  ".join(f"{MODE_GLYPHS.get(m, '?')} {m}" for m in modes)
    return f"mix: {names}  ({width} cells = 100% of samples)"


def mode_rows(trend: ModeTrend, bar: bool = True) -> list[list[Any]]:
    """One row per slice and run (the ALL series last): ``[*slice values, step, mix bar (when
    ``bar``), samples, *one cell per mode (share with its count, formatting.pct_count), run]``;
    a run without the slice has ``-`` cells (and ``not in this run`` for its bar)."""
    rows = []
    for s in [*trend.series, trend.overall]:
        if s is trend.overall:
            key = ["ALL"] + [""] * (len(trend.by) - 1)
        else:
            key = [s.key.get(g, "") for g in trend.by]
        for run, p in zip(trend.runs, s.points, strict=True):
            if p is None or not p.total:
                picture = ["not in this run"] if bar else []
                rows.append([*key, run.step, *picture, 0, *["-"] * len(trend.modes), run.name])
                continue
            picture = [mix_bar(p, trend.modes)] if bar else []
            cells = [pct_count(p.share(m), p.counts.get(m, 0), p.total) for m in trend.modes]
            rows.append([*key, run.step, *picture, p.total, *cells, run.name])
    return rows


_STEP_SUFFIX = re.compile(
    r"(?:[-_./@]?(?:global_step|step|ckpt|checkpoint|iter(?:ation)?)[-_]?\d+k?"
    r"|[-_./@](?:\d{3,}|\d+k))$",
    re.IGNORECASE,
)


def model_family(model: str | None) -> str:
    """A model name without its trailing step/checkpoint suffix, so checkpoints of one
    training compare as one model: ``demo-org/demo-1b-step100000`` and ``...-step120000`` ->
    ``demo-org/demo-1b``. Stripped once, at the end only: ``step``, ``global_step``,
    ``ckpt``, ``checkpoint`` or ``iter`` with digits (optionally ``k``), after an optional
    ``-_./@``, or a bare number of 3+ digits or with ``k`` after one (``-20000``, ``-20k``).
    A short bare number is part of the name (``gpt-3`` and ``gpt-4``, ``llama-2`` stay
    apart), and so is everything before the suffix (``demo-1b-eosmask-step110000`` ->
    ``demo-1b-eosmask``, a different model). None or empty -> ``-``."""
    name = (model or "").strip()
    if not name:
        return "-"
    return _STEP_SUFFIX.sub("", name) or name


def one_lineage(models: Iterable[str | None]) -> bool:
    """Whether recorded model names are checkpoints of one model or runs continued from it:
    every :func:`model_family` equals the shortest one or extends it after a separator
    (``demo-org/demo-1b`` continued as ``demo-org/demo-1b-eosmask``: the demo's EOS story).
    ``demo-1b`` and ``demo-1bx``, ``gpt-3`` and ``gpt-4``, ``6b_finetuning`` and
    ``6b_verification`` are not. Names not recorded (None, empty) are left out."""
    families = {model_family(m) for m in models if m and m.strip()}
    if len(families) <= 1:
        return True
    base = min(families, key=len)
    return all(f == base or (f.startswith(base) and f[len(base)] in "-_./@") for f in families)


def lineage_pick(runs: Sequence[dict[str, Any]], here: str) -> list[str]:
    """The default runs of a trend from run ``here``: every run with a step whose model is of
    one lineage with ``here``'s (:func:`one_lineage`: its checkpoints, and runs continued from
    it under a longer name, ``demo-1b-eosmask``) and that was evaluated on the same benchmarks,
    in the order of ``runs``. A run continued from the model is in: leaving it out would hide
    its step from the trend (the demo's EOS dip at step 110000).

    Args:
        runs: run dicts with ``name``, ``step`` (int or None), ``model`` (str or None) and
            ``benchmarks`` (names, or a dict keyed by them), as :meth:`CoreMixin.runs` gives.
        here: the name of the run the pick starts from.

    Returns:
        Run names (``here`` among them when it has a step); ``[]`` when ``here`` is unknown.
        A run without a recorded model goes only with others without one.
    """
    start = next((r for r in runs if r["name"] == here), None)
    if start is None:
        return []
    benches = sorted(start["benchmarks"])

    def kin(model: str | None) -> bool:
        # a run without a recorded model goes with the others without one only (one_lineage
        # leaves unrecorded names out, so it would join any lineage)
        if model_family(model) == "-" or model_family(start["model"]) == "-":
            return model_family(model) == model_family(start["model"])
        return one_lineage([start["model"], model])

    return [
        r["name"]
        for r in runs
        if r["step"] is not None and sorted(r["benchmarks"]) == benches and kin(r["model"])
    ]


def _left_out(store: Any, order: Sequence[TrendRun], benchmark: str | None) -> list[str]:
    """Warnings naming the runs a trend leaves out between its first and last step that are of
    the same model lineage (:func:`one_lineage`) and evaluated on a benchmark of the trend
    (``benchmark``, or any benchmark every trend run has): a step missing from the trend
    could hide a dip or a peak."""
    names = {r.name for r in order}
    lo, hi = order[0].step, order[-1].step
    models = [r.model for r in order]
    if not any(m and m.strip() for m in models) or not one_lineage(models):
        return []  # no model recorded: no lineage to speak of

    def benches(run_id: int) -> set[str]:
        return {t["benchmark"] for t in store.run_tasks(run_id)}

    others = [
        r
        for r in store.list_runs()
        if r["name"] not in names
        and r["step"] is not None
        and lo < int(r["step"]) < hi
        and (r["model"] or "").strip()
        and one_lineage([*models, r["model"]])
    ]
    if not others:
        return []
    if benchmark:
        shared = {benchmark}
    else:
        sets = [benches(int(store.get_run(n)["id"])) for n in names]
        shared = set.intersection(*sets) if sets else set()
    missed = [
        f"{r['name']}@{r['step']}"
        for r in sorted(others, key=lambda r: (int(r["step"]), r["name"]))
        if benches(int(r["id"])) & shared
    ]
    if not missed:
        return []
    skips = "that step" if len(missed) == 1 else "those steps"
    return [
        f"left out: {', '.join(missed)}: same model lineage and benchmark, at a step "
        f"between {lo} and {hi}; the trend skips {skips} (pick it too to see it)"
    ]


def _evaluation_steps(
    ws: Any, order: Sequence[TrendRun], benchmark: str | None, filter_name: str | None
) -> tuple[set[int], list[str]]:
    """The runs (index in ``order``) whose evaluation differs from the run before them, by
    ``diagnose``'s check (``evaluation_change``: prompts, few-shot, decoding, scoring), and a
    warning for each: a change across them is the evaluation's as much as training's."""
    from .diagnose import evaluation_change

    changed: set[int] = set()
    warnings: list[str] = []
    ids = [int(ws.store.get_run(r.name)["id"]) for r in order]
    for i in range(1, len(order)):
        check = evaluation_change(ws, ids[i - 1], ids[i], benchmark, filter_name)
        if check is None or not check.changed:
            continue
        a, b = order[i - 1], order[i]
        changed.add(i)
        warnings.append(
            f"evaluation differs between {a.name} (step {a.step}) and {b.name} (step "
            f"{b.step}): {check.summary()}; the change between them may come from the "
            f"evaluation, not training, so it is not printed (capslice diagnose {a.name} "
            f"{b.name})"
        )
    return changed, warnings


def _ordered_runs(store: Any, runs: Sequence[str]) -> tuple[list[TrendRun], list[str]]:
    """The named runs in step order (ties by name) and the warnings about them (other
    models, several runs at one step); raises ValueError as :meth:`TrendMixin.trend`."""
    names = [r.strip() for r in runs if r and r.strip()]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"run named more than once: {', '.join(twice)}")
    if len(names) < 2:
        raise ValueError("a trend needs at least two runs (--runs R1,R2,...)")
    infos = [store.get_run(n) for n in names]
    no_step = [i["name"] for i in infos if i["step"] is None]
    if no_step:
        raise ValueError(
            f"{'run' if len(no_step) == 1 else 'runs'} without a training step: "
            f"{', '.join(no_step)}; a trend orders runs by "
            "step (set it with `capslice ingest --step N`)"
        )
    infos.sort(key=lambda i: (int(i["step"]), i["name"]))
    order = [TrendRun(i["name"], int(i["step"]), i["model"]) for i in infos]
    warnings: list[str] = []
    # checkpoints of one model differ only by a step suffix, and a run continued from it
    # may extend its name: one lineage (one_lineage)
    if not one_lineage(r.model or "-" for r in order):
        models = sorted({r.model or "-" for r in order})
        warnings.append(
            f"runs of different models ({', '.join(models)}): their steps are not one training run"
        )
    steps = [r.step for r in order]
    for s in sorted({s for s in steps if steps.count(s) > 1}):
        same = [r.name for r in order if r.step == s]
        warnings.append(f"step {s} has several runs ({', '.join(same)}), ordered by name")
    return order, warnings


class TrendMixin:
    """``trend``: slice scores over training steps (the checkpoints of one model)."""

    def lineage_runs(self, run: str) -> list[str]:
        """The default runs of a trend from ``run``: :func:`lineage_pick` over every stored
        run (its benchmarks from its tasks), in step order (ties by name).

        Raises:
            NotFound: an unknown run (from the store).
        """
        store = self.store  # type: ignore[attr-defined]
        store.get_run(run)  # NotFound names the runs that exist
        benchmarks = store.run_benchmarks()
        runs = [{**r, "benchmarks": benchmarks.get(int(r["id"]), [])} for r in store.list_runs()]
        runs.sort(key=lambda r: (r["step"] is None, r["step"] or 0, r["name"]))
        return lineage_pick(runs, run)

    def trend(
        self,
        runs: Sequence[str],
        *,
        by: str | Sequence[str] = "task",
        benchmark: str | None = None,
        filter_name: str | None = None,
        average: str = "micro",
    ) -> Trend:
        """Slice scores with 95% intervals of ``runs``, ordered by their training step.

        Args:
            runs: two or more run names (any order; each must have a step, ``ingest --step``).
            by, benchmark, filter_name, average: as for :meth:`slices`, applied to every run.

        Returns:
            A :class:`Trend`: runs in step order (ties by name, with a warning), the whole-run
            series, one series per slice present in any run (sorted by key), and warnings.

        Raises:
            ValueError: fewer than two distinct runs, a run named twice, a run without a step,
                an unknown ``average``.
            NotFound: an unknown run (from the store).
        """
        order, warnings = _ordered_runs(self.store, runs)  # type: ignore[attr-defined]
        warnings += _left_out(self.store, order, benchmark)  # type: ignore[attr-defined]
        changed, differ = _evaluation_steps(self, order, benchmark, filter_name)
        warnings += differ
        tables = [
            self.slices(  # type: ignore[attr-defined]
                r.name, benchmark=benchmark, by=by, filter_name=filter_name, average=average
            )
            for r in order
        ]
        keys: dict[tuple[str, ...], dict[str, str]] = {}
        for t in tables:
            for row in t.rows:
                keys.setdefault(tuple(row.key.values()), row.key)
        series = []
        for key in sorted(keys):
            points = [
                next((row for row in t.rows if tuple(row.key.values()) == key), None)
                for t in tables
            ]
            series.append(TrendSeries(keys[key], points))
        overall = TrendSeries({"all": "ALL"}, [t.overall for t in tables])
        for one in [overall, *series]:
            warnings += _comparability(one.label, one.points)
        methods = sorted({p.method for s in [overall, *series] for p in s.points if p})
        return Trend(
            order, tables[0].by, benchmark, average, overall, series, warnings, methods, changed
        )

    def trend_modes(
        self,
        runs: Sequence[str],
        *,
        by: str | Sequence[str] = "task",
        benchmark: str | None = None,
        filter_name: str | None = None,
    ) -> ModeTrend:
        """The failure-mode mix of each slice of ``runs``, ordered by training step.

        Counts every scored sample on each task's primary filter (or ``filter_name``) by its
        ``failure_mode`` (analysis/failure_modes.py), so a point's total equals the sample
        count of the same row of :meth:`slices`; a share is ``counts[mode] / samples``.

        Args:
            runs, by, benchmark, filter_name: as for :meth:`trend`.

        Returns:
            A :class:`ModeTrend`: runs in step order, the whole-run series and one series per
            slice present in any run (sorted by key), and warnings (other models, tied steps,
            a slice whose sample count changes between runs).

        Raises:
            ValueError: as :meth:`trend` (too few runs, a run twice or without a step), an
                unknown grouping.
            NotFound: an unknown run (from the store).
        """
        groups = parse_by(by)
        order, warnings = _ordered_runs(self.store, runs)  # type: ignore[attr-defined]
        store = self.store  # type: ignore[attr-defined]
        warnings += _left_out(store, order, benchmark)
        warnings += _evaluation_steps(self, order, benchmark, filter_name)[1]
        n = len(groups)
        per_run: list[dict[tuple[str, ...], dict[str, int]]] = []
        seen: set[str] = set()
        for r in order:
            run_id = store.get_run(r.name)["id"]
            cells: dict[tuple[str, ...], dict[str, int]] = {}
            for row in store.failure_mode_counts(
                run_id, groups, benchmark=benchmark, filter_name=filter_name
            ):
                key = tuple(UNLABELLED if v is None else str(v) for v in row[:n])
                mode = row[n] if row[n] in FAILURE_MODES else UNCLASSIFIED
                cell = cells.setdefault(key, {})
                cell[mode] = cell.get(mode, 0) + int(row[n + 1])
                seen.add(mode)
            per_run.append(cells)
        modes = [m for m in (*FAILURE_MODES, UNCLASSIFIED) if m in seen]
        absent = [m for m in FAILURE_MODES if m not in seen]

        def mix(counts: dict[str, int] | None) -> ModeMix | None:
            if not counts:
                return None
            return ModeMix({m: counts.get(m, 0) for m in modes}, sum(counts.values()))

        keys = sorted({k for cells in per_run for k in cells})
        series = [
            ModeSeries(dict(zip(groups, k, strict=True)), [mix(c.get(k)) for c in per_run])
            for k in keys
        ]
        totals = []
        for cells in per_run:
            whole: dict[str, int] = {}
            for counts in cells.values():
                for m, c in counts.items():
                    whole[m] = whole.get(m, 0) + c
            totals.append(mix(whole))
        overall = ModeSeries({"all": "ALL"}, totals)
        for one in [overall, *series]:
            sizes = sorted({p.total for p in one.points if p is not None})
            if len(sizes) > 1:
                warnings.append(
                    f"{one.label}: sample count changes across runs "
                    f"({', '.join(map(str, sizes))}); its shares are over different samples"
                )
        return ModeTrend(order, groups, benchmark, modes, absent, overall, series, warnings)
