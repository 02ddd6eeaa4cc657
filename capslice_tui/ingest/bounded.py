"""Bounded memory on any input: oversized JSON lines read in a stream, long texts capped.

A 250 MB generation (a model stuck in a loop) must not take gigabytes to read, score or show.
Three pieces:

* :func:`scan_long_line` reads one JSON line that is longer than :data:`LINE_LIMIT` bytes from
  chunks, never holding it whole: every string longer than :data:`STREAM_STRING_BYTES` (raw
  JSON bytes) is decoded chunk by chunk, keeping its first and last :data:`KEEP_CHARS`
  characters, its length and the sha256 of its UTF-8 text; what is left (the line's
  structure and its short strings) is parsed as usual.
* :class:`CappedText` is such a kept text: a ``str`` holding ``head + marker + tail``, whose
  marker says how much was left out (``... 238.4 MB more not kept ...``), with the whole
  text's length (``full_chars``, ``full_bytes``) and ``sha256`` as attributes. Scoring and
  failure-mode classification read the head and the tail (answers sit at the end; a loop
  shows at both ends).
* :func:`cap_text` caps any text to a number of characters the same way (head, marker, tail,
  length and hash), for every text field the store keeps; :func:`view_text` caps what a
  screen or the CLI shows.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

LINE_LIMIT = 16 * 1024 * 1024
"""Bytes: a JSON line longer than this is read by :func:`scan_long_line`, not whole."""
STREAM_STRING_BYTES = 64 * 1024
"""Raw JSON bytes: in a streamed line, a longer string is decoded in chunks and capped."""
KEEP_CHARS = 128 * 1024
"""Characters kept at each end of a capped string read from a streamed line."""
SKELETON_LIMIT = 64 * 1024 * 1024
"""Bytes of structure (keys, numbers, short strings) a streamed line may hold; beyond it the
line is refused as unreadable rather than read into memory."""
VIEW_CHARS = 40_000
"""Characters of one field a screen or ``capslice sample`` shows (head and tail)."""

REPAIR_SURROGATE = "surrogate"
REPAIR_INVALID_UTF8 = "invalid_utf8"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_PLACEHOLDER = "\x00capslice-long-string:"
_PLACEHOLDER_JSON = b"\\u0000capslice-long-string:"
_BACKSLASH = 0x5C


def size_text(n_bytes: int) -> str:
    """``238.4 MB``, ``12.5 KB`` or ``900 bytes`` (decimal units)."""
    if n_bytes >= 100_000:
        return f"{n_bytes / 1e6:,.1f} MB"
    if n_bytes >= 1000:
        return f"{n_bytes / 1e3:,.1f} KB"
    return f"{n_bytes} bytes"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _marker(omitted_chars: int, omitted_bytes: int, full_chars: int, sha256: str, how: str) -> str:
    if how == "not shown":  # a view cuts by characters and says so in that one unit
        return (
            f"\n\n[... {omitted_chars:,} of {full_chars:,} characters not shown here; sha256 "
            f"of the whole text {sha256} ...]\n\n"
        )
    return (
        f"\n\n[... {size_text(omitted_bytes)} more {how}: {omitted_chars:,} of {full_chars:,} "
        f"characters left out here; sha256 of the whole text {sha256} ...]\n\n"
    )


def _capped_again(
    text: str, full_chars: int, full_bytes: int, sha256: str, head_chars: int, tail_chars: int
) -> CappedText:
    """A :class:`CappedText` as pickled (:meth:`CappedText.__reduce__`)."""
    self = str.__new__(CappedText, text)
    self.full_chars, self.full_bytes, self.sha256 = full_chars, full_bytes, sha256
    self.head_chars, self.tail_chars = head_chars, tail_chars
    return self


class CappedText(str):
    """A text too long to keep whole: ``head + marker + tail`` as a ``str``.

    Attributes:
        full_chars: characters of the whole text.
        full_bytes: UTF-8 bytes of the whole text.
        sha256: hex sha256 of the whole text's UTF-8 bytes.
        head_chars, tail_chars: characters kept at the start and at the end.

    Slicing or changing it gives a plain ``str`` (the attributes do not follow); the marker
    inside the text still says what was left out.
    """

    full_chars: int
    full_bytes: int
    sha256: str
    head_chars: int
    tail_chars: int

    def __new__(
        cls,
        head: str,
        tail: str,
        *,
        full_chars: int,
        full_bytes: int,
        sha256: str,
        how: str = "not kept",
    ) -> CappedText:
        omitted_chars = full_chars - len(head) - len(tail)
        omitted_bytes = full_bytes - _utf8_len(head) - _utf8_len(tail)
        marker = _marker(omitted_chars, omitted_bytes, full_chars, sha256, how)
        self = super().__new__(cls, head + marker + tail)
        self.full_chars = full_chars
        self.full_bytes = full_bytes
        self.sha256 = sha256
        self.head_chars = len(head)
        self.tail_chars = len(tail)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its text and attributes (the ingest's worker processes send it)."""
        return (_capped_again, (str(self), self.full_chars, self.full_bytes, self.sha256,
                                self.head_chars, self.tail_chars))  # fmt: skip

    def head(self) -> str:
        """The kept start of the text."""
        return str.__getitem__(self, slice(0, self.head_chars))

    def tail(self) -> str:
        """The kept end of the text."""
        return str.__getitem__(self, slice(len(self) - self.tail_chars, None))


def text_length(text: str) -> int:
    """Characters of the whole text (``full_chars`` of a :class:`CappedText`)."""
    return text.full_chars if isinstance(text, CappedText) else len(text)


def text_sha256(text: str) -> str:
    """Hex sha256 of the whole text's UTF-8 bytes (kept by a :class:`CappedText`)."""
    if isinstance(text, CappedText):
        return text.sha256
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def cap_text(text: str | None, limit: int, how: str = "not stored") -> str | None:
    """``text`` cut to at most ``limit`` characters: its start, a marker naming what was left
    out (size, characters, sha256 of the whole), and its end; unchanged when it fits.

    Args:
        text: any text; a :class:`CappedText` keeps its whole length and hash.
        limit: most characters returned (at least 1,000, so the marker fits with some text).
        how: how the marker says the middle went missing (``not stored``, ``not shown``).

    Returns:
        ``text`` itself when it has at most ``limit`` characters, else a :class:`CappedText`
        of exactly ``limit`` characters (fewer when ``text`` was already capped shorter at one
        end). None stays None.
    """
    if text is None or len(text) <= limit:
        return text
    if isinstance(text, CappedText):
        full_chars, full_bytes, sha = text.full_chars, text.full_bytes, text.sha256
        head_src, tail_src = text.head(), text.tail()
    else:
        raw = text.encode("utf-8", "surrogatepass")
        full_chars, full_bytes = len(text), len(raw)
        sha = hashlib.sha256(raw).hexdigest()
        head_src = tail_src = text
        del raw
    room = limit - len(_marker(full_chars, full_bytes, full_chars, sha, how))
    h = min(len(head_src), room // 2)
    t = min(len(tail_src), room - h)
    capped = CappedText(
        head_src[:h], tail_src[len(tail_src) - t :], full_chars=full_chars,
        full_bytes=full_bytes, sha256=sha, how=how,
    )  # fmt: skip
    if len(capped) < limit and h == room // 2 and t == room - h:
        extra = limit - len(capped)  # the marker's numbers came out shorter than the estimate
        h = min(len(head_src), h + extra)
        capped = CappedText(
            head_src[:h], tail_src[len(tail_src) - t :], full_chars=full_chars,
            full_bytes=full_bytes, sha256=sha, how=how,
        )  # fmt: skip
    return capped


def cap_value(value: Any, limit: int) -> Any:
    """``value`` with every string in it (dict values and list elements, nested) capped by
    :func:`cap_text`; the same object when nothing needed capping."""
    kind = type(value)
    if kind is dict:
        for v in value.values():  # a loop, not any() over a generator: the common doc
            t = type(v)
            if t is str:
                if len(v) > limit:
                    break
            elif t is dict or t is list or isinstance(v, (dict, list, str)):
                break
        else:
            return value  # flat and short (the common doc): nothing to cap, nothing copied
    if isinstance(value, str):
        return cap_text(value, limit)
    if isinstance(value, dict):
        out = {k: cap_value(v, limit) for k, v in value.items()}
        return value if all(out[k] is value[k] for k in value) else out
    if isinstance(value, list):
        items = [cap_value(v, limit) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def view_text(text: str | None, limit: int = VIEW_CHARS) -> str | None:
    """What a screen or the CLI shows of a text: at most ``limit`` characters, the middle
    replaced by a marker saying how much more there is, in characters
    (``... 12,300,000 of 12,340,000 characters not shown here; sha256 ... ...``)."""
    return cap_text(text, limit, how="not shown")


# ---------------------------------------------------------------- streaming one long line


class LongStringError(ValueError):
    """A long string in a streamed line is not valid JSON text."""


class _StringDecoder:
    """Decodes one long JSON string's raw bytes chunk by chunk, keeping its two ends, its
    length and sha256."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.pending = b""
        self.head: list[str] = []
        self.head_chars = 0
        self.tail = ""
        self.n_chars = 0
        self.n_bytes = 0
        self.sha = hashlib.sha256()
        self.repairs: set[str] = set()

    def feed(self, raw: bytes, final: bool = False) -> None:
        data = self.pending + raw if self.pending else raw
        end = len(data) if final else _safe_end(data)
        self.pending = data[end:]
        if end:
            self._take(self._decode(data[:end] if end < len(data) else data))

    def _decode(self, raw: bytes) -> str:
        try:
            return orjson.loads(b'"' + raw + b'"')
        except orjson.JSONDecodeError:
            pass
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", "replace")
            self.repairs.add(REPAIR_INVALID_UTF8)
        try:
            value = json.loads('"' + text + '"')
        except ValueError as exc:
            raise LongStringError(f"invalid JSON string: {exc}") from None
        value, n = _LONE_SURROGATE.subn("\ufffd", value)
        if n:
            self.repairs.add(REPAIR_SURROGATE)
        return value

    def _take(self, text: str) -> None:
        self.n_chars += len(text)
        raw = text.encode("utf-8")
        self.n_bytes += len(raw)
        self.sha.update(raw)
        if self.head_chars < self.keep:
            part = text[: self.keep - self.head_chars]
            self.head.append(part)
            self.head_chars += len(part)
        if len(text) >= self.keep:
            self.tail = text[-self.keep :]
        else:
            self.tail = (self.tail + text)[-self.keep :]

    def finish(self) -> str:
        self.feed(b"", final=True)
        head = "".join(self.head)
        if self.n_chars <= 2 * self.keep:
            rest = self.n_chars - len(head)
            return head + (self.tail[len(self.tail) - rest :] if rest else "")
        return CappedText(
            head, self.tail, full_chars=self.n_chars, full_bytes=self.n_bytes,
            sha256=self.sha.hexdigest(),
        )  # fmt: skip


def _safe_end(data: bytes) -> int:
    """How many leading bytes of a string's raw JSON content can be decoded now: not cutting
    an escape (``\\n``, ``\\u00e9``), a surrogate pair (``\\ud83d\\ude00``) or a UTF-8
    character in two."""
    n = len(data)
    end = n
    p = data.rfind(b"\\", max(0, n - 12))
    if p >= 0:
        j = p
        while j > 0 and data[j - 1] == _BACKSLASH:
            j -= 1
        if (p - j + 1) % 2 == 1:  # the backslash at p starts an escape
            if data[p + 1 : p + 2] == b"u":
                if p + 6 > n or data[p + 2 : p + 4].lower() in _HIGH:
                    end = p  # incomplete, or a high surrogate whose pair may follow
            elif p + 2 > n:
                end = p
    if end < n and end >= 6 and _is_high_surrogate_escape(data, end - 6):
        end -= 6  # the pair's low half was cut: keep both halves for the next piece
    for back in range(1, min(4, end) + 1):
        byte = data[end - back]
        if byte & 0xC0 == 0x80:  # a continuation byte
            continue
        if byte >= 0xC0:
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            if need > back:
                end -= back
        break
    return end


def _is_high_surrogate_escape(data: bytes, at: int) -> bool:
    """True when ``data[at:at + 6]`` is an escape ``\\uD800``-``\\uDBFF`` (its backslash not
    itself escaped)."""
    if data[at : at + 2] != b"\\u" or data[at + 2 : at + 4].lower() not in _HIGH:
        return False
    j = at
    while j > 0 and data[j - 1] == _BACKSLASH:
        j -= 1
    return (at - j) % 2 == 0


_HIGH = (b"d8", b"d9", b"da", b"db")


@dataclass
class LongLine:
    """What :func:`scan_long_line` read of one line.

    Attributes:
        skeleton: the line's JSON with every long string replaced by a placeholder.
        strings: the long strings (a :class:`CappedText`, or a ``str`` when it decoded to
            at most ``2 * keep`` characters), in placeholder order.
        in_string: the line ended inside a string (it was cut short).
        repairs: :data:`REPAIR_SURROGATE` / :data:`REPAIR_INVALID_UTF8` done in long strings.
        n_bytes: bytes of the line read.
    """

    skeleton: bytes
    strings: list[str] = field(default_factory=list)
    in_string: bool = False
    repairs: set[str] = field(default_factory=set)
    n_bytes: int = 0

    def fill(self, value: Any) -> Any:
        """``value`` (the parsed skeleton) with the placeholders replaced by the strings."""
        if isinstance(value, str):
            if value.startswith(_PLACEHOLDER):
                return self.strings[int(value[len(_PLACEHOLDER) :])]
            return value
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value


class LineTooLarge(ValueError):
    """A streamed line holds more structure than :data:`SKELETON_LIMIT` bytes."""


def scan_long_line(
    chunks: Iterable[bytes],
    *,
    string_bytes: int = STREAM_STRING_BYTES,
    keep: int = KEEP_CHARS,
    skeleton_limit: int = SKELETON_LIMIT,
) -> LongLine:
    """Read one JSON line from ``chunks`` (its bytes in order, without the line end) in
    bounded memory.

    Strings of more than ``string_bytes`` raw bytes are decoded in chunks
    (:class:`_StringDecoder`) and kept as their first and last ``keep`` characters with their
    length and sha256 (:class:`CappedText`); the rest of the line is copied into
    :attr:`LongLine.skeleton`, to be parsed by the caller and filled with
    :meth:`LongLine.fill`. Memory: the skeleton, one chunk, and ``2 * keep`` characters per
    long string.

    Raises:
        LongStringError: a long string is not valid JSON text (a raw control character, a
            bad escape).
        LineTooLarge: the skeleton exceeds ``skeleton_limit`` bytes (millions of short values).
    """
    skel = bytearray()
    strings: list[str] = []
    repairs: set[str] = set()
    in_str = False
    small = bytearray()
    dec: _StringDecoder | None = None
    carry = 0  # backslashes ending the current string's content so far
    n_bytes = 0
    for chunk in chunks:
        n_bytes += len(chunk)
        pos, n = 0, len(chunk)
        while pos < n:
            if not in_str:
                q = chunk.find(b'"', pos)
                skel += chunk[pos : q if q >= 0 else n]
                if q < 0:
                    break
                in_str, carry, small, dec = True, 0, bytearray(), None
                pos = q + 1
                continue
            i = pos
            while True:
                q = chunk.find(b'"', i)
                if q < 0:
                    break
                j = q
                while j > pos and chunk[j - 1] == _BACKSLASH:
                    j -= 1
                run = q - j + (carry if j == pos else 0)
                if run % 2 == 0:
                    break  # the closing quote
                i = q + 1
            end = q if q >= 0 else n
            seg = chunk[pos:end]
            if dec is None and len(small) + len(seg) <= string_bytes:
                small += seg
            else:
                if dec is None:
                    dec = _StringDecoder(keep)
                    dec.feed(bytes(small))
                    small = bytearray()
                dec.feed(seg)
            if q < 0:
                j = len(seg)
                while j > 0 and seg[j - 1] == _BACKSLASH:
                    j -= 1
                carry = len(seg) - j + (carry if j == 0 else 0)
                break
            if dec is None:
                skel += b'"' + small + b'"'
            else:
                skel += b'"' + _PLACEHOLDER_JSON + str(len(strings)).encode() + b'"'
                strings.append(dec.finish())
                repairs |= dec.repairs
                dec = None
            in_str = False
            pos = q + 1
        if len(skel) > skeleton_limit:
            raise LineTooLarge(
                f"line holds more than {size_text(skeleton_limit)} of JSON structure outside "
                "its long strings; capslice reads at most that much of one line"
            )
    if in_str:
        skel += b'"' + small  # cut inside a string: the skeleton stays cut too
    return LongLine(bytes(skel), strings, in_str, repairs, n_bytes)
