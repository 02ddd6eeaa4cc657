"""Walk 11 scoring faults.

1. A response that loops until the token cap and stops mid-loop was classified "answer
   present" (``extraction_failure``) with lenient credit: the lenient extraction's fallback
   read a word of the loop (``... = not False and True and`` -> 'True') or of the discussion
   before it (``If we look at (B), ...`` -> 'B'). A text that ends inside a repetition loop
   now gives a final-answer statement or nothing: no credit, and the loop is a ``runaway``.
   A final answer stated before the loop (or repeated by it) keeps its credit.
2. When the official extraction and the lenient one read the same answer and the official
   score is 0 (Qwen MATH doc 72 #7: '10000' for the target ``10{,}000``), the reason said
   "lenient extraction found '10000' ... but official extraction gave '10000'"; it now says
   the fault is the comparison with the target's written form, not the extraction.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.analysis.failure_modes import classify
from capslice_tui.ingest.scoring import extract_lenient_step
from capslice_tui.workspace.rescore import score_sample

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

BOOL_LOOP = (
    'We first simplify this expression "Z" as follows: "Z = True or not False and True and '
    'False = A or B" where "A = True" and "B = not False and True and False".\n'
    "Let's evaluate B: B = " + "not False and True and False = " * 40 + "not False and True and"
)
"""Sample 5 of the BIG-Bench-Hard code-davinci-002 CoT outputs, shortened: it loops to the cap."""

_A = "If we look at (A), it says that the email count becomes a server threatening issue."
_B = "If we look at (B), it says that the email count becomes a life threatening issue."
_H = (
    "This is a hyperbole, which is a figure of speech that uses exaggeration for emphasis or "
    "effect. Hyperboles are often used in sarcastic sentences."
)
_BOTH = "Above the above, both options are hyperboles. So, we need to look at the context."
PARAGRAPH_LOOP = "\n".join([f"{_A} {_H}", f"{_B} {_H}", _BOTH] * 4) + (
    f"\n{_A} {_H}\n{_B} This is a hyperbole, which is a figure of speech that uses exaggeration for"
)
"""Sample 4626 (snarks) in form: a three-line paragraph repeated, cut mid-sentence; the last
'(X)' is the model's own discussion line 'If we look at (B)'."""

DEFINITION_LOOP = (
    "If we look at (A), it says that the church had such a lock in China. "
    + 'The word "lock" is also a verb that means "to become fixed in a particular position." ' * 20
    + 'The word "lock" is also a verb that means "to become fixed in'
)
"""Sample 4663 (snarks) in form: the only '(X)' is the first discussion line, before the loop."""


def test_a_loop_cut_at_the_cap_gives_no_lenient_answer() -> None:
    for text, constraint in (
        (BOOL_LOOP, "true_false"),
        (PARAGRAPH_LOOP, "option_letter"),
        (DEFINITION_LOOP, "option_letter"),
    ):
        found = extract_lenient_step(text, constraint)
        assert (found.answer, found.step) == (None, None), (constraint, found)
    # cut at the end of a copy rather than mid-sentence: still a loop, still no conclusion
    whole_copies = "\n".join([f"{_A} {_H}", f"{_B} {_H}", _BOTH] * 4)
    assert extract_lenient_step(whole_copies, "option_letter").answer is None


def test_a_final_answer_before_the_loop_or_repeated_by_it_keeps_its_credit() -> None:
    stated = "So the answer is True.\nCheck: " + "not False and True and False = " * 40
    found = extract_lenient_step(stated, "true_false")
    assert found.answer == "True" and found.step == "last 'answer is' statement"
    repeated = "The answer is (B). " * 30 + "The answer is"
    found = extract_lenient_step(repeated, "option_letter")
    assert found.answer == "B" and "statement" in (found.step or "")
    boxed = "The total is \\boxed{42}.\n" + "Let me check: 6 * 7 = 42. " * 30 + "Let me"
    found = extract_lenient_step(boxed, "integer")
    assert found.answer == "42" and found.step == "last \\boxed{}"


def test_a_loop_the_model_left_and_concluded_after_keeps_the_fallback() -> None:
    # the repeated paragraph is not at the end: the closing '(B)' is the model's conclusion
    text = PARAGRAPH_LOOP.rsplit("\n", 2)[0] + "\nSo (B) is the sarcastic one."
    found = extract_lenient_step(text, "option_letter")
    assert found.answer == "B" and found.step == "last '(X)'"
    # a fallback with no loop at all is unchanged
    assert extract_lenient_step("So it is True.", "true_false").answer == "True"


def test_the_looped_sample_is_a_runaway_without_credit() -> None:
    for text, target, constraint in (
        (BOOL_LOOP, "True", "true_false"),
        (PARAGRAPH_LOOP, "(B)", "option_letter"),
        (DEFINITION_LOOP, "(A)", "option_letter"),
    ):
        s = score_sample(text, target, constraint, official=None, extracted=None)
        assert s.score == 0.0
        assert (s.failure_mode, s.lenient, s.lenient_extracted) == ("runaway", 0.0, None), text
        assert s.failure_reason.startswith("repetition: ")
        assert "answer present" not in s.failure_reason
        assert "answer_present" not in (s.failure_signals or "")


def test_an_answer_stated_then_looped_is_still_answer_present() -> None:
    text = "Answer: True\nCheck: " + "not False and True and False = " * 40 + "not False and"
    s = score_sample(text, "True", "true_false", official=0.0, extracted="[invalid]")
    assert (s.failure_mode, s.lenient, s.lenient_extracted) == ("extraction_failure", 1.0, "True")
    assert "lenient extraction found 'True' (last 'Answer:' statement)" in s.failure_reason


@pytest.mark.skipif(
    not (SHARED / "bbh" / "outputs" / "code-davinci-002_cot.jsonl").exists(),
    reason="shared BBH outputs not present",
)
def test_the_walk_samples_of_the_bbh_cot_outputs() -> None:
    # store ids 5, 241, 4626, 4663, 4757 of `capslice ingest code-davinci-002_cot.jsonl`
    wanted = {("boolean_expressions", 4), ("boolean_expressions", 240), ("snarks", 42),
              ("snarks", 79), ("snarks", 173)}  # fmt: skip
    seen = 0
    with (SHARED / "bbh" / "outputs" / "code-davinci-002_cot.jsonl").open() as f:
        for line in f:
            row = json.loads(line)
            if (row["task"], row["doc_id"]) not in wanted:
                continue
            seen += 1
            constraint = "true_false" if row["task"] == "boolean_expressions" else "option_letter"
            s = score_sample(row["prediction"], row["target"], constraint, official=None,
                             extracted=None)  # fmt: skip
            assert (s.failure_mode, s.lenient) == ("runaway", 0.0), (row["task"], row["doc_id"])
    assert seen == len(wanted)


QWEN_72_7 = (
    "Now, we perform the division:\n\n\\[\n70{,}000 \\div 7 = 10{,}000\n\\]\n\nTherefore, the "
    "value of \\(49{,}994 \\div 7 + 20{,}006 \\div 7\\) is \\(\\boxed{10000}\\)."
)


def test_same_answer_both_ways_blames_the_comparison_not_the_extraction() -> None:
    s = score_sample(QWEN_72_7, "10{,}000", "boxed_expression", official=0.0, extracted="10000")
    assert s.failure_mode == "extraction_failure" and s.lenient == 1.0
    reason = s.failure_reason
    assert "but official extraction gave '10000'" not in reason
    assert reason == (
        "answer present: the official extraction gave '10000' and the lenient extraction found "
        "'10000' (last \\boxed{}), the same answer, which matches the target '10{,}000'; the "
        "harness scored it wrong all the same: the fault is the harness's comparison with the "
        "target's written form, not the extraction"
    )
    assert "answer_present" in (s.failure_signals or "")


def test_different_answers_keep_the_extraction_wording() -> None:
    s = score_sample(QWEN_72_7, "10{,}000", "boxed_expression", official=0.0, extracted="9999")
    assert s.failure_mode == "extraction_failure"
    assert (
        "lenient extraction found '10000' (last \\boxed{}) but official extraction gave '9999'"
        in s.failure_reason
    )
    assert "comparison" not in s.failure_reason


def test_same_answer_of_capslices_own_score_names_capslice() -> None:
    fm = classify("... so \\boxed{10000}.", "10{,}000", 0.0, "10000", "boxed_expression",
                  lenient_answer="10000", lenient_correct=True, lenient_step="last \\boxed{}",
                  capslice_scored=True)  # fmt: skip
    assert fm.mode == "extraction_failure"
    assert "capslice's strict extraction gave '10000'" in fm.reason
    assert "capslice's strict comparison with the target's written form" in fm.reason
    assert "official" not in fm.reason.replace("no official score", "")


def test_same_answer_past_a_stop_is_the_comparison_too() -> None:
    # the harness read the same answer from the whole text: the continuation did not cost it
    text = "So the answer is \\boxed{10000}.\nQ: next question\nA: 7"
    fm = classify(text, "10{,}000", 0.0, "10000", "boxed_expression", lenient_answer="10000",
                  lenient_correct=True, lenient_step="last \\boxed{}")  # fmt: skip
    assert fm.mode == "extraction_failure"
    assert "the harness's comparison with the target's written form" in fm.reason
    assert "new 'Q:' block at char" in fm.reason  # the stop stays in the evidence
    # a different answer from the whole text is still a runaway past the stop
    fm = classify(text, "10{,}000", 0.0, "7", "boxed_expression", lenient_answer="10000",
                  lenient_correct=True, lenient_step="last \\boxed{}")  # fmt: skip
    assert fm.mode == "runaway"
