"""Data taxonomy, data catalog and mapping rules: load and validate, strictly.

Three files feed the planning step (:mod:`capslice_tui.planning.mixture`):

- ``data.yaml`` (packaged default in ``taxonomies/``): the data axes ``source``, ``domain``,
  ``format``, ``quality`` with closed vocabularies (aliases allowed). See the file's header.
- a data catalog (the user's corpus buckets): YAML with a top-level ``cells:`` list, or CSV with
  the same columns. Each cell has ``id, source, domain, format, quality, tokens, weight, path``
  and optional ``notes``; no other keys. Weights sum to 1 within 1e-6.
- ``mapping.yaml``: ``data_rules`` (evaluation slice -> data cells, with weight and rationale),
  ``causes`` and ``non_data_rules`` (failure-mode evidence -> non-data causes). See its header.

Every error is a :class:`~capslice_tui.taxonomy.evaluation.TaxonomyError` whose text is
``"<file>:<line>: <message naming the field>"``. Unknown axis values on either side of a rule are
errors (with the closest valid spellings suggested). No SQLite and no Textual here.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..vocabulary import FORMAT_MODES
from .evaluation import TaxonomyError, _Map, _parse_yaml, _Seq, default_taxonomy_dir

DATA_AXES: tuple[str, ...] = ("source", "domain", "format", "quality")
"""The four data axes, in display order."""

DATA_FILE = "data.yaml"
MAPPING_FILE = "mapping.yaml"
NON_DATA_FAILURE_MODES: tuple[str, ...] = FORMAT_MODES
"""Failure modes that non-data rules may name (``correct`` and ``wrong_answer`` are not evidence
of a non-data cause): :data:`capslice_tui.vocabulary.FORMAT_MODES`."""

CATALOG_KEYS: tuple[str, ...] = (
    "id", "source", "domain", "format", "quality", "tokens", "weight", "path", "notes",
)  # fmt: skip
CATALOG_REQUIRED = frozenset(CATALOG_KEYS) - {"notes"}
CATALOG_ID_RE = re.compile(r"^[a-z0-9_]+$")
WEIGHT_SUM_TOLERANCE = 1e-6

_QUALITY_CMP = re.compile(r"^\s*(>=|<=|==|>|<)\s*(-?\d+)\s*$")
_QUALITY_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def _line(container: Any, key: Any, default: int) -> int:
    if isinstance(container, _Map):
        return container.key_lines.get(key, container.line)
    return default


def _suggest(value: Any, valid: Iterable[Any]) -> str:
    names = [str(v) for v in valid]
    close = difflib.get_close_matches(str(value), names, n=3, cutoff=0.5)
    if close:
        return " (did you mean " + " or ".join(repr(c) for c in close) + "?)"
    return (
        " (valid: "
        + ", ".join(repr(n) for n in names[:30])
        + ("…" if len(names) > 30 else "")
        + ")"
    )


def _check_keys(file: str, mapping: _Map, allowed: Iterable[str], where: str) -> None:
    allowed = set(allowed)
    for key in mapping:
        if key not in allowed:
            raise TaxonomyError(
                file,
                mapping.key_lines.get(key, mapping.line),
                f"unknown key {key!r} in {where} (allowed: {', '.join(sorted(map(str, allowed)))})",
            )


# --------------------------------------------------------------------------- data taxonomy


@dataclass(frozen=True)
class DataTaxonomy:
    """The data axes and their closed vocabularies.

    Attributes:
        file: the YAML file it came from.
        axes: axis -> canonical value -> description (quality values are ints).
        axis_descriptions: axis -> description.
        aliases: axis -> accepted spelling (canonical or alias, as str) -> canonical value.
    """

    file: str
    axes: dict[str, dict[Any, str]]
    axis_descriptions: dict[str, str]
    aliases: dict[str, dict[str, Any]]

    def canonical(self, axis: str, value: Any) -> Any:
        """The canonical value for ``value`` on ``axis`` (alias resolved), or None if unknown.

        Quality accepts ints and integral strings/floats (``3``, ``"3"``, ``3.0``).
        """
        if axis == "quality":
            if isinstance(value, bool):
                return None
            try:
                as_float = float(value)
            except (TypeError, ValueError):
                return None
            if not as_float.is_integer():
                return None
            q = int(as_float)
            return q if q in self.axes["quality"] else None
        return self.aliases.get(axis, {}).get(str(value))


def parse_data_taxonomy(text: str, file: str | Path = "<string>") -> DataTaxonomy:
    """Parse and validate a data taxonomy YAML text (format: header of ``taxonomies/data.yaml``).

    Raises:
        TaxonomyError: invalid YAML, unknown keys, missing or extra axes, empty vocabularies,
            non-integer quality values, an alias that collides with another value.
    """
    file = str(file)
    data = _parse_yaml(text, file)
    if not isinstance(data, _Map):
        raise TaxonomyError(file, 1, "a data taxonomy must be a mapping with 'version' and 'axes'")
    _check_keys(file, data, {"version", "axes"}, "the data taxonomy")
    if data.get("version", 1) != 1:
        raise TaxonomyError(file, _line(data, "version", 1), "unsupported version (expected 1)")
    axes_data = data.get("axes")
    if not isinstance(axes_data, _Map):
        raise TaxonomyError(file, _line(data, "axes", data.line), "'axes' must be a mapping")
    missing = [a for a in DATA_AXES if a not in axes_data]
    if missing:
        raise TaxonomyError(file, axes_data.line, f"missing data axes: {', '.join(missing)}")
    _check_keys(file, axes_data, DATA_AXES, "axes")
    axes: dict[str, dict[Any, str]] = {}
    descriptions: dict[str, str] = {}
    aliases: dict[str, dict[str, Any]] = {}
    for axis in DATA_AXES:
        spec = axes_data[axis]
        line = axes_data.key_lines[axis]
        if not isinstance(spec, _Map):
            raise TaxonomyError(file, line, f"axis {axis!r} must be a mapping")
        _check_keys(file, spec, {"description", "values"}, f"axis {axis!r}")
        values = spec.get("values")
        if not isinstance(values, _Map) or not values:
            raise TaxonomyError(file, _line(spec, "values", line), f"axis {axis!r} needs values")
        descriptions[axis] = str(spec.get("description") or "")
        axes[axis] = {}
        aliases[axis] = {}
        for value, vspec in values.items():
            vline = values.key_lines[value]
            if axis == "quality" and (isinstance(value, bool) or not isinstance(value, int)):
                raise TaxonomyError(file, vline, f"quality value {value!r} must be an integer")
            if axis != "quality" and not isinstance(value, str):
                raise TaxonomyError(file, vline, f"{axis} value {value!r} must be a string")
            names = [value]
            if isinstance(vspec, _Map):
                _check_keys(
                    file, vspec, {"description", "aliases", "share", "tokens_billions"},
                    f"value {value!r}",
                )  # fmt: skip
                desc = str(vspec.get("description") or "")
                extra = vspec.get("aliases") or []
                if not isinstance(extra, list) or not all(isinstance(a, str) for a in extra):
                    raise TaxonomyError(
                        file, _line(vspec, "aliases", vline), "'aliases' must be a list of strings"
                    )
                names += extra
            elif vspec is None or isinstance(vspec, (str, int, float)):
                desc = "" if vspec is None else str(vspec)
            else:
                raise TaxonomyError(file, vline, f"value {value!r}: description must be text")
            axes[axis][value] = desc
            for name in names:
                key = str(name)
                if key in aliases[axis] and aliases[axis][key] != value:
                    raise TaxonomyError(
                        file, vline, f"{axis} spelling {key!r} names two values "
                        f"({aliases[axis][key]!r} and {value!r})",
                    )  # fmt: skip
                aliases[axis][key] = value
    return DataTaxonomy(file, axes, descriptions, aliases)


def load_data_taxonomy(directory: Path | str | None = None) -> DataTaxonomy:
    """Load ``data.yaml`` from ``directory``, falling back to the packaged default.

    Raises:
        TaxonomyError: the file cannot be read or is invalid.
    """
    path = _taxonomy_file(directory, DATA_FILE)
    return parse_data_taxonomy(_read(path), path)


def _taxonomy_file(directory: Path | str | None, name: str) -> Path:
    if directory is not None and (Path(directory) / name).is_file():
        return Path(directory) / name
    return default_taxonomy_dir() / name


def _read(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(path, 0, f"cannot read file: {exc}") from exc


# --------------------------------------------------------------------------- catalog


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


# --------------------------------------------------------------------------- mapping rules


@dataclass(frozen=True)
class Selector:
    """A set of data cells: per named data axis, the allowed canonical values.

    Attributes:
        conditions: axis -> frozenset of canonical values; a cell matches when every axis does.
        text: the selector as written (for traces).
    """

    conditions: dict[str, frozenset[Any]]
    text: str

    def matches(self, cell: DataCell) -> bool:
        """True when the cell's label on every named axis is allowed."""
        return all(cell.label(a) in allowed for a, allowed in self.conditions.items())


@dataclass(frozen=True)
class DataRule:
    """Evaluation slice values -> data cells.

    Attributes:
        id: rule id; when: eval axis -> allowed values; selectors: data cells (any selector);
        weight: belief strength (> 0); rationale: why; line: line in the mapping file.
    """

    id: str
    when: dict[str, frozenset[str]]
    selectors: tuple[Selector, ...]
    weight: float
    rationale: str
    line: int

    def applies_to(self, slice_key: Mapping[str, Any]) -> bool:
        """True when every axis of ``when`` is in the slice with an allowed value."""
        return all(a in slice_key and slice_key[a] in allowed for a, allowed in self.when.items())

    def selects(self, cell: DataCell) -> bool:
        """True when any selector matches the cell."""
        return any(s.matches(cell) for s in self.selectors)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id, "when": {a: sorted(v) for a, v in self.when.items()},
            "select": [s.text for s in self.selectors], "weight": self.weight,
            "rationale": self.rationale, "line": self.line,
        }  # fmt: skip


@dataclass(frozen=True)
class NonDataRule:
    """Failure-mode evidence -> non-data causes to check, in order."""

    id: str
    failure_modes: frozenset[str]
    output_constraints: frozenset[str] | None
    causes: tuple[str, ...]
    rationale: str
    check: str | None
    line: int

    def applies_to(self, failure_mode: str | None, output_constraint: str | None = None) -> bool:
        """True for this failure mode (and output constraint, when the rule names some)."""
        if failure_mode not in self.failure_modes:
            return False
        return self.output_constraints is None or output_constraint in self.output_constraints

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id, "failure_mode": sorted(self.failure_modes),
            "output_constraint": sorted(self.output_constraints) if self.output_constraints else None,
            "causes": list(self.causes), "rationale": self.rationale, "check": self.check,
            "line": self.line,
        }  # fmt: skip


@dataclass(frozen=True)
class MappingRules:
    """The validated ``mapping.yaml``."""

    file: str
    data_rules: tuple[DataRule, ...]
    causes: dict[str, str]
    non_data_rules: tuple[NonDataRule, ...] = field(default_factory=tuple)

    def rules_for(self, slice_key: Mapping[str, Any]) -> list[DataRule]:
        """Data rules that apply to a slice ``{axis: value}``, in file order."""
        return [r for r in self.data_rules if r.applies_to(slice_key)]

    def non_data_causes(
        self, failure_mode: str | None, output_constraint: str | None = None
    ) -> list[dict[str, Any]]:
        """Non-data causes for the evidence, most specific rule first, each cause once.

        Returns:
            ``[{cause, description, rule, rationale, check}]``.
        """
        matching = [r for r in self.non_data_rules if r.applies_to(failure_mode, output_constraint)]
        matching.sort(key=lambda r: 0 if r.output_constraints is not None else 1)
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for r in matching:
            for cause in r.causes:
                if cause in seen:
                    continue
                seen.add(cause)
                out.append({
                    "cause": cause, "description": self.causes[cause], "rule": r.id,
                    "rationale": r.rationale, "check": r.check,
                })  # fmt: skip
        return out

    def unused_rules(self, catalog: Catalog) -> list[str]:
        """Ids of data rules that select no cell of the catalog (worth a warning)."""
        return [r.id for r in self.data_rules if not any(r.selects(c) for c in catalog.cells)]


def _values(
    file: str, raw: Any, line: int, axis: str, valid: Mapping[Any, Any], where: str
) -> frozenset[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise TaxonomyError(file, line, f"{where}: {axis} needs at least one value")
    out = set()
    for v in items:
        if v not in valid:
            raise TaxonomyError(
                file, line, f"{where}: unknown {axis} value {v!r}" + _suggest(v, valid)
            )
        out.add(v)
    return frozenset(out)


def _quality_values(file: str, raw: Any, line: int, tax: DataTaxonomy, where: str) -> frozenset:
    known = sorted(tax.axes["quality"])
    items = raw if isinstance(raw, list) else [raw]
    out: set[int] = set()
    for item in items:
        if isinstance(item, str) and (m := _QUALITY_CMP.match(item)):
            op, bound = m.group(1), int(m.group(2))
            ops = {
                ">=": bound.__le__, ">": bound.__lt__, "<=": bound.__ge__, "<": bound.__gt__,
                "==": bound.__eq__,
            }  # fmt: skip
            chosen = {q for q in known if ops[op](q)}
        elif isinstance(item, str) and (m := _QUALITY_RANGE.match(item)):
            lo, hi = int(m.group(1)), int(m.group(2))
            chosen = {q for q in known if lo <= q <= hi}
        else:
            q = tax.canonical("quality", item)
            if q is None:
                raise TaxonomyError(
                    file, line, f"{where}: unknown quality {item!r} (use an int in {known}, "
                    "a comparison such as '>=3' or a range such as '3-5')",
                )  # fmt: skip
            chosen = {q}
        if not chosen:
            raise TaxonomyError(
                file, line, f"{where}: quality {item!r} selects no value of {known}"
            )
        out |= chosen
    return frozenset(out)


def _selector(file: str, raw: Any, line: int, tax: DataTaxonomy, where: str) -> Selector:
    if not isinstance(raw, _Map) or not raw:
        raise TaxonomyError(file, line, f"{where}: a selector is a mapping of data axes to values")
    conditions: dict[str, frozenset[Any]] = {}
    parts = []
    for axis, value in raw.items():
        aline = raw.key_lines.get(axis, line)
        if axis not in DATA_AXES:
            raise TaxonomyError(
                file, aline, f"{where}: unknown data axis {axis!r} (axes: {', '.join(DATA_AXES)})"
            )
        if axis == "quality":
            conditions[axis] = _quality_values(file, value, aline, tax, where)
        else:
            items = value if isinstance(value, list) else [value]
            allowed = set()
            for v in items:
                c = tax.canonical(axis, v)
                if c is None:
                    raise TaxonomyError(
                        file, aline,
                        f"{where}: unknown {axis} {v!r} in data taxonomy {tax.file}"
                        + _suggest(v, tax.axes[axis]),
                    )  # fmt: skip
                allowed.add(c)
            conditions[axis] = frozenset(allowed)
        shown = value if isinstance(value, list) else [value]
        parts.append(f"{axis}={'|'.join(str(v) for v in shown)}")
    return Selector(conditions, ", ".join(parts))


def _text(file: str, raw: _Map, key: str, line: int, where: str, required: bool) -> str | None:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise TaxonomyError(file, line, f"{where}: missing {key!r} (written reason required)")
        return None
    if not isinstance(value, str):
        raise TaxonomyError(file, raw.key_lines.get(key, line), f"{where}: {key!r} must be text")
    return " ".join(value.split())


def parse_mapping(
    text: str,
    file: str | Path,
    eval_axes: Mapping[str, Mapping[str, Any]],
    tax: DataTaxonomy,
) -> MappingRules:
    """Parse and validate mapping rules against both taxonomies.

    Args:
        text: YAML text (format in the header of ``taxonomies/mapping.yaml``).
        file: name used in errors.
        eval_axes: evaluation axes, axis -> {value: description} (``Taxonomy.axes``).
        tax: the data taxonomy.

    Raises:
        TaxonomyError: naming file and line: unknown keys, unknown evaluation axes or values in
            ``when``, unknown data axes or values in ``select``, bad weight, missing rationale,
            duplicate rule ids, unknown causes or failure modes.
    """
    file = str(file)
    data = _parse_yaml(text, file)
    if not isinstance(data, _Map):
        raise TaxonomyError(file, 1, "a mapping file must be a mapping with 'data_rules'")
    _check_keys(
        file, data, {"version", "data_rules", "causes", "non_data_rules"}, "the mapping file"
    )
    if data.get("version", 1) != 1:
        raise TaxonomyError(file, _line(data, "version", 1), "unsupported version (expected 1)")
    ids: dict[str, int] = {}

    def check_id(raw: _Map, line: int, where: str) -> str:
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid.strip():
            raise TaxonomyError(file, line, f"{where}: missing 'id'")
        if rid in ids:
            raise TaxonomyError(file, line, f"duplicate rule id {rid!r} (first at line {ids[rid]})")
        ids[rid] = line
        return rid

    rules_raw = data.get("data_rules") or _Seq()
    if not isinstance(rules_raw, list):
        raise TaxonomyError(file, _line(data, "data_rules", 1), "'data_rules' must be a list")
    lines = getattr(rules_raw, "item_lines", [data.line] * len(rules_raw))
    data_rules = []
    for i, (raw, line) in enumerate(zip(rules_raw, lines, strict=True)):
        where = f"data rule #{i + 1}"
        if not isinstance(raw, _Map):
            raise TaxonomyError(file, line, f"{where} must be a mapping")
        _check_keys(file, raw, {"id", "when", "select", "weight", "rationale"}, where)
        rid = check_id(raw, line, where)
        where = f"data rule {rid!r}"
        when_raw = raw.get("when")
        wline = raw.key_lines.get("when", line)
        if not isinstance(when_raw, _Map) or not when_raw:
            raise TaxonomyError(file, wline, f"{where}: 'when' must map evaluation axes to values")
        when = {}
        for axis, value in when_raw.items():
            aline = when_raw.key_lines.get(axis, wline)
            if axis not in eval_axes:
                raise TaxonomyError(
                    file, aline,
                    f"{where}: unknown evaluation axis {axis!r} (axes: {', '.join(eval_axes)})",
                )  # fmt: skip
            when[axis] = _values(file, value, aline, axis, eval_axes[axis], where)
        sel_raw = raw.get("select")
        sline = raw.key_lines.get("select", line)
        if sel_raw is None:
            raise TaxonomyError(file, line, f"{where}: missing 'select'")
        sel_items = sel_raw if isinstance(sel_raw, list) else [sel_raw]
        sel_lines = getattr(sel_raw, "item_lines", [sline] * len(sel_items))
        if not sel_items:
            raise TaxonomyError(file, sline, f"{where}: 'select' needs at least one selector")
        selectors = tuple(
            _selector(file, s, sl, tax, where) for s, sl in zip(sel_items, sel_lines, strict=True)
        )
        weight = raw.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
            raise TaxonomyError(
                file, raw.key_lines.get("weight", line), f"{where}: 'weight' must be a number > 0"
            )
        rationale = _text(file, raw, "rationale", line, where, required=True)
        data_rules.append(DataRule(rid, when, selectors, float(weight), rationale or "", line))

    causes_raw = data.get("causes") or _Map()
    if not isinstance(causes_raw, dict):
        raise TaxonomyError(file, _line(data, "causes", 1), "'causes' must map cause ids to text")
    causes = {str(k): " ".join(str(v or "").split()) for k, v in causes_raw.items()}

    nd_raw = data.get("non_data_rules") or _Seq()
    if not isinstance(nd_raw, list):
        raise TaxonomyError(
            file, _line(data, "non_data_rules", 1), "'non_data_rules' must be a list"
        )
    nd_lines = getattr(nd_raw, "item_lines", [data.line] * len(nd_raw))
    non_data = []
    oc_valid = eval_axes.get("output_constraint", {})
    for i, (raw, line) in enumerate(zip(nd_raw, nd_lines, strict=True)):
        where = f"non-data rule #{i + 1}"
        if not isinstance(raw, _Map):
            raise TaxonomyError(file, line, f"{where} must be a mapping")
        _check_keys(file, raw, {"id", "when", "causes", "rationale", "check"}, where)
        rid = check_id(raw, line, where)
        where = f"non-data rule {rid!r}"
        when_raw = raw.get("when")
        wline = raw.key_lines.get("when", line)
        if not isinstance(when_raw, _Map):
            raise TaxonomyError(file, wline, f"{where}: 'when' must be a mapping")
        _check_keys(file, when_raw, {"failure_mode", "output_constraint"}, f"{where} 'when'")
        if "failure_mode" not in when_raw:
            raise TaxonomyError(file, wline, f"{where}: 'when' needs 'failure_mode'")
        fm = _values(
            file, when_raw["failure_mode"], when_raw.key_lines["failure_mode"], "failure_mode",
            {m: m for m in NON_DATA_FAILURE_MODES}, where,
        )  # fmt: skip
        oc = None
        if "output_constraint" in when_raw:
            oc = _values(
                file, when_raw["output_constraint"], when_raw.key_lines["output_constraint"],
                "output_constraint", oc_valid, where,
            )  # fmt: skip
        c_raw = raw.get("causes")
        cline = raw.key_lines.get("causes", line)
        c_items = c_raw if isinstance(c_raw, list) else [c_raw] if c_raw else []
        if not c_items:
            raise TaxonomyError(file, cline, f"{where}: 'causes' needs at least one cause")
        for c in c_items:
            if c not in causes:
                raise TaxonomyError(
                    file, cline, f"{where}: unknown cause {c!r}" + _suggest(c, causes)
                )
        rationale = _text(file, raw, "rationale", line, where, required=True)
        check = _text(file, raw, "check", line, where, required=False)
        non_data.append(NonDataRule(rid, fm, oc, tuple(c_items), rationale or "", check, line))
    return MappingRules(file, tuple(data_rules), causes, tuple(non_data))


def load_mapping(
    directory: Path | str | None,
    eval_axes: Mapping[str, Mapping[str, Any]],
    tax: DataTaxonomy,
    path: Path | str | None = None,
) -> MappingRules:
    """Load ``mapping.yaml`` (``path``, else ``directory``, else the packaged default).

    Raises:
        TaxonomyError: unreadable or invalid (see :func:`parse_mapping`).
    """
    file = Path(path) if path is not None else _taxonomy_file(directory, MAPPING_FILE)
    return parse_mapping(_read(file), file, eval_axes, tax)


__all__ = [
    "CATALOG_KEYS",
    "DATA_AXES",
    "NON_DATA_FAILURE_MODES",
    "Catalog",
    "DataCell",
    "DataRule",
    "DataTaxonomy",
    "MappingRules",
    "NonDataRule",
    "Selector",
    "load_catalog",
    "load_data_taxonomy",
    "load_mapping",
    "parse_catalog",
    "parse_catalog_csv",
    "parse_data_taxonomy",
    "parse_mapping",
]
