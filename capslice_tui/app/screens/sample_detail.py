"""Every field of one sample, as plain text (model output is never parsed as markup).

Each field is shown capped (``ingest.bounded.view_text``): at most :data:`TEXT_CHARS`
characters of a long text (:data:`FIELD_CHARS` of a one-line field), its start and end around
"... N MB more not shown ...", so a 200 MB generation logged before capslice capped texts at
ingest still opens at once and ``b`` goes back."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Footer, Header, Static

from ...formatting import visible
from ...ingest.bounded import view_text
from ...vocabulary import AXES
from ..format import sample_name, verdict_mark
from ..messages import SampleLoaded
from .base import CapsliceScreen

TEXT_CHARS = 40_000
"""Characters shown of a prompt, question, response or reasoning trace."""
FIELD_CHARS = 2_000
"""Characters shown of a one-line field (target, extractions, reason)."""


def _text(value: Any, limit: int = TEXT_CHARS) -> str:
    """A field as plain text, at most ``limit`` characters (start and end around a marker
    saying how much more there is); control characters shown as escapes (never sent to the
    terminal)."""
    if value is None:
        return "(none)"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, indent=1)
    return visible(view_text(str(value), limit))


FIELD_INDENT = 22
"""Column where a field's value starts (a 20-wide name, ``: ``); its wrapped lines start there."""


def field_text(name: str, value: Any, width: int) -> str:
    """A summary field's value as plain text, wrapped at spaces to ``width`` columns with its
    continuation lines under the value (:data:`FIELD_INDENT`); a reason stored by an older
    version that says an extraction ``gave None`` reads ``gave no answer``."""
    text = _text(value, FIELD_CHARS)
    if name == "reason":
        text = re.sub(r"\b(gave|extraction) None\b", r"\1 no answer", text)
    if width < FIELD_INDENT + 20 or FIELD_INDENT + len(text) <= width or "\n" in text:
        return text
    lines = textwrap.wrap(
        text, width=width - FIELD_INDENT, break_on_hyphens=False, break_long_words=True
    )
    return ("\n" + " " * FIELD_INDENT).join(lines)


class SampleDetailScreen(CapsliceScreen):
    """Prompt (collapsed), response, reasoning trace (when the response had one), target,
    extractions, score, failure mode, axis labels."""

    def __init__(self, sample_id: int) -> None:
        super().__init__()
        self.sample_id = sample_id
        self.sample: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static("loading sample…", id="status")
            yield Static("", id="summary")
            with Collapsible(title="prompt", collapsed=True, id="prompt-box"):
                yield Static("", id="prompt")
            yield Static("", id="response")
            with Collapsible(
                title="reasoning trace (before the answer; not scored)",
                collapsed=False,
                id="reasoning-box",
            ):
                yield Static("", id="reasoning")
            yield Static("", id="labels")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "sample"
        self.load_sample()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sample")
    def load_sample(self) -> None:
        self.post_message(SampleLoaded(self.ws.sample(self.sample_id)))

    def on_sample_loaded(self, message: SampleLoaded) -> None:
        s = self.sample = message.sample
        head = Text()
        rows = [
            ("task", s.get("task")),
            ("doc_id / sample", f"{s.get('doc_id')} / k={s.get('sample_idx')}"),
            ("filter", s.get("filter")),
            ("target", s.get("target")),
            ("extracted (harness)", s.get("extracted")),
            ("extracted (lenient)", s.get("lenient_extracted")),
            (
                "score",
                f"{verdict_mark(s.get('score'))} {s.get('score')}  (source: "
                f"{s.get('score_source') or '-'})",
            ),
            ("lenient score", f"{verdict_mark(s.get('lenient'))} {s.get('lenient')}"),
            ("failure mode", s.get("failure_mode")),
            ("reason", s.get("failure_reason")),
        ]
        if s.get("response_sha256"):
            rows.append(
                (
                    "response stored",
                    f"start and end of {s.get('response_chars'):,} chars (the middle is not "
                    f"stored), sha256 {s['response_sha256']}",
                )
            )
        room = self.size.width - 6  # padding 1 + 2, the scrollbar (2), one blank column
        for name, value in rows:
            head.append(f"{name:>20}: ", style="bold")
            head.append(field_text(name, value, room) + "\n")
        question = s.get("question")
        if question:
            head.append("\nquestion\n", style="bold")
            head.append(_text(question))
        self.query_one("#summary", Static).update(head)
        self.query_one("#prompt", Static).update(Text(_text(s.get("prompt"))))
        response = Text("response\n", style="bold")
        response.append(_text(s.get("response")) if s.get("response") else "(empty)", style="")
        self.query_one("#response", Static).update(response)
        reasoning = s.get("reasoning")
        box = self.query_one("#reasoning-box", Collapsible)
        box.display = reasoning is not None
        if reasoning is not None:
            trace = Text(_text(reasoning) if reasoning else "(empty)")
            full = s.get("reasoning_chars") or 0
            if full > len(reasoning):
                trace.append(f"\n(truncated: original {full} chars)", style="italic")
            self.query_one("#reasoning", Static).update(trace)
        labels = Text("axis labels\n", style="bold")
        sources = s.get("label_sources") or {}
        if isinstance(sources, str):
            try:
                sources = json.loads(sources)
            except ValueError:
                sources = {}
        for axis in AXES:
            value = s.get(axis)
            source = sources.get(axis) if isinstance(sources, dict) else None
            labels.append(f"{axis:>20}: {value or '(unlabelled)'}")
            labels.append(f"  (source: {source or 'none'})\n")
        self.query_one("#labels", Static).update(labels)
        self.sub_title = sample_name(s)
        self.set_status(f"{sample_name(s)} · b: back")
