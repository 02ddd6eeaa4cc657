"""What a slice table says about the evaluation taxonomy, without loading its rule engine.

Slicing a run by an axis says which axes cannot tell a benchmark's items apart
(:func:`indistinct_axes`, from the slice counts alone) and why the rules label none of some
tasks (:func:`benchmark_mismatch`: rules written for these tasks under another benchmark
name). The second needs only the names of the rules (their ``benchmark`` and ``task`` globs):
it reads them from the cache of validated taxonomies (:mod:`capslice_tui.taxonomy._cache`)
when the file is there, so ``capslice slices --by task_type`` does not import
:mod:`capslice_tui.taxonomy.evaluation` (its rule dataclasses take ~5 ms to build, issue 14);
otherwise it loads the taxonomy, validating it, as before. :class:`Taxonomy.benchmark_mismatch
<capslice_tui.taxonomy.evaluation.Taxonomy.benchmark_mismatch>` words its answer with
:func:`mismatch_note`, the one rule both use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from ..formatting import plural

EVALUATION_FILE = "evaluation.yaml"
"""The evaluation taxonomy's file name in a taxonomy directory."""

NamedRule = tuple[tuple[str, ...], tuple[str, ...] | None]
"""A rule with a ``benchmark`` condition, by its names: ``(benchmark globs, task globs or
None)``."""


def default_taxonomy_dir() -> Path:
    """The packaged ``capslice_tui.taxonomies`` directory (the repo's ``taxonomies/``)."""
    import importlib.util  # already imported by site; importlib.resources costs ~15 ms

    spec = importlib.util.find_spec("capslice_tui.taxonomies")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    import importlib.resources  # lazy: it imports zipfile, lzma and bz2 (~20 ms)

    return Path(str(importlib.resources.files("capslice_tui.taxonomies")))


def names_match(
    benchmarks: tuple[str, ...] | None,
    tasks: tuple[str, ...] | None,
    benchmark: str | None,
    task: str,
) -> bool:
    """Whether a rule's ``benchmark`` and ``task`` globs (None: no such condition, which
    holds) match the names, with :func:`fnmatch.fnmatchcase`; an item whose benchmark is None
    never matches a rule with a ``benchmark`` condition."""
    if benchmarks is not None:
        if benchmark is None or not any(fnmatchcase(benchmark, g) for g in benchmarks):
            return False
    return tasks is None or any(fnmatchcase(task, g) for g in tasks)


def mismatch_note(
    file: str, named: Sequence[NamedRule], pairs: Iterable[tuple[str | None, str]]
) -> str | None:
    """Why rules that name a benchmark label none of these tasks, or None.

    Args:
        file: the taxonomy file (named in the sentence).
        named: the rules that have a ``benchmark`` condition, by their names.
        pairs: the stored ``(benchmark, task)`` names of the items (repeats allowed).

    A task counts as missed when no rule of ``named`` matches its ``(benchmark, task)`` names,
    yet some rule of ``named`` with a ``task`` condition matches its task: the rules were
    written for these tasks under another benchmark name (typically the run was ingested
    without ``--benchmark``).

    Returns:
        One sentence naming the benchmarks the rules want, the ones the items are stored under
        and the ``--benchmark`` to ingest with (when the rules name one literal benchmark);
        None when no task is missed this way.
    """
    missed: dict[str, set[str]] = {}  # task -> stored benchmark names
    wanted: set[str] = set()
    for benchmark, task in set(pairs):
        if task is None or any(names_match(b, t, benchmark, task) for b, t in named):
            continue
        near = [b for b, t in named if t is not None and any(fnmatchcase(task, g) for g in t)]
        if near:
            missed.setdefault(task, set()).add(str(benchmark))
            wanted.update(g for b in near for g in b)
    if not missed:
        return None

    def listed(names: Iterable[str]) -> str:
        names = sorted(names)
        shown = ", ".join(repr(n) for n in names[:3])
        return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")

    stored = {b for bs in missed.values() for b in bs}
    tasks = sorted(missed)
    literal = [g for g in wanted if not any(c in g for c in "*?[")]
    hint = (
        f"ingest with --benchmark {literal[0]}"
        if len(wanted) == 1 and literal
        else "ingest with --benchmark set to one of them"
    )
    return (
        f"no rule of {file} that names a benchmark matches {plural(len(tasks), 'task')} "
        f"(e.g. {tasks[0]}): its rules for them name benchmark {listed(wanted)} but the "
        f"items are stored under benchmark {listed(stored)} ({hint})"
    )


def benchmark_mismatch(
    directory: Path | str | None, pairs: Iterable[tuple[str | None, str]]
) -> str | None:
    """:func:`mismatch_note` for the evaluation taxonomy of ``directory`` (default: the
    packaged one), as ``load_taxonomy(directory).benchmark_mismatch(pairs)`` says it.

    The rules' names come from the cache of validated taxonomies when the file's text is
    there; otherwise the taxonomy is loaded (parsed and validated, and cached).

    Raises:
        TaxonomyError: the file is missing, unreadable or invalid (from the load).
    """
    from . import _cache

    path = (default_taxonomy_dir() if directory is None else Path(directory)) / EVALUATION_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = None  # the load below says what is wrong
    named = None if text is None else _cache.read_named_rules(str(path), text)
    if named is not None:
        return mismatch_note(str(path), named, pairs)
    from .evaluation import load_taxonomy

    return load_taxonomy(directory).benchmark_mismatch(pairs)


@dataclass(frozen=True)
class IndistinctAxis:
    """An axis on which every item of a benchmark carries the same value (or none).

    Attributes:
        benchmark: the benchmark name.
        axis: the axis.
        value: the one value its labelled items share; None when no item is labelled.
        n_items: items of the benchmark.
        n_unlabelled: items without a label on the axis.
    """

    benchmark: str
    axis: str
    value: str | None
    n_items: int
    n_unlabelled: int = 0

    @property
    def note(self) -> str:
        """``all 1,319 gsm8k items share task_type=word_problem: this axis cannot tell them
        apart`` (or the unlabelled variants)."""
        if self.value is None:
            return (
                f"no {self.benchmark} item is labelled on {self.axis} ({plural(self.n_items, 'item', ',')}): "
                "this axis cannot tell them apart"
            )
        labelled = self.n_items - self.n_unlabelled
        if self.n_unlabelled:
            return (
                f"all {labelled:,} labelled {self.benchmark} items share {self.axis}={self.value} "
                f"({self.n_unlabelled:,} unlabelled): this axis cannot tell them apart"
            )
        return (
            f"all {self.n_items:,} {self.benchmark} items share {self.axis}={self.value}: "
            "this axis cannot tell them apart"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the ``note`` sentence."""
        return {
            "benchmark": self.benchmark,
            "axis": self.axis,
            "value": self.value,
            "n_items": self.n_items,
            "n_unlabelled": self.n_unlabelled,
            "note": self.note,
        }


def indistinct_axes(
    axis: str, counts: Iterable[tuple[str | None, str | None, int]]
) -> list[IndistinctAxis]:
    """Benchmarks whose items all carry the same value on ``axis``.

    Args:
        axis: the axis the counts are for.
        counts: ``(benchmark, value, n_items)`` rows; value None = unlabelled. Rows of one
            benchmark and value are added up.

    Returns:
        One :class:`IndistinctAxis` per benchmark with at least 2 items and at most one
        labelled value, sorted by benchmark. A benchmark of one item is never reported.
    """
    per: dict[str, dict[str | None, int]] = {}
    for benchmark, value, n in counts:
        values = per.setdefault(str(benchmark), {})
        values[value] = values.get(value, 0) + int(n)
    out = []
    for benchmark in sorted(per):
        values = per[benchmark]
        n_items = sum(values.values())
        labelled = [v for v in values if v is not None]
        if n_items < 2 or len(labelled) > 1:
            continue
        out.append(
            IndistinctAxis(
                benchmark, axis, labelled[0] if labelled else None, n_items, values.get(None, 0)
            )
        )
    return out
