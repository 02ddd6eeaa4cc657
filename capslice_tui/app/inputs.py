"""An input's placeholder never looks like a value, colour or not.

Textual draws an empty input's placeholder in a dim colour and a typed or pre-filled value in
the text colour; under ``NO_COLOR`` or on the Linux console both look the same, so a
pre-filled ``catalog.yaml`` could not be told from a hint. :func:`mark_placeholders` makes
every input's placeholder read ``<hint>`` (angle brackets, the usual notation for "put a
value here"); a value is shown as typed.
"""

from __future__ import annotations

from textual.widgets import Input

OPEN, CLOSE = "<", ">"


def placeholder_text(text: str) -> str:
    """``"e.g. math"`` -> ``"<e.g. math>"``; empty and already marked text unchanged."""
    if not text or (text.startswith(OPEN) and text.endswith(CLOSE)):
        return text
    return f"{OPEN}{text}{CLOSE}"


def mark_placeholders() -> None:
    """Mark the placeholder of every Textual ``Input`` from now on (:func:`placeholder_text`),
    through the validator hook of its ``placeholder`` reactive (looked up by name on each
    assignment, so inputs built before or after, in any screen, are covered)."""

    def _validate_placeholder(self: Input, value: str) -> str:
        return placeholder_text(value)

    Input._validate_placeholder = _validate_placeholder  # type: ignore[attr-defined]
