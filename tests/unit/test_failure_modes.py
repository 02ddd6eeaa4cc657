"""Failure-mode rules on small hand-made responses, plus real loops from the BBH outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.analysis.failure_modes import (
    MODES,
    classify,
    classify_many,
    mode_counts,
    signal_counts,
)

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

COT_OK = "Let's think step by step. 3 + 4 = 7. So the answer is 7."


def test_empty() -> None:
    assert classify(None, "7", None, None, "integer").mode == "empty"
    fm = classify("  \n ", "7", False, "[invalid]", "integer")
    assert fm.mode == "empty" and "blank" in fm.reason


def test_correct_official_and_lenient_fallback() -> None:
    assert classify(COT_OK, "7", True, "7", "integer").mode == "correct"
    assert classify(COT_OK, "7", 1.0, "7", "integer").mode == "correct"
    # no official score: the lenient re-scoring decides
    fm = classify(COT_OK, "7", None, None, "integer", lenient_answer="7", lenient_correct=True)
    assert fm.mode == "correct" and "no official score" in fm.reason


def test_wrong_answer() -> None:
    fm = classify(
        "So the answer is 8.", "7", False, "8", "integer", lenient_answer="8",
        lenient_correct=False,
    )  # fmt: skip
    assert fm.mode == "wrong_answer"
    assert "'8'" in fm.reason and "'7'" in fm.reason
    # no lenient input: the official extraction is the answer
    assert classify("So the answer is 8.", "7", False, "8", "integer").mode == "wrong_answer"
    # nothing extracted, nothing abnormal
    fm = classify("I am not sure.", "7", False, "[invalid]", "integer")
    assert fm.mode == "wrong_answer" and "no answer found" in fm.reason
    # the reason explains why a missing answer counts as wrong (no contradiction)
    fm = classify("I am not sure.", "7", False, None, "integer")
    assert fm.mode == "wrong_answer"
    assert "ended normally" in fm.reason and "counts as a wrong answer" in fm.reason
    assert "gave None" not in fm.reason and "returned nothing" in fm.reason


def test_extraction_failure_names_the_answer_and_the_cap() -> None:
    text = "The statement holds, so the final verdict: False\n" + "More words here. " * 40
    fm = classify(
        text, "False", False, "[invalid]", "true_false", max_gen_toks=256,
        n_output_tokens=256, lenient_answer="False", lenient_correct=True,
    )  # fmt: skip
    assert fm.mode == "extraction_failure"
    assert (
        "answer present: lenient extraction found 'False' but official extraction gave "
        "'[invalid]'" in fm.reason
    )
    assert "response 256 tokens of max_gen_toks 256" in fm.reason
    assert fm.signals[:2] == ("answer_present", "cap")


def test_truncated_by_finish_reason_tokens_or_characters() -> None:
    text = "Step 1: add the numbers. Step 2: we now consider the case where"
    fm = classify(text, "7", False, "[invalid]", "integer", finish_reason="length")
    assert fm.mode == "truncated" and "finish_reason=length" in fm.reason
    fm = classify(
        text, "7", False, "[invalid]", "integer", max_gen_toks=64, n_output_tokens=63
    )  # fmt: skip
    assert fm.mode == "truncated" and "63 tokens of max_gen_toks 64" in fm.reason
    # a lenient "last number" fallback on a cut text is not a final answer
    fm = classify(
        text, "7", False, "2", "integer", finish_reason="length", lenient_answer="2",
        lenient_correct=False,
    )  # fmt: skip
    assert fm.mode == "truncated"
    # no token counts: character proxy (>= 0.9 * 3.5 * max_gen_toks chars)
    long_text = " ".join(f"term{i:03d}" for i in range(125))  # 999 chars, no final answer
    assert classify(long_text, "7", False, None, "integer", max_gen_toks=256).mode == "truncated"
    assert classify(long_text, "7", False, None, "integer", max_gen_toks=512).mode != "truncated"
    # a harness saying it stopped normally overrides the length proxy
    stopped = classify(long_text, "7", False, None, "integer", max_gen_toks=256,
                       finish_reason="stop")  # fmt: skip
    assert stopped.mode != "truncated"


def test_runaway_repetition_loop() -> None:
    text = "Sorted: apple banana " + "cherry date " * 60
    fm = classify(text, "apple banana cherry date", False, "[invalid]", "word_list")
    assert fm.mode == "runaway"
    assert "repeated 8-gram" in fm.reason and "in tail" in fm.reason
    # a loop with an answer-shaped token still has no final answer
    fm = classify(text, "x", False, "cherry", "word_list", lenient_answer="date",
                  lenient_correct=False)  # fmt: skip
    assert fm.mode == "runaway"


def test_runaway_new_block_and_literal_stop_token() -> None:
    text = "We compute 3 + 4 = 7.\nQ: What is 2 + 2?\nA: Let's think step by step."
    fm = classify(text, "7", False, "[invalid]", "integer")
    assert fm.mode == "runaway" and "new 'Q:' block" in fm.reason
    fm = classify("The result is seven.</s>Then another question", "7", False, None, "integer")
    assert fm.mode == "runaway" and "EOS token '</s>' written as text" in fm.reason
    fm = classify(
        "Seven.<|im_end|>\n<|im_start|>user", "7", False, "[invalid]", "integer",
        eos_token="<|im_end|>",
    )  # fmt: skip
    assert fm.mode == "runaway" and "'<|im_end|>'" in fm.reason
    fm = classify("Seven. Problem: next one", "7", False, None, "integer", until=["Problem:"])
    assert fm.mode == "runaway" and "stop sequence 'Problem:'" in fm.reason
    # a stated wrong answer followed by a new block stays a wrong answer, with evidence
    fm = classify(
        "So the answer is 8.\nQ: next", "7", False, "8", "integer", lenient_answer="8",
        lenient_correct=False,
    )  # fmt: skip
    assert fm.mode == "wrong_answer" and "new_block" in fm.signals
    assert "block at char 20 (after the answer)" in fm.reason


def test_no_false_loop_on_normal_reasoning() -> None:
    text = " ".join(f"Step {i}: move item {i} to box {i % 3}." for i in range(60))
    assert "repetition" not in classify(text, "x", False, "[invalid]", "free_text").signals


def test_classify_many_broadcasts_and_checks_lengths() -> None:
    out = classify_many(
        [COT_OK, "", "So the answer is 8."], ["7", "7", "7"], [True, False, False],
        ["7", "[invalid]", "8"], "integer", max_gen_toks=256, until=["</s>", "Q:"],
    )  # fmt: skip
    assert [m.mode for m in out] == ["correct", "empty", "wrong_answer"]
    counts = mode_counts(out)
    assert set(counts) == set(MODES) and counts["correct"] == 1
    assert signal_counts(out)["n"] == 3
    with pytest.raises(ValueError, match="official_correct has 2 entries for 3 samples"):
        classify_many(["a", "b", "c"], "x", [False, False])


def _bbh(name: str) -> dict[tuple[str, int], dict]:
    path = DATA / "bbh" / "outputs" / name
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    with path.open() as fh:
        return {(r["task"], r["doc_id"]): r for r in map(json.loads, fh)}


def test_real_loops_in_bbh_outputs() -> None:
    direct = _bbh("code-davinci-002_direct.jsonl")
    r = direct[("word_sorting", 55)]
    fm = classify(r["prediction"], r["target"], False, r["prediction"], "word_list")
    assert fm.mode == "runaway" and "'aspect aspect" in fm.reason
    cot = _bbh("code-davinci-002_cot.jsonl")
    r = cot[("formal_fallacies", 230)]
    fm = classify(r["prediction"], r["target"], False, "[invalid]", "valid_invalid")
    assert fm.mode == "runaway" and "repeated 10 times in a row" in fm.reason
    # stack traces in dyck_languages repeat n-grams of symbols but are not loops
    for (task, _), r in cot.items():
        if task == "dyck_languages":
            fm = classify(r["prediction"], r["target"], False, "[invalid]", "bracket_sequence")
            assert "repetition" not in fm.signals, r["doc_id"]
    loops = [
        key
        for key, r in cot.items()
        if "repetition" in classify(r["prediction"], r["target"], False, "x", "").signals
    ]
    # exact loops among the 6,511 CoT generations; 3 are paragraphs of 7+ sentences or lines
    # (geometric_shapes 42, snarks 42 and 173), each repeated back to back and cut mid-copy
    assert len(loops) == 23
    assert {("geometric_shapes", 42), ("snarks", 42), ("snarks", 173)} <= set(loops)
    r = cot[("geometric_shapes", 42)]
    fm = classify(r["prediction"], r["target"], False, "[invalid]", "multiple_choice")
    assert fm.mode == "runaway" and "repeated 7 times in a row" in fm.reason
