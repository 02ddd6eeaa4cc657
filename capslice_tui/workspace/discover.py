"""Slice discovery and hand annotation: the facade over ``discover.py`` and ``store/labels.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from ..analysis.discovery import (
    CancelFn,
    SliceSearch,
    Suggestion,
    clustered_error_interval,
    find_slices,
)
from ..analysis.discovery import DiscoveryCancelled as DiscoveryCancelled
from ..store import AXES, NotFound, Store, current_user
from ..vocabulary import MIN_SLICE_SIZE, few_items_no_interval
from .results import (
    AxisLabels,
    DiscoveryDict,
    ItemDoc,
    LabelAction,
    LabelHistoryRow,
    LabelResult,
    LabelShow,
    LabelValue,
    NamedSlice,
    NamedSliceRow,
    SavedSuggestion,
    SavedSuggestionRow,
    SliceLabelResult,
    UndoResult,
)


@dataclass
class DiscoveryResult:
    """Suggestions for one run, with what the run looked like and what was decided.

    ``suggestions`` rows are :meth:`Suggestion.to_dict` plus ``doc_ids`` (sorted doc ids of
    the member items), ``doc_ids_by_task`` (task -> doc ids: doc ids repeat across tasks),
    ``sample_ids``, ``n_items``, representatives with their question and response, and (when
    saved) ``id``. ``folded`` rows are the groups that restate an existing label and were
    folded: the same fields as a suggestion (never saved: no ``id``) plus ``restates`` (the
    label) and ``jaccard`` (its overlap). ``structure`` is ``"clear"``,
    ``"no clear structure"`` or ``"no error contrast"``; ``k_reason`` says how k was chosen;
    ``tests`` names the tests the groups took (item-level when items have several samples
    each) and ``n_untested`` counts the groups spanning too few items to test.
    """

    run: str
    params: dict[str, Any]
    n_samples: int
    n_clustered: int
    run_error_rate: float | None
    notes: list[str]
    suggestions: list[dict[str, Any]]
    k: int
    silhouette: dict[int, float] = field(default_factory=dict)
    saved: bool = False
    k_reason: str = ""
    structure: str = "clear"
    n_candidates: int = 0
    n_significant: int = 0
    folded: list[dict[str, Any]] = field(default_factory=list)
    tests: str = ""
    n_untested: int = 0

    def to_dict(self) -> DiscoveryDict:
        """JSON-ready dict (the ``--format json`` payload); every attribute under its own name."""
        return {
            "run": self.run,
            "params": self.params,
            "n_samples": self.n_samples,
            "n_clustered": self.n_clustered,
            "run_error_rate": self.run_error_rate,
            "k": self.k,
            "k_reason": self.k_reason,
            "silhouette": {str(k): v for k, v in self.silhouette.items()},
            "structure": self.structure,
            "n_candidates": self.n_candidates,
            "n_significant": self.n_significant,
            "n_untested": self.n_untested,
            "tests": self.tests,
            "folded": self.folded,
            "notes": self.notes,
            "saved": self.saved,
            "suggestions": self.suggestions,
        }


def _doc_key(doc_id: str) -> tuple[int, int | str]:
    """Sort key: numeric doc ids in numeric order, then the others as text."""
    return (0, int(doc_id)) if doc_id.isdigit() else (1, doc_id)


def parse_k(k: int | str | None) -> int | str:
    """``"auto"``/None -> ``"auto"``; ``"8"``/8 -> 8.

    Raises:
        ValueError: anything else, or k < 1.
    """
    if k is None or str(k).strip().lower() == "auto":
        return "auto"
    try:
        value = int(str(k).strip())
    except ValueError:
        raise ValueError(f"--k must be 'auto' or a positive integer, got {k!r}") from None
    if value < 1:
        raise ValueError(f"--k must be 'auto' or a positive integer, got {k!r}")
    return value


def samples_not_independent_note(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The note on the intervals of a search over samples of which some share an item (several
    samples per item: pass@k runs), else None. One item's samples are not independent, so a
    group's 95% interval resamples items (``clustered_error_interval``), and a group of fewer
    than :data:`MIN_SLICE_SIZE` items gets none. (The group tests are item-level there too,
    and :func:`find_slices` says so in its own note.)

    Args:
        rows: the searched samples, each with an ``item_id``.
    """
    n_items = len({r["item_id"] for r in rows})
    if n_items >= len(rows):
        return None
    return (
        "several samples per item: a group's 95% interval resamples items, not samples (none"
        f" for a group of fewer than {MIN_SLICE_SIZE} items)"
    )


class DiscoverMixin:
    """Discovery, named slices, labels, history and undo. Needs ``self.store``."""

    store: Store

    # ---- discovery --------------------------------------------------------------------
    def discover(
        self,
        run: str,
        *,
        benchmark: str | None = None,
        failing_only: bool = False,
        where: dict[str, str] | None = None,
        k: int | str | None = "auto",
        method: str = "kmeans",
        error_aware: bool = False,
        random_state: int = 0,
        show_all: bool = False,
        save: bool = False,
        who: str | None = None,
        progress: Callable[[str, float], None] | None = None,
        should_cancel: CancelFn | None = None,
    ) -> DiscoveryResult:
        """Suggest slices: coherent groups of a run's samples whose error rate differs.

        Error-aware discovery over all samples (:func:`capslice_tui.analysis.discovery.find_slices`):
        clusters of the question text, groups sharing a question word and generation failure
        modes are tested against the rest (Fisher exact; item-level score tests when items have
        several samples each; Benjamini-Hochberg), ranked by
        difference x size, compared with the existing labels (task, axes, named slices) and
        described by class-based TF-IDF words.

        Args:
            failing_only: only samples scored wrong (then no error contrast exists: groups are
                ranked by size and the notes say so).
            k: ``"auto"`` (silhouette) or a fixed number of clusters.
            method: ``"kmeans"`` or ``"hdbscan"``.
            error_aware: also cluster on the generation's failure mode (never on
                correctness); the same candidates are tested either way, and a group that is
                exactly the wrong (or right) samples is never a candidate.
            show_all: show groups that restate an existing label instead of folding them.
            save: store the suggestions so they can be accepted as named slices.
            progress: ``progress(stage, fraction)``; should_cancel: polled between stages.

        Returns:
            A :class:`DiscoveryResult`; ``diff`` is against the whole run's (same benchmark)
            error rate on the primary filter, ``diff_rest`` against the other samples searched.

        Raises:
            NotFound: unknown run. ValueError: bad k/method, or no samples to search.
            DiscoveryCancelled: cancelled through ``should_cancel``.
        """
        info = self.store.get_run(run)
        k_value = parse_k(k)
        if progress:
            progress("load", 0.0)
        rows = self._discovery_rows(info["id"], run, benchmark, failing_only, where)
        all_rows = self.store.slice_rows(info["id"], benchmark=benchmark)
        n_all = sum(r["n"] for r in all_rows)
        c_all = sum(r["c"] for r in all_rows)
        run_error = (1.0 - c_all / n_all) if n_all else None
        correct = np.array(
            [0.0 if r["score"] is None else float(r["score"]) for r in rows], dtype=float
        )
        named = self._named_members(rows)
        search = find_slices(
            [r["question"] for r in rows],
            [r["response"] for r in rows],
            correct,
            failure_modes=[r["failure_mode"] for r in rows],
            groups=[r["task"] for r in rows],
            items=[r["item_id"] for r in rows],
            labels={a: [r[a] for r in rows] for a in AXES},
            named=named,
            run_error_rate=run_error,
            k=k_value,
            method=method,
            error_aware=error_aware,
            random_state=random_state,
            show_all=show_all,
            progress=progress,
            should_cancel=should_cancel,
        )
        params = {
            "benchmark": benchmark,
            "failing_only": failing_only,
            "where": where or {},
            "k": k_value,
            "method": method,
            "error_aware": error_aware,
            "random_state": random_state,
            "show_all": show_all,
        }
        out = [self._suggestion_row(s, rows) for s in search.suggestions]
        notes = list(search.notes)
        clustered = samples_not_independent_note(rows)
        if clustered:
            notes.append(clustered)
        if save:
            self._save_suggestions(info["id"], params, search, out, rows, who)
        return DiscoveryResult(
            run=run,
            params=params,
            n_samples=len(rows),
            n_clustered=search.n_clustered,
            run_error_rate=run_error,
            notes=notes,
            suggestions=out,
            k=search.k,
            silhouette=dict(search.silhouette),
            saved=save,
            k_reason=search.k_reason,
            structure=search.structure,
            n_candidates=search.n_candidates,
            n_significant=search.n_significant,
            tests=search.tests,
            n_untested=search.n_untested,
            folded=[
                {
                    **self._suggestion_row(s, rows),
                    "restates": s.novelty.get("restates"),
                    "jaccard": s.novelty.get("jaccard"),
                }
                for s in search.folded
            ],
        )

    def _discovery_rows(
        self,
        run_id: int,
        run: str,
        benchmark: str | None,
        failing_only: bool,
        where: dict[str, str] | None,
    ) -> list[dict[str, Any]]:
        """The samples to search, as dicts; ValueError naming the run when there are none."""
        rows = [
            dict(r)
            for r in self.store.discovery_rows(
                run_id, benchmark=benchmark, failing_only=failing_only, where=where
            )
        ]
        if not rows:
            raise ValueError(
                f"run {run!r} has no {'failing ' if failing_only else ''}samples"
                + (f" in benchmark {benchmark!r}" if benchmark else "")
                + (f" in slice {where}" if where else "")
                + " to cluster"
            )
        return rows

    def _named_members(self, rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
        """Named slice -> indices of ``rows`` whose item belongs to it (non-empty only)."""
        by_item: dict[int, list[int]] = {}
        for i, r in enumerate(rows):
            by_item.setdefault(r["item_id"], []).append(i)
        named: dict[str, np.ndarray] = {}
        for ns in self.store.list_named_slices():
            members = [
                i
                for item in self.store.get_named_slice(ns["name"])["item_ids"]
                for i in by_item.get(item, [])
            ]
            if members:
                named[ns["name"]] = np.array(members, dtype=np.int64)
        return named

    def _save_suggestions(
        self,
        run_id: int,
        params: dict[str, Any],
        search: SliceSearch,
        out: list[dict[str, Any]],
        rows: list[dict[str, Any]],
        who: str | None,
    ) -> None:
        """Store the shown suggestions and write their ids into ``out``."""
        ids = self.store.save_suggestions(
            run_id,
            params,
            search.notes,
            [
                (s.cluster, row, sorted({rows[i]["item_id"] for i in s.members}))
                for s, row in zip(search.suggestions, out, strict=True)
            ],
            who=who,
        )
        for row, sid in zip(out, ids, strict=True):
            row["id"] = sid

    @staticmethod
    def _suggestion_row(s: Suggestion, rows: list[dict[str, Any]]) -> dict[str, Any]:
        d = s.to_dict()
        d["groups"] = dict(list(d["groups"].items())[:8])
        d["n_items"] = len({rows[i]["item_id"] for i in s.members})
        if few_items_no_interval(d["size"], d["n_items"]):
            # the Wilson interval is over member samples: with a handful of items of several
            # samples each it counts one item's samples as independent (far too narrow)
            d["ci_low"] = d["ci_high"] = None
        elif d["size"] > d["n_items"] and d["ci_low"] is not None:
            # several samples per item: resample items, not samples (a Wilson interval over
            # the member samples would treat one item's samples as independent)
            members = [int(i) for i in s.members]
            d["ci_low"], d["ci_high"] = clustered_error_interval(
                [rows[i]["item_id"] for i in members],
                [1.0 - (0.0 if rows[i]["score"] is None else float(rows[i]["score"]))
                 for i in members],
            )  # fmt: skip
        by_task: dict[str, set[str]] = {}
        for i in s.members:
            by_task.setdefault(str(rows[i]["task"]), set()).add(str(rows[i]["doc_id"]))
        d["doc_ids"] = sorted({x for ids in by_task.values() for x in ids}, key=_doc_key)
        d["doc_ids_by_task"] = {t: sorted(ids, key=_doc_key) for t, ids in by_task.items()}
        d["representatives"] = [
            {
                "sample_id": rows[i]["id"],
                "doc_id": rows[i]["doc_id"],
                "task": rows[i]["task"],
                "score": rows[i]["score"],
                "failure_mode": rows[i]["failure_mode"],
                "question": (rows[i]["question"] or "")[:200],
                "response": (rows[i]["response"] or "")[:200],
            }
            for i in s.representatives
        ]
        d["sample_ids"] = [rows[i]["id"] for i in s.members[:2000]]
        return d

    def suggestions(self, run: str | None = None) -> list[SavedSuggestionRow]:
        """Saved suggestions (newest discovery first), optionally of one run."""
        run_id = None if run is None else self.store.get_run(run)["id"]
        return cast(list[SavedSuggestionRow], self.store.list_suggestions(run_id))

    def suggestion(self, suggestion_id: int) -> SavedSuggestion:
        """One saved suggestion with its summary and item ids."""
        return cast(SavedSuggestion, self.store.get_suggestion(suggestion_id))

    def accept_suggestion(
        self, suggestion_id: int, name: str, *, who: str | None = None, note: str | None = None
    ) -> NamedSlice:
        """Name a saved suggestion: it becomes a named slice of its member items."""
        return cast(
            NamedSlice, self.store.accept_suggestion(suggestion_id, name, who=who, note=note)
        )

    # ---- named slices -----------------------------------------------------------------
    def named_slices(self) -> list[NamedSliceRow]:
        """Every named slice with version, who/when and size."""
        return cast(list[NamedSliceRow], self.store.list_named_slices())

    def named_slice(self, name: str) -> NamedSlice:
        """One named slice with its item ids and version (pass the version back on edit)."""
        return cast(NamedSlice, self.store.get_named_slice(name))

    def rename_slice(
        self,
        name: str,
        new_name: str,
        *,
        expected_version: int | None = None,
        who: str | None = None,
    ) -> NamedSliceRow:
        """Rename a named slice (version-checked; raises Conflict when stale)."""
        return self.store.edit_named_slice(  # type: ignore[return-value]  # a NamedSliceRow
            name, new_name=new_name, expected_version=expected_version, who=who
        )

    # ---- labels -----------------------------------------------------------------------
    def _check_values(self, values: dict[str, str | None]) -> None:
        """Refuse an unknown axis, or a value the taxonomy's axis does not list.

        Raises ``ValueError`` naming the known values; ``TaxonomyError`` (file, line) when the
        taxonomy in use cannot be read: a broken taxonomy is said, never a check silently
        skipped (it was, under a broad ``except``, until the session-8 review).
        """
        vocab: dict[str, dict[str, str]] = self.axes()  # type: ignore[attr-defined]
        for axis, value in values.items():
            if axis not in AXES:
                raise ValueError(f"unknown axis {axis!r}; axes are {', '.join(AXES)}")
            known = vocab.get(axis)
            if value is not None and known and value not in known:
                raise ValueError(
                    f"{value!r} is not a value of {axis} in the taxonomy; known values: "
                    + ", ".join(sorted(known))
                )

    def label_items(
        self,
        item_ids: Sequence[int],
        values: dict[str, str | None],
        *,
        who: str | None = None,
        note: str | None = None,
    ) -> LabelResult:
        """Hand-label single items (one undoable action). Value None clears the hand label."""
        self._check_values(values)
        return self.store.set_labels(  # type: ignore[return-value]  # a results.LabelResult
            item_ids, values, source="hand", who=who, note=note, origin="items"
        )

    def label_samples(
        self,
        sample_ids: Sequence[int],
        values: dict[str, str | None],
        *,
        who: str | None = None,
        note: str | None = None,
    ) -> LabelResult:
        """Hand-label the items of some samples (labels belong to items, not samples)."""
        items = self.store.item_ids_of_samples(sample_ids)
        if not items:
            raise NotFound(f"none of the samples {list(sample_ids)[:5]} exist")
        return self.label_items(items, values, who=who, note=note)

    def label_slice(
        self,
        name: str,
        values: dict[str, str | None],
        *,
        expected_version: int | None = None,
        who: str | None = None,
        note: str | None = None,
    ) -> SliceLabelResult:
        """Hand-label every item of a named slice; a stale ``expected_version`` -> Conflict."""
        self._check_values(values)
        return self.store.label_named_slice(  # type: ignore[return-value]  # SliceLabelResult
            name, values, expected_version=expected_version, who=who, note=note
        )

    def label_where(
        self,
        run: str,
        where: dict[str, str],
        values: dict[str, str | None],
        *,
        benchmark: str | None = None,
        who: str | None = None,
        note: str | None = None,
    ) -> LabelResult:
        """Hand-label the items of a run matching ``axis=value`` conditions."""
        self._check_values(values)
        info = self.store.get_run(run)
        items = self.store.item_ids_where(info["id"], where, benchmark)
        if not items:
            raise ValueError(f"no items of run {run!r} match {where}")
        return self.store.set_labels(  # type: ignore[return-value]  # a results.LabelResult
            items,
            values,
            source="hand",
            who=who,
            note=note,
            origin="where:" + ",".join(f"{a}={v}" for a, v in where.items()),
        )

    def label_suggestion(
        self,
        suggestion_id: int,
        values: dict[str, str | None],
        *,
        who: str | None = None,
        note: str | None = None,
    ) -> LabelResult:
        """Label a saved cluster's items with source ``cluster`` (below hand, above rule)."""
        self._check_values(values)
        sug = self.store.get_suggestion(suggestion_id)
        return self.store.set_labels(  # type: ignore[return-value]  # a results.LabelResult
            sug["item_ids"],
            values,
            source="cluster",
            who=who,
            note=note,
            origin=f"suggestion:{suggestion_id}",
        )

    def label_show(self, item_id: int) -> LabelShow:
        """Every source's value per axis for an item, the winner marked (hand > cluster > rule).

        Returns:
            ``{"item_id", "axes": {axis: {"effective", "source", "values": [label rows]}}}``.

        Raises:
            NotFound: no item has that id (an empty table would read as an unlabelled item).
        """
        if not self.store.item_docs([item_id]):
            raise NotFound(f"no item with id {item_id} in {self.store.path}")
        rows = self.store.item_labels(item_id)
        axes: dict[str, AxisLabels] = {
            a: {"effective": None, "source": None, "values": []} for a in AXES
        }
        for r in rows:
            entry = axes.setdefault(r["axis"], {"effective": None, "source": None, "values": []})
            entry["values"].append(cast(LabelValue, r))
            if r["winner"]:
                entry["effective"] = r["value"]
                entry["source"] = r["source"]
        return {"item_id": item_id, "axes": axes}

    def label_history(
        self,
        *,
        item_id: int | None = None,
        batch: str | None = None,
        who: str | None = None,
        limit: int = 200,
    ) -> list[LabelHistoryRow]:
        """Label history rows, newest first."""
        rows = self.store.label_history(item_id=item_id, batch=batch, who=who, limit=limit)
        return cast(list[LabelHistoryRow], rows)

    def item_docs(self, item_ids: Sequence[int]) -> dict[int, ItemDoc]:
        """``{item id: {"task", "doc_id", "benchmark"}}``: what a reader knows an item by
        (history rows carry only the store's item id); unknown ids are left out."""
        return cast(dict[int, ItemDoc], self.store.item_docs(item_ids))

    def label_actions(self, *, who: str | None = None, limit: int = 50) -> list[LabelAction]:
        """One row per labelling action (batch), newest first, with ``undone``."""
        return cast(list[LabelAction], self.store.label_batches(who=who, limit=limit))

    def undo_labels(
        self, batch: str | None = None, *, who: str | None = None, force: bool = False
    ) -> UndoResult:
        """Undo the newest action (of ``who`` if given) or the given batch."""
        return cast(UndoResult, self.store.undo(batch, who=who, force=force))

    def undo_target(self, *, who: str | None = None) -> str | None:
        """The batch :meth:`undo_labels` undoes when given none (the newest action of ``who``
        if given that is not an undo nor undone), None when there is nothing to undo: a
        screen says so instead of asking to confirm an undo that would fail."""
        return self.store.undo_target(who=who)

    @staticmethod
    def current_user() -> str:
        """Who labels are attributed to by default ($CAPSLICE_USER, $USER)."""
        return current_user()
