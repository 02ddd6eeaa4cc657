"""A data diagnosis' ``next:`` plan command names the catalog and budget capslice knows
instead of placeholders (walk leftover: on the demo store it said ``--catalog CATALOG.yaml
--budget-tokens TOKENS`` where the demo's catalog is ``sample_data/catalog.yaml``): the
catalog of the newest intervention with a plan on the benchmark, else the demo's for runs
ingested from the bundled data; elsewhere placeholders no one takes for a real file, said to
be placeholders."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from demo_store import math_base_store

from capslice_tui.cli import main
from capslice_tui.report import BUDGET_PLACEHOLDER, CATALOG_PLACEHOLDER
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

ENV = {"COLUMNS": "200", "CAPSLICE_ASCII": "0"}
TASKS = ("minerva_math_num_theory", "minerva_math_algebra")


def _next(store: Path, *args: str) -> dict[str, str]:
    res = CliRunner().invoke(main, ["--store", str(store), "diagnose", *args, "--format", "json"])
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.output)["next"])


def _own_store(tmp: Path) -> Path:
    """``base``: a math weakness (number theory 5/30 right, algebra 20/30), not demo data."""
    ws = Workspace(tmp / "own.db")
    lines = [{"task": task, "doc_id": doc, "target": "7", "correct": doc < n,
              "response": "The answer is 7." if doc < n else "The answer is 3."}
             for task, n in zip(TASKS, (5, 20), strict=True) for doc in range(30)]  # fmt: skip
    (tmp / "base.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    ws.ingest([tmp / "base.jsonl"], run="base", benchmark="math")
    return tmp / "own.db"


def test_the_demo_store_names_the_demo_catalog_and_the_command_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = math_base_store(tmp_path)
    monkeypatch.chdir(sample_data_dir().parent)  # in the checkout: the path as the README's
    step = _next(store, "math-base", "--benchmark", "math")
    assert step["command"].endswith(
        "--catalog sample_data/catalog.yaml --budget-tokens 100000000000"
    ), step
    assert "catalog and budget: the demo's" in step["why"]
    assert CATALOG_PLACEHOLDER not in step["command"] and "CATALOG.yaml" not in step["command"]
    res = CliRunner().invoke(main, ["--store", str(store), *shlex.split(step["command"])[1:]])
    assert res.exit_code == 0 and "boosted" in res.output, res.output


def test_other_runs_get_placeholders_that_say_so_until_a_plan_is_recorded(
    tmp_path: Path,
) -> None:
    store = _own_store(tmp_path)
    step = _next(store, "base", "--benchmark", "math")
    assert step["command"].endswith(
        f"--catalog {CATALOG_PLACEHOLDER} --budget-tokens {BUDGET_PLACEHOLDER}"
    ), step
    assert "placeholders, fill them in" in step["why"], step
    # an intervention with a plan attached: its catalog and budget from then on
    catalog = tmp_path / "my catalog.yaml"
    catalog.write_text((sample_data_dir() / "catalog.yaml").read_text())
    ws = Workspace(store)
    plan = ws.plan("base", benchmark="math", catalog=catalog, budget_tokens=5_000_000_000)
    ws.new_intervention(title="t", hypothesis="h", baseline="base", benchmark="math", plan=plan)
    step = _next(store, "base", "--benchmark", "math")
    assert step["command"].endswith(
        f"--catalog {shlex.quote(str(catalog))} --budget-tokens 5000000000"
    ), step
    assert "catalog and budget: the plan of intervention #1" in step["why"], step
    assert "placeholder" not in step["why"]
