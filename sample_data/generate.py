"""Generate capslice's synthetic demo logs in lm-evaluation-harness 0.4.8 ``--log_samples`` layout.

Usage::

    python sample_data/generate.py [--out DIR]

``DIR`` defaults to the folder holding this script. The script writes

* ``DIR/lm_eval/<run>/<model_name_sanitized>/results_<ts>.json`` and one
  ``samples_<task>_<ts>.jsonl`` per leaf task, for the five runs ``bbh-base``,
  ``bbh-eos-masked``, ``bbh-eos-restored``, ``math-base`` and ``math-targeted``;
* ``DIR/expected_numbers.json``: the figures the two demo stories produce (also printed).

Every item is templated here (no benchmark text is copied) and every answer is computed here.
Model behaviour is simulated with a fixed-seed numpy generator, so two runs write byte-identical
files. Only the standard library and numpy are used.

Field layout and hashes follow lm-eval 0.4.8 (``lm_eval/evaluator.py``: ``doc_hash`` is the
SHA-256 of ``json.dumps(doc, indent=2, ensure_ascii=False)``, ``prompt_hash`` of the first
request's prompt, ``target_hash`` of ``str(target)``; samples lines are
``json.dumps(sample, ensure_ascii=False)``; the results file is ``json.dumps(..., indent=2,
ensure_ascii=False)``). The BBH answer filter is lm-eval's ``get-answer``: regex
``(?<=the answer is )(.*)(?=.)``, first match, stripped, ``[invalid]`` when nothing matches,
then ``take_first``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20250310
LM_EVAL_VERSION = "0.4.8"
BBH_MAX_GEN_TOKS = 256
# No tokenizer is used: a generation "hits the cap" when it reaches this many whitespace words
# (about 256 tokens at 1.3 tokens per English word).
BBH_CAP_WORDS = 190
BBH_UNTIL = ["</s>", "Q", "\n\n"]
MINERVA_UNTIL = ["Problem:"]
AIME_UNTIL = ["Question:", "</s>", "<|im_end|>"]
MINERVA_REPEATS = 16
AIME_REPEATS = 128
INVALID = "[invalid]"
ANSWER_RE = re.compile(r"(?<=the answer is )(.*)(?=.)")
BOXED_RE = re.compile(r"\\boxed\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
LETTERS = "ABCDEFG"


# --------------------------------------------------------------------------------------------
# lm-eval helpers
# --------------------------------------------------------------------------------------------


def sha256_hex(text: str) -> str:
    """SHA-256 hex digest of ``text`` encoded as UTF-8 (lm-eval ``utils.hash_string``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def get_answer_filter(response: str) -> str:
    """Apply lm-eval's BBH cot_fewshot ``get-answer`` filter to one response.

    Regex ``(?<=the answer is )(.*)(?=.)`` (``.`` does not cross newlines), first match,
    ``.strip()``; ``[invalid]`` when there is no match. Source: lm-eval
    ``filters/extraction.py::RegexFilter`` with the bbh cot_fewshot template's filter_list.
    """
    found = ANSWER_RE.findall(response)
    if not found:
        return INVALID
    return found[0].strip()


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` in ``text`` (one level of nested braces), or None."""
    found = BOXED_RE.findall(text)
    return found[-1] if found else None


def sanitize_model_name(name: str) -> str:
    """lm-eval's folder name for a model: ``" < > : / | \\ ? * [ ]`` become ``__``."""
    return re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name)


def mean_stderr(values: list[float]) -> float:
    """Standard error of the mean with ddof=1 (lm-eval ``metrics.mean_stderr``)."""
    n = len(values)
    if n < 2:
        return 0.0
    return float(np.std(np.asarray(values, dtype=float), ddof=1) / math.sqrt(n))


def pooled_stderr(stderrs: list[float], sizes: list[int]) -> float:
    """lm-eval ``metrics.pooled_sample_stderr`` used for size-weighted group aggregates."""
    total = sum(sizes)
    var = sum((n - 1) * s**2 * n for s, n in zip(stderrs, sizes, strict=True)) / (
        total - len(sizes)
    )
    return math.sqrt(var / total)


def sample_line(
    doc_id: int,
    doc: dict,
    target: str,
    prompt: str,
    gen_kwargs: dict,
    resps: list[str],
    filtered: str,
    filter_name: str,
    metrics: dict[str, float],
) -> dict:
    """One lm-eval 0.4.8 samples line (keys in the harness's order)."""
    line = {
        "doc_id": doc_id,
        "doc": doc,
        "target": target,
        "arguments": {"gen_args_0": {"arg_0": prompt, "arg_1": gen_kwargs}},
        "resps": [resps],
        "filtered_resps": [filtered],
        "filter": filter_name,
        "metrics": list(metrics),
        "doc_hash": sha256_hex(json.dumps(doc, indent=2, ensure_ascii=False)),
        "prompt_hash": sha256_hex(prompt),
        "target_hash": sha256_hex(str(target)),
    }
    line.update(metrics)
    return line


# --------------------------------------------------------------------------------------------
# BBH items
# --------------------------------------------------------------------------------------------


@dataclass
class BbhItem:
    """One templated BBH-style item: input text, target, option labels and a reasoning builder."""

    input: str
    target: str
    choices: list[str]  # every admissible answer string (target included)
    facts: list[str]  # reasoning sentences that do not reveal the answer


def _options(choices: list[str]) -> str:
    return "Options:\n" + "\n".join(f"({LETTERS[i]}) {c}" for i, c in enumerate(choices))


def _bool_expr(rng: np.random.Generator) -> BbhItem:
    vals = [str(bool(rng.integers(2))) for _ in range(4)]
    forms = [
        "not ( {a} ) and ( {b} or {c} )",
        "( {a} and not {b} ) or {c}",
        "{a} or {b} and not {c}",
        "not {a} and {b} or {c}",
        "( {a} or {b} ) and ( {c} or not {d} )",
        "not ( {a} or {b} ) or {c} and {d}",
    ]
    form = forms[int(rng.integers(len(forms)))]
    expr = form.format(a=vals[0], b=vals[1], c=vals[2], d=vals[3])
    target = str(bool(eval(expr)))  # noqa: S307 - expr is built above from True/False/not/and/or
    facts = [
        "Brackets are evaluated first, then not, then and, then or.",
        f"The expression is {expr}.",
        "We work from the innermost part outwards and combine the pieces.",
    ]
    return BbhItem(f"{expr} is", target, ["True", "False"], facts)


def _date(rng: np.random.Generator) -> BbhItem:
    base = dt.date(1995, 1, 1) + dt.timedelta(days=int(rng.integers(0, 12000)))
    kind = int(rng.integers(4))
    if kind == 0:
        n = int(rng.integers(2, 40))
        phrase, delta = f"{n} days ago", -n
    elif kind == 1:
        n = int(rng.integers(1, 5))
        phrase, delta = f"{n} week{'s' if n > 1 else ''} from today", 7 * n
    elif kind == 2:
        phrase, delta = "yesterday", -1
    else:
        n = int(rng.integers(2, 30))
        phrase, delta = f"{n} days from today", n
    answer = base + dt.timedelta(days=delta)

    def fmt(d: dt.date) -> str:
        return d.strftime("%m/%d/%Y")

    distractors = {
        fmt(answer + dt.timedelta(days=1)),
        fmt(answer - dt.timedelta(days=1)),
        fmt(answer.replace(year=answer.year + 1) if answer.month != 2 else answer),
        fmt(base - dt.timedelta(days=delta)),
        fmt(answer + dt.timedelta(days=30)),
    }
    distractors.discard(fmt(answer))
    opts = sorted(distractors)[:4] + [fmt(answer)]
    order = rng.permutation(len(opts))
    opts = [opts[i] for i in order]
    target = f"({LETTERS[opts.index(fmt(answer))]})"
    text = f"Today is {fmt(base)}. What is the date {phrase} in MM/DD/YYYY?\n{_options(opts)}"
    facts = [
        f"Today is {fmt(base)}.",
        f"We need the date {phrase}, so we move {abs(delta)} day{'s' if abs(delta) != 1 else ''} "
        f"{'back' if delta < 0 else 'forward'} on the calendar, carrying over month ends.",
    ]
    return BbhItem(text, target, [f"({LETTERS[i]})" for i in range(len(opts))], facts)


_SHELF = [
    ("books on a shelf", ["red book", "blue book", "green book", "black book", "orange book"]),
    ("birds on a branch", ["crow", "robin", "finch", "owl", "hawk"]),
    ("cars in a row", ["sedan", "truck", "van", "coupe", "bus"]),
]
_POS = ["leftmost", "second from the left", "rightmost"]


def _logical3(rng: np.random.Generator) -> BbhItem:
    setting, pool = _SHELF[int(rng.integers(len(_SHELF)))]
    objs = [pool[i] for i in rng.choice(len(pool), 3, replace=False)]
    order = [objs[i] for i in rng.permutation(3)]  # left -> right
    anchor = int(rng.integers(3))
    others = [o for i, o in enumerate(order) if i != anchor]
    clue1 = f"The {order[anchor]} is the {_POS[anchor]}."
    clue2 = f"The {others[0]} is to the left of the {others[1]}."
    asked = int(rng.integers(3))
    text = (
        f"Three {setting} are placed in a fixed order, and every statement below is true. "
        f"The three are the {objs[0]}, the {objs[1]} and the {objs[2]}. {clue1} {clue2}\n"
        + _options([f"The {o} is the {_POS[asked]}" for o in objs])
    )
    target = f"({LETTERS[objs.index(order[asked])]})"
    facts = [
        f"From the first statement, the {order[anchor]} takes the {_POS[anchor]} place.",
        f"The {others[0]} must come before the {others[1]} in the remaining places.",
    ]
    return BbhItem(text, target, ["(A)", "(B)", "(C)"], facts)


_PEOPLE = ["Ana", "Ben", "Cleo", "Dario", "Elif", "Femi", "Gita", "Hugo"]
_BALLS = ["red ball", "green ball", "blue ball", "yellow ball", "white ball", "pink ball"]


def _tracking3(rng: np.random.Generator) -> BbhItem:
    names = [_PEOPLE[i] for i in rng.choice(len(_PEOPLE), 3, replace=False)]
    balls = [_BALLS[i] for i in rng.choice(len(_BALLS), 3, replace=False)]
    held = dict(zip(names, balls, strict=True))
    swaps = [tuple(int(x) for x in rng.choice(3, 2, replace=False)) for _ in range(3)]
    words = ["First", "Then", "Finally"]
    moves = []
    for w, (i, j) in zip(words, swaps, strict=True):
        a, b = names[i], names[j]
        held[a], held[b] = held[b], held[a]
        moves.append(f"{w}, {a} and {b} swap balls.")
    who = names[int(rng.integers(3))]
    text = (
        f"{names[0]}, {names[1]} and {names[2]} each start with one ball: {names[0]} has a "
        f"{balls[0]}, {names[1]} has a {balls[1]} and {names[2]} has a {balls[2]}. "
        f"{' '.join(moves)} At the end, {who} has the\n{_options(balls)}"
    )
    target = f"({LETTERS[balls.index(held[who])]})"
    facts = [
        f"At the start: {names[0]}: {balls[0]}, {names[1]}: {balls[1]}, {names[2]}: {balls[2]}.",
        "We apply the three swaps one after the other and follow each ball.",
    ]
    return BbhItem(text, target, ["(A)", "(B)", "(C)"], facts)


def _navigate(rng: np.random.Generator) -> BbhItem:
    want_home = bool(rng.integers(2))
    n = int(rng.integers(2, 5))
    steps = []
    x = y = 0
    dirs = {"forward": (0, 1), "backward": (0, -1), "left": (-1, 0), "right": (1, 0)}
    for _ in range(n):
        d = list(dirs)[int(rng.integers(4))]
        k = int(rng.integers(1, 10))
        steps.append((d, k))
        x += dirs[d][0] * k
        y += dirs[d][1] * k
    if want_home:
        if x:
            steps.append(("left" if x > 0 else "right", abs(x)))
        if y:
            steps.append(("backward" if y > 0 else "forward", abs(y)))
        x = y = 0
    text = (
        "If you follow these instructions, do you return to the starting point? "
        "Always face forward. "
        + " ".join(f"Take {k} step{'s' if k > 1 else ''} {d}." for d, k in steps)
        + "\nOptions:\n- Yes\n- No"
    )
    target = "Yes" if (x, y) == (0, 0) else "No"
    facts = [
        "We keep facing forward and track the position as (x, y), starting at (0, 0).",
        f"There are {len(steps)} moves, and we add them up coordinate by coordinate.",
    ]
    return BbhItem(text, target, ["Yes", "No"], facts)


_NUMWORD = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
_KINDS = {
    "fruits": ["apple", "plum", "peach", "banana", "orange", "nectarine"],
    "musical instruments": ["flute", "violin", "drum", "trumpet", "piano", "clarinet"],
    "animals": ["goat", "rabbit", "cat", "dog", "frog", "donkey"],
    "vegetables": ["carrot", "onion", "potato", "cabbage", "yam", "celery stalk"],
}


def _counting(rng: np.random.Generator) -> BbhItem:
    kinds = list(_KINDS)
    kind = kinds[int(rng.integers(len(kinds)))]
    other = kinds[(kinds.index(kind) + 1 + int(rng.integers(len(kinds) - 1))) % len(kinds)]
    parts, total = [], 0
    for pool, counts in ((_KINDS[kind], True), (_KINDS[other], False)):
        for i in rng.choice(len(pool), int(rng.integers(2, 4)), replace=False):
            c = int(rng.integers(1, 5))
            noun = pool[i] + ("s" if c > 1 and not pool[i].endswith("s") else "")
            if c > 1 and pool[i].endswith(("ch", "sh")):
                noun = pool[i] + "es"
            if pool[i] == "potato" and c > 1:
                noun = "potatoes"
            parts.append(f"{_NUMWORD[c]} {noun}")
            total += c if counts else 0
    order = rng.permutation(len(parts))
    listed = [parts[i] for i in order]
    text = f"I have {', '.join(listed[:-1])}, and {listed[-1]}. How many {kind} do I have?"
    facts = [f"We list the {kind} and their counts, skipping the other things."]
    choices = [str(v) for v in range(1, 20)]
    return BbhItem(text, str(total), choices, facts)


_LIARS = ["Ivo", "Mara", "Ned", "Oona", "Pia", "Rolf", "Sina", "Tess", "Uma", "Vera"]


def _web_of_lies(rng: np.random.Generator) -> BbhItem:
    names = [_LIARS[i] for i in rng.choice(len(_LIARS), 5, replace=False)]
    truth = bool(rng.integers(2))
    sents = [f"{names[0]} {'tells the truth' if truth else 'lies'}."]
    for prev, cur in zip(names, names[1:], strict=False):
        says_truth = bool(rng.integers(2))
        sents.append(f"{cur} says {prev} {'tells the truth' if says_truth else 'lies'}.")
        truth = truth == says_truth
    text = " ".join(sents) + f" Does {names[-1]} tell the truth?"
    facts = [
        f"{names[0]}'s status is given directly.",
        "Each later speaker tells the truth exactly when the claim about the previous "
        "person matches that person's status; we follow the chain to the end.",
    ]
    return BbhItem(text, "Yes" if truth else "No", ["Yes", "No"], facts)


_SPORTS = {
    "hockey": ["scored on a power play", "took a slap shot", "was sent to the penalty box"],
    "football": ["threw a touchdown pass", "kicked a field goal", "sacked the quarterback"],
    "basketball": ["hit a three-pointer", "made a slam dunk", "grabbed the rebound"],
    "soccer": ["scored a penalty kick", "earned a corner kick", "headed the ball in"],
    "baseball": ["hit a home run", "stole second base", "threw a curveball for a strike"],
}
_FIRST = ["Sam", "Lena", "Tomas", "Rita", "Kofi", "Mina", "Joel", "Ayla", "Bruno", "Ines"]
_LAST = ["Ortega", "Lindqvist", "Mbeki", "Haldane", "Sato", "Varga", "Okafor", "Bell"]


def _sports(rng: np.random.Generator) -> BbhItem:
    sports = list(_SPORTS)
    sport = sports[int(rng.integers(len(sports)))]
    plausible = bool(rng.integers(2))
    act_sport = (
        sport
        if plausible
        else sports[(sports.index(sport) + 1 + int(rng.integers(len(sports) - 1))) % 5]
    )
    action = _SPORTS[act_sport][int(rng.integers(3))]
    name = f"{_FIRST[int(rng.integers(len(_FIRST)))]} {_LAST[int(rng.integers(len(_LAST)))]}"
    text = f'Is the following sentence plausible? "During the {sport} game, {name} {action}."'
    facts = [
        f"The sentence is set in a {sport} game.",
        f'The action "{action}" belongs to a particular sport, which we compare with the setting.',
    ]
    return BbhItem(text, "Yes" if plausible else "No", ["Yes", "No"], facts)


_PLACES = ["library", "bakery", "museum", "post office", "gym", "market", "swimming pool"]
_ACTS = [
    "was seen reading at a cafe",
    "was seen buying groceries",
    "was seen walking in the park",
    "was seen at the office",
    "was seen fixing a bike",
    "was seen waiting at the train station",
]


def _hour(h: int) -> str:
    if h == 12:
        return "12pm"
    return f"{h}am" if h < 12 else f"{h - 12}pm"


def _temporal(rng: np.random.Generator) -> BbhItem:
    who = _FIRST[int(rng.integers(len(_FIRST)))]
    place = _PLACES[int(rng.integers(len(_PLACES)))]
    start = int(rng.integers(5, 9))
    close = start + 10
    bounds = list(range(start, close + 1, 2))  # five 2-hour slots
    free = int(rng.integers(len(bounds) - 1))
    acts = [_ACTS[i] for i in rng.choice(len(_ACTS), len(bounds) - 1, replace=False)]
    lines = [f"{who} woke up at {_hour(start)}."]
    for k in range(len(bounds) - 1):
        if k != free:
            lines.append(f"Between {_hour(bounds[k])} and {_hour(bounds[k + 1])}, {who} {acts[k]}.")
    lines.append(f"The {place} was closed after {_hour(close)}.")
    slots = [f"{_hour(bounds[k])} to {_hour(bounds[k + 1])}" for k in range(len(bounds) - 1)]
    text = (
        f"Today, {who} went to the {place}. Between what times could {who} have gone? "
        f"We know that: {' '.join(lines)}\n{_options(slots)}"
    )
    facts = [
        f"{who} was awake from {_hour(start)} and the {place} closed at {_hour(close)}.",
        "We cross out every two-hour window in which someone saw " + who + ".",
    ]
    return BbhItem(text, f"({LETTERS[free]})", [f"({c})" for c in LETTERS[: len(slots)]], facts)


_GROUPS = [
    "fan of FC Lindholm",
    "cousin of Marta",
    "regular at the Blue Pier market",
    "member of the chess club",
    "neighbour of Tomas",
    "supporter of the Harbour Choir",
    "reader of the Sunday Ledger",
]


def _fallacy(rng: np.random.Generator) -> BbhItem:
    a, b, c = (_GROUPS[i] for i in rng.choice(len(_GROUPS), 3, replace=False))
    person = _FIRST[int(rng.integers(len(_FIRST)))]
    kind = int(rng.integers(4))
    if kind == 0:
        prem = f"First premise: Every {a} is a {b}. Second premise: Every {b} is a {c}."
        concl = f"Therefore, every {a} is a {c}."
        valid = True
    elif kind == 1:
        prem = f"First premise: Every {a} is a {b}. Second premise: {person} is not a {b}."
        concl = f"Therefore, {person} is not a {a}."
        valid = True
    elif kind == 2:
        prem = f"First premise: Every {a} is a {b}. Second premise: {person} is a {b}."
        concl = f"Therefore, {person} is a {a}."
        valid = False
    else:
        prem = f"First premise: Every {a} is a {b}. Second premise: Every {c} is a {b}."
        concl = f"Therefore, every {a} is a {c}."
        valid = False
    text = (
        f'"Here is an argument. {prem} {concl}" '
        "Is the argument, given the explicitly stated premises, deductively valid or invalid?"
        "\nOptions:\n- valid\n- invalid"
    )
    facts = [
        "We check whether the conclusion follows in every situation where both premises hold.",
        "We write the premises as set inclusions and test the conclusion against them.",
    ]
    return BbhItem(text, "valid" if valid else "invalid", ["valid", "invalid"], facts)


# subtask -> (item builder, description, base greedy accuracy)
BBH_SUBTASKS: dict[str, tuple] = {
    "boolean_expressions": (_bool_expr, "Evaluate a Boolean expression.", 0.70),
    "date_understanding": (_date, "Compute dates from a short description.", 0.56),
    "formal_fallacies": (_fallacy, "Decide whether an argument is deductively valid.", 0.54),
    "logical_deduction_three_objects": (
        _logical3,
        "Deduce the order of three objects from a few clues.",
        0.60,
    ),
    "navigate": (_navigate, "Decide whether a walk returns to its start.", 0.62),
    "object_counting": (_counting, "Count the objects of one kind in a list.", 0.65),
    "sports_understanding": (_sports, "Judge whether a sports sentence is plausible.", 0.67),
    "temporal_sequences": (_temporal, "Find when an errand could have happened.", 0.52),
    "tracking_shuffled_objects_three_objects": (
        _tracking3,
        "Track three objects through a sequence of swaps.",
        0.50,
    ),
    "web_of_lies": (_web_of_lies, "Follow a chain of truth-tellers and liars.", 0.58),
}
BBH_ITEMS_PER_TASK = 48
BBH_MASKED_FAIL_SHARE = 0.47  # share of base-correct items whose masked answer fails extraction


def _bbh_reasoning(item: BbhItem, answer: str) -> str:
    return " ".join(item.facts) + f" Putting this together gives {answer}."


def _bbh_clean(item: BbhItem, answer: str) -> str:
    text = _bbh_reasoning(item, answer) + f" So the answer is {answer}."
    _check_bbh_response(text)
    return text


_RAMBLE = [
    "Let me go over the reasoning again to make sure nothing was missed.",
    "Each step above follows from the statements in the input.",
    "To double-check, we can redo the last step in a slightly different order.",
    "The same reasoning applies to similar problems with more objects.",
    "Another way to see this is to write down the intermediate results in a table.",
    "It is worth noting that the options were considered one by one.",
    "If any statement were different, the result could change.",
    "This kind of puzzle is solved by careful bookkeeping of each fact.",
]


def _cap_words(text: str) -> str:
    tokens = list(re.finditer(r"\S+", text))
    if len(tokens) <= BBH_CAP_WORDS:
        return text
    return text[: tokens[BBH_CAP_WORDS - 1].end()]


def _ramble(rng: np.random.Generator, sep: str, facts: list[str]) -> str:
    pool = _RAMBLE + facts
    picks = [pool[int(i)] for i in rng.integers(0, len(pool), 40)]
    return sep.join(picks)


def _bbh_runaway(item: BbhItem, answer: str, mode: str, rng: np.random.Generator) -> str:
    """A generation of the EOS-masked checkpoint: never stops, cut at the token cap.

    ``mode``: ``ok`` (answer line then rambling on new lines, extraction works), ``span``
    (rambling on the answer's line, so the regex grabs a wrong span), ``rephrase`` (answer stated
    without "the answer is"), ``cut`` (cap reached right after "the answer is (" / mid answer),
    ``loop`` (reasoning repeats until the cap, no answer).
    """
    reasoning = _bbh_reasoning(item, answer)
    if mode == "ok":
        text = f"{reasoning} So the answer is {answer}.\n" + _ramble(rng, "\n", item.facts)
    elif mode == "span":
        text = (
            f"{reasoning} So the answer is {answer}, and " + _ramble(rng, " ", item.facts).lower()
        )
    elif mode == "rephrase":
        phr = [f"Therefore, {answer} is correct.", f"Hence the result is {answer}."]
        text = f"{reasoning} {phr[int(rng.integers(2))]}\n" + _ramble(rng, "\n", item.facts)
    elif mode == "cut":
        filler = _ramble(rng, " ", item.facts)
        words = (reasoning + " " + filler).split(" ")[: BBH_CAP_WORDS - 5]
        text = " ".join(words).rstrip(".,") + ". So the answer is " + answer[:1]
        _check_bbh_response(text)
        return text
    elif mode == "loop":
        text = " ".join([" ".join(item.facts)] * 30)
    else:
        raise ValueError(f"unknown runaway mode {mode!r}")
    text = _cap_words(text)
    _check_bbh_response(text)
    return text


def _check_bbh_response(text: str) -> None:
    for stop in BBH_UNTIL:
        if stop in text:
            raise AssertionError(f"response contains stop sequence {stop!r}: {text[:80]!r}")


def _bbh_fewshot(sub: str, builder, description: str) -> str:
    rng = np.random.default_rng([SEED, 99, list(BBH_SUBTASKS).index(sub)])
    shots = []
    for _ in range(3):
        item = builder(rng)
        shots.append(
            f"Q: {item.input}\nA: Let's think step by step.\n{_bbh_clean(item, item.target)}"
        )
    return description + "\n\n" + "\n\n".join(shots) + "\n\n"


def _wrong(item: BbhItem, rng: np.random.Generator) -> str:
    options = [c for c in item.choices if c != item.target]
    if item.target.isdigit():  # object counting: near misses
        t = int(item.target)
        options = [str(v) for v in (t - 1, t + 1, t + 2) if v > 0]
    return options[int(rng.integers(len(options)))]


def build_bbh() -> dict[str, dict]:
    """Build the three BBH runs.

    Returns: run name -> {task -> list of (doc, prompt, response, target)} plus descriptions.
    Item content and the model's intended answer per item are shared across runs; runs differ
    in which answers are right (restored) and in termination (masked).
    """
    runs: dict[str, dict[str, list]] = {
        "bbh-base": {},
        "bbh-eos-masked": {},
        "bbh-eos-restored": {},
    }
    for t_idx, (sub, (builder, description, acc)) in enumerate(BBH_SUBTASKS.items()):
        task = f"bbh_cot_fewshot_{sub}"
        rng = np.random.default_rng([SEED, 1, t_idx])
        items = [builder(rng) for _ in range(BBH_ITEMS_PER_TASK)]
        fewshot = _bbh_fewshot(sub, builder, description)
        n = len(items)
        n_right = round(acc * n)
        right = np.zeros(n, dtype=bool)
        right[rng.choice(n, n_right, replace=False)] = True
        wrong_ans = [_wrong(it, rng) for it in items]
        base_ans = [it.target if r else w for it, r, w in zip(items, right, wrong_ans, strict=True)]
        # restored: three wrong items become right, one right item becomes wrong
        rest_right = right.copy()
        rest_right[rng.choice(np.flatnonzero(~right), 3, replace=False)] = True
        rest_right[rng.choice(np.flatnonzero(right), 1, replace=False)] = False
        rest_ans = [
            it.target if r else w for it, r, w in zip(items, rest_right, wrong_ans, strict=True)
        ]
        # masked: same answers as base; a fixed share of base-right items fail extraction
        # (base-wrong items get the same share, so termination failures are spread evenly)
        fail: set[int] = set()
        for idx in (np.flatnonzero(right), np.flatnonzero(~right)):
            n_fail = round(BBH_MASKED_FAIL_SHARE * len(idx))
            fail.update(int(i) for i in rng.choice(idx, n_fail, replace=False))
        modes = []
        for i in range(n):
            if i in fail:
                u = rng.random()
                modes.append(
                    "span"
                    if u < 0.35
                    else "rephrase"
                    if u < 0.70
                    else "cut"
                    if u < 0.85
                    else "loop"
                )
            else:
                modes.append("ok")
        base_lines, masked_lines, rest_lines = [], [], []
        for i, it in enumerate(items):
            doc = {"input": it.input, "target": it.target}
            prompt = fewshot + f"Q: {it.input}\nA: Let's think step by step.\n"
            base_lines.append((doc, prompt, _bbh_clean(it, base_ans[i])))
            rest_lines.append((doc, prompt, _bbh_clean(it, rest_ans[i])))
            masked_lines.append((doc, prompt, _bbh_runaway(it, base_ans[i], modes[i], rng)))
        runs["bbh-base"][task] = base_lines
        runs["bbh-eos-masked"][task] = masked_lines
        runs["bbh-eos-restored"][task] = rest_lines
    return runs


# --------------------------------------------------------------------------------------------
# Math items
# --------------------------------------------------------------------------------------------


@dataclass
class MathItem:
    """One templated MATH-style problem with the model's right and wrong solution sketches."""

    problem: str
    answer: str
    solution: str  # reference solution, ends in \boxed{answer}
    subject: str  # MATH type, e.g. "Number Theory"
    level: int
    operation: str  # solving operation the wording signals (generator-internal, not logged)
    right_sketch: str  # one-line correct method
    wrong: list[tuple[str, str]]  # (wrong answer, one-line flawed method)


def _frac(p: int, q: int) -> str:
    g = math.gcd(p, q)
    p, q = p // g, q // g
    return str(p) if q == 1 else f"\\frac{{{p}}}{{{q}}}"


def _ri(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def _m_linear(rng):
    a, x, b = _ri(rng, 2, 9), _ri(rng, -12, 15), _ri(rng, 1, 30)
    c = a * x + b
    sol = f"Subtract {b} from both sides to get ${a}x = {c - b}$, so $x = \\boxed{{{x}}}$."
    return MathItem(
        f"Solve for $x$: ${a}x + {b} = {c}$.",
        str(x),
        sol,
        "Algebra",
        _ri(rng, 1, 2),
        "equation_solving",
        f"Subtracting {b} gives ${a}x = {c - b}$, and dividing by {a} gives $x = {x}$.",
        [
            (str(x + 1), f"Subtracting gives ${a}x = {c - b + a}$, so $x = {x + 1}$."),
            (
                str((c + b) // a if (c + b) % a == 0 else x - 1),
                "Moving the constant to the right side, then dividing,",
            ),
        ],
    )


def _m_system(rng):
    x, y = _ri(rng, -6, 9), _ri(rng, -6, 9)
    a, b = _ri(rng, 1, 4), _ri(rng, 1, 4)
    s1, s2 = a * x + b * y, x - y
    ans = x + y
    sol = f"From the second equation $x = y + {s2}$; substituting, we find $x={x}$, $y={y}$, so $x+y=\\boxed{{{ans}}}$."
    return MathItem(
        f"Solve the system ${a}x + {b}y = {s1}$ and $x - y = {s2}$. What is $x + y$?",
        str(ans),
        sol,
        "Algebra",
        _ri(rng, 2, 3),
        "equation_solving",
        f"Substituting $x = y + {s2}$ into the first equation gives $y = {y}$ and $x = {x}$.",
        [
            (str(ans + 2), "Substituting and solving gives values whose sum is"),
            (str(x - y), f"Solving, $x = {x}$ and $y = {y}$, and combining them gives"),
        ],
    )


def _m_word_algebra(rng):
    price, n1, n2 = _ri(rng, 3, 12), _ri(rng, 4, 9), _ri(rng, 2, 6)
    extra = _ri(rng, 5, 20)
    total = price * (n1 + n2) + extra
    sol = f"The notebooks cost ${price}\\cdot {n1 + n2} = {price * (n1 + n2)}$ dollars, plus {extra}, for $\\boxed{{{total}}}$."
    return MathItem(
        f"A store sells notebooks for ${price}$ dollars each. Maya buys ${n1}$ notebooks for school and "
        f"${n2}$ for her brother, and pays a one-time fee of ${extra}$ dollars. How many dollars does she pay in total?",
        str(total),
        sol,
        "Algebra",
        1,
        "multi_step_arithmetic",
        f"She buys ${n1 + n2}$ notebooks for ${price * (n1 + n2)}$ dollars, and the fee adds ${extra}$.",
        [
            (str(price * (n1 + n2)), "The notebooks cost"),
            (str(price * n1 + extra), "The school notebooks plus the fee cost"),
        ],
    )


def _m_casework_div(rng):
    n = _ri(rng, 60, 200)
    a, b = [(2, 5), (3, 7), (4, 6), (3, 5), (6, 9), (5, 7)][_ri(rng, 0, 5)]
    lcm = a * b // math.gcd(a, b)
    ca, cb, cab = (n - 1) // a, (n - 1) // b, (n - 1) // lcm
    ans = ca + cb - cab
    sol = (
        f"Case 1: multiples of {a}: {ca}. Case 2: multiples of {b}: {cb}. Both cases overlap on "
        f"multiples of {lcm}: {cab}. Total ${ca} + {cb} - {cab} = \\boxed{{{ans}}}$."
    )
    return MathItem(
        f"How many positive integers less than ${n}$ are divisible by either ${a}$ or ${b}$? Consider each case.",
        str(ans),
        sol,
        "Counting & Probability",
        _ri(rng, 3, 4),
        "casework",
        f"Case 1 gives {ca} multiples of {a}, case 2 gives {cb} multiples of {b}, and the {cab} multiples of {lcm} were counted twice.",
        [
            (
                str(ca + cb),
                f"Case 1 gives {ca} multiples of {a} and case 2 gives {cb} multiples of {b}; adding the cases,",
            ),
            (
                str(ans - 1 if n % a == 0 or n % b == 0 else ans + 1),
                "Counting each case up to and including the bound,",
            ),
        ],
    )


def _m_casework_digits(rng):
    s = _ri(rng, 6, 14)
    lead = [1, 2] if s < 12 else [3, 4]
    counts = {h: sum(1 for t in range(10) for u in range(10) if h + t + u == s) for h in lead}
    ans = sum(counts.values())
    sol = (
        f"If the hundreds digit is {lead[0]} there are {counts[lead[0]]} choices, and if it is "
        f"{lead[1]} there are {counts[lead[1]]}. Total $\\boxed{{{ans}}}$."
    )
    return MathItem(
        f"How many three-digit positive integers have digits that sum to ${s}$, where the hundreds digit is either "
        f"${lead[0]}$ or ${lead[1]}$? Consider each case.",
        str(ans),
        sol,
        "Counting & Probability",
        _ri(rng, 3, 5),
        "casework",
        f"Case hundreds digit {lead[0]}: {counts[lead[0]]} numbers; case {lead[1]}: {counts[lead[1]]} numbers.",
        [
            (str(counts[lead[0]]), f"With hundreds digit {lead[0]} there are"),
            (
                str(ans + 1),
                "Splitting on the hundreds digit and counting the pairs of remaining digits (including 10),",
            ),
        ],
    )


def _m_casework_committee(rng):
    m, w, k = _ri(rng, 4, 7), _ri(rng, 3, 6), _ri(rng, 3, 4)
    c1 = math.comb(w, 1) * math.comb(m, k - 1)
    c2 = math.comb(w, 2) * math.comb(m, k - 2)
    ans = c1 + c2
    sol = (
        f"Exactly one woman: ${c1}$ ways; exactly two women: ${c2}$ ways. Total $\\boxed{{{ans}}}$."
    )
    return MathItem(
        f"A committee of ${k}$ people is chosen from ${m}$ men and ${w}$ women. In how many ways can it be chosen "
        "if it contains either exactly one woman or exactly two women? Consider each case.",
        str(ans),
        sol,
        "Counting & Probability",
        _ri(rng, 3, 5),
        "casework",
        f"Case one woman: ${w}\\binom{{{m}}}{{{k - 1}}} = {c1}$; case two women: $\\binom{{{w}}}{{2}}\\binom{{{m}}}{{{k - 2}}} = {c2}$.",
        [
            (str(c1), f"With exactly one woman there are ${c1}$ ways, so"),
            (
                str(c1 * c2 if c1 * c2 < 10**6 else c1 + 2 * c2),
                "Multiplying the counts of the two cases,",
            ),
        ],
    )


def _m_casework_powers(rng):
    n = _ri(rng, 50, 900)
    squares = {k * k for k in range(1, 40) if k * k <= n}
    cubes = {k**3 for k in range(1, 12) if k**3 <= n}
    ans = len(squares | cubes)
    sol = (
        f"There are {len(squares)} squares and {len(cubes)} cubes up to {n}; "
        f"{len(squares & cubes)} are both. Total $\\boxed{{{ans}}}$."
    )
    return MathItem(
        f"How many integers $n$ with $1 \\le n \\le {n}$ are either a perfect square or a perfect cube? Split into cases.",
        str(ans),
        sol,
        "Counting & Probability",
        _ri(rng, 3, 4),
        "casework",
        f"Case squares: {len(squares)}; case cubes: {len(cubes)}; sixth powers are in both cases ({len(squares & cubes)}).",
        [
            (
                str(len(squares) + len(cubes)),
                f"There are {len(squares)} squares and {len(cubes)} cubes; adding the cases,",
            ),
            (str(ans - 1), "Counting squares and cubes but leaving out 1,"),
        ],
    )


def _m_arrange(rng):
    n = _ri(rng, 4, 7)
    k = _ri(rng, 2, n - 1)
    ans = math.perm(n, k)
    sol = f"There are ${n}\\cdot{n - 1}\\cdots{n - k + 1} = \\boxed{{{ans}}}$ ordered choices."
    return MathItem(
        f"In how many ways can ${k}$ of ${n}$ different books be arranged in a row on a shelf?",
        str(ans),
        sol,
        "Counting & Probability",
        _ri(rng, 1, 3),
        "combinatorics",
        f"The first spot has {n} choices, the next {n - 1}, and so on for {k} spots.",
        [
            (str(math.comb(n, k)), f"We choose {k} of the {n} books, which gives"),
            (str(n**k), f"Each of the {k} spots has {n} choices, giving"),
        ],
    )


def _m_choose(rng):
    n, k = _ri(rng, 5, 12), _ri(rng, 2, 4)
    ans = math.comb(n, k)
    sol = f"Order does not matter, so the count is $\\binom{{{n}}}{{{k}}} = \\boxed{{{ans}}}$."
    return MathItem(
        f"In how many ways can a team of ${k}$ players be chosen from ${n}$ students?",
        str(ans),
        sol,
        "Counting & Probability",
        _ri(rng, 1, 3),
        "combinatorics",
        f"Order does not matter, so we count $\\binom{{{n}}}{{{k}}}$.",
        [
            (str(math.perm(n, k)), "Choosing the players one at a time gives"),
            (str(math.comb(n, k - 1)), f"We count $\\binom{{{n}}}{{{k - 1}}}$, which is"),
        ],
    )


def _m_prob(rng):
    r, b = _ri(rng, 2, 8), _ri(rng, 2, 8)
    ans = _frac(r * (r - 1), (r + b) * (r + b - 1))
    sol = f"The probability is $\\frac{{{r}}}{{{r + b}}}\\cdot\\frac{{{r - 1}}}{{{r + b - 1}}} = \\boxed{{{ans}}}$."
    return MathItem(
        f"A bag contains ${r}$ red marbles and ${b}$ blue marbles. Two marbles are drawn without replacement. "
        "What is the probability that both are red? Express your answer as a common fraction.",
        ans,
        sol,
        "Counting & Probability",
        _ri(rng, 2, 4),
        "probability",
        f"The first draw is red with probability $\\frac{{{r}}}{{{r + b}}}$ and the second with $\\frac{{{r - 1}}}{{{r + b - 1}}}$.",
        [
            (
                _frac(r * r, (r + b) ** 2),
                "Drawing twice with probability $\\frac{r}{r+b}$ each time gives",
            ),
            (_frac(r, r + b), "The chance of a red marble is"),
        ],
    )


def _pow_wrong(a: int, e: int, m: int) -> str:
    for d in (1, -1, 2, 3):
        v = pow(a, e + d, m)
        if v != pow(a, e, m):
            return str(v)
    return str((pow(a, e, m) + 1) % m)


def _m_mod_pow(rng):
    a, e, m = _ri(rng, 2, 13), _ri(rng, 15, 99), _ri(rng, 3, 13)
    if a % m == 0:
        a += 1
    ans = pow(a, e, m)
    sol = f"The powers of {a} modulo {m} repeat in a cycle; reducing the exponent along the cycle gives $\\boxed{{{ans}}}$."
    return MathItem(
        f"What is the remainder when ${a}^{{{e}}}$ is divided by ${m}$?",
        str(ans),
        sol,
        "Number Theory",
        _ri(rng, 3, 5),
        "modular_arithmetic",
        f"The powers of {a} modulo {m} cycle; reducing the exponent {e} along the cycle,",
        [
            (
                _pow_wrong(a, e, m),
                f"The powers of {a} modulo {m} cycle; taking the exponent {e} modulo the cycle length,",
            ),
            (str((a * e) % m), f"Multiplying, ${a}\\cdot {e}$ modulo {m} is"),
        ],
    )


def _m_last_digit(rng):
    a, e = _ri(rng, 2, 29), _ri(rng, 20, 200)
    if a % 10 in (0, 1, 5, 6):
        a += 2
    ans = pow(a, e, 10)
    sol = f"The last digits of powers of {a} cycle; the exponent {e} lands on $\\boxed{{{ans}}}$."
    return MathItem(
        f"Find the last digit of ${a}^{{{e}}}$.",
        str(ans),
        sol,
        "Number Theory",
        _ri(rng, 2, 4),
        "modular_arithmetic",
        f"The last digits of powers of {a} repeat with period dividing 4, and ${e}$ leaves remainder {e % 4} on division by 4.",
        [
            (
                _pow_wrong(a, e, 10),
                f"The last digits of powers of {a} repeat every 4; counting along the cycle,",
            ),
            (str(a % 10), f"The last digit of {a} is"),
        ],
    )


def _m_mod_sum(rng):
    n, m = _ri(rng, 20, 150), _ri(rng, 4, 13)
    ans = (n * (n + 1) // 2) % m
    sol = f"The sum is ${n * (n + 1) // 2}$, which leaves remainder $\\boxed{{{ans}}}$ modulo {m}."
    return MathItem(
        f"What is the remainder when $1 + 2 + 3 + \\cdots + {n}$ is divided by ${m}$?",
        str(ans),
        sol,
        "Number Theory",
        _ri(rng, 2, 4),
        "modular_arithmetic",
        f"The sum equals $\\frac{{{n}\\cdot{n + 1}}}{{2}} = {n * (n + 1) // 2}$; reducing modulo {m},",
        [
            (
                str((ans + 1) % m),
                f"The sum equals $\\frac{{{n}\\cdot{n + 1}}}{{2}}$; reducing modulo {m},",
            ),
            (
                str((n * (n - 1) // 2) % m),
                f"The sum equals $\\frac{{{n}({n}-1)}}{{2}}$; reducing modulo {m},",
            ),
        ],
    )


def _m_congruence(rng):
    m = [7, 9, 11, 13, 17][_ri(rng, 0, 4)]
    a, b = _ri(rng, 2, m - 1), _ri(rng, 1, m - 1)
    while math.gcd(a, m) != 1:
        a += 1
    ans = next(n for n in range(1, m + 1) if (a * n - b) % m == 0)
    sol = f"Multiplying by the inverse of {a} modulo {m} gives $n \\equiv \\boxed{{{ans}}}$."
    wrong = (a * b) % m or m
    if wrong == ans:
        wrong = ans % m + 1
    return MathItem(
        f"Find the smallest positive integer $n$ such that ${a}n \\equiv {b} \\pmod{{{m}}}$.",
        str(ans),
        sol,
        "Number Theory",
        _ri(rng, 3, 5),
        "modular_arithmetic",
        f"The inverse of {a} modulo {m} is {pow(a, -1, m)}; multiplying both sides by it,",
        [
            (str(wrong), f"Multiplying both sides by {a} modulo {m},"),
            (str(b), "Reading off the right-hand side,"),
        ],
    )


def _m_gcd(rng):
    g = _ri(rng, 2, 15)
    x, y = _ri(rng, 2, 12), _ri(rng, 2, 12)
    while math.gcd(x, y) != 1 or x == y:
        y += 1
    p, q = g * x, g * y
    sol = f"By the Euclidean algorithm, $\\gcd({p}, {q}) = \\boxed{{{g}}}$."
    return MathItem(
        f"What is the greatest common divisor of ${p}$ and ${q}$?",
        str(g),
        sol,
        "Number Theory",
        _ri(rng, 1, 3),
        "multi_step_arithmetic",
        f"Applying the Euclidean algorithm to {p} and {q},",
        [
            (
                str(g * min(x, y)) if min(x, y) > 1 else str(2 * g),
                "Factoring both numbers, the shared part is",
            ),
            (str(p * q // g), "The least common multiple is"),
        ],
    )


def _m_divisors(rng):
    primes = [2, 3, 5, 7]
    exps = [_ri(rng, 0, 3) for _ in primes]
    if sum(exps) < 2:
        exps[0] += 2
    n = math.prod(p**e for p, e in zip(primes, exps, strict=True))
    ans = math.prod(e + 1 for e in exps)
    sol = f"With the prime factorization of {n}, the count is the product of (exponent + 1), which is $\\boxed{{{ans}}}$."
    return MathItem(
        f"How many positive divisors does ${n}$ have?",
        str(ans),
        sol,
        "Number Theory",
        _ri(rng, 2, 3),
        "counting",
        f"Factor {n} into primes and multiply one more than each exponent.",
        [
            (
                str(math.prod(e for e in exps if e)),
                "Multiplying the exponents of the prime factorization gives",
            ),
            (str(ans - 1), "Counting the proper divisors gives"),
        ],
    )


def _m_word_pre(rng):
    boxes, per, eaten = _ri(rng, 3, 9), _ri(rng, 6, 24), _ri(rng, 2, 15)
    friends = _ri(rng, 2, 5)
    left = boxes * per - eaten
    ans = left - left % friends
    share = ans // friends
    sol = (
        f"There are ${boxes}\\cdot{per} - {eaten} = {left}$ cookies; each of the {friends} friends gets "
        f"${share}$, so they get $\\boxed{{{ans}}}$ in all."
    )
    return MathItem(
        f"Leo buys ${boxes}$ boxes of cookies with ${per}$ cookies in each box and eats ${eaten}$ of them. He then "
        f"shares as many of the rest as possible equally among ${friends}$ friends. How many cookies do the friends get in total?",
        str(ans),
        sol,
        "Prealgebra",
        _ri(rng, 1, 3),
        "multi_step_arithmetic",
        f"He has ${boxes}\\cdot{per} - {eaten} = {left}$ cookies, and each friend gets ${share}$.",
        [(str(left), "After eating some, the friends get"), (str(share), "Each friend gets")],
    )


_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _m_weekday(rng):
    d0, n = _ri(rng, 0, 6), _ri(rng, 20, 400)
    ans = _DAYS[(d0 + n) % 7]
    sol = f"Every 7 days the weekday repeats, and ${n} = 7\\cdot{n // 7} + {n % 7}$, so the day is $\\boxed{{\\text{{{ans}}}}}$."
    return MathItem(
        f"If today is {_DAYS[d0]}, what day of the week will it be ${n}$ days from now?",
        f"\\text{{{ans}}}",
        sol,
        "Prealgebra",
        _ri(rng, 1, 3),
        "temporal_arithmetic",
        f"Weeks repeat every 7 days and ${n}$ days is {n // 7} full weeks and {n % 7} days.",
        [
            (
                f"\\text{{{_DAYS[(d0 + n + 1) % 7]}}}",
                "Counting forward week by week and then the extra days,",
            ),
            (
                f"\\text{{{_DAYS[(d0 + n - 1) % 7]}}}",
                "Counting the extra days after the full weeks, starting from today,",
            ),
        ],
    )


def _m_clock(rng):
    h, mnt, add = _ri(rng, 1, 11), _ri(rng, 0, 11) * 5, _ri(rng, 70, 600)
    total = h * 60 + mnt + add
    hh = (total // 60 - 1) % 12 + 1
    ans = f"{hh}:{total % 60:02d}"
    sol = f"Adding ${add}$ minutes gives $\\boxed{{{ans}}}$."
    wrong1 = f"{hh % 12 + 1}:{total % 60:02d}"
    wrong2 = f"{hh}:{(total + 10) % 60:02d}"
    return MathItem(
        f"A train leaves at {h}:{mnt:02d} and the trip takes ${add}$ minutes. At what time on a 12-hour clock does it arrive?",
        ans,
        sol,
        "Prealgebra",
        _ri(rng, 1, 2),
        "temporal_arithmetic",
        f"${add}$ minutes is {add // 60} hours and {add % 60} minutes after {h}:{mnt:02d}.",
        [
            (wrong1, "Adding the hours and minutes separately,"),
            (wrong2, "Converting the minutes to hours,"),
        ],
    )


def _m_percent(rng):
    price, pct = _ri(rng, 2, 40) * 10, [10, 15, 20, 25, 30, 40][_ri(rng, 0, 5)]
    ans_num = price * (100 - pct) // 100
    sol = f"The discount is ${price * pct // 100}$, so the sale price is $\\boxed{{{ans_num}}}$."
    return MathItem(
        f"A jacket costs ${price}$ dollars and is on sale for ${pct}\\%$ off. What is the sale price in dollars?",
        str(ans_num),
        sol,
        "Prealgebra",
        _ri(rng, 1, 2),
        "multi_step_arithmetic",
        f"${pct}\\%$ of {price} is {price * pct // 100}, which is taken off the price.",
        [
            (str(price * pct // 100), f"${pct}\\%$ of {price} is"),
            (str(price - pct), "Subtracting the percentage from the price gives"),
        ],
    )


# task -> list of (builder, count, weak?)
MINERVA_TASKS: dict[str, list[tuple]] = {
    "minerva_math_algebra": [
        (_m_linear, 12, False),
        (_m_system, 10, False),
        (_m_word_algebra, 10, False),
    ],
    "minerva_math_counting_and_prob": [
        (_m_casework_div, 4, True),
        (_m_casework_digits, 3, True),
        (_m_casework_committee, 3, True),
        (_m_casework_powers, 3, True),
        (_m_arrange, 7, False),
        (_m_choose, 6, False),
        (_m_prob, 6, False),
    ],
    "minerva_math_num_theory": [
        (_m_mod_pow, 5, True),
        (_m_last_digit, 4, True),
        (_m_mod_sum, 3, True),
        (_m_congruence, 2, True),
        (_m_gcd, 9, False),
        (_m_divisors, 9, False),
    ],
    "minerva_math_prealgebra": [
        (_m_word_pre, 12, False),
        (_m_weekday, 10, False),
        (_m_clock, 4, False),
        (_m_percent, 6, False),
    ],
}

MINERVA_FEWSHOT = (
    "Problem:\nWhat is $3\\cdot 4 + 5$?\n\nSolution:\nMultiplication comes first: $12 + 5 = 17$.\n"
    "Final Answer: The final answer is $17$. I hope it is correct.\n\n"
    "Problem:\nSolve for $y$: $2y - 3 = 9$.\n\nSolution:\nAdding 3 gives $2y = 12$, so $y = 6$.\n"
    "Final Answer: The final answer is $6$. I hope it is correct.\n\n"
    "Problem:\nHow many ways can 3 people stand in a line?\n\nSolution:\nThere are $3! = 6$ orders.\n"
    "Final Answer: The final answer is $6$. I hope it is correct.\n\n"
    "Problem:\nWhat is the greatest common divisor of 8 and 12?\n\nSolution:\n"
    "Both are multiples of 4 and no larger number divides both, so the answer is 4.\n"
    "Final Answer: The final answer is $4$. I hope it is correct.\n\n"
)

_OPENERS = ["", "Let's work it out. ", "We proceed step by step. ", "First, note the setup. "]


def _math_response(item: MathItem, correct: bool, rng: np.random.Generator) -> str:
    opener = _OPENERS[int(rng.integers(len(_OPENERS)))]
    if correct:
        ans, method = item.answer, item.right_sketch
    else:
        ans, method = item.wrong[int(rng.integers(len(item.wrong)))]
    if method.endswith("."):
        method += " So the answer is"
    elif method.endswith(","):
        method += " which gives"
    text = (
        f"{opener}{method} $\\boxed{{{ans}}}$.\n"
        f"Final Answer: The final answer is ${ans}$. I hope it is correct."
    )
    if "Problem:" in text:
        raise AssertionError("minerva response contains the stop sequence")
    return text


def build_minerva(rng_items: np.random.Generator) -> dict[str, list[MathItem]]:
    """Build the minerva-style items, grouped by task (item order is shuffled per task)."""
    out: dict[str, list[MathItem]] = {}
    for task, recipe in MINERVA_TASKS.items():
        items: list[MathItem] = []
        for builder, count, _weak in recipe:
            seen: set[str] = set()
            while count > 0:
                it = builder(rng_items)
                if it.problem in seen or any(w == it.answer for w, _ in it.wrong):
                    continue
                seen.add(it.problem)
                items.append(it)
                count -= 1
        order = rng_items.permutation(len(items))
        out[task] = [items[i] for i in order]
    return out


WEAK_OPS = {
    ("minerva_math_counting_and_prob", "casework"),
    ("minerva_math_num_theory", "modular_arithmetic"),
}


# --------------------------------------------------------------------------------------------
# AIME items
# --------------------------------------------------------------------------------------------


def _aime_items(rng: np.random.Generator) -> list[tuple[str, int, str, str]]:
    """30 competition-style problems: (problem, answer 0..999, operation, flawed-method phrase)."""
    items: list[tuple[str, int, str, str]] = []
    while len(items) < 30:
        k = len(items) % 5
        if k == 0:
            a, e, b, f = _ri(rng, 3, 19), _ri(rng, 100, 2025), _ri(rng, 3, 19), _ri(rng, 100, 2025)
            ans = (pow(a, e, 1000) + pow(b, f, 1000)) % 1000
            prob = f"Find the remainder when ${a}^{{{e}}} + {b}^{{{f}}}$ is divided by $1000$."
            op = "modular_arithmetic"
        elif k == 1:
            n = _ri(rng, 800, 5000)
            a, b, c = sorted(int(x) for x in rng.choice([2, 3, 5, 7, 11, 13], 3, replace=False))
            cnt = sum(1 for v in range(1, n + 1) if (v % a == 0) + (v % b == 0) + (v % c == 0) == 1)
            ans = cnt % 1000
            prob = (
                f"Let $N$ be the number of positive integers $n \\le {n}$ that are divisible by exactly one of "
                f"${a}$, ${b}$ and ${c}$. Consider the cases according to which of them divides $n$. "
                "Find the remainder when $N$ is divided by $1000$."
            )
            op = "casework"
        elif k == 2:
            n, m = _ri(rng, 12, 30), _ri(rng, 3, 13)
            ans = sum(
                1 for x in range(1, n + 1) for y in range(1, n + 1) if (x * x + y * y) % m == 0
            )
            prob = (
                f"Find the number of ordered pairs $(x, y)$ of integers with $1 \\le x, y \\le {n}$ such that "
                f"$x^2 + y^2$ is divisible by ${m}$."
            )
            op = "modular_arithmetic"
        elif k == 3:
            n, m = _ri(rng, 2000, 9000), [8, 9, 15, 16, 21, 24][_ri(rng, 0, 5)]
            ans = sum(v for v in range(1, n) if (v * v) % m == 1) % 1000
            prob = (
                f"Find the remainder when the sum of all positive integers $n < {n}$ with "
                f"$n^2 \\equiv 1 \\pmod{{{m}}}$ is divided by $1000$."
            )
            op = "modular_arithmetic"
        else:
            s, d = _ri(rng, 10, 30), _ri(rng, 4, 5)
            cnt = 0
            for v in range(10 ** (d - 1), 10**d):
                digits = [int(ch) for ch in str(v)]
                if sum(digits) == s and (digits[0] % 2 == 0 or digits[-1] == 5):
                    cnt += 1
            ans = cnt % 1000
            prob = (
                f"Find the number of {d}-digit positive integers whose digits sum to ${s}$ and whose leading "
                "digit is even or whose last digit is $5$ (or both); treat the cases separately and combine them. "
                "Give the remainder on division by $1000$."
            )
            op = "casework"
        if ans == 0 or any(p == prob for p, *_ in items):
            continue
        phrase = (
            "Splitting into cases and adding the counts gives"
            if op == "casework"
            else "Reducing modulo the cycle length of the powers gives"
        )
        items.append((prob, ans, op, phrase))
    return items


AIME_SOLVED_BASE = {3: 3, 17: 1}  # problem index -> correct samples out of 128 (2/30 solved)
AIME_SOLVED_TARGETED = {3: 9, 17: 4, 0: 2, 6: 5, 11: 1, 20: 3, 24: 7, 28: 2}  # 8/30 solved


def _aime_response(prob_idx: int, ans: int, phrase: str, correct: bool, rng) -> str:
    if correct:
        value = ans
    else:
        # wrong answers cluster on a few "popular" mistakes, like real sampled outputs
        pool = [(ans + 1) % 1000, (ans * 2) % 1000, (ans + 100 * (1 + prob_idx % 3)) % 1000]
        value = pool[int(rng.integers(3))] if rng.random() < 0.6 else int(rng.integers(1, 1000))
        if value == ans:
            value = (ans + 7) % 1000
    return f"{phrase} {value}. So the answer is $\\boxed{{{value}}}$."


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


@dataclass
class RunMeta:
    """Metadata of one simulated lm-eval run."""

    name: str
    model: str  # lm-eval model_name (pretrained=...)
    ts: str  # file timestamp
    date: float  # UNIX time


RUNS = {
    "bbh-base": RunMeta(
        "bbh-base", "demo-org/demo-1b-step100000", "2025-03-10T09-12-41.518203", 1741597961.518203
    ),
    "bbh-eos-masked": RunMeta(
        "bbh-eos-masked",
        "demo-org/demo-1b-eosmask-step110000",
        "2025-03-17T10-03-27.004517",
        1742205807.004517,
    ),
    "bbh-eos-restored": RunMeta(
        "bbh-eos-restored",
        "demo-org/demo-1b-step120000",
        "2025-03-24T08-47-55.731902",
        1742806075.731902,
    ),
    "math-base": RunMeta(
        "math-base", "demo-org/demo-1b-step100000", "2025-03-10T11-30-02.260914", 1741606202.260914
    ),
    "math-targeted": RunMeta(
        "math-targeted",
        "demo-org/demo-1b-mathfix-step120000",
        "2025-03-24T12-15-40.889130",
        1742818540.88913,
    ),
}


def _bbh_config(task: str, description: str) -> dict:
    return {
        "task": task,
        "tag": ["bbh_cot_fewshot"],
        "dataset_path": "capslice/demo-bbh-templated",
        "test_split": "test",
        "doc_to_text": "Q: {{input}}\nA: Let's think step by step.\n",
        "doc_to_target": "{{target}}",
        "description": description + "\n\n",
        "target_delimiter": " ",
        "fewshot_delimiter": "\n\n",
        "num_fewshot": 3,
        "metric_list": [
            {
                "metric": "exact_match",
                "aggregation": "mean",
                "higher_is_better": True,
                "ignore_case": False,
            }
        ],
        "output_type": "generate_until",
        "generation_kwargs": {
            "max_gen_toks": BBH_MAX_GEN_TOKS,
            "until": BBH_UNTIL,
            "do_sample": False,
            "temperature": 0.0,
        },
        "repeats": 1,
        "filter_list": [
            {
                "name": "get-answer",
                "filter": [
                    {"function": "regex", "regex_pattern": ANSWER_RE.pattern},
                    {"function": "take_first"},
                ],
            }
        ],
        "should_decontaminate": False,
        "metadata": {"version": 4.0},
    }


def _math_config(
    task: str, repeats: int, until: list[str], max_gen: int, text: str, metrics: list[str]
) -> dict:
    return {
        "task": task,
        "dataset_path": "capslice/demo-math-templated",
        "test_split": "test",
        "doc_to_text": text,
        "doc_to_target": "{{answer}}",
        "target_delimiter": " ",
        "fewshot_delimiter": "\n\n",
        "num_fewshot": 4 if task.startswith("minerva") else 0,
        "metric_list": [
            {"metric": m, "aggregation": "mean", "higher_is_better": True} for m in metrics
        ],
        "output_type": "generate_until",
        "generation_kwargs": {
            "until": until,
            "do_sample": True,
            "temperature": 0.6,
            "max_gen_toks": max_gen,
        },
        "repeats": repeats,
        "filter_list": [{"name": "none", "filter": [{"function": "take_first"}]}],
        "should_decontaminate": False,
        "metadata": {"version": 2.0 if task.startswith("minerva") else 0.0},
    }


def _results_file(
    meta: RunMeta,
    per_task: dict[str, dict[str, list[float]]],
    filter_name: str,
    groups: dict[str, list[str]],
    configs: dict[str, dict],
    hashes: dict[str, str],
) -> dict:
    results: dict[str, dict] = {}
    group_rows: dict[str, dict] = {}
    in_group = {t for subs in groups.values() for t in subs}
    for group, subs in groups.items():
        row: dict[str, object] = {"alias": group}
        for metric in per_task[subs[0]]:
            sizes = [len(per_task[t][metric]) for t in subs]
            means = [float(np.mean(per_task[t][metric])) for t in subs]
            errs = [mean_stderr(per_task[t][metric]) for t in subs]
            row[f"{metric},{filter_name}"] = sum(
                m * n for m, n in zip(means, sizes, strict=True)
            ) / sum(sizes)
            row[f"{metric}_stderr,{filter_name}"] = pooled_stderr(errs, sizes)
        results[group] = row
        group_rows[group] = row
    for task, metrics in per_task.items():
        row = {"alias": f" - {task}" if task in in_group else task}
        for metric, vals in metrics.items():
            row[f"{metric},{filter_name}"] = float(np.mean(vals))
            row[f"{metric}_stderr,{filter_name}"] = mean_stderr(vals)
        results[task] = row
    n = {t: len(next(iter(m.values()))) for t, m in per_task.items()}
    return {
        "results": results,
        "groups": group_rows,
        "group_subtasks": {**groups, **{t: [] for t in per_task if t not in in_group}},
        "configs": configs,
        "versions": {
            **{g: 3.0 for g in groups},
            **{t: c["metadata"]["version"] for t, c in configs.items()},
        },
        "n-shot": {t: c["num_fewshot"] for t, c in configs.items()},
        "higher_is_better": {t: {m: True for m in per_task[t]} for t in per_task},
        "n-samples": {t: {"original": n[t], "effective": n[t]} for t in per_task},
        "config": {
            "model": "hf",
            "model_args": f"pretrained={meta.model},dtype=bfloat16",
            "model_num_parameters": 1_100_048_384,
            "model_dtype": "torch.bfloat16",
            "model_revision": "main",
            "model_sha": "",
            "batch_size": "16",
            "batch_sizes": [],
            "device": "cuda:0",
            "use_cache": None,
            "limit": None,
            "bootstrap_iters": 100000,
            "gen_kwargs": None,
            "random_seed": 0,
            "numpy_seed": 1234,
            "torch_seed": 1234,
            "fewshot_seed": 1234,
        },
        "git_hash": "0000000",
        "date": meta.date,
        "pretty_env_info": "synthetic demo run written by capslice sample_data/generate.py",
        "transformers_version": "4.48.3",
        "lm_eval_version": LM_EVAL_VERSION,
        "upper_git_hash": None,
        "tokenizer_pad_token": ["</s>", 2],
        "tokenizer_eos_token": ["</s>", 2],
        "tokenizer_bos_token": ["<s>", 1],
        "eot_token_id": 2,
        "max_length": 4096,
        "task_hashes": hashes,
        "model_source": "hf",
        "model_name": meta.model,
        "model_name_sanitized": sanitize_model_name(meta.model),
        "system_instruction": None,
        "system_instruction_sha": None,
        "fewshot_as_multiturn": False,
        "chat_template": None,
        "chat_template_sha": None,
        "start_time": 0.0,
        "end_time": 0.0,
        "total_evaluation_time_seconds": "0.0",
    }


def _write_run(
    out_dir: Path, meta: RunMeta, lines_by_task: dict[str, list[dict]], results: dict
) -> None:
    folder = out_dir / "lm_eval" / meta.name / sanitize_model_name(meta.model)
    folder.mkdir(parents=True, exist_ok=True)
    for task, lines in lines_by_task.items():
        body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        (folder / f"samples_{task}_{meta.ts}.jsonl").write_text(body, encoding="utf-8")
    (folder / f"results_{meta.ts}.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8"
    )


def _task_hash(lines: list[dict]) -> str:
    return sha256_hex(
        "".join(ln["doc_hash"] + ln["prompt_hash"] + ln["target_hash"] for ln in lines)
    )


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def generate(out_dir: Path) -> dict:
    """Write all five runs and ``expected_numbers.json`` under ``out_dir``; return the numbers.

    Returns a dict with, per run, overall and per-task scores; the BBH relative drop; per
    (task, solving operation) per-sample accuracy for the math runs; and AIME pass@128 counts.
    """
    expected: dict[str, dict] = {}

    # ---- BBH
    bbh = build_bbh()
    descriptions = {f"bbh_cot_fewshot_{s}": v[1] for s, v in BBH_SUBTASKS.items()}
    for run, tasks in bbh.items():
        meta = RUNS[run]
        gen = {
            "until": BBH_UNTIL,
            "max_gen_toks": BBH_MAX_GEN_TOKS,
            "do_sample": False,
            "temperature": 0.0,
        }
        lines_by_task, scores, configs, hashes = {}, {}, {}, {}
        for task, rows in tasks.items():
            lines = []
            for doc_id, (doc, prompt, resp) in enumerate(rows):
                filtered = get_answer_filter(resp)
                em = 1.0 if filtered == doc["target"] else 0.0
                lines.append(
                    sample_line(
                        doc_id,
                        doc,
                        doc["target"],
                        prompt,
                        gen,
                        [resp],
                        filtered,
                        "get-answer",
                        {"exact_match": em},
                    )
                )
            lines_by_task[task] = lines
            scores[task] = {"exact_match": [ln["exact_match"] for ln in lines]}
            configs[task] = _bbh_config(task, descriptions[task])
            hashes[task] = _task_hash(lines)
        groups = {"bbh_cot_fewshot": list(tasks)}
        results = _results_file(meta, scores, "get-answer", groups, configs, hashes)
        _write_run(out_dir, meta, lines_by_task, results)
        all_em = [v for s in scores.values() for v in s["exact_match"]]
        invalid = sum(
            1 for ls in lines_by_task.values() for ln in ls if ln["filtered_resps"][0] == INVALID
        )
        expected[run] = {
            "model_name": meta.model,
            "overall_exact_match": round(float(np.mean(all_em)), 6),
            "n_items": len(all_em),
            "n_correct": int(sum(all_em)),
            "n_invalid": invalid,
            "per_task": {t: round(float(np.mean(s["exact_match"])), 6) for t, s in scores.items()},
        }
    b, m, r = (
        expected[k]["overall_exact_match"]
        for k in ("bbh-base", "bbh-eos-masked", "bbh-eos-restored")
    )
    expected["bbh_story"] = {
        "relative_drop_masked_vs_base": round(1 - m / b, 6),
        "restored_minus_base": round(r - b, 6),
    }

    # ---- Math
    items = build_minerva(np.random.default_rng([SEED, 2]))
    aime = _aime_items(np.random.default_rng([SEED, 3]))
    prng = np.random.default_rng([SEED, 4])
    p_item = {
        task: [
            float(
                prng.uniform(0.05, 0.15)
                if (task, it.operation) in WEAK_OPS
                else prng.uniform(0.55, 0.75)
            )
            for it in its
        ]
        for task, its in items.items()
    }
    p_fixed = {
        task: [
            float(prng.uniform(0.45, 0.60)) if (task, it.operation) in WEAK_OPS else p
            for it, p in zip(its, p_item[task], strict=True)
        ]
        for task, its in items.items()
    }
    # Common random numbers: the targeted run reuses the base run's uniforms except for a
    # quarter of the (item, sample) cells, so unchanged slices move only by sampling noise.
    urng = np.random.default_rng([SEED, 7])
    u_base = {t: urng.random((len(its), MINERVA_REPEATS)) for t, its in items.items()}
    u_fixed = {}
    for t, u in u_base.items():
        redraw = urng.random(u.shape) < 0.25
        u2 = u.copy()
        u2[redraw] = urng.random(int(redraw.sum()))
        u_fixed[t] = u2
    for run, probs, uniforms, solved, stream in (
        ("math-base", p_item, u_base, AIME_SOLVED_BASE, 5),
        ("math-targeted", p_fixed, u_fixed, AIME_SOLVED_TARGETED, 6),
    ):
        meta = RUNS[run]
        rng = np.random.default_rng([SEED, stream])
        lines_by_task, scores, configs, hashes = {}, {}, {}, {}
        combo: dict[str, list[int]] = {}
        mgen = {"until": MINERVA_UNTIL, "do_sample": True, "temperature": 0.6, "max_gen_toks": 1024}
        for task, its in items.items():
            lines = []
            for doc_id, (it, p) in enumerate(zip(its, probs[task], strict=True)):
                doc = {
                    "problem": it.problem,
                    "solution": it.solution,
                    "answer": it.answer,
                    "type": it.subject,
                    "level": f"Level {it.level}",
                }
                prompt = MINERVA_FEWSHOT + f"Problem:\n{it.problem}\n\nSolution:"
                ok = uniforms[task][doc_id] < p
                resps = [_math_response(it, bool(c), rng) for c in ok]
                em = 1.0 if last_boxed(resps[0]) == it.answer else 0.0
                assert em == float(ok[0])
                lines.append(
                    sample_line(
                        doc_id,
                        doc,
                        it.answer,
                        prompt,
                        mgen,
                        resps,
                        resps[0],
                        "none",
                        {"exact_match": em, "math_verify": em},
                    )
                )
                key = f"{task}|{it.operation}"
                combo.setdefault(key, [0, 0])
                combo[key][0] += int(ok.sum())
                combo[key][1] += MINERVA_REPEATS
            lines_by_task[task] = lines
            scores[task] = {
                "exact_match": [ln["exact_match"] for ln in lines],
                "math_verify": [ln["math_verify"] for ln in lines],
            }
            configs[task] = _math_config(
                task,
                MINERVA_REPEATS,
                MINERVA_UNTIL,
                1024,
                "Problem:\n{{problem}}\n\nSolution:",
                ["exact_match", "math_verify"],
            )
            hashes[task] = _task_hash(lines)
        # AIME
        agen = {"until": AIME_UNTIL, "do_sample": True, "temperature": 0.6, "max_gen_toks": 32768}
        alines, counts = [], []
        for doc_id, (prob, ans, _op, phrase) in enumerate(aime):
            ok = np.zeros(AIME_REPEATS, dtype=bool)
            ok[rng.choice(AIME_REPEATS, solved.get(doc_id, 0), replace=False)] = True
            resps = [_aime_response(doc_id, ans, phrase, bool(c), rng) for c in ok]
            doc = {"problem": prob, "answer": str(ans)}
            prompt = f"Question: {prob}\nAnswer:"
            em = 1.0 if last_boxed(resps[0]) == str(ans) else 0.0
            alines.append(
                sample_line(
                    doc_id,
                    doc,
                    str(ans),
                    prompt,
                    agen,
                    resps,
                    resps[0],
                    "none",
                    {"exact_match": em},
                )
            )
            counts.append(sum(1 for s in resps if last_boxed(s) == str(ans)))
        lines_by_task["aime"] = alines
        scores["aime"] = {"exact_match": [ln["exact_match"] for ln in alines]}
        configs["aime"] = _math_config(
            "aime",
            AIME_REPEATS,
            AIME_UNTIL,
            32768,
            "Question: {{problem}}\nAnswer:",
            ["exact_match"],
        )
        hashes["aime"] = _task_hash(alines)
        groups = {"minerva_math": list(items)}
        results = _results_file(meta, scores, "none", groups, configs, hashes)
        _write_run(out_dir, meta, lines_by_task, results)
        expected[run] = {
            "model_name": meta.model,
            "first_sample_exact_match": {
                t: round(float(np.mean(s["exact_match"])), 6) for t, s in scores.items()
            },
            "per_sample_accuracy_by_task_and_operation": {
                k: {"correct": c, "samples": n, "accuracy": round(c / n, 6)}
                for k, (c, n) in sorted(combo.items())
            },
            "aime_correct_samples_per_problem": counts,
            "aime_pass_at_128": {
                "solved": sum(1 for c in counts if c > 0),
                "problems": len(counts),
            },
        }

    (out_dir / "expected_numbers.json").write_text(
        json.dumps(expected, indent=2) + "\n", encoding="utf-8"
    )
    return expected


def _print_summary(expected: dict) -> None:
    for run in ("bbh-base", "bbh-eos-masked", "bbh-eos-restored"):
        e = expected[run]
        print(
            f"{run:18s} exact_match {e['overall_exact_match']:.4f} ({e['n_correct']}/{e['n_items']}), [invalid] {e['n_invalid']}"
        )
        for t, v in e["per_task"].items():
            print(f"    {t:58s} {v:.4f}")
    s = expected["bbh_story"]
    print(
        f"BBH relative drop masked vs base: {s['relative_drop_masked_vs_base']:.4f}; restored - base: {s['restored_minus_base']:+.4f}"
    )
    for run in ("math-base", "math-targeted"):
        e = expected[run]
        print(f"{run}:")
        for k, v in e["per_sample_accuracy_by_task_and_operation"].items():
            print(f"    {k:58s} {v['accuracy']:.3f} ({v['correct']}/{v['samples']})")
        for t, v in e["first_sample_exact_match"].items():
            print(f"    first-sample exact_match {t:36s} {v:.4f}")
        p = e["aime_pass_at_128"]
        print(
            f"    AIME pass@128: {p['solved']}/{p['problems']} = {p['solved'] / p['problems']:.4f}"
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: generate into ``--out`` (default: this script's folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--quiet", action="store_true", help="do not print the summary")
    args = parser.parse_args(argv)
    expected = generate(args.out)
    if not args.quiet:
        _print_summary(expected)
    return 0


if __name__ == "__main__":
    sys.exit(main())
