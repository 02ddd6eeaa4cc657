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


def _tail_loop_by_split(response: str, output_constraint: str) -> str | None:
    """``_tail_loop`` as it was before its cheap pre-checks: the tail always split in words."""
    from collections import Counter

    if len(response) < fm.NGRAM * fm.MIN_REPEATS * 2:
        return None
    words = response[-fm.TAIL_WORDS * 12 :].split()[-fm.TAIL_WORDS :]
    if len(words) >= fm.NGRAM * fm.MIN_REPEATS:
        probe = " ".join(words[-fm.NGRAM - 1 : -1])
        joined = " ".join(words)
        count = joined.count(probe)
        if (
            count >= fm.MIN_REPEATS
            and Counter(joined.split(probe)[1:-1]).most_common(1)[0][1] >= fm.MIN_REPEATS - 1
        ):
            text = probe if len(probe) <= 40 else probe[:37] + "..."
            return f"repeated {fm.NGRAM}-gram {text!r} x{count} in tail"
    if output_constraint != "bracket_sequence" and len(response) >= fm.PERIOD_TAIL_CHARS:
        tail = response[-fm.PERIOD_TAIL_CHARS :]
        for p in range(1, fm.MAX_PERIOD + 1):
            if tail[p:] == tail[:-p] and tail.strip():
                return f"repeated {tail[-p:]!r} x{fm.PERIOD_TAIL_CHARS // p} in tail"
    return None


def test_tail_loop_prechecks_give_the_split_result() -> None:
    """Loops of word units joined by single spaces, other ASCII spaces, non-ASCII spaces or
    nothing, after heads of up to 900 words; words that contain each other (``a``, ``aa``)."""
    rng = random.Random(2)
    words = "the of a b so answer 42 x True . ( ) é 中 ab ba aa".split()
    seps = [" ", " ", "  ", "\n", " \n ", "\u00a0", "\t", "", "\x1c"]
    found = 0
    for _ in range(3000):
        unit = rng.choice([" ", "", "  "]).join(
            rng.choice(words) for _ in range(rng.choice([1, 3, 8, 9, 20]))
        )
        head = " ".join(rng.choice(words) for _ in range(rng.randint(0, 900)))
        sep = rng.choice(seps)
        text = (
            head + sep + sep.join([unit] * rng.randint(0, 60)) + rng.choice(["", " tr", "\n", "  "])
        )
        if rng.random() < 0.3:
            text = text.replace(" ", rng.choice(["\t", "  ", "\u3000", "\r\n"]), rng.randint(0, 50))
        for oc in ("free_text", "bracket_sequence"):
            expected = _tail_loop_by_split(text, oc)
            assert fm._tail_loop(text, oc) == expected, repr(text[-300:])
            found += expected is not None
    assert 1000 < found < 5000  # both outcomes are exercised
