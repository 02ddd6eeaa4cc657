"""The write path's bulk hash conversion (store/ingest.py ``_blobs``) gives what
``compact.to_blob`` gives, value by value, and fails the same way (issue 14)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from capslice_tui.store.compact import to_blob
from capslice_tui.store.ingest import _blobs

DIGESTS = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(50)]


def test_digests_convert_as_to_blob_does() -> None:
    assert _blobs(DIGESTS) == [to_blob(h) for h in DIGESTS]
    assert _blobs([h.upper() for h in DIGESTS[:3]]) == [to_blob(h) for h in DIGESTS[:3]]
    assert _blobs([]) == []


def test_none_and_bytes_pass_through_beside_digests() -> None:
    raw = bytes(range(32))
    assert _blobs([DIGESTS[0], None, raw]) == [to_blob(DIGESTS[0]), None, raw]


def test_hex_with_spaces_gives_what_to_blob_gives() -> None:
    spaced = "ab " + "ab" * 29 + " ab"  # 64 characters, 31 bytes to bytes.fromhex
    assert len(spaced) == 64
    assert _blobs([DIGESTS[0], spaced]) == [to_blob(DIGESTS[0]), to_blob(spaced)]


@pytest.mark.parametrize(
    "bad",
    [
        "abc",  # too short
        "zz" * 32,  # not hex
        DIGESTS[1] + " ",  # 65 characters that bytes.fromhex reads as 32 bytes
    ],
)
def test_a_value_that_is_not_a_digest_raises_what_to_blob_raises(bad: str) -> None:
    with pytest.raises(ValueError) as want:
        to_blob(bad)
    with pytest.raises(ValueError) as got:
        _blobs([DIGESTS[0], bad])
    assert str(got.value) == str(want.value)


def _sample(run_id: int, item: str, doc: int, **values: object) -> tuple[object, ...]:
    from capslice_tui.store.ingest import SAMPLE_COLUMNS

    row: dict[str, object] = dict.fromkeys(SAMPLE_COLUMNS)
    row.update(run_id=run_id, item_id=item, task="t", filter="f", doc_id=str(doc))
    row.update(sample_idx=0, ingest_id=1, prompt_hash=DIGESTS[doc], score=1.0, **values)
    return tuple(row[c] for c in SAMPLE_COLUMNS)


def test_columns_none_in_every_row_are_stored_null_as_given_ones(tmp_path: Path) -> None:
    """A batch whose rows leave a column None (left out of its INSERT) stores the same rows
    as a batch where one row gives it."""
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    with store.write() as conn:
        conn.execute("INSERT INTO runs (id, name, created_at) VALUES (1, 'a', 'x'), (2, 'b', 'x')")
    items = [(f"{i:064x}", "bench", "t", str(i), f"q{i}", "A", None) for i in range(1, 4)]
    texts = [(DIGESTS[i], f"prompt {i}") for i in range(1, 4)]
    plain = [_sample(1, f"{i:064x}", i) for i in range(1, 4)]
    n, ids = store.write_batch(texts=texts, items=items, samples=plain)
    assert n == 3
    mixed = [_sample(2, f"{i:064x}", i) for i in range(1, 3)]
    mixed.append(_sample(2, f"{3:064x}", 3, reasoning="why", finish_reason="stop"))
    assert store.write_batch(texts=[], items=[], samples=mixed, item_ids=ids)[0] == 3

    def stored(run_id: int) -> list[tuple[object, ...]]:
        cur = store.conn.execute(
            "SELECT * FROM samples WHERE run_id = ? ORDER BY doc_id", (run_id,)
        )
        return [tuple(r)[2:] for r in cur]  # without id and run_id

    assert stored(1)[:2] == stored(2)[:2]
    assert stored(2)[2] != stored(1)[2]
    with store.write() as conn:
        conn.execute("UPDATE samples SET reasoning = NULL, finish_reason = NULL WHERE run_id = 2")
    assert stored(1) == stored(2)
    typed = store.conn.execute(
        "SELECT count(*) FROM samples WHERE typeof(reasoning) = 'null'"
        " AND typeof(response_sha256) = 'null'"
    ).fetchone()[0]
    assert typed == 6


def test_sample_rows_of_another_width_are_refused(tmp_path: Path) -> None:
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    row = _sample(1, f"{1:064x}", 1)
    items = [(f"{1:064x}", "bench", "t", "1", "q", "A", None)]
    with pytest.raises(ValueError, match="sample rows of 25 values"):
        store.write_batch(texts=[], items=items, samples=[row[:-1]])
    with pytest.raises(ValueError):
        store.write_batch(texts=[], items=items, samples=[row, row[:-1]])
    assert store.conn.execute("SELECT count(*) FROM samples").fetchone()[0] == 0
