"""The demo's BBH runs in the CLI at 80 columns, as a fresh user walked them: one form of each
marker per terminal kind (``TERM=linux`` mixed ``→`` with ``->`` and ``×`` with `` x `` in one
diagnose), task names cut so the variant stays (``logical_deduction_three_o…``), and a samples
column that tells rows apart (every row read ``…So the answer is True.`` or ``False.``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.app.console import foreign_glyphs
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's bbh-base@100000, bbh-eos-masked@110000 and math-base (a weakness)."""
    path = tmp_path_factory.mktemp("glyphs") / "capslice.db"
    ws = Workspace(path)
    for name, step in (("bbh-base", 100_000), ("bbh-eos-masked", 110_000)):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="bbh", step=step)
    ws.ingest([sample_data_dir() / "lm_eval" / "math-base"], run="math-base", benchmark="math")
    return path


def _cli(store: Path, *args: str, term: str = "xterm-256color") -> str:
    env = {"COLUMNS": "80", "TERM": term, "CAPSLICE_ASCII": None}
    res = CliRunner().invoke(main, ["--store", str(store), *args], env=env)
    assert res.exit_code == 0, res.output
    assert not any(type(s).__name__ == "AsciiStream" for s in (sys.stdout, sys.stderr))
    return res.output


def test_console_diagnose_uses_one_ascii_form_of_each_marker(demo_store: Path) -> None:
    for args in (["diagnose", "bbh-base", "bbh-eos-masked"], ["diagnose", "math-base"]):
        fancy = _cli(demo_store, *args)
        plain = _cli(demo_store, *args, term="linux")
        # the verdict prose is written in ASCII (->, x, Benjamini-Hochberg) in every terminal
        # (walk 9: the verdict's prose used the arrow glyphs, the CLI's own lines ->)
        assert not foreign_glyphs(fancy), foreign_glyphs(fancy)
        assert not foreign_glyphs(plain), foreign_glyphs(plain)
        assert "×" not in plain and "→" not in plain and "–" not in plain, plain
        # wrapped as printed, the VERDICT heading too (walk 9: 86 columns for math-base)
        assert max(map(len, plain.splitlines())) <= 80, plain
        assert max(map(len, fancy.splitlines())) <= 80, fancy
    pair = _cli(demo_store, "diagnose", "bbh-base", "bbh-eos-masked", term="linux")
    assert "right->wrong" in pair and "(right -> wrong)" in pair, pair
    weak = _cli(demo_store, "diagnose", "math-base", term="linux")
    assert " x " in weak and "task_type x solving_operation" in " ".join(weak.split()), weak


def test_console_tables_cut_with_one_ascii_cell(demo_store: Path) -> None:
    out = _cli(demo_store, "compare", "bbh-base", "bbh-eos-masked", "--by", "task", term="linux")
    assert not foreign_glyphs(out) and max(map(len, out.splitlines())) <= 80, out
    rows = {line.split()[0]: line for line in out.splitlines()[2:12]}
    # the columns line up: every row's figures start where the header's do
    start = out.splitlines()[1].index("base")
    assert all(line[start - 2 : start] == "  " for line in rows.values()), out
    assert "logical_~three_objects" in rows and "tracking_~three_objects" in rows, out
    fancy = _cli(demo_store, "compare", "bbh-base", "bbh-eos-masked", "--by", "task")
    assert "logical_…three_objects" in fancy and "tracking_…three_objects" in fancy, fancy


def test_samples_of_one_template_show_what_differs(demo_store: Path) -> None:
    task = "bbh_cot_fewshot_boolean_expressions"
    out = _cli(demo_store, "samples", "--run", "bbh-base", "--task", task, "--limit", "8")
    text = " ".join(out.split())
    assert "…not False and False or False." in text, out  # doc 0's expression
    assert text.count("So the answer is") == 0, out  # not the ends, alike on every row
    assert "response: what follows the start all share" in text, out
