"""Prompt texts stored once per shared few-shot head (migration ``0024_prompt_prefixes``).

A few-shot prompt is a long head the task's every prompt shares (instructions and worked
examples: ~2-4 KB in BBH's chain-of-thought prompts, MMLU's 5-shot, GSM8K's 8-shot) and a
short question of its own. ``texts`` keeps each prompt under the sha256 of its whole text, as
before; a prompt that starts with a head met earlier keeps only the rest in ``text`` and
names the head's ``texts`` row in ``prefix`` (the head is a row of its own, under the sha256
of its text). Readers see whole prompts through the view ``prompt_texts`` (``id`` = the
row's rowid, ``hash``, ``text``): a prompt whose head row is missing reads as NULL, never as
its rest alone.

Heads are found at ingest (:class:`PrefixBook`, per store connection): the common start of
two long prompts met one after the other, cut back to a line end, when it is at least
:data:`MIN_PREFIX_CHARS` long. A prompt's hash, its text as read and every identity built on
it are unchanged; only the bytes stored differ.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

MIN_PREFIX_CHARS = 1024
"""Shortest shared head stored on its own (a shorter one saves less than its row costs)."""
KEY_CHARS = 64
"""Characters of a head's start it is looked up by (heads are longer)."""
MAX_PREFIXES = 256
"""Heads a :class:`PrefixBook` remembers (the oldest go first); a forgotten head is found
again from two prompts, and its row is stored once whatever happens."""

PROMPT_PREFIXES = """
ALTER TABLE texts ADD COLUMN prefix BLOB;  -- texts.hash of the shared head; text is the rest
CREATE VIEW prompt_texts AS
SELECT t.rowid AS id, t.hash AS hash,
       CASE WHEN t.prefix IS NULL THEN t.text
            ELSE (SELECT p.text FROM texts p WHERE p.hash = t.prefix) || t.text END AS text
FROM texts t;
"""


def _head(a: str, b: str) -> str | None:
    """The common start of ``a`` and ``b`` cut back to just after a newline, when at least
    :data:`MIN_PREFIX_CHARS` long (else None)."""
    common = os.path.commonprefix([a, b])
    cut = common.rfind("\n") + 1
    return common[:cut] if cut >= MIN_PREFIX_CHARS else None


class PrefixBook:
    """The shared heads met so far on one connection, and the split of each prompt written.

    Not thread-safe (one per store connection, whose writes are serialised anyway)."""

    def __init__(self) -> None:
        self._heads: dict[str, list[tuple[str, bytes]]] = {}
        self._order: list[tuple[str, str]] = []
        self._last: str | None = None  # the last long prompt no head matched

    def _find(self, text: str) -> tuple[str, bytes] | None:
        for head in self._heads.get(text[:KEY_CHARS], ()):
            if text.startswith(head[0]):
                return head
        return None

    def _remember(self, head: str) -> tuple[str, bytes]:
        import hashlib  # here: read commands import this module and never hash (start-up)

        entry = (head, hashlib.sha256(head.encode("utf-8", "surrogatepass")).digest())
        key = head[:KEY_CHARS]
        self._heads.setdefault(key, []).append(entry)
        self._heads[key].sort(key=lambda e: -len(e[0]))  # the longest head first
        self._order.append((key, head))
        if len(self._order) > MAX_PREFIXES:
            old_key, old = self._order.pop(0)
            self._heads[old_key] = [e for e in self._heads[old_key] if e[0] != old]
            if not self._heads[old_key]:
                del self._heads[old_key]
        return entry

    def split(
        self, texts: Sequence[str]
    ) -> tuple[list[str], list[bytes | None], list[tuple[bytes, str]]]:
        """The stored form of prompts ``texts`` (their hashes, of the whole texts, are
        unchanged). A prompt is split only when it is longer than its head, so no row names
        itself as its head.

        Returns:
            ``(stored texts, prefix hashes, heads)``: per prompt the text to store (its rest
            after a head, or the whole) and the head's sha256 (32 bytes) or None; and the
            ``(sha256, text)`` rows of every head used, to be written in the same
            transaction (``INSERT OR IGNORE``: a head stored earlier is kept as it is).
        """
        stored: list[str] = []
        prefixes: list[bytes | None] = []
        used: dict[bytes, str] = {}
        for text in texts:
            head = None
            if len(text) > MIN_PREFIX_CHARS:
                head = self._find(text)
                if head is None:
                    if self._last is not None and (found := _head(self._last, text)):
                        head = self._remember(found)
                    else:
                        self._last = text
            if head is None or len(text) <= len(head[0]):
                stored.append(text)
                prefixes.append(None)
            else:
                stored.append(text[len(head[0]) :])
                prefixes.append(head[1])
                used[head[1]] = head[0]
        return stored, prefixes, list(used.items())
