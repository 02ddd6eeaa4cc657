"""`samples --task` takes the short task name the slice tables show, and refuses a task the run
does not have (walk 10 #2: both printed 'nothing to show', a typo read as an empty slice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tasknames") / "s.db"
    ws = Workspace(path)
    ws.ingest([sample_data_dir() / "lm_eval" / "bbh-base"], run="bbh-base", benchmark="bbh")
    ws.store.close()
    return path


def _samples(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(
        main, ["--store", str(store), "samples", "--run", "bbh-base", "--format", "json", *args]
    )
    return res.exit_code, res.output


def test_the_short_task_name_reads_the_same_samples_as_the_full_one(store: Path) -> None:
    full = _samples(store, "--task", "bbh_cot_fewshot_boolean_expressions")
    short = _samples(store, "--task", "boolean_expressions")
    by_slice = _samples(store, "--slice", "task=boolean_expressions")
    assert full[0] == 0 and '"doc_id"' in full[1], full
    assert short == full and by_slice == full


def test_a_task_the_run_does_not_have_is_refused_with_its_tasks(store: Path) -> None:
    code, out = _samples(store, "--task", "boolean_expresions")
    assert code == 1, out
    assert "run 'bbh-base' has no task 'boolean_expresions'" in out
    assert "bbh_cot_fewshot_boolean_expressions" in out
