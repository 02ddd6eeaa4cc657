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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup_logs import write_gsm8k_run  # noqa: E402

from capslice_tui import workspace  # noqa: E402
from capslice_tui.analysis import metrics  # noqa: E402
from capslice_tui.workspace import core  # noqa: E402

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


@pytest.fixture(scope="module")
def greedy_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("greedy")
    store = tmp / "store.db"
    ws = workspace.Workspace(store)
    ws.ingest([write_gsm8k_run(tmp / "logs")], run="base")
    ws.ingest([write_gsm8k_run(tmp / "logs2")], run="next")
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


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["runs"], "8/12"),
        (["slices", "--run", "base", "--by", "task_type"], "8/12"),
        (["samples", "--run", "base", "--limit", "50"], "wrong_answer"),
        (["compare", "base", "next"], "ALL"),
    ],
)
def test_piped_tables_load_no_rich(
    greedy_store: Path, args: list[str], shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a table to a pipe whose cells fit on one line is written as Rich would print it, without
    # Rich (render._print_plain; test_render_unpadded compares the two); at 80 columns the
    # note column of slices wraps, which is left to Rich
    monkeypatch.setenv("COLUMNS", "240")
    loaded, out = _loaded_after(_cli(greedy_store, *args), ("rich", "_hashlib"))
    assert shown in out, (args, out[-500:])
    # nor hashlib's OpenSSL binding (~5 ms) where no hash is computed: runs reads the hub
    # origins (store.hub imports hashlib where it hashes), slices the cached taxonomy
    assert "rich" not in loaded, args
    if args[0] != "compare":  # compare's evaluation check hashes settings
        assert "_hashlib" not in loaded, args


# ---- which of our modules the cheap reads load (issue 14) ------------------------------------

# every capslice module `runs`, `slices` and `samples` may load: the CLI's root commands and
# output, the facade's core, the Store class with its mixins, and what they import. A module
# imported by them that is not listed here (the store's doctor, the ingest path, a command
# group, another mixin of the facade) fails the test below: make it lazy, or list it with why.
_READS = {
    "capslice_tui", "capslice_tui.formatting", "capslice_tui.vocabulary",
    "capslice_tui.cli", "capslice_tui.cli.root", "capslice_tui.cli.render",
    "capslice_tui.analysis", "capslice_tui.analysis.proportion",
    "capslice_tui.workspace", "capslice_tui.workspace.core", "capslice_tui.workspace.filters",
    # the Store class is composed of one mixin per entity
    "capslice_tui.store", "capslice_tui.store.db", "capslice_tui.store.fs",
    "capslice_tui.store.schema", "capslice_tui.store.compact", "capslice_tui.store.runs",
    "capslice_tui.store.samples", "capslice_tui.store.aggregates", "capslice_tui.store.ingest",
    "capslice_tui.store.labels", "capslice_tui.store.interventions",
    "capslice_tui.store.reliability", "capslice_tui.store.rescore",
}  # fmt: skip
# the taxonomy (its cached parse): slicing by an axis says which axes are indistinct; the
# result TypedDicts (workspace.results, ~3 ms to build) are for type checkers only
# (the cached rule names, taxonomy.notes: not the rule engine, taxonomy.evaluation)
_TAXONOMY = {
    "capslice_tui.taxonomy", "capslice_tui.taxonomy.notes", "capslice_tui.taxonomy._cache",
}  # fmt: skip


def _our_modules_after(code: str) -> tuple[set[str], str]:
    """The ``capslice_tui`` modules a fresh Python holds after running ``code``, and its
    stdout."""
    probe = (
        code + "\nimport sys\nprint(sorted(m for m in sys.modules"
        " if m.split('.')[0] == 'capslice_tui'))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    return set(json.loads(lines[-1].replace("'", '"'))), "\n".join(lines[:-1])


@pytest.mark.parametrize(
    ("args", "shown", "may_load"),
    [
        # runs says where each run came from: the hub module reads the origins
        (["runs"], "8/12", _READS | {"capslice_tui.store.hub"}),
        (["runs", "--format", "json"], '"correct": 8.0', _READS | {"capslice_tui.store.hub"}),
        (["slices", "--run", "base"], "8/12", _READS),
        (["slices", "--run", "base", "--by", "task_type"], "8/12", _READS | _TAXONOMY),
        (["samples", "--run", "base", "--limit", "50"], "wrong_answer", _READS),
    ],
)
def test_cheap_reads_load_only_the_modules_they_use(
    greedy_store: Path, args: list[str], shown: str, may_load: set[str]
) -> None:
    loaded, out = _our_modules_after(_cli(greedy_store, *args))
    assert shown in out, (args, out[-500:])
    assert loaded - may_load == set(), (
        f"capslice {' '.join(args)} loads modules it does not use: import them where used"
    )
    # the everyday reads never touch these (each was once imported by all of them)
    for module in ("capslice_tui.store.doctor", "capslice_tui.store.search",
                   "capslice_tui.store.exchange", "capslice_tui.workspace.ingest",
                   "capslice_tui.ingest", "capslice_tui.app",
                   "capslice_tui.workspace.results"):  # fmt: skip
        assert module not in loaded, (args, module)
    if args[0] != "runs":
        assert "capslice_tui.store.hub" not in loaded, args


def test_the_store_package_loads_its_doctor_and_hub_on_first_use() -> None:
    code = (
        "import sys\nimport capslice_tui.store as s\n"
        "print(sorted(m for m in ('capslice_tui.store.doctor', 'capslice_tui.store.hub')"
        " if m in sys.modules))\n"
        "assert s.doctor.__name__ == 'capslice_tui.store.doctor'\n"
        "assert s.hub.__name__ == 'capslice_tui.store.hub'\n"
        "from capslice_tui.store import doctor, hub\n"
        "assert doctor is s.doctor and hub is s.hub\n"
        "try:\n    s.no_such_module\nexcept AttributeError:\n    print('ok')\n"
    )
    loaded, out = _our_modules_after(code)
    assert out.splitlines() == ["[]", "ok"]
    assert {"capslice_tui.store.doctor", "capslice_tui.store.hub"} <= loaded


def test_the_app_imports_only_its_start_screen() -> None:
    # the menu and the help are imported when first shown; no other screen at start-up
    loaded, _ = _our_modules_after("import capslice_tui.app.app")
    screens = {m for m in loaded if m.startswith("capslice_tui.app.screens.")}
    extra = screens - {"capslice_tui.app.screens.base", "capslice_tui.app.screens.runs"}
    assert extra == set(), "import these screens where they are opened (NavEntry, an action)"
    # the facade and the store load in make_app, when the app is built on a store
    assert not any(m.startswith(("capslice_tui.store", "capslice_tui.workspace")) for m in loaded)


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
