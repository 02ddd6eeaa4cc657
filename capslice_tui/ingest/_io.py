"""File helpers shared by the readers: gzip-transparent opening, streaming JSONL, metric values.

Every reader goes through these helpers, so the small faults of real files are handled once,
here, and reported rather than guessed around:

* a UTF-8 byte-order mark is stripped (content sniffing and parsing see the first ``{``);
* a UTF-16 file (with its byte-order mark) is transcoded to UTF-8 while streaming;
* CRLF line ends are whitespace to JSON and are kept intact for CSV (``newline=""``);
* lone UTF-16 surrogates (``"\\ud83d"`` escapes, which strict parsers refuse) and invalid UTF-8
  bytes are replaced by U+FFFD; the line is read and a *note* (:class:`BadLine` with
  ``note="note"``) says what was replaced;
* a last record cut inside a string or an open object (a killed job) is a *torn*
  :class:`BadLine`, also when blank lines follow it; a JSON array or gzip stream cut short
  yields what came before the cut and one torn :class:`BadLine`;
* a line longer than :data:`bounded.LINE_LIMIT` is read in chunks (:func:`bounded.scan_long_line`),
  its long strings kept as head, tail, length and sha256, so one 250 MB generation takes a
  few MB to read;
* a file that changes (size, modification time or inode) while it is read ends in a torn
  :class:`BadLine` saying so and how many records were read: a log still being written is
  never taken for a complete one.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import math
import os
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from capslice_tui.formatting import plural
from capslice_tui.ingest import bounded
from capslice_tui.ingest.records import BadLine

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
NOTE_UTF16 = "UTF-16 file read as UTF-8"
NOTE_BOM = "UTF-8 byte-order mark stripped"
NOTE_SURROGATE = "lone surrogate replaced by U+FFFD"
NOTE_INVALID_UTF8 = "invalid UTF-8 bytes replaced by U+FFFD"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
FILE_CHANGED = "the file changed while it was read"
"""Start of the torn :class:`BadLine` reason for a file that grew or changed during the read."""
_NA_STRINGS = frozenset({"", "n/a", "na", "nan", "none", "null"})


def parse_json(data: bytes | str) -> tuple[Any, list[str]]:
    """Parse one JSON document, repairing what strict parsers refuse in real logs.

    orjson first (fast); on failure the stdlib parser, which accepts the ``NaN``/``Infinity``
    literals Python's ``json.dumps`` writes (lm-eval logs carry them) and lone surrogate
    escapes. Lone surrogates and invalid UTF-8 bytes become U+FFFD.

    Returns:
        ``(value, repairs)``: ``repairs`` lists what was replaced (:data:`NOTE_SURROGATE`,
        :data:`NOTE_INVALID_UTF8`); empty for a clean document.

    Raises:
        ValueError (``orjson.JSONDecodeError``): invalid JSON for both parsers.
    """
    try:
        return orjson.loads(data), []
    except orjson.JSONDecodeError as exc:
        first_error = exc
    repairs: list[str] = []
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", "replace")
            repairs.append(NOTE_INVALID_UTF8)
    else:
        text = data
    try:
        value = json.loads(text)
    except ValueError:
        raise first_error from None
    value, n_replaced = _replace_lone_surrogates(value)
    if n_replaced:
        repairs.append(NOTE_SURROGATE)
    return value, repairs


def _replace_lone_surrogates(value: Any) -> tuple[Any, int]:
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD, and
    how many were replaced. The stdlib parser joins valid pairs, so any left are lone."""
    if isinstance(value, str):
        if not _LONE_SURROGATE.search(value):
            return value, 0
        return _LONE_SURROGATE.subn("\ufffd", value)
    if isinstance(value, list):
        total = 0
        out_list = []
        for element in value:
            fixed, n = _replace_lone_surrogates(element)
            out_list.append(fixed)
            total += n
        return (out_list, total) if total else (value, 0)
    if isinstance(value, dict):
        total = 0
        out_dict = {}
        for key, element in value.items():
            fixed_key, n_key = _replace_lone_surrogates(key)
            fixed, n = _replace_lone_surrogates(element)
            out_dict[fixed_key] = fixed
            total += n_key + n
        return (out_dict, total) if total else (value, 0)
    return value, 0


def loads(data: bytes | str) -> Any:
    """Parse JSON like :func:`parse_json`, dropping the list of repairs.

    Raises:
        ValueError (``orjson.JSONDecodeError``): invalid JSON for both parsers.
    """
    return parse_json(data)[0]


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes (whatever its extension)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip (detected by magic bytes).

    A file that starts with a UTF-16 byte-order mark (what Windows PowerShell's ``>`` writes)
    is read as UTF-8 bytes, transcoded while streaming, so every reader sees UTF-8.
    """
    raw = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
    if raw.peek(2)[:2] in UTF16_BOMS:
        return io.BufferedReader(_Utf16AsUtf8(raw))  # type: ignore[arg-type]
    return raw  # type: ignore[return-value]


def is_utf16(path: Path) -> bool:
    """True when the (decompressed) file starts with a UTF-16 byte-order mark."""
    raw = gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")
    with raw:
        return raw.read(2) in UTF16_BOMS


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 byte stream (with its byte-order mark) read as UTF-8 bytes, chunk by chunk."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._text = io.TextIOWrapper(raw, encoding="utf-16", errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(65536)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", "surrogatepass")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        self._text.close()
        super().close()


def open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text (gzip detected by magic bytes, not by extension).

    A byte-order mark is dropped (``utf-8-sig``). ``newline=""`` keeps line endings (CRLF
    too) intact so the csv module can read quoted newlines.
    """
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="")


def read_head(path: Path, size: int = 65536) -> bytes:
    """First ``size`` decompressed bytes of a file, a UTF-8 byte-order mark left out (fewer
    when a compressed stream is cut before ``size``)."""
    chunks: list[bytes] = []
    got = 0
    with open_binary(path) as fh:
        if isinstance(getattr(fh, "raw", None), io.FileIO):  # a plain file: one read
            head = fh.read(size)
            return head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
        while got < size:
            try:
                chunk = fh.read1(min(65536, size - got))  # type: ignore[attr-defined]
            except _CUT_ERRORS:
                break
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
    head = b"".join(chunks)
    return head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head


def first_nonspace(path: Path) -> bytes:
    """The first non-whitespace byte of the (decompressed) file, or b"" when empty."""
    head = read_head(path, 4096).lstrip()
    return head[:1]


def load_json(path: Path) -> Any:
    """Parse a whole JSON document (results/config files, JSON arrays of the 0.4.0 layout).

    A byte-order mark is skipped; lone surrogates become U+FFFD (see :func:`parse_json`).

    Raises:
        ValueError: naming the file when the JSON is invalid.
    """
    with open_binary(path) as fh:
        data, stream_cut = _read_all(fh)
    if stream_cut is not None:
        raise ValueError(f"{path}: {stream_cut}")
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    try:
        return loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON: {exc}") from exc


def _is_cut(raw: bytes) -> bool:
    """True when a line stops inside a JSON string or with an object/array still open: the
    record was cut short (a killed job), not written wrong."""
    depth = 0
    in_string = escaped = False
    for byte in raw.rstrip(b"\r\n"):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            depth += 1
        elif byte in (0x7D, 0x5D):  # } ]
            depth -= 1
    return in_string or depth > 0


def line_json_error(exc: ValueError, raw: bytes | str) -> str:
    """Why one JSONL line does not parse, placed within that line: the parser's message and
    the column (1-based, in characters) where it stopped, or "at the end of the line".

    The parser saw the line alone, so its own "line 2 column 1" (past the line's newline)
    would contradict the file line the caller names; it is never shown.
    """
    msg, pos = getattr(exc, "msg", None), getattr(exc, "pos", None)
    if not isinstance(msg, str) or not isinstance(pos, int):
        return str(exc)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    content = text.rstrip("\r\n")
    if pos >= len(content.rstrip()):
        return f"{msg} at the end of the line (column {len(content) + 1})"
    return f"{msg} at column {pos + 1}"


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Stream a JSONL file as ``(line_number, object | BadLine)``; blank lines are skipped.

    Line numbers are 1-based. A leading byte-order mark is stripped and noted; CRLF line ends
    are read like LF. A line read with repairs (lone surrogates, invalid UTF-8) yields a note
    :class:`BadLine` (``note="note"``) and then its object. The last non-blank line, when it
    does not parse because it stops inside a string or an open object (a killed job), is a
    :class:`BadLine` with ``torn=True``, also when blank lines follow it; other unparsable
    lines and lines that are not JSON objects are :class:`BadLine` with the parser's reason.

    A line longer than :data:`bounded.LINE_LIMIT` bytes is streamed
    (:func:`bounded.scan_long_line`): its strings longer than
    :data:`bounded.STREAM_STRING_BYTES` come as :class:`bounded.CappedText`. A file that
    changes while it is read ends with a torn :class:`BadLine` starting with
    :data:`FILE_CHANGED`.

    Speed: a line after the first that orjson parses as it stands (the usual line) takes the
    fast path, one ``readline`` and one ``orjson.loads``; every other line (the first, a
    blank, unparsable, repaired or long one) goes through :meth:`_JsonlLines.other`, which
    gives the same items the fast path would have given had it been able to.
    """
    source = str(path)
    before = file_signature(path)
    if is_utf16(path):
        yield 1, BadLine(source, 1, NOTE_UTF16, note="note")
    state = _JsonlLines(source)
    cut = state.cut
    line_no = 0
    n_fast = 0  # records of the fast path (the others are counted in ``state``)
    limit = bounded.LINE_LIMIT
    orjson_loads, decode_error = orjson.loads, orjson.JSONDecodeError
    with open_binary(path) as fh:
        compressed = is_gzip(path)
        lines: Iterator[bytes | _LongLine] = (
            _lines(fh, cut, True)
            if compressed
            else iter(functools.partial(fh.readline, limit), b"")
        )
        for raw in lines:
            line_no += 1
            if line_no > 1 and type(raw) is bytes and len(raw) < limit:
                try:
                    obj = orjson_loads(raw)
                except decode_error:
                    yield from state.other(line_no, raw)
                    continue
                if state.pending is not None:
                    yield state.flush()
                if type(obj) is dict:
                    n_fast += 1
                    yield line_no, obj
                else:
                    yield line_no, state.not_object(line_no, obj)
            elif (
                not compressed
                and type(raw) is bytes
                and len(raw) >= limit
                and not raw.endswith(b"\n")
            ):  # longer than LINE_LIMIT: read in a stream
                long_line = _LongLine(raw, lambda: fh.readline(_CHUNK))
                yield from state.other(line_no, long_line)
                long_line.drain()
            else:
                yield from state.other(line_no, raw)
    yield from state.end(line_no)
    changed = changed_since(path, before, n_fast + state.n_records)
    if changed:
        yield line_no + 1, BadLine(source, line_no + 1, changed, torn=True)


class _JsonlLines:
    """The state of one :func:`iter_jsonl` read and its lines off the fast path.

    Attributes:
        source: the file, as named in :class:`BadLine`.
        pending: the last unparsable line ``(line, raw or None, reason, cut inside a long
            line)``: torn when no other non-blank line follows it.
        cut: why a compressed stream ended early (set by :func:`_lines`).
        n_records: objects yielded by :meth:`other`.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.pending: tuple[int, bytes | None, str, bool] | None = None
        self.cut: list[str] = []
        self.n_records = 0

    def flush(self) -> tuple[int, BadLine]:
        """The pending unparsable line, not the last one: an invalid line (cleared)."""
        assert self.pending is not None
        bad_no, reason = self.pending[0], self.pending[2]
        self.pending = None
        return bad_no, BadLine(self.source, bad_no, f"invalid JSON: {reason}")

    def not_object(self, line_no: int, obj: Any) -> BadLine:
        """The bad line of a line that parses to something other than an object."""
        return BadLine(self.source, line_no, f"expected a JSON object, got {type(obj).__name__}")

    def other(
        self, line_no: int, raw: bytes | _LongLine
    ) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
        """The items of one line off the fast path: the first (byte-order mark), blank,
        unparsable (kept pending), repaired (notes first) or streamed (:class:`_LongLine`)."""
        source, cut = self.source, self.cut
        if isinstance(raw, _LongLine):
            if line_no == 1 and raw.first.startswith(UTF8_BOM):
                raw.first = raw.first[len(UTF8_BOM) :]
                yield line_no, BadLine(source, line_no, NOTE_BOM, note="note")
            if self.pending is not None:
                yield self.flush()
            try:
                obj, repairs = _parse_long_line(raw)
            except _LongLineError as exc:
                if not cut:  # a stream cut inside the line is reported once, by :meth:`end`
                    self.pending = (line_no, None, str(exc), exc.is_cut)
                return
            if cut:
                return
            yield line_no, BadLine(source, line_no, long_line_note(), note="note")
        else:
            if line_no == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
                yield line_no, BadLine(source, line_no, NOTE_BOM, note="note")
            if not raw.strip():
                return
            if self.pending is not None:
                yield self.flush()
            try:
                obj, repairs = parse_json(raw)
            except orjson.JSONDecodeError as exc:
                self.pending = (line_no, raw, line_json_error(exc, raw), False)
                return
        for repair in repairs:
            yield line_no, BadLine(source, line_no, repair, note="note")
        if not isinstance(obj, dict):
            yield line_no, self.not_object(line_no, obj)
            return
        self.n_records += 1
        yield line_no, obj

    def end(self, line_no: int) -> Iterator[tuple[int, BadLine]]:
        """After the last of ``line_no`` lines: the pending line (torn when it stops inside a
        string or object) and a compressed stream's early end."""
        source, cut = self.source, self.cut
        if self.pending is not None:
            bad_no, bad_raw, reason, long_cut = self.pending
            torn = not cut and (long_cut if bad_raw is None else _is_cut(bad_raw))
            yield bad_no, BadLine(source, bad_no, f"invalid JSON: {reason}", torn=torn)
        if cut:
            yield line_no + 1, BadLine(source, line_no + 1, cut[0], torn=True)


def long_line_note() -> str:
    """The note a streamed line gets (the thresholds of :mod:`bounded` in it)."""
    return (
        f"a line longer than {bounded.size_text(bounded.LINE_LIMIT)} was read in a stream: its "
        f"texts over {bounded.size_text(bounded.STREAM_STRING_BYTES)} are kept as their first "
        f"and last {bounded.KEEP_CHARS:,} characters with their length and sha256"
    )


def first_object(path: Path) -> dict[str, Any] | None:
    """The object on the first non-blank line of a JSONL file, read like :func:`iter_jsonl`
    reads it (a line over :data:`bounded.LINE_LIMIT` streamed); None when that line is not a
    JSON object."""
    records = iter_jsonl(path)
    try:
        for _, obj in records:
            if isinstance(obj, dict):
                return obj
            if not obj.note:
                return None
    finally:
        records.close()  # type: ignore[attr-defined]  # a generator
    return None


after_read_hook: Callable[[Path], None] | None = None
"""Called with the path once a file has been read to its end, before it is checked for
changes (tests append to the file here to play a log that is still being written)."""


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """``(size, mtime_ns, inode)`` of ``path``, or None when it cannot be read (taken before a
    read, for :func:`changed_since`)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


def changed_since(path: Path, before: tuple[int, int, int] | None, n_records: int) -> str | None:
    """Why ``path`` is not the file that was read (it grew, shrank, was touched or replaced
    since ``before``, its :func:`file_signature`), with the records read, as the reason of a
    torn :class:`BadLine` (starts with :data:`FILE_CHANGED`); None when it is unchanged."""
    if after_read_hook is not None:
        after_read_hook(path)
    after = file_signature(path)
    if after == before:
        return None
    if before is None or after is None:
        what = "it appeared or disappeared"
    elif after[0] != before[0]:
        what = f"size {before[0]:,} -> {after[0]:,} bytes"
    elif after[2] != before[2]:
        what = "it was replaced by another file"
    else:
        what = "its modification time changed"
    return (
        f"{FILE_CHANGED} ({what}): {n_records:,} records read, later ones were not; a log still "
        "being written is incomplete: ingest it again once the job writing it has finished"
    )


class _LongLineError(ValueError):
    """A streamed line does not parse; ``is_cut`` when it stops inside a string or object."""

    def __init__(self, reason: str, is_cut: bool) -> None:
        super().__init__(reason)
        self.is_cut = is_cut


def _parse_long_line(line: _LongLine) -> tuple[Any, list[str]]:
    """Parse a line longer than :data:`bounded.LINE_LIMIT` in bounded memory.

    Raises:
        _LongLineError: the line is not valid JSON (``is_cut`` when it was cut short).
    """
    try:
        scan = bounded.scan_long_line(
            line.chunks(), string_bytes=bounded.STREAM_STRING_BYTES, keep=bounded.KEEP_CHARS
        )
    except ValueError as exc:  # LongStringError, LineTooLarge
        line.drain()
        raise _LongLineError(f"{exc} (a line of {bounded.size_text(line.n_bytes)})", False) from exc
    if scan.in_string:
        raise _LongLineError(
            f"line of {bounded.size_text(scan.n_bytes)} ends inside a string", True
        )
    try:
        value, repairs = parse_json(scan.skeleton)
    except orjson.JSONDecodeError as exc:  # its position is in the skeleton, not the line
        raise _LongLineError(exc.msg, _is_cut(scan.skeleton)) from None
    if bounded.REPAIR_INVALID_UTF8 in scan.repairs and NOTE_INVALID_UTF8 not in repairs:
        repairs.append(NOTE_INVALID_UTF8)
    if bounded.REPAIR_SURROGATE in scan.repairs and NOTE_SURROGATE not in repairs:
        repairs.append(NOTE_SURROGATE)
    return scan.fill(value), repairs


_CUT_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile)
_CHUNK = 1 << 20


class _LongLine:
    """A line longer than :data:`bounded.LINE_LIMIT`, read on demand: :meth:`chunks` gives
    its bytes in pieces (without the line end); whatever follows the line end in the last
    piece read is kept in :attr:`leftover` for the next line."""

    def __init__(self, first: bytes, more: Callable[[], bytes]) -> None:
        self.first = first
        self._more = more
        self.leftover = b""
        self.n_bytes = 0
        self._done = False

    def chunks(self) -> Iterator[bytes]:
        """The line's bytes, piece by piece (each at most about 1 MB), once."""
        piece = self.first
        self.first = b""
        while not self._done:
            if not piece:
                piece = self._more()
                if not piece:
                    self._done = True
                    return
            end = piece.find(b"\n")
            if end >= 0:
                self.leftover = piece[end + 1 :]
                piece = piece[:end]
                self._done = True
            self.n_bytes += len(piece)
            yield piece.rstrip(b"\r") if self._done else piece
            piece = b""

    def drain(self) -> None:
        """Skip what is left of the line (it was not read to its end)."""
        for _ in self.chunks():
            pass


def _lines(fh: IO[bytes], cut: list[str], compressed: bool) -> Iterator[bytes | _LongLine]:
    """Lines of ``fh`` (each with its ``\\n``, the last one perhaps without); a line longer
    than :data:`bounded.LINE_LIMIT` comes as a :class:`_LongLine` to be read in pieces.

    A compressed stream is split here from ``read1`` chunks, so that when it ends early (a
    killed job) every complete line before the cut is kept; ``cut`` then holds why, and the
    partial line at the cut is dropped (the caller reports it as one torn record).
    """
    limit = bounded.LINE_LIMIT
    if not compressed:
        while True:
            line = fh.readline(limit)
            if len(line) < limit or line.endswith(b"\n"):
                if not line:
                    return
                yield line
                continue
            long_line = _LongLine(line, lambda: fh.readline(_CHUNK))
            yield long_line
            long_line.drain()

    def more() -> bytes:
        try:
            return fh.read1(_CHUNK)  # type: ignore[attr-defined]
        except _CUT_ERRORS as exc:
            cut.append(f"compressed stream ends early: {exc}")
            return b""

    parts: list[bytes] = []  # the line being read, when no chunk has ended it yet
    n_parts = 0
    again = b""  # what followed a long line in its last piece
    while True:
        chunk, again = (again, b"") if again else (more(), b"")
        if cut:
            return
        if not chunk:
            if parts:
                yield b"".join(parts)
            return
        if b"\n" not in chunk:
            parts.append(chunk)
            n_parts += len(chunk)
            if n_parts > limit:
                long_line = _LongLine(b"".join(parts), more)
                parts, n_parts = [], 0
                yield long_line
                long_line.drain()
                again = long_line.leftover
            continue
        if parts:
            chunk = b"".join(parts) + chunk
            parts, n_parts = [], 0
        *complete, rest = chunk.split(b"\n")
        for line in complete:
            yield line + b"\n"
        if rest:
            parts, n_parts = [rest], len(rest)


def _read_all(fh: IO[bytes]) -> tuple[bytes, str | None]:
    """Everything ``fh`` holds, and why it stopped early when the compressed stream is cut."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = fh.read1(1 << 20)  # type: ignore[attr-defined]
        except _CUT_ERRORS as exc:
            return b"".join(chunks), f"compressed stream ends early: {exc}"
        if not chunk:
            return b"".join(chunks), None
        chunks.append(chunk)


def iter_json_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Records of a JSONL file, or of a JSON array when the first non-space byte is ``[``.

    Arrays (lm-eval 0.4.0-0.4.2 and dev snapshots) are parsed whole: they are pretty-printed
    single documents that cannot be streamed without a streaming JSON parser. Element ``i`` is
    reported as line ``i + 1``. An array cut short (a killed job) yields the elements before
    the cut and one torn :class:`BadLine`.
    """
    if first_nonspace(path) != b"[":
        yield from iter_jsonl(path)
        return
    source = str(path)
    before = file_signature(path)
    with open_binary(path) as fh:
        data, stream_cut = _read_all(fh)
    changed = changed_since(path, before, 0)
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
        yield 0, BadLine(source, 0, NOTE_BOM, note="note")
    try:
        parsed, repairs = parse_json(data)
        elements: list[Any] = parsed if isinstance(parsed, list) else [parsed]
        cut: str | None = None
        torn = False
    except orjson.JSONDecodeError:
        elements, repairs, cut, torn = _array_prefix(data)
        if stream_cut is not None:
            cut, torn = f"{stream_cut}; {cut}", True
    for repair in repairs:
        yield 0, BadLine(source, 0, repair, note="note")
    for index, obj in enumerate(elements):
        if isinstance(obj, dict):
            yield index + 1, obj
        else:
            yield (
                index + 1,
                BadLine(source, index + 1, f"array element is {type(obj).__name__}, not an object"),
            )
    if cut is not None:
        yield len(elements) + 1, BadLine(source, len(elements) + 1, cut, torn=torn)
    if changed:
        n_objects = sum(isinstance(obj, dict) for obj in elements)
        changed = changed.replace("0 records read", f"{n_objects:,} records read", 1)
        yield len(elements) + 1, BadLine(source, len(elements) + 1, changed, torn=True)


def _array_prefix(data: bytes) -> tuple[list[Any], list[str], str, bool]:
    """The complete elements of a JSON array that does not parse, what was repaired in them,
    why the rest could not be read (element by element with the stdlib decoder), and whether
    the array was cut short (no closing ``]``: a killed job) rather than damaged inside."""
    try:
        text = data.decode("utf-8")
        repairs: list[str] = []
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        repairs = [NOTE_INVALID_UTF8]
    decoder = json.JSONDecoder()
    elements: list[Any] = []
    n_replaced = 0
    pos = text.index("[") + 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            reason = f"JSON array ends after element {len(elements)} without ']' (truncated)"
            break
        if text[pos] == "]":
            reason = f"unexpected text after the array's ']' at character {pos + 1}"
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError as exc:
            reason = (
                f"JSON array element {len(elements) + 1} is cut short or invalid: "
                f"{getattr(exc, 'msg', exc)} (file line {getattr(exc, 'lineno', '?')}, column "
                f"{getattr(exc, 'colno', '?')})"
            )
            break
        value, n = _replace_lone_surrogates(value)
        n_replaced += n
        elements.append(value)
    if n_replaced:
        repairs.append(NOTE_SURROGATE)
    return elements, repairs, reason, not text.rstrip().endswith("]")


def metric_value(value: Any) -> float | None:
    """A per-sample metric as float; NaN, "N/A", None, lists and non-numbers become None.

    Booleans become 1.0/0.0; numeric strings ("1.0") are parsed.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, str):
        text = value.strip()
        if text.casefold() in _NA_STRINGS:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return None if math.isnan(number) else number
    return None


def walk_files(paths: list[Path]) -> list[Path]:
    """Files named by ``paths``, directories walked recursively (hidden entries skipped), sorted.

    Raises:
        FileNotFoundError: a path does not exist.
    """
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or directory")
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        else:
            files.append(path)
    return files


def strip_gz(name: str) -> str:
    """File name without a trailing ``.gz``."""
    return name[:-3] if name.endswith(".gz") else name


class _CsvLines:
    """The lines of a CSV text stream, numbered, with the lines of the row being read kept
    (``row``), so the later lines of a row the reader refuses can be read again as rows
    (``read_again``)."""

    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh
        self._again: list[tuple[int, str]] = []  # reversed: pop() gives the next line
        self.last = 0  # number of the last line taken from the file
        self.row: list[tuple[int, str]] = []

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        if self._again:
            entry = self._again.pop()
        else:
            text = next(self._fh)
            self.last += 1
            entry = (self.last, text)
        self.row.append(entry)
        return entry[1]

    def read_again(self, lines: list[tuple[int, str]]) -> None:
        self._again.extend(reversed(lines))


def iter_csv_rows(fh: IO[str]) -> Iterator[tuple[int, int, list[str] | str]]:
    """Rows of a CSV text stream (header included, blank lines left out) as ``(first line,
    last line, cells)``, or ``(first line, last line, reason)`` for a row whose quoting is
    broken: a quote still open at the end of the file, or a closing quote followed by text
    (``"x" y``). Python's csv module reads both without a word in its default mode, the first
    by swallowing every later line into one field; here the row is refused and the lines a
    quote ran over are read again as rows of their own. Line numbers are 1-based.
    """
    lines = _CsvLines(fh)
    reader = csv.reader(lines, strict=True)
    while True:
        lines.row = []
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row = lines.row
            yield row[0][0], row[-1][0], _quote_fault(str(exc), row)
            lines.read_again(row[1:])
            continue
        if cells:
            yield lines.row[0][0], lines.row[-1][0], cells


def _quote_fault(error: str, row: list[tuple[int, str]]) -> str:
    """Why a CSV row was refused, from the csv module's error and the lines the row took."""
    last = row[-1][0]
    more = len(row) - 1
    escape = 'a quote inside a quoted field is written ""'
    if error.startswith("unexpected end of data"):
        ran = f", taking in {plural(more, 'later line')}" if more else ""
        return (
            f"a quoted field opened on this line is never closed: it runs to the end of the "
            f"file (line {last}){ran}; {escape}"
        )
    if more:
        return (
            f"a quoted field opened on this line runs over {plural(more, 'later line')} and "
            f"ends badly on line {last} ({error}); {escape}"
        )
    return f"bad quoting: {error}; {escape}"
