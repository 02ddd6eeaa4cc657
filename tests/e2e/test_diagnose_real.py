"""End to end: verdicts of the real ``capslice diagnose`` on the real pairs in ../shared/data,
and the ``--fail-on`` CI gate through the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "stat-01-many-slices"
CONTENT_AXES = ("background_condition", "task_type", "solving_operation")

real_data = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"shared evaluation logs not found at {SHARED}"
)


def capslice(store: Path, *args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would (a subprocess); ``code`` is the exit status expected."""
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=600,
    )
    if code is not None:
        assert proc.returncode == code, (
            f"capslice {' '.join(args)} exited {proc.returncode}, expected {code}:\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr}"
        )
    return proc


def assert_plain(text: str) -> None:
    for token in ("no_change", "single_slice", "broad_capability", "evaluation_changed",
                  "weak_evidence", "mcnemar-exact", "broad_change"):  # fmt: skip
        assert token not in text, (token, text)


@real_data
def test_bbh_cot_to_answer_only_is_an_evaluation_change(tmp_path: Path) -> None:
    store = tmp_path / "bbh.db"
    out = SHARED / "bbh" / "outputs"
    for run, name in (
        ("cot", "code-davinci-002_cot.jsonl"),
        ("direct", "code-davinci-002_direct.jsonl"),
    ):
        capslice(store, "ingest", str(out / name), "--run", run, "--benchmark", "bbh")
    diag = json.loads(capslice(store, "diagnose", "cot", "direct", "--format", "json").stdout)
    assert diag["verdict"] == "not_data" and diag["reason"] == "evaluation_changed"
    assert (
        "the prompts of 6,511 of 6,511 items differ: prompting cot_3shot vs answer_only_3shot"
        in diag["summary"]
    )
    assert_plain(diag["summary"])
    # the gate of a training pipeline stops on it
    gate = capslice(store, "diagnose", "cot", "direct", "--fail-on", "not_data", code=4)
    assert "exit code 4" in gate.stdout
    capslice(store, "diagnose", "cot", "direct", "--fail-on", "data", code=0)
    # one run alone: the CoT run of the same items is far better, so the weak slices of the
    # answer-only run are not called a data weakness
    weak = json.loads(capslice(store, "diagnose", "direct", "--format", "json").stdout)
    assert weak["verdict"] != "data"
    assert weak["other_evaluations"][0]["run"] == "cot" and weak["other_evaluations"][0]["large"]
    assert "run cot holds the same 6,511 items evaluated differently" in weak["summary"]
    cot = capslice(store, "diagnose", "cot").stdout
    assert "algorithmic x its only solving_operation 48.6% (243/500" in cot
    assert "all 1 of its" not in cot
    # the plan of the pair names the prompting change as the only cause, never EOS or caps
    catalog = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.yaml"
    plan = capslice(store, "plan", "--baseline", "cot", "--candidate", "direct",
                    "--benchmark", "bbh", "--catalog", str(catalog),
                    "--budget-tokens", "100000000000").stdout  # fmt: skip
    assert "plan for the bbh change cot -> direct" in plan and "weakness of" not in plan
    checks = [line.strip() for line in plan.splitlines() if line.strip().startswith("check ")]
    assert checks and all(c.startswith("check evaluation_changed:") for c in checks), checks


@real_data
def test_gsm8k_175b_to_6b_verification_is_a_broad_capability_drop(tmp_path: Path) -> None:
    store = tmp_path / "gsm.db"
    src = SHARED / "gsm8k" / "example_model_solutions.jsonl"
    capslice(store, "ingest", str(src), "--run", "gsm", "--benchmark", "gsm8k")
    pair = ("gsm/175b_verification", "gsm/6b_verification")
    # two model sizes, not two checkpoints of one lineage: no data verdict, no data gate
    plain = json.loads(capslice(store, "diagnose", *pair, "--format", "json").stdout)
    assert (plain["verdict"], plain["reason"]) == ("inconclusive", "not_a_checkpoint_pair")
    capslice(store, "diagnose", *pair, "--fail-on", "data", code=0)
    # read as one lineage on purpose (--same-lineage): a broad capability drop
    diag = json.loads(
        capslice(store, "diagnose", *pair, "--same-lineage", "--format", "json").stdout
    )
    assert diag["verdict"] == "data"
    assert_plain(diag["summary"])
    assert "Mixed" not in diag["summary"]
    axes = next(
        (e for e in diag["evidence"] if e["name"] == "axes that cannot tell the items apart"), None
    )
    if axes is not None and all(a in axes["detail"].split(":")[0] for a in CONTENT_AXES):
        # every GSM8K item carries the same labels: nothing can localise the drop
        assert diag["reason"] == "broad_capability"
        assert "gsm8k items cannot be told apart on the axes" in diag["summary"]
        assert "The benchmark offers no finer slice" in diag["summary"]
    else:  # item-level labelling rules give finer slices
        assert diag["reason"] in ("broad_capability", "localized_wrong_answers")
    wrong = next(e for e in diag["evidence"] if e["name"] == "wrong answers' part of the change")
    assert wrong["value"] < -16  # -17.1 of the -17.2 points are wrong answers
    capslice(store, "diagnose", "gsm/175b_verification", "gsm/6b_verification",
             "--fail-on", "regression", code=3)  # fmt: skip
    capslice(store, "diagnose", "gsm/175b_verification", "gsm/6b_verification",
             "--same-lineage", "--fail-on", "data", code=5)  # fmt: skip
    report = capslice(store, "report", "gsm/175b_verification", "gsm/6b_verification",
                      "--fail-on", "regression").stdout  # fmt: skip
    assert "- --fail-on regression (a significant drop" in report
    assert "holds, exit code 3" in report


def test_fail_on_through_the_cli_on_a_non_significant_change(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    tax = ("--taxonomy", str(CASE / "tax"))
    for run in ("A", "B"):
        capslice(store, *tax, "ingest", str(CASE / f"run{run}.jsonl"), "--run", run,
                 "--benchmark", "toy")  # fmt: skip
    out = capslice(store, *tax, "diagnose", "A", "B", "--fail-on", "regression").stdout
    assert "VERDICT: INCONCLUSIVE" in out and "does not hold, exit code 0" in out
    capslice(store, *tax, "diagnose", "A", "B", "--fail-on", "data", code=0)
    capslice(store, *tax, "diagnose", "A", "B", "--fail-on", "not_data", code=0)
    usage = capslice(store, *tax, "diagnose", "A", "--fail-on", "regression", code=2)
    assert "needs two runs" in usage.stderr
    helptext = " ".join(capslice(store, "diagnose", "--help").stdout.split())
    assert "regression -> 3" in helptext and "not_data -> 4" in helptext
    assert "data -> 5" in helptext


@real_data
def test_gsm8k_text_reads_for_both_directions_and_columns_stay_apart(tmp_path: Path) -> None:
    store = tmp_path / "gsm.db"
    src = SHARED / "gsm8k" / "example_model_solutions.jsonl"
    capslice(store, "ingest", str(src), "--run", "gsm", "--benchmark", "gsm8k")
    drop = capslice(store, "diagnose", "gsm/175b_verification", "gsm/6b_verification").stdout
    # the failure-mode table keeps the two run names apart
    header = next(line for line in drop.splitlines() if line.strip().startswith("mode "))
    assert header.split()[1:] == ["gsm/175b_verification", "gsm/6b_verification"], header
    assert "17.2 points below the base" in drop and "by -17.2" not in drop
    gain = capslice(store, "diagnose", "gsm/6b_verification", "gsm/175b_verification").stdout
    # the summary paragraph (wrapped at the console width): from line 2 to the first blank
    # or warning line
    lines = gain.split("\n")[1:]
    end = next(i for i, line in enumerate(lines) if not line or line.startswith("warning:"))
    summary = " ".join(" ".join(lines[:end]).split())
    assert "17.2 points above the base" in summary
    assert "of the +17.2 points gain is carried by answers becoming right (+17.1 points)" in summary
    assert "gain is wrong answers" not in summary and "fix" not in summary
    assert "p=0.0e+00" not in drop + gain
