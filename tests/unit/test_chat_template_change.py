"""A chat template or system instruction logged by lm-eval (>= 0.4.3 results files) is part of
the evaluation: two runs of the same items under different templates are an evaluation change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from capslice_tui.workspace import Workspace

PAIR = Path(__file__).parents[1] / "fixtures" / "cases" / "ext-04-recited-fewshot" / "pair_base"


def _copy(tmp: Path, name: str, **extra: object) -> Path:
    dest = tmp / name
    shutil.copytree(PAIR, dest)
    for results in dest.rglob("results_*.json"):
        doc = json.loads(results.read_text())
        doc.update(extra)
        results.write_text(json.dumps(doc))
    return dest


def _verdict(tmp_path: Path, a: dict, b: dict):  # type: ignore[no-untyped-def]
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([_copy(tmp_path, "a", **a)], run="a")
    ws.ingest([_copy(tmp_path, "b", **b)], run="b")
    return ws.diagnose_verdict("a", "b")


def test_different_chat_template_is_an_evaluation_change(tmp_path: Path) -> None:
    v = _verdict(
        tmp_path,
        {"chat_template_sha": "aaa111", "chat_template": "{{ messages }}"},
        {"chat_template_sha": "bbb222", "chat_template": "<|user|>{{ messages }}"},
    )
    assert (v.verdict, v.reason) == ("not_data", "evaluation_changed")
    assert "chat_template" in v.summary or "chat template" in v.summary


def test_same_chat_template_is_not_an_evaluation_change(tmp_path: Path) -> None:
    same = {"chat_template_sha": "aaa111", "fewshot_as_multiturn": True}
    v = _verdict(tmp_path, same, dict(same))
    assert v.reason != "evaluation_changed"
