"""A worker's chunk crosses the pipe to the ingest's process with each few-shot prompt after
the first as the length of the start it shares with the previous one and its rest (issue 14:
the ~3 KB head was pickled, sent and unpickled once per sample), and arrives whole: the same
texts, types and order, whatever the prompts share. A worker hashes a prompt that starts with
the head its previous prompts share from the head's saved state: the same sha256."""

from __future__ import annotations

import hashlib
import pickle
import random
from multiprocessing.reduction import ForkingPickler

from capslice_tui.ingest.bounded import cap_text
from capslice_tui.workspace._ingest_rows import RowMaker
from capslice_tui.workspace._ingest_workers import SHARED_MIN_CHARS, Chunk

WORDS = "the of and to in is that for it as with was on be by this are or from at".split()


def _words(rng: random.Random, n_chars: int) -> str:
    out = ""
    while len(out) < n_chars:
        out += rng.choice(WORDS) + rng.choice([" ", " ", "\n"])
    return out[:n_chars]


def _crossed(texts: dict[bytes, object]) -> tuple[Chunk, int]:
    """A chunk holding ``texts`` as the ingest's process gets it, and its pickled size."""
    data = ForkingPickler.dumps(Chunk(0, texts=dict(texts)))
    return pickle.loads(data), len(data)


def _same(got: dict[bytes, object], texts: dict[bytes, object]) -> None:
    assert list(got) == list(texts)
    for h, text in texts.items():
        assert got[h] == text and type(got[h]) is type(text), h


def test_few_shot_prompts_cross_without_their_head_each_time() -> None:
    rng = random.Random(1)
    head = _words(rng, 3000)
    texts = {bytes([i]) * 32: f"{head}\nQ: item {i}: {_words(rng, 60)}" for i in range(100)}
    got, size = _crossed(texts)
    _same(got.texts, texts)
    assert size < 3000 + 100 * 200  # sent whole: ~100 x 3,100 bytes
    assert got.texts[bytes([5]) * 32] is not texts[bytes([5]) * 32]  # rebuilt, not shared


def test_any_prompts_arrive_whole_in_order() -> None:
    """Several heads interleaved, starts shared just below, at and above the least length
    packed, a prompt that is the start of the one before, one equal to it but for its last
    character, short prompts between, capped prompts (a ``str`` subclass), lone surrogates
    and other characters."""
    rng = random.Random(7)
    for case in range(300):
        heads = [_words(rng, rng.choice([0, 100, 255, 256, 257, 400, 3000])) for _ in range(3)]
        heads.append(heads[0][: SHARED_MIN_CHARS + rng.randint(-2, 2)])
        texts: dict[bytes, object] = {}
        prev = ""
        for i in range(rng.randint(0, 30)):
            kind = rng.random()
            if kind < 0.1 and prev:
                text = prev[: rng.randint(0, len(prev))]
            elif kind < 0.15 and prev:
                text = prev[:-1] + "\ud800"
            elif kind < 0.25:
                text = _words(rng, rng.randint(1, 300))
            elif kind < 0.3:
                text = cap_text(rng.choice(heads) + _words(rng, 2000), 1000)  # type: ignore[assignment]
            else:
                text = rng.choice(heads) + rng.choice(["", "é", "\n", "中文"]) + _words(rng, 80)
            if text:
                texts[f"{case}-{i}".encode()] = text
                prev = str(text)
        got, _ = _crossed(texts)
        _same(got.texts, texts)
    assert type(cap_text("x" * 2000, 1000)) is not str  # the capped case was a subclass


def test_a_chunk_without_texts_crosses_as_it_is() -> None:
    got, _ = _crossed({})
    assert got.texts == {} and got.unit == 0 and got.rows == []


def test_prompt_hashes_are_the_sha256_of_the_whole_prompt() -> None:
    """Heads that change, shared starts around the least length, a head cut at a line end
    or not, a surrogate pair split where a head ends, prompts equal to the head, short ones."""
    rng = random.Random(3)
    heads = [_words(rng, n) for n in (250, 256, 300, 1500, 3000)]
    heads += [heads[3] + "\ud83d", heads[3].replace("\n", " ") + "é"]
    made = RowMaker(None, None, (1, 1))  # type: ignore[arg-type]
    for i in range(3000):
        if i % rng.choice([1, 5, 50, 400]) == 0:
            head = rng.choice(heads)
        kind = rng.random()
        if kind < 0.05:
            prompt = head
        elif kind < 0.1:
            prompt = _words(rng, rng.randint(1, 400))
        else:
            prompt = head + rng.choice(["", "\ude00", "\n", "中"]) + _words(rng, rng.randint(0, 90))
        want = hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).digest()
        assert made.prompt_sha256(prompt) == want, i
    assert made.head  # the saved state was used
