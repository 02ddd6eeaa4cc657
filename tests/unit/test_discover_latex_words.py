"""Discover's word tokenisation drops LaTeX control words (walk 11: ``\\le`` became the
question word ``q:le`` and named a group ``le-divisible``)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from capslice_tui.analysis.discovery import SliceDiscoverer, normalise_words

MATH500 = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "math" / "math500_test.jsonl"
)
CONTROL_WORDS = {"le", "leq", "ge", "frac", "cdot", "pmod", "sqrt", "text", "dots", "times"}


def test_normalise_words_drops_control_words_and_keeps_their_arguments() -> None:
    text = r"Find all $n \le 2025$ with $\frac{n}{3} \cdot 7 \equiv 1 \pmod{9}$ in \text{cm}."
    assert normalise_words(text).split() == [
        "find", "all", "$n", "num", "$", "with", "$", "{n}{", "num", "}", "num", "num", "{",
        "num", "}$", "in", "{cm}.",
    ]  # fmt: skip


def _question_words(questions: list[str]) -> set[str]:
    rng = np.random.default_rng(0)
    responses = [f"the answer is {i}" for i in range(len(questions))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SliceDiscoverer(n_clusters=2).fit(
            responses, questions=questions, correct=rng.integers(0, 2, len(questions))
        )
    counts = model.word_counts_["q"]
    assert counts is not None
    return set(counts[1].tolist())


def test_latex_control_words_are_no_question_words() -> None:
    questions = [
        r"How many integers $n \le 2025$ are divisible by $7$?",
        r"How many integers $1 \le n \le 300$ are divisible by $3$ but not $5$?",
        r"Compute $\frac{3}{4} \cdot 8$ and give the remainder $\pmod{5}$.",
        r"Find $\sqrt{50}$ to the nearest tenth \text{cm}.",
    ] * 3
    words = _question_words(questions)
    assert {"divisible", "integers", "remainder", "cm"} <= words, words
    assert not words & CONTROL_WORDS, words & CONTROL_WORDS


def test_no_control_word_among_the_question_words_of_math500() -> None:
    if not MATH500.exists():
        pytest.skip(f"shared data not found: {MATH500}")
    problems = [json.loads(x)["problem"] for x in MATH500.read_text().splitlines()]
    # words that occur only as LaTeX control words (never plain: "times" and Asymptote's
    # "sqrt(2)" are plain words too)
    plain = {m.lower() for p in problems for m in re.findall(r"(?<![\\\w])[A-Za-z]+", p)}
    control = {m.lower() for p in problems for m in re.findall(r"\\([A-Za-z]+)", p)} - plain
    assert {"le", "frac", "cdot", "pmod"} <= control, sorted(control)
    words = _question_words(problems)
    assert "integers" in words and "remainder" in words
    assert not words & control, sorted(words & control)
