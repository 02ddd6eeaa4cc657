"""YAML read with line numbers, for strict validation of the taxonomy, catalog and mapping files.

:func:`_parse_yaml` returns plain dicts and lists (:class:`_Map`, :class:`_Seq`) that remember the
1-based line of each key and item, so every :class:`TaxonomyError` can say
``"<file>:<line>: <message naming the field>"``. PyYAML is imported lazily: commands that never
read a taxonomy do not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml


class TaxonomyError(ValueError):
    """A problem in a taxonomy file, or a rule that matches no item.

    Attributes:
        file: path of the YAML file (as given to the loader).
        line: 1-based line number (0 when unknown).
        message: what is wrong, naming the key or field at fault.

    ``str(error)`` is ``"<file>:<line>: <message>"``.
    """

    def __init__(self, file: str | Path, line: int, message: str) -> None:
        self.file = str(file)
        self.line = int(line)
        self.message = message
        super().__init__(f"{self.file}:{self.line}: {message}")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class _Map(dict):
    """A YAML mapping that remembers its own line and each key's line (1-based)."""

    line: int
    key_lines: dict[Any, int]


class _Seq(list):
    """A YAML sequence that remembers its own line and each item's line (1-based)."""

    line: int
    item_lines: list[int]


def _to_python(node: yaml.Node, file: str, constructor: yaml.SafeLoader) -> Any:
    import yaml  # lazy: commands that never read a taxonomy do not pay for PyYAML

    if isinstance(node, yaml.MappingNode):
        out = _Map()
        out.line = node.start_mark.line + 1
        out.key_lines = {}
        constructor.flatten_mapping(node)  # resolves YAML merge keys (<<)
        for key_node, value_node in node.value:
            key = _to_python(key_node, file, constructor)
            key_line = key_node.start_mark.line + 1
            if isinstance(key, (dict, list)):
                raise TaxonomyError(file, key_line, "mapping keys must be scalars")
            if key in out:
                raise TaxonomyError(file, key_line, f"duplicate key {key!r}")
            out[key] = _to_python(value_node, file, constructor)
            out.key_lines[key] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = _Seq(_to_python(item, file, constructor) for item in node.value)
        seq.line = node.start_mark.line + 1
        seq.item_lines = [item.start_mark.line + 1 for item in node.value]
        return seq
    return constructor.construct_object(node, deep=True)


def _parse_yaml(text: str, file: str) -> Any:
    import yaml

    try:
        # libyaml's composer when present (about 8x faster); nodes keep their line marks
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise TaxonomyError(file, line, f"invalid YAML: {exc.problem or exc}") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(file, 0, f"invalid YAML: {exc}") from exc
    if node is None:
        raise TaxonomyError(file, 1, "empty taxonomy file")
    return _to_python(node, file, yaml.SafeLoader(""))


def _line(container: Any, key: Any, default: int) -> int:
    if isinstance(container, _Map):
        return container.key_lines.get(key, container.line)
    return default


def _suggest(value: Any, valid: Iterable[Any]) -> str:
    import difflib  # lazy: only a refused file needs suggestions

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


def _read(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(path, 0, f"cannot read file: {exc}") from exc
