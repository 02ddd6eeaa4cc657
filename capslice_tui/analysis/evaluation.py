"""What defines an evaluation, and whether two runs of the same items were evaluated alike.

Pure Python. An evaluation of one item is defined by its prompt (text hash), the few-shot
count, the prompting variant and chat template, the generation settings (temperature,
sampling, ``max_gen_toks``, stop strings, samples per item ``n``), the answer filter and the
scorer, and the harness with its version. :func:`evaluation_settings` builds that dict for one
sample at ingest (the prompt is kept apart, as ``samples.prompt_hash``);
:func:`settings_json` gives its canonical JSON and hash; :func:`compare_evaluations` lists how
two runs differ on the items they share.

Each setting belongs to one category (:data:`CATEGORIES`). Differences in ``prompt``,
``few-shot``, ``decoding``, ``scoring`` or an unknown setting are *material*: the two runs are
different evaluations, so a change between them cannot be read as a change of the model's
data. Differences in ``harness`` (name, version) and ``seed`` are listed but not material on
their own (a harness change that alters prompts or scoring shows up in those).

A setting recorded on one side only is not a difference (logs often lack it); the check says
which settings could not be compared.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

CATEGORIES: dict[str, str] = {
    "prompt": "prompt",
    "task": "prompt",
    "prompting": "prompt",
    "template": "prompt",
    "chat_template": "prompt",
    "system_instruction": "prompt",
    "fewshot_as_multiturn": "prompt",
    "cot": "prompt",
    "num_fewshot": "few-shot",
    "temperature": "decoding",
    "do_sample": "decoding",
    "top_p": "decoding",
    "top_k": "decoding",
    "max_gen_toks": "decoding",
    "until": "decoding",
    "n": "decoding",
    "samples per item": "decoding",
    "filter": "scoring",
    "scorer": "scoring",
    "metric": "scoring",
    "harness": "harness",
    "harness_version": "harness",
    "seed": "harness",
}
"""Setting -> category. Settings not listed are category ``other`` (material)."""

MATERIAL = ("prompt", "few-shot", "decoding", "scoring", "other")
"""Categories whose difference makes two runs different evaluations."""

ALIASES: dict[str, str] = {
    "n_shot": "num_fewshot",
    "shots": "num_fewshot",
    "num_shots": "num_fewshot",
    "fewshot": "num_fewshot",
    "n_fewshot": "num_fewshot",
    "stop": "until",
    "stop_sequences": "until",
    "stop_strings": "until",
    "max_tokens": "max_gen_toks",
    "max_new_tokens": "max_gen_toks",
    "repeats": "n",
    "num_samples": "n",
    "n_samples": "n",
    "prompt_template": "template",
    "chat_template_sha": "chat_template",
    "system_instruction_sha": "system_instruction",
    "lm_eval_version": "harness_version",
}
"""Other spellings readers and logs use for a setting, mapped to the canonical key."""

_TASK_KEYS = ("num_fewshot", "max_gen_toks", "until", "temperature", "do_sample", "repeats")
_RUN_KEYS = (
    "lm_eval_version",
    "chat_template_sha",
    "chat_template",
    "system_instruction_sha",
    "system_instruction",
    "fewshot_as_multiturn",
)
MAX_VALUES = 3
"""Distinct values per side shown for one difference (most frequent first)."""


def _norm_value(value: Any) -> Any:
    """JSON-ready value; integral floats become ints so 0 and 0.0 compare and hash alike."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, (list, tuple)):
        return [_norm_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _norm_value(v) for k, v in value.items()}
    return str(value)


def canonical_key(key: str) -> str:
    """The canonical name of a setting (``n_shot`` -> ``num_fewshot``)."""
    k = str(key).strip()
    return ALIASES.get(k, ALIASES.get(k.lower(), k))


def evaluation_settings(
    record_settings: Mapping[str, Any] | None,
    task: Mapping[str, Any] | None = None,
    run_meta: Mapping[str, Any] | None = None,
    *,
    harness: str | None = None,
    scorer: str | None = None,
) -> dict[str, Any]:
    """The settings that define one sample's evaluation (everything but the prompt text).

    Task-level generation settings come first, then run-level ones (harness version, chat
    template, system instruction), then the scorer; the reader's per-record settings
    (``SampleRecord.settings``, e.g. ``prompting``) are the most specific and win. Keys are
    canonical (:data:`ALIASES`); ``None`` values are dropped.

    Args:
        record_settings: the record's own settings, or None.
        task: the task's settings (keys of ``run_tasks``: ``num_fewshot``, ``max_gen_toks``,
            ``until``, ``temperature``, ``do_sample``, ``repeats``), or None.
        run_meta: run metadata (``lm_eval_version``, ``chat_template_sha``...), or None.
        harness: the log format (``lm-eval``, ``opencompass``, ``jsonl``...).
        scorer: who scored the sample (``harness`` or ``capslice-strict``).

    Returns:
        dict of canonical key -> JSON-ready value.
    """
    out: dict[str, Any] = {}
    for key in _TASK_KEYS:
        if task and task.get(key) is not None:
            out[canonical_key(key)] = task[key]
    for key in _RUN_KEYS:
        value = (run_meta or {}).get(key)
        if value is None:
            continue
        if key in ("chat_template", "system_instruction") and isinstance(value, str):
            value = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        out.setdefault(canonical_key(key), value)
    if harness:
        out["harness"] = harness
    if scorer:
        out["scorer"] = scorer
    for key, value in (record_settings or {}).items():
        if value is not None:
            out[canonical_key(key)] = value
    return {k: _norm_value(v) for k, v in out.items()}


def settings_json(settings: Mapping[str, Any]) -> tuple[str, str]:
    """``(sha256 hex, canonical JSON)`` of a settings dict (sorted keys, compact)."""
    text = json.dumps(_norm_value(dict(settings)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), text


def _show(value: Any) -> str:
    if isinstance(value, str):
        if len(value) == 64 and all(ch in "0123456789abcdef" for ch in value):
            return f"sha256 {value[:8]}…"
        return value
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) if isinstance(v, str) else _show(v) for v in value) + "]"
    return json.dumps(value)


@dataclass(frozen=True)
class SettingDifference:
    """One setting that differs between two runs on the items they share.

    Attributes:
        key: canonical setting name; ``prompt`` is the prompt text (its hash), ``task`` the
            task name, ``samples per item`` the number of generations per item.
        category: ``prompt``, ``few-shot``, ``decoding``, ``scoring``, ``harness`` or
            ``other``.
        n_items: shared items on which it differs.
        n_compared: shared items on which both runs recorded it.
        base_values, cand_values: the distinct values on the differing items, most frequent
            first (at most :data:`MAX_VALUES`), as display strings.
    """

    key: str
    category: str
    n_items: int
    n_compared: int
    base_values: tuple[str, ...]
    cand_values: tuple[str, ...]

    @property
    def material(self) -> bool:
        """True when this difference makes the runs different evaluations."""
        return self.category in MATERIAL

    def values_text(self) -> str:
        """``prompting cot_3shot vs answer_only_3shot`` (``prompt texts differ`` for hashes)."""
        if self.key == "prompt":
            return "the prompt texts differ"
        return f"{self.key} {' / '.join(self.base_values)} vs {' / '.join(self.cand_values)}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (keys as the attributes, plus ``material``)."""
        return {
            "key": self.key, "category": self.category, "n_items": self.n_items,
            "n_compared": self.n_compared, "base_values": list(self.base_values),
            "cand_values": list(self.cand_values), "material": self.material,
        }  # fmt: skip


RECORD_NEEDED = ("few-shot", "decoding")
"""Categories that must be compared (recorded by both runs) before two runs can be called the
same evaluation: the prompt's task and filter are always known, these are not."""

_CATEGORY_NOUN = {
    "prompt": "the prompts",
    "few-shot": "the few-shot examples",
    "decoding": "the decoding settings",
    "scoring": "the scoring",
    "other": "other evaluation settings",
    "harness": "the harness",
}


@dataclass(frozen=True)
class EvaluationCheck:
    """How two runs' evaluations of their shared items differ.

    Attributes:
        n_items: shared items checked.
        differences: every setting that differs, material ones first.
        items_by_category: category -> shared items on which any setting of it differs.
        unchecked: settings recorded by one run only (cannot be compared), as
            ``key (base only)`` / ``key (candidate only)``.
        not_recorded: run labels (``base``/``candidate``) whose samples carry no recorded
            settings (stored before capslice recorded them).
        not_compared: the categories of :data:`RECORD_NEEDED` (``few-shot``, ``decoding``)
            on which no setting was recorded by both runs on any shared item (the samples per
            item, which capslice counts itself, do not count): the check cannot say those
            agree, so it cannot rule out an evaluation cause.
    """

    n_items: int
    differences: list[SettingDifference] = field(default_factory=list)
    items_by_category: dict[str, int] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)
    not_recorded: list[str] = field(default_factory=list)
    not_compared: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when the few-shot count and some decoding setting were compared: only then
        can "same evaluation" be said."""
        return not self.not_compared

    def not_compared_text(self) -> str:
        """``the few-shot and decoding settings were not recorded by both runs`` ('' when
        every needed category was compared)."""
        if not self.not_compared:
            return ""
        names = " and ".join(self.not_compared)
        return (
            f"the {names} settings were not recorded by both runs, so an evaluation cause "
            "(other prompts, few-shot, decoding or reranking) cannot be ruled out"
        )

    @property
    def changed(self) -> bool:
        """True when some material setting differs: the runs are different evaluations."""
        return any(d.material for d in self.differences)

    def phrases(self, material: bool = True) -> list[str]:
        """One plain phrase per category, e.g. ``the prompts of 6,511 of 6,511 items differ:
        prompting cot_3shot vs answer_only_3shot``."""
        out = []
        for cat in (*MATERIAL, "harness"):
            diffs = [d for d in self.differences if d.category == cat]
            if not diffs or (cat in MATERIAL) != material:
                continue
            n = self.items_by_category.get(cat, max(d.n_items for d in diffs))
            named = [d for d in diffs if d.key != "prompt"]
            verb = "differ" if cat not in ("scoring", "harness") else "differs"
            head = f"{_CATEGORY_NOUN[cat]} of {n:,} of {self.n_items:,} items {verb}"
            if named:
                out.append(head + ": " + "; ".join(d.values_text() for d in named))
            else:
                out.append(head + " (the prompt texts, compared by their hash)")
        return out

    def summary(self) -> str:
        """The material differences as one sentence fragment ('' when none)."""
        return "; ".join(self.phrases(True))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "n_items": self.n_items, "changed": self.changed,
            "differences": [d.to_dict() for d in self.differences],
            "items_by_category": dict(self.items_by_category),
            "unchecked": list(self.unchecked), "not_recorded": list(self.not_recorded),
            "not_compared": list(self.not_compared), "summary": self.summary(),
        }  # fmt: skip


def _compare_pair(
    b: Mapping[str, Any], c: Mapping[str, Any], both: bool
) -> list[tuple[str, str, str, str]]:
    """One item's settings compared key by key: (key, state, base shown, cand shown) with
    state ``same``, ``differs`` or ``one side`` (then the third field says which side)."""
    bs = {canonical_key(k): _norm_value(v) for k, v in b.items() if v is not None}
    cs = {canonical_key(k): _norm_value(v) for k, v in c.items() if v is not None}
    out = []
    for key in sorted(bs.keys() | cs.keys()):
        if key not in bs or key not in cs:
            if both:
                out.append((key, "one side", "base only" if key in bs else "candidate only", ""))
        elif bs[key] != cs[key]:
            out.append((key, "differs", _show(bs[key]), _show(cs[key])))
        else:
            out.append((key, "same", "", ""))
    return out


def compare_evaluations(
    base: Sequence[Mapping[str, Any] | None],
    cand: Sequence[Mapping[str, Any] | None],
    weights: Sequence[int] | None = None,
) -> EvaluationCheck:
    """Compare the evaluation of each shared item in two runs, setting by setting.

    Args:
        base, cand: per shared item (aligned, same order), the item's evaluation: a mapping
            of setting -> value including ``prompt`` (prompt hash) and ``task`` when known, or
            None when nothing was recorded. Keys are made canonical here.
        weights: how many shared items each (base, cand) pair stands for (default 1 each):
            callers collapse items whose evaluations compare alike into one weighted pair.

    Returns:
        :class:`EvaluationCheck`. A setting present on both sides with unequal values on an
        item is a difference on that item; present on one side only, it is ``unchecked``.

    Raises:
        ValueError: the sequences differ in length.
    """
    if len(base) != len(cand) or (weights is not None and len(weights) != len(base)):
        raise ValueError(f"compare_evaluations: {len(base)} base items, {len(cand)} candidate")
    ws = [1] * len(base) if weights is None else [int(w) for w in weights]
    n = sum(ws)
    diff_items: dict[str, int] = Counter()
    compared: dict[str, int] = Counter()
    b_vals: dict[str, Counter[str]] = {}
    c_vals: dict[str, Counter[str]] = {}
    cat_items: dict[str, int] = Counter()
    one_side: dict[str, str] = {}
    missing = {"base": 0, "candidate": 0}
    memo: dict[tuple[str, str, bool], list[tuple[str, str, str, str]]] = {}
    for b, c, w in zip(base, cand, ws, strict=True):
        if not b:
            missing["base"] += w
        if not c:
            missing["candidate"] += w
        b, c = b or {}, c or {}
        # items of one run mostly share their settings: compare each distinct pair once
        rest_b = {k: v for k, v in b.items() if k != "prompt"}
        rest_c = {k: v for k, v in c.items() if k != "prompt"}
        both = bool(b) and bool(c)
        memo_key = (
            json.dumps(rest_b, sort_keys=True, default=str),
            json.dumps(rest_c, sort_keys=True, default=str),
            both,
        )
        outcome = memo.get(memo_key)
        if outcome is None:
            outcome = memo[memo_key] = _compare_pair(rest_b, rest_c, both)
        if "prompt" in b or "prompt" in c:
            outcome = [*outcome, *_compare_pair(
                {"prompt": b.get("prompt")}, {"prompt": c.get("prompt")}, both
            )]  # fmt: skip
        cats: set[str] = set()
        for key, state, b_show, c_show in outcome:
            if state == "one side":
                one_side.setdefault(key, b_show)
                continue
            compared[key] += w
            if state == "differs":
                diff_items[key] += w
                b_vals.setdefault(key, Counter())[b_show] += w
                c_vals.setdefault(key, Counter())[c_show] += w
                cats.add(CATEGORIES.get(key, "other"))
        for cat in cats:
            cat_items[cat] += w
    order = {cat: i for i, cat in enumerate((*MATERIAL, "harness"))}
    diffs = [
        SettingDifference(
            key=key,
            category=CATEGORIES.get(key, "other"),
            n_items=count,
            n_compared=compared[key],
            base_values=tuple(v for v, _ in b_vals[key].most_common(MAX_VALUES)),
            cand_values=tuple(v for v, _ in c_vals[key].most_common(MAX_VALUES)),
        )  # fmt: skip
        for key, count in diff_items.items()
    ]
    diffs.sort(key=lambda d: (order[d.category], d.key == "prompt", -d.n_items, d.key))
    unchecked = [f"{k} ({side})" for k, side in sorted(one_side.items()) if k not in diff_items]
    seen = {
        CATEGORIES.get(k, "other") for k, w in compared.items() if w and k != "samples per item"
    }
    return EvaluationCheck(
        n_items=n, differences=diffs, items_by_category=dict(cat_items), unchecked=unchecked,
        not_recorded=[who for who, m in missing.items() if n and m == n],
        not_compared=[c for c in RECORD_NEEDED if n and c not in seen],
    )  # fmt: skip
