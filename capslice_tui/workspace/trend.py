"""Trends: one slice table per checkpoint, lined up by training step.

A trend reuses :meth:`CoreMixin.slices` for every run (same grouping, benchmark, filter and
average), so each point is exactly the row ``capslice slices`` prints for that run: the score,
its 95% interval (Wilson for 0/1 scores, see statistics.md) and its counts. Nothing is
interpolated or smoothed; a slice absent from a run is a gap, not a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..formatting import count, interval, pct
from ..vocabulary import label as slice_label
from .core import SliceRow
from .results import TrendDict, TrendRunDict, TrendSeriesDict


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
    at one step, a slice whose item count or metric changes between runs.
    """

    runs: list[TrendRun]
    by: list[str]
    benchmark: str | None
    average: str
    overall: TrendSeries
    series: list[TrendSeries]
    warnings: list[str] = field(default_factory=list)
    intervals: list[str] = field(default_factory=list)

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
    a gap, ``items differ`` / ``metric differs`` when the two points do not measure the same
    items the same way (no difference is printed then)."""
    rows = []
    for s in [*trend.series, trend.overall]:
        if s is trend.overall:
            key = [f"ALL ({trend.average})"] + [""] * (len(trend.by) - 1)
        else:
            key = [s.key.get(g, "") for g in trend.by]
        previous = None
        for run, p in zip(trend.runs, s.points, strict=True):
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
            else:
                # rounded first so one change prints one way: 25/48 - 40/48 is -0.3125 plus
                # float noise, which would print -31.3 beside compare's -31.2 for -15/48
                change = f"{100 * round(p.score - previous.score, 12):+.1f}pt"
            rows.append(
                [*key, run.step, run.name, p.n_items, pct(p.score), interval(p.lo, p.hi),
                 tally, change]
            )  # fmt: skip
            previous = p
    return rows


class TrendMixin:
    """``trend``: slice scores over training steps (the checkpoints of one model)."""

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
        names = [r.strip() for r in runs if r and r.strip()]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"run named more than once: {', '.join(twice)}")
        if len(names) < 2:
            raise ValueError("a trend needs at least two runs (--runs R1,R2,...)")
        infos = [self.store.get_run(n) for n in names]  # type: ignore[attr-defined]
        no_step = [i["name"] for i in infos if i["step"] is None]
        if no_step:
            raise ValueError(
                f"run(s) without a training step: {', '.join(no_step)}; a trend orders runs by "
                "step (set it with `capslice ingest --step N`)"
            )
        infos.sort(key=lambda i: (int(i["step"]), i["name"]))
        order = [TrendRun(i["name"], int(i["step"]), i["model"]) for i in infos]
        warnings: list[str] = []
        models = sorted({r.model or "-" for r in order})
        if len(models) > 1:
            warnings.append(f"runs of different models ({', '.join(models)}): not one training")
        steps = [r.step for r in order]
        for s in sorted({s for s in steps if steps.count(s) > 1}):
            same = [r.name for r in order if r.step == s]
            warnings.append(f"step {s} has several runs ({', '.join(same)}), ordered by name")
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
        return Trend(order, tables[0].by, benchmark, average, overall, series, warnings, methods)
