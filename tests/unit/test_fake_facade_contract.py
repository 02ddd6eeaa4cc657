"""The screens' fake facade (tests/app/fake_facade.py) returns what the real facade returns,
and both return what ``capslice_tui.workspace.results`` declares.

Screen tests run against the fake's fixed figures; if its dicts drift from the real
``Comparison.to_dict()`` / ``Diagnosis.to_dict()`` the screens are tested on data the app never
sees. Each method the fake implements is called on a small real store (the app tests' lm-eval
files) and on the fake with the same arguments; the fake's result must have the real one's
keys at every level and the same value types (``None`` stands in for any type: optional
fields), and the two methods must take the same parameters.

The TypedDicts of ``workspace/results.py`` are what mypy checks the CLI and the app against,
so they are checked here against the real results at run time (:func:`type_problems`: every
required key present, no key the declaration does not name, every value of the declared type
at every level), for every facade method that returns one; the fake's results are checked
against the same declarations.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

import pytest

APP_TESTS = Path(__file__).resolve().parents[1] / "app"
sys.path.insert(0, str(APP_TESTS))

from fake_facade import FakeFacade  # noqa: E402
from lmeval_files import build_store  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402
from capslice_tui.workspace import results as R  # noqa: E402

# Dicts keyed by data (slice predicates, failure-mode counts, categories): their keys vary with
# the store, so only their values' types are compared.
KEYED_BY_DATA = {"slice", "mode_counts", "items_by_category"}

# (method, positional args, keyword args): change mode, weakness mode, weakness vs a reference
CALLS = [
    ("compare", ("base", "cand"), {"by": "task"}),
    ("compare", ("base", "cand"), {"benchmark": "bbh", "by": "task"}),
    ("diagnose", ("base", "cand"), {}),
    ("diagnose", ("mathrun",), {}),
    ("diagnose", ("cand",), {"reference": "base"}),
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(build_store(tmp_path_factory.mktemp("facade-store")))


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "bool"
    return type(value).__name__


def _kinds(values: list[Any]) -> set[str]:
    return {_kind(v) for v in values}


def shape_problems(fake: Any, real: Any, path: str = "") -> list[str]:
    """Where ``fake`` differs from ``real`` in keys or value types, as ``path: problem`` lines.

    Dicts must hold the same keys (except those named in :data:`KEYED_BY_DATA`, whose values
    are compared with the real dict's values); list elements are compared with the real list's
    elements (any of them may match); ``None`` on either side matches any type.
    """
    if fake is None or real is None:
        return []
    if _kind(fake) != _kind(real):
        return [f"{path or '.'}: fake {_kind(fake)} {fake!r:.60}, real {_kind(real)} {real!r:.60}"]
    if isinstance(real, dict):
        name = path.rsplit(".", 1)[-1].removesuffix("[]")
        if name in KEYED_BY_DATA:
            out = []
            for key, value in fake.items():
                options = [shape_problems(value, r, f"{path}.{key}") for r in real.values()]
                if options and all(options):
                    out += min(options, key=len)
            return out
        out = [f"{path}.{key}: missing in the fake" for key in real if key not in fake]
        out += [f"{path}.{key}: not in the real result" for key in fake if key not in real]
        for key in fake.keys() & real.keys():
            out += shape_problems(fake[key], real[key], f"{path}.{key}")
        return out
    if isinstance(real, list):
        out = []
        for i, item in enumerate(fake):
            options = [shape_problems(item, r, f"{path}[{i}]") for r in real]
            if options and all(options):
                out += min(options, key=len)
        return out
    return []


def test_shape_problems_finds_drift() -> None:
    """The comparison itself can fail: missing and extra keys, a string for a dict, ints."""
    real = {"a": 1.0, "spread": {"task_type": {"pattern": "spread"}}, "ev": [{"unit": "p"}]}
    fake = {"a": 1, "spread": {"task_type": "spread"}, "ev": [{}], "extra": None}
    problems = shape_problems(fake, real)
    assert any(p.startswith(".a: fake int") for p in problems)
    assert any(p.startswith(".spread.task_type: fake str") for p in problems)
    assert ".ev[0].unit: missing in the fake" in problems
    assert ".extra: not in the real result" in problems
    assert shape_problems(real, real) == []


@pytest.mark.parametrize("method", sorted({c[0] for c in CALLS}))
def test_fake_methods_take_the_real_parameters(method: str) -> None:
    def params(fn: Any) -> list[tuple[str, Any, Any]]:
        sig = inspect.signature(fn)
        return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]

    assert params(getattr(FakeFacade, method)) == params(getattr(Workspace, method))


@pytest.mark.parametrize(
    "call",
    CALLS,
    ids=[
        f"{m}({', '.join([*a, *(f'{k}={v}' for k, v in kw.items())])})" for m, a, kw in CALLS
    ],  # fmt: skip
)
def test_fake_returns_the_real_shape(real: Workspace, call: tuple) -> None:
    method, args, kwargs = call
    want = getattr(real, method)(*args, **kwargs).to_dict()
    got = getattr(FakeFacade(real), method)(*args, **kwargs).to_dict()
    problems = shape_problems(got, want)
    assert not problems, f"{method}: the fake facade drifted:\n" + "\n".join(problems)


# ---------------------------------------------------------------- the declared TypedDicts


# Keys a TypedDict cannot name: a diagnosis slice of a multi-sample run carries "pass@K"
# (its pass@k with the bootstrap interval; see results.DiagnosisSlice).
EXTRA_KEYS: dict[Any, tuple[re.Pattern[str], Any]] = {
    R.DiagnosisSlice: (re.compile(r"pass@[0-9]+"), dict[str, float]),
}


def type_problems(value: Any, tp: Any, path: str = "") -> list[str]:
    """Where ``value`` is not of the declared type ``tp``, as ``path: problem`` lines.

    ``tp`` may be a TypedDict (required keys present, no undeclared key, each value checked),
    ``list[X]``, ``dict[K, V]``, ``tuple[X, Y]``, a union (``X | None``), ``Literal``, ``Any`` or a plain
    class; ``float`` accepts an int (the numeric tower), ``int`` never accepts a bool.
    """
    where = path or "."
    if tp is Any or tp is object:
        return []
    if is_typeddict(tp):
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} {value!r:.60}, want {tp.__name__}"]
        hints = get_type_hints(tp)
        out = [
            f"{path}.{k}: missing ({tp.__name__})" for k in tp.__required_keys__ if k not in value
        ]
        extra = EXTRA_KEYS.get(tp)
        for k in [k for k in value if k not in hints]:
            if extra is not None and extra[0].fullmatch(k):
                out += type_problems(value[k], extra[1], f"{path}.{k}")
            else:
                out.append(f"{path}.{k}: not declared in {tp.__name__}")
        for k in value.keys() & hints.keys():
            out += type_problems(value[k], hints[k], f"{path}.{k}")
        return out
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        options = [type_problems(value, a, path) for a in args]
        return [] if any(not o for o in options) else min(options, key=len)
    if origin is Literal:
        return [] if value in args else [f"{where}: {value!r} not one of {args}"]
    if origin is tuple:
        if not isinstance(value, tuple) or len(value) != len(args):
            return [f"{where}: {type(value).__name__} {value!r:.60}, want {len(args)}-tuple"]
        return [
            p
            for i, (v, a) in enumerate(zip(value, args, strict=True))
            for p in type_problems(v, a, f"{path}({i})")
        ]
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {type(value).__name__} {value!r:.60}, want a list"]
        return [p for i, v in enumerate(value) for p in type_problems(v, args[0], f"{path}[{i}]")]
    if origin is dict:
        if not isinstance(value, dict):
            return [f"{where}: {type(value).__name__} {value!r:.60}, want a dict"]
        out = []
        for k, v in value.items():
            out += type_problems(k, args[0], f"{path}<key {k!r}>")
            out += type_problems(v, args[1], f"{path}[{k!r}]")
        return out
    if tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is type(None):
        ok = value is None
    else:
        ok = isinstance(value, tp)
    return [] if ok else [f"{where}: {type(value).__name__} {value!r:.60}, want {tp.__name__}"]


def test_type_problems_finds_drift() -> None:
    """The check itself can fail: a missing or undeclared key, a wrong nested type, an int
    for a bool, a float for an int; a NotRequired (total=False) key may be absent."""
    side = {"score": 0.5, "correct": 1.0, "n": 2, "n_items": 2, "ci_low": 0.1, "ci_high": 0.9}
    assert type_problems(side, R.CompareSide) == []
    assert type_problems({**side, "n": 2.0}, R.CompareSide) == [".n: float 2.0, want int"]
    assert type_problems({**side, "extra": 1}, R.CompareSide) == [
        ".extra: not declared in CompareSide"
    ]
    short = {k: v for k, v in side.items() if k != "ci_low"}
    assert type_problems(short, R.CompareSide) == [".ci_low: missing (CompareSide)"]
    spread = {"pattern": "spread", "task_type": "spread"}
    assert type_problems(spread, R.Spread) == [".task_type: str 'spread', want AxisSpread"]
    assert type_problems({}, R.Spread) == []  # total=False: weakness mode's empty spread
    row = {"value": "v", "n_items": 3.0, "contribution": 0.1, "eligible": 1}
    assert type_problems(row, R.AxisRow) == [".eligible: int 1, want bool"]
    pk = {"score": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    found = type_problems({"pass@4": pk, "pass@x": pk}, R.DiagnosisSlice, "s")
    assert "s.slice: missing (DiagnosisSlice)" in found
    assert "s.pass@x: not declared in DiagnosisSlice" in found
    assert not [p for p in found if p.startswith("s.pass@4")]
    assert type_problems({"pass@4": {"score": "x"}}, R.DiagnosisSlice, "s")[-1] == (
        "s.pass@4['score']: str 'x', want float"
    )
    assert type_problems([{"a": [1, "x"]}], list[dict[str, list[int]]]) == [
        "[0]['a'][1]: str 'x', want int"
    ]


def _annotation(fn: Any) -> Any:
    """The declared return type of a facade method or ``to_dict``, resolved (the facade's
    modules import the result types for type checkers only, issue 14: start-up)."""
    return get_type_hints(fn, globalns={**vars(R), **fn.__globals__})["return"]


@pytest.fixture(scope="module")
def results(real: Workspace, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple]:
    """(value, declared type) of every facade result the small store can produce."""
    ws = real
    tmp = tmp_path_factory.mktemp("facade-results")
    rows, _ = ws.samples("base", limit=3)
    cmp, diag = ws.compare("base", "cand"), ws.diagnose("base", "cand")
    out: dict[str, tuple] = {
        "runs": (ws.runs(), _annotation(Workspace.runs)),
        "runs macro": (ws.runs(average="macro"), _annotation(Workspace.runs)),
        "run_info": (ws.run_info("mathrun"), _annotation(Workspace.run_info)),
        "samples": ((rows, False), _annotation(Workspace.samples)),
        "samples_page": (ws.samples_page("base", limit=3), _annotation(Workspace.samples_page)),
        "sample": (ws.sample(rows[0]["id"]), _annotation(Workspace.sample)),
        "slices": (ws.slices("base").to_dict(), R.SliceTableDict),
        "slices pass@k": (ws.slices("mathrun", k=["1", "4"]).to_dict(), R.SliceTableDict),
        "compare": (cmp.to_dict(), _annotation(type(cmp).to_dict)),
        "compare bbh": (ws.compare("base", "cand", benchmark="bbh").to_dict(), R.ComparisonDict),
        "diagnose change": (diag.to_dict(), _annotation(type(diag).to_dict)),
        "diagnose weakness": (ws.diagnose("mathrun").to_dict(), R.DiagnosisDict),
        "diagnose reference": (ws.diagnose("cand", reference="base").to_dict(), R.DiagnosisDict),
        "decision": (diag.decision().to_dict(), R.DiagnosisVerdictDict),
        "doctor": (ws.doctor(), _annotation(Workspace.doctor)),
        "backup": (ws.backup(tmp / "copy.db"), _annotation(Workspace.backup)),
    }
    if hasattr(ws, "trend"):
        trend = ws.trend(["base", "cand"]) if _have_steps(ws) else None
        if trend is not None:
            out["trend"] = (trend.to_dict(), _annotation(type(trend).to_dict))
    out["export_to"] = (
        ws.export_to(tmp / "export", parquet=False),
        _annotation(Workspace.export_to),
    )
    out["export parquet"] = (ws.export_to(tmp / "export-pq"), _annotation(Workspace.export_to))
    out["export_manifest"] = (
        ws.export_manifest(tmp / "export"),
        _annotation(Workspace.export_manifest),
    )
    out["import"] = (ws.import_from(tmp / "export"), _annotation(Workspace.import_from))
    # labels last (and undone), so the other results see the store as built
    item = rows[0]["item_id"]
    value = next(iter(ws.axes()["task_type"]))
    out["label_items"] = (
        ws.label_items([item], {"task_type": value}, note="n"),
        _annotation(Workspace.label_items),
    )
    out["label_show"] = (ws.label_show(item), _annotation(Workspace.label_show))
    out["label_history"] = (
        ws.label_history(item_id=item),
        _annotation(Workspace.label_history),
    )
    out["label_actions"] = (ws.label_actions(), _annotation(Workspace.label_actions))
    out["item_docs"] = (ws.item_docs([item]), _annotation(Workspace.item_docs))
    out["undo_labels"] = (ws.undo_labels(), _annotation(Workspace.undo_labels))
    tasks = sorted({r["task"] for r in ws.samples("base", limit=200)[0]})
    new = ws.new_intervention(
        title="t", hypothesis="h", baseline="base", benchmark="bbh",
        targets=[{"task": tasks[0]}], controls=[{"task": tasks[-1]}], expected_effect=0.1,
    )  # fmt: skip
    out["new_intervention"] = (new, _annotation(Workspace.new_intervention))
    out["interventions"] = (ws.interventions(), _annotation(Workspace.interventions))
    accepted = ws.accept_intervention(new["id"], expected_version=new["version"])
    out["accept_intervention"] = (accepted, _annotation(Workspace.accept_intervention))
    linked = ws.link_intervention(new["id"], "cand")
    out["link_intervention"] = (linked, _annotation(Workspace.link_intervention))
    out["intervention"] = (ws.intervention(new["id"]), _annotation(Workspace.intervention))
    out["intervention_outcome"] = (
        ws.intervention_outcome(new["id"]),
        _annotation(Workspace.intervention_outcome),
    )
    # a saved suggestion as discovery stores one (its summary is discovery's own dict)
    run_id = ws.run_info("base")["id"]
    (sid,) = ws.store.save_suggestions(run_id, {}, [], [(0, {"name": "g"}, [item])])
    out["suggestions"] = (ws.suggestions(), _annotation(Workspace.suggestions))
    out["suggestion"] = (ws.suggestion(sid), _annotation(Workspace.suggestion))
    named = ws.accept_suggestion(sid, "contract-slice")
    out["accept_suggestion"] = (named, _annotation(Workspace.accept_suggestion))
    out["named_slices"] = (ws.named_slices(), _annotation(Workspace.named_slices))
    out["named_slice"] = (ws.named_slice("contract-slice"), _annotation(Workspace.named_slice))
    renamed = ws.rename_slice("contract-slice", "contract-slice-2")
    out["rename_slice"] = (renamed, _annotation(Workspace.rename_slice))
    out["label_slice"] = (
        ws.label_slice("contract-slice-2", {"task_type": value}),
        _annotation(Workspace.label_slice),
    )
    # a hub is only recorded (no server needed); the password never reaches the store
    added = ws.hub_add("team", "postgresql://alice:secret@hub.example/capslice")
    out["hub_add"] = (added, _annotation(Workspace.hub_add))
    out["hubs"] = (ws.hubs(), _annotation(Workspace.hubs))
    return out


def _have_steps(ws: Workspace) -> bool:
    return all(r["step"] is not None for r in ws.runs() if r["name"] in ("base", "cand"))


RESULTS = [
    "runs", "runs macro", "run_info", "samples", "samples_page", "sample", "slices",
    "slices pass@k", "compare", "compare bbh", "diagnose change", "diagnose weakness",
    "diagnose reference", "decision", "doctor", "backup", "trend", "import", "label_items",
    "label_show", "label_history", "label_actions", "item_docs", "undo_labels",
    "new_intervention", "interventions", "accept_intervention", "link_intervention",
    "intervention", "suggestions", "suggestion", "accept_suggestion", "named_slices",
    "named_slice", "rename_slice", "label_slice", "export_to", "export parquet",
    "export_manifest", "hub_add", "hubs", "intervention_outcome",
]  # fmt: skip


@pytest.mark.parametrize("name", RESULTS)
def test_real_results_are_what_results_py_declares(results: dict[str, tuple], name: str) -> None:
    if name not in results:
        pytest.skip(f"{name}: the app-test store cannot produce it (runs without steps)")
    value, declared = results[name]
    assert declared not in (dict, dict[str, Any], list[dict[str, Any]]), (
        f"{name} is declared as a plain dict; name its TypedDict in workspace/results.py"
    )
    problems = type_problems(value, declared)
    assert not problems, f"{name}: the real result differs from results.py:\n" + "\n".join(problems)


def test_every_typed_result_is_declared_by_the_facade() -> None:
    """Each facade method checked above returns a results.py type (not ``dict[str, Any]``)."""
    for method in ("runs", "run_info", "samples", "samples_page", "sample", "doctor", "backup",
                   "import_from", "label_items", "label_samples", "label_slice", "label_where",
                   "label_suggestion", "label_show", "label_history", "label_actions",
                   "item_docs", "undo_labels", "interventions", "intervention",
                   "new_intervention", "accept_intervention", "reject_intervention",
                   "start_intervention", "link_intervention", "evaluate_intervention",
                   "edit_intervention", "suggestions", "suggestion", "accept_suggestion",
                   "named_slices", "named_slice", "rename_slice", "export_to",
                   "export_manifest", "hub_add", "hubs", "intervention_outcome"):  # fmt: skip
        declared = _annotation(getattr(Workspace, method))
        names = {getattr(t, "__module__", "") for t in _flatten(declared)}
        assert R.__name__ in names, f"Workspace.{method} returns {declared}"


def _flatten(tp: Any) -> list[Any]:
    return [tp, *(x for a in get_args(tp) for x in _flatten(a))]


@pytest.mark.parametrize(
    "call",
    CALLS,
    ids=[
        f"{m}({', '.join([*a, *(f'{k}={v}' for k, v in kw.items())])})" for m, a, kw in CALLS
    ],  # fmt: skip
)
def test_fake_results_are_what_results_py_declares(real: Workspace, call: tuple) -> None:
    method, args, kwargs = call
    got = getattr(FakeFacade(real), method)(*args, **kwargs).to_dict()
    declared = _annotation(type(getattr(real, method)(*args, **kwargs)).to_dict)
    problems = type_problems(got, declared)
    assert not problems, f"{method}: the fake differs from results.py:\n" + "\n".join(problems)
