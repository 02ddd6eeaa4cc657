"""Compact stored forms of values that users see in another form (migration
``0021_narrow_store``, issue 14), and the conversions at the store's boundary.

- Hashes (item hashes, prompt text hashes, evaluation settings hashes) are sha256 digests kept
  as 32-byte blobs inside the store; everything outside it (exports, the team hub, sample
  details, the evaluation-difference check) sees the 64-character lowercase hex form.
  :func:`to_blob` and :func:`to_hex` convert; a store holds one form only (the migration
  converts every row).
- An item's ``doc`` JSON does not repeat the item's question and target: a top-level member
  whose value is exactly the stored question (or target) string is kept in place with the
  value ``0``, and the text starts with ``~`` and one role character per top-level member
  (``q`` question, ``t`` target, ``.`` kept; trailing ``.`` omitted), e.g.
  ``~qt{"input":0,"target":0}``. JSON text never starts with ``~``, so a stored doc is either
  the original JSON or this packed form, never ambiguous. :func:`unpack_doc` gives back the
  original text byte for byte (only docs whose text is orjson's compact form of themselves are
  packed, so re-serialising restores the same bytes).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

PACKED = "~"


def to_blob(value: str | bytes | None) -> bytes | None:
    """The stored form of a sha256 hex digest: its 32 bytes (None stays None).

    Raises:
        ValueError: ``value`` is not a 64-character hex string (naming the value).
    """
    if type(value) is str and len(value) == 64:  # the common case first: one check, one call
        try:
            return bytes.fromhex(value)
        except ValueError:
            raise ValueError(f"not a sha256 hex digest: {value[:80]!r}") from None
    if value is None or isinstance(value, bytes):
        return value
    if len(value) != 64:
        raise ValueError(f"not a sha256 hex digest: {value[:80]!r}")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"not a sha256 hex digest: {value[:80]!r}") from None


def to_hex(value: bytes | str | None) -> str | None:
    """The external form of a stored hash: lowercase hex (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    return value.hex()


def pack_doc(doc: str | None, question: str | None, target: str | None) -> str | None:
    """``doc`` (JSON text) without the members equal to the question or target (see module
    docstring); unchanged when nothing repeats or the text is not orjson's compact form."""
    if not doc or doc[0] != "{" or (question is None and target is None):
        return doc
    if not (_member_text_in(question, doc) or _member_text_in(target, doc)):
        return doc  # neither text is a member of the compact form: nothing to pack, no parse
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
        return doc  # re-serialising would not give the same bytes back: keep as is
    for key, role in zip(list(value), roles, strict=True):
        if role != ".":
            value[key] = 0
    return PACKED + "".join(roles).rstrip(".") + orjson.dumps(value).decode()


def _member_text_in(text: str | None, doc: str) -> bool:
    """Whether ``text``, JSON-encoded as orjson writes it, occurs in ``doc`` (True when it
    cannot be encoded: the caller then parses ``doc``). A member equal to ``text`` in a doc
    that is orjson's compact form of itself occurs so, so False means nothing packs."""
    if text is None:
        return False
    try:
        return orjson.dumps(text).decode() in doc
    except orjson.JSONEncodeError:  # a lone surrogate: decide by parsing
        return True


_KEPT_TYPES = (int, float, bool, type(None), dict, list, tuple)
"""Types of doc members that JSON never shows as a string (so never equal to a question)."""


def pack_doc_value(value: Any, question: str | None, target: str | None) -> str | None:
    """``pack_doc(orjson.dumps(value, default=str).decode(), question, target)`` for a doc read
    from JSON (``value``; None or empty: None), without parsing the JSON text back: orjson's
    text of such a value is its own compact form, and its members' texts are the members'.
    A top-level member of another type (one ``default=str`` or orjson writes as a string)
    takes :func:`pack_doc`'s own path, so the result is the same for any value."""
    if not value:
        return None
    text = orjson.dumps(value, default=str).decode()
    if type(value) is not dict or (question is None and target is None):
        return pack_doc(text, question, target)
    roles = ""
    for member in value.values():
        if isinstance(member, str):  # a None question or target equals no member
            roles += "q" if member == question else "t" if member == target else "."
        elif type(member) in _KEPT_TYPES:
            roles += "."
        else:
            return pack_doc(text, question, target)
    roles = roles.rstrip(".")
    if not roles:
        return text
    kept = dict(value)
    for key, role in zip(value, roles, strict=False):  # roles end at the last packed one
        if role != ".":
            kept[key] = 0
    return PACKED + roles + orjson.dumps(kept, default=str).decode()


def unpack_doc(doc: str | None, question: str | None, target: str | None) -> str | None:
    """The original doc JSON text of a stored doc (the inverse of :func:`pack_doc`)."""
    if not doc or doc[0] != PACKED:
        return doc
    cut = doc.index("{")
    roles = doc[1:cut]
    value: dict[str, Any] = orjson.loads(doc[cut:])
    for key, role in zip(list(value), roles, strict=False):
        if role == "q":
            value[key] = question
        elif role == "t":
            value[key] = target
    return orjson.dumps(value).decode()


def register(conn: sqlite3.Connection) -> None:
    """SQL functions reading the compact forms: ``capslice_doc(doc, question, target)`` (the
    original doc JSON) and ``capslice_hex(hash)`` (the hex form)."""
    conn.create_function("capslice_doc", 3, unpack_doc, deterministic=True)
    conn.create_function("capslice_hex", 1, to_hex, deterministic=True)


# table -> columns holding a sha256 digest as a 32-byte blob
HASH_COLUMNS: dict[str, tuple[str, ...]] = {
    "items": ("item_hash",),
    "texts": ("hash", "prefix"),  # prefix: 0024_prompt_prefixes
    "eval_settings": ("hash",),
    "samples": ("prompt_hash",),
}


def settings_hashes(conn: sqlite3.Connection) -> dict[int, str]:
    """``eval_settings`` id -> the settings hash (hex): what ``samples.settings_id`` means
    outside the store (the table holds one row per distinct settings, a handful)."""
    return {int(i): h.hex() for i, h in conn.execute("SELECT id, hash FROM eval_settings")}


def with_settings_hash(row: dict[str, Any], hashes: dict[int, str]) -> dict[str, Any]:
    """A sample row with ``settings_id`` replaced by ``settings_hash`` (hex) in the place the
    column had before ``0021_narrow_store`` (before ``reasoning``); a row without
    ``settings_id`` is returned as it is."""
    if "settings_id" not in row:
        return row
    sid = row["settings_id"]
    value = None if sid is None else hashes.get(int(sid))
    out: dict[str, Any] = {}
    for key, v in row.items():
        if key in ("settings_id", "settings_hash"):  # an emptied settings_hash (SQLite < 3.35)
            continue
        if key == "reasoning":
            out["settings_hash"] = value
        out[key] = v
    out.setdefault("settings_hash", value)
    return out


def external_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``table`` as read from the store, in its external form (in place; returned):
    hashes as hex, an item's doc whole (it needs the row's question and target)."""
    for col in HASH_COLUMNS.get(table, ()):
        if col in row:
            row[col] = to_hex(row[col])
    if table == "items" and row.get("doc") is not None:
        row["doc"] = unpack_doc(row["doc"], row.get("question"), row.get("target"))
    return row


def stored_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A row of ``table`` in its external form, in the store's form (in place; returned).

    Raises:
        ValueError: a hash column holds something other than a sha256 hex digest.
    """
    for col in HASH_COLUMNS.get(table, ()):
        if col in row:
            row[col] = to_blob(row[col])
    if table == "items" and row.get("doc") is not None:
        row["doc"] = pack_doc(row["doc"], row.get("question"), row.get("target"))
    return row
