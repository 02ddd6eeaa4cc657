"""What two runs' own records say about the pair before any verdict: one checkpoint on both
sides (:func:`same_checkpoint`), one evaluation stored twice (:func:`identical_responses`),
or the answer filter both logged when their primary filters differ (:func:`shared_filter`).

Both feed ``compare``'s and ``diagnose``'s pair warning and the verdict (``analysis.verdict``:
a pair of one checkpoint gets no ``data`` verdict, reason ``not_a_checkpoint_pair``; a pair
whose responses are identical has no difference to explain, reason ``identical_responses``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..formatting import plural
from ..store import Store


def _revision(run: Mapping[str, Any]) -> str | None:
    """The checkpoint revision a run's metadata records (lm-eval's ``model_revision``, or
    ``revision=`` in ``model_args``, a string or a dict), or None."""
    meta = run.get("meta") or {}
    if not isinstance(meta, Mapping):
        return None
    if meta.get("model_revision"):
        return str(meta["model_revision"])
    args = meta.get("model_args")
    if isinstance(args, Mapping):
        return str(args["revision"]) if args.get("revision") else None
    if isinstance(args, str):
        for part in args.split(","):
            key, _, value = part.partition("=")
            if key.strip() == "revision" and value.strip():
                return value.strip()
    return None


def same_checkpoint(
    base: str, cand: str, b_run: Mapping[str, Any], c_run: Mapping[str, Any]
) -> str | None:
    """Why the pair's own records say ``base`` and ``cand`` are one checkpoint, not two, or
    None: both record the same model name (``runs.model``, case and outer spaces aside), and
    their steps, tokens seen and checkpoint revisions (:func:`_revision`) are equal or absent
    on both sides. Then nothing was trained between them: a difference comes from how they
    were evaluated or sampled (walk 14: ``bbh-direct`` vs ``bbh-cot``, both
    ``code-davinci-002`` with no step, a prompting change). A step (tokens, revision)
    recorded on one side only is not judged (the other may be the final checkpoint), nor is
    a model recorded on one side only, nor the same run on both sides (:func:`pair_warning`
    says that). ``b_run``/``c_run``: ``Store.get_run`` rows.

    Returns:
        e.g. ``"both record the model code-davinci-002 and no step"``, or None.
    """
    if b_run.get("id") == c_run.get("id") or base == cand:
        return None
    bm, cm = (str(r.get("model") or "").strip() for r in (b_run, c_run))
    if not bm or bm.lower() != cm.lower():
        return None
    for bv, cv in (
        (b_run.get("step"), c_run.get("step")),
        (b_run.get("tokens_seen"), c_run.get("tokens_seen")),
        (_revision(b_run), _revision(c_run)),
    ):
        if bv != cv:  # different, or recorded on one side only
            return None
    step = b_run.get("step")
    at = f"the same step {step}" if step is not None else "no step"
    revision = _revision(b_run)
    return f"both record the model {bm} and {at}" + (f" (revision {revision})" if revision else "")


@dataclass(frozen=True)
class SameResponses:
    """Two runs whose responses are identical on every sample they share.

    Attributes:
        n_samples: samples paired by (task, filter, document, sample index), all identical
            (stored text, original length and, for a truncated text, the original's hash).
        score_differs: of those, samples whose score differs (a rescoring, not the model).
    """

    n_samples: int
    score_differs: int

    def text(self, base: str, cand: str) -> str:
        """The plain statement of it, for a warning or a verdict."""
        scores = (
            "and so are their scores"
            if not self.score_differs
            else f"their scores differ on {plural(self.score_differs, 'sample')}, so any "
            "score difference comes from scoring, not from the model"
        )
        shared = (
            "the one shared sample"
            if self.n_samples == 1
            else f"every one of the {self.n_samples:,} shared samples"
        )
        return (
            f"{base} and {cand} have identical responses on {shared} ({scores}): the same "
            "evaluation stored twice (e.g. one log ingested under two run names), not two "
            "checkpoints; there is no difference in the model's outputs to explain"
        )


def identical_responses(
    store: Store, base_id: int, cand_id: int, benchmark: str | None = None
) -> SameResponses | None:
    """Whether ``cand_id`` answered every sample it shares with ``base_id`` (on the tasks of
    ``benchmark`` when given) with the identical response (``Store.identical_responses``), or
    None: no shared sample, a shared sample without a stored response (log-likelihood logs:
    nothing to compare), or one differing response."""
    found = store.identical_responses(base_id, cand_id, benchmark)
    return SameResponses(*found) if found is not None else None


@dataclass(frozen=True)
class SharedFilter:
    """The answer filter two runs are read on when their primary filters differ but both
    logged another one on every task they share (:func:`shared_filter`).

    Attributes:
        name: the filter both runs logged.
        base_primary, cand_primary: each run's primary filter(s) on the shared tasks.
    """

    name: str
    base_primary: str
    cand_primary: str

    def label(self) -> str:
        """``filter flexible-extract (logged by both; primary filters strict-match vs
        flexible-extract)``: the filter line of a pair's output."""
        return (
            f"filter {self.name} (logged by both; primary filters {self.base_primary} vs "
            f"{self.cand_primary})"
        )

    def note(self) -> str:
        """Why the pair is read on :attr:`name` and how to read another filter."""
        return (
            f"both runs read on filter {self.name}, which both logged: their primary filters "
            f"differ (base {self.base_primary}, cand {self.cand_primary}) and scores of "
            "different filters are never compared (--filter NAME reads another filter both "
            "logged)"
        )


def shared_filter(
    store: Store, base_id: int, cand_id: int, benchmark: str | None = None
) -> SharedFilter | None:
    """The one filter to read two runs on (like with like) when, on some task both hold,
    their primary filters differ: on every shared task, the base's primary when the candidate
    logged it too, else the candidate's when the base logged it, else the first filter of the
    base's both logged; None when the primaries agree, a shared task has no filter logged by
    both, or the shared tasks would need different filters (then the caller says the filters
    differ, as before)."""
    b_tasks, c_tasks = (
        {
            t["task"]: t
            for t in store.run_tasks(run_id)
            if benchmark is None or t["benchmark"] == benchmark
        }
        for run_id in (base_id, cand_id)
    )
    shared = sorted(b_tasks.keys() & c_tasks.keys())
    if all(b_tasks[t]["primary_filter"] == c_tasks[t]["primary_filter"] for t in shared):
        return None
    picks: set[str] = set()
    for task in shared:
        bt, ct = b_tasks[task], c_tasks[task]
        c_logged = ct["filters"] or [ct["primary_filter"]]
        both = [f for f in bt["filters"] or [bt["primary_filter"]] if f in c_logged]
        if not both:
            return None
        bp, cp = bt["primary_filter"], ct["primary_filter"]
        picks.add(bp if bp in both else cp if cp in both else both[0])
    if len(picks) != 1:
        return None
    return SharedFilter(
        picks.pop(),
        "/".join(sorted({b_tasks[t]["primary_filter"] for t in shared})),
        "/".join(sorted({c_tasks[t]["primary_filter"] for t in shared})),
    )
