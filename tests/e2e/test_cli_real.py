"""End to end: the real ``capslice`` command on the real logs in ../shared/data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from math import comb
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"

pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared evaluation logs not found at {SHARED}"
)


def capslice(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI as a user would (a subprocess), failing loudly on error."""
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=600,
    )
    assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def bbh_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("bbh") / "bbh.db"
    out = SHARED / "bbh" / "outputs"
    capslice(
        store,
        "ingest",
        str(out / "code-davinci-002_cot.jsonl"),
        "--run",
        "cot",
        "--benchmark",
        "bbh",
    )
    capslice(
        store,
        "ingest",
        str(out / "code-davinci-002_direct.jsonl"),
        "--run",
        "direct",
        "--benchmark",
        "bbh",
    )
    return store


@pytest.mark.parametrize(
    ("run", "condition"), [("cot", "cot_3shot"), ("direct", "answer_only_3shot")]
)
def test_bbh_per_task_accuracy_matches_authors(bbh_store: Path, run: str, condition: str) -> None:
    reported = json.loads(
        (SHARED / "bbh" / "outputs" / "code-davinci-002_reported_accuracy.json").read_text()
    )
    table = json.loads(
        capslice(bbh_store, "slices", "--run", run, "--by", "task", "--format", "json").stdout
    )
    ours = {row["slice"]["task"]: 100 * row["score"] for row in table["slices"]}
    assert len(ours) == 27
    for task, conds in reported["accuracy"].items():
        assert abs(ours[task] - conds[condition]["accuracy"]) <= 0.1, (
            task,
            ours[task],
            conds[condition],
        )


def test_reingest_adds_nothing(bbh_store: Path) -> None:
    out = SHARED / "bbh" / "outputs" / "code-davinci-002_direct.jsonl"
    proc = capslice(
        bbh_store, "ingest", str(out), "--run", "direct", "--benchmark", "bbh", "--json"
    )
    assert json.loads(proc.stdout)["runs"] == {"direct": 0}


def test_compare_answer_only_against_cot(bbh_store: Path) -> None:
    cmp = json.loads(
        capslice(bbh_store, "compare", "cot", "direct", "--by", "task", "--format", "json").stdout
    )
    assert cmp["n_tested"] == 27
    assert all(r["test"] == "mcnemar-exact" for r in cmp["rows"])
    worse = {r["slice"]["task"] for r in cmp["rows"] if r["marker"] == "worse*"}
    better = {r["slice"]["task"] for r in cmp["rows"] if r["marker"] == "better*"}
    # answer-only prompting loses on multi-step tasks and wins on a few language tasks
    assert "multistep_arithmetic_two" in worse
    assert worse and not (worse & better)


def test_gsm8k_four_systems_use_file_correctness(tmp_path: Path) -> None:
    store = tmp_path / "gsm.db"
    src = SHARED / "gsm8k" / "example_model_solutions.jsonl"
    capslice(store, "ingest", str(src), "--run", "gsm", "--benchmark", "gsm8k")
    runs = {r["name"]: r for r in json.loads(capslice(store, "runs", "--format", "json").stdout)}
    systems = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]
    assert sorted(runs) == sorted(f"gsm/{s}" for s in systems)
    rows = [json.loads(line) for line in src.read_text().splitlines()]
    for s in systems:
        expected = sum(r[s]["is_correct"] for r in rows)
        got = runs[f"gsm/{s}"]["benchmarks"]["gsm8k"]
        assert got["n_items"] == 1319
        assert got["correct"] == expected


def test_qwen_math_pass_at_k_equals_unbiased_estimator(tmp_path: Path) -> None:
    store = tmp_path / "math.db"
    src = SHARED / "math" / "qwen25math_math_cot_100x8.jsonl"
    capslice(store, "ingest", str(src), "--run", "qwen", "--benchmark", "math")
    every_k = [a for k in range(1, 9) for a in ("--k", str(k))]  # `all` is the 1, 2, 4, 8 curve
    args = ["slices", "--run", "qwen", "--by", "benchmark", *every_k, "--format", "json"]
    table = json.loads(capslice(store, *args).stdout)
    rows = [json.loads(line) for line in src.read_text().splitlines()]
    overall = table["overall"]
    for k in range(1, 9):
        expected = sum(1 - comb(8 - sum(r["score"]), k) / comb(8, k) for r in rows) / len(rows)
        assert overall["pass_at_k"][str(k)]["score"] == pytest.approx(expected, abs=1e-12)


def test_cot_generations_that_never_answer_are_classified(bbh_store: Path) -> None:
    from capslice_tui.workspace import Workspace

    ws = Workspace(bbh_store)
    modes: dict[str, int] = {}
    after = 0
    while True:
        rows, more = ws.samples("cot", limit=2000, after_id=after)
        for r in rows:
            sample = r["response"] or ""
            if "the answer is" not in sample.lower():
                full = ws.sample(r["id"])["response"] or ""
                if "the answer is" not in full.lower():
                    modes[r["failure_mode"]] = modes.get(r["failure_mode"], 0) + 1
        if not more:
            break
        after = rows[-1]["id"]
    assert sum(modes.values()) == 236
    # most were cut by the generation cap: classified truncated, not plain wrong answers
    assert modes.get("truncated", 0) > 150
    assert modes.get("wrong_answer", 0) < 60


def test_error_aware_discovery_groups_generations_that_never_answer(bbh_store: Path) -> None:
    from capslice_tui.workspace import Workspace

    ws = Workspace(bbh_store)
    first = ws.discover("cot", failing_only=True, error_aware=True, random_state=0).to_dict()
    again = ws.discover("cot", failing_only=True, error_aware=True, random_state=0).to_dict()
    assert [s["size"] for s in first["suggestions"]] == [s["size"] for s in again["suggestions"]]
    # failing samples only: no error contrast, groups ranked by size; the 201 truncated ones
    # (137 word_sorting, 51 dyck_languages, ...; 250 before complete dyck answers stopped
    # counting as cut) rank below ten larger text clusters. Over all samples the error-aware
    # test ranks them first.
    every = ws.discover("cot", error_aware=True, random_state=0).to_dict()
    truncated = [
        s for s in every["suggestions"]
        if s["failure_modes"].get("truncated", 0) >= 0.9 * s["size"]
    ]  # fmt: skip
    # one cluster of cut-off generations spanning several tasks (not one cluster per task)
    assert any(len(s["groups"]) >= 3 and s["size"] >= 100 for s in truncated)


def test_paragraph_loop_cut_mid_copy_is_a_runaway(bbh_store: Path) -> None:
    # geometric_shapes doc 42: a 7-sentence, two-line paragraph repeated 7 times back to back,
    # the last copy cut mid-repeat (3,660 characters); once classified wrong_answer
    from capslice_tui.workspace import Workspace

    ws = Workspace(bbh_store)
    after, found = 0, []
    while True:
        rows, more = ws.samples("cot", limit=2000, after_id=after)
        found += [r for r in rows if "geometric_shapes" in r["task"] and str(r["doc_id"]) == "42"]
        if not more:
            break
        after = rows[-1]["id"]
    assert len(found) == 1
    s = ws.sample(found[0]["id"])
    assert s["failure_mode"] == "runaway"
    assert "paragraph 'This SVG path starts at point 54.00,61.00" in s["failure_reason"]
    assert "repeated 7 times in a row" in s["failure_reason"]
