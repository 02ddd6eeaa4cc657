"""The tail-first checks of failure_modes give what the whole-text regexes give.

``ends_cut`` reads the operator and open-answer ends from the end of the text, and
``final_answer_evidence`` tries its pattern only where a match can start; both must agree with
the plain regex searches they replace on texts built to stress the edges (overlapping answer
statements, ``A:`` lines after blanks, letter runs after a backslash, brackets near the end,
non-ASCII case folding).
"""

from __future__ import annotations

import random

from capslice_tui.analysis import failure_modes as fm

PIECES = [
    "answer", "Answer", "ANSWER", " the ", "THE answer", "final answer", "Final Answer", ":",
    " is ", "is", "####", "#", " ", "\n", "\t", "A:", "  A: ", "x", "12", "(", "[", "(B",
    "\\frac", "\\", "+", "*", "_", "{", "}", "$", "-", "so ", "tHe ", "fin", "al ", "ſ", "İ",
]  # fmt: skip


def _texts(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 14))) for _ in range(n)]


def test_last_final_answer_is_the_last_finditer_match() -> None:
    for text in _texts(10_000):
        hits = list(fm._FINAL_ANSWER.finditer(text))
        assert fm._last_final_answer(text) == (hits[-1].start() if hits else None), repr(text)


def test_tail_end_checks_match_the_whole_text_search() -> None:
    for text in _texts(10_000, seed=11):
        text = text.rstrip()
        if not text:
            continue
        assert fm._ends_on_operator(text) is (fm._OPERATOR_END.search(text) is not None), text
        assert fm._ends_answer_open(text) is (fm._ANSWER_OPEN_END.search(text) is not None), text


def test_overlapping_statements_keep_finditer_order() -> None:
    # finditer consumes "the answer is a" before the later "answer: x" could start
    text = "so the answer is answer: x"
    assert fm._last_final_answer(text) == text.index("the")
    assert fm.final_answer_evidence("work\n  A: 42") == "A: 42"


def test_stop_cut_repeated_call_is_the_same_answer() -> None:
    text = "The answer is 4.\nQuestion: next"
    first = fm.stop_cut(text, ["Q"], None)
    assert first is not None and first.kind == "new_block"
    assert fm.stop_cut(text, ("Q",), None) is first
    assert fm.stop_cut(text, ["Question:"], None) == fm._stop_cut(text, ["Question:"], None)
    assert fm.stop_cut(text, ["Question:"], None).kind == "stop_sequence"  # type: ignore[union-attr]
