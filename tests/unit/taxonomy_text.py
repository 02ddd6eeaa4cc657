"""Taxonomy texts the taxonomy tests share (test_taxonomy, test_taxonomy_cache): the four
axes with two values each and no rules, and the bad rule regex with the words it is refused
with, so the two files test one fixture rather than two copies that could drift apart."""

from __future__ import annotations

AXES_YAML = """\
version: 1
axes:
  background_condition:
    description: bg
    values: {self_contained: a, commonsense: b}
  task_type:
    description: tt
    values: {algebra: a, geometry: b}
  solving_operation:
    description: op
    values: {counting: a, probability: b}
  output_constraint:
    description: oc
    values: {integer: a, free_text: b}
"""
"""A valid taxonomy header (14 lines); a test appends ``rules:`` and its rules."""

BAD_PATTERN = "(unclosed"
"""A rule regex that does not compile."""

BAD_PATTERN_ERROR = (
    f"invalid regex '{BAD_PATTERN}': missing ), unterminated subpattern at position 0"
)
"""How a taxonomy error words :data:`BAD_PATTERN` (after ``file:line: rule 'id' field: ``)."""


def with_bad_regex(text: str, pattern: str) -> str:
    """``text`` with the quoted regex ``pattern`` (``'^\\d+$'``) replaced by the quoted
    :data:`BAD_PATTERN`; raises ValueError when ``pattern`` is not in ``text``."""
    if pattern not in text:
        raise ValueError(f"{pattern!r} is not in the taxonomy text")
    return text.replace(pattern, f"'{BAD_PATTERN}'")
