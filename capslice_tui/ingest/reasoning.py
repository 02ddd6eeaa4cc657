"""Reasoning traces split off model responses, for every reader.

Reasoning models write a trace before their answer. The trace is kept (shown beside the
response) but the answer is what gets scored and classified, as the harnesses do: lmms-eval 0.7
strips ``<think>...</think>`` before scoring and logs the raw text in ``resps``; lm-eval's
``think_end_token`` keeps only the text after the end token; lighteval keeps
``model_response.reasonings`` apart from ``text``.

Marker pairs recognised (opening marker optional, because chat templates of DeepSeek-R1 and Qwen3
put the opening ``<think>`` in the prompt, so the generation holds only the closing one):

* ``<think>`` / ``</think>`` (DeepSeek-R1, Qwen3, QwQ, Qwen3-VL), ``<thinking>`` / ``</thinking>``,
  ``<reasoning>`` / ``</reasoning>`` (lmms-eval's documented custom pair), ``<seed:think>`` /
  ``</seed:think>`` (Seed-OSS), ``◁think▷`` / ``◁/think▷`` (Kimi-VL-Thinking), ``[THINK]`` /
  ``[/THINK]`` (Magistral), ``<|START_THINKING|>`` / ``<|END_THINKING|>`` (Command A Reasoning);
* ``<|begin_of_thought|>`` / ``<|end_of_thought|>`` (Sky-T1, OpenThoughts), whose answer sits in
  ``<|begin_of_solution|>...<|end_of_solution|>`` (the wrapper is removed from the answer);
* gpt-oss harmony channels: ``<|channel|>analysis<|message|>...`` then
  ``<|channel|>final<|message|>answer``, and the same with the special tokens dropped by the
  decoder (``analysis...assistantfinal...``, the text starting with ``analysis``).

Rules: the split is at the last closing marker; the trace is everything before it (the opening
marker removed, inner markers kept verbatim), the answer everything after it (leading whitespace
and answer wrappers removed). A trace that is opened but never closed is left in the response
untouched (lmms-eval does the same): there is no answer after it, and the failure-mode
classifier must see a generation that never finished its reasoning (cap, repetition) rather
than an empty answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord

# (opening marker, closing marker); the first pair whose closing marker occurs wins
_PAIRS: tuple[tuple[str, str], ...] = (
    ("<think>", "</think>"),
    ("<thinking>", "</thinking>"),
    ("<reasoning>", "</reasoning>"),
    ("<|begin_of_thought|>", "<|end_of_thought|>"),
    ("<seed:think>", "</seed:think>"),
    ("◁think▷", "◁/think▷"),
    ("[THINK]", "[/THINK]"),
    ("<|START_THINKING|>", "<|END_THINKING|>"),
    ("<|channel|>analysis<|message|>", "<|channel|>final<|message|>"),
)
_HARMONY_PLAIN = ("analysis", "assistantfinal")
_ANSWER_WRAPPERS: tuple[str, ...] = (
    "<|begin_of_solution|>",
    "<|end_of_solution|>",
    "<|START_RESPONSE|>",
    "<|END_RESPONSE|>",
    "<|return|>",
    "<|end|>",
)
_TRACE_PREFIXES: tuple[str, ...] = ("<|start|>assistant",)


def _clean_answer(text: str) -> str:
    for wrapper in _ANSWER_WRAPPERS:
        if wrapper in text:
            text = text.replace(wrapper, "")
    return text.strip()


def _clean_trace(text: str, opening: str) -> str:
    trace = text.strip()
    for prefix in _TRACE_PREFIXES:
        if trace.startswith(prefix):
            trace = trace[len(prefix) :].lstrip()
    if trace.startswith(opening):
        trace = trace[len(opening) :]
    for tail in ("<|start|>assistant", "<|end|>"):
        if trace.rstrip().endswith(tail):
            trace = trace.rstrip()[: -len(tail)]
    return trace.strip()


def split_reasoning(text: str | None) -> tuple[str | None, str | None]:
    """Split a response into ``(reasoning, answer)`` (rules in the module docstring).

    Args:
        text: a model response, or None.

    Returns:
        ``(None, text)`` when the text holds no closed trace (``text`` unchanged); otherwise the
        trace (may be ``""``) and the answer after it (may be ``""``: the model wrote nothing
        after its reasoning).
    """
    if not text:
        return None, text
    # every closing marker holds one of these characters; single-character tests are memchr
    # scans, far cheaper than the substring searches below on the usual marker-free response
    if ">" in text or "]" in text or "▷" in text:
        for opening, closing in _PAIRS:
            end = text.rfind(closing)
            if end >= 0:
                trace = _clean_trace(text[:end], opening)
                return trace, _clean_answer(text[end + len(closing) :])
    start, marker = _HARMONY_PLAIN
    if text[:64].lstrip().startswith(start):
        end = text.rfind(marker)
        if end >= 0:
            trace = text.lstrip()[len(start) :]
            trace = trace[: trace.rfind(marker)]
            return trace.strip(), _clean_answer(text[end + len(marker) :])
    return None, text


def apply_reasoning(record: SampleRecord) -> SampleRecord:
    """Move a closed reasoning trace from ``record.response`` to ``record.reasoning`` in place.

    A trace the reader already found (lighteval's ``reasonings``) is kept; a trace also found in
    the response is appended to it.

    Returns:
        the same record.
    """
    text = record.response
    # the tests of split_reasoning that find no trace in most responses, made here (no
    # call): a closing marker holds one of these characters, and a harmony answer without
    # its special tokens starts with "analysis"; split_stream makes them too
    if not text or not (">" in text or "]" in text or "▷" in text or "analysis" in text[:64]):
        return record
    trace, answer = split_reasoning(text)
    if trace is None:
        return record
    record.response = answer
    record.reasoning = trace if not record.reasoning else f"{record.reasoning}\n\n{trace}"
    return record


def split_stream(
    records: Iterator[SampleRecord | BadLine], ctx: ReadContext | None = None
) -> Iterator[SampleRecord | BadLine]:
    """The records of any reader with :func:`apply_reasoning` applied to each sample.

    With ``ctx``, once the stream is drawn to its end, a note saying how many samples hold a
    trace is appended to ``ctx.run_meta["reader_notes"]`` (the ingest report prints it).
    """
    with_trace = 0
    for record in records:
        if isinstance(record, SampleRecord):
            text = record.response
            # apply_reasoning's first tests, made here (no call for most responses)
            if text and (">" in text or "]" in text or "▷" in text or "analysis" in text[:64]):
                apply_reasoning(record)
            if record.reasoning is not None:
                with_trace += 1
        yield record
    if ctx is not None and with_trace:
        note_traces(ctx, with_trace)


def note_traces(ctx: ReadContext, with_trace: int) -> None:
    """Append the note saying how many samples held a reasoning trace (``with_trace`` > 0)
    to ``ctx.run_meta["reader_notes"]``."""
    ctx.run_meta.setdefault("reader_notes", []).append(
        f"{with_trace} response{'s' if with_trace != 1 else ''} held a reasoning trace "
        "(<think>...</think> or the like): "
        "kept apart (capslice sample shows it); the text after it was scored and classified"
    )
