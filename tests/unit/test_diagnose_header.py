"""`capslice diagnose`'s header names the mode it runs: a change (base BASE -> cand CAND), a
weakness against the run's own average (RUN alone), or a weakness paired by item with a
reference run (RUN --reference REF), not a bare "(weakness)" for both."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from plan_fixtures import write_generic_run

from capslice_tui.cli import main


def test_header_names_the_mode(tmp_path: Path) -> None:
    store = str(tmp_path / "s.db")
    nt, alg = "minerva_math_num_theory", "minerva_math_algebra"
    runner = CliRunner()
    for run, right in (("A", {nt: 30, alg: 30}), ("B", {nt: 20, alg: 28})):
        path = write_generic_run(tmp_path / f"{run}.jsonl", right)
        res = runner.invoke(main, ["--store", store, "ingest", str(path), "--run", run,
                                   "--benchmark", "math"])  # fmt: skip
        assert res.exit_code == 0, res.output

    def header(*args: str) -> str:
        res = runner.invoke(main, ["--store", store, "diagnose", *args, "--benchmark", "math"])
        assert res.exit_code == 0, res.output
        return res.output.splitlines()[0]

    assert header("B", "--reference", "A").endswith(
        "[B (weakness against reference A, paired by item), math]"
    )
    assert header("B").endswith("[B (weakness against its own average), math]")
    assert header("A", "B").endswith("[base A -> cand B, math]")
