"""The data catalog (the user's corpus buckets): load and validate, strictly.

YAML with a top-level ``cells:`` list, or CSV with the same columns. Each cell has ``id, source,
domain, format, quality, tokens, weight, path`` and optional ``notes``; no other keys. Values are
checked against the data taxonomy (:mod:`.data`); weights sum to 1 within
:data:`WEIGHT_SUM_TOLERANCE`. Every error is a :class:`~capslice_tui.taxonomy.yamlfile.TaxonomyError`
naming file, line and field.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .data import DATA_AXES, DataTaxonomy
from .yamlfile import TaxonomyError, _check_keys, _line, _Map, _parse_yaml, _read, _Seq, _suggest

CATALOG_KEYS: tuple[str, ...] = (
    "id", "source", "domain", "format", "quality", "tokens", "weight", "path", "notes",
)  # fmt: skip
CATALOG_REQUIRED = frozenset(CATALOG_KEYS) - {"notes"}
CATALOG_ID_RE = re.compile(r"^[a-z0-9_]+$")
WEIGHT_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class DataCell:
    """One bucket of the corpus (a data cell), labelled on the four data axes.

    Attributes:
        id: unique id (``[a-z0-9_]+``).
        source, domain, format: canonical labels; quality: FineWeb-Edu int score.
        tokens: tokens available in the bucket (> 0).
        weight: current sampling weight in the mixture (0..1).
        path: dataset prefix the trainer reads (Megatron ``--data-path`` entry).
        notes: free text or None.
        line: line of the cell in the catalog file.
    """

    id: str
    source: str
    domain: str
    format: str
    quality: int
    tokens: int
    weight: float
    path: str
    notes: str | None = None
    line: int = 0

    def label(self, axis: str) -> Any:
        """The cell's value on a data axis."""
        return getattr(self, axis)

    def labels(self) -> dict[str, Any]:
        """``{source, domain, format, quality}``."""
        return {a: getattr(self, a) for a in DATA_AXES}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (without the line)."""
        return {
            "id": self.id, "source": self.source, "domain": self.domain, "format": self.format,
            "quality": self.quality, "tokens": self.tokens, "weight": self.weight,
            "path": self.path, "notes": self.notes,
        }  # fmt: skip


@dataclass(frozen=True)
class Catalog:
    """A validated data catalog: the cells of the current mixture (weights sum to 1 ± 1e-6)."""

    file: str
    cells: tuple[DataCell, ...]

    @property
    def total_tokens(self) -> int:
        """Sum of the cells' available tokens."""
        return sum(c.tokens for c in self.cells)

    def cell(self, cell_id: str) -> DataCell:
        """The cell with this id. Raises KeyError naming the known ids."""
        for c in self.cells:
            if c.id == cell_id:
                return c
        raise KeyError(f"no cell {cell_id!r} in {self.file}")

    def to_dict(self) -> dict[str, Any]:
        """``{"file", "cells": [cell dicts]}``."""
        return {"file": self.file, "cells": [c.to_dict() for c in self.cells]}


def _cell(
    file: str, raw: Mapping[str, Any], line: int, key_line: Any, tax: DataTaxonomy
) -> DataCell:
    """Validate one cell; ``key_line(key)`` gives the line of a field."""
    for key in raw:
        if key not in CATALOG_KEYS:
            raise TaxonomyError(
                file,
                key_line(key),
                f"unknown field {key!r} in cell (allowed: {', '.join(CATALOG_KEYS)})",
            )
    for key in sorted(CATALOG_REQUIRED):
        if key not in raw or raw[key] is None or raw[key] == "":
            raise TaxonomyError(file, line, f"cell is missing field {key!r}")
    cid = raw["id"]
    if not isinstance(cid, str) or not CATALOG_ID_RE.match(cid):
        raise TaxonomyError(file, key_line("id"), f"field 'id': {cid!r} must match [a-z0-9_]+")
    labels: dict[str, Any] = {}
    for axis in DATA_AXES:
        value = tax.canonical(axis, raw[axis])
        if value is None:
            raise TaxonomyError(
                file, key_line(axis),
                f"cell {cid!r} field {axis!r}: unknown {axis} {raw[axis]!r} in data taxonomy "
                f"{tax.file}" + _suggest(raw[axis], tax.axes[axis]),
            )  # fmt: skip
        labels[axis] = value
    tokens = raw["tokens"]
    try:
        tokens_f = float(tokens)
    except (TypeError, ValueError):
        tokens_f = math.nan
    if isinstance(tokens, bool) or not (tokens_f > 0 and tokens_f.is_integer()):
        raise TaxonomyError(
            file,
            key_line("tokens"),
            f"cell {cid!r} field 'tokens': {tokens!r} must be an integer > 0",
        )
    weight = raw["weight"]
    try:
        weight_f = float(weight)
    except (TypeError, ValueError):
        weight_f = math.nan
    if isinstance(weight, bool) or not (0.0 <= weight_f <= 1.0):
        raise TaxonomyError(
            file,
            key_line("weight"),
            f"cell {cid!r} field 'weight': {weight!r} must be a number in [0, 1]",
        )
    path = raw["path"]
    if not isinstance(path, str) or not path.strip() or any(ch.isspace() for ch in path):
        raise TaxonomyError(
            file, key_line("path"),
            f"cell {cid!r} field 'path': {path!r} must be a dataset prefix without spaces",
        )  # fmt: skip
    notes = raw.get("notes")
    return DataCell(
        id=cid, source=labels["source"], domain=labels["domain"], format=labels["format"],
        quality=labels["quality"], tokens=int(tokens_f), weight=weight_f, path=path,
        notes=None if notes in (None, "") else str(notes), line=line,
    )  # fmt: skip


def _finish_catalog(file: str, cells: list[DataCell], list_line: int) -> Catalog:
    if not cells:
        raise TaxonomyError(file, list_line, "'cells' must be a non-empty list")
    seen: dict[str, int] = {}
    for c in cells:
        if c.id in seen:
            raise TaxonomyError(
                file, c.line, f"duplicate cell id {c.id!r} (first at line {seen[c.id]})"
            )
        seen[c.id] = c.line
    total = math.fsum(c.weight for c in cells)
    if abs(total - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise TaxonomyError(
            file, list_line,
            f"field 'weight': the cells' weights sum to {total:.9g}; they must sum to 1 "
            f"(within {WEIGHT_SUM_TOLERANCE:g})",
        )  # fmt: skip
    return Catalog(file, tuple(cells))


def parse_catalog(text: str, file: str | Path, tax: DataTaxonomy) -> Catalog:
    """Parse and validate a YAML data catalog (``cells:`` list; see the module docstring).

    Raises:
        TaxonomyError: naming file, line and field: unknown keys, missing fields, unknown
            labels, bad tokens/weight/path, duplicate ids, weights not summing to 1.
    """
    file = str(file)
    data = _parse_yaml(text, file)
    if not isinstance(data, _Map):
        raise TaxonomyError(file, 1, "a data catalog must be a mapping with a 'cells' list")
    _check_keys(file, data, {"cells"}, "the catalog")
    raw_cells = data.get("cells")
    list_line = _line(data, "cells", data.line)
    if not isinstance(raw_cells, _Seq):
        raise TaxonomyError(file, list_line, "'cells' must be a non-empty list")
    cells = []
    for raw, line in zip(raw_cells, raw_cells.item_lines, strict=True):
        if not isinstance(raw, _Map):
            raise TaxonomyError(file, line, "each cell must be a mapping")
        cells.append(_cell(file, raw, line, lambda k, r=raw: r.key_lines.get(k, r.line), tax))
    return _finish_catalog(file, cells, list_line)


def parse_catalog_csv(text: str, file: str | Path, tax: DataTaxonomy) -> Catalog:
    """Parse a CSV data catalog: a header row with the catalog fields, one cell per row.

    Line numbers in errors are the CSV file's lines (header = line 1).

    Raises:
        TaxonomyError: as :func:`parse_catalog`; also unknown or missing columns.
    """
    file = str(file)
    reader = csv.reader(io.StringIO(text))
    rows = list(reader)
    if not rows:
        raise TaxonomyError(file, 1, "empty catalog: expected a header row")
    header = [h.strip() for h in rows[0]]
    for h in header:
        if h not in CATALOG_KEYS:
            raise TaxonomyError(
                file, 1, f"unknown column {h!r} (allowed: {', '.join(CATALOG_KEYS)})"
            )
    missing = sorted(CATALOG_REQUIRED - set(header))
    if missing:
        raise TaxonomyError(file, 1, f"missing columns: {', '.join(missing)}")
    cells = []
    for index, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TaxonomyError(file, index, f"{len(row)} fields, header has {len(header)}")
        raw = {h: v.strip() for h, v in zip(header, row, strict=True)}
        cells.append(_cell(file, raw, index, lambda _k, i=index: i, tax))
    return _finish_catalog(file, cells, 1)


def load_catalog(path: str | Path, tax: DataTaxonomy) -> Catalog:
    """Read a data catalog (``.csv`` as CSV, anything else as YAML) and validate it.

    Raises:
        TaxonomyError: unreadable or invalid file (see :func:`parse_catalog`).
    """
    path = Path(path)
    text = _read(path)
    if path.suffix.lower() == ".csv":
        return parse_catalog_csv(text, path, tax)
    return parse_catalog(text, path, tax)
