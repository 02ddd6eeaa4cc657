"""Weakness mode's other evaluations skip, without aligning them, the runs that evaluated the
items as this run did (greedy both, same task settings, equal evaluation digests), and find
the same other evaluations as the full check of every run (H7, session 7: on a 100-run
10M-sample store `diagnose RUN` checked all 99 other runs in full, ~5 minutes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace import diagnose as diagnose_module


def _log(path: Path, prompt: str, right: list[bool]) -> Path:
    with path.open("w") as fh:
        for i, ok in enumerate(right):
            fh.write(json.dumps({
                "task": "toy_addition", "doc_id": i, "question": f"What is {i} + 1?",
                "prompt": f"{prompt} What is {i} + 1?", "target": str(i + 1),
                "response": str(i + 1) if ok else "0", "correct": ok,
            }) + "\n")  # fmt: skip
    return path


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "s.db")
    right = [i % 3 != 0 for i in range(60)]
    ws.ingest([_log(tmp_path / "a.jsonl", "Q:", right)], run="a")
    ws.ingest([_log(tmp_path / "b.jsonl", "Q:", [not r for r in right])], run="same-eval")
    ws.ingest([_log(tmp_path / "c.jsonl", "Answer briefly. Q:", [True] * 60)], run="other-prompt")
    return ws


def _others(ws: Workspace) -> list[Any]:
    return ws.diagnose("a").to_dict()["other_evaluations"]


def test_alike_runs_are_skipped_without_alignment(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    aligned: list[int] = []
    real = diagnose_module.align_runs

    def counting(store: Any, base_id: int, cand_id: int, *rest: Any) -> Any:
        aligned.append(cand_id)
        return real(store, base_id, cand_id, *rest)

    monkeypatch.setattr(diagnose_module, "align_runs", counting)
    others = _others(ws)
    ids = {r["name"]: r["id"] for r in ws.store.list_runs()}
    assert [o["run"] for o in others] == ["other-prompt"]
    assert ids["same-eval"] not in aligned and ids["other-prompt"] in aligned


def test_same_other_evaluations_as_the_full_check(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _others(ws)
    monkeypatch.setattr(diagnose_module._EvaluatedAlike, "__call__", lambda self, other: False)
    assert _others(ws) == fast
