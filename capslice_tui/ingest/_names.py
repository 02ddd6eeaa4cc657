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


BBH_SUBTASKS = frozenset(
    """boolean_expressions causal_judgement date_understanding disambiguation_qa dyck_languages
    formal_fallacies geometric_shapes hyperbaton logical_deduction_five_objects
    logical_deduction_seven_objects logical_deduction_three_objects movie_recommendation
    multistep_arithmetic_two navigate object_counting penguins_in_a_table
    reasoning_about_colored_objects ruin_names salient_translation_error_detection snarks
    sports_understanding temporal_sequences tracking_shuffled_objects_five_objects
    tracking_shuffled_objects_seven_objects tracking_shuffled_objects_three_objects web_of_lies
    word_sorting""".split()
)
"""The 27 BIG-Bench Hard subtasks, as the BBH authors' own output files name their tasks."""


def benchmark_from_prefix(task: str) -> str | None:
    """Benchmark by prefix rule: bbh_*/bbh-* -> bbh, minerva_math*/hendrycks_math* -> math,
    gsm8k* -> gsm8k, mmlu_* -> mmlu, aime* -> aime, a bare BBH subtask name -> bbh; None when
    no rule applies."""
    lowered = task.lower()
    if lowered in BBH_SUBTASKS:
        return "bbh"
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
