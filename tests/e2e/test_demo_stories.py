"""The two canonical stories, end to end on the bundled demo through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def capslice(store: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "CAPSLICE_USER": "tester"},
        timeout=600,
    )
    if ok:
        assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("demo") / "demo.db"
    out = capslice(store, "demo", "--no-tui").stdout
    assert "bbh-eos-masked" in out and "math-targeted" in out
    return store


def test_demo_runs_have_the_documented_names(demo: Path) -> None:
    runs = {r["name"]: r for r in json.loads(capslice(demo, "runs", "--format", "json").stdout)}
    assert set(runs) == {
        "bbh-base",
        "bbh-eos-masked",
        "bbh-eos-restored",
        "math-base",
        "math-targeted",
    }
    assert runs["bbh-base"]["benchmarks"]["bbh"]["metric"] == "greedy accuracy"
    base = runs["bbh-base"]["benchmarks"]["bbh"]["score"]
    masked = runs["bbh-eos-masked"]["benchmarks"]["bbh"]["score"]
    assert 0.40 <= 1 - masked / base <= 0.55  # the ~47% relative drop


def test_eos_story_is_not_a_data_problem(demo: Path) -> None:
    diag = json.loads(
        capslice(
            demo, "diagnose", "bbh-base", "bbh-eos-masked", "--benchmark", "bbh", "--format", "json"
        ).stdout
    )
    assert {"verdict", "evidence", "failure_modes", "slices"} <= set(diag)
    assert diag["verdict"] == "not_data"
    assert "EOS" in diag["causes"][0]
    masked = diag["failure_modes"]["bbh-eos-masked"]
    assert masked["truncated"] + masked["extraction_failure"] > masked["wrong_answer"]
    assert diag["spread"]["task_type"]["pattern"] == "spread"


def test_eos_restored_recovers_above_base(demo: Path) -> None:
    cmp = json.loads(
        capslice(demo, "compare", "bbh-base", "bbh-eos-restored", "--format", "json").stdout
    )
    assert cmp["overall"]["diff"] > 0
    assert cmp["overall"]["cand"]["correct"] > cmp["overall"]["base"]["correct"]


def test_math_weakness_is_a_data_problem_naming_the_combinations(demo: Path) -> None:
    diag = json.loads(
        capslice(demo, "diagnose", "math-base", "--benchmark", "math", "--format", "json").stdout
    )
    assert diag["verdict"] == "data"
    labels = {s["label"] for s in diag["slices"]}
    assert "solving_operation=modular_arithmetic" in labels
    assert "solving_operation=casework" in labels
    combos = {
        (c["task_type"], c["solving_operation"])
        for s in diag["slices"]
        for c in s["combinations"]
        if c["score"] < 0.2
    }
    assert ("number_theory", "modular_arithmetic") in combos
    assert ("counting_probability", "casework") in combos


def test_aime_pass_at_128_goes_from_2_to_8_of_30(demo: Path) -> None:
    for run, solved in (("math-base", 2), ("math-targeted", 8)):
        table = json.loads(
            capslice(
                demo, "slices", "--run", run, "--by", "task", "--k", "128", "--format", "json"
            ).stdout
        )
        aime = next(r for r in table["slices"] if r["slice"]["task"] == "aime")
        assert aime["pass_at_k"]["128"]["score"] == pytest.approx(solved / 30)


def test_plan_boosts_math_cells_and_intervention_is_confirmed(demo: Path, tmp_path: Path) -> None:
    catalog = ROOT / "sample_data" / "catalog.yaml"
    plan = json.loads(
        capslice(
            demo, "plan", "--baseline", "math-base", "--benchmark", "math", "--catalog", str(catalog),
            "--budget-tokens", "100000000000", "--format", "json",
        ).stdout
    )  # fmt: skip
    weights = [c["new_weight"] for c in plan["cells"]]
    assert sum(weights) == pytest.approx(1.0, abs=1e-6)
    assert any(c["multiplier"] > 1 for c in plan["cells"])
    assert all(c["multiplier"] <= 3 + 1e-9 for c in plan["cells"])
    eos = capslice(
        demo, "plan", "--baseline", "bbh-base", "--candidate", "bbh-eos-masked", "--benchmark", "bbh",
        "--catalog", str(catalog), "--budget-tokens", "100000000000",
    ).stdout  # fmt: skip
    assert "No data boost" in eos


def test_intervention_recorded_accepted_and_linked_is_confirmed(demo: Path) -> None:
    new = json.loads(
        capslice(
            demo, "intervention", "new", "--title", "targeted math data",
            "--hypothesis", "modular arithmetic and casework data fixes the weak combinations",
            "--baseline", "math-base", "--benchmark", "math",
            "--target", "task_type=number_theory,solving_operation=modular_arithmetic",
            "--target", "task_type=counting_probability,solving_operation=casework",
            "--format", "json",
        ).stdout
    )  # fmt: skip
    iid = str(new["id"])
    assert new["status"] == "proposed"
    capslice(demo, "intervention", "accept", iid)
    capslice(demo, "intervention", "link", iid, "--run", "math-targeted")
    shown = json.loads(capslice(demo, "intervention", "show", iid, "--format", "json").stdout)
    assert shown["status"] == "evaluated"
    assert shown["verdict"] == "confirmed"
    actions = [h["action"] for h in shown["history"]]
    assert actions[0] == "create" and "accept" in actions and "evaluate" in actions
    again = capslice(demo, "intervention", "accept", iid, ok=False)
    assert again.returncode != 0 and "evaluated" in again.stderr


def test_strong_broad_gain_is_a_broad_capability_change(demo: Path) -> None:
    diag = json.loads(
        capslice(
            demo, "diagnose", "bbh-base", "bbh-eos-restored", "--benchmark", "bbh",
            "--format", "json",
        ).stdout
    )  # fmt: skip
    # wrong answers turning right across every content slice, same evaluation, no format
    # change: a broad capability gain, read as data
    assert diag["verdict"] == "data" and diag["reason"] == "broad_capability"
    assert diag["direction"] == "gain" and not diag["evaluation"]["changed"]
    assert "4.2 points above the base (" in diag["summary"]
    assert "spread across the content slices" in diag["summary"]
    assert "would take about" not in diag["summary"]
    assert "broad_capability" not in diag["summary"]


def test_demo_stories_keep_their_evidence_under_the_evaluation_check(demo: Path) -> None:
    eos = json.loads(
        capslice(demo, "diagnose", "bbh-base", "bbh-eos-masked", "--format", "json").stdout
    )
    assert eos["verdict"] == "not_data" and eos["reason"] == "format_failures"
    assert not eos["evaluation"]["changed"] and eos["evaluation"]["n_items"] == 480
    gate = capslice(
        demo, "diagnose", "bbh-base", "bbh-eos-masked", "--fail-on", "not_data", ok=False
    )
    assert gate.returncode == 4 and "exit code 4" in gate.stdout
    assert capslice(demo, "diagnose", "bbh-base", "bbh-eos-masked", "--fail-on", "data",
                    ok=False).returncode == 0  # fmt: skip
    math = capslice(demo, "diagnose", "math-base", "--benchmark", "math", "--fail-on", "data",
                    ok=False)  # fmt: skip
    assert math.returncode == 5, math.stderr


def test_default_controls_exclude_slices_holding_target_items(demo: Path) -> None:
    new = json.loads(
        capslice(
            demo, "intervention", "new", "--title", "casework", "--hypothesis", "h",
            "--baseline", "math-base", "--benchmark", "math",
            "--target", "solving_operation=casework", "--format", "json",
        ).stdout
    )  # fmt: skip
    controls = {c["task_type"] for c in new["control_slices"]}
    assert controls and "counting_probability" not in controls
    assert any("counting_probability: left out" in n for n in new["control_choice"])


def test_targeted_math_gain_is_localized_in_the_two_combinations(demo: Path) -> None:
    diag = json.loads(
        capslice(demo, "diagnose", "math-base", "math-targeted", "--benchmark", "math",
                 "--format", "json").stdout
    )  # fmt: skip
    assert diag["verdict"] == "data" and diag["reason"] == "localized_wrong_answers"
    big = [s for s in diag["slices"] if s["diff"] > 0.3]
    described = [" | ".join([s["label"], *s["aliases"]]) for s in big]
    assert len(big) == 2
    for task_type, op in (("number_theory", "modular_arithmetic"),
                          ("counting_probability", "casework")):  # fmt: skip
        assert any(
            f"task_type={task_type}" in d and f"solving_operation={op}" in d for d in described
        ), described
    assert all(s["label"] in diag["summary"] for s in big)


def _ratios_match_their_percentages(text: str) -> int:
    """Every ``43.1% (1093/5888)`` and ``1093/5888 samples = 18.6%`` in ``text`` states a
    percentage equal to its ratio; returns how many were checked."""
    import re

    pairs = [(m[0], m[1], m[2]) for m in re.findall(r"(\d+\.\d)% \((\d+)/(\d+)\)", text)]
    pairs += [(m[2], m[0], m[1]) for m in re.findall(r"(\d+)/(\d+) samples = (\d+\.\d)%", text)]
    for p, a, b in pairs:
        assert abs(100 * int(a) / int(b) - float(p)) <= 0.05 + 1e-9, (p, a, b, text)
    return len(pairs)


def test_scores_are_never_printed_beside_counts_that_do_not_give_them(demo: Path) -> None:
    listing = capslice(demo, "demo", "--no-tui").stdout
    math = next(line for line in listing.splitlines() if line.startswith("math-base "))
    # math-base has 128 samples on AIME items, 16 on the others: the score is the item mean
    assert "43.1% (mean of 158 items; samples 1093/5888 = 18.6%)" in math, math
    assert "1093/5888 samples, 158 items" not in listing
    runs = capslice(demo, "runs").stdout
    slices = capslice(demo, "slices", "--run", "math-base", "--k", "1", "--k", "16").stdout
    assert "1093/5888 samples = 18.6%" in slices and "mean of the per-item accuracies" in slices
    compare = capslice(demo, "compare", "math-base", "math-targeted").stdout
    bbh = capslice(demo, "slices", "--run", "bbh-base").stdout
    assert "59.6%  [55.1, 63.9]  286/480 " in bbh  # one sample per item: score = ratio
    weak = capslice(demo, "diagnose", "math-base", "--benchmark", "math").stdout
    flat = " ".join(weak.split())  # the summary wraps at the terminal's width
    assert "number_theory x modular_arithmetic 3.9% (mean of 32 items; samples 21/2528" in flat
    assert "3.9% (21/2528 samples correct" not in flat
    texts = (listing, runs, slices, compare, weak)
    checked = sum(_ratios_match_their_percentages(t) for t in texts)
    assert checked >= 8


def test_eos_masked_alone_is_not_a_data_problem_and_math_stays_data(demo: Path) -> None:
    """Weakness mode on the EOS-masked run names its format failures (not_data), in text,
    JSON and Markdown; the math run, with no format failures, keeps its data verdict."""
    diag = json.loads(
        capslice(
            demo, "diagnose", "bbh-eos-masked", "--benchmark", "bbh", "--format", "json"
        ).stdout
    )
    assert (diag["verdict"], diag["reason"]) == ("not_data", "format_failures")
    # a complete wrong answer that ran on to the cap is a wrong answer, not a truncation
    for part in ("extraction_failure 20.4%", "truncated 15.2%", "runaway 6.0%"):
        assert part in diag["summary"], diag["summary"]
    assert (
        "Fix the training config, the generation settings or the answer extraction first"
        in diag["summary"]
    )
    text = capslice(demo, "diagnose", "bbh-eos-masked", "--benchmark", "bbh").stdout
    assert text.startswith("VERDICT: NOT_DATA (format failures)")
    md = capslice(demo, "diagnose", "bbh-eos-masked", "--benchmark", "bbh", "--format", "md").stdout
    assert "**not_data**" in md and "format failures' share of the run's failures | 60.8%" in md
    math = json.loads(
        capslice(demo, "diagnose", "math-base", "--benchmark", "math", "--format", "json").stdout
    )
    assert (math["verdict"], math["reason"]) == ("data", "localized_wrong_answers")
