"""Which answer filter a listing reads: each task's primary one, or one the user picked.

A harness logs one row per sample per filter (lm-eval's ``strict-match`` and
``flexible-extract`` of GSM8K); scores of different filters are never blended, so every
listing names the filter it shows and can be switched to another logged one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..store import Store


@dataclass
class FilterUse:
    """The filter each task of a run is read with.

    Attributes:
        run: run name.
        requested: the filter asked for; None = each task's primary filter.
        per_task: task -> filter read, for the tasks that logged it.
        logged: every filter some task of the run logged, primary filters first.
        missing: tasks left out because they did not log ``requested``.
    """

    run: str
    requested: str | None
    per_task: dict[str, str]
    logged: list[str]
    missing: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``filter strict-match``; ``filters get-answer (27 tasks), strict-match (1)`` when the
        tasks' primary filters differ; with the tasks left out when some lack the filter."""
        used = Counter(self.per_task.values())
        if not used:
            text = f"filter {self.requested or '(none)'}"
        elif len(used) == 1:
            text = f"filter {next(iter(used))}"
        else:
            (first, n_first), *rest = used.most_common()
            parts = [f"{first} ({n_first} task{'s' if n_first != 1 else ''})"]
            parts += [f"{name} ({n})" for name, n in rest]
            text = "filters " + ", ".join(parts)
        if self.requested is None and len(self.logged) > 1:
            text += " (primary)"
        if self.missing:
            total = len(self.per_task) + len(self.missing)
            text += f"; {len(self.missing)} of {total} tasks did not log it"
        return text

    @property
    def short_label(self) -> str:
        """The filter's name for a narrow title: ``strict-match``, or ``primary per task``
        when the tasks' primary filters differ."""
        used = set(self.per_task.values())
        if len(used) == 1:
            return next(iter(used))
        return "primary per task" if used else (self.requested or "-")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: every attribute plus ``label``."""
        return {
            "run": self.run,
            "requested": self.requested,
            "per_task": self.per_task,
            "logged": self.logged,
            "missing": self.missing,
            "label": self.label,
        }


def filter_use(
    store: Store, run: str, filter_name: str | None = None, benchmark: str | None = None
) -> FilterUse:
    """The filter per task of ``run`` (within ``benchmark``) for a listing.

    Args:
        filter_name: read this filter in every task that logged it; None = primary filters.

    Raises:
        NotFound: no such run.
        ValueError: no task (of ``benchmark``) logged ``filter_name``; the message lists the
            filters that were logged.
    """
    info = store.get_run(run)
    tasks = [
        t
        for t in store.run_tasks(int(info["id"]))
        if benchmark is None or t["benchmark"] == benchmark
    ]
    logged: list[str] = []
    for t in tasks:
        if t["primary_filter"] not in logged:
            logged.append(t["primary_filter"])
    for t in tasks:
        logged += [f for f in t["filters"] or [] if f not in logged]
    if filter_name is None:
        return FilterUse(run, None, {t["task"]: t["primary_filter"] for t in tasks}, logged)
    has = [t["task"] for t in tasks if filter_name in (t["filters"] or [t["primary_filter"]])]
    if not has:
        where = f" in benchmark {benchmark!r}" if benchmark else ""
        known = ", ".join(logged) if logged else "none"
        raise ValueError(
            f"run {run!r} logged no filter {filter_name!r}{where}; filters logged: {known}"
        )
    missing = [t["task"] for t in tasks if t["task"] not in has]
    return FilterUse(run, filter_name, dict.fromkeys(has, filter_name), logged, missing)


class FiltersMixin:
    """Answer filters on the workspace facade."""

    store: Store

    def filter_use(
        self, run: str, filter_name: str | None = None, *, benchmark: str | None = None
    ) -> FilterUse:
        """Which filter each task of ``run`` is read with; see :func:`filter_use`."""
        return filter_use(self.store, run, filter_name, benchmark)

    def filter_pair_label(
        self, base: str, cand: str, filter_name: str | None = None, *,
        benchmark: str | None = None,
    ) -> str:  # fmt: skip
        """The filter(s) two runs are compared on: ``filter strict-match`` when both read the
        same; when their primary filters differ but both logged another, the one compare and
        diagnose read them on (``pairs.shared_filter``); else ``base filter A · cand filter
        B``.

        Raises:
            NotFound: an unknown run. ValueError: neither run logged ``filter_name``.
        """
        if filter_name is None:  # primaries that differ: the filter both logged, if one
            from .pairs import shared_filter

            ids = [int(self.store.get_run(run)["id"]) for run in (base, cand)]
            shared = shared_filter(self.store, ids[0], ids[1], benchmark)
            if shared is not None:
                return shared.label()
        uses: list[FilterUse | None] = []
        for run in (base, cand):
            try:
                uses.append(filter_use(self.store, run, filter_name, benchmark))
            except ValueError:
                uses.append(None)
        if uses[0] is None and uses[1] is None:
            filter_use(self.store, base, filter_name, benchmark)  # raises with the list
        labels = [u.label if u is not None else f"filter {filter_name} not logged" for u in uses]
        if labels[0] == labels[1]:
            return labels[0]
        return f"base {labels[0]} · cand {labels[1]}"
