"""What fresh-user walk 7 found in the CLI: one marker scheme for failure modes in the trend's
mix legend, the trend's change column says what it is the change from, one p-value form."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


@pytest.fixture(scope="module")
def eos_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's bbh-base@100000 and bbh-eos-masked@110000 (extraction failures, truncations)."""
    path = tmp_path_factory.mktemp("walk7") / "capslice.db"
    ws = Workspace(path)
    for name, step in (("bbh-base", 100_000), ("bbh-eos-masked", 110_000)):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="bbh", step=step)
    return path


def _cli(store: Path, *args: str, columns: int = 80) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": str(columns)})
    assert res.exit_code == 0, res.output
    return res.output


def test_the_narrow_mix_legend_uses_the_headers_markers(eos_store: Path) -> None:
    out = _cli(eos_store, "trend", "--runs", "bbh-base,bbh-eos-masked", "--modes", columns=140)
    lines = out.splitlines()
    assert lines[1].split()[-3:] == ["fmt!", "trunc", "runaway"], lines[1]  # markers head it
    legend = [x for x in lines if x.startswith("mix:")]
    # the bar's e is the fmt! of the headers and of the samples table, not "extraction"
    assert legend == ["mix: # correct  x wrong  e fmt!  t trunc  r runaway  (20 cells = 100% "
                      "of samples)"], legend  # fmt: skip
    assert "fmt! = extraction_failure" in out


def test_the_trends_change_column_says_it_is_from_the_previous_step(eos_store: Path) -> None:
    out = _cli(eos_store, "trend", "--runs", "bbh-base,bbh-eos-masked", "--by", "task")
    lines = out.splitlines()
    assert lines[1].rstrip().endswith("vs prev"), lines[1]  # not a bare 'change'
    assert "change" not in lines[1]
    assert "vs prev: score minus the previous step's, in points" in " ".join(out.split())
    first = next(x for x in lines if x.startswith("boolean_expressions"))
    assert first.split()[-1] == "-"  # the first step has no previous one


def test_label_history_actions_wrap_axes_instead_of_cutting_them(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from capslice_tui.cli.render import emit_table

    headers = ["batch", "at", "who", "action", "items", "axes", "values"]
    rows = [
        ["626397eafaa8", "2026-12-01 02:52", "root", "set", 14, "task_type", "number_theory"],
        ["bd76143a633b", "2026-12-01 02:52", "root", "set", 1, "background_condition",
         "world_knowledge"],
        ["79936616e529", "2026-12-01 02:52", "root", "set", 3, "solving_operation",
         "multi_step_arithmetic"],
    ]  # fmt: skip
    monkeypatch.setenv("COLUMNS", "80")
    for wrap in ((), ("axes", "values")):
        emit_table(headers, rows, "table", whole=("batch",), wrap=wrap)
        lines = capsys.readouterr().out.splitlines()
        assert all(len(x) <= 80 for x in lines), lines
        cut = any("…" in x for x in lines)
        assert cut == (not wrap), lines  # without wrap the axes were cut (backgro…)
    at = lines[0].index("axes")
    second = next(i for i, x in enumerate(lines) if x.startswith("bd76143a633b"))
    # background_ / condition: the axis whole over two lines, in its column
    assert lines[second][at:].split()[0] == "background_", lines
    assert lines[second + 1][at:].split()[0] == "condition", lines
    assert lines[second + 1][:at].strip() == "", lines


@pytest.fixture(scope="module")
def math_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's math-base (answers in \\boxed{}, 16 samples per item)."""
    path = tmp_path_factory.mktemp("walk7-math") / "capslice.db"
    ws = Workspace(path)
    ws.ingest([sample_data_dir() / "lm_eval" / "math-base"], run="math-base", benchmark="math")
    return path


def test_samples_keeps_a_short_answer_whole_where_the_response_can_wrap(
    math_store: Path,
) -> None:
    out = _cli(math_store, "samples", "--run", "math-base", "--limit", "3")
    lines = out.splitlines()
    assert all(len(x) <= 80 for x in lines), out
    # generation 0 holds the log's score and filtered answer (filter none: the whole
    # response); generation 1, scored by capslice, holds its extracted $\boxed{741}$
    second = lines[4].split()
    # $\boxed{741}$ (13 characters) whole, not $\b…ed{741}$ while the response wraps
    assert second[5] == "$\\boxed{741}$", out
    assert "…" not in " ".join(second[:7]), out


def test_plan_cell_ids_wrap_whole_at_80_columns(math_store: Path) -> None:
    import yaml

    catalog = sample_data_dir() / "catalog.yaml"
    out = _cli(math_store, "plan", "--baseline", "math-base", "--benchmark", "math",
               "--catalog", str(catalog), "--budget-tokens", "100000000000")  # fmt: skip
    lines = out.splitlines()
    assert all(len(x) <= 80 for x in lines), out
    end = next(i for i, x in enumerate(lines) if x.startswith(("4 of", "1 of", "2 of", "3 of")))
    pieces = [x[:16].strip() for x in lines[2:end]]
    ids = []
    for piece in pieces:  # a wrapped id goes on under itself
        if ids and ids[-1].endswith("_"):
            ids[-1] += piece
        else:
            ids.append(piece)
    cells = {c["id"] for c in yaml.safe_load(catalog.read_text())["cells"]}
    assert set(ids) == cells, ids  # every id whole: none cut (cc_sci_knowle…)
    assert not any("…" in x for x in ids)
