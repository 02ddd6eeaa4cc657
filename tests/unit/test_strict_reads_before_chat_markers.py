"""A chat-template marker or a new few-shot question ends the answer (case ext-05, Rich#2636).

``The answer is 56. [/INST] [INST] What is 9 * 9? [/INST]`` (a Llama 2 chat model writing the
next turn) was read by capslice's strict extraction as ``56. [/INST] [INST] What is 9 * 9?
[/INST]``, the rest of the line, and scored 0. The generation ended at the marker: strict and
lenient alike read the text before it (``failure_modes.stop_cut``), and the sample is flagged.
The same for every template's turn marker (``[/INST]``, ``<|im_start|>``,
``<|start_header_id|>``, ``<start_of_turn>``, ``<|user|>``), the end tokens written as text
(``</s>``, ``<|im_end|>``, ``<|eot_id|>``) and a ``Q:`` restart, on a new line or the same one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace.rescore import score_sample

EXT05 = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "cases"
    / "ext-05-markup-in-text"
    / "llama2chat_arith.jsonl"
)


def test_ext05_the_answer_before_inst_reads_56(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([EXT05], run="llama2[chat]")
    rows, _ = ws.samples("llama2[chat]", limit=10)
    first = ws.sample(next(r["id"] for r in rows if r["doc_id"] == "0"))
    assert first["extracted"] == "56" and first["score"] == 1.0  # was '56. [/INST] [INST] ...', 0
    assert first["failure_mode"] == "correct"
    assert "stop_literal" in (first["failure_signals"] or "")
    assert (
        "chat-template marker '[/INST]' written as text x2 from char 30"
        in (first["failure_reason"])
    )
    assert "official score correct" not in first["failure_reason"]  # the log has none


@pytest.mark.parametrize(
    "rest",
    [
        "[/INST] [INST] What is 9 * 9? [/INST] The answer is 81.",
        "<|im_start|>user\nWhat is 9 * 9?<|im_end|>\n<|im_start|>assistant\nThe answer is 81.",
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 9 * 9? The answer is 81.",
        "<start_of_turn>user\nWhat is 9 * 9?<end_of_turn>\nThe answer is 81.",
        "<|user|>\nWhat is 9 * 9? The answer is 81.",
        "</s> The answer is 81.",
        "<|im_end|> The answer is 81.",
        "<|eot_id|> The answer is 81.",
        "Q: What is 9 * 9? A: 9 * 9 = 81. The answer is 81.",
        "\nQ: What is 9 * 9?\nA: The answer is 81.",
    ],
)
def test_strict_and_lenient_read_the_answer_before_the_marker(rest: str) -> None:
    got = score_sample(
        "7 * 8 = 56. The answer is 56. " + rest, "56", "integer", official=None, extracted=None
    )
    assert (got.extracted, got.score) == ("56", 1.0), got
    assert (got.lenient_extracted, got.lenient) == ("56", 1.0), got
    assert got.failure_mode == "correct" and got.failure_signals, got


def test_a_question_inside_the_reasoning_is_no_restart() -> None:
    got = score_sample("The key Q: is whether 7 * 8 = 56. The answer is 56.", "56", "integer",
                       official=None, extracted=None)  # fmt: skip
    assert (got.extracted, got.score, got.failure_signals) == ("56", 1.0, None), got
