"""The ingest's per-sample shortcuts (issue 14) give what the general code gives: a doc packed
from its value (``pack_doc_value``) as from its JSON text, ``pack_doc``'s no-parse exit, the
hash conversion's fast path, the doc cap's fast path, and the taxonomy's dict inputs; the
garbage collector's threshold is raised while ingests run and restored after."""

from __future__ import annotations

import datetime
import enum
import gc
import types
from collections import OrderedDict
from typing import Any

import orjson
import pytest
from capslice_tui.store.compact import pack_doc, pack_doc_value, to_blob, unpack_doc

from capslice_tui.ingest.bounded import cap_text, cap_value
from capslice_tui.taxonomy.evaluation import _item_inputs
from capslice_tui.workspace.ingest import (
    GC_GEN0,
    MAX_RESPONSE_CHARS,
    _capped_doc,
    fewer_collections,
)


def _reference_pack_doc(doc: str | None, question: str | None, target: str | None) -> str | None:
    """``pack_doc`` as it was before its shortcuts (commit 4db67c6), to compare with."""
    if not doc or doc[0] != "{" or (question is None and target is None):
        return doc
    try:
        value = orjson.loads(doc)
    except orjson.JSONDecodeError:
        return doc
    if not isinstance(value, dict):
        return doc
    roles = []
    for member in value.values():
        if isinstance(member, str) and question is not None and member == question:
            roles.append("q")
        elif isinstance(member, str) and target is not None and member == target:
            roles.append("t")
        else:
            roles.append(".")
    if "q" not in roles and "t" not in roles:
        return doc
    if orjson.dumps(value).decode() != doc:
        return doc
    for key, role in zip(list(value), roles, strict=True):
        if role != ".":
            value[key] = 0
    return "~" + "".join(roles).rstrip(".") + orjson.dumps(value).decode()


class _Colour(str, enum.Enum):
    RED = "Why?"


class _Text(str):
    pass


Q, T = "Why is the sky blue?", "B"
DOCS: list[Any] = [
    {"input": Q, "target": T},
    {"target": T, "input": Q, "id": 3},
    {"question": Q, "choices": ["A", "B"], "answer": 1, "target": T},
    {"input": "other", "label": "other"},
    {"input": Q, "input2": Q, "x": None, "y": 1.5, "z": True, "w": float("nan")},
    {"nested": {"input": Q}, "list": [Q, T], "tuple": (Q, T)},
    {"when": datetime.date(2024, 1, 2), "input": Q},  # orjson writes a date as a string
    {"when": "2024-01-02", "other": datetime.date(2024, 1, 2)},
    {"colour": _Colour.RED, "target": T},  # a str enum: equal to "Why?" and written so
    {"sub": _Text(Q), "target": _Text(T)},
    {"obj": object(), "input": Q},  # written with default=str
    {"quote": 'say "hi"\n\u00e9', "input": 'say "hi"\n\u00e9'},
    OrderedDict([("input", Q), ("target", T)]),
    {"big": 2**40, "neg": -0.0, "input": Q},
    [Q, T],
    {},
]
QUESTIONS: list[tuple[str | None, str | None]] = [
    (Q, T),
    (None, T),
    (Q, None),
    (None, None),
    ("Why?", T),
    ("2024-01-02", None),
    ('say "hi"\n\u00e9', T),
    (Q, Q),
    ("", ""),
]


@pytest.mark.parametrize("doc", DOCS, ids=range(len(DOCS)))
def test_pack_doc_value_is_pack_doc_of_the_text(doc: Any) -> None:
    text = orjson.dumps(doc, default=str).decode() if doc else None
    for question, target in QUESTIONS:
        want = _reference_pack_doc(text, question, target)
        got = pack_doc_value(doc, question, target)
        assert got == want, (doc, question, target)
        assert pack_doc(text, question, target) == want
        assert unpack_doc(got, question, target) == text


def test_pack_doc_without_a_parse_still_packs_only_what_it_packed() -> None:
    texts = [
        '{"input": "Why is the sky blue?", "target": "B"}',  # not orjson's compact form
        '{"input":"Why is the sky blue?","target":"B"}',
        '{"input":"Why is the sky blue?"',  # not JSON
        '{"a":"\\u0042"}',  # an escape orjson would not write: not its compact form
        '{"a":"B"}',
        '["Why is the sky blue?"]',
        '~qt{"input":0,"target":0}',
        '{"a":"x\\ud800"}',
    ]
    for text in texts:
        for question, target in [*QUESTIONS, ("x\ud800", None)]:
            assert pack_doc(text, question, target) == _reference_pack_doc(
                text, question, target
            ), (text, question, target)


def test_to_blob_fast_path_and_its_errors() -> None:
    digest = bytes(range(32))
    assert to_blob(digest.hex()) == digest
    assert to_blob(digest.hex().upper()) == digest
    assert to_blob(digest) is digest
    assert to_blob(None) is None
    for bad in ["ab" * 31, "zz" * 32, "ab" * 33, ""]:
        with pytest.raises(ValueError, match="not a sha256 hex digest"):
            to_blob(bad)


def test_capped_doc_is_cap_value() -> None:
    long = "x" * (MAX_RESPONSE_CHARS + 5)
    capped = cap_text(long, MAX_RESPONSE_CHARS)
    docs: list[Any] = [
        {"input": Q, "n": 1, "f": 0.5, "b": False, "none": None},
        {"input": long},
        {"input": capped},  # a capped text is no plain str: the general path
        {"nested": {"input": long}},
        {"list": [long, Q]},
        {"obj": datetime.date(2024, 1, 2)},
        [long],
        OrderedDict([("input", long)]),
    ]
    for doc in docs:
        got, want = _capped_doc(doc), cap_value(doc, MAX_RESPONSE_CHARS)
        assert orjson.dumps(got, default=str) == orjson.dumps(want, default=str)
        assert (got is doc) == (want is doc)
    flat = docs[0]
    assert _capped_doc(flat) is flat  # nothing copied for the common doc


def test_item_inputs_of_a_dict_a_mapping_and_a_record() -> None:
    fields = {"benchmark": "bbh", "task": "t", "doc": {"a": 1}, "question": Q, "target": T}
    want = ("bbh", "t", {"a": 1}, Q, None, T)
    assert _item_inputs(fields) == want
    assert _item_inputs(types.MappingProxyType(fields)) == want
    assert _item_inputs(types.SimpleNamespace(**fields)) == want


def test_fewer_collections_raises_the_threshold_while_ingests_run() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with fewer_collections():
            assert gc.get_threshold() == (GC_GEN0, 10, 10)
            with fewer_collections():  # a second ingest (another thread) at the same time
                assert gc.get_threshold() == (GC_GEN0, 10, 10)
            assert gc.get_threshold() == (GC_GEN0, 10, 10)  # the first still runs
        assert gc.get_threshold() == (700, 10, 10)
        with pytest.raises(RuntimeError), fewer_collections():
            raise RuntimeError("an ingest that fails")
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(0)  # collections off: left off
        with fewer_collections():
            assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(*saved)
