"""File helpers shared by the readers: gzip-transparent opening, streaming JSONL, metric values."""

from __future__ import annotations

import gzip
import io
import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from capslice_tui.ingest.records import BadLine

GZIP_MAGIC = b"\x1f\x8b"
_NA_STRINGS = frozenset({"", "n/a", "na", "nan", "none", "null"})


def loads(data: bytes | str) -> Any:
    """Parse JSON with orjson; fall back to the stdlib for the ``NaN``/``Infinity`` literals
    Python's ``json.dumps`` writes (lm-eval logs carry them), which orjson refuses.

    Raises:
        ValueError (``orjson.JSONDecodeError``): invalid JSON for both parsers.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        if "NaN" not in text and "Infinity" not in text:
            raise
        try:
            return json.loads(text)
        except ValueError:
            pass
        raise


def is_gzip(path: Path) -> bool:
    """True when the file starts with the gzip magic bytes (whatever its extension)."""
    with open(path, "rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for binary reading, decompressing gzip (detected by magic bytes)."""
    if is_gzip(path):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text (gzip detected by magic bytes, not by extension).

    ``newline=""`` keeps line endings intact so the csv module can read quoted newlines.
    """
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", newline="")


def read_head(path: Path, size: int = 65536) -> bytes:
    """First ``size`` decompressed bytes of a file."""
    with open_binary(path) as fh:
        return fh.read(size)


def first_nonspace(path: Path) -> bytes:
    """The first non-whitespace byte of the (decompressed) file, or b"" when empty."""
    head = read_head(path, 4096).lstrip()
    return head[:1]


def load_json(path: Path) -> Any:
    """Parse a whole JSON document (results/config files, JSON arrays of the 0.4.0 layout).

    Raises:
        ValueError: naming the file when the JSON is invalid.
    """
    with open_binary(path) as fh:
        data = fh.read()
    try:
        return loads(data)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"{path}: invalid JSON: {exc}") from exc


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Stream a JSONL file as ``(line_number, object | BadLine)``; blank lines are skipped.

    Line numbers are 1-based. A last line without trailing newline that fails to parse is a
    :class:`BadLine` with ``torn=True`` (a killed job); other unparsable lines and lines that
    are not JSON objects are :class:`BadLine` with the parser's reason.
    """
    source = str(path)
    with open_binary(path) as fh:
        for line_no, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = loads(raw)
            except orjson.JSONDecodeError as exc:
                torn = not raw.endswith(b"\n")
                yield line_no, BadLine(source, line_no, f"invalid JSON: {exc}", torn=torn)
                continue
            if not isinstance(obj, dict):
                yield (
                    line_no,
                    BadLine(source, line_no, f"expected a JSON object, got {type(obj).__name__}"),
                )
                continue
            yield line_no, obj


def iter_json_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Records of a JSONL file, or of a JSON array when the first non-space byte is ``[``.

    Arrays (lm-eval 0.4.0-0.4.2 and dev snapshots) are parsed whole: they are pretty-printed
    single documents that cannot be streamed without a streaming JSON parser. Element ``i`` is
    reported as line ``i + 1``. A truncated array yields one torn :class:`BadLine`.
    """
    if first_nonspace(path) != b"[":
        yield from iter_jsonl(path)
        return
    try:
        data = load_json(path)
    except ValueError as exc:
        yield 0, BadLine(str(path), 0, f"JSON array does not parse (truncated?): {exc}", torn=True)
        return
    for index, obj in enumerate(data):
        if isinstance(obj, dict):
            yield index + 1, obj
        else:
            yield (
                index + 1,
                BadLine(
                    str(path), index + 1, f"array element is {type(obj).__name__}, not an object"
                ),
            )


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
