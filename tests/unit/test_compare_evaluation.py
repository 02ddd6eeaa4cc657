"""compare warns when the two runs evaluated the paired items differently (the check of
diagnose, ``evaluation_check``), and says nothing for identically evaluated runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def _write(path: Path, prompt_head: str, wrong_every: int) -> Path:
    """30 greedy samples (2 tasks x 15 items); the prompt text starts with ``prompt_head``."""
    rows = [
        {
            "task": task,
            "doc_id": i,
            "prompt": f"{prompt_head}: what is {i} + 1?",
            "target": str(i + 1),
            "prediction": "x" if i % wrong_every == 0 else str(i + 1),
        }
        for task in ("t1", "t2")
        for i in range(15)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base, same (same prompts as base, other answers), reworded (other prompt texts)."""
    tmp = tmp_path_factory.mktemp("cmp_eval")
    db = tmp / "s.db"
    runner = CliRunner()
    for run, head, every in (("base", "Q", 3), ("same", "Q", 5), ("reworded", "Question", 5)):
        log = _write(tmp / f"{run}.jsonl", head, every)
        args = ["--store", str(db), "ingest", str(log), "--run", run, "--benchmark", "toy"]
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
    return db


def _compare(db: Path, cand: str, fmt: str) -> str:
    res = CliRunner().invoke(
        main, ["--store", str(db), "compare", "base", cand, "--format", fmt], env={"COLUMNS": "400"}
    )
    assert res.exit_code == 0, res.output
    return res.output


WARNING = (
    "evaluation differs: the prompts of 30 of 30 items differ (the prompt texts, compared by "
    "their hash); differences may come from the evaluation, not the model (see capslice "
    "diagnose base reworded)"
)


def test_prompts_that_differ_are_said_in_every_format(store: Path) -> None:
    table = _compare(store, "reworded", "table")
    assert WARNING in table
    # said before the legend of the table
    assert table.index(WARNING) < table.index("slices tested; Benjamini-Hochberg")
    assert f"- {WARNING}" in _compare(store, "reworded", "md")
    payload = json.loads(_compare(store, "reworded", "json"))
    assert payload["evaluation_warning"] == WARNING
    assert payload["notes"][0] == WARNING


def test_identically_evaluated_runs_get_no_warning(store: Path) -> None:
    assert "evaluation differs" not in _compare(store, "same", "table")
    payload = json.loads(_compare(store, "same", "json"))
    assert payload["evaluation_warning"] is None
    assert not any("evaluation" in n for n in payload["notes"])


def test_the_warning_is_diagnose_s_evaluation_check(store: Path) -> None:
    ws = Workspace(store)
    cmp = ws.compare("base", "reworded")
    diag = ws.diagnose("base", "reworded")
    assert diag.evaluation is not None and diag.evaluation["changed"]
    assert cmp.evaluation_warning is not None
    assert diag.evaluation["summary"] in cmp.evaluation_warning
    assert ws.compare("base", "same").evaluation_warning is None


def test_the_cheap_check_counts_items_whose_prompt_or_settings_differ(store: Path) -> None:
    ws = Workspace(store)
    ids = {r["name"]: r["id"] for r in ws.store.list_runs()}
    assert ws.store.evaluation_differs_count(ids["base"], ids["reworded"]) == 30
    assert ws.store.evaluation_differs_count(ids["base"], ids["same"]) == 0
