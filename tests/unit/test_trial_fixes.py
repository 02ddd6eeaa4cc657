"""Fixes of defects a fresh user found: undo timestamps, delete-run orphans, outcome intervals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capslice_tui.store.labels as labels_module  # noqa: E402
from label_store import make_store  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    make_store(tmp_path / "s.db")
    return Workspace(tmp_path / "s.db")


def test_undo_of_a_named_slice_action_stamps_the_undo_time(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
):
    clock = iter(["2026-11-30T16:01:00Z", "2026-11-30T16:01:10Z", "2026-11-30T16:01:15Z"])
    monkeypatch.setattr(labels_module, "now_iso", lambda: next(clock))
    ws.store.create_named_slice("hard-sorting", [1, 3], who="ann")
    ws.label_slice("hard-sorting", {"task_type": "algorithmic"}, note="checked", who="bob")
    ws.undo_labels(who="bob")
    s = ws.named_slice("hard-sorting")
    assert s["version"] == 3
    assert s["updated_at"] == "2026-11-30T16:01:15Z"  # not the creation time 16:01:00
    assert s["updated_by"] == "bob" and s["note"] != "checked"
