"""Readers that turn evaluation logs into :class:`~capslice_tui.ingest.records.SampleRecord`.

Entry point: :func:`read_paths`. One module per source format (``lmeval``, ``lmms``,
``lighteval``, ``opencompass``, ``generic``) plus content-based detection (``detect``); every
reader's records pass through :func:`~capslice_tui.ingest.reasoning.split_stream`, which moves
reasoning traces (``<think>...</think>``...) from the response to ``SampleRecord.reasoning``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from capslice_tui.ingest._io import open_text, walk_files
from capslice_tui.ingest.detect import FORMATS, detect_format, generic_files
from capslice_tui.ingest.generic import ROLES, read_generic
from capslice_tui.ingest.lighteval import read_lighteval
from capslice_tui.ingest.lmeval import read_lmeval
from capslice_tui.ingest.lmms import read_lmms
from capslice_tui.ingest.opencompass import read_opencompass
from capslice_tui.ingest.reasoning import split_stream
from capslice_tui.ingest.records import BadLine, ReadContext, SampleRecord, TaskConfig

__all__ = [
    "FORMATS",
    "ROLES",
    "BadLine",
    "ReadContext",
    "SampleRecord",
    "TaskConfig",
    "detect_format",
    "open_text",
    "read_paths",
]


def read_paths(
    paths: list[Path] | list[str],
    fmt: str = "auto",
    field_map: dict[str, str] | None = None,
    system: str | None = None,
    benchmark: str | None = None,
) -> tuple[ReadContext, Iterator[SampleRecord | BadLine]]:
    """Read evaluation logs as a stream of records.

    Args:
        paths: files and/or directories (walked). Naming only files counts as a specific file
            set for lm-eval (no refusal when several timestamps are present).
        fmt: ``auto`` (content detection) or one of :data:`FORMATS`.
        field_map: generic formats only: role → key overrides (roles in :data:`ROLES`).
        system: generic formats: keep one system of a multi-system file; OpenCompass: read
            one model folder.
        benchmark: generic formats only: benchmark name (and default task).

    Returns:
        ``(context, records)``. Settings from results/config files are in the context before
        the first record is drawn; ``context.run_meta["source_files"]`` lists the files read.
        Records stream: files are parsed line by line (orjson) except JSON documents
        (OpenCompass objects, lm-eval 0.4.0 arrays), which are parsed one file at a time, and
        parquet (lighteval), read in row batches. A response's closed reasoning trace is in
        ``reasoning``, the text after it in ``response``.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: unknown format, unrecognisable input, several lm-eval runs in one folder,
            unknown field role, a mapped field absent from the data, an unknown system.
    """
    path_list = [Path(p) for p in paths]
    if fmt == "auto":
        fmt = detect_format(path_list)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; valid: auto, {', '.join(FORMATS)}")
    ctx = ReadContext(format=fmt)
    explicit = all(p.is_file() for p in path_list)
    files = walk_files(path_list)
    if fmt == "lm-eval":
        records = read_lmeval(files, ctx, explicit)
    elif fmt == "lmms-eval":
        records = read_lmms(files, ctx, explicit)
    elif fmt == "lighteval":
        records = read_lighteval(files, ctx, explicit)
    elif fmt == "opencompass":
        records = read_opencompass(files, ctx, system)
    else:
        data_files = generic_files(path_list)
        if not data_files:
            raise ValueError("no JSONL/CSV data files among: " + ", ".join(map(str, files)))
        records = read_generic(data_files, ctx, field_map, system, benchmark)
    return ctx, split_stream(records, ctx)
