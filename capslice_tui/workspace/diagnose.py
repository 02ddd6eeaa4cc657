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
        n_per_item = {}
        for rid in (base_id, cand_id):
            row = self.store.conn.execute(
                "SELECT max(n) FROM item_scores WHERE run_id = ?", (rid,)
            ).fetchone()
            n_per_item[rid] = row[0]
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
                f"refusing to compare {base} with {cand}: " + " ".join(reasons)
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
                    al.base_n[idx], al.base_c[idx], al.cand_n[idx], al.cand_c[idx], k=k,
                    random_state=random_state, min_size=min_size,
                )  # fmt: skip
            )
        adjusted = adjust(results, slice_keys, q=q)
        rows = [
            _row(dict(zip(groups, key)), res, adj)
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
