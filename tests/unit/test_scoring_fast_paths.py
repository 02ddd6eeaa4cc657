"""The fast paths of scoring and failure-mode classification give what their full paths give.

Issue 14 (ingest speed) replaced whole-text scans by cheaper exact equivalents: the runaway and
stop markers are found by one grouped search (``scoring._cut``, ``failure_modes._stop_cut``),
the sentence/line units of ``repeated_block`` without the lookbehind regex, answer statements
without looking for localized prefixes in ASCII text that holds no ``:``, the final ``A: N``
line from the text's last ``A:``, plain numbers without the written-number cascade, and
cleaned targets and math-verify verdicts are kept. Each is compared here with the code it
replaced (copied below as the reference) on generated responses (the ingest benchmark's
random words, and texts built from pieces that stress the edges: markers that are prefixes of
one another, ties, blank runs, non-ASCII case folding) and on real ones: every text of the
repository's sample logs and case fixtures, and the shared data (BBH, GSM8K, MATH outputs)
when it is there.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.analysis import failure_modes as fm
from capslice_tui.ingest import scoring as sc

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"

PIECES = [
    "a", "b", ".", "!", "?", " ", "\n", "\t", "\r", "\u00a0", "\x1c", "\u2028", "xy", " .",
    ". ", "<", "</s>", "<|im_end|>", "<|im_", "[/INST]", "[", "\nQ:", "Q", "\nQuestion:",
    "\nProblem:", "answer", "Answer: ", "ANSWER is ", "svar:", "antwort :", "cau tra loi:",
    "A: 3", "A:", "####", "(B)", "\\boxed{", "}", "The answer is ", "True", "1,000", "$",
    "答案：", "Ответ:", ":", "-", "+", "7", "0.5", "\nA: 12", "A: -3.", " A:  5 \n",
    "#### 4", "٣", "ſ", "İ", "So the answer is (", "the answer was 9", "Respuesta**:",
    "jibu__  :", "cau tra loi :", "ODPOWIEDZ:", " svar", "vastaus", "\n:",
]  # fmt: skip
UNTILS: list[Sequence[str] | None] = [
    None, ["Q"], ["</s>", "Q", "\n\n"], ["<|im", "<|im_end|>", "Answer", "\nQ"],
    ["ab", "a.", "a"], ("</s>", "</s"),
]  # fmt: skip
EOS_TOKENS = [None, "</s>", "<|im_", "<|eot_id|>", "b.", "<"]
WORDS = "the of and to in is that for it as with was on be by this are or from at".split()


def _generated(n: int, seed: int) -> list[str]:
    """``benchmarks/ingest_speed.py``'s full-text responses, and texts built from PIECES."""
    rng = random.Random(seed)
    out = []
    for _ in range(n // 10):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 250)))
        out.append(f"{words} So the answer is {rng.choice(['True', 'False'])}.")
    out += ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 30))) for _ in range(n)]
    return out


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if len(value) >= 2:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _real() -> list[str]:
    """Every string of the repository's sample logs and case fixtures (responses, prompts,
    targets...), and the shared data's model outputs when present."""
    texts: list[str] = []
    for folder in (REPO / "sample_data", REPO / "tests" / "fixtures" / "cases"):
        for path in sorted(folder.rglob("*.json*")):
            if path.suffix not in (".json", ".jsonl"):
                continue
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    texts += _strings(json.loads(line))
                except ValueError:
                    continue
    outputs = [
        (SHARED / "bbh" / "outputs" / "code-davinci-002_cot.jsonl", ("prediction",)),
        (SHARED / "bbh" / "outputs" / "code-davinci-002_direct.jsonl", ("prediction",)),
        (SHARED / "gsm8k" / "example_model_solutions.jsonl", ("ground_truth", "6b_finetuning",
                                                               "175b_verification")),
        (SHARED / "math" / "qwen25math_math_cot_100x8.jsonl", ("response", "gt")),
    ]  # fmt: skip
    for path, keys in outputs:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                for key in keys:
                    texts += _strings(record[key])
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    real = _real()
    assert len(real) > 1000  # the repository's fixtures alone hold thousands
    return real + _generated(40_000, seed=14)


# ---------------------------------------------------------------- the replaced code


def _cut_by_finds(response: str, stop: Sequence[str] | None) -> tuple[str, str | None]:
    start = len(response) - len(response.lstrip())
    markers = list(sc.RUNAWAY_MARKERS)
    for s in stop or ():
        if isinstance(s, str) and len(s.strip()) >= 2 and s not in markers:
            markers.append(s)
    cut, which = len(response), None
    for marker in markers:
        pos = response.find(marker, start + 1)
        if 0 < pos < cut:
            cut, which = pos, marker
    return response[:cut], which


def _stop_cut_by_finds(
    response: str, until: Sequence[str] | None, eos_token: str | None
) -> fm.StopCut | None:
    found: list[tuple[int, int, str, str]] = []
    literals = [eos_token] if eos_token else []
    literals += [lit for lit in fm.STOP_LITERALS + fm.CHAT_MARKERS if lit != eos_token]
    for lit in literals:
        pos = response.find(lit, 1)
        if pos > 0:
            found.append((pos, 0, "chat_marker" if lit in fm.CHAT_MARKERS else "eos_text", lit))
    for stop in until or ():
        if isinstance(stop, str) and len(stop.strip()) >= 2 and stop not in literals:
            pos = response.find(stop, 1)
            if pos > 0:
                found.append((pos, 1, "stop_sequence", stop))
    m = fm._NEW_BLOCK.search(response, 1)
    if m is not None:
        found.append((m.start(1), 2, "new_block", m.group(1)))
    if not found:
        return None
    pos, _, kind, marker = min(found)
    count = response.count(marker) if kind != "new_block" else len(fm._NEW_BLOCK.findall(response))
    return fm.StopCut(pos, kind, marker, count)


def _statements_every_keyword(text: str) -> list[tuple[int, str, str]]:
    """``scoring._statements_from_end`` looking for every keyword (no ``:`` gate)."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return [(s.pos, s.prefix, s.tail) for s in sc._statements_from_end(text)]
    keywords = sc._PREFIX_KEYWORDS_ASCII if lowered.isascii() else sc._PREFIX_KEYWORDS
    occurrences = []
    for word, back, pattern in keywords:
        pos = lowered.find(word)
        while pos >= 0:
            occurrences.append((pos, back, pattern))
            pos = lowered.find(word, pos + 1)
    occurrences.sort(key=lambda o: o[0], reverse=True)
    out, next_start = [], len(text)
    for pos, back, pattern in occurrences:
        if pos >= next_start:
            continue
        for start in range(max(0, pos - back), pos + 1):
            matched = pattern.match(text, start)
            if matched:
                out.append((start, matched.group(0), text[matched.end() : next_start]))
                next_start = start
                break
    return out


# ---------------------------------------------------------------- comparisons


def test_runaway_cut_is_the_first_find(texts: list[str]) -> None:
    for n, text in enumerate(texts):
        stop = UNTILS[n % len(UNTILS)]
        assert sc._cut(text, stop) == _cut_by_finds(text, stop), (text, stop)


def test_stop_cut_is_the_smallest_find(texts: list[str]) -> None:
    for n, text in enumerate(texts):
        until, eos = UNTILS[n % len(UNTILS)], EOS_TOKENS[(n // 7) % len(EOS_TOKENS)]
        assert fm._stop_cut(text, until, eos) == _stop_cut_by_finds(text, until, eos), (
            text, until, eos)  # fmt: skip


def test_stop_cut_ties_prefer_a_literal_then_the_shorter_text() -> None:
    text = "x</s>...<|im_end|>"
    assert fm._stop_cut(text, ["</s"], "<|im_") == _stop_cut_by_finds(text, ["</s"], "<|im_")
    found = fm._stop_cut(text, ["</s", "</s>x"], None)
    assert found is not None and (found.kind, found.marker) == ("eos_text", "</s>")
    found = fm._stop_cut("ab<|im<|im_end|>", ["<|im"], "<|im_end|>")
    assert found is not None and (found.kind, found.marker, found.pos) == ("stop_sequence",
                                                                          "<|im", 2)  # fmt: skip


def test_units_are_the_regex_split_less_blanks(texts: list[str]) -> None:
    for text in texts:
        want = [u for u in fm._UNIT_SPLIT.split(text) if u and u.strip()]
        assert [u for u in fm._units(text) if u and u.strip()] == want, text


def test_statements_skip_only_prefixes_that_cannot_match(texts: list[str]) -> None:
    for text in texts:
        found = [(s.pos, s.prefix, s.tail) for s in sc._statements_from_end(text)]
        assert found == _statements_every_keyword(text), text
    assert [s.prefix for s in sc._statements_from_end("Antwort: B. The answer is C")] == [
        "answer is", "Antwort:"]  # fmt: skip


def test_localized_word_width_bounds_the_first_localized_prefix() -> None:
    import re._parser as sre_parse  # the width of a pattern, as re computes it

    width = sre_parse.parse(sc._LOCALIZED_PREFIXES[0]).getwidth()[1]
    assert width == sc._LOCAL_WORD_CHARS
    many_colons = "x: " * 20 + "Jawaban : B"
    assert [s.prefix for s in sc._statements_from_end(many_colons)] == ["Jawaban :"]


def test_line_end_checks_are_the_regex_searches(texts: list[str]) -> None:
    rng = random.Random(9)
    ends = ["####", "#### ", "####x", "answer is", "Answer:", "answer ", "A:", " A: 7", "}", "is",
            "\\boxed{", "\\fbox{", "\\boxed{}", "$", ".", ")", "]", " ", "\t", "x", "  "]  # fmt: skip
    built = ["".join(rng.choice(ends) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    lines = (
        [t[t.rfind("\n") + 1 :] for t in texts] + built + ["a" * 70 + "answer is" + " " * 80 + "x"]
    )
    for line in lines:
        assert fm._ends_in_answer_line(line) is (fm._ANSWER_LINE_END.search(line) is not None), line
        assert fm._ends_in_box(line) is (fm._BOXED_END.search(line) is not None), line
    for tail in [t[-100:] for t in texts] + built + ["ANSWER : x answer is", "ſo anſwer: 1"]:
        hits = list(fm._ANSWER_STATEMENT.finditer(tail))
        got = fm._last_answer_statement(tail)
        assert (got and got.span()) == (hits[-1].span() if hits else None), tail


def _after_trace_by_rfind(response: str) -> tuple[str, bool]:
    best, end_len = -1, 0
    for end in sc.TRACE_ENDS:
        pos = response.rfind(end)
        if pos > best:
            best, end_len = pos, len(end)
    if best >= 0 and response[best + end_len :].strip():
        return response[best + end_len :], True
    return response, False


def test_after_trace_is_the_rfind_of_each_trace_end(texts: list[str]) -> None:
    assert all(end.startswith("<") for end in sc.TRACE_ENDS)  # what its shortcut relies on
    ends = ["</think>", "</thinking>", "</reasoning>", "<", "x", " ", "\n"]
    rng = random.Random(4)
    built = ["".join(rng.choice(ends) for _ in range(rng.randint(0, 8))) for _ in range(5000)]
    for text in texts + built:
        assert sc._after_trace(text) == _after_trace_by_rfind(text), text


def test_final_a_line_is_the_whole_text_search(texts: list[str]) -> None:
    for text in texts:
        got, want = sc._a_line(text), sc._A_LINE_RE.search(text)
        assert (got and got.span(), got and got.group(1)) == (want and want.span(),
                                                              want and want.group(1)), text  # fmt: skip


def test_plain_numbers_read_as_the_written_number_cascade(texts: list[str]) -> None:
    rng = random.Random(3)
    numbers = [f"{rng.choice(['', '-', '+'])}{rng.randint(0, 10**rng.randint(0, 12))}"
               f"{rng.choice(['', '.0', '.25', '.000'])}" for _ in range(5000)]  # fmt: skip
    for text in numbers + [t[-8:] for t in texts] + [" 12 ", "007", "٣", "1.", ".5", "+0"]:
        assert sc._number_value(text) == sc._written_number_value(text.strip()), text
    assert sc._number_value(" -12.50\n") == Decimal("-12.5")


def test_kept_targets_and_math_verdicts_are_computed_ones(texts: list[str]) -> None:
    for text in texts[:: max(1, len(texts) // 3000)]:
        for constraint in ("integer", "boxed_expression", "free_text"):
            assert sc.clean_target(text, constraint) == sc._clean_target.__wrapped__(
                text, constraint)  # fmt: skip
    for text in texts[:: max(1, len(texts) // 3000)] + ["(B)", " b ", "$C$", "(A) or (B)"]:
        for part in (text, text[-60:], text[:8]):
            assert sc._option_letter(part) == sc._read_option_letter(part), part
    for answer, target in [("\\frac{1}{2}", "0.5"), ("x^2", "x**2"), ("3", "\\pi")]:
        first = sc._math_verify_equal(answer, target)
        assert first == sc._math_verify_cached.__wrapped__(answer, target, True)
        assert sc._math_verify_equal(answer, target) == first


def _repeated_block_by_regex(text: str) -> tuple[str, int, int] | None:
    """``failure_modes.repeated_block`` before issue 14: the regex split, no early exit."""
    ends = text.count("\n") + text.count(".") + text.count("!") + text.count("?")
    if ends < fm.MIN_LONG_BLOCK_COPIES - 1:
        return None
    units = [u for u in fm._UNIT_SPLIT.split(text) if u and u.strip()]
    if len(units) < fm.MIN_LONG_BLOCK_COPIES:
        return None
    best: tuple[str, int, int] | None = None
    for k in range(1, fm.MAX_BLOCK_UNITS + 1):
        if len(units) < k * fm.MIN_LONG_BLOCK_COPIES:
            break
        run = 0
        for i in range(len(units) - k):
            if units[i] == units[i + k]:
                run += 1
            else:
                run = 0
                continue
            copies = run // k + 1
            if copies < fm.MIN_LONG_BLOCK_COPIES or (best is not None and copies <= best[1]):
                continue
            start = i - run + 1
            unit = units[start : start + k]
            if any(
                k % p == 0 and all(unit[j] == unit[j % p] for j in range(k)) for p in range(1, k)
            ):
                continue
            block = " ".join(unit)
            if len(block) < fm.MIN_BLOCK_CHARS or len(block.split()) < fm.MIN_BLOCK_WORDS:
                continue
            needed = (
                fm.MIN_LONG_BLOCK_COPIES
                if len(block) >= fm.LONG_BLOCK_CHARS
                else fm.MIN_BLOCK_COPIES
            )
            if copies >= needed:
                best = (block, copies, start)
    return best


def test_repeated_block_is_the_regex_split_scan(texts: list[str]) -> None:
    rng = random.Random(5)
    loops = []
    for _ in range(3000):
        sentences = ["".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
                     for _ in range(rng.randint(1, 4))]  # fmt: skip
        block = rng.choice([" ", "\n", ". "]).join(sentences)
        loops.append(
            rng.choice(WORDS) + ". " + (block + rng.choice([". ", "\n", "! "])) * rng.randint(1, 6)
        )
    found = 0
    for text in texts + loops:
        got = fm.repeated_block(text)
        assert got == _repeated_block_by_regex(text), text
        found += got is not None
    assert found > 100  # the loops do repeat
