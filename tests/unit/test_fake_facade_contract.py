"""The screens' fake facade (tests/app/fake_facade.py) returns what the real facade returns.

Screen tests run against the fake's fixed figures; if its dicts drift from the real
``Comparison.to_dict()`` / ``Diagnosis.to_dict()`` the screens are tested on data the app never
sees. Each method the fake implements is called on a small real store (the app tests' lm-eval
files) and on the fake with the same arguments; the fake's result must have the real one's
keys at every level and the same value types (``None`` stands in for any type: optional
fields), and the two methods must take the same parameters.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path
from typing import Any

import pytest

APP_TESTS = Path(__file__).resolve().parents[1] / "app"
sys.path.insert(0, str(APP_TESTS))

from fake_facade import FakeFacade  # noqa: E402
from lmeval_files import build_store  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402

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
