"""Compare two runs slice by slice, diagnose a change or a weakness, write a review report."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

from ..analysis.compare import PairedResult, adjust, check_comparable, paired_compare
from ..analysis.pairing import int_keys, pair_by_dict, pair_int_keys
from ..formatting import ONE_SAMPLE_ACCURACY, plural
from ..store import AXES, Store
from ..store.samples import UNLABELLED
from .core import parse_by
from .pairs import identical_responses, same_checkpoint, shared_filter
from .results import (
    AxisRow,
    CompareRow,
    CompareSide,
    ComparisonDict,
    DiagnosisDict,
    DiagnosisSlice,
    DiagnosisVerdictDict,
    EvaluationCheckDict,
    ModeShift,
    OtherEvaluationDict,
    Spread,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np
else:  # numpy on first use: compare of two greedy runs tests counts alone (issue 14)
    from ..analysis.lazy import np

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


def align_runs(
    store: Store,
    base_id: int,
    cand_id: int,
    benchmark: str | None,
    filter_name: str | None = None,
) -> Aligned:
    """Pair two runs' items: by (task, item) when they share tasks, else by item alone.

    Both runs are read on each task's primary filter, or on ``filter_name`` when given.

    Raises:
        ValueError: the runs share no item (the message says what each run holds).
    """
    b_rows = store.slice_rows(base_id, benchmark=benchmark, filter_name=filter_name)
    c_rows = store.slice_rows(cand_id, benchmark=benchmark, filter_name=filter_name)
    fast = _align_columns(b_rows, c_rows)
    if fast is not None:
        return fast
    base = {(r["task"], r["item_id"]): r for r in b_rows}
    cand = {(r["task"], r["item_id"]): r for r in c_rows}
    keys = _shared_keys(base, cand)
    if not keys:  # same documents under different task names (e.g. cot vs answer-only)
        base = {k[1]: v for k, v in base.items()}
        cand = {k[1]: v for k, v in cand.items()}
        keys = _shared_keys(base, cand)
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


def _shared_keys(base: dict[Any, Any], cand: dict[Any, Any]) -> list[Any]:
    """The keys both runs hold (paired by :func:`~capslice_tui.analysis.pairing.pair_by_dict`),
    sorted."""
    cand_keys = list(cand)
    return sorted(cand_keys[j] for j in pair_by_dict(list(base), cand_keys)[1].tolist())


def _align_columns(b_rows: Sequence[Any], c_rows: Sequence[Any]) -> Aligned | None:
    """:func:`align_runs` on (task, item) keys with numpy, from ``slice_rows`` rows (columns
    item_id, task, benchmark, n, c, c_lenient, then the axes); the same pairs in the same
    (task, item) order as the dict path. None when the runs share no (task, item) (the caller
    then pairs by item alone) or a key repeats."""
    if not b_rows or not c_rows:
        return None
    b_cols = list(zip(*b_rows, strict=True))
    c_cols = list(zip(*c_rows, strict=True))
    b_item = np.array(b_cols[0], dtype=np.int64)
    c_item = np.array(c_cols[0], dtype=np.int64)
    keys = int_keys(b_cols[1], c_cols[1], [b_item], [c_item])
    pairs = None if keys is None else pair_int_keys(*keys)
    if pairs is None or not pairs[0].size:
        return None
    bi, ci = pairs

    def column(values: Sequence[Any], idx: np.ndarray) -> np.ndarray:
        out = np.empty(len(values), dtype=object)
        out[:] = values
        out = out[idx]
        out[np.equal(out, None)] = UNLABELLED  # type: ignore[call-overload]
        return out

    names = ("item_id", "task", "benchmark", "n", "c", "c_lenient", *AXES)
    at = {g: names.index(g) for g in ("task", "benchmark", *AXES)}
    return Aligned(
        item_ids=b_item[bi],
        base_n=np.array(b_cols[3], dtype=float)[bi],
        base_c=np.array(b_cols[4], dtype=float)[bi],
        cand_n=np.array(c_cols[3], dtype=float)[ci],
        cand_c=np.array(c_cols[4], dtype=float)[ci],
        labels={g: column(b_cols[i], bi) for g, i in at.items()},
        only_base=len(b_rows) - int(bi.size),
        only_cand=len(c_rows) - int(ci.size),
    )


def slice_index(
    labels: dict[str, np.ndarray], groups: Sequence[str]
) -> dict[tuple[str, ...], np.ndarray]:
    """Rows of each distinct combination of ``groups`` values, keys in sorted order:
    combination (values as str) -> row indices (ascending). Vectorised: one ``np.unique`` per
    grouping and one over the combined codes."""
    m = len(next(iter(labels.values()))) if labels else 0
    if m == 0:
        return {}
    combined = np.zeros(m, dtype=np.int64)
    uniques = []
    for g in groups:
        values, inv = np.unique(labels[g].astype(str), return_inverse=True)
        uniques.append(values)
        combined = combined * values.size + inv
    keys, inv = np.unique(combined, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    bounds = np.cumsum(np.bincount(inv, minlength=keys.size))[:-1]
    out: dict[tuple[str, ...], np.ndarray] = {}
    for k, idx in zip(keys.tolist(), np.split(order, bounds), strict=True):
        parts = []
        for values in reversed(uniques):
            k, r = divmod(k, values.size)
            parts.append(str(values[r]))
        out[tuple(reversed(parts))] = idx
    return out


def _side(score: Any) -> CompareSide:
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
    overall: CompareRow
    rows: list[CompareRow]
    notes: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)  # incomplete_notes (also in notes)
    evaluation_warning: str | None = None  # the runs evaluated the paired items differently
    pair_warning: str | None = None  # the same run twice, or different models (pair_warning)

    def to_dict(self) -> ComparisonDict:
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
            "incomplete": self.incomplete,
            "evaluation_warning": self.evaluation_warning,
            "pair_warning": self.pair_warning,
        }


def _row(key: dict[str, str], res: Any, adj: Any | None) -> CompareRow:
    p_adj = adj.p_adj if adj is not None else math.nan
    significant = bool(adj.significant) if adj is not None else bool(res.p_value <= 0.05)
    # the pooled row (adj None) is tested on its own, not corrected: no "*", which means
    # significant after Benjamini-Hochberg (as every front end shows it)
    marker = _marker(significant, res.diff)
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
        "n_boot": res.n_boot,
        "discordant": None if res.b is None else {"base_only": res.b, "cand_only": res.c},
        "mdd": res.mdd,
        "marker": marker if adj is not None else marker.rstrip("*"),
        "warning": res.warning,
    }


class DiagnoseMixin:
    """compare / diagnose / report on top of the core mixin."""

    store: Store

    def _comparability(
        self, base_id: int, cand_id: int, filter_name: str | None = None
    ) -> list[str]:
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
                    "filter": filter_name or bt["primary_filter"],
                    "n_samples": n_per_item[base_id],
                    "temperature": bt["temperature"],
                },
                {
                    "filter": filter_name or ct["primary_filter"],
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
        filter_name: str | None = None,
    ) -> Comparison:
        """Pair two runs by item and test every slice of a grouping.

        Greedy 0/1 runs use the exact McNemar test; multi-sample runs a paired bootstrap over
        items (accuracy over samples, or pass@k with ``k``). Benjamini-Hochberg across every
        slice tested; slices under ``min_size`` items are reported but not tested. Both runs
        are read on each task's primary filter, or on ``filter_name`` when given.

        Raises:
            ValueError: unknown runs/grouping, no shared items, or runs that differ in filter,
                samples per item or temperature (unless ``allow_mismatch``).
        """
        groups = parse_by(by)
        b_run = self.store.get_run(base)
        c_run = self.store.get_run(cand)
        shared = (
            shared_filter(self.store, b_run["id"], c_run["id"], benchmark)
            if filter_name is None
            else None
        )
        cmp = self._compare_runs(
            base, cand, b_run, c_run, groups, benchmark, k, allow_mismatch, q, min_size,
            random_state, shared.name if shared is not None else filter_name,
        )  # fmt: skip
        if shared is not None:  # like with like: the filter both logged, named
            cmp.notes.insert(0, shared.note())
        cmp.incomplete = self.incomplete_notes(base, cand)  # type: ignore[attr-defined]
        cmp.notes[:0] = cmp.incomplete
        cmp.pair_warning = _pair_checks(self.store, base, cand, b_run, c_run, benchmark)[0]
        return cmp

    def _compare_runs(
        self, base: str, cand: str, b_run: dict[str, Any], c_run: dict[str, Any],
        groups: list[str], benchmark: str | None, k: int | None, allow_mismatch: bool, q: float,
        min_size: int, random_state: int, filter_name: str | None,
    ) -> Comparison:  # fmt: skip
        """:meth:`compare` of two runs already read (``Store.get_run`` rows)."""
        reasons = self._comparability(b_run["id"], c_run["id"], filter_name)
        notes: list[str] = []
        if reasons:  # what no override fixes is said first: no item to pair at all
            _share_items(self.store, base, cand, b_run, c_run, benchmark)
        if reasons and not allow_mismatch:
            raise ValueError(
                f"refusing to compare {base} with {cand}: "
                + " ".join(reasons)
                + " Pass --allow-mismatch to compare anyway."
            )
        notes += [f"compared despite: {r}" for r in reasons]
        if k is None or k == 1:
            fast = _greedy_comparison(
                self.store, b_run["id"], c_run["id"], groups, benchmark, filter_name, min_size
            )
            if fast is not None:
                overall_res, slice_keys, results, only_base, only_cand = fast
                if only_base or only_cand:
                    notes.append(
                        f"{only_base} items only in {base} and {only_cand} only in {cand} "
                        "were left out"
                    )
                return _warn_evaluation(
                    _comparison(
                        base, cand, benchmark, groups, k, q, overall_res, slice_keys, results,
                        notes,
                    ),
                    self, b_run["id"], c_run["id"], benchmark, filter_name, None,
                )  # fmt: skip
        al = align_runs(self.store, b_run["id"], c_run["id"], benchmark, filter_name)
        if al.only_base or al.only_cand:
            notes.append(
                f"{al.only_base} items only in {base} and {al.only_cand} only in {cand} were left out"
            )
        overall_res = paired_compare(
            al.base_n, al.base_c, al.cand_n, al.cand_c, k=k, random_state=random_state,
            min_size=min_size,
        )  # fmt: skip
        index = slice_index(al.labels, groups)
        slice_keys = sorted(index)
        results = []
        for key in slice_keys:
            idx = index[key]
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
        return _warn_evaluation(
            _comparison(
                base, cand, benchmark, groups, k, q, overall_res, slice_keys, results, notes
            ),
            self, b_run["id"], c_run["id"], benchmark, filter_name, al,
        )  # fmt: skip


def _share_items(
    store: Any, base: str, cand: str, b_run: Mapping[str, Any], c_run: Mapping[str, Any],
    benchmark: str | None,
) -> None:  # fmt: skip
    """Refuse two runs that share no scored item (on ``benchmark``'s tasks, when given),
    before any refusal that an override (``--allow-mismatch``, the app's ``w``) lifts:
    overriding would only end in this one (walk 14: qwen-math vs bbh-cot was refused over its
    samples per item first). From ``Store.runs_sharing_items`` (the stored item bitsets).

    Raises:
        ValueError: they share no item; the message names what each run holds.
    """
    if store.runs_sharing_items(b_run["id"], benchmark).get(c_run["id"]):
        return
    why = _nothing_to_pair(store, base, cand, b_run, c_run, benchmark)
    if why.endswith("share no samples to pair"):
        why = (
            f"{base} and {cand} share no evaluation item"
            + (f" in benchmark {benchmark!r}" if benchmark else "")
            + f" ({base}: {_benchmarks(store, b_run)}; {cand}: {_benchmarks(store, c_run)}); "
            "pairing needs the same items in both runs, whatever their settings"
        )
    raise ValueError(why)


def _benchmarks(store: Any, run: Mapping[str, Any]) -> str:
    """A run's benchmarks in words (``bbh``, ``math``), for a refusal."""
    names = sorted({t["benchmark"] for t in store.run_tasks(run["id"])})
    return "benchmark " + ", ".join(names) if names else "no benchmark"


def _nothing_to_pair(
    store: Any, base: str, cand: str, b_run: Mapping[str, Any], c_run: Mapping[str, Any],
    benchmark: str | None,
) -> str:  # fmt: skip
    """Why two runs give no samples to pair, naming what each run holds when ``benchmark``
    is missing from one of them (a run ingested without ``--benchmark`` is stored under the
    harness's task group name, e.g. ``bbh_cot_fewshot`` rather than ``bbh``)."""
    if benchmark is not None:
        held = {
            name: sorted({t["benchmark"] for t in store.run_tasks(run["id"])})
            for name, run in ((base, b_run), (cand, c_run))
        }
        lacking = [name for name, benches in held.items() if benchmark not in benches]
        if lacking:
            return (
                "; ".join(
                    f"{name} has no {benchmark!r} samples (its benchmarks: "
                    f"{', '.join(held[name]) or 'none'})"
                    for name in lacking
                )
                + " — name one both runs hold with --benchmark, or leave it out"
            )
    return f"{base} and {cand} share no samples to pair"


def pair_warning(
    base: str, cand: str, b_run: Mapping[str, Any], c_run: Mapping[str, Any]
) -> str | None:
    """What a reader of a comparison of ``cand`` against ``base`` must know about the pair
    itself, or None: the same run on both sides (every difference is zero by construction),
    or one checkpoint on both sides (:func:`workspace.pairs.same_checkpoint`: the same model
    name and no step or the same step), or runs of different models (names that differ beyond
    a step/checkpoint suffix,
    :func:`workspace.trend.model_family`, the check ``trend`` makes), unless one name extends
    the other after a separator (``demo-1b`` continued as ``demo-1b-eosmask``: one lineage).
    ``b_run``/``c_run``: ``Store.get_run`` rows (``id``, ``model``); a model not recorded on
    either side is not judged."""
    from .trend import one_lineage

    if b_run.get("id") == c_run.get("id") or base == cand:
        return f"the same run on both sides ({base}): every difference is zero by construction"
    bm, cm = b_run.get("model"), c_run.get("model")
    if not (bm and cm):
        return None
    checkpoint = same_checkpoint(base, cand, b_run, c_run)
    if checkpoint:
        return (
            f"{checkpoint}: one checkpoint evaluated twice, not two checkpoints; a difference "
            "between them comes from how they were evaluated or sampled, not from training "
            "data"
        )
    if one_lineage((bm, cm)):
        return None  # one model, or a run continued from the other under a longer name
    return (
        f"different models ({bm} vs {cm}): a data verdict needs them to differ only in"
        " training (data or recipe); a different size, fine-tuning, decoding or reranking"
        " changes the result too"
    )


SYSTEM_WORD = re.compile(
    r"[a-z0-9]*(?:verif|rerank|reward[-_]?model|best[-_]?of|majority[-_]?vot|self[-_]?consist)"
    r"[a-z]*",
    re.IGNORECASE,
)
"""A word in a run's or model's name that names an inference system around the model
(a verifier, a reranker, a reward model, best-of-n, majority voting, self-consistency): a
difference of how answers are chosen, not of what the model was trained on."""

MODEL_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?[bm])(?![a-z0-9])", re.IGNORECASE)
"""A model size in a run's or model's name (``175b``, ``6b``, ``1.5b``, ``350m``)."""


CHECKPOINT_WORD = re.compile(r"step|tok|ckpt|checkpoint|cpt|iter|seen", re.IGNORECASE)
"""A word in a run's name that says a size in it may count training progress (tokens seen)."""


def _sizes(name: str, model: Any, recorded: bool) -> set[str]:
    """The model sizes :func:`not_one_lineage` compares: those of the recorded model name;
    with no model recorded on either side, the run name's size when it holds exactly one
    and no :data:`CHECKPOINT_WORD` (``gsm/175b_finetuning``; not ``cpt-100b-tokens`` or
    ``llama-7b-100B``, where a size may count the tokens seen)."""
    if recorded:
        return {x.lower() for x in MODEL_SIZE.findall(str(model or ""))}
    found = MODEL_SIZE.findall(name)
    if len(found) != 1 or CHECKPOINT_WORD.search(name):
        return set()
    return {found[0].lower()}


def not_one_lineage(
    base: str, cand: str, b_run: Mapping[str, Any], c_run: Mapping[str, Any]
) -> str | None:
    """Why the pair's own records say ``base`` and ``cand`` are not two checkpoints of one
    training lineage, or None: recorded models of different families (the rule of
    :func:`pair_warning`, ``trend.one_lineage``), model sizes that differ (:func:`_sizes`:
    ``175b`` vs ``6b``; run names often count the tokens a checkpoint has seen, ``cpt-100b``
    -> ``cpt-200b``, and are read only when no model is recorded), or an inference-system word
    (:data:`SYSTEM_WORD`: verification, reranking...) in one side's run or model name and not
    in the other's (``gsm/175b_finetuning`` vs ``gsm/175b_verification``). The same run on
    both sides and names not recorded are not judged. A data verdict needs the pair to differ
    only in training (``verdict._lineage_step``)."""
    from .trend import one_lineage

    if b_run.get("id") == c_run.get("id") or base == cand:
        return None
    parts = []
    bm, cm = b_run.get("model"), c_run.get("model")
    if bm and cm and not one_lineage((bm, cm)):
        parts.append(f"different models ({bm} vs {cm})")

    def words(name: str, model: Any) -> set[str]:
        return {w.lower() for w in SYSTEM_WORD.findall(f"{name} {model or ''}")}

    sizes = [_sizes(n, m, recorded=bool(bm or cm)) for n, m in ((base, bm), (cand, cm))]
    if all(sizes) and sizes[0] != sizes[1] and not parts:  # said by the model names
        parts.append(f"different sizes ({', '.join(sorted(sizes[0]))} vs "
                     f"{', '.join(sorted(sizes[1]))})")  # fmt: skip
    bw, cw = words(base, bm), words(cand, cm)
    for who, mine, other, theirs in ((cand, cw, base, bw), (base, bw, cand, cw)):
        if mine - theirs:
            parts.append(
                f"{who} names an inference system ({', '.join(sorted(mine - theirs))}) that "
                f"{other} does not"
            )
    return "; ".join(parts) or None


class _EvaluatedAlike:
    """Whether another run evaluated one run's items as it did, known without aligning them
    (weakness mode's other evaluations, ``_other_evaluations``): both runs greedy (one
    sample per item, so the samples per item agree on every shared item), their task settings
    and filters equal on the tasks both hold, and their ``run_outcomes`` evaluation digests
    equal (``Store.evaluations_agree``: the same prompt hash and settings row per item). Then
    ``evaluation_check`` finds no change, as in :func:`_warn_evaluation`'s shortcut; any
    other case (a digest missing, sampled runs) says False and the full check decides. On
    a 100-run, 10M-sample store the full check of every other run took ~5 minutes."""

    def __init__(self, store: Store, run_id: int, filter_name: str | None) -> None:
        self.store, self.run_id, self.filter_name = store, run_id, filter_name
        self.greedy = store.max_samples_per_item(run_id) == 1
        self.tasks = self._tasks(run_id) if self.greedy else {}

    def _tasks(self, run_id: int) -> dict[str, Any]:
        from ..analysis.evaluation import evaluation_settings

        return {
            t["task"]: (evaluation_settings(None, t), self.filter_name or t["primary_filter"])
            for t in self.store.run_tasks(run_id)
        }

    def __call__(self, other_id: int) -> bool:
        if not self.greedy or self.store.max_samples_per_item(other_id) != 1:
            return False
        theirs = self._tasks(other_id)
        if any(self.tasks[t] != theirs[t] for t in self.tasks.keys() & theirs.keys()):
            return False
        return self.store.evaluations_agree(self.run_id, other_id, self.filter_name)


def evaluation_change(
    ws: Any, base_id: int, cand_id: int, benchmark: str | None, filter_name: str | None,
    al: Aligned | None = None,
) -> Any:  # fmt: skip
    """How two runs evaluated their shared items differently: ``diagnose``'s check
    (``evaluation_check``) as an :class:`~capslice_tui.analysis.evaluation.EvaluationCheck`,
    or None when nothing it compares can differ or no item is shared. Cheap first: when every
    shared item has the same prompt hash and settings row on both sides
    (``Store.evaluation_differs_count`` 0), the runs' task settings and filters are equal and
    (paired item by item) so are the samples per item, the full check is skipped (~0.3 s on
    the 10M pair instead of ~1.4 s). ``al``: the aligned items when paired item by item
    (their samples per item are then compared too), else the shared items of the two runs.
    Used by ``compare`` (its evaluation warning) and ``trend`` (step to step)."""
    from ..analysis.evaluation import evaluation_settings

    store = ws.store

    def tasks(run_id: int) -> dict[str, Any]:
        return {
            t["task"]: (evaluation_settings(None, t), filter_name or t["primary_filter"])
            for t in store.run_tasks(run_id)
        }

    b_tasks, c_tasks = tasks(base_id), tasks(cand_id)
    shared = b_tasks.keys() & c_tasks.keys()
    same_samples = al is None or bool(np.array_equal(al.base_n, al.cand_n))
    if (
        same_samples
        and all(b_tasks[t] == c_tasks[t] for t in shared)
        and (
            store.evaluations_agree(base_id, cand_id, filter_name)  # digests (0022)
            or not store.evaluation_differs_count(base_id, cand_id, filter_name)
        )
    ):
        return None
    if al is not None:
        ids: Any = al.item_ids.tolist()
        samples: tuple[np.ndarray, np.ndarray] | None = (al.base_n, al.cand_n)
    else:
        ids = np.intersect1d(
            np.asarray(store.evaluation_columns(base_id, benchmark)[1], dtype=np.int64),
            np.asarray(store.evaluation_columns(cand_id, benchmark)[1], dtype=np.int64),
        ).tolist()
        samples = None  # the greedy path: one sample per paired item on both sides
    if not ids:
        return None
    return ws.evaluation_check(base_id, cand_id, ids, benchmark, samples, filter_name=filter_name)


def _warn_evaluation(
    cmp: Comparison, ws: Any, base_id: int, cand_id: int, benchmark: str | None,
    filter_name: str | None, al: Aligned | None,
) -> Comparison:  # fmt: skip
    """``cmp`` with ``evaluation_warning`` (also the first note) when the two runs evaluated
    the paired items differently: the same check as ``diagnose`` (:func:`evaluation_change`,
    material differences only)."""
    check = evaluation_change(ws, base_id, cand_id, benchmark, filter_name, al)
    if check is None or not check.changed:
        return cmp
    warning = (
        f"evaluation differs: {check.summary()}; differences may come from the evaluation, "
        f"not the model (see capslice diagnose {cmp.base} {cmp.cand})"
    )
    cmp.evaluation_warning = warning
    cmp.notes.insert(0, warning)
    return cmp


def _comparison(
    base: str, cand: str, benchmark: str | None, groups: list[str], k: int | None, q: float,
    overall_res: Any, slice_keys: list[tuple[str, ...]], results: list[Any], notes: list[str],
) -> Comparison:  # fmt: skip
    """BH across the slices' results and the :class:`Comparison` of them."""
    adjusted = adjust(results, slice_keys, q=q)
    rows = [
        _row(dict(zip(groups, key, strict=False)), res, adj)
        for key, res, adj in zip(slice_keys, results, adjusted, strict=True)
    ]
    n_tested = adjusted[0].n_tested if adjusted else 0
    return Comparison(
        base=base, cand=cand, benchmark=benchmark, by=groups, k=k, q=q, n_tested=n_tested,
        overall=_row({"all": "all"}, overall_res, None), rows=rows, notes=notes,
    )  # fmt: skip


def _greedy_comparison(
    store: Store, base_id: int, cand_id: int, groups: list[str], benchmark: str | None,
    filter_name: str | None, min_size: int,
) -> tuple[Any, list[tuple[str, ...]], list[Any], int, int] | None:  # fmt: skip
    """``compare`` of two greedy runs from per-slice SQL counts (no per-item rows): the
    overall result, the sorted slice keys, one result per key, and the unpaired items of each
    run. None when the runs share no (task, item) or some paired item is not one 0/1 sample
    on both sides (the caller then pairs item by item)."""
    from ..analysis.compare import paired_greedy_counts

    rows, n_base, n_cand, not_greedy = store.paired_greedy_counts(
        base_id, cand_id, groups, benchmark=benchmark, filter_name=filter_name
    )
    if not rows or not_greedy:
        return None
    g = len(groups)
    cells: dict[tuple[str, ...], list[float]] = {}
    for r in rows:
        key = tuple(UNLABELLED if v is None else str(v) for v in r[:g])
        acc = cells.setdefault(key, [0, 0.0, 0.0, 0, 0])
        for i in range(5):
            acc[i] += r[g + i]
    total = [sum(cell[i] for cell in cells.values()) for i in range(5)]
    overall = paired_greedy_counts(
        int(total[0]), total[1], total[2], int(total[3]), int(total[4]), min_size
    )
    keys = sorted(cells)
    results = [
        paired_greedy_counts(int(n), bc, cc, int(b), int(c), min_size)
        for n, bc, cc, b, c in (cells[key] for key in keys)
    ]
    n = int(total[0])
    return overall, keys, results, n_base - n, n_cand - n


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
    incomplete: list[str] = field(default_factory=list)
    """``Workspace.incomplete_notes`` of its runs (also first among ``notes``)."""
    notes: list[str] = field(default_factory=list)
    direction: str | None = None  # change mode: "drop" | "gain" | "none"; weakness: None
    evaluation: dict[str, Any] | None = None  # EvaluationCheck.to_dict() of the two runs
    overall_p: float | None = None  # change mode: p of the overall paired test
    other_evaluations: list[dict[str, Any]] = field(default_factory=list)
    explained_slices: list[dict[str, Any]] = field(default_factory=list)  # nesting/overlap
    pair_warning: str | None = None  # change mode: the same run twice, or different models

    def decision(self) -> DiagnosisVerdict:
        """The verdict, reason and what a caller acts on, as a typed result."""
        labels = {getattr(s, "label", None) for s in self.verdict.slices}
        p = self.overall_p
        return DiagnosisVerdict(
            verdict=self.verdict.verdict, reason=self.verdict.reason,
            summary=self.verdict.summary, mode=self.mode, direction=self.direction,
            significant_drop=bool(
                self.direction == "drop" and p is not None and not math.isnan(p) and p < 0.05
            ),
            evaluation_changed=bool((self.evaluation or {}).get("changed")),
            slices=[s for s in self.slices if s.get("label") in labels],
        )  # fmt: skip

    def to_dict(self) -> DiagnosisDict:
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
            "failure_mode_shift": cast(list[ModeShift], self.failure_mode_shift),
            "axes": cast(dict[str, list[AxisRow]], self.axes),
            "spread": cast(Spread, self.spread),
            "slices": cast(list[DiagnosisSlice], self.slices),
            "slices_tested": self.n_tested,
            "direction": self.direction,
            "evaluation": cast("EvaluationCheckDict | None", self.evaluation),
            "other_evaluations": cast(list[OtherEvaluationDict], self.other_evaluations),
            "explained_slices": self.explained_slices,
            "incomplete": self.incomplete,
            "notes": self.notes,
            "pair_warning": self.pair_warning,
        }


@dataclass
class _EvaluationColumns:
    """What ``Store.evaluation_columns`` returns but the primary filter (the task's, from
    ``run_tasks``), taken from the outcome read: one entry per (task, item) of the run's
    primary filter (its sample 0), in (task, item_id) order, as arrays: the task as
    ``task_names[task_code]``, item ids, prompt and settings hashes (None: not logged)."""

    task_names: list[str]
    task_code: np.ndarray
    item: np.ndarray
    prompt: np.ndarray
    settings: np.ndarray


@dataclass
class _Outcomes:
    """One run's per-sample outcomes in (task, item, sample index) order, keyed for pairing.

    ``keys``: (task, item_id, sample_idx) per row, or None until :meth:`row_keys` builds
    them; ``evaluation``: the run's evaluation columns when they were read in the same pass
    (``_outcomes(..., evaluation=True)``), else None.
    """

    keys: list[tuple[Any, ...]] | None
    score: np.ndarray
    modes: np.ndarray
    signals: list[str | None]
    labels: dict[str, np.ndarray]
    item: np.ndarray
    task: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    sample_idx: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    evaluation: _EvaluationColumns | None = None

    def row_keys(self) -> list[tuple[Any, ...]]:
        """(task, item_id, sample_idx) per row, as the store returns them (built once)."""
        if self.keys is None:
            self.keys = list(zip(self.task.tolist(), self.item.tolist(),
                                 self.sample_idx.tolist(), strict=True))  # fmt: skip
        return self.keys


def _objects(values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Shape (n,) object array of ``values`` as they are (no nested arrays)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _labelled(values: Sequence[Any] | np.ndarray, default: str, empty: bool = False) -> np.ndarray:
    """``values`` as an object array with None (and "" when ``empty``) replaced by
    ``default``; each distinct value looked at once (``analysis.inputs.factorize``)."""
    from ..analysis.inputs import factorize

    coded = factorize(values.tolist() if isinstance(values, np.ndarray) else list(values))
    if coded is None:
        out = _objects(values)
        missing = np.equal(out, None)  # type: ignore[call-overload]
        if empty:
            missing |= np.equal(out, "")
        out[missing] = default
        return out
    distinct, codes = coded
    mapped = _objects([default if v is None or (empty and v == "") else v for v in distinct])
    return mapped[codes]


def _task_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Task per row as an object array ("" for None) and its index among the distinct task
    names in code point order (as SQLite's BINARY collation sorts them), shape (n,) each."""
    from ..analysis.inputs import factorize

    coded = factorize(values.tolist())
    if coded is None:  # not text: value by value
        task = _labelled(values, "")
        names = task.tolist()
        rank = {t: i for i, t in enumerate(sorted(set(names)))}
        return task, np.array([rank[t] for t in names], dtype=np.int64)
    distinct, codes = coded
    names = ["" if t is None else t for t in distinct]
    rank = {t: i for i, t in enumerate(sorted(set(names)))}
    return _objects(names)[codes], np.array([rank[t] for t in names], dtype=np.int64)[codes]


def _named_tasks(names: Mapping[int, str], rowids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_task_codes` of rows whose task is given as its ``run_tasks`` rowid (``names``:
    rowid -> task, ``Store.task_rowids``): the task per row and its index among the distinct
    tasks of the rows in code point order, shape (n,) each."""
    present, inverse = np.unique(rowids.astype(np.int64), return_inverse=True)
    tasks = [names[int(r)] for r in present.tolist()]
    rank = {t: i for i, t in enumerate(sorted(set(tasks)))}
    codes = np.array([rank[t] for t in tasks], dtype=np.int64)
    inverse = inverse.ravel()
    return _objects(tasks)[inverse], codes[inverse]


def _named_modes(values: np.ndarray, modes: Sequence[str]) -> np.ndarray:
    """The failure mode per row from ``outcome_rows(..., coded_modes=modes)``: an index into
    ``modes``, or the stored value, None and '' read as ``wrong_answer`` (as
    :func:`_labelled` reads the stored names); ``modes`` empty: every value is a name."""
    if not modes:
        return _labelled(values, "wrong_answer", empty=True)
    values_ = values.tolist()
    if all(type(v) is int for v in values_):
        return _objects(list(modes))[np.array(values_, dtype=np.int64)]
    named = [modes[v] if type(v) is int else v for v in values_]
    return _labelled(named, "wrong_answer", empty=True)


def _key_order(task: np.ndarray, item: np.ndarray, sample_idx: np.ndarray) -> np.ndarray | None:
    """The permutation that sorts rows by (task code, item, sample index) as SQLite's
    ``ORDER BY`` does (``task``: codes from :func:`_task_codes`), or None when a key repeats:
    with every key distinct the sorted order is the only one, whatever SQLite does with
    ties."""
    order = np.lexsort((sample_idx, item, task))
    t, i, s = task[order], item[order], sample_idx[order]
    dt, di, ds = np.diff(t), np.diff(i), np.diff(s)
    if not np.all((dt > 0) | ((dt == 0) & ((di > 0) | ((di == 0) & (ds > 0))))):
        return None
    return order


def _table(rows: Sequence[Any], width: int) -> np.ndarray:
    """Rows of ``width`` columns as an (n, width) object array (columns are views)."""
    out = np.empty((len(rows), width), dtype=object)
    if len(rows):
        out[:] = rows
    return out


def _axis_rows(
    store: Store, run_id: int, benchmark: str | None, filter_name: str | None, item: np.ndarray,
    *, as_json: bool = False,
) -> list[Any]:  # fmt: skip
    """The ``item_axes`` rows of the run's items (sorted by item id): one range read when the
    items' ids are dense (the range holds at most twice as many ids as the run has items),
    else the rows of the run's items alone; rows of other items in the range are unused.
    ``as_json``: the columns as JSON arrays (``Store.item_axis_rows``)."""
    if not item.size:
        return []
    lo, hi = int(item.min()), int(item.max())
    distinct = int(np.count_nonzero(np.diff(np.sort(item)))) + 1
    if hi - lo + 1 <= 2 * distinct:
        return store.item_axis_rows(lo, hi, as_json=as_json)
    return store.outcome_item_axes(run_id, benchmark, filter_name, as_json=as_json)


def _run_labels(
    store: Store, run_id: int, benchmark: str | None, filter_name: str | None, item: np.ndarray
) -> dict[str, np.ndarray]:
    """Per row of ``item``: each axis's label, :data:`UNLABELLED` where the item has none (no
    ``item_axes`` row or NULL). Read as JSON arrays, each label text coded once per distinct
    value; labels that are not all text (or that JSON cannot hold) are read as columns."""
    import sqlite3

    import orjson

    from ..analysis.inputs import factorize

    try:
        rows = _axis_rows(store, run_id, benchmark, filter_name, item, as_json=True)
    except sqlite3.Error:
        rows = []
    cols = [orjson.loads(text) for text in rows[0]] if rows else []
    coded = [factorize(c) for c in cols[1:]]
    if not cols or any(c is None for c in coded) or any(type(i) is not int for i in cols[0]):
        return _sample_labels(_axis_rows(store, run_id, benchmark, filter_name, item), item)
    ids = np.array(cols[0], dtype=np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    at = np.minimum(np.searchsorted(ids, item), max(ids.size - 1, 0))
    found = ids[at] == item if ids.size else np.zeros(item.size, dtype=bool)
    where = np.where(found, at, ids.size)  # ids.size: the slot of an item without labels
    out = {}
    for axis, c in zip(AXES, coded, strict=True):
        assert c is not None
        distinct, codes = c
        per_item = _objects([UNLABELLED if v is None else v for v in distinct] + [UNLABELLED])
        out[axis] = per_item[np.append(codes[order], len(distinct))[where]]
    return out


def _sample_labels(axis_rows: Sequence[Any], item: np.ndarray) -> dict[str, np.ndarray]:
    """Per row of ``item``: each axis's label from ``item_axes`` rows of the four columns
    (sorted by item id), :data:`UNLABELLED` where the item has none (no row or NULL)."""
    ids = np.array([r[0] for r in axis_rows], dtype=np.int64)
    cols = list(zip(*axis_rows, strict=True)) if axis_rows else [()] * (1 + len(AXES))
    at = np.minimum(np.searchsorted(ids, item), max(ids.size - 1, 0))
    found = ids[at] == item if ids.size else np.zeros(item.size, dtype=bool)
    where = np.where(found, at, ids.size)  # ids.size: the slot of an item without labels
    out = {}
    for j, axis in enumerate(AXES):
        per_item = _labelled([*cols[1 + j], None], UNLABELLED)
        out[axis] = per_item[where]
    return out


def _outcomes(
    store: Store, run_id: int, benchmark: str | None, filter_name: str | None = None,
    *, evaluation: bool = False, labels: bool = True, prompts: bool = True,
) -> _Outcomes:  # fmt: skip
    """One run's scored samples (``Store.outcome_rows``) with their items' labels, read once.

    ``evaluation=True`` (only with ``filter_name`` None): the same read also gives the run's
    evaluation columns (``_Outcomes.evaluation``), unless a (task, item, sample index) key
    repeats in the run, where the separate reads of before decide (``evaluation`` None).
    ``labels=False``: the items' labels are not read (``labels`` empty). ``prompts=False``:
    the evaluation columns hold ``SAME_PROMPT`` for each stored prompt hash
    (``Store.outcome_rows``; for two runs whose evaluation digests agree)."""
    # columns (item_id, task, sample_idx, score, failure_mode, failure_signals
    # [, prompt_hash, settings_hash]) of one object table, sorted here
    from ..analysis.failure_modes import MODES

    width = 8 if evaluation else 6
    # tasks as run_tasks rowids and failure modes as indices into MODES (small ints, not
    # 100k strings a run), named here
    table = _table(
        store.outcome_rows(
            run_id, benchmark, filter_name, evaluation=evaluation, ordered=False,
            prompts=prompts, coded_modes=MODES,
        ),
        width,
    )  # fmt: skip
    coded = True
    item = table[:, 0].astype(np.int64)
    task, task_code = _named_tasks(store.task_rowids(run_id), table[:, 1])
    sample_idx = table[:, 2].astype(np.int64)
    order = _key_order(task_code, item, sample_idx)
    if order is None:  # a key repeats: SQLite's order of the ties decides, as before
        if evaluation:
            return _outcomes(store, run_id, benchmark, filter_name, labels=labels)
        table = _table(store.outcome_rows(run_id, benchmark, filter_name), width)
        coded = False
        item = table[:, 0].astype(np.int64)
        task = _labelled(table[:, 1], "")
        sample_idx = table[:, 2].astype(np.int64)
    elif np.any(order != np.arange(order.size)):
        table, item, task, sample_idx = table[order], item[order], task[order], sample_idx[order]
        task_code = task_code[order]
    ev = None
    if evaluation:
        first = sample_idx == 0
        names = sorted(set(task.tolist()))  # as the codes number them
        ev = _EvaluationColumns(
            names, task_code[first], item[first], table[first, 6], table[first, 7]
        )  # fmt: skip
        scored = np.array([v is not None for v in table[:, 3].tolist()], dtype=bool)
        if not scored.all():
            table, item, task, sample_idx = (
                table[scored],
                item[scored],
                task[scored],
                sample_idx[scored],
            )
    return _Outcomes(
        keys=None,
        score=table[:, 3].astype(float),
        modes=_named_modes(table[:, 4], MODES if coded else ()),
        signals=table[:, 5].tolist(),
        labels=_run_labels(store, run_id, benchmark, filter_name, item) if labels else {},
        item=item,
        task=task,
        sample_idx=sample_idx,
        evaluation=ev,
    )


def _signal_counts(signals: Sequence[str | None]) -> dict[str, int]:
    from ..analysis.failure_modes import SIGNALS

    counts = dict.fromkeys(SIGNALS, 0)
    counts["n"] = len(signals)
    # each distinct signal string once, weighted by how many samples carry it
    for s, k in _distinct_counts(signals):
        for flag in (s or "").split(","):
            if flag:
                counts[flag] = counts.get(flag, 0) + k
    return counts


def _cap_modes(signals: Sequence[str | None], modes: np.ndarray) -> dict[str, int]:
    """Failure mode -> samples whose signals include ``cap`` (hit the generation cap)."""
    out: dict[str, int] = {}
    sig = np.asarray(signals, dtype=object)
    cap = [s for s, _ in _distinct_counts(signals) if "cap" in (s or "").split(",")]
    if not cap:
        return out
    hit = np.isin(sig, np.array(cap, dtype=object))
    for m, k in _distinct_counts(modes[hit].tolist()):
        out[str(m)] = out.get(str(m), 0) + k
    return out


def _distinct_counts(values: Sequence[Any]) -> list[tuple[Any, int]]:
    """Distinct values with their counts, in order of first appearance (None kept)."""
    from collections import Counter

    return list(Counter(values).items())


def _mode_counts(modes: np.ndarray) -> dict[str, int]:
    from ..analysis.failure_modes import MODES
    from ..analysis.inputs import unique_labels

    values, counts = unique_labels(modes, return_counts=True)
    found = dict(zip(values.tolist(), counts.tolist(), strict=False))
    return {m: int(found.get(m, 0)) for m in MODES}


def _per_item(
    item: np.ndarray, score: np.ndarray, modes: np.ndarray, labels: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Collapse sample rows to item rows: n, c, dominant failing mode, labels."""
    uniq, first, inv = np.unique(item, return_index=True, return_inverse=True)
    n = np.bincount(inv).astype(float)
    c = np.bincount(inv, weights=score)
    # dominant mode in one pass: an item of one sample takes its mode; an item of several
    # the most frequent mode of its failing samples (ties: first by name), else "correct"
    from ..analysis.inputs import unique_labels

    names, code = unique_labels(modes, return_inverse=True)
    dom = np.full(uniq.size, "correct", dtype=object)
    single = n[inv] == 1
    dom[inv[single]] = names[code[single]]
    failing = ~single & (score < 1)
    if failing.any():
        tally = np.bincount(
            inv[failing] * names.size + code[failing], minlength=uniq.size * names.size
        ).reshape(uniq.size, names.size)
        has = tally.sum(axis=1) > 0
        dom[has] = names[np.argmax(tally[has], axis=1)]
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
    mask: np.ndarray, item_n: np.ndarray, item_c: np.ndarray, item_labels: dict[str, np.ndarray],
    ref: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """task_type x solving_operation cells inside a slice, weakest first (score, counts).

    ``ref``: a reference run's (samples, score sum) per item, aligned with ``item_n``; each
    cell then also has ``reference_score`` (the reference's mean per-item accuracy on the
    cell's items) and ``deficit`` (score - reference_score, proportion; negative: below the
    reference), and cells come largest deficit first (walk 14: against math-targeted, the
    weakest cell by score was one where the reference scores 0.7% too)."""
    cells: dict[tuple[str, str], list[int]] = {}
    for i in np.flatnonzero(mask):
        key = (str(item_labels["task_type"][i]), str(item_labels["solving_operation"][i]))
        cells.setdefault(key, []).append(int(i))
    out = []
    for (tt, op), idx in cells.items():
        n, c = item_n[idx], item_c[idx]
        cell: dict[str, Any] = {
            "task_type": tt,
            "solving_operation": op,
            "n_items": len(idx),
            "score": float(np.mean(c / n)),
            "correct": float(c.sum()),
            "n_samples": int(n.sum()),
        }
        if ref is not None:
            cell["reference_score"] = float(np.mean(ref[1][idx] / ref[0][idx]))
            cell["deficit"] = cell["score"] - cell["reference_score"]
        out.append(cell)
    if ref is not None:
        return sorted(out, key=lambda r: (r["deficit"], r["score"], -r["n_items"]))
    return sorted(out, key=lambda r: (r["score"], -r["n_items"]))


def _run_cells(
    slices: list[dict[str, Any]], item_n: np.ndarray, item_c: np.ndarray,
    item_labels: dict[str, np.ndarray], ref: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """task_type x solving_operation cells over the whole run (all their items), restricted
    to the cells that occur inside some significant slice; weakest first, or, against a
    reference (``ref``, as for :func:`_combinations`), largest deficit first."""
    inside = {(c["task_type"], c["solving_operation"]) for r in slices for c in r["combinations"]}
    cells = _combinations(np.ones(item_n.size, dtype=bool), item_n, item_c, item_labels, ref)
    return [c for c in cells if (c["task_type"], c["solving_operation"]) in inside]


@dataclass(frozen=True)
class DiagnosisVerdict:
    """The decision of a diagnosis, for callers that act on it (``plan``, CI gates).

    Attributes:
        verdict: ``data``, ``not_data`` or ``inconclusive``.
        reason: the reason token (``evaluation_changed``, ``broad_capability``...; see
            ``analysis.verdict``).
        summary: the plain-language summary.
        mode: ``change`` (two runs) or ``weakness`` (one run).
        direction: change mode: ``drop``, ``gain`` or ``none``; weakness mode: None.
        significant_drop: change mode: the overall paired test is significant (p < 0.05) and
            the candidate is below the base.
        evaluation_changed: the two runs' evaluations differ (whether or not
            ``same_evaluation`` was given).
        slices: the slice rows the verdict rests on (``Diagnosis.slices`` entries whose label
            is in the verdict's slices).
    """

    verdict: str
    reason: str
    summary: str
    mode: str
    direction: str | None
    significant_drop: bool
    evaluation_changed: bool
    slices: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> DiagnosisVerdictDict:
        """JSON-ready dict, one key per attribute."""
        return {
            "verdict": self.verdict, "reason": self.reason, "summary": self.summary,
            "mode": self.mode, "direction": self.direction,
            "significant_drop": self.significant_drop,
            "evaluation_changed": self.evaluation_changed,
            "slices": cast(list[DiagnosisSlice], list(self.slices)),
        }  # fmt: skip


def _paired_rows(
    search: Any,
    item_labels: dict[str, np.ndarray],
    item_n: np.ndarray,
    item_c: np.ndarray,
    k: int | None,
    seed: int,
    directions: Sequence[int] = (-1, 1),
    ref: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    """Rows of the significant paired slices (``slice_search.PairedSliceSearch``) that overlap
    does not explain away, moving in ``directions`` (-1 drop, +1 gain), most significant
    first; for JSON, the report and the plan: ``deficit`` is the candidate's change
    (cand − base, negative = the candidate is weaker), ``score`` the candidate's score.
    ``ref``: in weakness mode, the reference's (samples, score sum) per item: each row's
    ``combinations`` carry the reference's score on the cell, largest deficit first
    (:func:`_combinations`)."""
    rows = []
    kept = {s.label for d in directions for s in search.kept(d)}
    for s in [s for s in search.significant if s.label in kept]:
        mask = search.masks[s.label]
        r = s.result
        moved = sum(s.mode_counts.values())
        dominant = max(s.mode_counts, key=s.mode_counts.get) if s.mode_counts else None
        row = {
            "slice": dict(s.predicates),
            "label": s.label,
            "aliases": list(s.aliases),
            "n_items": int(r.n_items),
            "score": r.cand.score,
            "ci_low": r.cand.lo,
            "ci_high": r.cand.hi,
            "correct": float(r.cand.correct),
            "n_samples": int(r.cand.n_samples),
            "base_score": r.base.score,
            "diff": r.diff,
            "diff_low": r.diff_lo,
            "diff_high": r.diff_hi,
            "deficit": r.diff,
            "test": r.test,
            "n_boot": r.n_boot,
            "discordant": None if r.b is None else {"base_only": r.b, "cand_only": r.c},
            "p_value": s.p_value,
            "p_adjusted": s.p_adj,
            "significant": True,
            "wrong_answer_share": s.mode_counts.get("wrong_answer", 0) / (moved or 1),
            "dominant_failure_mode": dominant,
            "mode_counts": s.mode_counts,
            "regressed_items": int(r.b) if r.b is not None else None,
        }
        if k:
            pk = slice_score_k(item_n[mask], item_c[mask], k, seed)
            row[f"pass@{k}"] = pk
        row["combinations"] = _combinations(mask, item_n, item_c, item_labels, ref)
        rows.append(row)
    return rows


def _explained(search: Any) -> list[dict[str, Any]]:
    """Significant slices that overlap or nesting explains, with why (JSON-ready)."""
    return [s.to_dict() for s in search.significant if s.note is not None]


def slice_score_k(n: np.ndarray, c: np.ndarray, k: int, seed: int) -> dict[str, float]:
    """pass@k of a slice with its bootstrap interval (``metrics.slice_score``)."""
    from ..analysis.metrics import slice_score

    pk = slice_score(n, c, k, random_state=seed)
    return {"score": pk.score, "ci_low": pk.lo, "ci_high": pk.hi}


@dataclass
class _RunEvaluations:
    """What defines each item's evaluation in one run: sorted item ids, per item the index of
    its settings dict (task, filter, task and stored settings) and its prompt hash (None: not
    logged), and whether no sample recorded settings."""

    ids: np.ndarray
    code: np.ndarray
    dicts: list[dict[str, Any]]
    prompts: np.ndarray
    none_recorded: bool

    def lookup(self, items: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """Settings index (-1: item not in the run) and prompt hash of each of ``items``."""
        if self.ids.size == 0:
            return np.full(items.size, -1), [None] * items.size
        at = np.minimum(np.searchsorted(self.ids, items), self.ids.size - 1)
        found = self.ids[at] == items
        code = np.where(found, self.code[at], -1)
        prompts = self.prompts[at].copy()
        prompts[~found] = None
        return code, prompts.tolist()


def _codes(values: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """Distinct values in order of first appearance and each value's index among them (one
    dict pass; any hashable values, compared as a dict compares them)."""
    index: dict[Any, int] = {}
    get = index.setdefault
    codes = np.array([get(v, len(index)) for v in values], dtype=np.int64)
    return list(index), codes


def _evaluation_pairs(
    b_ev: _RunEvaluations, c_ev: _RunEvaluations, ids: np.ndarray,
    samples: tuple[np.ndarray, np.ndarray] | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:  # fmt: skip
    """The evaluation of each shared item on both sides, items alike collapsed: (base dicts,
    candidate dicts, weights) for ``compare_evaluations``.

    Items alike: the same settings group on each side, the same samples per item, and the
    same prompt state (logged on neither, one or both sides, equal where both); they are one
    pair weighted by their count, placed where the first of them is and holding its prompt.
    An item whose prompt is logged on both sides and differs is its own pair. In item order:
    the same list as comparing item by item and merging alike items into the first one.
    """
    b_code, b_prompt = b_ev.lookup(ids)
    c_code, c_prompt = c_ev.lookup(ids)
    spi = samples if samples is not None else (np.zeros(ids.size), np.zeros(ids.size))
    bs = np.asarray(spi[0], dtype=float).astype(np.int64)
    cs = np.asarray(spi[1], dtype=float).astype(np.int64)
    b_none = np.array([p is None for p in b_prompt], dtype=bool)
    c_none = np.array([p is None for p in c_prompt], dtype=bool)
    differs = ~b_none & ~c_none
    if differs.any():  # one comparison per item holding a prompt on both sides
        both = np.flatnonzero(differs)
        differs[both] = _objects(b_prompt)[both] != _objects(c_prompt)[both]
    # state: 0-3 for (base prompt missing, candidate prompt missing); differs: never merged
    state = b_none.astype(np.int64) * 2 + c_none
    alike = np.flatnonzero(~differs)
    starts = np.flatnonzero(differs)
    weights_at = np.ones(ids.size, dtype=np.int64)
    if alike.size:
        key = _row_keys([b_code[alike] + 1, c_code[alike] + 1, bs[alike], cs[alike], state[alike]])
        _, first, counts = np.unique(
            key, axis=0 if key.ndim == 2 else None, return_index=True, return_counts=True
        )
        weights_at[alike[first]] = counts
        starts = np.sort(np.concatenate([starts, alike[first]]))
    b_list, c_list, weights = [], [], []
    for j in starts.tolist():
        bg, cg, bpj, cpj = int(b_code[j]), int(c_code[j]), b_prompt[j], c_prompt[j]
        b = dict(b_ev.dicts[bg]) if bg >= 0 else {}
        c = dict(c_ev.dicts[cg]) if cg >= 0 else {}
        if bg >= 0 and bpj is not None:
            b["prompt"] = bpj
        if cg >= 0 and cpj is not None:
            c["prompt"] = cpj
        if samples is not None:
            b["samples per item"] = int(bs[j])
            c["samples per item"] = int(cs[j])
        b_list.append(b)
        c_list.append(c)
        weights.append(int(weights_at[j]))
    return b_list, c_list, weights


def _row_keys(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One key per row such that rows are equal exactly when their keys are: a mixed-radix
    int64 of the non-negative integer columns, shape (n,), when it fits, else the columns
    stacked, shape (n, len(columns)) (for ``np.unique(..., axis=0)`` either way)."""
    spans = [int(c.max(initial=0)) + 1 for c in columns]
    if min((int(c.min(initial=0)) for c in columns), default=0) < 0 or math.prod(spans) >= 2**62:
        return np.stack(columns, axis=1)
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, span in zip(columns, spans, strict=True):
        key = key * span + column.astype(np.int64)
    return key


class DiagnoseRunsMixin(DiagnoseMixin):
    """diagnose and report (change and weakness modes)."""

    def _item_evaluations(
        self, run_id: int, benchmark: str | None, filter_name: str | None = None,
        columns: _EvaluationColumns | None = None,
    ) -> _RunEvaluations:  # fmt: skip
        """Per item of a run (primary filter, first sample): what defines its evaluation —
        the stored settings over the task's settings, the filter and the task (one dict per
        distinct (task, settings hash, filter), numbered in order of first appearance), and
        the prompt hash per item. ``columns``: ``Store.evaluation_columns`` of the run when
        already read (``_outcomes(..., evaluation=True)``)."""
        from ..analysis.evaluation import evaluation_settings

        primary: list[Any] | None = None  # None: each task's own
        item: Sequence[Any] | np.ndarray
        prompt: Sequence[Any] | np.ndarray
        if columns is None:
            task, item, prompt, settings, primary = self.store.evaluation_columns(run_id, benchmark)
            t_names, t_code = _codes(task)
            s_names, s_code = _codes(settings)
        else:
            t_names, t_code, item = columns.task_names, columns.task_code, columns.item
            prompt = columns.prompt
            s_names, s_code = _codes(columns.settings.tolist())
        tasks = {t["task"]: t for t in self.store.run_tasks(run_id)}
        stored = self.store.evaluation_settings(sorted({h for h in s_names if h}))
        per_task = {t: evaluation_settings(None, row) for t, row in tasks.items()}
        ids, first = np.unique(np.asarray(item, dtype=np.int64), return_index=True)
        # (task, settings hash, filter) of each item's first row -> group, numbered in order
        # of first appearance; the three as codes of their distinct values
        if filter_name:
            f_names, f_code = [filter_name], np.zeros(len(t_code), dtype=np.int64)
        elif primary is None:
            f_names, f_of_task = _codes([tasks[t]["primary_filter"] for t in t_names])
            f_code = f_of_task[t_code]
        else:
            f_names, f_code = _codes(primary)
        key = _row_keys([t_code[first], s_code[first], f_code[first]])
        _, seen, inverse = np.unique(
            key, axis=0 if key.ndim == 2 else None, return_index=True, return_inverse=True
        )
        by_appearance = np.argsort(seen, kind="stable")
        number = np.empty(by_appearance.size, dtype=np.int64)
        number[by_appearance] = np.arange(by_appearance.size)
        code = number[inverse.ravel()]
        dicts: list[dict[str, Any]] = []
        for g in by_appearance.tolist():
            row = int(first[seen[g]])
            t, h, f = t_names[t_code[row]], s_names[s_code[row]], f_names[f_code[row]]
            d = dict(per_task.get(t) or {})
            if h in stored:
                d.update(stored[h])
            d["task"], d["filter"] = t, f
            dicts.append(d)
        recorded = any(h in stored for h in {s_names[i] for i in set(s_code[first].tolist())})
        per_row = prompt if isinstance(prompt, np.ndarray) else _objects(prompt)
        prompts = _objects([p or None for p in per_row[first].tolist()])
        return _RunEvaluations(ids, code, dicts, prompts, not recorded and len(t_code) > 0)

    def evaluation_check(
        self,
        base_id: int,
        cand_id: int,
        item_ids: Sequence[Any],
        benchmark: str | None,
        samples: tuple[np.ndarray, np.ndarray] | None = None,
        filter_name: str | None = None,
        columns: tuple[_EvaluationColumns | None, _EvaluationColumns | None] = (None, None),
    ) -> Any:
        """How two runs' evaluations of the given shared items differ
        (:class:`analysis.evaluation.EvaluationCheck`). ``samples``: samples per item of each
        run, aligned with ``item_ids`` (compared as ``samples per item``). Items whose
        settings and prompt comparison are alike are compared once, weighted by their count
        (``compare_evaluations(..., weights)``): the same check as item by item.
        ``columns``: each run's evaluation columns when already read (else read here)."""
        from dataclasses import replace

        from ..analysis.evaluation import compare_evaluations

        b_ev = self._item_evaluations(base_id, benchmark, filter_name, columns[0])
        c_ev = self._item_evaluations(cand_id, benchmark, filter_name, columns[1])
        b, c, weights = _evaluation_pairs(b_ev, c_ev, np.asarray(item_ids, dtype=np.int64),
                                          samples)  # fmt: skip
        check = compare_evaluations(b, c, weights)
        missing = [who for who, ev in (("base", b_ev), ("candidate", c_ev)) if ev.none_recorded]
        return replace(check, not_recorded=missing)

    def diagnose_verdict(
        self,
        base: str,
        cand: str | None = None,
        *,
        benchmark: str | None = None,
        reference: str | None = None,
        same_evaluation: bool = False,
        same_lineage: bool = False,
        q: float = 0.05,
        min_size: int = 10,
        random_state: int = 0,
    ) -> DiagnosisVerdict:
        """The verdict and reason of :meth:`diagnose` as a typed result (what ``plan`` and CI
        gates act on). Arguments and errors as :meth:`diagnose`."""
        d = self.diagnose(
            base, cand, benchmark=benchmark, reference=reference, same_evaluation=same_evaluation,
            same_lineage=same_lineage, q=q, min_size=min_size, random_state=random_state,
        )  # fmt: skip
        return d.decision()

    def diagnose(
        self,
        base: str,
        cand: str | None = None,
        *,
        benchmark: str | None = None,
        reference: str | None = None,
        allow_mismatch: bool = False,
        same_evaluation: bool = False,
        same_lineage: bool = False,
        q: float = 0.05,
        min_size: int = 10,
        random_state: int = 0,
        filter_name: str | None = None,
    ) -> Diagnosis:
        """Verdict (``data`` / ``not_data`` / ``inconclusive``) with checkable evidence.

        Change mode (``cand`` given): pair samples by (item, sample index); compare how the two
        runs evaluated the shared items (prompt hash, few-shot, prompting, decoding, filter,
        scorer: ``evaluation_check``) — a material difference gives ``not_data``
        (``evaluation_changed``) unless ``same_evaluation``; decompose the change by failure
        mode and by each axis (``decompose_change``); test every distinct axis conjunction up
        to 4 with the paired test of ``compare`` and Benjamini–Hochberg across all of them
        (``paired_slices``); run per-task paired tests (``compare`` by task, or task_type with
        one task) so a broad change can say where the candidate loses most and where it wins;
        decide with ``verdict_for_change``. Weakness mode (``cand`` None): deficits of each
        slice against the run's own average (``significant_slices``) or, with ``reference``,
        the paired test per slice against the reference run (``paired_slices``); other runs
        holding the same items evaluated differently are noted (``verdict_for_weakness``).

        Args:
            allow_mismatch: kept for scripts; the same as ``same_evaluation``.
            same_evaluation: read the change as content although the evaluations differ (the
                verdict says it assumed so).
            same_lineage: read the two runs (or the run and its reference) as checkpoints of
                one training lineage although their records say otherwise
                (:func:`not_one_lineage`: different models, a verifier or reranker named on one
                side); without it such a pair gets no ``data`` verdict
                (``not_a_checkpoint_pair``). The verdict says it assumed so.
            filter_name: read every run on this answer filter instead of each task's primary
                one.

        Raises:
            ValueError: unknown runs or no shared items.
        """
        same_evaluation = same_evaluation or allow_mismatch
        b_run = self.store.get_run(base)
        # said first: a verdict on a run whose ingest did not finish covers what is stored
        incomplete = self.incomplete_notes(base, cand, reference)  # type: ignore[attr-defined]
        if cand is None:
            diag = self._weakness(
                b_run, benchmark, reference, q, min_size, random_state, filter_name,
                same_evaluation=same_evaluation, same_lineage=same_lineage,
            )  # fmt: skip
            diag.notes[:0] = diag.incomplete = incomplete
            return diag
        # the per-task paired tests are counted in SQLite (a few rows back): in a thread of
        # their own (its own connection), beside the reads and the numpy work below
        from concurrent.futures import ThreadPoolExecutor

        c_run = self.store.get_run(cand)
        # primary filters that differ while both runs logged another: read both on that one
        shared = (
            shared_filter(self.store, b_run["id"], c_run["id"], benchmark)
            if filter_name is None
            else None
        )
        filter_name = shared.name if shared is not None else filter_name
        pool = ThreadPoolExecutor(max_workers=1)
        try:
            tests = pool.submit(
                self._slice_tests, base, cand, benchmark, q, min_size, random_state, filter_name
            )
            # why the taxonomy labels nothing, said where the slice search would be empty
            notes: list[str] = self.taxonomy_notes(base, cand)  # type: ignore[attr-defined]
            if shared is not None:
                notes.insert(0, shared.note())
            notes[:0] = incomplete
            diag = _diagnose_change(
                self, base, cand, b_run, c_run, benchmark, (same_evaluation, same_lineage), q,
                min_size, random_state, filter_name, notes, tests,
            )  # fmt: skip
            diag.incomplete = incomplete
            return diag
        finally:
            pool.shutdown(wait=False)

    def _slice_tests(
        self, base: str, cand: str, benchmark: str | None, q: float, min_size: int, seed: int,
        filter_name: str | None = None,
    ) -> list[CompareRow]:  # fmt: skip
        """Per-task paired tests of ``cand`` against ``base`` (``compare`` rows, BH at ``q``);
        by task_type when the runs have fewer than two tasks in common. Evaluation differences
        are judged by the caller, so mismatches are allowed here."""
        rows: list[CompareRow] = []
        for by in ("task", "task_type"):
            rows = self.compare(
                base, cand, benchmark=benchmark, by=by, allow_mismatch=True, q=q,
                min_size=min_size, random_state=seed, filter_name=filter_name,
            ).rows  # fmt: skip
            if len(rows) >= 2:
                break
        return rows

    def report(
        self,
        base: str,
        cand: str,
        *,
        benchmark: str | None = None,
        allow_mismatch: bool = False,
        same_evaluation: bool = False,
        fail_on: str | None = None,
        same_lineage: bool = False,
    ) -> str:
        """The Markdown review report of ``cand`` against ``base`` (see ``capslice_tui.report``).

        The report states the CI gate of ``capslice diagnose --fail-on``: for ``fail_on``
        (``regression``, ``not_data`` or ``data``) whether it holds and its exit code, or, when
        not given, the same for each of the three conditions.
        """
        from ..report import FAIL_ON_CODES, gate_status, report_markdown

        diag = self.diagnose(
            base, cand, benchmark=benchmark, allow_mismatch=allow_mismatch,
            same_evaluation=same_evaluation, same_lineage=same_lineage,
        )  # fmt: skip
        runs = {r["name"]: r for r in self.runs() if r["name"] in (base, cand)}  # type: ignore[attr-defined]
        mismatch = allow_mismatch or bool((diag.evaluation or {}).get("changed"))
        comparisons = [
            (
                f"By {by}",
                self.compare(
                    base, cand, benchmark=benchmark, by=by, allow_mismatch=mismatch
                ).to_dict(),
            )
            for by in ("task", *AXES, "task_type,solving_operation")
        ]
        conditions = [fail_on] if fail_on else list(FAIL_ON_CODES)
        gates = [gate_status(diag.decision(), c) for c in conditions]
        return report_markdown(runs, comparisons, diag.to_dict(), gates=gates)

    def _other_evaluations(
        self, run: dict[str, Any], benchmark: str | None, weak: Sequence[Any],
        masks: Mapping[str, np.ndarray], item_ids: np.ndarray, q: float, min_size: int, seed: int,
        filter_name: str | None = None,
    ) -> list[Any]:  # fmt: skip
        """Other runs holding this run's items evaluated differently (weakness mode): the
        paired difference on the shared items and, for each weak slice, whether the other
        evaluation scores significantly higher (paired test per slice, BH across them)."""
        from ..analysis.compare import adjust
        from ..analysis.verdict import OtherEvaluation

        names = {r["id"]: r["name"] for r in self.store.list_runs()}
        out = []
        sharing = self.store.runs_sharing_items(run["id"], benchmark)
        alike = _EvaluatedAlike(self.store, run["id"], filter_name)
        for other_id, _n in sorted(sharing.items(), key=lambda t: (-t[1], names.get(t[0], ""))):
            if alike(other_id):  # nothing the check compares can differ: no alignment
                continue
            try:
                al = align_runs(self.store, run["id"], other_id, None, filter_name)
            except ValueError:
                continue
            check = self.evaluation_check(
                run["id"], other_id, al.item_ids.tolist(), None, (al.base_n, al.cand_n),
                filter_name=filter_name,
            )  # fmt: skip
            if not check.changed:
                continue
            res = paired_compare(al.base_n, al.base_c, al.cand_n, al.cand_c, random_state=seed,
                                 min_size=min_size)  # fmt: skip
            position = {item: i for i, item in enumerate(al.item_ids.tolist())}
            sensitive: tuple[str, ...] = ()
            if weak and not math.isnan(res.p_value):
                tests, keys = [], []
                for s in weak:
                    rows = [position[i] for i in item_ids[masks[s.label]].tolist() if i in position]
                    if not rows:
                        continue
                    idx = np.array(rows)
                    tests.append(paired_compare(
                        al.base_n[idx], al.base_c[idx], al.cand_n[idx], al.cand_c[idx],
                        random_state=seed, min_size=min_size,
                    ))  # fmt: skip
                    keys.append(s.label)
                sensitive = tuple(
                    a.key for a in adjust(tests, keys, q=q) if a.significant and a.result.diff > 0
                )
            out.append(OtherEvaluation(names.get(other_id, str(other_id)), check.summary(),
                                       int(res.n_items), res.diff, res.p_value, sensitive))  # fmt: skip
            if len(out) >= MAX_OTHER_EVALUATIONS:
                break
        return out

    def _weakness(
        self, run: dict[str, Any], benchmark: str | None, reference: str | None,
        q: float, min_size: int, seed: int, filter_name: str | None = None,
        *, same_evaluation: bool = False, same_lineage: bool = False,
    ) -> Diagnosis:  # fmt: skip
        from ..analysis.decompose import decompose_weakness
        from ..analysis.slice_search import uninformative_axes
        from ..analysis.verdict import verdict_for_weakness

        o = _outcomes(self.store, run["id"], benchmark, filter_name)
        if not o.item.size:
            raise ValueError(
                f"run {run['name']} has no scored samples"
                + (f" in {benchmark}" if benchmark else "")
            )
        ref_correct = None
        notes: list[str] = self.taxonomy_notes(run["name"])  # type: ignore[attr-defined]
        ref_items: tuple[np.ndarray, np.ndarray] | None = None
        evaluation: dict[str, Any] | None = None
        ref_check = None
        if reference is not None:
            o, ref_correct, ref_items = _reference_outcomes(
                self.store, run["name"], reference, o, benchmark, filter_name, notes
            )
            ref_run = self.store.get_run(reference)
            same = ref_run and identical_responses(self.store, run["id"], ref_run["id"], benchmark)
            if same:  # a copy of the run: no slice can differ from it
                notes.append(f"--reference: {same.text(run['name'], reference)}")
        _, inv, counts = np.unique(o.item, return_inverse=True, return_counts=True)
        weights = 1.0 / counts[inv]
        weak = decompose_weakness(
            o.labels, o.score, o.modes, weights, ref_correct, min_size=min_size
        )
        ids, n, c, dom, item_labels, _ = _per_item(o.item, o.score, o.modes, o.labels)
        n_max = int(n.max())
        repeats = n_max if n_max > 1 else None
        if ref_items is not None:
            ref_check = self.evaluation_check(
                self.store.get_run(reference)["id"], run["id"], ids.tolist(), benchmark,  # type: ignore[arg-type]
                (ref_items[0], n), filter_name=filter_name,
            )  # fmt: skip
            evaluation = ref_check.to_dict()
            search, slices, explained, weak_slices, masks = _paired_weak_slices(
                item_labels, ref_items, n, c, dom, min_size, q, seed, repeats
            )
        else:
            search, slices, explained, weak_slices, masks = _unpaired_weak_slices(
                item_labels, n, c, dom, min_size, q, seed, repeats
            )
        others = self._other_evaluations(
            run, benchmark, weak_slices, masks, ids, q, min_size, seed, filter_name
        )
        bench = benchmark or _single({t["benchmark"] for t in self.store.run_tasks(run["id"])})
        verdict = verdict_for_weakness(
            weak, search,
            sample_counts={r["label"]: (r["correct"], r["n_samples"]) for r in slices},
            combinations=_run_cells(slices, n, c, item_labels, ref_items),
            uninformative=uninformative_axes(item_labels, min_size), benchmark=bench,
            other_evaluations=others, reference=reference, reference_evaluation=ref_check,
            same_evaluation=same_evaluation, signals=_signal_counts(o.signals),
            cap_modes=_cap_modes(o.signals, o.modes), run=run["name"],
            lineage=None if reference is None else not_one_lineage(
                run["name"], reference, run, self.store.get_run(reference)
            ),
            same_lineage=same_lineage, checkpoint=None if reference is None else same_checkpoint(
                run["name"], reference, run, self.store.get_run(reference)
            ),
            references=() if reference is not None else _reference_runs(
                self.store, run, benchmark, {x.run for x in others}
            ),
        )  # fmt: skip
        return Diagnosis(
            mode="weakness", base=run["name"], cand=None, benchmark=bench,
            reference=reference, verdict=verdict,
            failure_modes={run["name"]: _mode_counts(o.modes)},
            failure_mode_shift=[], axes=_weakness_axes(weak), spread={}, slices=slices,
            n_tested=search.n_tested, notes=notes, evaluation=evaluation,
            other_evaluations=[x.to_dict() for x in others], explained_slices=explained,
        )  # fmt: skip


def _reference_runs(
    store: Store, run: Mapping[str, Any], benchmark: str | None, evaluated_otherwise: set[str]
) -> list[Any]:
    """Other runs holding ``run``'s items that ``--reference`` could test its weak slices
    against (:class:`analysis.verdict.ReferenceRun`), best first: runs of its training
    lineage (:func:`not_one_lineage` says nothing) before others, then the most shared
    items, then by name; runs found to evaluate the items otherwise are left out (against
    them the verdict would read the evaluation), and so are copies of the run (identical
    responses on every shared sample: :func:`workspace.pairs.identical_responses`)."""
    from ..analysis.verdict import ReferenceRun

    names = {r["id"]: r for r in store.list_runs()}
    out = []
    for other_id, n in store.runs_sharing_items(run["id"], benchmark).items():
        other = names.get(other_id)
        if other is None or other["name"] in evaluated_otherwise or not n:
            continue
        if identical_responses(store, run["id"], other_id, benchmark):
            continue  # the same evaluation stored twice: nothing to rule out against it
        lineage = not_one_lineage(run["name"], other["name"], run, other)
        out.append(ReferenceRun(other["name"], int(n), lineage))
    return sorted(out, key=lambda r: (r.lineage is not None, -r.n_items, r.run))


def _named_overall(
    ws: DiagnoseRunsMixin, overall: PairedResult, runs: tuple[str, str],
    benchmark: str | None, filter_name: str | None,
) -> PairedResult:  # fmt: skip
    """``overall`` with its one-sample score named as ``runs`` and ``slices`` name it
    (``greedy accuracy`` where both runs record greedy decoding: ``Workspace.one_sample_name``);
    the analysis knows no decoding and says ``accuracy (one sample per item)``. Two runs
    named differently keep the analysis's name (their evaluation check says why)."""
    if overall.base.metric_name != ONE_SAMPLE_ACCURACY:
        return overall
    names = {ws.one_sample_name(r, benchmark, filter_name) for r in runs}  # type: ignore[attr-defined]
    if len(names) != 1:
        return overall
    name = names.pop()
    return replace(
        overall,
        base=replace(overall.base, metric_name=name),
        cand=replace(overall.cand, metric_name=name),
    )


def _diagnose_change(
    ws: DiagnoseRunsMixin, base: str, cand: str, b_run: dict[str, Any], c_run: dict[str, Any],
    benchmark: str | None, assume: tuple[bool, bool], q: float, min_size: int,
    random_state: int, filter_name: str | None, notes: list[str],
    tests: Future[list[CompareRow]],
) -> Diagnosis:  # fmt: skip
    """``ws.diagnose`` of a change (a function, not a method: the facade's table of mixin
    attributes lists the public ones); ``tests``: the per-task paired tests
    (``_slice_tests``) under way; ``assume``: (same_evaluation, same_lineage)."""
    same_evaluation, same_lineage = assume
    from ..analysis.decompose import decompose_change
    from ..analysis.slice_search import paired_slices, uninformative_axes
    from ..analysis.verdict import verdict_for_change

    bo, co, columns = _read_pair(ws.store, b_run["id"], c_run["id"], benchmark, filter_name)
    bi, ci = _pair_samples(bo, co)
    if not bi.size:  # no shared item: said as compare says it (what each run holds)
        _share_items(ws.store, base, cand, b_run, c_run, benchmark)
        raise ValueError(_nothing_to_pair(ws.store, base, cand, b_run, c_run, benchmark))
    warning, identical = _pair_checks(ws.store, base, cand, b_run, c_run, benchmark)
    item = bo.item[bi]
    _, inv, counts = np.unique(item, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inv]
    labels = {a: bo.labels[a][bi] for a in AXES}
    dec = decompose_change(
        labels, bo.score[bi], co.score[ci], bo.modes[bi], co.modes[ci], weights,
        min_size=min_size,
    )  # fmt: skip
    ub, bn, bc, b_dom, item_labels, _ = _per_item(item, bo.score[bi], bo.modes[bi], labels)
    _, cn, cc, c_dom, _, _ = _per_item(item, co.score[ci], co.modes[ci], labels)
    b_total = _per_item_total(bo, ub)
    c_total = _per_item_total(co, ub)
    evaluation = ws.evaluation_check(
        b_run["id"], c_run["id"], ub.tolist(), benchmark, (b_total, c_total),
        filter_name=filter_name, columns=columns,
    )  # fmt: skip
    notes += _evaluation_notes(evaluation, same_evaluation)
    overall = paired_compare(bn, bc, cn, cc, random_state=random_state, min_size=min_size)
    overall = _named_overall(ws, overall, (base, cand), benchmark, filter_name)
    search = paired_slices(
        item_labels, bn, bc, cn, cc, (b_dom, c_dom), min_sup=min_size, q=q,
        random_state=random_state,
    )  # fmt: skip
    slice_tests = tests.result()
    b_signals = np.asarray(bo.signals, dtype=object)[bi].tolist()
    c_signals = np.asarray(co.signals, dtype=object)[ci].tolist()
    tasks = set(bo.task.tolist())
    bench = benchmark or _single(
        {t["benchmark"] for t in ws.store.run_tasks(b_run["id"]) if t["task"] in tasks}
    )
    verdict = verdict_for_change(
        dec, overall, search, slice_tests=slice_tests,
        base_signals=_signal_counts(b_signals), cand_signals=_signal_counts(c_signals),
        base_cap_modes=_cap_modes(b_signals, bo.modes[bi]),
        cand_cap_modes=_cap_modes(c_signals, co.modes[ci]),
        evaluation=evaluation, same_evaluation=same_evaluation,
        uninformative=uninformative_axes(item_labels, min_size), benchmark=bench,
        lineage=not_one_lineage(base, cand, b_run, c_run), same_lineage=same_lineage,
        checkpoint=same_checkpoint(base, cand, b_run, c_run), identical=identical,
    )  # fmt: skip
    slices = _paired_rows(search, item_labels, cn, cc, None, random_state)
    explained = _explained(search)
    if explained:
        notes.append(
            f"{plural(len(explained), 'further significant slice')} "
            f"{'is' if len(explained) == 1 else 'are'} explained by overlap with "
            "the slices listed (their other items show no significant change); JSON key "
            "'explained_slices'"
        )
    shift, axes, spread = _change_tables(dec)
    return Diagnosis(
        mode="change", base=base, cand=cand, benchmark=bench, reference=None,
        verdict=verdict,
        failure_modes={base: _mode_counts(bo.modes[bi]), cand: _mode_counts(co.modes[ci])},
        failure_mode_shift=shift, axes=axes, spread=spread, slices=slices,
        n_tested=search.n_tested, notes=notes,
        direction="drop" if dec.total_change < 0 else "gain" if dec.total_change > 0 else "none",
        evaluation=evaluation.to_dict(), overall_p=overall.p_value,
        explained_slices=explained, pair_warning=warning,
    )  # fmt: skip


def _pair_checks(
    store: Store, base: str, cand: str, b_run: Mapping[str, Any], c_run: Mapping[str, Any],
    benchmark: str | None,
) -> tuple[str | None, str | None]:  # fmt: skip
    """(the pair warning of ``compare`` and ``diagnose``, the statement that the two runs'
    responses are identical on every shared sample or None): identical responses
    (:func:`workspace.pairs.identical_responses`) are said first, before :func:`pair_warning`'s
    (the same run twice, one checkpoint, different models)."""
    same = identical_responses(store, b_run["id"], c_run["id"], benchmark)
    identical = same.text(base, cand) if same is not None else None
    warning = pair_warning(base, cand, b_run, c_run)
    if identical and b_run.get("id") != c_run.get("id"):
        warning = identical  # it says the rest: not two checkpoints, nothing to explain
    return warning, identical


def _read_pair(
    store: Store, base_id: int, cand_id: int, benchmark: str | None, filter_name: str | None
) -> tuple[_Outcomes, _Outcomes, tuple[_EvaluationColumns | None, _EvaluationColumns | None]]:
    """Both runs' outcomes for a change diagnosis (the base's with its items' labels) and the
    evaluation columns for ``evaluation_check`` (None: the check reads them itself)."""
    # the evaluation columns come with the outcomes when read on the primary filters
    one_read = filter_name is None
    # runs whose evaluation digests agree (0022) hold the same prompt hash per item: the
    # check needs only whether one is stored, not the hashes (~0.1 s a run to read)
    same_prompts = one_read and store.evaluation_digests_equal(base_id, cand_id, benchmark)
    # one run after the other: the candidate read in a thread of its own took more wall and
    # CPU time than in turn (1.3-1.7 s vs 1.1-1.3 s on the 10M pair at load ~2), the rows
    # being built under the GIL
    bo = _outcomes(
        store, base_id, benchmark, filter_name, evaluation=one_read, prompts=not same_prompts
    )
    co = _outcomes(  # pairs take the base's labels
        store, cand_id, benchmark, filter_name, evaluation=one_read, labels=False,
        prompts=not same_prompts,
    )  # fmt: skip
    columns = (bo.evaluation, co.evaluation)
    if same_prompts and (columns[0] is None or columns[1] is None):  # a repeated key:
        columns = (None, None)  # both runs' hashes read by the check itself
    return bo, co, columns


def _reference_outcomes(
    store: Store, run_name: str, reference: str, o: _Outcomes, benchmark: str | None,
    filter_name: str | None, notes: list[str],
) -> tuple[_Outcomes, np.ndarray, tuple[np.ndarray, np.ndarray]]:  # fmt: skip
    """Keep the samples whose item the reference run also has (a note in ``notes`` says how
    many were left out).

    Returns:
        (kept outcomes, the reference run's mean score of each kept sample's item,
        (reference samples per item, reference score sum per item) in sorted item order).

    Raises:
        ValueError: the two runs share no item.
    """
    ref_run = store.get_run(reference)
    r = _outcomes(store, ref_run["id"], benchmark, filter_name, labels=False)
    r_item: dict[Any, list[float]] = {}
    for key, s in zip(r.row_keys(), r.score, strict=True):
        r_item.setdefault(key[1], []).append(s)
    means = {k: float(np.mean(v)) for k, v in r_item.items()}
    keep = np.array([i in means for i in o.item])
    if not keep.any():
        raise ValueError(f"{run_name} and {reference} share no items")
    if not keep.all():
        notes.append(f"{int((~keep).sum())} samples without a reference item were left out")
    o = _Outcomes(
        None, o.score[keep], o.modes[keep], [s for s, m in zip(o.signals, keep, strict=True) if m],
        {a: v[keep] for a, v in o.labels.items()}, o.item[keep], o.task[keep],
        o.sample_idx[keep],
    )  # fmt: skip
    ref_correct = np.array([means[i] for i in o.item])
    ref_items = (
        np.array([len(r_item[i]) for i in np.unique(o.item)], dtype=float),
        np.array([sum(r_item[i]) for i in np.unique(o.item)], dtype=float),
    )
    return o, ref_correct, ref_items


def _paired_weak_slices(
    item_labels: dict[str, np.ndarray], ref_items: tuple[np.ndarray, np.ndarray],
    n: np.ndarray, c: np.ndarray, dom: Any, min_size: int, q: float, seed: int,
    repeats: int | None,
) -> tuple[Any, list[dict[str, Any]], list[Any], list[Any], Mapping[str, np.ndarray]]:  # fmt: skip
    """Weak slices against a reference run (``paired_slices``).

    Returns:
        (search, slice rows, explained slices, weak slices, item mask by slice label).
    """
    from ..analysis.slice_search import paired_slices

    search: Any = paired_slices(
        item_labels, ref_items[0], ref_items[1], n, c, dom, min_sup=min_size, q=q,
        random_state=seed,
    )  # fmt: skip
    slices = _paired_rows(search, item_labels, n, c, repeats, seed, (-1,), ref_items)
    return search, slices, _explained(search), search.kept(-1), search.masks


def _unpaired_weak_slices(
    item_labels: dict[str, np.ndarray], n: np.ndarray, c: np.ndarray, dom: Any,
    min_size: int, q: float, seed: int, repeats: int | None,
) -> tuple[Any, list[dict[str, Any]], list[Any], list[Any], Mapping[str, np.ndarray]]:  # fmt: skip
    """Weak slices of one run against its own mean (``significant_slices``).

    Returns:
        (search, slice rows, explained slices, weak slices, item mask by slice label).
    """
    from ..analysis.slice_search import significant_slices

    search = significant_slices(item_labels, 1 - c / n, dom, min_sup=min_size, q=q)
    overall = float(np.mean(c / n))
    slices = _slice_rows(search, n, c, item_labels, overall, repeats, seed)
    weak_slices = list(search.slices)
    masks = {}
    explained = [s.to_dict() | {"note": s.note} for s in search.dropped]
    for s in weak_slices:
        mask = np.ones(n.size, dtype=bool)
        for axis, value in s.slice.predicates:
            mask &= item_labels[axis] == value
        masks[s.label] = mask
    return search, slices, explained, weak_slices, masks


def _weakness_axes(weak: Any) -> dict[str, list[dict[str, Any]]]:
    """Per-axis deficit rows of a weakness decomposition (``decompose_weakness``), JSON-ready."""
    return {
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


MAX_OTHER_EVALUATIONS = 5
"""Other evaluations of the same items looked at in weakness mode (most shared items first)."""


def _single(values: set[Any]) -> Any:
    return next(iter(values)) if len(values) == 1 else None


def _change_tables(dec: Any) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """The failure-mode shift, per-axis deltas and spread of a change decomposition
    (``decompose_change``), as the JSON-ready parts of a :class:`Diagnosis`. The ``correct``
    row's contribution is the net change (``total_change``: its own share change, what the
    failure modes' contributions add up to), never the 0 the decomposition keeps for it."""
    shift = [
        {
            "mode": m,
            "base_share": dec.mode_shares_base.get(m, 0.0),
            "cand_share": dec.mode_shares_cand.get(m, 0.0),
            "contribution": (
                dec.total_change if m == "correct" else dec.mode_contributions.get(m, 0.0)
            ),
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
    return shift, axes, spread


def _evaluation_notes(evaluation: Any, same_evaluation: bool) -> list[str]:
    """Notes on an evaluation check: settings not recorded, or read as the same on request."""
    notes = []
    if evaluation.not_recorded:
        notes.append(
            f"the evaluation settings of the {' and '.join(evaluation.not_recorded)} run "
            "were not recorded (stored before capslice recorded them), so only prompts, "
            "filters and task settings were compared; ingest again into a new store to "
            "compare few-shot, prompting and scoring"
        )
    if evaluation.changed and same_evaluation:
        notes.append(
            "read as the same evaluation on request (--same-evaluation), although "
            + evaluation.summary()
        )
    return notes


def _pair_samples(bo: _Outcomes, co: _Outcomes) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (base, candidate) of the samples both runs hold, in candidate row order:
    paired by (task, item, sample index), or by (item, sample index) when that pairs nothing
    (the same documents under other task names). Empty arrays when nothing pairs."""
    fast = _pair_keys(bo, co, with_task=True)
    if fast is not None and fast[0].size:
        return fast
    slow = None if fast is not None else pair_by_dict(bo.row_keys(), co.row_keys())
    if slow is not None and slow[0].size:
        return slow
    fast = _pair_keys(bo, co, with_task=False)
    if fast is not None:
        return fast
    return pair_by_dict([k[1:] for k in bo.row_keys()], [k[1:] for k in co.row_keys()])


def _pair_keys(
    bo: _Outcomes, co: _Outcomes, with_task: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_pair_samples` with int64 keys (task code, item, sample index) and
    ``np.intersect1d``; None when a key repeats in a run or the rows are not in key order
    (the dict path then decides, as before)."""
    keys = int_keys(
        bo.task.tolist() if with_task else None, co.task.tolist() if with_task else None,
        [bo.item, bo.sample_idx], [co.item, co.sample_idx],
    )  # fmt: skip
    return None if keys is None else pair_int_keys(*keys, require_sorted=True)


def _per_item_total(o: _Outcomes, items: np.ndarray) -> np.ndarray:
    """Samples per item of a run (all its samples on the primary filter), for ``items``."""
    uniq, counts = np.unique(o.item, return_counts=True)
    if not uniq.size:
        return np.zeros(len(items), dtype=float)
    at = np.minimum(np.searchsorted(uniq, items), uniq.size - 1)
    return np.where(uniq[at] == items, counts[at], 0).astype(float)
