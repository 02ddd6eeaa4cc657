"""The README's DuckDB recipe over Parquet exports of two nodes reproduces `capslice slices`
of a store that imported both exports (counts of items, samples and correct per slice)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lmeval_lines import write_gsm8k_run
from test_hub import _item_id

from capslice_tui.cli import main

ROOT = Path(__file__).parents[2]


def cli(store: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--store", str(store), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def recipe() -> str:
    text = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- duckdb-recipe -->\s*```sql\n(.*?)```", text, re.S)
    assert found, "README lost its DuckDB recipe"
    return found.group(1)


def test_duckdb_recipe_reproduces_slice_table_from_two_exports(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb", reason="duckdb is in the test extra")
    node_a, node_b, merged = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    cli(node_a, "ingest", str(write_gsm8k_run(tmp_path / "logs-base", 8)), "--run", "base")
    cli(node_b, "ingest", str(write_gsm8k_run(tmp_path / "logs-cand", 10)), "--run", "cand")
    items = f"{_item_id(node_a, '0')},{_item_id(node_a, '9')}"
    cli(node_a, "label", "set", "--items", items, "--axis", "task_type",
        "--value", "table_reasoning", "--user", "alice")  # fmt: skip
    exports = tmp_path / "exports"
    for name, store in (("a", node_a), ("b", node_b)):
        cli(store, "export", str(exports / name))
        assert (exports / name / "item_scores.parquet").exists()
        cli(merged, "import", str(exports / name))
    sql = recipe().replace("'exports/", f"'{exports}/")
    rows = duckdb.sql(sql).fetchall()
    got = {(run, label): (n_items, n_samples, correct) for run, label, n_items, n_samples,
           correct, _ in rows}  # fmt: skip
    want = {}
    for run in ("base", "cand"):
        table = json.loads(cli(merged, "slices", "--run", run, "--by", "task_type", "--format",
                               "json"))  # fmt: skip
        for s in table["slices"]:
            want[(run, s["slice"]["task_type"])] = (s["n_items"], s["n_samples"], s["correct"])
    assert got == want
    # the hand label made on node A splits node B's run too
    assert got[("cand", "table_reasoning")] == (2, 2, 2.0)  # docs 0 and 9: both right in cand
    assert got[("base", "table_reasoning")] == (2, 2, 1.0)  # doc 9 is wrong in base
