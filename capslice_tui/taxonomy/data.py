"""The data taxonomy (``data.yaml``): load and validate, strictly.

Three files feed the planning step (:mod:`capslice_tui.planning.mixture`); this module reads the
first, :mod:`.catalog` the second and :mod:`.mapping` the third:

- ``data.yaml`` (packaged default in ``taxonomies/``): the data axes ``source``, ``domain``,
  ``format``, ``quality`` with closed vocabularies (aliases allowed). See the file's header.
- a data catalog (the user's corpus buckets): YAML with a top-level ``cells:`` list, or CSV with
  the same columns. Each cell has ``id, source, domain, format, quality, tokens, weight, path``
  and optional ``notes``; no other keys. Weights sum to 1 within 1e-6.
- ``mapping.yaml``: ``data_rules`` (evaluation slice -> data cells, with weight and rationale),
  ``causes`` and ``non_data_rules`` (failure-mode evidence -> non-data causes). See its header.

Every error is a :class:`~capslice_tui.taxonomy.yamlfile.TaxonomyError` whose text is
``"<file>:<line>: <message naming the field>"``. Unknown axis values on either side of a rule are
errors (with the closest valid spellings suggested). No SQLite and no Textual here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .evaluation import default_taxonomy_dir
from .yamlfile import TaxonomyError, _check_keys, _line, _Map, _parse_yaml, _read

DATA_AXES: tuple[str, ...] = ("source", "domain", "format", "quality")
"""The four data axes, in display order."""

DATA_FILE = "data.yaml"


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


__all__ = ["DATA_AXES", "DataTaxonomy", "load_data_taxonomy", "parse_data_taxonomy"]
