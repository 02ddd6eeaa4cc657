"""The answer filter a listing reads is named in it and can be switched (CLI and facade)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lmeval_lines import TS, gsm8k_line

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def line(task: str, doc_id: int, filt: str, extracted: str, em: float) -> str:
    """One GSM8K-style line whose question names ``task``."""
    question = f"{task}: how many apples, case {doc_id}?"
    return gsm8k_line(doc_id, extracted, em, filt=filt, question=question)


def write_run(folder: Path, strict_right: int, second_task: bool = False) -> Path:
    """12 items on strict-match (``strict_right`` right) and flexible-extract (all right);
    with ``second_task``, a task ``gsm_plain`` that logged strict-match only."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for d in range(12):
        ok = d < strict_right
        lines.append(line("gsm8k", d, "strict-match", "18" if ok else "17", 1.0 if ok else 0.0))
        lines.append(line("gsm8k", d, "flexible-extract", "18", 1.0))
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    if second_task:
        plain = [line("plain", d, "strict-match", "18", 1.0) for d in range(5)]
        (folder / f"samples_gsm_plain_{TS}.jsonl").write_text("\n".join(plain) + "\n")
    return folder


@pytest.fixture()
def store(tmp_path: Path) -> str:
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([write_run(tmp_path / "a", 8)], run="base")
    ws.ingest([write_run(tmp_path / "b", 5)], run="cand")
    return str(tmp_path / "store.db")


def cli(store: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--store", store, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_slices_name_the_filter_and_switch(store: str) -> None:
    out = cli(store, "slices", "--run", "base")
    assert "base by task · filter strict-match (primary)" in out
    assert "8/12" in out
    out = cli(store, "slices", "--run", "base", "--filter", "flexible-extract")
    assert "base by task · filter flexible-extract" in out
    assert "(primary)" not in out
    assert "12/12" in out
    payload = json.loads(cli(store, "slices", "--run", "base", "--format", "json"))
    assert payload["filter"]["logged"] == ["strict-match", "flexible-extract"]
    assert payload["filter"]["per_task"] == {"gsm8k": "strict-match"}


def test_samples_name_the_filter_and_switch(store: str) -> None:
    out = cli(store, "samples", "--run", "base", "--failing")
    assert "base samples · filter strict-match (primary)" in out
    payload = json.loads(cli(store, "samples", "--run", "base", "--failing", "--format", "json"))
    assert len(payload["samples"]) == 4
    assert {r["filter"] for r in payload["samples"]} == {"strict-match"}
    flexible = json.loads(
        cli(store, "samples", "--run", "base", "--filter", "flexible-extract", "--format", "json")
    )
    assert len(flexible["samples"]) == 12
    assert {r["filter"] for r in flexible["samples"]} == {"flexible-extract"}
    assert flexible["filter"]["label"] == "filter flexible-extract"


def test_compare_names_the_filter_and_switches(store: str) -> None:
    out = cli(store, "compare", "base", "cand")
    assert "base base -> cand cand · filter strict-match (primary)" in out
    assert "8/12" in out and "5/12" in out
    out = cli(store, "compare", "base", "cand", "--filter", "flexible-extract", "--format", "json")
    payload = json.loads(out)
    assert payload["filter"] == "filter flexible-extract"
    assert payload["overall"]["base"]["correct"] == 12
    assert payload["overall"]["cand"]["correct"] == 12


def test_an_unlogged_filter_is_refused_with_the_logged_ones(store: str) -> None:
    for args in (
        ("slices", "--run", "base"),
        ("samples", "--run", "base"),
        ("compare", "base", "cand"),
    ):
        result = CliRunner().invoke(main, ["--store", store, *args, "--filter", "get-answer"])
        assert result.exit_code == 1
        assert "logged no filter 'get-answer'" in result.output
        assert "filters logged: strict-match, flexible-extract" in result.output


def test_tasks_without_the_filter_are_named(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "store.db")
    ws.ingest([write_run(tmp_path / "a", 8, second_task=True)], run="r")
    use = ws.filter_use("r", "flexible-extract")
    assert use.missing == ["gsm_plain"]
    assert use.label == "filter flexible-extract; 1 of 2 tasks did not log it"
    assert ws.filter_use("r").label == "filter strict-match (primary)"
    table = ws.slices("r", filter_name="flexible-extract")
    assert [r.key["task"] for r in table.rows] == ["gsm8k"]


def test_diagnose_reads_the_filter_asked_for(store: str) -> None:
    primary = json.loads(cli(store, "diagnose", "base", "cand", "--format", "json"))
    assert primary["filter"] == "filter strict-match (primary)"
    assert primary["failure_modes"]["base"]["correct"] == 8
    assert primary["failure_modes"]["cand"]["correct"] == 5
    out = cli(store, "diagnose", "base", "cand", "--filter", "flexible-extract", "--format", "json")
    flexible = json.loads(out)
    assert flexible["filter"] == "filter flexible-extract"
    assert "answers read on filter flexible-extract" in flexible["notes"]
    assert flexible["failure_modes"]["base"]["correct"] == 12
    assert flexible["failure_modes"]["cand"]["correct"] == 12
    weakness = cli(store, "diagnose", "base", "--filter", "flexible-extract")
    assert "note: answers read on filter flexible-extract" in weakness


def test_compare_in_a_narrow_terminal_keeps_the_verdict_columns(store: str) -> None:
    from capslice_tui.cli.diagnose import narrow_comparison_table

    cmp = Workspace(store).compare("base", "cand").to_dict()
    headers, rows, notes = narrow_comparison_table(cmp)
    # the interval has its own column: the first left out when the width runs short
    assert headers == ["task", "base", "cand", "diff", "95% CI", "p adj", "sig"]
    assert rows[-1][:3] == ["ALL", "66.7% 8/12", "41.7% 5/12"]
    assert rows[-1][3] == "-25.0" and rows[-1][4].startswith("[")
    assert any(n.startswith("narrow terminal: items, raw p, MDD") for n in notes)
