"""Mapping rules (``mapping.yaml``): load and validate, strictly.

``data_rules`` map an evaluation slice to data cells (with weight and rationale); ``causes`` and
``non_data_rules`` map failure-mode evidence to non-data causes. Unknown axis values on either
side of a rule are errors (with the closest valid spellings suggested); every error is a
:class:`~capslice_tui.taxonomy.yamlfile.TaxonomyError` naming file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..vocabulary import FORMAT_MODES
from .catalog import Catalog, DataCell
from .data import DATA_AXES, DataTaxonomy, _taxonomy_file
from .yamlfile import TaxonomyError, _check_keys, _line, _Map, _parse_yaml, _read, _Seq, _suggest

MAPPING_FILE = "mapping.yaml"
_QUALITY_CMP = re.compile(r"^\s*(>=|<=|==|>|<)\s*(-?\d+)\s*$")
_QUALITY_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


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
        data_rules.append(_data_rule(file, raw, line, i, check_id, eval_axes, tax))

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
        non_data.append(_non_data_rule(file, raw, line, i, check_id, causes, oc_valid))
    return MappingRules(file, tuple(data_rules), causes, tuple(non_data))


def _data_rule(
    file: str,
    raw: Any,
    line: int,
    i: int,
    check_id: Callable[[_Map, int, str], str],
    eval_axes: Mapping[str, Mapping[str, Any]],
    tax: DataTaxonomy,
) -> DataRule:
    """The ``i``-th (0-based) entry of ``data_rules``, validated.

    Raises:
        TaxonomyError: naming file, line and field.
    """
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
    return DataRule(rid, when, selectors, float(weight), rationale or "", line)


def _non_data_rule(
    file: str,
    raw: Any,
    line: int,
    i: int,
    check_id: Callable[[_Map, int, str], str],
    causes: Mapping[str, str],
    oc_valid: Mapping[str, Any],
) -> NonDataRule:
    """The ``i``-th (0-based) entry of ``non_data_rules``, validated.

    Raises:
        TaxonomyError: naming file, line and field (an unknown cause with close spellings).
    """
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
        {m: m for m in FORMAT_MODES}, where,
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
            raise TaxonomyError(file, cline, f"{where}: unknown cause {c!r}" + _suggest(c, causes))
    rationale = _text(file, raw, "rationale", line, where, required=True)
    check = _text(file, raw, "check", line, where, required=False)
    return NonDataRule(rid, fm, oc, tuple(c_items), rationale or "", check, line)


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
