"""Runaway generations and honest truncation: case fm-01-runaway end to end, plus the rules one
by one (repetition at or below the cap, EOS or a stop sequence written as text, leaks past a stop
sequence, mid-expression endings) and the reverse (a complete final answer near a cap estimated
from characters is not truncated)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.analysis.failure_modes import (
    classify,
    ends_cut,
    final_answer_evidence,
    repeated_block,
    repetition_evidence,
    scoring_text,
    stop_cut,
)
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.rescore import score_sample

FM01 = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "fm-01-runaway" / "out"


@pytest.fixture(scope="module")
def fm01(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    ws = Workspace(tmp_path_factory.mktemp("fm01") / "s.db")
    ws.ingest([FM01], run="fm")
    rows, more = ws.samples("fm", limit=50)
    assert not more and len(rows) == 6
    return {r["doc_id"]: ws.sample(r["id"]) for r in rows}


def _signals(sample: dict) -> set[str]:
    return set((sample["failure_signals"] or "").split(",")) - {""}


def test_fm01_sentence_repeated_to_the_cap_is_a_runaway(fm01: dict[str, dict]) -> None:
    s = fm01["1"]
    assert s["failure_mode"] == "runaway"
    assert {"repetition", "cap"} <= _signals(s)
    assert s["failure_reason"].startswith(
        "repetition: sentence 'Let me double-check the computation.' repeated 60 times in a row "
        "to the cap"
    )


def test_fm01_eos_written_as_text_is_flagged_and_scored_before_it(fm01: dict[str, dict]) -> None:
    s = fm01["2"]
    assert s["failure_mode"] == "correct" and s["lenient"] == 1.0
    assert "stop_literal" in _signals(s)
    assert "EOS token '<|endoftext|>' written as text x120 from char 56" in s["failure_reason"]
    assert "scored on the text before it" in s["failure_reason"]
    assert s["lenient_extracted"] == "12"  # read from the text before the first EOS


def test_fm01_leak_past_the_stop_sequence_is_a_runaway_scored_before_it(
    fm01: dict[str, dict],
) -> None:
    s = fm01["3"]
    assert s["score"] == 0.0  # the harness took the last box, 1
    assert s["failure_mode"] == "runaway"
    assert s["lenient"] == 1.0 and s["lenient_extracted"] == "3"
    assert {"past_stop", "new_block", "answer_present"} <= _signals(s)
    assert s["failure_reason"].startswith(
        "leak: continued past the stop sequence 'Problem:' at char 50 x2: the text before it "
        "answers '3'"
    )


def test_fm01_paragraph_repeated_six_times_is_flagged(fm01: dict[str, dict]) -> None:
    s = fm01["4"]
    assert s["failure_mode"] == "correct"
    assert _signals(s) == {"repetition"}
    assert "paragraph 'We expand both sides" in s["failure_reason"]
    assert "repeated 6 times in a row" in s["failure_reason"]


def test_fm01_plain_cases(fm01: dict[str, dict]) -> None:
    assert fm01["0"]["failure_mode"] == "correct" and not _signals(fm01["0"])
    s = fm01["5"]
    assert s["failure_mode"] == "wrong_answer" and not _signals(s)
    assert s["failure_reason"].startswith("answer '3'")


# ---------------------------------------------------------------- repetition


PARA = "We expand both sides and collect the terms. Substituting back confirms the value. "


def test_paragraph_loop_with_a_wrong_final_answer_is_a_wrong_answer_flagged() -> None:
    # the model left the loop and concluded: its complete answer is wrong, the loop is a flag
    # (a format failure is a sample whose answer was lost, not one that was wrong)
    text = PARA * 7 + "The final answer is $\\boxed{3}$."
    fm = classify(text, "4", False, "3", "boxed_expression", lenient_answer="3",
                  lenient_correct=False, lenient_step="last \\boxed{}")  # fmt: skip
    assert fm.mode == "wrong_answer" and "repetition" in fm.signals
    assert "repeated 7 times in a row" in fm.reason and "to the cap" not in fm.reason
    assert fm.reason.startswith("answer '3' (last \\boxed{}) does not match target '4'")


def test_two_line_paragraph_of_seven_sentences_repeated_and_cut_mid_copy_is_a_runaway() -> None:
    # the shape of BBH geometric_shapes doc 42 (code-davinci-002 CoT): a 7-sentence, two-line
    # paragraph repeated back to back, the last copy cut mid-repeat, no answer anywhere
    para = (
        "This SVG path starts at point 54.00,61.00, creates a line, and then creates an "
        "elliptical arc. The elliptical arc is a curved line. So, this path does not draw a "
        'polygon. "circle" and "sector" are the only two curved objects on the list. So, we '
        "need to determine which one is the correct answer.\nA circle is a closed shape, "
        "whereas a sector is an open shape. Now, let's check whether this shape is closed.\n"
    )
    text = "This path can be decomposed into 3 separate commands.\n" + para * 6 + para[:150]
    block = repeated_block(text)
    assert block is not None and block[1] == 6 and block[2] == 1
    assert block[0].startswith("This SVG path starts at point 54.00,61.00")
    fm = classify(text, "(D)", False, "[invalid]", "multiple_choice")
    assert fm.mode == "runaway" and "repetition" in fm.signals
    assert "paragraph 'This SVG path starts" in fm.reason
    assert "repeated 6 times in a row" in fm.reason
    # the same paragraph twice is not a loop
    assert classify(para * 2, "(D)", False, "[invalid]", "multiple_choice").mode != "runaway"


def test_repetition_thresholds() -> None:
    short = "The value is five here. "  # 23 chars: 4 copies needed
    assert repeated_block(short * 3) is None
    assert repeated_block(short * 4) == ("The value is five here.", 4, 0)
    long_sentence = (
        "We now carefully recompute every intermediate quantity from the very start again. "
    )
    assert repeated_block("Intro line. " + long_sentence * 3)[1:] == (3, 1)  # type: ignore[index]
    assert repeated_block("Yes. " * 30) is None  # too short for a sentence loop ...
    assert repetition_evidence("Yes. " * 50).startswith("repeated 8-gram 'Yes. Yes.")  # tail loop
    steps = " ".join(f"Step {i}: add {i} to the running total of apples." for i in range(30))
    assert repeated_block(steps) is None  # steps that differ in a number are not copies


# ---------------------------------------------------------------- stop sequences and EOS


def test_stop_cut_and_scoring_text() -> None:
    text = "x = 3. The answer is 3.\n\nProblem:\nSolve y.\n\nSolution: y = 1."
    cut = stop_cut(text, until=["Problem:"])
    assert (cut.kind, cut.marker, cut.pos) == ("stop_sequence", "Problem:", 25)  # type: ignore[union-attr]
    assert scoring_text(text, until=["Problem:"]) == "x = 3. The answer is 3.\n\n"
    eos = "Done: 12." + "</s>" * 3
    assert stop_cut(eos).describe() == "EOS token '</s>' written as text x3 from char 9"  # type: ignore[union-attr]
    assert scoring_text("<|im_end|>12", eos_token="<|im_end|>") == "<|im_end|>12"  # not at 0
    assert scoring_text("a\n\nb", until=["\n\n"]) == "a\n\nb"  # blank stops occur in text
    assert scoring_text(None) is None


def test_ingest_scores_the_text_before_a_leak() -> None:
    text = "So the answer is 7.\nQ: What is 2 + 2?\nA: So the answer is 4."
    scored = score_sample(text, "7", "integer", official=None, extracted=None, until=["Q:"])
    assert scored.score == 1.0 and scored.lenient == 1.0
    assert scored.failure_mode == "correct" and "past_stop" in (scored.failure_signals or "")


# ---------------------------------------------------------------- truncation, both ways


def test_complete_final_answer_near_the_character_cap_is_not_truncated() -> None:
    body = " ".join(f"Then we add {i} more items to the pile." for i in range(50))
    text = body + "\n#### 37"  # ~2,000 chars, max_gen_toks 512 -> estimate 1,613 chars
    assert final_answer_evidence(text) == "#### 37" and ends_cut(text) is None
    fm = classify(text, "42", False, "37", "final_number", max_gen_toks=512,
                  lenient_answer="37", lenient_correct=False)  # fmt: skip
    assert fm.mode == "wrong_answer" and "cap" not in fm.signals
    assert "ends in a complete final answer (#### 37), so it is not counted truncated" in fm.reason
    # the same text with a logged cap hit is truncated: the log says so
    fm = classify(text, "42", False, "37", "final_number", max_gen_toks=512,
                  n_output_tokens=512, lenient_answer="37", lenient_correct=False)  # fmt: skip
    assert fm.mode == "truncated" and "the log says it hit the cap" in fm.reason


def test_visibly_cut_text_near_the_character_cap_is_truncated() -> None:
    body = " ".join(f"Then we add {i} more items to the pile." for i in range(50))
    fm = classify(body + " So the total is", "42", False, None, "final_number",
                  max_gen_toks=512, lenient_answer="49", lenient_correct=False)  # fmt: skip
    assert fm.mode == "truncated"
    assert "(~3.5 chars/token) and no final answer and it ends mid-sentence" in fm.reason
    assert {"cap", "cut_end"} <= set(fm.signals)


def test_mid_expression_ending_is_truncated_with_or_without_a_cap() -> None:
    text = "We have $x = \\frac{3}{4} + \\frac{1"
    assert ends_cut(text) == "ends mid-expression (an open brace)"
    fm = classify(text, "1", False, None, "boxed_expression", lenient_answer="3",
                  lenient_correct=False)  # fmt: skip
    assert fm.mode == "truncated" and "no cap hit logged, but the text is visibly cut" in fm.reason
    assert ends_cut("so 16 - 3 = <<16-3=") == "ends mid-expression (an open <<...>> annotation)"
    assert ends_cut("the sum is 3 +").startswith("ends mid-expression")
    # currency is not LaTeX: an odd number of $ in plain text is no open formula
    assert ends_cut("She pays $5 for each of the 3 books.") is None
    assert ends_cut("So the answer is (B)") is None
    assert ends_cut('The third letter: "shampoo": "a"').startswith("ends mid-sentence")


def test_run_level_inference_skips_complete_answers_and_runaways(tmp_path: Path) -> None:
    """The synthetic-store fault: long complete wrong answers ending ``#### 37`` in a task
    with no logged cap were all classed truncated."""
    lines = []
    for i in range(30):
        body = " ".join(f"Step {j}: we carry {i + j} units over." for j in range(20))
        response = body + ("\n#### 37" if i < 20 else " and then we carry")
        row = {"task": "t", "doc_id": i, "question": f"q{i}", "target": "999"}
        lines.append(json.dumps({**row, "response": response, "correct": 0}))
    src = tmp_path / "preds.jsonl"
    src.write_text("\n".join(lines) + "\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([src], run="r")
    rows, _ = ws.samples("r", limit=100)
    modes = {int(r["doc_id"]): r["failure_mode"] for r in rows}
    assert {modes[i] for i in range(20)} == {"wrong_answer"}
    assert {modes[i] for i in range(20, 30)} == {"truncated"}
    reason = ws.sample(next(r["id"] for r in rows if r["doc_id"] == "25"))["failure_reason"]
    assert reason.startswith("no generation cap logged:") and "ends mid-sentence" in reason


def test_fm01_correct_samples_store_the_extracted_answer_not_the_response(
    fm01: dict[str, dict],
) -> None:
    # the harness's filter is "none": its filtered_resps is the whole response, so the lenient
    # answer of a correct sample is extracted from the text, not copied from the harness
    assert fm01["0"]["lenient_extracted"] == "5"
    assert fm01["4"]["lenient_extracted"] == "4"
    assert fm01["0"]["extracted"].startswith("Subtract 3")  # the harness's value, as logged
    s = score_sample("So x = 7.", "7", "boxed_expression", official=1.0, extracted="So x = 7.")
    assert s.lenient_extracted == "7" and s.lenient == 1.0
    s = score_sample("no number here", "7", "boxed_expression", official=1.0,
                     extracted="no number here")  # fmt: skip
    assert s.lenient_extracted is None and s.lenient == 1.0
