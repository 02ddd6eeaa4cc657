"""Item identities, item rows and sample rows of an lm-eval read in the ingest's worker
processes (:mod:`._ingest_workers`, issue 14), with the work that repeats across samples done
once.

Each method gives exactly what the ingest's own helpers give (:func:`.ingest._identity`,
:func:`.ingest.question_of`, :func:`.ingest.item_row`, :func:`.ingest.sample_row`,
:meth:`.ingest._Memo.cells`, :meth:`.ingest._Memo.settings_of`), built in one pass per record:

* the evaluation settings of a (task, scorer) are looked up once when the record carries no
  settings of its own (lm-eval lines carry none);
* a short response's scores are looked up by the call's values with the task's settings named
  by the task's row (its ``max_gen_toks``, ``until`` and EOS token are fixed), without
  building the call; the call is built only for a new score or when the row's item is new
  (the ingest may have to score it again);
* a doc whose members are all the question or the target (``{"input": q, "target": t}``)
  packs to a text that depends on its keys alone (:func:`.compact.pack_doc_value`): packed
  once per key layout;
* the JSON of a record's one logged metric is made once per (name, value, type, sign);
* a prompt that starts with the few-shot head the worker's previous prompts share is hashed
  from the head's saved sha256 state, its rest only (:meth:`RowMaker.prompt_sha256`): the
  same digest, ~0.4 instead of ~2 us for a 3 KB prompt.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from typing import Any

import orjson

from ..ingest.bounded import cap_text, text_length, text_sha256
from ..ingest.records import ReadContext, SampleRecord
from . import ingest as ing
from .rescore import SCORE_SOURCE_CAPSLICE, SCORE_SOURCE_HARNESS, score_sample

MAX_MEMO = 65_536
"""Entries a memo holds before it starts afresh (as :attr:`.ingest._Memo.MAX_SCORES`)."""

SHARED_MIN_CHARS = 256
"""Least length of a start two prompts share that is used as a head: hashed once
(:meth:`RowMaker.prompt_sha256`), sent once per chunk (``_ingest_workers.pack_texts``)."""

_is_nfc = unicodedata.is_normalized
_normalize = unicodedata.normalize
_sha256 = hashlib.sha256


def shared_length(a: str, b: str) -> int:
    """Characters at the start of ``a`` and ``b`` that are equal, when at least
    :data:`SHARED_MIN_CHARS` (else 0): halving the range with ``startswith`` of slices (C
    speed; no loop over characters)."""
    lo, hi = SHARED_MIN_CHARS, min(len(a), len(b))
    if hi < lo or not b.startswith(a[:lo]):
        return 0
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if b.startswith(a[lo:mid], lo):
            lo = mid
        else:
            hi = mid - 1
    return lo


class RowMaker:
    """Rows of one worker's records (see the module docstring); ``ids``: the run's and the
    ingest's id (in every row). ``memo`` scores and reads settings on a miss."""

    def __init__(self, memo: ing._Memo, ctx: ReadContext, ids: tuple[int, int]) -> None:
        self.memo, self.ctx = memo, ctx
        self.run_id, self.ingest_id = ids
        self.scores: dict[tuple[Any, ...], ing._Cells] = {}
        self.settings: dict[tuple[int, str], tuple[str, str]] = {}
        self.docs: dict[tuple[tuple[str, ...], str], str | None] = {}
        self.metrics: dict[tuple[Any, ...], str] = {}
        self.head = ""  # the start the last long prompts shared, and its sha256 state
        self.head_sha: Any = None
        self.last_long = ""  # the last long prompt that did not start with the head

    def prompt_sha256(self, prompt: str) -> bytes:
        """sha256 of ``prompt``'s UTF-8 bytes (lone surrogates passed), as 32 bytes. A prompt
        longer than :data:`SHARED_MIN_CHARS` that starts with :attr:`head` (found as the start
        two such prompts in a row share, cut back to a line's end when one is far enough in,
        so that the questions' common starts do not make a new head) hashes only its rest,
        from a copy of the head's state: sha256 reads its input in order, and the UTF-8 of a
        text is that of its start followed by that of its rest (surrogates are encoded one by
        one)."""
        if len(prompt) > SHARED_MIN_CHARS:
            head = self.head
            if not (head and prompt.startswith(head)):
                n = shared_length(self.last_long, prompt)
                self.last_long = prompt
                if not n:
                    return _sha256(prompt.encode("utf-8", "surrogatepass")).digest()
                cut = prompt.rfind("\n", 0, n) + 1  # a few-shot head ends a line: kept
                head = self.head = prompt[: cut if cut >= SHARED_MIN_CHARS else n]
                self.head_sha = _sha256(head.encode("utf-8", "surrogatepass"))
            sha = self.head_sha.copy()
            sha.update(prompt[len(head) :].encode("utf-8", "surrogatepass"))
            return sha.digest()
        return _sha256(prompt.encode("utf-8", "surrogatepass")).digest()

    def identities(self, records: list[SampleRecord]) -> tuple[list[str | None], list[bytes]]:
        """``(questions, item hashes)`` of ``records``: :func:`.ingest.question_of` and
        :func:`.ingest._identity` of each, the hash as its 32 bytes (the stored form, which
        ``write_batch`` takes as it is; the hashed JSON is built in sorted key order, as
        ``OPT_SORT_KEYS`` gives it)."""
        questions: list[str | None] = []
        hashes: list[bytes] = []
        fields, dumps = ing.QUESTION_FIELDS, orjson.dumps
        for rec in records:
            doc, question = rec.doc, None
            if doc:
                for key in fields:
                    value = doc.get(key)
                    if isinstance(value, str):
                        question = value
                        break
            questions.append(question)
            target, doc_id = rec.target, rec.doc_id
            if target is not None and not _is_nfc("NFC", target):
                target = _normalize("NFC", target)
            if doc_id is not None and not _is_nfc("NFC", doc_id):
                doc_id = _normalize("NFC", doc_id)
            if question is not None:
                if not _is_nfc("NFC", question):
                    question = _normalize("NFC", question)
                payload: dict[str, Any] = {"doc_id": doc_id, "question": question, "target": target}
            else:
                payload = {"doc_id": doc_id, "target": target, "task": ing._nfc(rec.task)}
            hashes.append(_sha256(dumps(payload)).digest())
        return questions, hashes

    def item_row(
        self, rec: SampleRecord, ihash: bytes, bench: str, question: str | None
    ) -> ing._ItemRow:
        """:func:`.ingest.item_row`; a doc of short texts that are each the question or the
        target takes its packed text from :attr:`docs`."""
        doc, target, limit = rec.doc, rec.target, ing.MAX_RESPONSE_CHARS
        if (
            type(doc) is not dict
            or not doc
            or (question is None and target is None)
            or (question is not None and len(question) > limit)
            or (target is not None and len(target) > limit)
        ):
            return ing.item_row(rec, ihash, bench, question)
        roles = ""
        for value in doc.values():
            if type(value) is not str or len(value) > limit:
                return ing.item_row(rec, ihash, bench, question)
            if value == question:
                roles += "q"
            elif value == target:
                roles += "t"
            else:
                return ing.item_row(rec, ihash, bench, question)
        key = (tuple(doc), roles)
        if key not in self.docs:
            row = ing.item_row(rec, ihash, bench, question)
            if len(self.docs) >= MAX_MEMO:
                self.docs.clear()
            self.docs[key] = row[6]
            return row
        return (ihash, bench, rec.task, rec.doc_id, question, target, self.docs[key])

    def row(
        self, chunk: Any, rec: SampleRecord, ihash: bytes, oc: str, task_row: dict[str, Any],
        lenient_applies: bool, item_id: int | None,
    ) -> tuple[Any, ...] | None:  # fmt: skip
        """Append the sample's row (:func:`.ingest.sample_row`, its prompt hash as 32 bytes)
        to ``chunk.rows``, its prompt text and settings to ``chunk.texts`` and
        ``chunk.settings``; return its entry of
        ``chunk.calls``: None when the store holds the item (``item_id``), else the
        ``score_sample`` call, its response None when the row holds it.

        Raises:
            RuntimeError: ``score_sample`` named another scorer than the record's (never
                stored).
        """
        correct = rec.correct
        source = SCORE_SOURCE_HARNESS if correct is not None else SCORE_SOURCE_CAPSLICE
        found = None if rec.settings else self.settings.get((id(task_row), source))
        if found is None:
            found = self._settings(rec, task_row, source)
        settings_hash = found[0]
        if settings_hash not in chunk.settings:
            chunk.settings[settings_hash] = found[1]
        cells = self._cells(rec, oc, task_row, lenient_applies, source)
        prompt, texts = rec.prompt, chunk.texts
        prompt_hash = None
        if prompt:
            if type(prompt) is str:
                prompt_hash = self.prompt_sha256(prompt)
            else:
                prompt_hash = bytes.fromhex(text_sha256(prompt))
            if prompt_hash not in texts:
                texts[prompt_hash] = cap_text(prompt, ing.MAX_PROMPT_CHARS)
        response = whole = rec.response
        response_chars = response_sha = None
        if response is not None:
            response_chars = len(response) if type(response) is str else text_length(response)
            if max(len(response), response_chars) > ing.MAX_RESPONSE_CHARS:
                response_sha = text_sha256(response)
                response = cap_text(response, ing.MAX_RESPONSE_CHARS)
        metrics, reasoning = rec.metrics, rec.reasoning
        chunk.rows.append((
            self.run_id, ihash if item_id is None else item_id, rec.task, rec.filter,
            rec.doc_id, rec.sample_idx, self.ingest_id, prompt_hash, response, response_chars,
            response_sha, cells[1], correct, *cells[2], rec.finish_reason, rec.n_output_tokens,
            self._metrics(metrics) if metrics else None, settings_hash,
            None if reasoning is None else cap_text(reasoning, ing.MAX_RESPONSE_CHARS),
            None if reasoning is None else text_length(reasoning),
        ))  # fmt: skip
        if item_id is not None:
            return None
        if response is whole:  # ingest._score_call's, the response left to the row
            return (None, rec.target, oc, correct, rec.extracted, task_row["max_gen_toks"],
                    rec.n_output_tokens, rec.finish_reason, task_row["until"],
                    task_row["eos_token"], lenient_applies)  # fmt: skip
        return ing._score_call(rec, oc, task_row, lenient_applies)

    def _settings(
        self, rec: SampleRecord, task_row: dict[str, Any], source: str
    ) -> tuple[str, str]:
        """``(hash, JSON)`` of the sample's settings (:meth:`.ingest._Memo.settings_of`),
        kept in :attr:`settings` by (task row, scorer) when the record has none of its own."""
        found = self.memo.settings_of(rec, task_row, self.ctx, source)
        if not rec.settings:  # task rows live as long as the worker
            self.settings[(id(task_row), source)] = found
        return found

    def _cells(
        self, rec: SampleRecord, oc: str, task_row: dict[str, Any], lenient_applies: bool,
        source: str,
    ) -> ing._Cells:  # fmt: skip
        """The sample's scores with their row cells (:meth:`.ingest._Memo.cells`; a long
        response, which that memo does not keep, is scored without building its call)."""
        response = rec.response
        key: tuple[Any, ...] | None = None
        if response is None or len(response) <= ing._Memo.SHORT:
            key = (response, rec.target, oc, rec.correct, rec.extracted, rec.n_output_tokens,
                   rec.finish_reason, id(task_row), lenient_applies)  # fmt: skip
            try:
                hit = self.scores.get(key)
            except TypeError:  # an unhashable value: no memo
                key, hit = None, None
            if hit is not None:
                return hit
        if key is None:  # no memo (as _Memo.cells for a long response): scored here at once
            cells = ing._cells_of(
                score_sample(response, rec.target, oc, official=rec.correct,
                             extracted=rec.extracted, max_gen_toks=task_row["max_gen_toks"],
                             n_output_tokens=rec.n_output_tokens,
                             finish_reason=rec.finish_reason, until=task_row["until"],
                             eos_token=task_row["eos_token"], lenient_applies=lenient_applies)
            )  # fmt: skip
        else:
            cells = self.memo.cells(ing._score_call(rec, oc, task_row, lenient_applies))
        if cells[0].score_source != source:  # score_sample's rule changed: never store it
            raise RuntimeError(f"scorer {cells[0].score_source!r}, expected {source!r}")
        if key is not None:
            if len(self.scores) >= MAX_MEMO:
                self.scores.clear()
            self.scores[key] = cells
        return cells

    def _metrics(self, metrics: dict[str, float | None]) -> str:
        """The JSON of (non-empty) ``metrics`` (``orjson.dumps``); one metric's made once per
        value."""
        if len(metrics) != 1:
            return orjson.dumps(metrics).decode()
        ((name, value),) = metrics.items()
        key: tuple[Any, ...] = (name, value, type(value))
        if value == 0 and type(value) is float:  # -0.0 == 0.0, but its JSON is another
            key = (name, value, type(value), math.copysign(1.0, value))
        text = self.metrics.get(key)
        if text is None:
            if len(self.metrics) >= MAX_MEMO:
                self.metrics.clear()
            text = self.metrics[key] = orjson.dumps(metrics).decode()
        return text
