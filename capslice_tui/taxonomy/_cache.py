"""A cache of validated taxonomies, so a command that reads one does not parse its YAML again.

Parsing ``evaluation.yaml`` (PyYAML import ~25 ms, composing with line marks ~25 ms, compiling
every rule's regex to validate it ~20 ms) was most of ``capslice slices``' own work. A taxonomy
that :func:`~capslice_tui.taxonomy.evaluation.parse_taxonomy` accepted is written as JSON under
the cache directory, named by a SHA-256 of

- the code that validates it (the source of ``evaluation.py``, ``yamlfile.py`` and
  ``vocabulary.py``, the Python version, and the installed PyYAML's path, size and mtime),
- the file name as given (it appears in every message), and
- the file's text.

The next load of the same text by the same code reads that JSON (about 1 ms) and compiles each
regex on first use. Only accepted taxonomies are cached: a file with any error is parsed in full
every time, so it is refused with the same ``file:line: message`` as without the cache; any edit
changes the digest. A cache that cannot be read or written is ignored (the YAML is parsed).

Directory: ``$CAPSLICE_CACHE_DIR``, else ``$XDG_CACHE_HOME/capslice``, else
``~/.cache/capslice``; files ``taxonomy-<digest>.json``, the :data:`KEEP` most recently used
kept.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by from_json: read_named_rules needs none of the rule classes
    from .evaluation import Rule, Taxonomy
    from .notes import NamedRule

FORMAT = 1
"""Layout of the JSON; part of the digest."""

KEEP = 16
"""Cached taxonomies kept (the oldest beyond this are removed when one is written)."""

_code_key: str | None = None


def _sha256(data: bytes) -> Any:
    """A SHA-256 hash object of ``data``: CPython's own implementation (``_sha2``, before
    3.12 ``_sha256``; ~0.5 ms to import) where it is there, else :func:`hashlib.sha256`
    (whose OpenSSL binding takes ~5 ms to import, most of what reading a cached taxonomy
    costs). Both give the same digest (test_taxonomy_cache checks)."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found]  # Python >= 3.12
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]
        except ImportError:
            from hashlib import sha256
    return sha256(data)


def cache_dir() -> Path:
    """The directory cached taxonomies live in (see the module docstring); may not exist."""
    explicit = os.environ.get("CAPSLICE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "capslice"


def _code_digest() -> str:
    """Digest of everything besides the text that decides what a taxonomy parses to."""
    global _code_key
    if _code_key is None:
        import importlib.util

        h = _sha256(f"{FORMAT}\0{sys.version}\0".encode())
        here = Path(__file__).resolve().parent
        for path in (here / "evaluation.py", here / "yamlfile.py", here.parent / "vocabulary.py"):
            h.update(path.read_bytes())
        spec = importlib.util.find_spec("yaml")
        if spec is not None and spec.origin:
            st = os.stat(spec.origin)
            h.update(f"{spec.origin}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        _code_key = h.hexdigest()
    return _code_key


def _path(file: str, text: str) -> Path:
    h = _sha256(_code_digest().encode())
    h.update(b"\0" + file.encode("utf-8", "surrogatepass") + b"\0")
    h.update(text.encode("utf-8", "surrogatepass"))
    return cache_dir() / f"taxonomy-{h.hexdigest()}.json"


def _rule_to_json(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "index": rule.index,
        "line": rule.line,
        "priority": rule.priority,
        "sets": dict(rule.sets),
        "benchmark": rule.benchmark,
        "task": rule.task,
        "doc": None
        if rule.doc is None
        else [[[name, sorted(values)] for name, values in conj] for conj in rule.doc],
        "prompt": None if rule.prompt is None else rule.prompt.pattern,
        "target": None if rule.target is None else rule.target.pattern,
        "fields": [[c.fields, c.pattern.pattern, c.min, c.max] for c in rule.fields],
        "description": rule.description,
    }


def _rule_from_json(d: dict[str, Any]) -> Rule:
    from .evaluation import FieldCondition, Regex, Rule

    return Rule(
        id=d["id"],
        index=d["index"],
        line=d["line"],
        priority=d["priority"],
        sets=d["sets"],
        benchmark=None if d["benchmark"] is None else tuple(d["benchmark"]),
        task=None if d["task"] is None else tuple(d["task"]),
        doc=None
        if d["doc"] is None
        else tuple(tuple((name, frozenset(values)) for name, values in conj) for conj in d["doc"]),
        prompt=None if d["prompt"] is None else Regex(d["prompt"]),
        target=None if d["target"] is None else Regex(d["target"]),
        fields=tuple(
            FieldCondition(tuple(names), Regex(pattern), lo, hi)
            for names, pattern, lo, hi in d["fields"]
        ),
        description=d["description"],
    )


def to_json(taxonomy: Taxonomy) -> dict[str, Any]:
    """The taxonomy as JSON-ready data (regexes as their source text)."""
    return {
        "format": FORMAT,
        "file": taxonomy.file,
        "version": taxonomy.version,
        "axes": taxonomy.axes,
        "axis_descriptions": taxonomy.axis_descriptions,
        "rules": [_rule_to_json(r) for r in taxonomy.rules],
    }


def from_json(data: dict[str, Any]) -> Taxonomy:
    """The taxonomy :func:`to_json` wrote (equal to the one it was given).

    Raises:
        KeyError, TypeError, ValueError: ``data`` is not what :func:`to_json` writes.
    """
    from .evaluation import Taxonomy

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a cached taxonomy of format {FORMAT}")
    return Taxonomy(
        file=data["file"],
        version=data["version"],
        axes=data["axes"],
        axis_descriptions=data["axis_descriptions"],
        rules=tuple(_rule_from_json(r) for r in data["rules"]),
    )


def read(file: str, text: str) -> Taxonomy | None:
    """The cached taxonomy of ``text`` read from ``file``, or None (not cached, unreadable)."""
    try:
        data = _read_json(file, text)
        taxonomy = None if data is None else from_json(data)
    except Exception:  # noqa: BLE001 - a damaged cache entry is parsed again, never an error
        return None
    return taxonomy


def read_named_rules(file: str, text: str) -> list[NamedRule] | None:
    """The names of the rules with a ``benchmark`` condition (``(benchmark globs, task globs
    or None)``, file order) of the cached taxonomy of ``text`` read from ``file``, without
    building the taxonomy (:mod:`capslice_tui.taxonomy.notes`); None as :func:`read`."""
    try:
        data = _read_json(file, text)
        if data is None:
            return None
        return [
            (tuple(r["benchmark"]), None if r["task"] is None else tuple(r["task"]))
            for r in data["rules"]
            if r["benchmark"] is not None
        ]
    except Exception:  # noqa: BLE001 - a damaged cache entry is parsed again, never an error
        return None


def _read_json(file: str, text: str) -> dict[str, Any] | None:
    """The cache entry of ``text`` read from ``file``, or None when there is none or it is of
    another format or file name; marks it used (the last to be pruned).

    Raises:
        OSError, ValueError: the entry cannot be read or is not JSON (callers return None).
    """
    path = _path(file, text)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("file") != file:
        return None
    try:  # most recently used last to be pruned (tests write many one-off taxonomies)
        os.utime(path)
    except OSError:
        pass
    return data


def write(file: str, text: str, taxonomy: Taxonomy) -> None:
    """Cache ``taxonomy``, the validated parse of ``text`` read from ``file``; errors ignored.

    Written to a temporary file and renamed, so a concurrent reader sees all of it or none.
    """
    import tempfile  # lazy: it imports shutil, bz2 and lzma (~8 ms); reads never need it

    try:
        path = _path(file, text)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".taxonomy-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(to_json(taxonomy), fh, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path.parent)
    except (OSError, ValueError, TypeError):
        return


def _prune(directory: Path) -> None:
    files = sorted(
        directory.glob("taxonomy-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True
    )
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
