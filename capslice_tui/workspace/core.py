"""Runs, slices and samples: the read side of the workspace facade.

Start-up (issue 14): this module imports neither numpy nor the ingest path. A greedy run (one
0/1 sample per item) is listed and sliced from the precomputed counts in ``slice_counts`` with
the Wilson interval in plain Python (:func:`_greedy_row`, the same figures as
``analysis.metrics.greedy_score``); numpy, the bootstrap and the ingest code load when a
multi-sample run, a macro average or an ingest needs them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..analysis.proportion import size_warning, wilson
from ..formatting import GREEDY_ACCURACY, ONE_SAMPLE_ACCURACY, one_sample_metric, pct
from ..store import AXES, Store, StoreError
from ..store.samples import UNLABELLED
from ..vocabulary import AVERAGES

if TYPE_CHECKING:  # loaded where used: numpy, the taxonomy parser and the ingest path
    import numpy as np

    from ..taxonomy.evaluation import Taxonomy
    from ..taxonomy.notes import IndistinctAxis
    from .ingest import IngestReport
    from .results import (  # the result types (~60 TypedDicts, ~3 ms to build) for checkers only
        ExportManifest,
        ImportReportDict,
        IndistinctAxisDict,
        RunInfo,
        RunRow,
        SampleDetail,
        SamplePageRow,
        SampleRow,
        SliceRowDict,
        SliceTableDict,
    )

GROUPINGS = ("task", "benchmark", *AXES)


def parse_by(by: str | Sequence[str]) -> list[str]:
    """Parse ``--by`` (``task``, ``benchmark``, an axis, or ``axis1,axis2``) into a list.

    Raises:
        ValueError: an unknown grouping (the message lists the valid ones), or one named twice
            (``task,task``: a combination of an axis with itself is that axis).
    """
    parts = [p.strip() for p in (by.split(",") if isinstance(by, str) else by) if p.strip()]
    if not parts:
        raise ValueError("--by needs at least one of: " + ", ".join(GROUPINGS))
    for i, p in enumerate(parts):
        if p not in GROUPINGS:
            raise ValueError(f"unknown --by value {p!r}; use one of: {', '.join(GROUPINGS)}")
        if p in parts[:i]:
            raise ValueError(
                f"--by names {p!r} twice ({','.join(parts)}); name each axis once "
                f"(--by {','.join(dict.fromkeys(parts))})"
            )
    return parts


def _greedy_benchmarks(
    rows: Sequence[tuple[Any, ...]], average: str
) -> dict[str, dict[str, Any]] | None:
    """The runs listing's per-benchmark entries of a greedy run from its per-task counts
    (``task_counts_all_runs`` rows): accuracy and Wilson interval from n and c alone, as
    ``slice_score`` gives them on the items. None when the run is not greedy (or has no
    counts), or a macro average over several tasks is asked (those read per-task items)."""
    if not rows or any(r[5] != 1 or r[6] for r in rows):
        return None
    tasks: dict[str, list[tuple[int, float]]] = {}
    for bench, _task, n_items, _n, c, _max_n, _frac in rows:
        tasks.setdefault(bench, []).append((int(n_items), float(c)))
    if average == "macro" and any(len(v) > 1 for v in tasks.values()):
        return None
    out = {}
    for bench, parts in sorted(tasks.items()):
        s = _greedy_row({}, sum(n for n, _ in parts), float(sum(round(c) for _, c in parts)))
        out[bench] = {
            "score": s.score, "ci_low": s.lo, "ci_high": s.hi, "correct": float(s.correct),
            "n_items": s.n_items, "n_samples": s.n_samples, "metric": s.metric,
            "average": average, "n_tasks": len(parts),
        }  # fmt: skip
    return out


def parse_ks(k: Sequence[str] | None, n_max: int) -> list[int]:
    """pass@k values to report, ascending: the given ks, else the pass@k curve (powers of two
    up to ``n_max``, and ``n_max``: ``[1, 2, 4, 8, 16]`` for 16 samples per item).

    ``all`` among the given ks adds that curve, the points pass@k curves are read at (every k
    from 1 to 128 would be 128 columns, most of them telling nothing the curve does not); the
    other given ks are kept beside it (``1,8,all`` or ``3,all`` -> the curve plus 3).
    Raises ValueError naming the value that is neither ``all`` nor a whole number >= 1.
    """
    if k:
        out: set[int] = set()
        for item in k:
            if str(item).strip() == "all":
                out.update(parse_ks(None, n_max))
                continue
            text = str(item).strip()
            if not text.isdigit() or int(text) < 1:
                raise ValueError(f"--k must be a whole number >= 1 or 'all', got {item!r}")
            out.add(int(text))
        return sorted(out)
    if n_max < 1:
        return []
    ks = [1]
    while ks[-1] * 2 <= n_max:
        ks.append(ks[-1] * 2)
    if ks[-1] != n_max:
        ks.append(n_max)
    return ks


def ks_beyond_samples(asked: Sequence[str], n_max: int, run: str, option: str = "--k") -> str:
    """Why pass@k values above every item's number of samples are refused ('' when none is):
    ``--k 500: no item of math-base has 500 samples (the most any item has is 128); pass@k
    needs at least k samples per item`` (such a column would be ``-`` on every row).

    ``asked``: the ks as typed (``all`` and non-numbers are left to :func:`parse_ks`);
    ``n_max``: the most samples any item of ``run`` has (1 or less: greedy, the ks are
    ignored, nothing refused); ``option``: how the message names the ks (``--k`` in the CLI,
    ``k`` in the app). The CLI's ``slices --k`` and the app's ``k`` key share this rule.
    """
    if n_max <= 1:
        return ""
    over = sorted({int(a) for a in asked if str(a).strip().isdigit() and int(a) > n_max})
    if not over:
        return ""
    return (
        f"{option} {', '.join(map(str, over))}: no item of {run} has "
        f"{'that many' if len(over) > 1 else over[0]} samples (the most any item has is "
        f"{n_max}); pass@k needs at least k samples per item"
    )


VOTE_FILTER = re.compile(r"maj@(\d+)$")
"""An answer filter that keeps one majority vote over N samples per item (lm-eval's
``maj@N``): one sample per item in the store, which is no greedy decoding."""

CHOICE_METRICS = ("acc", "acc_norm", "acc_mutual_info")
"""lm-eval's log-likelihood multiple-choice metrics: the choice of highest (length-
normalised for ``acc_norm``) log-likelihood is right. Nothing is generated, so there is
nothing to re-extract and no lenient score."""


def decoding(task: dict[str, Any]) -> tuple[str | None, float | None]:
    """How a task's generations were decoded, as its settings record it (``run_tasks``):
    ``("greedy", t)`` when ``do_sample`` is false or the temperature 0, ``("sampled", t)``
    when it samples (``do_sample`` true, or a temperature above 0 with ``do_sample``
    unrecorded), ``(None, t)`` when neither is recorded."""
    sample, t = task.get("do_sample"), task.get("temperature")
    if sample == 0 or (sample is None and t == 0):
        return "greedy", t
    if (sample == 1 and t != 0) or (sample is None and t is not None and t > 0):
        return "sampled", t
    return None, t


def vote_size(filter_name: str | None) -> int | None:
    """N of a ``maj@N`` filter (one majority vote over N samples per item), else None."""
    m = VOTE_FILTER.match(filter_name or "")
    return int(m.group(1)) if m else None


def choice_metric(metrics: dict[str, Any], score: float | None) -> str | None:
    """The log-likelihood choice metric a sample's score was read from (``acc``, or
    ``acc_norm`` when only it holds the score), from its logged ``metrics``; None for a
    sample of a generation (any other metric logged, or none of :data:`CHOICE_METRICS`)."""
    keys = [k for k in metrics if k in CHOICE_METRICS]
    if not keys or any(k not in CHOICE_METRICS for k in metrics):
        return None
    same = [k for k in keys if score is not None and metrics[k] == score]
    return (same or keys)[0]


def one_name(names: Iterable[str]) -> str:
    """The one metric name of several tasks' scores, :data:`ONE_SAMPLE_ACCURACY` when they
    differ (greedy beside sampled tasks: nothing more is known of them together)."""
    kinds = set(names)
    return kinds.pop() if len(kinds) == 1 else ONE_SAMPLE_ACCURACY


def _json_dict(text: Any) -> dict[str, Any]:
    """A stored JSON object (a sample's ``metrics``), {} when absent or not an object."""
    import json

    value = json.loads(text) if isinstance(text, str) and text else text
    return value if isinstance(value, dict) else {}


def per_item_mix(n_min: int, n_max: int) -> int | None:
    """Samples per item as the JSON says it: ``16`` when every item has 16, None when items
    have from ``n_min`` to ``n_max`` (a maximum alone reads as every item's; the JSON gives
    ``min_samples_per_item`` and ``max_samples_per_item`` beside it, always ints)."""
    return n_max if n_min in (n_max, 0) else None


@dataclass
class SliceRow:
    """Statistics of one slice of one run. ``key`` maps each grouping to its value."""

    key: dict[str, str]
    n_items: int
    n_samples: int
    correct: float
    score: float
    lo: float
    hi: float
    metric: str
    method: str
    warning: str | None = None
    pass_at_k: dict[int, dict[str, float]] = field(default_factory=dict)
    lenient: float | None = None  # score under capslice's lenient re-extraction
    average: str = "micro"  # see AVERAGES: how the items of several tasks are weighed
    n_tasks: int | None = None  # tasks averaged by a macro row

    @property
    def extraction_gap(self) -> float | None:
        """Lenient minus official score: the share lost to answer extraction."""
        return None if self.lenient is None else self.lenient - self.score

    def to_dict(self) -> SliceRowDict:
        """JSON-ready dict (``--format json``); ``ci_low``/``ci_high`` are the interval."""
        return {
            "slice": self.key,
            "n_items": self.n_items,
            "n_samples": self.n_samples,
            "correct": self.correct,
            "score": self.score,
            "ci_low": self.lo,
            "ci_high": self.hi,
            "metric": self.metric,
            "interval": self.method,
            "warning": self.warning,
            "pass_at_k": {str(k): v for k, v in self.pass_at_k.items()},
            "lenient_score": self.lenient,
            "extraction_gap": self.extraction_gap,
            "average": self.average,
            "n_tasks": self.n_tasks,
        }


@dataclass
class SliceTable:
    """All slices of one run under one grouping, plus the whole-run row."""

    run: str
    benchmark: str | None
    by: list[str]
    overall: SliceRow
    rows: list[SliceRow]
    ks: list[int]
    samples_per_item: int
    """The most samples any item has (1: one sample per item)."""
    average: str = "micro"
    indistinct: list[IndistinctAxis] = field(default_factory=list)
    """Grouped axes on which every item of a benchmark carries the same value."""
    taxonomy_notes: list[str] = field(default_factory=list)
    """Why the taxonomy labels none of some items (``Workspace.taxonomy_notes``)."""
    score_caveats: list[str] = field(default_factory=list)
    """Tasks whose capslice score reflects the strict answer format (:func:`strict_format_caveats`)."""
    fewest_samples_per_item: int = 0
    """The fewest samples any item has (``samples_per_item`` in the JSON says the mix)."""
    one_sample_reason: str = ""
    """Why there is no pass@k, for a table of one sample per item: ``this run has one sample
    per item (greedy decoding)``, or a vote filter's ``filter maj@8 holds one majority vote
    per item ...`` naming the per-sample filter."""
    metric_notes: list[str] = field(default_factory=list)
    """What the score reads where its name cannot say it all: a log-likelihood task's metric
    and the other one logged (``acc_norm also logged: 46.0% (46/100)``)."""
    incomplete: list[str] = field(default_factory=list)
    """The run's ``Workspace.incomplete_notes`` (empty for a complete run): said first."""

    @property
    def notes(self) -> list[str]:
        """The :attr:`score_caveats` as warnings, the :attr:`metric_notes`, one sentence per
        :attr:`indistinct` axis (``all 1,319 gsm8k items share ...``), then the
        :attr:`taxonomy_notes`."""
        warnings = [f"warning: {c}" for c in self.score_caveats] + self.metric_notes
        warnings = [*self.incomplete, *warnings]
        return warnings + [d.note for d in self.indistinct] + self.taxonomy_notes

    def to_dict(self) -> SliceTableDict:
        """JSON-ready dict: the run, its grouping, the overall row, one row per slice, and the
        axes that cannot tell a benchmark's items apart (``indistinct_axes``, ``notes``)."""
        return {
            "run": self.run,
            "benchmark": self.benchmark,
            "by": self.by,
            "average": self.average,
            "samples_per_item": per_item_mix(self.fewest_samples_per_item, self.samples_per_item),
            "min_samples_per_item": self.fewest_samples_per_item or self.samples_per_item,
            "max_samples_per_item": self.samples_per_item,
            "overall": self.overall.to_dict(),
            "slices": [r.to_dict() for r in self.rows],
            "indistinct_axes": [cast("IndistinctAxisDict", d.to_dict()) for d in self.indistinct],
            "incomplete": self.incomplete,
            "notes": self.notes,
        }


def strict_format_caveats(meta: dict[str, Any] | None, benchmark: str | None = None) -> list[str]:
    """The run's tasks (of ``benchmark``, None: all) whose score capslice gave by its strict
    extraction reads no answer in most samples where the lenient one reads one, as the ingest
    recorded them in the run's meta (``strict_format``: task -> [benchmark, sentence])."""
    kept = (meta or {}).get("strict_format") or {}
    return [text for bench, text in kept.values() if benchmark is None or bench == benchmark]


def check_average(average: str) -> str:
    """``average`` when it is one of :data:`AVERAGES`.

    Raises:
        ValueError: any other value (the message lists the valid ones).
    """
    if average not in AVERAGES:
        raise ValueError(f"unknown average {average!r}; valid: {', '.join(AVERAGES)}")
    return average


def _greedy_row(key: dict[str, str], n_items: int, correct: float) -> SliceRow:
    """The row of a greedy slice from its counts: ``n_items`` (>= 1) items of one 0/1 sample,
    ``correct`` (a whole number) of them right; their accuracy with the Wilson interval
    (named by the decoding where the run records it: :meth:`CoreMixin._name_one_sample`).
    The same row as ``_row`` gives on the per-item arrays (``slice_score`` -> ``greedy_score``),
    without numpy."""
    lo, hi = wilson(correct, n_items)
    return SliceRow(
        key=key,
        n_items=n_items,
        n_samples=n_items,
        correct=float(correct),
        score=correct / n_items,
        lo=lo,
        hi=hi,
        metric=ONE_SAMPLE_ACCURACY,
        method="wilson",
        warning=size_warning(n_items),
    )


def _macro_row(
    key: dict[str, str], parts: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    metric: str,
) -> SliceRow:  # fmt: skip
    """The macro mean of several tasks' scores: each task's mean per-item score, averaged
    with equal weight (lm-eval's group score without ``weight_by_size``).

    ``parts`` holds one ``(n, c, c_lenient)`` per-item array triple per task. Interval: normal
    approximation of a mean of independent task means, ``score +/- 1.96 * sqrt(sum(v_t)) / T``
    with ``v_t`` the variance of task t's mean: Agresti-Coull ``p~(1 - p~) / (m + 4)`` for one
    0/1 sample per item (``p~ = (c + 2) / (m + 4)``, never zero at 0% or 100%), otherwise the
    sample variance of the per-item scores over ``m`` (1/4 when ``m = 1``). Clipped to [0, 1].
    """
    import numpy as np

    scores, variances, lenients = [], [], []
    n_items = n_samples = 0
    correct = 0.0
    for n, c, cl in parts:
        if not n.size:
            continue
        per_item = c / n
        m = int(n.size)
        scores.append(float(per_item.mean()))
        if np.all(n == 1) and np.all((c == 0) | (c == 1)):
            p_tilde = (float(c.sum()) + 2.0) / (m + 4.0)
            variances.append(p_tilde * (1.0 - p_tilde) / (m + 4.0))
        else:
            variances.append(float(per_item.var(ddof=1)) / m if m > 1 else 0.25)
        lenients.append(_lenient(n, cl))
        n_items += m
        n_samples += int(n.sum())
        correct += float(c.sum())
    n_tasks = len(scores)
    score = float(np.mean(scores)) if scores else float("nan")
    half = 1.96 * float(np.sqrt(sum(variances))) / n_tasks if n_tasks else float("nan")
    return SliceRow(
        key=key,
        n_items=n_items,
        n_samples=n_samples,
        correct=correct,
        score=score,
        lo=max(0.0, score - half),
        hi=min(1.0, score + half),
        metric=metric,
        method=f"normal approx. of a mean of {n_tasks} task scores",
        warning=None if n_tasks > 1 else "one task: the macro mean is its score",
        lenient=None
        if not lenients or any(v is None for v in lenients)
        else float(np.mean([v for v in lenients if v is not None])),
        average="macro",
        n_tasks=n_tasks,
    )


def _by_task(
    n: np.ndarray, c: np.ndarray, cl: np.ndarray, tasks: np.ndarray, idx: np.ndarray
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
    """Per-task ``(n, c, c_lenient)`` arrays of the items ``idx``, tasks in name order."""
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []
    for task in sorted(set(tasks[idx].tolist())):
        sel = idx[tasks[idx] == task]
        parts.append((n[sel], c[sel], cl[sel]))
    return parts


def _lenient(n: np.ndarray, c_lenient: np.ndarray | None) -> float | None:
    """Mean per-item lenient score; None when the counts are missing."""
    import numpy as np

    if c_lenient is None or c_lenient.size == 0 or np.isnan(c_lenient).any():
        return None
    return float(np.mean(c_lenient / n))


def _row(
    key: dict[str, str], n: np.ndarray, c: np.ndarray, ks: list[int], seed: int,
    c_lenient: np.ndarray | None = None,
) -> SliceRow:  # fmt: skip
    from ..analysis.metrics import slice_score

    base = slice_score(n, c, None, random_state=seed)
    row = SliceRow(
        key=key,
        n_items=base.n_items,
        n_samples=base.n_samples,
        correct=float(base.correct),
        score=base.score,
        lo=base.lo,
        hi=base.hi,
        metric=base.metric_name,
        method=base.method,
        warning=base.warning,
        # a lenient re-extraction scores 0/1: beside a mean of fractional scores (F1...) it
        # is not the same measure, so "lenient - score" would read as nothing it is
        lenient=None if base.metric_name == "mean score" else _lenient(n, c_lenient),
    )
    if n.size and int(n.max()) > 1:
        for k in ks:
            s = slice_score(n, c, k, random_state=seed)
            row.pass_at_k[k] = {
                "score": s.score,
                "ci_low": s.lo,
                "ci_high": s.hi,
                "coverage": s.coverage,
                "n_eligible": s.n_eligible,
                "expected_solved": s.score * s.n_eligible if s.n_eligible else 0.0,
            }
    return row


def _binary(n_items: int, correct: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-item (n, c) arrays of a greedy slice from its counts (one 0/1 sample per item)."""
    import numpy as np

    c = np.zeros(n_items)
    c[: int(round(correct))] = 1.0
    return np.ones(n_items, dtype=np.int64), c


def _counts_row(key: dict[str, str], n_items: int, correct: float, seed: int) -> SliceRow:
    """The row of a greedy slice of ``n_items`` items, ``correct`` right (rounded to a whole
    number, as :func:`_binary` does): :func:`_greedy_row`, or the per-item path for an empty
    slice."""
    if n_items < 1:
        return _row(key, *_binary(n_items, correct), [], seed)
    return _greedy_row(key, n_items, float(int(round(correct))))


def _greedy_table(
    run: str, benchmark: str | None, groups: list[str], counts: list[Any], seed: int
) -> SliceTable:
    """A slice table of a greedy run straight from the precomputed counts (no per-item rows);
    identical to the per-item path because one 0/1 sample per item is all the counts hold."""
    rows = []
    total_items, total_c = 0, 0.0
    total_lenient: float | None = 0.0
    for r in sorted(
        counts, key=lambda r: tuple(str(r[g] if r[g] is not None else UNLABELLED) for g in groups)
    ):
        key = {g: (r[g] if r[g] is not None else UNLABELLED) for g in groups}
        row = _counts_row(key, r["n_items"], r["c"], seed)
        row.lenient = None if r["c_lenient"] is None else r["c_lenient"] / r["n_items"]
        rows.append(row)
        total_items += r["n_items"]
        total_c += r["c"]
        total_lenient = (
            None
            if total_lenient is None or r["c_lenient"] is None
            else total_lenient + r["c_lenient"]
        )
    overall = _counts_row({"all": "all"}, total_items, total_c, seed)
    overall.lenient = (
        None if total_lenient is None or not total_items else total_lenient / total_items
    )
    return SliceTable(run, benchmark, groups, overall, rows, [], 1, fewest_samples_per_item=1)


def store_path_problem(path: Path) -> str:
    """Why ``path`` cannot be a store ('' when it may be): it is a folder (SQLite's own
    answer is ``unable to open database file``, which names neither the path nor why)."""
    from ..store.fs import folder_store_problem

    return folder_store_problem(path)


class CoreMixin:
    """Runs, ingest, slices, samples. Subclasses share ``self.store`` and ``self.taxonomy``."""

    store: Store

    def __init__(
        self,
        store_path: str | os.PathLike[str],
        taxonomy_dir: Path | None = None,
        busy_timeout_s: float | None = None,
        on_upgrade: Callable[[list[str]], None] | None = None,
    ):
        self.store_path = Path(store_path)
        problem = store_path_problem(self.store_path)
        if problem:
            raise StoreError(problem)
        self.store = Store(self.store_path, busy_timeout_s=busy_timeout_s, on_upgrade=on_upgrade)
        self.taxonomy_dir = taxonomy_dir
        self._taxonomy: Taxonomy | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        """The evaluation taxonomy (packaged default or ``taxonomy_dir``), loaded once."""
        if self._taxonomy is None:
            from ..taxonomy.evaluation import load_taxonomy

            self._taxonomy = load_taxonomy(self.taxonomy_dir)
        return self._taxonomy

    # ---- ingest -----------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[Path],
        *,
        run: str,
        benchmark: str | None = None,
        model: str | None = None,
        step: int | None = None,
        fmt: str = "auto",
        field_map: dict[str, str] | None = None,
        system: str | None = None,
        skip_bad: bool = False,
        progress: Callable[[int], None] | None = None,
        refuse_changed: bool = False,
    ) -> IngestReport:
        """Ingest logs as a run; see :func:`capslice_tui.workspace.ingest.ingest`.

        Called from the main thread, SIGINT/SIGTERM/SIGHUP stop it cleanly (the run is
        recorded as interrupted; :mod:`capslice_tui.workspace.interrupt`).
        """
        from .ingest import ingest
        from .interrupt import stop_signals

        with stop_signals():
            return ingest(
                self.store,
                self.taxonomy,
                paths,
                run=run,
                benchmark=benchmark,
                model=model,
                step=step,
                fmt=fmt,
                field_map=field_map,
                system=system,
                skip_bad=skip_bad,
                progress=progress,
                refuse_changed=refuse_changed,
            )

    # ---- runs -------------------------------------------------------------------------
    def runs(self, average: str = "micro") -> list[RunRow]:
        """Every run with per-benchmark scores (primary filter; the accuracy of one sample per
        item, named by its decoding where recorded, or the mean of per-item accuracies).

        ``average``: how a benchmark of several tasks weighs them (:data:`capslice_tui.formatting.AVERAGE_MEANING`);
        each benchmark entry says which (``average``, and ``n_tasks`` for macro). The run's
        log layout is ``schema_variant`` (from its meta, e.g. "lm-eval 0.4.0-0.4.2 JSON array").

        Raises:
            ValueError: an unknown ``average``.
        """
        check_average(average)
        out = []
        ingest_states = self.store.ingest_states()
        from ..store.hub import run_origins

        origins = run_origins(self.store)  # "pulled from H" / "pushed to H" (team hubs)
        task_counts = self.store.task_counts_all_runs()
        for run in self.store.list_runs():
            greedy = _greedy_benchmarks(task_counts.get(run["id"], []), average)
            benches: dict[str, Any] = greedy or {}
            items = self._benchmark_items(run["id"]) if greedy is None else {}
            if items:
                import numpy as np

                from ..analysis.metrics import slice_score
            for b, parts in sorted(items.items()):
                n = np.concatenate([pn for _, pn, _ in parts])
                c = np.concatenate([pc for _, _, pc in parts])
                s = slice_score(n, c, None)
                benches[b] = {
                    "score": s.score,
                    "ci_low": s.lo,
                    "ci_high": s.hi,
                    "correct": float(s.correct),
                    "n_items": s.n_items,
                    "n_samples": s.n_samples,
                    "metric": s.metric_name,
                    "average": average,
                    "n_tasks": len(parts),
                }
                if average == "macro" and len(parts) > 1:
                    macro = _macro_row({}, [(pn, pc, None) for _, pn, pc in parts], "")
                    benches[b].update(score=macro.score, ci_low=macro.lo, ci_high=macro.hi)
            self._name_benchmarks(run, benches)
            out.append(
                {
                    "name": run["name"],
                    "model": run["model"],
                    "step": run["step"],
                    "status": run["status"],
                    "n_samples": run["n_samples"],
                    "n_bad": run["n_bad"],
                    "source_format": run["source_format"],
                    "schema_variant": (run["meta"] or {}).get("schema_variant"),
                    "incomplete_reason": (run["meta"] or {}).get("incomplete"),
                    "score_caveats": strict_format_caveats(run["meta"]),
                    "created_at": run["created_at"],
                    "origin": origins.get(run["name"], "local"),
                    "benchmarks": benches,
                    **self._ingest_state(run, ingest_states.get(run["id"])),
                }
            )
        return cast("list[RunRow]", out)

    def _name_benchmarks(self, run: dict[str, Any], benches: dict[str, Any]) -> None:
        """Name each benchmark score of one sample per item by what the run records of its
        tasks (:meth:`_task_metrics`: one read per benchmark); others are left as named."""
        if not any(b.get("metric") == ONE_SAMPLE_ACCURACY for b in benches.values()):
            return
        tasks = self._task_metrics(run, None, None, per_task=False)
        for bench, entry in benches.items():
            if entry.get("metric") == ONE_SAMPLE_ACCURACY:
                names = [v[0] for v in tasks.values() if v[1]["benchmark"] == bench]
                entry["metric"] = one_name(names) if names else ONE_SAMPLE_ACCURACY

    def _benchmark_items(self, run_id: int) -> dict[str, list[tuple[str, np.ndarray, np.ndarray]]]:
        """Per-item scores of a run on each task's primary filter: benchmark -> one
        ``(task, n, c)`` per task in task order, ``n`` and ``c`` of shape (m_t,) in item order.

        A greedy run (one 0/1 sample per item) is rebuilt from its per-task counts in
        ``slice_counts`` (m_t items of which c_t right, in no particular order): the greedy
        accuracy, its Wilson interval and the macro mean depend on a task's items only through
        m_t and c_t, so this reads a few rows instead of one per item. Other runs read their
        per-item scores.
        """
        import numpy as np

        out: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
        counts = self.store.slice_count_rows(run_id, ["benchmark", "task"])
        if (
            counts
            and max(r["max_n"] for r in counts) == 1
            and not any(r["fractional"] for r in counts)
        ):
            for r in sorted(counts, key=lambda r: r["task"]):
                m = int(r["n_items"])
                right = (np.arange(m) < round(r["c"])).astype(float)
                out.setdefault(r["benchmark"], []).append((r["task"], np.ones(m, np.int64), right))
            return out
        rows: dict[tuple[str, str], list[Any]] = {}
        for r in self.store.slice_rows(run_id):  # ordered by task, item
            rows.setdefault((r["benchmark"], r["task"]), []).append((r["n"], r["c"]))
        for (bench, task), nc in rows.items():
            n = np.array([x[0] for x in nc], dtype=np.int64)
            c = np.array([x[1] for x in nc], dtype=float)
            out.setdefault(bench, []).append((task, n, c))
        return out

    def _ingest_state(self, run: dict[str, Any], state: dict[str, Any] | None) -> dict[str, Any]:
        """Runs-listing fields of a run whose last ingest did not finish: ``status``
        ("incomplete (k of N records)" or "ingesting (pid P on H)"), ``n_samples`` (counted),
        ``interrupted`` (state, reason, k, n_expected, resume and delete commands) and
        ``incomplete_reason``. Empty for a complete run."""
        if state is None or state["state"] not in ("interrupted", "running"):
            return {}
        if state["state"] == "running":
            return {
                "status": f"ingesting (pid {state['pid']} on {state['host']})",
                "n_samples": state["k"],
            }
        from .interrupt import delete_command, progress_text

        delete = delete_command(self.store.path, run["name"])
        info = {**state, "resume": state["command"], "delete": delete}
        return {
            "status": progress_text(state["k"], state["n_expected"]),
            "n_samples": state["k"],
            "interrupted": info,
            "incomplete_reason": f"ingest interrupted ({state['reason']}); resume (adds only "
            f"what is missing): {state['command'] or 'run the same capslice ingest again'}; "
            f"delete: {delete}",
        }

    def delete_run(self, run: str) -> int:
        """Delete a run and its samples (items and labels stay: other runs share them).

        Returns the number of samples removed. Raises ``NotFound`` for an unknown run.
        """
        return self.store.delete_run(run)

    def export_to(
        self,
        folder: str | os.PathLike[str],
        *,
        parquet: bool = True,
        progress: Callable[[str], None] | None = None,
    ) -> ExportManifest:
        """Export the store to a new folder (JSONL + Parquet + manifest.json); returns the
        manifest. See :mod:`capslice_tui.store.exchange`."""
        from ..store.exchange import export_store

        return export_store(  # type: ignore[return-value]  # a results.ExportManifest
            self.store.conn, self.store.path, folder, parquet=parquet, progress=progress
        )

    def import_from(
        self, folder: str | os.PathLike[str], progress: Callable[[str], None] | None = None
    ) -> ImportReportDict:
        """Import an export folder into this store (idempotent; labels, named slices and
        interventions merged, conflicts reported); returns the report as a dict. See
        :func:`capslice_tui.store.exchange.import_folder`."""
        from ..store.exchange import import_folder

        return cast("ImportReportDict", import_folder(self.store, folder, progress).to_dict())

    def export_manifest(self, folder: str | os.PathLike[str]) -> ExportManifest:
        """The checked manifest of an export folder, before anything is imported (the app
        shows it for confirmation). See :func:`capslice_tui.store.exchange.read_manifest`.

        Raises:
            ExchangeError: no manifest, a newer format or schema, a file missing or whose
                sha256 or row count differs (the message names the file).
        """
        from ..store.exchange import read_manifest

        return cast("ExportManifest", read_manifest(folder))

    def run_info(self, run: str) -> RunInfo:
        """One run's record with its tasks' generation settings."""
        info = self.store.get_run(run)
        info["tasks"] = self.store.run_tasks(info["id"])
        return cast("RunInfo", info)

    # ---- slices -----------------------------------------------------------------------
    def slices(
        self,
        run: str,
        *,
        benchmark: str | None = None,
        by: str | Sequence[str] = "task",
        k: Sequence[str] | None = None,
        filter_name: str | None = None,
        random_state: int = 0,
        average: str = "micro",
    ) -> SliceTable:
        """Per-slice statistics of one run.

        Args:
            by: grouping (``task``, ``benchmark``, an axis, or several axes for combinations).
            k: pass@k values to add for multi-sample runs (``["all"]`` = every k <= n).
            filter_name: use this filter for every task instead of each task's primary one.
            average: how a row holding several tasks weighs them (:data:`capslice_tui.formatting.AVERAGE_MEANING`):
                ``micro`` pools the items; ``macro`` averages the task scores (a row of one
                task is the same either way). Macro rows carry no pass@k.

        Returns:
            A :class:`SliceTable` whose rows are sorted by grouping key. Items without a label
            on a grouped axis fall in ``(unlabelled)``. Its ``indistinct`` lists the grouped
            axes on which every item of a benchmark carries the same value.

        Raises:
            ValueError: an unknown ``average``.
        """
        check_average(average)
        groups = parse_by(by)
        info = self.store.get_run(run)
        # the reliability mixin only for a run that is not complete (a cheap read stays cheap)
        incomplete = (
            self.incomplete_notes(run)  # type: ignore[attr-defined]
            if info["status"] != "complete"
            else []
        )
        table = self._slice_table(
            run, info, groups, benchmark, k, filter_name, random_state, average
        )
        for axis in groups:
            if axis in AXES:
                rows = self.store.slice_count_rows(
                    info["id"], ["benchmark", axis], benchmark=benchmark, filter_name=filter_name
                )
                from ..taxonomy.notes import indistinct_axes

                table.indistinct += indistinct_axes(
                    axis, ((r["benchmark"], r[axis], r["n_items"]) for r in rows)
                )
        if any(axis in AXES for axis in groups):
            table.taxonomy_notes = self.taxonomy_notes(run)
        table.score_caveats = strict_format_caveats(info["meta"], benchmark)
        table.incomplete = incomplete
        self._name_one_sample(table, info, benchmark, filter_name)
        return table

    def _task_metrics(
        self, info: Any, benchmark: str | None, filter_name: str | None, per_task: bool = True
    ) -> dict[str, tuple[str, dict[str, Any], str | None]]:
        """Each task of the run (of ``benchmark``) -> (the name of a one-sample-per-item score
        on ``filter_name`` or its primary filter, its ``run_tasks`` settings, the
        log-likelihood choice metric read or None). An lm-eval task's first sample says
        whether it is a log-likelihood choice (:func:`choice_metric`), unless its settings
        record generation (``until`` or ``max_gen_toks``: no choice); with ``per_task``
        False only each benchmark's first task is read and stands for its benchmark (the
        runs listing: one read per benchmark)."""
        tasks = [
            t for t in self.store.run_tasks(info["id"])
            if benchmark is None or t["benchmark"] == benchmark
        ]  # fmt: skip
        lm_eval = "lm-eval" in str(info.get("source_format") or "")
        choices: dict[str, str | None] = {}
        out = {}
        for t in tasks:
            key = t["task"] if per_task else t["benchmark"]
            generates = t.get("until") is not None or t.get("max_gen_toks") is not None
            if lm_eval and key not in choices and not generates:
                first = self.store.sample_rows(
                    info["id"], task=t["task"], filter_name=filter_name, limit=1, columns="full"
                )
                metrics = _json_dict(first[0]["metrics"]) if first else {}
                choices[key] = choice_metric(metrics, first[0]["score"] if first else None)
            choice = choices.get(key)
            dec, temperature = decoding(t)
            used = filter_name or t["primary_filter"]
            name = one_sample_metric(dec, temperature, vote_size(used), choice)
            out[t["task"]] = (name, t, choice)
        return out

    def one_sample_name(
        self, run: str, benchmark: str | None = None, filter_name: str | None = None
    ) -> str:
        """The name of ``run``'s score when it has one sample per item (``greedy accuracy``
        only where its decoding is recorded greedy; :func:`one_sample_metric`), for callers
        whose analysis named it :data:`ONE_SAMPLE_ACCURACY` (compare, diagnose)."""
        info = self.store.get_run(run)
        return one_name(v[0] for v in self._task_metrics(info, benchmark, filter_name).values())

    def _name_one_sample(
        self, table: SliceTable, info: Any, benchmark: str | None, filter_name: str | None
    ) -> None:
        """Name the score of a table of one sample per item by what the run records: the
        decoding (greedy, sampled at T, or not recorded), a ``maj@N`` vote filter, or a
        log-likelihood choice metric (whose lenient score is left out: nothing was
        generated to re-extract); and say why pass@k does not apply
        (:attr:`SliceTable.one_sample_reason`)."""
        rows = [table.overall, *table.rows]
        if table.samples_per_item > 1 or not any(r.metric == ONE_SAMPLE_ACCURACY for r in rows):
            return
        tasks = self._task_metrics(info, benchmark, filter_name)
        name = one_name(v[0] for v in tasks.values())
        for r in rows:
            if r.metric == ONE_SAMPLE_ACCURACY:
                task = r.key.get("task")
                r.metric = tasks[task][0] if task in tasks else name
        choice = {task: v[2] for task, v in tasks.items() if v[2]}
        if choice:
            for r in rows:  # a row holding a choice task: no re-extraction to compare
                if "task" not in r.key or r.key["task"] in choice:
                    r.lenient = None
            table.metric_notes = self._choice_notes(info, choice, filter_name)
        votes = {vote_size(filter_name or v[1]["primary_filter"]) for v in tasks.values()}
        table.one_sample_reason = self._one_sample_reason(
            name, votes, [v[1] for v in tasks.values()], filter_name
        )

    @staticmethod
    def _one_sample_reason(
        name: str, votes: set[int | None], tasks: list[dict[str, Any]], filter_name: str | None
    ) -> str:
        """Why a table of one sample per item has no pass@k (see :meth:`_name_one_sample`)."""
        vote = next(iter(votes)) if len(votes) == 1 else None
        if vote:
            used = filter_name or tasks[0]["primary_filter"]
            per_sample = sorted(
                {f for t in tasks for f in t.get("filters") or [] if vote_size(f) is None}
            )
            where = (
                f"; pass@k reads a filter of every sample: --filter {' or '.join(per_sample)}"
                if per_sample
                else ""
            )
            return (
                f"filter {used} holds one majority vote per item (over {vote} samples), "
                f"not {vote} samples{where}"
            )
        if name.endswith("(log-likelihood choice)"):
            return "one log-likelihood choice per item (nothing sampled)"
        if name == GREEDY_ACCURACY:
            return "this run has one sample per item (greedy decoding)"
        if name.startswith("accuracy (one sample per item, "):
            return "this run has one sample per item (" + name.split(", ", 1)[1]
        return "this run has one sample per item"

    def _choice_notes(
        self, info: Any, choice: dict[str, str], filter_name: str | None
    ) -> list[str]:
        """What a log-likelihood choice task's score reads: ``metric acc (the choice of
        highest log-likelihood); acc_norm also logged: 46.0% (46/100)``, one note per set of
        tasks reading the same metric, from every sample's logged metrics."""
        sums: dict[str, dict[str, float]] = {}
        counts: dict[str, int] = {}
        for task, metric in sorted(choice.items()):
            after = 0
            while True:
                page = self.store.sample_rows(
                    info["id"], task=task, filter_name=filter_name, after_id=after,
                    limit=5000, columns="full",
                )  # fmt: skip
                for row in page:
                    for key, value in _json_dict(row["metrics"]).items():
                        if key in CHOICE_METRICS and isinstance(value, (int, float)):
                            sums.setdefault(metric, {}).setdefault(key, 0.0)
                            sums[metric][key] += float(value)
                    counts[metric] = counts.get(metric, 0) + 1
                if len(page) < 5000:
                    break
                after = int(page[-1]["id"])
        notes = []
        meaning = {"acc": "the choice of highest log-likelihood", "acc_norm": "the choice of "
                   "highest length-normalised log-likelihood"}  # fmt: skip
        for metric, by_key in sorted(sums.items()):
            n = counts[metric]
            others = [
                f"{k} also logged: {pct(v / n)} ({round(v):g}/{n})"
                for k, v in by_key.items()
                if k != metric
            ]
            tasks = sorted(t for t, m in choice.items() if m == metric)
            what = meaning.get(metric, "a log-likelihood choice")
            notes.append(
                f"metric: {metric} ({what}) on {', '.join(tasks) if len(tasks) < 4 else f'{len(tasks)} tasks'}"
                + ("; " + "; ".join(others) if others else "")
                + "; no lenient score: nothing was generated to re-extract"
            )
        return notes

    def _slice_table(
        self,
        run: str,
        info: Any,
        groups: list[str],
        benchmark: str | None,
        k: Sequence[str] | None,
        filter_name: str | None,
        random_state: int,
        average: str,
    ) -> SliceTable:
        counts = self.store.slice_count_rows(
            info["id"], groups, benchmark=benchmark, filter_name=filter_name
        )
        if (
            average == "micro"
            and counts
            and max(r["max_n"] for r in counts) == 1
            and not any(r["fractional"] for r in counts)
        ):
            return _greedy_table(run, benchmark, groups, counts, random_state)
        import numpy as np

        rows = self.store.slice_rows(info["id"], benchmark=benchmark, filter_name=filter_name)
        n = np.array([r["n"] for r in rows], dtype=np.int64)
        c = np.array([r["c"] for r in rows], dtype=float)
        cl = np.array(
            [np.nan if r["c_lenient"] is None else r["c_lenient"] for r in rows], dtype=float
        )
        n_max = int(n.max()) if n.size else 0
        ks = parse_ks(k, n_max) if n_max > 1 else []
        keys = [tuple((r[g] if r[g] is not None else UNLABELLED) for g in groups) for r in rows]
        tasks = np.array([r["task"] for r in rows], dtype=object)

        def row_of(key: dict[str, str], idx: np.ndarray, metric: str | None) -> SliceRow:
            if average == "macro" and len(set(tasks[idx].tolist())) > 1:
                return _macro_row(key, _by_task(n, c, cl, tasks, idx), metric or "")
            row = _row(key, n[idx], c[idx], ks, random_state, cl[idx])
            if average == "macro":
                row.average, row.n_tasks = "macro", 1
            return row

        every = np.arange(n.size)
        overall = _row({"all": "all"}, n, c, [] if average == "macro" else ks, random_state, cl)
        if average == "macro":
            overall = row_of({"all": "all"}, every, overall.metric)
        index: dict[tuple[str, ...], list[int]] = {}
        for i, key in enumerate(keys):
            index.setdefault(key, []).append(i)
        out = []
        for key in sorted(index):
            idx = np.array(index[key])
            out.append(row_of(dict(zip(groups, key, strict=False)), idx, overall.metric))
        return SliceTable(
            run, benchmark, groups, overall, out, ks, n_max, average,
            fewest_samples_per_item=int(n.min()) if n.size else 0,
        )  # fmt: skip

    # ---- samples ----------------------------------------------------------------------
    def _run_task(self, run_id: int, run: str, task: str | None) -> str | None:
        """The run's task named ``task``: its full name, or the one full name that ends in
        ``_<task>`` (the short name the slice tables show once a shared prefix is left out:
        ``boolean_expressions`` for ``bbh_cot_fewshot_boolean_expressions``).

        Raises:
            ValueError: no task of the run has that name (a typo read as an empty slice
                before), or several end in it; the message names them.
        """
        if task is None:
            return None
        tasks = sorted({str(t["task"]) for t in self.store.run_tasks(run_id)})
        if task in tasks:
            return task
        ends = [t for t in tasks if t.endswith("_" + task)]
        if len(ends) == 1:
            return ends[0]
        if ends:
            raise ValueError(f"task {task!r} is ambiguous in run {run!r}: {', '.join(ends)}")
        shown = ", ".join(tasks[:12]) + (f" ... ({len(tasks)} tasks)" if len(tasks) > 12 else "")
        raise ValueError(f"run {run!r} has no task {task!r}; its tasks: {shown}")

    def samples(
        self,
        run: str,
        *,
        where: dict[str, str] | None = None,
        task: str | None = None,
        benchmark: str | None = None,
        failure_mode: str | None = None,
        correct: bool | None = None,
        limit: int = 200,
        after_id: int = 0,
        filter_name: str | None = None,
    ) -> tuple[list[SampleRow], bool]:
        """Samples of a run matching a slice, keyset-paginated.

        Args:
            filter_name: samples of this answer filter; None = each task's primary filter.

        Returns:
            ``(rows, more)``: at most ``limit`` rows and whether more exist after them.
        """
        where = dict(where or {})
        task = where.pop("task", task)
        benchmark = where.pop("benchmark", benchmark)
        axes = self.taxonomy.axes if where else {}  # parsing the taxonomy only when asked
        for axis, value in where.items():
            if axis not in axes:
                raise ValueError(
                    f"unknown slice axis {axis!r}; use task, benchmark or one of {', '.join(axes)}"
                )
            if value != UNLABELLED and value not in axes[axis]:
                raise ValueError(f"unknown {axis} value {value!r}; values: {', '.join(axes[axis])}")
        info = self.store.get_run(run)
        task = self._run_task(int(info["id"]), run, task)
        rows = self.store.sample_rows(
            info["id"],
            where=where,
            task=task,
            benchmark=benchmark,
            failure_mode=failure_mode,
            correct=correct,
            after_id=after_id,
            limit=limit + 1,
            filter_name=filter_name,
        )
        more = len(rows) > limit
        return [cast("SampleRow", dict(r)) for r in rows[:limit]], more

    def sample(self, sample_id: int) -> SampleDetail:
        """One sample in full (prompt, response, target, extraction, scores, labels). A
        failure reason stored by an older version that says an extraction ``gave None``
        reads ``gave no answer`` (as the current classifier words it), in every view."""
        detail = self.store.sample(sample_id)
        reason = detail.get("failure_reason")
        if isinstance(reason, str) and "None" in reason:
            import re

            detail["failure_reason"] = re.sub(
                r"\b(gave|extraction) None\b", r"\1 no answer", reason
            )
        return cast("SampleDetail", detail)

    # ---- big slices: pages in any order, totals, docs, text search (store/queries.py) ---
    def _sample_filters(self, run: str, filters: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The run id and the store filters of a samples query: ``where`` may hold task and
        benchmark too; axes and values are checked against the taxonomy.

        Raises:
            NotFound: unknown run. ValueError: unknown axis or value, or a task the run does
            not have (:meth:`_run_task`).
        """
        f = dict(filters)
        where = dict(f.pop("where", None) or {})
        f["task"] = where.pop("task", f.get("task"))
        f["benchmark"] = where.pop("benchmark", f.get("benchmark"))
        axes = self.taxonomy.axes if where else {}
        for axis, value in where.items():
            if axis not in axes:
                raise ValueError(
                    f"unknown slice axis {axis!r}; use task, benchmark or one of {', '.join(axes)}"
                )
            if value != UNLABELLED and value not in axes[axis]:
                raise ValueError(f"unknown {axis} value {value!r}; values: {', '.join(axes[axis])}")
        f["where"] = where or None
        if f.get("search") is not None and not str(f["search"]).strip():
            f["search"] = None
        run_id = int(self.store.get_run(run)["id"])
        f["task"] = self._run_task(run_id, run, f["task"])
        return run_id, f

    def samples_page(
        self,
        run: str,
        *,
        sort: str = "id",
        descending: bool = False,
        after: tuple[Any, int] | None = None,
        before: tuple[Any, int] | None = None,
        from_key: tuple[Any, int] | None = None,
        last: bool = False,
        limit: int = 100,
        **filters: Any,
    ) -> list[SamplePageRow]:
        """One page of a slice's samples in ``sort`` order (keyset paging; see
        :func:`capslice_tui.store.queries.sample_page`). ``filters``: ``where``, ``task``,
        ``benchmark``, ``failure_mode``, ``correct``, ``filter_name``, ``search`` (text in the
        response, prompt or target; the run's search index must be ready, see
        :meth:`ensure_search_index`). Each row carries ``sort_key`` and ``id``: the key to
        page from.

        Raises:
            NotFound: unknown run. ValueError: unknown sort, axis or value.
        """
        from ..store.queries import sample_page

        run_id, f = self._sample_filters(run, filters)
        return sample_page(  # type: ignore[return-value]  # rows as results.SamplePageRow
            self.store, run_id, sort=sort, descending=descending, after=after, before=before,
            from_key=from_key, last=last, limit=limit, **f,
        )  # fmt: skip

    def samples_count(self, run: str, **filters: Any) -> int:
        """How many samples of the run match ``filters`` (as :meth:`samples_page`)."""
        from ..store.queries import sample_count

        run_id, f = self._sample_filters(run, filters)
        return sample_count(self.store, run_id, **f)

    def sample_doc_key(
        self, run: str, doc_id: str, *, sort: str = "id", descending: bool = False,
        **filters: Any,
    ) -> tuple[Any, int] | None:  # fmt: skip
        """The paging key of the first sample of ``doc_id`` in the slice (in ``sort`` order),
        None when the slice holds no sample of that doc."""
        from ..store.queries import doc_key

        run_id, f = self._sample_filters(run, filters)
        return doc_key(self.store, run_id, str(doc_id), sort=sort, descending=descending, **f)

    def ensure_search_index(
        self, run: str, progress: Callable[[int, int], None] | None = None
    ) -> str | None:
        """Make text search over the run's samples ready; returns a note when search cannot
        use the index (no FTS5 trigram in this SQLite: ``LIKE`` scans instead), else None.

        The index (SQLite FTS5, trigram tokenizer) is built per run the first time it is
        searched, and again after the run changed; ``progress(done, total)`` reports samples
        indexed.
        """
        from ..store import search

        run_id = int(self.store.get_run(run)["id"])
        state = search.index_state(self.store.conn, run_id)
        if state == "unavailable":
            return search.search_note(self.store.conn, "xxx")
        if state != "ready":
            search.build_index(self.store, run_id, progress)
        return None

    def search_note(self, text: str) -> str | None:
        """Why a search for ``text`` scans with ``LIKE`` instead of the index (None: it uses
        the index): fewer than 3 characters, or no FTS5 trigram in this SQLite."""
        from ..store import search

        return search.search_note(self.store.conn, text)

    def check_taxonomy(self) -> list[str]:
        """Rules of the taxonomy that match none of the store's items, as ``file:line: msg``.

        Loading the taxonomy already validated it strictly (raising ``TaxonomyError``).
        """
        items = self._items_for_labelling()
        return [str(e) for e in self.taxonomy.check_rules_match(items)] if items else []

    def taxonomy_notes(self, *runs: str) -> list[str]:
        """Why the taxonomy's rules label none of some items, as sentences (empty: no reason).

        Today one reason: rules written for these tasks under another benchmark name
        (:meth:`Taxonomy.benchmark_mismatch`). Args: ``runs`` to look at (none: the whole
        store). Raises ``NotFound`` for an unknown run.
        """
        if runs:
            pairs = [
                (t["benchmark"], t["task"])
                for run in runs
                for t in self.store.run_tasks(self.store.get_run(run)["id"])
            ]
        else:
            pairs = [(i["benchmark"], i["task"]) for i in self.store.items_for_labelling()]
        if self._taxonomy is not None:
            note = self._taxonomy.benchmark_mismatch(pairs)
        else:  # from the cached rule names, without building the rules (issue 14)
            from ..taxonomy.notes import benchmark_mismatch

            note = benchmark_mismatch(self.taxonomy_dir, pairs)
        return [note] if note else []

    def _items_for_labelling(self) -> list[dict[str, Any]]:
        """Every stored item as the taxonomy rules read it at ingest: with its stored prompt
        when the doc has no question field (generic logs keep the question in the prompt)."""
        items = self.store.items_for_labelling()
        prompts = self.store.unquestioned_item_prompts()
        for item in items:
            item["prompt"] = prompts.get(item["id"])
        return items

    def apply_taxonomy(self) -> int:
        """Re-run the taxonomy rules on every stored item (after editing the YAML).

        Rule labels change where the rules now say otherwise (with history); hand and
        cluster labels keep precedence. Returns the number of label changes.
        """
        items = self._items_for_labelling()
        assigned = self.taxonomy.assign_many(items)
        return self.store.replace_rule_labels(
            {item["id"]: labels for item, labels in zip(items, assigned, strict=True)}
        )

    def axes(self) -> dict[str, dict[str, str]]:
        """The taxonomy's axes: axis -> value -> description."""
        return self.taxonomy.axes
