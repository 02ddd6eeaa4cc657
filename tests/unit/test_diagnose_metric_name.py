"""diagnose names a pair's one-sample score as runs and slices name it (FA2's leftover of
walk 17 F1/F5: the evidence said 'accuracy (one sample per item)' beside runs' 'greedy
accuracy' for the same demo runs)."""

from __future__ import annotations

from pathlib import Path

from demo_store import bbh_pair_and_math_store

from capslice_tui.workspace import Workspace


def test_accuracy_change_names_the_runs_greedy_score(tmp_path: Path) -> None:
    ws = Workspace(bbh_pair_and_math_store(tmp_path))
    runs = {r["name"]: r for r in ws.runs()}
    assert runs["bbh-base"]["benchmarks"]["bbh"]["metric"] == "greedy accuracy"
    d = ws.diagnose("bbh-base", "bbh-eos-masked", benchmark="bbh").to_dict()
    change = next(e for e in d["evidence"] if e["name"] == "accuracy change")
    assert change["detail"].startswith("greedy accuracy 59.6% (286/480) -> 31.5% (151/480)")
