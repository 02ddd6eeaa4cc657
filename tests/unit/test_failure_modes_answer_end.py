"""Where a response ends: a complete final answer, or an answer cut mid-word at the cap.

BBH dyck_languages reasoning leaves brackets open by design (``stack: ( {``); a text that ends
in ``So the answer is ).`` is whole, and a wrong one is a wrong answer, not a truncation. An
answer cut at the cap (``So the answer is Y`` for ``Yes``, the demo's bbh-eos-masked run) is a
truncation, not a wrong answer. The tails below are copied from those samples.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.analysis import failure_modes as fm
from capslice_tui.analysis.failure_modes import classify, cut_answer, ends_cut
from capslice_tui.ingest import scoring

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# BBH CoT dyck_languages (code-davinci-002), the ends of two complete wrong answers
DYCK_EMPTY = (
    "25: { ; stack: {\n26: } ; stack: empty\n"
    'Now, we have reached the end. The final stack is "empty".\n'
    'We will need to pop out "empty" one by one in that order.\n'
    'So, we need "empty". So the answer is empty.'
)
DYCK_CLOSE = (
    "20: ] ; stack: ( {\n21: > ; stack: (\n"
    'Now, we have reached the end. The final stack is "(".\n'
    'We will need to pop out "(".\n'
    'So, we need ")". So the answer is ).'
)
# a dyck trace cut before any final statement
DYCK_CUT = "5: [ ; stack: { < { { [\n6: < ; stack: { < { { [ <"

# demo bbh-eos-masked sample 777 (sports_understanding, target Yes): its last 900 characters
PAD = (
    "Each step above follows from the statements in the input. The same reasoning applies to "
    "similar problems with more objects. Another way to see this is to write down the "
    "intermediate results in a table. To double-check, we can redo the last step in a slightly "
    "different order. If any statement were different, the result could change. Another way "
    "to see this is to write down the intermediate results in a table. This kind of puzzle is "
    "solved by careful bookkeeping of each fact. The same reasoning applies to similar "
    "problems with more objects. The sentence is set in a soccer game. Each step above follows "
    'from the statements in the input. The action "earned a corner kick" belongs to a '
    "particular sport, which we compare with the setting. Each step above follows from the "
    "statements in the input. If any statement were different, the result could change. "
)
EOS_MASKED_TAIL = PAD + "If any statement were different, the result. So the answer is Y"


def test_complete_final_answer_is_not_cut_by_open_brackets() -> None:
    assert ends_cut(DYCK_EMPTY) is None
    assert ends_cut(DYCK_CLOSE) is None
    assert ends_cut("stack: ( { [\nSo the answer is ) ]") is None  # no full stop: still whole
    for text, target, answer in ((DYCK_EMPTY, ")", "empty"), (DYCK_CLOSE, "] )", ")")):
        mode = classify(
            text, target, False, answer, "bracket_sequence", lenient_answer=answer,
            lenient_correct=False,
        )  # fmt: skip
        assert mode.mode == "wrong_answer", mode.reason
        assert "cut_end" not in mode.signals


def test_texts_cut_mid_expression_stay_truncated() -> None:
    assert ends_cut(DYCK_CUT) == "ends mid-expression (an open brace)"
    mode = classify(DYCK_CUT, "> ] } } > }", False, "[invalid]", "bracket_sequence")
    assert mode.mode == "truncated"
    assert "ends mid-expression (an open brace)" in mode.reason
    # an answer statement whose own value leaves a bracket open is not complete
    assert ends_cut("So the answer is \\frac{1") == "ends mid-expression (an open brace)"
    assert ends_cut("x = {1, 2\nSo the answer is 5. Let me check {3") is not None
    assert ends_cut("We get $x = 3$ so the answer is $\\frac{1}{2") is not None
    assert ends_cut("Then {a, b\nthe answer is 3 +") == "ends mid-expression (on '+')"
    assert ends_cut("So the answer is (").startswith("ends mid-answer")  # type: ignore[union-attr]


def test_answer_cut_mid_word_at_the_cap_is_truncated() -> None:
    assert len(EOS_MASKED_TAIL) >= fm.CAP_CHAR_FRACTION * fm.CHARS_PER_TOKEN * 256
    mode = classify(
        EOS_MASKED_TAIL, "Yes", False, "", "yes_no", max_gen_toks=256, lenient_answer="Y",
        lenient_correct=False,
    )  # fmt: skip
    assert mode.mode == "truncated", mode.reason
    assert mode.reason.startswith(
        "ends mid-answer ('Y' is the start of 'Yes' and the text ends there): response "
    )
    assert "about the cap of max_gen_toks 256" in mode.reason
    assert "so the answer was cut, not wrong" in mode.reason
    assert mode.signals[0] == "cap" and "cut_end" in mode.signals
    # 'N' for target Yes: the start of the other option of the format
    no = classify(
        PAD + "So the answer is N", "Yes", False, "", "yes_no", max_gen_toks=256,
        lenient_answer="N", lenient_correct=False,
    )  # fmt: skip
    assert no.mode == "truncated" and "'N' is the start of 'No'" in no.reason


def test_whole_or_uncapped_answers_stay_wrong() -> None:
    def mode_of(text: str, answer: str, cap: int | None = 256) -> str:
        return classify(
            text, "Yes", False, "", "yes_no", max_gen_toks=cap, lenient_answer=answer,
            lenient_correct=False,
        ).mode  # fmt: skip

    assert mode_of(PAD + "So the answer is No", "No") == "wrong_answer"  # a whole option
    assert mode_of(PAD + "So the answer is Y.", "Y") == "wrong_answer"  # a full stop after it
    assert mode_of("So the answer is Y", "Y") == "wrong_answer"  # far below the cap
    assert mode_of("So the answer is Y", "Y", cap=None) == "wrong_answer"  # no cap known


def test_cut_answer() -> None:
    assert cut_answer("So the answer is Y", "Y", "Yes", "yes_no") == ("Y", "Yes")
    assert cut_answer("So the answer is v", "v", "invalid", "valid_invalid") == ("v", "valid")
    assert cut_answer("So the answer is in ", "in", "valid", "valid_invalid") == (
        "in",
        "invalid",
    )
    assert cut_answer("gives F", "F", "True", "true_false") == ("F", "False")
    assert cut_answer("= 1", "1", "12", "integer") == ("1", "12")  # a prefix of the target
    assert cut_answer("So the answer is Yes", "Yes", "No", "yes_no") is None
    assert cut_answer("So the answer is Y. Then", "Y", "Yes", "yes_no") is None  # not the end
    assert cut_answer("the answer is xY", "Y", "Yes", "yes_no") is None  # mid-word
    assert cut_answer("the answer is 7", "7", "6", "integer") is None
    assert cut_answer("", "Y", "Yes", "yes_no") is None
    assert cut_answer("the answer is", "", "Yes", "yes_no") is None


def test_format_options_are_the_scorer_word_pairs() -> None:
    pairs = {k: tuple(w.lower() for w in v) for k, v in fm._FORMAT_OPTIONS.items()}
    assert pairs == scoring._WORD_PAIRS


def test_real_bbh_dyck_ends() -> None:
    path = DATA / "bbh" / "outputs" / "code-davinci-002_cot.jsonl"
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    ends: dict[str | None, int] = {}
    with path.open() as fh:
        for r in map(json.loads, fh):
            if r["task"] == "dyck_languages":
                end = ends_cut(r["prediction"])
                ends[end] = ends.get(end, 0) + 1
    # 250 dyck generations: 51 stop inside the stack trace (cut); the other 199 end in a
    # final answer or a closed sentence (49 of them, complete, were read as cut before)
    assert ends == {None: 199, "ends mid-expression (an open brace)": 51}
