"""Start-up (issue 14): the CLI and the facade load numpy, Rich and the heavy mixins only when a
command needs them, and what they compute without numpy is what numpy computed.

The import checks run a fresh interpreter and read ``sys.modules``; none measures a time.
"""

from __future__ import annotations

import inspect
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from capslice_tui import workspace
from capslice_tui.analysis import metrics
from capslice_tui.workspace import core

NOT_AT_START = ("numpy", "scipy", "sklearn", "textual", "pyarrow", "math_verify")


def _loaded_after(code: str, watch: tuple[str, ...]) -> tuple[list[str], str]:
    """Which of ``watch`` a fresh Python holds after running ``code``, and its stdout."""
    probe = code + f"\nimport sys\nprint(sorted(m for m in {watch!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1].replace("'", '"')), "\n".join(lines[:-1])


def _cli(store: Path, *args: str) -> str:
    return (
        "from capslice_tui.cli import main\n"
        f"main.main({['--store', str(store), *args]!r}, standalone_mode=False)\n"
    )


def test_importing_the_cli_and_the_facade_loads_no_numpy_rich_or_textual() -> None:
    loaded, _ = _loaded_after(
        "import capslice_tui.cli, capslice_tui.workspace", (*NOT_AT_START, "rich")
    )
    assert loaded == []


def test_help_of_the_root_and_of_runs_loads_no_numpy_rich_or_textual() -> None:
    for args in (["--help"], ["runs", "--help"], ["slices", "--help"]):
        code = (
            "from capslice_tui.cli import main\n"
            f"try:\n    main.main({args!r}, standalone_mode=False)\n"
            "except SystemExit:\n    pass\n"
        )
        loaded, shown = _loaded_after(code, (*NOT_AT_START, "rich"))
        assert "Usage:" in shown, (args, shown[-300:])
        assert loaded == [], args


def _greedy_logs(folder: Path) -> Path:
    """Twelve lm-eval 0.4 GSM8K-style samples (one per doc), eight of them right."""
    folder.mkdir(parents=True)
    lines = []
    for d in range(12):
        answer = "18" if d < 8 else "17"
        lines.append(
            json.dumps(
                {
                    "doc_id": d,
                    "doc": {"question": f"how many apples, case {d}?", "answer": "#### 18"},
                    "target": "#### 18",
                    "arguments": {"gen_args_0": {"arg_0": f"Question: q{d}\nAnswer:"}},
                    "resps": [[f"so #### {answer}"]],
                    "filtered_resps": [answer],
                    "filter": "strict-match",
                    "metrics": ["exact_match"],
                    "exact_match": float(answer == "18"),
                }
            )
        )
    (folder / "samples_gsm8k_2026-01-01T00-00-00.000000.jsonl").write_text("\n".join(lines))
    return folder


@pytest.fixture(scope="module")
def greedy_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("greedy")
    store = tmp / "store.db"
    ws = workspace.Workspace(store)
    ws.ingest([_greedy_logs(tmp / "logs")], run="base")
    ws.ingest([_greedy_logs(tmp / "logs2")], run="next")
    return store


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["runs"], "8/12"),
        (["runs", "--format", "json"], '"correct": 8.0'),
        (["slices", "--run", "base", "--by", "task_type"], "8/12"),
        (["slices", "--run", "base", "--format", "json"], '"n_items": 12'),
        (["samples", "--run", "base", "--limit", "5"], "showing the first 5"),
    ],
)
def test_everyday_reads_of_a_greedy_store_need_no_numpy(
    greedy_store: Path, args: list[str], shown: str
) -> None:
    # runs, slices and samples of greedy runs answer from slice_counts and keyset pages
    loaded, out = _loaded_after(_cli(greedy_store, *args), NOT_AT_START)
    assert shown in out, (args, out[-500:])
    assert loaded == [], args


def test_json_output_loads_no_rich(greedy_store: Path) -> None:
    loaded, out = _loaded_after(_cli(greedy_store, "runs", "--format", "json"), ("rich",))
    assert '"name": "base"' in out
    assert loaded == []


def test_compare_loads_its_mixin_but_not_the_others(greedy_store: Path) -> None:
    watch = ("capslice_tui.workspace.discover", "capslice_tui.workspace.plan",
             "capslice_tui.workspace.rescore", "capslice_tui.workspace.diagnose", "sklearn")  # fmt: skip
    loaded, out = _loaded_after(_cli(greedy_store, "compare", "base", "next"), watch)
    assert "ALL" in out
    assert loaded == ["capslice_tui.workspace.diagnose"]


# ---- the facade that loads its mixins on first use -------------------------------------------


def _full_mixins() -> dict[str, type]:
    import importlib

    return {
        module: getattr(importlib.import_module(f"capslice_tui.workspace.{module}"), cls)
        for module, (cls, _) in workspace._MIXIN_ATTRIBUTES.items()
    }


def test_the_mixin_attribute_table_names_each_mixins_public_attributes_exactly() -> None:
    # a public name not listed still works (it loads every mixin) but costs its command the
    # start-up of all of them; a listed name its mixin lost would load the wrong one
    for module, cls in _full_mixins().items():
        defined = {
            name for klass in cls.__mro__[:-1] for name in vars(klass) if not name.startswith("_")
        }
        listed = set(workspace._MIXIN_ATTRIBUTES[module][1])
        assert listed == defined, (
            f"workspace/__init__.py _MIXIN_ATTRIBUTES[{module!r}]: add {sorted(defined - listed)}, "
            f"remove {sorted(listed - defined)}"
        )


def test_no_two_mixins_define_the_same_attribute() -> None:
    # the composed classes put the loaded mixins after the core: that order decides nothing
    # only while no attribute is defined twice
    owners: dict[str, list[str]] = {}
    classes = [workspace.FiltersMixin, core.CoreMixin, *_full_mixins().values()]
    for cls in classes:
        names = {n for k in cls.__mro__[:-1] for n in vars(k) if not n.startswith("__")}
        for name in names - {"store"}:
            owners.setdefault(name, []).append(cls.__name__)
    assert {n: o for n, o in owners.items() if len(o) > 1} == {}


def test_a_workspace_gains_a_mixin_on_first_use_and_keeps_its_state(tmp_path: Path) -> None:
    ws = workspace.Workspace(tmp_path / "s.db")
    assert type(ws)._lazy_loaded == frozenset()
    store = ws.store
    assert ws.compare.__func__ is workspace.Workspace.compare  # type: ignore[attr-defined]
    assert type(ws)._lazy_loaded == {"diagnose"}
    assert isinstance(ws, workspace.Workspace) and ws.store is store
    assert ws.plan.__qualname__ == "PlanMixin.plan"
    assert type(ws)._lazy_loaded == {"diagnose", "plan"}
    with pytest.raises(AttributeError, match="no attribute 'no_such_method'"):
        ws.no_such_method  # noqa: B018
    assert type(ws)._lazy_loaded == frozenset(workspace._MIXIN_ATTRIBUTES)  # all were tried
    assert not hasattr(ws, "__no_such_dunder__")


def test_class_level_lookup_and_signatures_see_every_method() -> None:
    assert "base" in inspect.signature(workspace.Workspace.compare).parameters
    assert workspace.Workspace.runs.__qualname__ == "CoreMixin.runs"
    with pytest.raises(AttributeError):
        workspace.Workspace.no_such_method  # noqa: B018


def test_a_subclass_keeps_its_overrides_after_a_mixin_loads(tmp_path: Path) -> None:
    class Mine(workspace.Workspace):
        def compare(self, *args: object, **kwargs: object) -> str:  # type: ignore[override]
            return "mine"

    ws = Mine(tmp_path / "s.db")
    ws.diagnose  # noqa: B018  (loads the diagnose mixin, which also defines compare)
    assert isinstance(ws, Mine) and ws.compare() == "mine"


def test_result_types_are_exported_on_first_use() -> None:
    from capslice_tui.workspace.diagnose import Comparison
    from capslice_tui.workspace.ingest import IngestError

    assert workspace.Comparison is Comparison
    assert workspace.IngestError is IngestError
    with pytest.raises(AttributeError):
        workspace.NoSuchName  # noqa: B018


# ---- greedy scores without numpy: the same floats as analysis.metrics ------------------------


def test_greedy_rows_from_counts_equal_greedy_score_bit_for_bit() -> None:
    cases = [(n, k) for n in range(1, 61) for k in range(n + 1)]
    cases += [(n, k) for n in (99, 100, 1000, 5000, 15000, 100000, 10**7)
              for k in (0, 1, 7, n // 3, n // 2, n - 1, n)]  # fmt: skip
    for n, k in cases:
        want = metrics.greedy_score(n, float(k))
        got = core._greedy_row({}, n, float(k))
        assert (got.score, got.lo, got.hi) == (want.score, want.lo, want.hi), (n, k)
        assert math.copysign(1, got.lo) == math.copysign(1, want.lo), (n, k)  # never -0.0
        assert (got.n_items, got.n_samples, got.correct) == (
            want.n_items,
            want.n_samples,
            want.correct,
        )
        assert (got.metric, got.method, got.warning) == (
            want.metric_name,
            want.method,
            want.warning,
        ), (n, k)


def test_greedy_table_rows_equal_the_per_item_path() -> None:
    # _counts_row (no numpy) against _row on the per-item arrays _binary rebuilds
    for n, c in [(1, 0.0), (1, 1.0), (12, 8.0), (29, 3.0), (30, 30.0), (15000, 8647.0)]:
        fast = core._counts_row({"task": "t"}, n, c, 0)
        slow = core._row({"task": "t"}, *core._binary(n, c), [], 0)
        assert fast == slow, (n, c)


# ---- the CLI's command groups, imported on first lookup --------------------------------------


def test_every_lazy_command_is_registered_under_its_own_name() -> None:
    from capslice_tui.cli import LAZY_COMMANDS, main

    for name in LAZY_COMMANDS:
        assert main.commands[name].name == name
    assert set(LAZY_COMMANDS) <= set(main.commands)


def test_a_root_command_imports_no_command_group_module(greedy_store: Path) -> None:
    from capslice_tui.cli import LAZY_COMMANDS

    modules = tuple(sorted({f"capslice_tui.cli.{m}" for m, _ in LAZY_COMMANDS.values()}))
    loaded, out = _loaded_after(_cli(greedy_store, "runs"), modules)
    assert "8/12" in out
    assert loaded == []
    loaded, _ = _loaded_after(_cli(greedy_store, "trend", "--help"), modules)
    assert loaded == ["capslice_tui.cli.trend"]
