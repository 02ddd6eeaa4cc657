"""Every field of one sample, as plain text (model output is never parsed as markup).

Each field is shown capped (``ingest.bounded.view_text``): at most :data:`TEXT_CHARS`
characters of a long text (:data:`FIELD_CHARS` of a one-line field), its start and end around
"... N of M characters not shown here ...", so a 200 MB generation logged before capslice
capped texts at ingest still opens at once and ``b`` goes back."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Collapsible, Footer, Header, Static

from ...formatting import answer_text, extracted_label, visible
from ...ingest.bounded import view_text
from ...vocabulary import AXES
from ..format import Hanging, sample_name, verdict_mark
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


def field_text(name: str, value: Any) -> str:
    """A summary field's value as plain text (wrapped when drawn, by :class:`Hanging`, under
    the value at :data:`FIELD_INDENT`; an old ``gave None`` reason is reworded by
    ``Workspace.sample``)."""
    return _text(value, FIELD_CHARS)


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
        """The sample, and what the log scored for its item when capslice scored it: the
        CLI's own function (``capslice sample ID``'s ``log's score`` line,
        :func:`report.log_score`), so both say the same (it reads generation 0 of the item
        through the facade)."""
        from ...report import log_score

        s = self.ws.sample(self.sample_id)
        self.post_message(SampleLoaded(s, log_score(self.ws, s)))

    def on_sample_loaded(self, message: SampleLoaded) -> None:
        from ...report import for_this_sample

        s = self.sample = message.sample
        rows = [
            ("task", s.get("task")),
            ("doc_id / sample", f"{s.get('doc_id')} / #{s.get('sample_idx')}"),
            ("filter", s.get("filter")),
            ("target", s.get("target")),
            # as the samples table: '-' where none was extracted or the log kept none
            (extracted_label(s.get("score_source")), answer_text(s.get("extracted"))),
            ("extracted (lenient)", answer_text(s.get("lenient_extracted"))),
            (
                "score",
                f"{verdict_mark(s.get('score'))} {s.get('score')}  (source: "
                f"{s.get('score_source') or '-'})",
            ),
            # what the log scored for the item of a sample capslice scored (the CLI's line)
            *([("log's score", message.log_score["text"])] if message.log_score else []),
            ("lenient score", f"{verdict_mark(s.get('lenient'))} {s.get('lenient')}"),
            ("failure mode", s.get("failure_mode")),
            ("reason", for_this_sample(s.get("failure_reason"))),
        ]
        if s.get("response_sha256"):
            rows.append(
                (
                    "response stored",
                    f"start and end of {s.get('response_chars'):,} chars (the middle is not "
                    f"stored), sha256 {s['response_sha256']}",
                )
            )
        # wrapped when drawn, at the width of the moment (a resize re-wraps), each value's
        # continuation under the value; the padding keeps a blank column before the scrollbar
        fields: list[tuple[str, str] | tuple[str, str, str]] = [
            (f"{name:>20}: ", field_text(name, value), "bold") for name, value in rows
        ]
        question = s.get("question")
        if question:
            fields += [("", ""), ("question", "", "bold"), ("", _text(question))]
        self.query_one("#summary", Static).update(Hanging(fields, margin=0))
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
        sources = s.get("label_sources") or {}
        if isinstance(sources, str):
            try:
                sources = json.loads(sources)
            except ValueError:
                sources = {}
        labels: list[tuple[str, str] | tuple[str, str, str]] = [("axis labels", "", "bold")]
        for axis in AXES:
            value = s.get(axis)
            source = sources.get(axis) if isinstance(sources, dict) else None
            labels.append(
                (f"{axis:>20}: ", f"{value or '(unlabelled)'}  (source: {source or 'none'})")
            )
        self.query_one("#labels", Static).update(Hanging(labels, margin=0))
        self.sub_title = sample_name(s)
        self.set_status(f"{sample_name(s)} · b: back")
