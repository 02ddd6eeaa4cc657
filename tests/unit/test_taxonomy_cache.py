"""The cache of validated taxonomies (capslice_tui.taxonomy._cache) and lazily compiled rule
regexes: a cached load equals a fresh parse, a bad file is refused the same way every time."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import taxonomy_text  # noqa: E402

from capslice_tui.taxonomy import _cache
from capslice_tui.taxonomy.evaluation import (
    Regex,
    Taxonomy,
    TaxonomyError,
    default_taxonomy_dir,
    load_taxonomy,
    load_taxonomy_file,
    parse_taxonomy,
)

AXES_YAML = (
    taxonomy_text.AXES_YAML
    + """\
rules:
  - id: words
    match: {task: "t*", prompt: '(?i)\\bhow many\\b', doc: [{level: [4, "Level 4"]}, {x: y}]}
    set: {task_type: algebra}
  - id: steps
    priority: 2
    match:
      task: t1
      count: {field: [answer, question], pattern: '<<[^>]*>>', min: 2}
      text: {field: target, pattern: '^\\d+$'}
    set: {solving_operation: counting, output_constraint: integer}
"""
)

BAD_REGEX = taxonomy_text.with_bad_regex(AXES_YAML, "'^\\d+$'")

ITEMS = [
    {
        "task": "t1",
        "doc": {"level": 4, "answer": "<<1+1>> <<2*2>>"},
        "question": "How many?",
        "target": "5",
    },
    {"task": "t1", "doc": {"level": "Level 4"}, "question": "how many", "target": "12"},
    {"task": "t1", "doc": {"answer": "<<a>><<b>>"}, "target": "7"},
    {"task": "t2", "doc": {"x": "y"}, "question": "How many apples"},
    {"task": "u", "doc": {"level": 4}, "question": "how many"},
]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("CAPSLICE_CACHE_DIR", str(directory))
    return directory


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "evaluation.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_cached_load_equals_a_fresh_parse_and_labels_the_same(
    tmp_path: Path, cache_dir: Path
) -> None:
    path = _write(tmp_path, AXES_YAML)
    first = load_taxonomy_file(path)
    assert len(list(cache_dir.glob("taxonomy-*.json"))) == 1
    second = load_taxonomy_file(path)  # from the cache
    fresh = parse_taxonomy(AXES_YAML, path)
    assert second == fresh == first
    assert list(second.axes) == list(fresh.axes)
    assert second.axes == fresh.axes and second.axis_descriptions == fresh.axis_descriptions
    for a, b in zip(second.rules, fresh.rules, strict=True):
        assert (a.id, a.line, a.index, a.priority, a.doc, a.fields) == (
            b.id,
            b.line,
            b.index,
            b.priority,
            b.doc,
            b.fields,
        )
    # nothing compiled until a rule reads an item
    assert second.rules[0].prompt is not None and second.rules[0].prompt._compiled is None
    labels = second.assign_many(ITEMS)
    assert labels == fresh.assign_many(ITEMS)
    assert labels[0] == {
        "task_type": ("algebra", "words"),
        "solving_operation": ("counting", "steps"),
        "output_constraint": ("integer", "steps"),
    }
    assert [sorted(x) for x in labels[1:]] == [
        ["task_type"],
        ["output_constraint", "solving_operation"],
        ["task_type"],
        [],
    ]
    assert second.rules[0].prompt._compiled is not None


def test_the_shipped_taxonomy_round_trips_through_the_cache() -> None:
    path = default_taxonomy_dir() / "evaluation.yaml"
    fresh = parse_taxonomy(path.read_text(encoding="utf-8"), path)
    assert load_taxonomy() == fresh  # parsed, then cached
    cached = load_taxonomy()
    assert cached == fresh
    items = [{"benchmark": "bbh", "task": "bbh_cot_fewshot_navigate"}]
    assert [str(e) for e in cached.check_rules_match(items)] == [
        str(e) for e in fresh.check_rules_match(items)
    ]


@pytest.mark.parametrize("times", [1, 2, 3])
def test_a_bad_regex_is_refused_with_file_line_and_field_every_time(
    tmp_path: Path, cache_dir: Path, times: int
) -> None:
    path = _write(tmp_path, BAD_REGEX)
    for _ in range(times):
        with pytest.raises(TaxonomyError) as err:
            load_taxonomy_file(path)
        assert str(err.value) == (
            f"{path}:24: rule 'steps' match.text pattern: {taxonomy_text.BAD_PATTERN_ERROR}"
        )
    assert not list(cache_dir.glob("taxonomy-*.json"))  # a refused file is never cached


def test_a_cached_file_edited_to_a_bad_regex_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, AXES_YAML)
    load_taxonomy_file(path)
    load_taxonomy_file(path)
    path.write_text(BAD_REGEX, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r":24: rule 'steps' match.text pattern: invalid"):
        load_taxonomy_file(path)


def test_an_edit_is_read_and_the_file_name_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, AXES_YAML)
    load_taxonomy_file(path)
    path.write_text(AXES_YAML.replace("description: tt", "description: edited"), "utf-8")
    assert load_taxonomy_file(path).axis_descriptions["task_type"] == "edited"
    other = tmp_path / "other"
    other.mkdir()
    copy = _write(other, AXES_YAML)
    assert load_taxonomy_file(copy).file == str(copy)  # same text, another name


def test_a_damaged_or_unwritable_cache_falls_back_to_parsing(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, AXES_YAML)
    fresh = load_taxonomy_file(path)
    (entry,) = cache_dir.glob("taxonomy-*.json")
    for damage in ("{not json", json.dumps({"format": 1}), json.dumps([1, 2])):
        entry.write_text(damage, encoding="utf-8")
        assert load_taxonomy_file(path) == fresh
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a directory", encoding="utf-8")
    monkeypatch.setenv("CAPSLICE_CACHE_DIR", str(blocked / "sub"))
    assert load_taxonomy_file(path) == fresh


def test_the_cache_keeps_only_the_most_recently_used_entries(
    tmp_path: Path, cache_dir: Path
) -> None:
    used_dir = tmp_path / "used"
    used_dir.mkdir()
    used = _write(used_dir, AXES_YAML)
    load_taxonomy_file(used)
    entry = _cache._path(str(used), AXES_YAML)
    for i in range(_cache.KEEP + 3):
        text = AXES_YAML.replace("description: tt", f"description: d{i}")
        load_taxonomy_file(_write(tmp_path, text))
        assert entry.exists(), f"pruned after {i + 1} other entries though read after each"
        assert load_taxonomy_file(used) == parse_taxonomy(AXES_YAML, used)  # read: used again
    assert len(list(cache_dir.glob("taxonomy-*.json"))) == _cache.KEEP


def test_regex_pickles_as_its_text_and_compiles_on_use() -> None:
    r = Regex("a+b", None)
    copy = pickle.loads(pickle.dumps(r))
    assert copy == r and copy._compiled is None
    assert [m.group() for m in copy.finditer("aab ab b")] == ["aab", "ab"]
    assert copy.search("xxab") is not None and copy.search("b") is None
    t = parse_taxonomy(AXES_YAML, "t.yaml")
    assert isinstance(pickle.loads(pickle.dumps(t)), Taxonomy)
    assert pickle.loads(pickle.dumps(t)).assign_many(ITEMS) == t.assign_many(ITEMS)


def test_a_cached_load_does_not_import_yaml(tmp_path: Path, cache_dir: Path) -> None:
    path = _write(tmp_path, AXES_YAML)
    load_taxonomy_file(path)
    code = (
        "import sys; from capslice_tui.taxonomy.evaluation import load_taxonomy_file as f; "
        f"t = f({str(path)!r}); print(len(t.rules), 'yaml' in sys.modules,"
        " '_hashlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # nor hashlib's OpenSSL binding (~5 ms): the digest is CPython's own SHA-256
    assert out.split() == ["2", "False", "False"]


def test_the_cache_digest_is_sha256() -> None:
    import hashlib

    for data in (b"", b"abc", "évaluation\0".encode() * 1000):
        assert _cache._sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()


# ---- the rule names a slice table's note needs, read without building the rules (issue 14) ---

MISMATCH_TAX = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "stat-01-many-slices"
NAMED_YAML = (
    taxonomy_text.AXES_YAML
    + """\
rules:
  - {id: a, match: {benchmark: toy, task: "slice*"}, set: {task_type: algebra}}
  - {id: b, match: {benchmark: ["m*", "x"], task: [t1, t2]}, set: {task_type: geometry}}
  - {id: c, match: {benchmark: "o?"}, set: {solving_operation: counting}}
  - {id: d, match: {task: u}, set: {output_constraint: integer}}
"""
)
PAIRS = [
    [("slice01", "slice01"), ("slice02", "slice02"), ("toy", "slice03")],
    [("math", "t1"), ("other", "t2"), (None, "t1"), ("x", "t2"), ("ob", "zz")],
    [("toy", "slice01"), ("math", "t2")],
    [],
]


@pytest.mark.parametrize("where", ["mismatch case", "names", "packaged"])
def test_the_note_from_cached_rule_names_is_the_taxonomy_s(tmp_path: Path, where: str) -> None:
    from capslice_tui.taxonomy import notes

    directory = {"mismatch case": MISMATCH_TAX / "tax", "names": tmp_path, "packaged": None}[where]
    if where == "names":
        _write(tmp_path, NAMED_YAML)
    path = (directory or default_taxonomy_dir()) / "evaluation.yaml"
    text = path.read_text(encoding="utf-8")
    assert _cache.read_named_rules(str(path), text) is None  # not cached: loaded and cached
    first = [notes.benchmark_mismatch(directory, p) for p in PAIRS]
    named = _cache.read_named_rules(str(path), text)
    assert named is not None  # now read from the cache, the rules never built
    taxonomy = load_taxonomy(directory)
    assert named == [(r.benchmark, r.task) for r in taxonomy.rules if r.benchmark is not None]
    assert [notes.benchmark_mismatch(directory, p) for p in PAIRS] == first
    assert first == [taxonomy.benchmark_mismatch(p) for p in PAIRS]
    if where != "packaged":
        assert any(first), first  # a note was compared, not only None


def test_the_note_of_a_missing_or_bad_taxonomy_is_refused_as_the_load_refuses_it(
    tmp_path: Path,
) -> None:
    from capslice_tui.taxonomy import notes

    with pytest.raises(TaxonomyError) as loaded:
        load_taxonomy(tmp_path)
    with pytest.raises(TaxonomyError) as noted:
        notes.benchmark_mismatch(tmp_path, [("a", "b")])
    assert str(noted.value) == str(loaded.value)
    _write(tmp_path, BAD_REGEX)
    with pytest.raises(TaxonomyError, match="invalid regex"):
        notes.benchmark_mismatch(tmp_path, [("a", "b")])
