"""Compare two runs slice by slice, diagnose a change or a weakness, write a review report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analysis.compare import adjust, check_comparable, paired_compare
from ..store import AXES, Store
from .core import UNLABELLED, parse_by

MARK_WORSE = "worse*"
MARK_BETTER = "better*"


@dataclass
class Aligned:
    """Two runs' per-item counts on the items they share, with the items' labels.

    Arrays have shape (m,) for m paired (task, item) rows; ``labels[g]`` gives the value of
    grouping ``g`` (task, benchmark or an axis) per row.
    """

    item_ids: np.ndarray
    base_n: np.ndarray
    base_c: np.ndarray
    cand_n: np.ndarray
    cand_c: np.ndarray
    labels: dict[str, np.ndarray]
    only_base: int
    only_cand: int


def _rows_by_key(store: Store, run_id: int, benchmark: str | None) -> dict[Any, Any]:
    return {(r["task"], r["item_id"]): r for r in store.slice_rows(run_id, benchmark=benchmark)}


def align_runs(store: Store, base_id: int, cand_id: int, benchmark: str | None) -> Aligned:
    """Pair two runs' items: by (task, item) when they share tasks, else by item alone.

    Raises:
        ValueError: the runs share no item (the message says what each run holds).
    """
    base = _rows_by_key(store, base_id, benchmark)
    cand = _rows_by_key(store, cand_id, benchmark)
    keys = sorted(set(base) & set(cand))
    if not keys:  # same documents under different task names (e.g. cot vs answer-only)
        base = {k[1]: v for k, v in base.items()}
        cand = {k[1]: v for k, v in cand.items()}
        keys = sorted(set(base) & set(cand))
    if not keys:
        where = f" in benchmark {benchmark!r}" if benchmark else ""
        raise ValueError(
            f"the runs share no evaluation item{where} (base has {len(base)} items, candidate "
            f"{len(cand)}); pairing needs the same items in both runs"
        )
    b = [base[k] for k in keys]
    c = [cand[k] for k in keys]
    labels = {
        g: np.array([(r[g] if r[g] is not None else UNLABELLED) for r in b], dtype=object)
        for g in ("task", "benchmark", *AXES)
    }
    return Aligned(
        item_ids=np.array([r["item_id"] for r in b]),
        base_n=np.array([r["n"] for r in b], dtype=float),
        base_c=np.array([r["c"] for r in b], dtype=float),
        cand_n=np.array([r["n"] for r in c], dtype=float),
        cand_c=np.array([r["c"] for r in c], dtype=float),
        labels=labels,
        only_base=len(base) - len(keys),
        only_cand=len(cand) - len(keys),
    )


def _side(score: Any) -> dict[str, Any]:
    return {
        "score": score.score,
        "correct": float(score.correct),
        "n": int(score.n_samples),
        "n_items": int(score.n_items),
        "ci_low": score.lo,
        "ci_high": score.hi,
    }


def _marker(significant: bool, diff: float) -> str:
    if not significant or math.isnan(diff):
        return ""
    return MARK_WORSE if diff < 0 else MARK_BETTER


@dataclass
class Comparison:
    """Slice-by-slice comparison of a candidate run against a base run."""

    base: str
    cand: str
    benchmark: str | None
    by: list[str]
    k: int | None
    q: float
    n_tested: int
    overall: dict[str, Any]
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``--format json`` payload); every attribute under its own name."""
        return {
            "base": self.base,
            "cand": self.cand,
            "benchmark": self.benchmark,
            "by": self.by,
            "k": self.k,
            "q": self.q,
            "n_tested": self.n_tested,
            "overall": self.overall,
            "rows": self.rows,
            "notes": self.notes,
        }


def _row(key: dict[str, str], res: Any, adj: Any | None) -> dict[str, Any]:
    p_adj = adj.p_adj if adj is not None else math.nan
    significant = bool(adj.significant) if adj is not None else bool(res.p_value <= 0.05)
    return {
        "slice": key,
        "n_items": res.n_items,
        "base": _side(res.base),
        "cand": _side(res.cand),
        "diff": res.diff,
        "diff_low": res.diff_lo,
        "diff_high": res.diff_hi,
        "p_value": res.p_value,
        "p_adjusted": p_adj,
        "significant": significant,
        "tested": adj.tested if adj is not None else True,
        "test": res.test,
        "discordant": None if res.b is None else {"base_only": res.b, "cand_only": res.c},
        "mdd": res.mdd,
        "marker": _marker(significant, res.diff),
        "warning": res.warning,
    }


class DiagnoseMixin:
    """compare / diagnose / report on top of the core mixin."""

    store: Store

    def _comparability(self, base_id: int, cand_id: int) -> list[str]:
        base_tasks = {t["task"]: t for t in self.store.run_tasks(base_id)}
        cand_tasks = {t["task"]: t for t in self.store.run_tasks(cand_id)}
        reasons: list[str] = []
        pairs = [(base_tasks[t], cand_tasks[t]) for t in sorted(set(base_tasks) & set(cand_tasks))]
        if not pairs and base_tasks and cand_tasks:
            pairs = [(next(iter(base_tasks.values())), next(iter(cand_tasks.values())))]
        n_per_item = {rid: self.store.max_samples_per_item(rid) for rid in (base_id, cand_id)}
        for bt, ct in pairs:
            for reason in check_comparable(
                {
                    "filter": bt["primary_filter"],
                    "n_samples": n_per_item[base_id],
                    "temperature": bt["temperature"],
                },
                {
                    "filter": ct["primary_filter"],
                    "n_samples": n_per_item[cand_id],
                    "temperature": ct["temperature"],
                },
            ):
                text = f"task {bt['task']}: {reason}" if len(pairs) > 1 else reason
                if reason not in " ".join(reasons):
                    reasons.append(text)
        return reasons

    def compare(
        self,
        base: str,
        cand: str,
        *,
        benchmark: str | None = None,
        by: str | Sequence[str] = "task",
        k: int | None = None,
        allow_mismatch: bool = False,
        q: float = 0.05,
        min_size: int = 10,
        random_state: int = 0,
    ) -> Comparison:
        """Pair two runs by item and test every slice of a grouping.

        Greedy 0/1 runs use the exact McNemar test; multi-sample runs a paired bootstrap over
        items (accuracy over samples, or pass@k with ``k``). Benjamini-Hochberg across every
        slice tested; slices under ``min_size`` items are reported but not tested.

        Raises:
            ValueError: unknown runs/grouping, no shared items, or runs that differ in filter,
                samples per item or temperature (unless ``allow_mismatch``).
        """
        groups = parse_by(by)
        b_run = self.store.get_run(base)
        c_run = self.store.get_run(cand)
        reasons = self._comparability(b_run["id"], c_run["id"])
        notes: list[str] = []
        if reasons and not allow_mismatch:
            raise ValueError(
                f"refusing to compare {base} with {cand}: "
                + " ".join(reasons)
                + " Pass --allow-mismatch to compare anyway."
            )
        notes += [f"compared despite: {r}" for r in reasons]
        al = align_runs(self.store, b_run["id"], c_run["id"], benchmark)
        if al.only_base or al.only_cand:
            notes.append(
                f"{al.only_base} items only in {base} and {al.only_cand} only in {cand} were left out"
            )
        overall_res = paired_compare(
            al.base_n, al.base_c, al.cand_n, al.cand_c, k=k, random_state=random_state,
            min_size=min_size,
        )  # fmt: skip
        keys = [tuple(str(al.labels[g][i]) for g in groups) for i in range(al.item_ids.size)]
        index: dict[tuple[str, ...], list[int]] = {}
        for i, key in enumerate(keys):
            index.setdefault(key, []).append(i)
        slice_keys = sorted(index)
        results = []
        for key in slice_keys:
            idx = np.array(index[key])
            results.append(
                paired_compare(
                    al.base_n[idx],
                    al.base_c[idx],
                    al.cand_n[idx],
                    al.cand_c[idx],
                    k=k,
                    random_state=random_state,
                    min_size=min_size,
                )  # fmt: skip
            )
        adjusted = adjust(results, slice_keys, q=q)
        rows = [
            _row(dict(zip(groups, key, strict=False)), res, adj)
            for key, res, adj in zip(slice_keys, results, adjusted, strict=True)
        ]
        n_tested = adjusted[0].n_tested if adjusted else 0
        return Comparison(
            base=base,
            cand=cand,
            benchmark=benchmark,
            by=groups,
            k=k,
            q=q,
            n_tested=n_tested,
            overall=_row({"all": "all"}, overall_res, None),
            rows=rows,
            notes=notes,
        )


# ---------------------------------------------------------------- diagnosis


@dataclass
class Diagnosis:
    """A verdict for a change between two runs, or for one run's weakness, with its evidence."""

    mode: str  # "change" | "weakness"
    base: str
    cand: str | None
    benchmark: str | None
    reference: str | None
    verdict: Any
    failure_modes: dict[str, dict[str, int]]
    failure_mode_shift: list[dict[str, Any]]
    axes: dict[str, list[dict[str, Any]]]
    spread: dict[str, Any]
    slices: list[dict[str, Any]]
    n_tested: int
    notes: list[str] = field(default_factory=list)
    direction: str | None = None  # change mode: "drop" | "gain" | "none"; weakness: None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``--format json`` payload); every attribute under its own name."""
        v = self.verdict.to_dict()
        return {
            "mode": self.mode,
            "base": self.base,
            "cand": self.cand,
            "benchmark": self.benchmark,
            "reference": self.reference,
            "verdict": v["verdict"],
            "reason": v.get("reason", ""),
            "summary": v["summary"],
            "causes": v["causes"],
            "evidence": v["evidence"],
            "failure_modes": self.failure_modes,
            "failure_mode_shift": self.failure_mode_shift,
            "axes": self.axes,
            "spread": self.spread,
            "slices": self.slices,
            "slices_tested": self.n_tested,
            "direction": self.direction,
            "notes": self.notes,
        }


@dataclass
class _Outcomes:
    """One run's per-sample outcomes, keyed for pairing."""

    keys: list[tuple[Any, ...]]
    score: np.ndarray
    modes: np.ndarray
    signals: list[str | None]
    labels: dict[str, np.ndarray]
    item: np.ndarray


def _outcomes(store: Store, run_id: int, benchmark: str | None) -> _Outcomes:
    rows = store.sample_outcomes(run_id, benchmark)
    return _Outcomes(
        keys=[(r["task"], r["item_id"], r["sample_idx"]) for r in rows],
        score=np.array([r["score"] for r in rows], dtype=float),
        modes=np.array([r["failure_mode"] or "wrong_answer" for r in rows], dtype=object),
        signals=[r["failure_signals"] for r in rows],
        labels={
            a: np.array([r[a] if r[a] is not None else UNLABELLED for r in rows], dtype=object)
            for a in AXES
        },
        item=np.array([r["item_id"] for r in rows]),
    )


def _signal_counts(signals: Sequence[str | None]) -> dict[str, int]:
    from ..analysis.failure_modes import SIGNALS

    counts = dict.fromkeys(SIGNALS, 0)
    counts["n"] = len(signals)
    for s in signals:
        for flag in (s or "").split(","):
            if flag:
                counts[flag] = counts.get(flag, 0) + 1
    return counts


def _cap_modes(signals: Sequence[str | None], modes: np.ndarray) -> dict[str, int]:
    """Failure mode -> samples whose signals include ``cap`` (hit the generation cap)."""
    out: dict[str, int] = {}
    for s, m in zip(signals, modes, strict=True):
        if "cap" in (s or "").split(","):
            out[str(m)] = out.get(str(m), 0) + 1
    return out


def _mode_counts(modes: np.ndarray) -> dict[str, int]:
    from ..analysis.failure_modes import MODES

    values, counts = np.unique(modes.astype(str), return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=False))
    return {m: int(found.get(m, 0)) for m in MODES}


def _per_item(
    item: np.ndarray, score: np.ndarray, modes: np.ndarray, labels: dict[str, np.ndarray]
):
    """Collapse sample rows to item rows: n, c, dominant failing mode, labels."""
    uniq, first, inv = np.unique(item, return_index=True, return_inverse=True)
    n = np.bincount(inv).astype(float)
    c = np.bincount(inv, weights=score)
    dom = np.empty(uniq.size, dtype=object)
    for i in range(uniq.size):
        failing = modes[(inv == i) & (score < 1)] if n[i] > 1 else modes[inv == i]
        if failing.size == 0:
            dom[i] = "correct"
        else:
            vals, cnt = np.unique(failing.astype(str), return_counts=True)
            dom[i] = vals[int(np.argmax(cnt))]
    return uniq, n, c, dom, {a: v[first] for a, v in labels.items()}, inv


def _slice_rows(
    search: Any,
    item_n: np.ndarray,
    item_c: np.ndarray,
    item_labels: dict[str, np.ndarray],
    overall: float,
    k: int | None,
    seed: int,
) -> list[dict[str, Any]]:
    from ..analysis.metrics import slice_score

    rows = []
    for s in search.slices:
        mask = np.ones(item_n.size, dtype=bool)
        for axis, value in s.slice.predicates:
            mask &= item_labels[axis] == value
        score = slice_score(item_n[mask], item_c[mask], None, random_state=seed)
        failing = sum(s.mode_counts.values()) or 1
        dominant = max(s.mode_counts, key=s.mode_counts.get) if s.mode_counts else None
        row = {
            "slice": dict(s.slice.predicates),
            "label": s.label,
            "n_items": int(mask.sum()),
            "score": score.score,
            "ci_low": score.lo,
            "ci_high": score.hi,
            "correct": float(score.correct),
            "n_samples": int(score.n_samples),
            "deficit": score.score - overall,
            "p_value": s.p_value,
            "p_adjusted": s.p_adj,
            "significant": True,
            "wrong_answer_share": s.mode_counts.get("wrong_answer", 0) / failing,
            "dominant_failure_mode": dominant,
            "mode_counts": s.mode_counts,
        }
        if k:
            pk = slice_score(item_n[mask], item_c[mask], k, random_state=seed)
            row[f"pass@{k}"] = {"score": pk.score, "ci_low": pk.lo, "ci_high": pk.hi}
        row["combinations"] = _combinations(mask, item_n, item_c, item_labels)
        rows.append(row)
    return rows


def _combinations(
    mask: np.ndarray, item_n: np.ndarray, item_c: np.ndarray, item_labels: dict[str, np.ndarray]
) -> list[dict[str, Any]]:
    """task_type x solving_operation cells inside a slice, weakest first (score, counts)."""
    cells: dict[tuple[str, str], list[int]] = {}
    for i in np.flatnonzero(mask):
        key = (str(item_labels["task_type"][i]), str(item_labels["solving_operation"][i]))
        cells.setdefault(key, []).append(int(i))
    out = []
    for (tt, op), idx in cells.items():
        n, c = item_n[idx], item_c[idx]
        out.append(
            {
                "task_type": tt,
                "solving_operation": op,
                "n_items": len(idx),
                "score": float(np.mean(c / n)),
                "correct": float(c.sum()),
                "n_samples": int(n.sum()),
            }
        )
    return sorted(out, key=lambda r: (r["score"], -r["n_items"]))


def _run_cells(
    slices: list[dict[str, Any]], item_n: np.ndarray, item_c: np.ndarray,
    item_labels: dict[str, np.ndarray],
) -> list[dict[str, Any]]:  # fmt: skip
    """task_type x solving_operation cells over the whole run (all their items), restricted
    to the cells that occur inside some significant slice; weakest first."""
    inside = {(c["task_type"], c["solving_operation"]) for r in slices for c in r["combinations"]}
    cells = _combinations(np.ones(item_n.size, dtype=bool), item_n, item_c, item_labels)
    return [c for c in cells if (c["task_type"], c["solving_operation"]) in inside]


class DiagnoseRunsMixin(DiagnoseMixin):
    """diagnose and report (change and weakness modes)."""

    def diagnose(
        self,
        base: str,
        cand: str | None = None,
        *,
        benchmark: str | None = None,
        reference: str | None = None,
        allow_mismatch: bool = False,
        q: float = 0.05,
        min_size: int = 10,
        random_state: int = 0,
    ) -> Diagnosis:
        """Verdict (``data`` / ``not_data`` / ``inconclusive``) with checkable evidence.

        Change mode (``cand`` given): pair samples by (item, sample index); decompose the
        change by failure mode and by each axis (``decompose_change``); test every axis
        conjunction up to 4 for concentrated regressions (``significant_slices``, BH); run
        per-task paired tests (``compare`` by task, or task_type with one task; BH) so a broad
        change can say where the candidate loses most and where it wins; decide with
        ``verdict_for_change``. The dict form adds ``reason`` (see ``analysis.verdict``). Weakness mode (``cand`` None): deficits of each slice
        against the run's own average or ``reference`` (``decompose_weakness``), failing
        combinations (``significant_slices`` over items), ``verdict_for_weakness``.

        Raises:
            ValueError: unknown runs, no shared items, or incomparable runs (see ``compare``).
        """
        from ..analysis.compare import paired_compare
        from ..analysis.decompose import (
            decompose_change,
            regression_errors,
            significant_slices,
        )
        from ..analysis.verdict import verdict_for_change

        b_run = self.store.get_run(base)
        notes: list[str] = []
        if cand is None:
            return self._weakness(b_run, benchmark, reference, q, min_size, random_state)
        c_run = self.store.get_run(cand)
        reasons = self._comparability(b_run["id"], c_run["id"])
        if reasons and not allow_mismatch:
            raise ValueError(
                f"refusing to diagnose {cand} against {base}: "
                + " ".join(reasons)
                + " Pass --allow-mismatch to diagnose anyway."
            )
        notes += [f"diagnosed despite: {r}" for r in reasons]
        bo = _outcomes(self.store, b_run["id"], benchmark)
        co = _outcomes(self.store, c_run["id"], benchmark)
        b_index = {k: i for i, k in enumerate(bo.keys)}
        pairs = [(b_index[k], j) for j, k in enumerate(co.keys) if k in b_index]
        if not pairs:  # same documents under other task names
            b_index = {k[1:]: i for i, k in enumerate(bo.keys)}
            pairs = [(b_index[k[1:]], j) for j, k in enumerate(co.keys) if k[1:] in b_index]
        if not pairs:
            raise ValueError(f"{base} and {cand} share no samples to pair")
        bi = np.array([p[0] for p in pairs])
        ci = np.array([p[1] for p in pairs])
        item = bo.item[bi]
        _, inv, counts = np.unique(item, return_inverse=True, return_counts=True)
        weights = 1.0 / counts[inv]
        labels = {a: bo.labels[a][bi] for a in AXES}
        dec = decompose_change(
            labels, bo.score[bi], co.score[ci], bo.modes[bi], co.modes[ci], weights,
            min_size=min_size,
        )  # fmt: skip
        ub, bn, bc, _, item_labels, _ = _per_item(item, bo.score[bi], bo.modes[bi], labels)
        _, cn, cc, c_dom, _, _ = _per_item(item, co.score[ci], co.modes[ci], labels)
        overall = paired_compare(bn, bc, cn, cc, random_state=random_state, min_size=min_size)
        errors = regression_errors(bc / bn, cc / cn)
        search = significant_slices(item_labels, errors, c_dom, min_sup=min_size, q=q)
        slice_tests = self._slice_tests(base, cand, benchmark, q, min_size, random_state)
        verdict = verdict_for_change(
            dec, overall, search, slice_tests=slice_tests,
            base_signals=_signal_counts([bo.signals[i] for i in bi]),
            cand_signals=_signal_counts([co.signals[i] for i in ci]),
            base_cap_modes=_cap_modes([bo.signals[i] for i in bi], bo.modes[bi]),
            cand_cap_modes=_cap_modes([co.signals[i] for i in ci], co.modes[ci]),
        )  # fmt: skip
        slices = _slice_rows(
            search, cn, cc, item_labels, float(np.mean(cc / cn)), None, random_state
        )
        for row, s in zip(slices, search.slices, strict=True):
            mask = np.ones(bn.size, dtype=bool)
            for axis, value in s.slice.predicates:
                mask &= item_labels[axis] == value
            row["base_score"] = float((bc[mask] / bn[mask]).mean())
            row["regressed_items"] = float(errors[mask].sum())
        shift = [
            {
                "mode": m,
                "base_share": dec.mode_shares_base.get(m, 0.0),
                "cand_share": dec.mode_shares_cand.get(m, 0.0),
                "contribution": dec.mode_contributions.get(m, 0.0),
            }
            for m in dec.mode_shares_base
        ]
        axes = {
            a: [
                {
                    "value": d.value,
                    "n_items": d.items,
                    "base_score": d.base_score,
                    "cand_score": d.cand_score,
                    "delta": d.delta,
                    "contribution": d.contribution,
                    "eligible": d.eligible,
                }
                for d in deltas
            ]
            for a, deltas in dec.axes.items()
        }
        spread = {"pattern": dec.content_pattern} | {
            a: {
                "pattern": cinfo.pattern,
                "slices_moving": cinfo.n_moving,
                "slices_eligible": cinfo.n_eligible,
                "top_value": cinfo.top_value,
                "top_share": cinfo.top_share,
            }
            for a, cinfo in dec.concentration.items()
        }
        return Diagnosis(
            mode="change", base=base, cand=cand, benchmark=benchmark, reference=None,
            verdict=verdict,
            failure_modes={base: _mode_counts(bo.modes[bi]), cand: _mode_counts(co.modes[ci])},
            failure_mode_shift=shift, axes=axes, spread=spread, slices=slices,
            n_tested=search.n_tested, notes=notes,
            direction="drop" if dec.total_change < 0 else "gain" if dec.total_change > 0 else "none",
        )  # fmt: skip

    def _slice_tests(
        self, base: str, cand: str, benchmark: str | None, q: float, min_size: int, seed: int
    ) -> list[dict[str, Any]]:
        """Per-task paired tests of ``cand`` against ``base`` (``compare`` rows, BH at ``q``);
        by task_type when the runs have fewer than two tasks in common. Comparability was
        checked by the caller, so mismatches are allowed here."""
        rows: list[dict[str, Any]] = []
        for by in ("task", "task_type"):
            rows = self.compare(
                base, cand, benchmark=benchmark, by=by, allow_mismatch=True, q=q,
                min_size=min_size, random_state=seed,
            ).rows  # fmt: skip
            if len(rows) >= 2:
                break
        return rows

    def report(
        self, base: str, cand: str, *, benchmark: str | None = None, allow_mismatch: bool = False
    ) -> str:
        """The Markdown review report of ``cand`` against ``base`` (see ``capslice_tui.report``)."""
        from ..report import report_markdown

        diag = self.diagnose(base, cand, benchmark=benchmark, allow_mismatch=allow_mismatch)
        runs = {r["name"]: r for r in self.runs() if r["name"] in (base, cand)}  # type: ignore[attr-defined]
        comparisons = [
            (
                f"By {by}",
                self.compare(
                    base, cand, benchmark=benchmark, by=by, allow_mismatch=allow_mismatch
                ).to_dict(),
            )
            for by in ("task", *AXES, "task_type,solving_operation")
        ]
        return report_markdown(runs, comparisons, diag.to_dict())

    def _weakness(
        self, run: dict[str, Any], benchmark: str | None, reference: str | None,
        q: float, min_size: int, seed: int,
    ) -> Diagnosis:  # fmt: skip
        from ..analysis.decompose import decompose_weakness, significant_slices
        from ..analysis.verdict import verdict_for_weakness

        o = _outcomes(self.store, run["id"], benchmark)
        if not o.keys:
            raise ValueError(
                f"run {run['name']} has no scored samples"
                + (f" in {benchmark}" if benchmark else "")
            )
        _, inv, counts = np.unique(o.item, return_inverse=True, return_counts=True)
        weights = 1.0 / counts[inv]
        ref_correct = None
        notes: list[str] = []
        if reference is not None:
            r = _outcomes(self.store, self.store.get_run(reference)["id"], benchmark)
            r_item: dict[Any, list[float]] = {}
            for key, s in zip(r.keys, r.score, strict=True):
                r_item.setdefault(key[1], []).append(s)
            means = {k: float(np.mean(v)) for k, v in r_item.items()}
            keep = np.array([i in means for i in o.item])
            if not keep.any():
                raise ValueError(f"{run['name']} and {reference} share no items")
            if not keep.all():
                notes.append(f"{int((~keep).sum())} samples without a reference item were left out")
            o = _Outcomes(
                [k for k, m in zip(o.keys, keep, strict=True) if m], o.score[keep], o.modes[keep],
                [s for s, m in zip(o.signals, keep, strict=True) if m],
                {a: v[keep] for a, v in o.labels.items()}, o.item[keep],
            )  # fmt: skip
            _, inv, counts = np.unique(o.item, return_inverse=True, return_counts=True)
            weights = 1.0 / counts[inv]
            ref_correct = np.array([means[i] for i in o.item])
        weak = decompose_weakness(
            o.labels, o.score, o.modes, weights, ref_correct, min_size=min_size
        )
        _, n, c, dom, item_labels, _ = _per_item(o.item, o.score, o.modes, o.labels)
        search = significant_slices(item_labels, 1 - c / n, dom, min_sup=min_size, q=q)
        n_max = int(n.max())
        # per-item mean, the same basis as each slice's score (items weigh 1 whatever their samples)
        overall = float(np.mean(c / n)) if reference is None else float(weak.reference_score)
        slices = _slice_rows(search, n, c, item_labels, overall, n_max if n_max > 1 else None, seed)
        verdict = verdict_for_weakness(
            weak, search,
            sample_counts={r["label"]: (r["correct"], r["n_samples"]) for r in slices},
            combinations=_run_cells(slices, n, c, item_labels),
        )  # fmt: skip
        axes = {
            a: [
                {
                    "value": d.value,
                    "n_items": d.items,
                    "score": d.score,
                    "ci_low": d.lo,
                    "ci_high": d.hi,
                    "reference_score": d.reference_score,
                    "deficit": d.deficit,
                    "contribution": d.contribution,
                    "eligible": d.eligible,
                }
                for d in deficits
            ]
            for a, deficits in weak.axes.items()
        }
        return Diagnosis(
            mode="weakness", base=run["name"], cand=None, benchmark=benchmark,
            reference=reference, verdict=verdict,
            failure_modes={run["name"]: _mode_counts(o.modes)},
            failure_mode_shift=[], axes=axes, spread={}, slices=slices,
            n_tested=search.n_tested, notes=notes,
        )  # fmt: skip
