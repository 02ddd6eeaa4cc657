"""``capslice sample ID`` says what the log scored for a sample capslice scored itself.

lm-eval writes one line per item; with ``repeats: K`` its K generations share the line and its
score goes to the one answer the filter kept (generation 0 for ``take_first``). The ingest
keeps that score on generation 0 and scores generations 1..K-1 with capslice's strict
extraction, whose reason said "the log has no official score": false, the log scored the item
(on generation 0). The sample command now shows the log's score for the item and where it
sits, and a generic file without scores still says the log has none.
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from demo_store import math_base_store

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def _show(store: Path, sample_id: int) -> str:
    out = CliRunner().invoke(main, ["--store", str(store), "sample", str(sample_id)])
    assert out.exit_code == 0, out.output
    return " ".join(out.output.split())


def test_generations_after_the_first_name_the_logs_score_of_their_item(tmp_path: Path) -> None:
    store = math_base_store(tmp_path)  # demo math-base: 16 (AIME 128) generations per item
    rows, _ = Workspace(store).samples("math-base", limit=40)
    first = next(r for r in rows if r["sample_idx"] == 0)
    later = next(
        r for r in rows
        if r["sample_idx"] == 3 and (r["task"], r["doc_id"]) == (first["task"], first["doc_id"])
    )  # fmt: skip
    text = _show(store, later["id"])
    assert re.search(
        rf"log's score: exact_match [01]\.0 on generation #0 of this item \(sample {first['id']}\):"
        r" the log scored one generation of the item \(its filter keeps the first\), not this "
        r"one \(#3\); capslice's strict extraction scored this one",
        text,
    ), text
    assert "the log has no official score)" not in text  # said of this sample only
    assert "log's score" not in _show(store, first["id"])  # the log scored generation 0


def test_a_generic_file_without_scores_says_the_log_has_none(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("id,sample_idx,response,target\n1,0,The answer is 4,4\n1,1,The answer is 5,4\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([path], run="b")
    rows, _ = ws.samples("b", limit=10)
    for row in rows:
        text = _show(tmp_path / "s.db", row["id"])
        assert "log's score: none for this item; capslice's strict extraction scored this one" in (
            text
        ), text
