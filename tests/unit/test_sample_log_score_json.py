"""``capslice sample ID --format json`` carries the "log's score" fact the text output shows
(aca7d61): what the log holds for the item of a sample capslice's strict extraction scored,
as JSON key ``log_score`` (None for a sample the log scored itself)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from demo_store import math_base_store

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


def _sample(store: Path, sample_id: int, *fmt: str) -> str:
    out = CliRunner().invoke(main, ["--store", str(store), "sample", str(sample_id), *fmt])
    assert out.exit_code == 0, out.output
    return out.output


def _json(store: Path, sample_id: int) -> dict[str, Any]:
    return json.loads(_sample(store, sample_id, "--format", "json"))


def test_json_names_the_logs_score_of_a_later_generations_item(tmp_path: Path) -> None:
    store = math_base_store(tmp_path)  # demo math-base: 16 (AIME 128) generations per item
    rows, _ = Workspace(store).samples("math-base", limit=40)
    first = next(r for r in rows if r["sample_idx"] == 0)
    later = next(
        r for r in rows
        if r["sample_idx"] == 3 and (r["task"], r["doc_id"]) == (first["task"], first["doc_id"])
    )  # fmt: skip
    data = _json(store, later["id"])
    said = data["log_score"]
    assert said["kind"] == "generation_0" and said["sample_id"] == first["id"], said
    assert set(said["metrics"]) == {"exact_match"} and said["official"] in (0.0, 1.0), said
    assert said["metrics"]["exact_match"] == said["official"]
    # the same sentence as the text output's field
    text = " ".join(_sample(store, later["id"]).split())
    assert f"log's score: {said['text']}" in text, (said["text"], text)
    assert data["score_source"] == "capslice-strict" and data["id"] == later["id"]
    assert _json(store, first["id"])["log_score"] is None  # the log scored generation 0


def test_json_of_a_generic_file_without_scores_says_none(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_text("id,sample_idx,response,target\n1,0,The answer is 4,4\n1,1,The answer is 5,4\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([path], run="b")
    rows, _ = ws.samples("b", limit=10)
    first = next(r["id"] for r in rows if r["sample_idx"] == 0)
    for row in rows:
        said = _json(tmp_path / "s.db", row["id"])["log_score"]
        assert said == {"kind": "none", "sample_id": first, "metrics": {}, "official": None,
                        "text": "none for this item; capslice's strict extraction scored "
                                "this one"}, said  # fmt: skip
