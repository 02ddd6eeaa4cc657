"""A command that reads one run (``samples``, ``slices``, ``discover``, ``rescore``) takes it as
its argument, as ``diagnose`` and ``compare`` take theirs, or as ``--run`` (scripts written
with it keep working): ``capslice samples bbh-base`` was refused (``Got unexpected extra
argument``) while ``capslice diagnose bbh-base`` worked.
Both given and different is refused naming both; neither, naming both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from plan_fixtures import write_generic_run

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run-arg")
    path = folder / "capslice.db"
    ws = Workspace(path)
    ws.ingest([write_generic_run(folder / "a.jsonl", {"t1": 25, "t2": 10})], run="ra",
              benchmark="gsm8k")  # fmt: skip
    ws.ingest([write_generic_run(folder / "b.jsonl", {"t1": 30, "t2": 20})], run="rb",
              benchmark="gsm8k")  # fmt: skip
    return path


def _run(store: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--store", str(store), *args], prog_name="capslice")
    return res.exit_code, res.output


COMMANDS = [
    ("samples", "--limit", "3"),
    ("slices",),
    ("discover",),
    ("rescore", "--dry-run"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_the_run_as_argument_or_option_reads_the_same(
    store: Path, command: tuple[str, ...]
) -> None:
    name, *rest = command
    code_arg, by_arg = _run(store, name, "rb", *rest, "--format", "json")
    code_opt, by_opt = _run(store, name, "--run", "rb", *rest, "--format", "json")
    assert (code_arg, code_opt) == (0, 0), (by_arg, by_opt)
    assert json.loads(by_arg) == json.loads(by_opt)
    code_both, _ = _run(store, name, "rb", "--run", "rb", *rest)
    assert code_both == 0  # the same run twice is no conflict


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_two_different_runs_or_none_are_refused_plainly(
    store: Path, command: tuple[str, ...]
) -> None:
    name, *rest = command
    code, out = _run(store, name, "ra", "--run", "rb", *rest)
    assert code == 2, out
    assert "two runs given: 'ra' (argument) and 'rb' (--run)" in out, out
    assert "Traceback" not in out
    code, out = _run(store, name, *rest)
    assert code == 2, out
    assert "Missing argument 'RUN' (or --run RUN)" in out, out
    code, out = _run(store, name, "--help")
    assert f"Usage: capslice {name} [OPTIONS] RUN" in out, out
    assert "Same as the RUN argument." in " ".join(out.split()), out
