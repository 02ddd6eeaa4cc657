"""The write path's bulk hash conversion (store/ingest.py ``_blobs``) gives what
``compact.to_blob`` gives, value by value, and fails the same way (issue 14)."""

from __future__ import annotations

import hashlib

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
