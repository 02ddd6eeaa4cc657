"""Evaluation taxonomy: load and validate ``evaluation.yaml``, and label items with it.

The taxonomy declares four slice axes (``background_condition``, ``task_type``,
``solving_operation``, ``output_constraint``), each with a closed set of values, and a list
of rules that assign those values to benchmark items.

Rule semantics (the YAML header of ``taxonomies/evaluation.yaml`` states the same):

- An item is ``(benchmark, task, doc, question, prompt, target)``; ``task`` is the leaf task
  name a harness logged (``bbh_cot_fewshot_date_understanding``, ``minerva_math_num_theory``).
- A rule is ``{id, match, set, priority?, description?}``. ``match`` holds one or more
  conditions and the rule matches an item when **all** of them hold:

  * ``benchmark`` / ``task``: a glob or a list of globs (any may match), matched with
    :func:`fnmatch.fnmatchcase`. An item whose benchmark is ``None`` never matches a rule with
    a ``benchmark`` condition.
  * ``doc``: ``{field: value | [values]}``; every field must be present in the item's doc and
    equal one of the values, both compared as strings (integral floats as ints), so
    ``level: [4, "Level 4"]`` matches ``4`` and ``"Level 4"``. A list of such mappings means
    any one of them.
  * ``prompt``: a regex :func:`re.search`-ed in the *question text* (see
    :func:`question_text`): the explicit question, else doc field ``input`` / ``question`` /
    ``problem``, else the part of the full prompt after its last ``Problem:`` /
    ``Question:`` / ``Q:`` marker, else the whole prompt.
  * ``target``: a regex searched in the target string.
  * ``text``: ``{field, pattern}`` or a list of them (all must hold): the regex is searched in
    an item field. ``field`` is a name or a list of names, of which the first the item has is
    read: a doc field (``answer``, ``solution``, ``unique_id``...; numbers read as text), else
    ``question`` (the question text) or ``target``. An item with none of them fails.
  * ``count``: ``{field, pattern, min?, max?}`` or a list of them (all must hold): the number
    of non-overlapping matches of the regex in the field lies in ``[min, max]`` (each bound
    optional, at least one given), e.g. reasoning steps as the ``<<...>>`` calculator
    annotations of GSM8K's reference solution; ``max: 0`` means "never appears".

- All matching rules apply. For each axis the value comes from the matching rule with the
  highest ``priority`` (int, default 0); ties go to the rule **later in the file**. The result
  per item is ``{axis: (value, rule_id)}``; axes no rule sets are absent, and so are axes whose
  winning rule sets ``null``: the axis does not describe the item (IFEval's logged target 0 is
  lm-eval's placeholder, not an answer whose shape a target rule could read).

Validation is strict: unknown keys, unknown axes or values, invalid regexes or globs, duplicate
rule ids, duplicate mapping keys and missing ``set`` raise :class:`TaxonomyError` naming the
file and the 1-based line. :meth:`Taxonomy.check_rules_match` reports rules that match none of
a given collection of items (used by ``capslice taxonomy check``).

No SQLite and no Textual here; the store persists the labels computed by this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..formatting import plural
from ..vocabulary import AXES  # the four slice axes; a taxonomy declares exactly these
from .notes import EVALUATION_FILE as EVALUATION_FILE
from .notes import IndistinctAxis as IndistinctAxis
from .notes import default_taxonomy_dir as default_taxonomy_dir
from .notes import indistinct_axes as indistinct_axes
from .notes import mismatch_note, names_match
from .yamlfile import TaxonomyError as TaxonomyError
from .yamlfile import _Map, _parse_yaml, _Seq

QUESTION_FIELDS: tuple[str, ...] = ("input", "question", "problem")
"""Doc fields that hold an item's question text, in lookup order."""

_PROMPT_MARKERS = re.compile(r"(?:^|\n)\s*(?:Problem|Question|Q):\s?")
_TOP_KEYS = {"version", "axes", "rules"}
_AXIS_KEYS = {"description", "values"}
_RULE_KEYS = {"id", "match", "set", "priority", "description"}
_MATCH_KEYS = {"benchmark", "task", "doc", "prompt", "target", "text", "count"}
_TEXT_KEYS = {"field", "pattern"}
_COUNT_KEYS = {"field", "pattern", "min", "max"}
PSEUDO_FIELDS: tuple[str, ...] = ("question", "target")
"""Field names a ``text``/``count`` condition may read when the doc has no such field."""
_SUPPORTED_VERSIONS = {1}

Label = tuple[str, str]
"""``(value, rule_id)``: an axis value and the id of the rule that set it."""


# --------------------------------------------------------------------------- rules


def _norm(value: Any) -> str:
    """String form used to compare doc values (integral floats compare as ints)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _field_value(
    fields: tuple[str, ...],
    doc: Mapping[str, Any] | None,
    question: str | None,
    target: str | None,
) -> str | None:
    """Text of the first of ``fields`` the item has (doc field, else question text/target)."""
    for name in fields:
        if doc and name in doc and doc[name] is not None:
            value = doc[name]
            return value if isinstance(value, str) else _norm(value)
        if name == "question" and question is not None:
            return question
        if name == "target" and target is not None:
            return target
    return None


class Regex:
    """A rule's regular expression, compiled on first use.

    Loading a taxonomy that was validated before (:mod:`capslice_tui.taxonomy._cache`) skips
    compiling its ~50 patterns (about 20 ms) when a command only reads axes or rule names; the
    validating parse (:func:`parse_taxonomy`) compiles each pattern to check it and keeps the
    compiled object.

    Attributes:
        pattern: the regex source text, as written in the YAML.
    """

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str, compiled: re.Pattern[str] | None = None) -> None:
        self.pattern = pattern
        self._compiled = compiled

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled on the first call; raises ``re.error`` if invalid)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern)
        return compiled

    def search(self, text: str) -> re.Match[str] | None:
        """``re.search`` of the pattern in ``text``."""
        return self.compiled.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Non-overlapping matches of the pattern in ``text``, as ``re.finditer``."""
        return self.compiled.finditer(text)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Regex) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # ingest workers receive the taxonomy pickled: send the text, compile there on use
        return (Regex, (self.pattern,))


@dataclass(frozen=True, slots=True)
class FieldCondition:
    """A ``text`` or ``count`` condition on one item field.

    Attributes:
        fields: names to read, first present wins (see :func:`_field_value`).
        pattern: the regex (compiled on first use).
        min, max: inclusive bounds on the number of non-overlapping matches (``text`` is
            ``min=1, max=None``).
    """

    fields: tuple[str, ...]
    pattern: Regex
    min: int | None = 1
    max: int | None = None

    def holds(
        self, doc: Mapping[str, Any] | None, question: str | None, target: str | None
    ) -> bool:
        """Whether the condition holds for the item (False when it has none of the fields)."""
        value = _field_value(self.fields, doc, question, target)
        if value is None:
            return False
        if self.max is None:  # only a lower bound: stop counting once it is reached
            need = self.min or 0
            if need <= 0:
                return True
            for n, _ in enumerate(self.pattern.finditer(value), start=1):
                if n >= need:
                    return True
            return False
        n = sum(1 for _ in self.pattern.finditer(value))
        return (self.min is None or n >= self.min) and n <= self.max


@dataclass(frozen=True, slots=True)
class Rule:
    """One labelling rule.

    Attributes:
        id: unique rule id.
        index: 0-based position in the file (later wins ties).
        line: 1-based line of the rule in ``file``.
        priority: higher wins per axis.
        sets: ``{axis: value}`` this rule assigns; a value None (YAML ``null``) leaves the
            axis without a label when this rule wins it (an item the axis does not describe).
        benchmark, task: glob tuples (any may match), or None when absent.
        doc: alternatives (any may hold) of ``((field, allowed string values), ...)`` conjunctions.
        prompt, target: regexes (compiled on first use), or None.
        fields: ``text``/``count`` conditions (all must hold); empty when there are none.
        description: free text from the YAML, may be empty.
    """

    id: str
    index: int
    line: int
    priority: int
    sets: Mapping[str, str | None]
    benchmark: tuple[str, ...] | None = None
    task: tuple[str, ...] | None = None
    doc: tuple[tuple[tuple[str, frozenset[str]], ...], ...] | None = None
    prompt: Regex | None = None
    target: Regex | None = None
    fields: tuple[FieldCondition, ...] = ()
    description: str = ""
    has_item_conditions: bool = field(init=False)
    """True when matching needs more than the (benchmark, task) names."""
    reads_question: bool = field(init=False)
    """True when a condition may read the question text."""
    reads_target: bool = field(init=False)
    """True when a condition may read the target."""

    def __post_init__(self) -> None:
        # computed once: assign() checks them for every candidate rule of every item
        object.__setattr__(
            self,
            "has_item_conditions",
            self.doc is not None
            or self.prompt is not None
            or self.target is not None
            or bool(self.fields),
        )
        object.__setattr__(
            self,
            "reads_question",
            self.prompt is not None or any("question" in c.fields for c in self.fields),
        )
        object.__setattr__(
            self,
            "reads_target",
            self.target is not None or any("target" in c.fields for c in self.fields),
        )

    @property
    def doc_fields(self) -> frozenset[str]:
        """Doc fields the ``doc``, ``text`` and ``count`` conditions may read."""
        names = {name for cond in self.fields for name in cond.fields}
        if self.doc is not None:
            names.update(name for conj in self.doc for name, _ in conj)
        return frozenset(names)

    def matches_names(self, benchmark: str | None, task: str) -> bool:
        """Whether the ``benchmark`` and ``task`` conditions hold (absent ones hold;
        :func:`~capslice_tui.taxonomy.notes.names_match`)."""
        return names_match(self.benchmark, self.task, benchmark, task)

    def matches_item(
        self, doc: Mapping[str, Any] | None, question: str | None, target: str | None
    ) -> bool:
        """Whether the ``doc``, ``prompt`` (on ``question``), ``target``, ``text`` and ``count``
        conditions hold."""
        if self.doc is not None:
            if not doc or not any(
                all(name in doc and _norm(doc[name]) in allowed for name, allowed in conj)
                for conj in self.doc
            ):
                return False
        if self.prompt is not None and (question is None or not self.prompt.search(question)):
            return False
        if self.target is not None and (target is None or not self.target.search(target)):
            return False
        if self.fields:
            return all(cond.holds(doc, question, target) for cond in self.fields)
        return True


def question_text(
    doc: Mapping[str, Any] | None, question: str | None, prompt: str | None
) -> str | None:
    """The text ``prompt`` regexes are searched in.

    Order: ``question`` if not None; else the first of doc fields ``input``, ``question``,
    ``problem`` that is a string; else the part of ``prompt`` after its last line starting with
    ``Problem:``, ``Question:`` or ``Q:`` (so few-shot exemplars are skipped); else ``prompt``;
    else None.
    """
    if question is not None:
        return question
    if doc:
        for name in QUESTION_FIELDS:
            value = doc.get(name)
            if isinstance(value, str):
                return value
    if prompt is None:
        return None
    ends = [m.end() for m in _PROMPT_MARKERS.finditer(prompt)]
    return prompt[ends[-1] :] if ends else prompt


# --------------------------------------------------------------------------- validation


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file

    def err(self, line: int, message: str) -> TaxonomyError:
        return TaxonomyError(self.file, line, message)

    def check_keys(self, mapping: _Map, allowed: set[str], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                raise self.err(
                    mapping.key_lines[key],
                    f"unknown key {key!r} in {where} (allowed: {', '.join(sorted(allowed))})",
                )

    def axes(self, data: Any, line: int) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
        if not isinstance(data, _Map):
            raise self.err(line, "'axes' must be a mapping of axis name to {description, values}")
        for axis in data:
            if axis not in AXES:
                raise self.err(
                    data.key_lines[axis],
                    f"unknown axis {axis!r} (the axes are {', '.join(AXES)})",
                )
        for axis in AXES:
            if axis not in data:
                raise self.err(data.line, f"axis {axis!r} is missing from 'axes'")
        values_by_axis: dict[str, dict[str, str]] = {}
        descriptions: dict[str, str] = {}
        for axis in AXES:
            spec = data[axis]
            spec_line = data.key_lines[axis]
            if not isinstance(spec, _Map):
                raise self.err(
                    spec_line, f"axis {axis!r} must be a mapping {{description, values}}"
                )
            self.check_keys(spec, _AXIS_KEYS, f"axis {axis!r}")
            description = spec.get("description", "")
            if not isinstance(description, str):
                raise self.err(
                    spec.key_lines["description"], f"axis {axis!r}: description must be text"
                )
            values = spec.get("values")
            if not isinstance(values, _Map) or not values:
                raise self.err(spec_line, f"axis {axis!r}: 'values' must be a non-empty mapping")
            out: dict[str, str] = {}
            for value, text in values.items():
                vline = values.key_lines[value]
                if not isinstance(value, str) or not value:
                    raise self.err(vline, f"axis {axis!r}: value names must be non-empty text")
                if not isinstance(text, str) or not text.strip():
                    raise self.err(vline, f"axis {axis!r}: value {value!r} needs a description")
                out[value] = text
            values_by_axis[axis] = out
            descriptions[axis] = description
        return values_by_axis, descriptions

    def globs(self, value: Any, line: int, where: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.err(line, f"{where} must be a glob or a non-empty list of globs")
        for i, glob in enumerate(items):
            if not isinstance(glob, str) or not glob:
                item_line = items.item_lines[i] if isinstance(items, _Seq) else line
                raise self.err(item_line, f"{where} globs must be non-empty text, got {glob!r}")
        return tuple(items)

    def names(self, value: Any, line: int, where: str) -> tuple[str, ...]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items:
            raise self.err(line, f"{where} must be a field name or a non-empty list of names")
        for i, name in enumerate(items):
            if not isinstance(name, str) or not name.strip():
                item_line = items.item_lines[i] if isinstance(items, _Seq) else line
                raise self.err(
                    item_line, f"{where}: field names must be non-empty text, got {name!r}"
                )
        return tuple(items)

    def regex(self, value: Any, line: int, where: str) -> Regex:
        if not isinstance(value, str) or not value:
            raise self.err(line, f"{where} must be a non-empty regular expression")
        try:
            return Regex(value, re.compile(value))
        except re.error as exc:
            raise self.err(line, f"{where}: invalid regex {value!r}: {exc}") from exc

    def doc_condition(
        self, value: Any, line: int, where: str
    ) -> tuple[tuple[tuple[str, frozenset[str]], ...], ...]:
        alternatives = value if isinstance(value, list) else [value]
        if not alternatives:
            raise self.err(line, f"{where} must be a mapping or a non-empty list of mappings")
        out = []
        for i, alt in enumerate(alternatives):
            alt_line = alternatives.item_lines[i] if isinstance(alternatives, _Seq) else line
            if not isinstance(alt, _Map) or not alt:
                raise self.err(
                    alt_line, f"{where} must map doc fields to a value or list of values"
                )
            conj = []
            for name, allowed in alt.items():
                fline = alt.key_lines[name]
                if not isinstance(name, str) or not name:
                    raise self.err(fline, f"{where}: doc field names must be non-empty text")
                options = allowed if isinstance(allowed, list) else [allowed]
                if not options or any(isinstance(o, (dict, list)) or o is None for o in options):
                    raise self.err(
                        fline, f"{where}: field {name!r} needs a scalar value or a list of scalars"
                    )
                conj.append((name, frozenset(_norm(o) for o in options)))
            out.append(tuple(conj))
        return tuple(out)

    def field_conditions(
        self, value: Any, line: int, where: str, counted: bool
    ) -> tuple[FieldCondition, ...]:
        """``text`` (counted False) or ``count`` conditions: one mapping or a list of them."""
        items = value if isinstance(value, list) else [value]
        if not items:
            raise self.err(line, f"{where} must be a mapping or a non-empty list of mappings")
        allowed = _COUNT_KEYS if counted else _TEXT_KEYS
        out = []
        for i, item in enumerate(items):
            item_line = items.item_lines[i] if isinstance(items, _Seq) else line
            if not isinstance(item, _Map):
                keys = "{field, pattern, min?, max?}" if counted else "{field, pattern}"
                raise self.err(item_line, f"{where} must be a mapping {keys}")
            self.check_keys(item, allowed, where)
            for key in ("field", "pattern"):
                if key not in item:
                    raise self.err(item.line, f"{where} needs {key!r}")
            fields = self.names(item["field"], item.key_lines["field"], f"{where} field")
            pattern = self.regex(item["pattern"], item.key_lines["pattern"], f"{where} pattern")
            if not counted:
                out.append(FieldCondition(fields, pattern))
                continue
            bounds: dict[str, int | None] = {}
            for key in ("min", "max"):
                bound = item.get(key)
                if bound is not None and (
                    isinstance(bound, bool) or not isinstance(bound, int) or bound < 0
                ):
                    raise self.err(
                        item.key_lines[key], f"{where}: {key} must be a whole number >= 0"
                    )
                bounds[key] = bound
            if bounds["min"] is None and bounds["max"] is None:
                raise self.err(item.line, f"{where} needs 'min', 'max' or both")
            if bounds["min"] is not None and bounds["max"] is not None:
                if bounds["min"] > bounds["max"]:
                    raise self.err(
                        item.key_lines["min"],
                        f"{where}: min {bounds['min']} is above max {bounds['max']}",
                    )
            out.append(FieldCondition(fields, pattern, bounds["min"], bounds["max"]))
        return tuple(out)

    def rule(self, data: Any, line: int, index: int, axes: dict[str, dict[str, str]]) -> Rule:
        if not isinstance(data, _Map):
            raise self.err(line, f"rule #{index + 1} must be a mapping")
        self.check_keys(data, _RULE_KEYS, f"rule #{index + 1}")
        rule_id = data.get("id")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise self.err(data.line, f"rule #{index + 1} needs a non-empty text 'id'")
        where = f"rule {rule_id!r}"
        priority = data.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise self.err(
                data.key_lines.get("priority", data.line), f"{where}: priority must be an integer"
            )
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.err(data.key_lines["description"], f"{where}: description must be text")

        if "set" not in data:
            raise self.err(data.line, f"{where} has no 'set'")
        sets_data = data["set"]
        sets_line = data.key_lines["set"]
        if not isinstance(sets_data, _Map) or not sets_data:
            raise self.err(sets_line, f"{where}: 'set' must be a non-empty mapping axis -> value")
        sets: dict[str, str | None] = {}
        for axis, value in sets_data.items():
            aline = sets_data.key_lines[axis]
            if axis not in axes:
                raise self.err(aline, f"{where}: unknown axis {axis!r} in 'set'")
            if value is not None and (not isinstance(value, str) or value not in axes[axis]):
                raise self.err(aline, f"{where}: unknown value {value!r} for axis {axis!r}")
            sets[axis] = value

        if "match" not in data:
            raise self.err(data.line, f"{where} has no 'match'")
        match = data["match"]
        mline = data.key_lines["match"]
        if not isinstance(match, _Map) or not match:
            raise self.err(mline, f"{where}: 'match' must be a mapping with at least one condition")
        self.check_keys(match, _MATCH_KEYS, f"{where} match")
        kl = match.key_lines
        return Rule(
            id=rule_id,
            index=index,
            line=data.line,
            priority=priority,
            sets=sets,
            benchmark=self.globs(match["benchmark"], kl["benchmark"], f"{where} match.benchmark")
            if "benchmark" in match
            else None,
            task=self.globs(match["task"], kl["task"], f"{where} match.task")
            if "task" in match
            else None,
            doc=self.doc_condition(match["doc"], kl["doc"], f"{where} match.doc")
            if "doc" in match
            else None,
            prompt=self.regex(match["prompt"], kl["prompt"], f"{where} match.prompt")
            if "prompt" in match
            else None,
            target=self.regex(match["target"], kl["target"], f"{where} match.target")
            if "target" in match
            else None,
            fields=(
                self.field_conditions(match["text"], kl["text"], f"{where} match.text", False)
                if "text" in match
                else ()
            )
            + (
                self.field_conditions(match["count"], kl["count"], f"{where} match.count", True)
                if "count" in match
                else ()
            ),
            description=description,
        )


# --------------------------------------------------------------------------- taxonomy


def _field(item: Any, name: str) -> Any:
    if type(item) is dict or isinstance(item, Mapping):  # a plain dict without the ABC check
        return item.get(name)
    return getattr(item, name, None)


_ITEM_FIELDS = ("benchmark", "task", "doc", "question", "prompt", "target")


def _item_inputs(item: Any) -> tuple[Any, ...]:
    """``(benchmark, task, doc, question, prompt, target)`` of a mapping or record (None if
    absent); a plain dict (the ingest's form) read with six lookups, no ABC checks."""
    if type(item) is dict:
        get = item.get
        return (get("benchmark"), get("task"), get("doc"), get("question"), get("prompt"),
                get("target"))  # fmt: skip
    return tuple(_field(item, name) for name in _ITEM_FIELDS)


@dataclass
class Taxonomy:
    """A validated evaluation taxonomy.

    Attributes:
        file: path the taxonomy was read from (used in error messages).
        version: file format version (1).
        axes: ``{axis: {value: description}}`` for the four axes, in file order.
        axis_descriptions: ``{axis: description}``.
        rules: the rules in file order.
    """

    file: str
    version: int
    axes: dict[str, dict[str, str]]
    axis_descriptions: dict[str, str]
    rules: tuple[Rule, ...]
    _candidates: dict[tuple[str | None, str], tuple[Rule, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    # ---------------------------------------------------------------- matching
    def candidates(self, benchmark: str | None, task: str) -> tuple[Rule, ...]:
        """Rules whose benchmark/task conditions hold, best first (priority, then file order).

        Cached per ``(benchmark, task)``; the per-item conditions are checked by :meth:`assign`.
        """
        key = (benchmark, task)
        found = self._candidates.get(key)
        if found is None:
            found = tuple(
                sorted(
                    (r for r in self.rules if r.matches_names(benchmark, task)),
                    key=lambda r: (r.priority, r.index),
                    reverse=True,
                )
            )
            self._candidates[key] = found
        return found

    def assign(
        self,
        benchmark: str | None,
        task: str,
        doc: Mapping[str, Any] | None = None,
        question: str | None = None,
        prompt: str | None = None,
        target: str | None = None,
    ) -> dict[str, Label]:
        """Label one item.

        Args:
            benchmark: benchmark/group name (``bbh``, ``math``) or None.
            task: leaf task name.
            doc: raw item fields (``subject``, ``level``, ``type``, ``input``...) or None.
            question: the item's question/problem text, if known separately from the prompt.
            prompt: the full prompt (few-shot block included), used for ``prompt`` regexes only
                when neither ``question`` nor a doc question field is available.
            target: the reference answer string.

        Returns:
            ``{axis: (value, rule_id)}`` for every axis some matching rule sets; per axis the
            winner is the highest-priority matching rule, ties to the later rule in the file.
            An axis whose winner sets ``null`` is left out (no lower rule labels it).

        Raises:
            ValueError: ``task`` is None.
        """
        if task is None:
            raise ValueError("assign: task is required (got None)")
        cands = self.candidates(benchmark, task)
        out: dict[str, tuple[str | None, str]] = {}
        qtext: str | None = None
        qtext_done = False
        for rule in cands:
            open_axes = [a for a in rule.sets if a not in out]
            if not open_axes:
                continue
            if rule.has_item_conditions:
                if rule.reads_question and not qtext_done:
                    qtext = question_text(doc, question, prompt)
                    qtext_done = True
                if not rule.matches_item(doc, qtext, target):
                    continue
            for axis in open_axes:
                out[axis] = (rule.sets[axis], rule.id)
            if len(out) == len(AXES):
                break
        return {
            axis: (value, rule_id)
            for axis in AXES
            if axis in out
            for value, rule_id in (out[axis],)
            if value is not None
        }

    def assign_many(self, items: Iterable[Any]) -> list[dict[str, Label]]:
        """Label many items; same result as calling :meth:`assign` on each.

        Args:
            items: mappings or objects (e.g. ``SampleRecord``) with ``task`` and optionally
                ``benchmark``, ``doc``, ``question``, ``prompt``, ``target``.

        Returns:
            One ``{axis: (value, rule_id)}`` dict per item, in input order. Items with equal
            inputs (the same item under several filters, samples or runs) share one dict
            object; treat the results as read-only.

        Speed: candidate rules are computed once per ``(benchmark, task)``; results are cached
        on the inputs the candidate rules actually read (the doc fields they name, the question
        text only if some candidate has a ``prompt`` regex, the target only if some has a
        ``target`` regex). Measured with the shipped rules: 104k BBH records in 0.26 s; about
        150 us per distinct MATH problem text (the wording regexes dominate), so 100k samples
        of the 500 MATH-500 problems cost well under a second.

        Raises:
            ValueError: an item has no ``task``.
        """
        results: list[dict[str, Label]] = []
        plans: dict[tuple[str | None, str], tuple[tuple[str, ...], bool, bool]] = {}
        cache: dict[tuple[Any, ...], dict[str, Label]] = {}
        for item in items:
            benchmark, task, doc, question, prompt, target = _item_inputs(item)
            if task is None:
                raise ValueError(f"assign_many: item without a task: {item!r}"[:300])
            plan = plans.get((benchmark, task))
            if plan is None:
                cands = self.candidates(benchmark, task)
                fields = tuple(sorted(set().union(*(r.doc_fields for r in cands))))
                plan = (
                    fields,
                    any(r.reads_question for r in cands),
                    any(r.reads_target for r in cands),
                )
                plans[(benchmark, task)] = plan
            fields, needs_question, needs_target = plan
            qtext = question_text(doc, question, prompt) if needs_question else None
            key = (
                benchmark,
                task,
                tuple((name in doc, _norm(doc[name]) if name in doc else None) for name in fields)
                if fields and doc
                else None,
                qtext,
                target if needs_target else None,
            )
            labels = cache.get(key)
            if labels is None:
                labels = self.assign(benchmark, task, doc, qtext, None, target)
                cache[key] = labels
            results.append(labels)
        return results

    def output_constraint_for(
        self,
        benchmark: str | None,
        task: str,
        doc: Mapping[str, Any] | None = None,
        target: str | None = None,
        question: str | None = None,
        prompt: str | None = None,
    ) -> str | None:
        """The ``output_constraint`` value for an item (e.g. ``option_letter``), or None.

        Convenience for the scorer; same resolution as :meth:`assign`.
        """
        label = self.assign(benchmark, task, doc, question, prompt, target).get("output_constraint")
        return label[0] if label else None

    def check_rules_match(self, items: Iterable[Any]) -> list[TaxonomyError]:
        """Rules that match none of ``items`` (items as for :meth:`assign_many`).

        A rule counts as matching when all its conditions hold for some item, whether or not
        it wins any axis there. Returns one :class:`TaxonomyError` per such rule, at the rule's
        line, in file order; an empty list means every rule matched something.
        """
        unmatched = {r.id: r for r in self.rules}
        seen: set[tuple[Any, ...]] = set()
        n_items = 0
        for item in items:
            n_items += 1
            if not unmatched:
                continue
            benchmark, task, doc, question, prompt, target = _item_inputs(item)
            if task is None:
                continue
            cands = [r for r in self.candidates(benchmark, task) if r.id in unmatched]
            if not cands:
                continue
            if all(not r.has_item_conditions for r in cands):
                for r in cands:
                    unmatched.pop(r.id, None)
                continue
            qtext = question_text(doc, question, prompt)
            key = (benchmark, task, repr(sorted(doc.items())) if doc else None, qtext, target)
            if key in seen:
                continue
            seen.add(key)
            for r in cands:
                if r.matches_item(doc, qtext, target):
                    unmatched.pop(r.id, None)
        return [
            TaxonomyError(
                self.file, r.line, f"rule {r.id!r} matches none of the {plural(n_items, 'item')}"
            )
            for r in self.rules
            if r.id in unmatched
        ]

    def benchmark_mismatch(self, pairs: Iterable[tuple[str | None, str]]) -> str | None:
        """Why rules that name a benchmark label none of these tasks, or None.

        Args:
            pairs: the stored ``(benchmark, task)`` names of the items (repeats allowed).

        A task counts as missed when no rule with a ``benchmark`` condition matches its
        ``(benchmark, task)`` names, yet some rule with both a ``benchmark`` and a ``task``
        condition matches its task: the rules were written for these tasks under another
        benchmark name (typically the run was ingested without ``--benchmark``).

        Returns:
            One sentence naming the benchmarks the rules want, the ones the items are stored
            under and the ``--benchmark`` to ingest with (when the rules name one literal
            benchmark); None when no task is missed this way
            (:func:`~capslice_tui.taxonomy.notes.mismatch_note`).
        """
        named = [(r.benchmark, r.task) for r in self.rules if r.benchmark is not None]
        return mismatch_note(self.file, named, pairs)


# --------------------------------------------------------------------------- loading


def parse_taxonomy(text: str, file: str | Path = "<string>") -> Taxonomy:
    """Parse and validate taxonomy YAML text.

    Args:
        text: the YAML document.
        file: name used in error messages.

    Raises:
        TaxonomyError: invalid YAML, unknown top-level/axis/rule/match keys, unknown axis or
            value in ``set``, invalid regex, duplicate rule ids or mapping keys,
            missing ``set``/``match``/``id``, unsupported ``version``.
    """
    file = str(file)
    data = _parse_yaml(text, file)
    b = _Builder(file)
    if not isinstance(data, _Map):
        raise b.err(1, "a taxonomy file must be a mapping with 'version', 'axes' and 'rules'")
    b.check_keys(data, _TOP_KEYS, "the taxonomy file")
    version = data.get("version", 1)
    if isinstance(version, bool) or version not in _SUPPORTED_VERSIONS:
        raise b.err(
            data.key_lines.get("version", 1), f"unsupported version {version!r} (expected 1)"
        )
    if "axes" not in data:
        raise b.err(data.line, "missing 'axes'")
    axes, axis_descriptions = b.axes(data["axes"], data.key_lines["axes"])
    rules_data = data.get("rules", _Seq())
    rules_line = data.key_lines.get("rules", data.line)
    if rules_data is None:
        rules_data = _Seq()
    if not isinstance(rules_data, list):
        raise b.err(rules_line, "'rules' must be a list")
    rules: list[Rule] = []
    first_line: dict[str, int] = {}
    for index, rule_data in enumerate(rules_data):
        line = rules_data.item_lines[index] if isinstance(rules_data, _Seq) else rules_line
        rule = b.rule(rule_data, line, index, axes)
        if rule.id in first_line:
            raise b.err(
                rule.line,
                f"duplicate rule id {rule.id!r} (first defined at line {first_line[rule.id]})",
            )
        first_line[rule.id] = rule.line
        rules.append(rule)
    return Taxonomy(
        file=file,
        version=int(version),
        axes=axes,
        axis_descriptions=axis_descriptions,
        rules=tuple(rules),
    )


def load_taxonomy_file(path: str | Path) -> Taxonomy:
    """Read and validate one taxonomy YAML file.

    A text this code accepted before is read from the cache of validated taxonomies instead of
    parsed again (:mod:`capslice_tui.taxonomy._cache`; regexes then compile on first use); a
    text with any error is parsed in full every time, so it is refused with the same message.

    Raises:
        TaxonomyError: as :func:`parse_taxonomy`; also when the file cannot be read (line 0).
    """
    from . import _cache

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(path, 0, f"cannot read taxonomy file: {exc}") from exc
    cached = _cache.read(str(path), text)
    if cached is not None:
        return cached
    taxonomy = parse_taxonomy(text, path)
    _cache.write(str(path), text, taxonomy)
    return taxonomy


def load_taxonomy(directory: Path | str | None = None) -> Taxonomy:
    """Load ``evaluation.yaml`` from ``directory`` (default: the packaged taxonomies).

    Other files in the directory (``data.yaml``, ``mapping.yaml``) are not read here.

    Raises:
        TaxonomyError: the file is missing, unreadable or invalid (see :func:`parse_taxonomy`).
    """
    base = default_taxonomy_dir() if directory is None else Path(directory)
    path = base / EVALUATION_FILE
    if not path.is_file():
        raise TaxonomyError(path, 0, f"no {EVALUATION_FILE} in {base}")
    return load_taxonomy_file(path)


__all__ = [
    "AXES",
    "QUESTION_FIELDS",
    "Label",
    "FieldCondition",
    "IndistinctAxis",
    "PSEUDO_FIELDS",
    "Regex",
    "Rule",
    "Taxonomy",
    "TaxonomyError",
    "default_taxonomy_dir",
    "indistinct_axes",
    "load_taxonomy",
    "load_taxonomy_file",
    "parse_taxonomy",
    "question_text",
]
