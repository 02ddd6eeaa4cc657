"""Walk 18 (G2): no-op relabels write nothing (F6), plan -o never replaces a file silently
(F8), diagnose names a missing second axis (F7), import conflicts on interventions (F3),
interventions measured on frozen membership (F2) and plans cut by the epoch cap (F9)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from label_store import make_store  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    make_store(tmp_path / "s.db")
    return Workspace(tmp_path / "s.db")


def _history_rows(ws: Workspace) -> int:
    return ws.store.query("SELECT count(*) FROM label_history")[0][0]


def test_f6_same_value_same_note_writes_nothing_and_keeps_the_slice_version(ws: Workspace):
    ws.store.create_named_slice("hard", [1, 3, 5], who="ann")
    first = ws.label_slice("hard", {"task_type": "algorithmic"}, who="bob", note="same")
    assert first["changed"] == 3 and first["version"] == 2
    rows = _history_rows(ws)
    again = ws.label_slice("hard", {"task_type": "algorithmic"}, who="bob", note="same")
    assert again["changed"] == 0 and again["version"] == 2
    assert _history_rows(ws) == rows
    assert ws.named_slice("hard")["version"] == 2
    # another person's save at the version they read still goes through
    ws.label_slice("hard", {"task_type": "state_tracking"}, expected_version=2, who="cy")
    items = ws.label_items([1], {"task_type": "state_tracking"}, who="cy")
    assert items["changed"] == 0


def test_f6_cli_says_no_change(tmp_path: Path):
    from capslice_tui.cli import main as cli

    make_store(tmp_path / "s.db")
    args = ["--store", str(tmp_path / "s.db"), "label", "set", "--items", "1,3",
            "--axis", "task_type", "--value", "algorithmic", "--note", "n"]  # fmt: skip
    runner = CliRunner()
    assert "2 labels changed" in runner.invoke(cli, args).output
    out = runner.invoke(cli, args).output
    assert "no change" in out and "changed on" not in out


@pytest.fixture(scope="module")
def math_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from demo_store import math_base_store

    return math_base_store(tmp_path_factory.mktemp("math"))


def _plan_args(store: Path, budget: str = "100000000000") -> list[str]:
    from capslice_tui.workspace.demo import sample_data_dir

    return ["--store", str(store), "plan", "--baseline", "math-base", "--benchmark", "math",
            "--catalog", str(sample_data_dir() / "catalog.yaml"), "--budget-tokens", budget]  # fmt: skip


def test_f8_plan_output_refuses_an_existing_file_unless_overwrite(math_store: Path, tmp_path: Path):
    from capslice_tui.cli import main as cli

    old = tmp_path / "old.txt"
    old.write_text("IMPORTANT OLD BLEND\n")
    runner = CliRunner()
    args = [*_plan_args(math_store), "--export", "megatron", "-o", str(old)]
    refused = runner.invoke(cli, args)
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    assert "exists" in refused.output and "--overwrite" in refused.output
    assert old.read_text() == "IMPORTANT OLD BLEND\n"
    done = runner.invoke(cli, [*args, "--overwrite"])
    assert done.exit_code == 0, done.output
    assert f"replaced {old}" in done.output and "IMPORTANT" not in old.read_text()
    fresh = tmp_path / "new.txt"
    wrote = runner.invoke(cli, [*_plan_args(math_store), "--export", "megatron", "-o", str(fresh)])
    assert f"wrote {fresh}" in wrote.output and fresh.read_text()


def test_f7_a_weak_task_type_without_solving_operation_says_none_is_labelled():
    from capslice_tui.analysis.verdict import _weak_combinations
    from capslice_tui.vocabulary import UNLABELLED

    cell = {"task_type": "word_problem", "solving_operation": UNLABELLED, "n_items": 60,
            "score": 7 / 60, "correct": 7.0, "n_samples": 60}  # fmt: skip
    text = _weak_combinations([cell], {"word_problem": object()}, 0.677)  # type: ignore[dict-item]
    assert text.startswith("word_problem (no solving_operation labelled) 11.7%")
    assert "its only" not in text
    rest = _weak_combinations([{**cell, "task_type": "other"}], {}, 0.677)
    assert rest.startswith("other (no solving_operation labelled)") and UNLABELLED not in rest


@pytest.fixture(scope="module")
def math_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from demo_store import math_base_store

    from capslice_tui.workspace.demo import sample_data_dir

    path = math_base_store(tmp_path_factory.mktemp("pair"))
    Workspace(path).ingest(
        [sample_data_dir() / "lm_eval" / "math-targeted"], run="math-targeted", benchmark="math"
    )
    return path


TARGETS = [
    {"task_type": "number_theory", "solving_operation": "modular_arithmetic"},
    {"task_type": "counting_probability", "solving_operation": "casework"},
]


def _linked(math_pair: Path, tmp_path: Path) -> Workspace:
    import sqlite3

    src, dst = sqlite3.connect(math_pair), sqlite3.connect(tmp_path / "s.db")
    src.backup(dst)  # the WAL too: a file copy could miss the last commits
    src.close()
    dst.close()
    ws = Workspace(tmp_path / "s.db")
    rec = ws.new_intervention(
        title="t", hypothesis="h", baseline="math-base", benchmark="math", targets=TARGETS
    )
    ws.accept_intervention(rec["id"], who="a")
    ws.link_intervention(rec["id"], "math-targeted", who="a")
    return ws


def _sizes(outcome: dict) -> list[int]:
    return [r["n_items"] for r in outcome["rows"]]


def test_f2_evaluate_measures_the_frozen_items_and_says_what_labels_changed(
    math_pair: Path, tmp_path: Path
):
    ws = _linked(math_pair, tmp_path)
    first = ws.intervention(1)["outcome"]
    assert _sizes(first) == [32, 13, 32, 32]
    moved = first["members"]["targets"][0][:2]
    ws.label_items([int(i) for i in moved], {"solving_operation": "casework"}, who="b")
    after = ws.evaluate_intervention(1, who="c")["outcome"]
    assert _sizes(after) == _sizes(first)  # the recorded outcome does not move
    assert after["rows"][0]["diff"] == first["rows"][0]["diff"]
    assert after["did"] == first["did"]
    note = next(w for w in after["warnings"] if "labels changed since" in w)
    assert "32 -> 30 items (0 joined, 2 left)" in note and "--membership today --record" in note
    with pytest.raises(ValueError, match="--record"):
        ws.evaluate_intervention(1, who="c", membership="today")
    today = ws.evaluate_intervention(1, who="c", membership="today", record=True)
    assert _sizes(today["outcome"])[0] == 30
    assert today["outcome"]["members"]["on"] == "today"
    last = [h for h in ws.store.intervention_history(1) if h["field"] == "outcome"][-1]
    assert "targets 32+13" in last["old_value"] and "targets 30+13" in last["new_value"]


def test_f2_a_control_row_is_measured_on_the_items_the_verdict_pools():
    import numpy as np

    from capslice_tui.analysis.outcome import evaluate_outcome

    rng = np.random.default_rng(0)
    m = 120
    labels = {  # 14 items (40..53) are in the target and the control slice
        "task_type": np.array(["t"] * 54 + ["x"] * 66, dtype=object),
        "task": np.array(["o"] * 40 + ["c"] * 80, dtype=object),
    }
    bn = np.ones(m)
    bc = rng.integers(0, 2, m).astype(float)
    cc = bc.copy()
    cc[:40] = 1.0  # targets gain
    cc[40:54] = 1.0  # the control items that are also targets gain too
    out = evaluate_outcome([{"task_type": "t"}], [{"task": "c"}], labels, bn, bc, bn, cc).to_dict()
    row = out["rows"][1]
    assert row["n_items"] == out["did"]["n_control"] == 66
    assert row["diff"] == pytest.approx(out["did"]["control_change"])
    assert any("14 control items also in a target slice" in w for w in out["warnings"])


def test_f9_a_plan_the_epoch_cap_shrinks_names_the_cap_and_offers_no_intervention(
    math_store: Path,
):
    from capslice_tui.cli import main as cli

    runner = CliRunner()
    big = runner.invoke(cli, _plan_args(math_store, "2000000000000"), env={"COLUMNS": "200"})
    assert big.exit_code == 0, big.output
    text = " ".join(big.output.split())
    assert "No targeted boost at this budget (2,000,000,000,000 tokens): the 4-epoch cap" in text
    assert "cc_sci_tutorial_q4 (6.3 epochs at its base share)" in text
    assert "go from 0.0800 to 0.0752 of the mixture" in text
    assert "a budget of at most 422,222,222,222 tokens" in text
    assert "too small a boost" not in text and "intervention new" not in text
    assert "an untouched one below 1x, or above it where epoch-capped cells" in text
    small = runner.invoke(cli, _plan_args(math_store), env={"COLUMNS": "200"})
    assert "4 of 5 weak slices boost 5 of 16 cells (largest multiplier 2.62x)" in small.output
    assert "intervention new" in small.output and "No targeted boost" not in small.output


def test_f3_an_intervention_conflict_names_who_changed_what_and_the_command_that_settles_it(
    math_pair: Path, tmp_path: Path
):
    import sqlite3

    from capslice_tui.cli import main as cli

    a = _linked(math_pair, tmp_path)
    (tmp_path / "b").mkdir()
    src, dst = sqlite3.connect(tmp_path / "s.db"), sqlite3.connect(tmp_path / "b" / "s.db")
    src.backup(dst)
    src.close()
    dst.close()
    b = Workspace(tmp_path / "b" / "s.db")
    a.reject_intervention(1, reason="A: not worth it", who="w2a")
    b.evaluate_intervention(1, who="w2b", k=16, record=True)
    a.export_to(tmp_path / "exA")
    out = CliRunner().invoke(
        cli, ["--store", str(tmp_path / "b" / "s.db"), "import", str(tmp_path / "exA")],
        env={"CAPSLICE_USER": "w2b"},
    )  # fmt: skip
    assert out.exit_code == 2, out.output
    text = " ".join(out.output.split())
    here = text[text.index("here ") : text.index(", imported")]
    assert here.startswith("here evaluate: ") and "by w2b at" in here and "w2a" not in here
    imported = text[text.index("imported reject:") : text.index("; kept")]
    assert "status evaluated -> rejected, reason 'A: not worth it' by w2a" in imported
    assert "capslice intervention reject 1" in text and "label set" not in text


def test_f2_an_outcome_recorded_before_freezing_says_its_items_are_frozen_now(
    math_pair: Path, tmp_path: Path
):
    import json

    ws = _linked(math_pair, tmp_path)
    outcome = ws.intervention(1)["outcome"]
    outcome.pop("members")
    with ws.store.write() as conn:
        conn.execute("UPDATE interventions SET outcome = ? WHERE id = 1", (json.dumps(outcome),))
    after = ws.evaluate_intervention(1, who="c")["outcome"]
    assert any("measured before target/control items were frozen" in w for w in after["warnings"])
    assert after["members"]["targets"][0]
