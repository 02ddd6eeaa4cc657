"""Text is shown verbatim everywhere: user text is never read as Rich markup (case ext-05).

A run named ``llama2[chat]`` and responses holding ``[/INST]`` (a closing tag Rich cannot match:
a MarkupError traceback before) and ``[bold]...[/bold]`` (silently turned bold and dropped)
must print as written in every CLI listing, in all three ``--format`` outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.cli.render import emit_table

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "ext-05-markup-in-text"
RUN = "llama2[chat]"


def cli(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == 0, res.output
    assert res.exception is None, res.exception
    return res.output


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    out = cli(path, "ingest", str(CASE / "llama2chat_arith.jsonl"), "--run", RUN)
    assert f"{RUN}: 3 new samples" in out
    return path


def test_samples_print_markup_like_text_literally(store: Path) -> None:
    out = cli(store, "samples", "--run", RUN, "--limit", "10")
    assert "[/INST]" in out
    assert "[bold]42[/bold]" in out
    assert "[/model/2013/V20%200177200.jpg]" in out


def test_runs_and_slices_show_the_run_name_as_written(store: Path) -> None:
    runs = cli(store, "runs")
    assert RUN in runs.splitlines()[1]
    slices = cli(store, "slices", "--run", RUN)
    assert f"{RUN} by task" in slices


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_other_formats_keep_the_text(store: Path, fmt: str) -> None:
    out = cli(store, "samples", "--run", RUN, "--format", fmt)
    assert "[/INST]" in out and "[bold]42[/bold]" in out
    if fmt == "json":
        responses = [s["response"] for s in json.loads(out)["samples"]]
        assert "[bold]42[/bold]" in responses


def test_sample_detail_prints_response_and_question(store: Path) -> None:
    out = cli(store, "sample", "2")
    assert "--- question ---\nWhat is 12 + 30?" in out
    assert "--- response ---\n[bold]42[/bold]" in out


def test_emit_table_cells_titles_and_notes_are_verbatim(capsys: pytest.CaptureFixture) -> None:
    emit_table(
        ["name [x]", "text"],
        [["[red]r[/red]", ":smile: [/INST] [link=http://x]y[/link]"]],
        "table",
        title="[bold]t[/bold]",
        notes=["[/note]", ":thumbs_up:"],
    )
    out = capsys.readouterr().out
    for s in ("name [x]", "[red]r[/red]", ":smile: [/INST] [link=http://x]y[/link]",
              "[bold]t[/bold]", "[/note]", ":thumbs_up:"):  # fmt: skip
        assert s in out, s
    emit_table(["h"], [], "table", title="[b]empty[/b]", notes=["[/x]"])
    out = capsys.readouterr().out
    assert "[b]empty[/b]: nothing to show" in out and "[/x]" in out


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "esc.jsonl"
    path.write_text(
        json.dumps({"doc_id": 0, "target": "1", "response": "\x1b[2J\x1b[31mred 1\x07"}) + "\n"
    )
    store = tmp_path / "e.db"
    cli(store, "ingest", str(path), "--run", "esc")
    for args in (("samples", "--run", "esc"), ("samples", "--run", "esc", "--format", "md"),
                 ("sample", "1")):  # fmt: skip
        out = cli(store, *args)
        assert "\x1b" not in out and "\x07" not in out, args
        assert "\\x1b[2J\\x1b[31mred 1\\x07" in out, args


def test_a_cut_sample_page_says_more_match_without_a_made_up_total(store: Path) -> None:
    """``showing 2 of >2`` read as a count; the page is not counted, and says so."""
    out = cli(store, "samples", "--run", RUN, "--limit", "2")
    assert "showing the first 2 samples; more match (raise --limit)" in out
    assert "of >" not in out
    assert "more match" not in cli(store, "samples", "--run", RUN, "--limit", "3")
