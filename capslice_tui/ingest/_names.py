"""Benchmark names from task names."""

from __future__ import annotations

_PREFIX_RULES: tuple[tuple[str, str], ...] = (
    ("leaderboard_bbh", "bbh"),
    ("bbh", "bbh"),
    ("minerva_math", "math"),
    ("hendrycks_math", "math"),
    ("gsm8k", "gsm8k"),
    ("mmlu", "mmlu"),
    ("aime", "aime"),
)


def benchmark_from_prefix(task: str) -> str | None:
    """Benchmark by prefix rule: bbh_*/bbh-* -> bbh, minerva_math*/hendrycks_math* -> math,
    gsm8k* -> gsm8k, mmlu_* -> mmlu, aime* -> aime; None when no rule applies."""
    lowered = task.lower()
    for prefix, benchmark in _PREFIX_RULES:
        if lowered == prefix or lowered.startswith(prefix):
            return benchmark
    return None


def top_group(task: str, groups: dict[str, list[str]]) -> str | None:
    """Top-level group containing ``task`` (walking ``group_subtasks`` upwards), or None."""
    parent = {child: group for group, children in groups.items() for child in children}
    seen = {task}
    current = task
    while current in parent and parent[current] not in seen:
        current = parent[current]
        seen.add(current)
    return current if current != task else None


def benchmark_for(task: str, groups: dict[str, list[str]] | None = None) -> str:
    """Benchmark of a task: its top-level group, else the prefix rule, else the task itself."""
    if groups:
        group = top_group(task, groups)
        if group is not None:
            return group
    return benchmark_from_prefix(task) or task
