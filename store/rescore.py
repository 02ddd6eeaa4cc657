"""Reads and writes of re-scoring: stored responses in, capslice's derived columns out.

The harness's columns (``official``, ``response``, ``score_source``) are never written here;
only what capslice derives from a response (its extraction, the score when capslice scored
the sample itself, the lenient re-extraction and the failure mode) is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from .db import StoreBase, chunks, placeholders

RESCORED_COLUMNS = (
    "extracted",
    "score",
    "lenient_extracted",
    "lenient",
    "failure_mode",
    "failure_reason",
    "failure_signals",
)
"""The sample columns a re-score may change, in the order :meth:`update_sample_scores` takes."""

_UPDATE = (
    "UPDATE samples SET "
    + ", ".join(f"{c} = ?" for c in RESCORED_COLUMNS)
    + " WHERE id = ? AND run_id = ?"
)


class RescoreMixin(StoreBase):
    """Stored responses for re-scoring, and the batch write of the re-scored columns."""

    def rescore_rows(self, run_id: int, *, after_id: int = 0, limit: int = 5000) -> list[Any]:
        """Samples of a run in id order after ``after_id`` (keyset page of at most ``limit``).

        Columns: id, task, filter, response, response_sha256 (set when the stored response
        was cut), official, score_source, finish_reason, n_output_tokens, every column of
        :data:`RESCORED_COLUMNS`, the item's target and its effective ``output_constraint``
        label (None when unlabelled).
        """
        cols = ", ".join(f"s.{c}" for c in RESCORED_COLUMNS)
        return self.conn.execute(
            "SELECT s.id, s.task, s.filter, s.response, s.response_sha256, s.official,"
            f" s.score_source, s.finish_reason, s.n_output_tokens, {cols}, i.target,"
            " a.output_constraint FROM samples s JOIN items i ON i.id = s.item_id"
            " LEFT JOIN item_axes a ON a.item_id = s.item_id"
            " WHERE s.run_id = ? AND s.id > ? ORDER BY s.id LIMIT ?",
            (run_id, after_id, limit),
        ).fetchall()

    def update_sample_scores(self, run_id: int, rows: Sequence[Sequence[Any]]) -> int:
        """Write re-scored columns in one transaction.

        Args:
            rows: ``(*values in RESCORED_COLUMNS order, sample_id)`` per sample; a sample of
                another run is left alone.

        Returns:
            Samples updated.
        """
        with self.write() as conn:
            before = conn.total_changes
            conn.executemany(_UPDATE, [(*r, run_id) for r in rows])
            return conn.total_changes - before

    def sample_failure_modes(self, sample_ids: Sequence[int]) -> dict[int, str | None]:
        """Sample id -> stored failure mode (ids not in the store are absent)."""
        out: dict[int, str | None] = {}
        for chunk in chunks(list(sample_ids)):
            for sid, mode in self.conn.execute(
                f"SELECT id, failure_mode FROM samples WHERE id IN ({placeholders(chunk)})",
                chunk,
            ):
                out[int(sid)] = mode
        return out

    def unquestioned_item_prompts(self) -> dict[int, str]:
        """Item id -> one stored prompt text, for every item without a question field of its
        own (generic logs keep the question in the prompt column; items whose samples have
        no stored prompt are absent). One pass over the samples."""
        rows: list[sqlite3.Row] = self.conn.execute(
            "SELECT s.item_id, t.text FROM samples s JOIN items i ON i.id = s.item_id"
            " JOIN prompt_texts t ON t.hash = s.prompt_hash WHERE i.question IS NULL"
            " GROUP BY s.item_id"
        ).fetchall()
        return {int(item_id): text for item_id, text in rows}
