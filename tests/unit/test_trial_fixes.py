"""Fixes of defects a fresh user found: undo timestamps, delete-run orphans, outcome intervals."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import capslice_tui.store.labels as labels_module  # noqa: E402
from label_store import make_store  # noqa: E402

from capslice_tui.workspace import Workspace  # noqa: E402
from capslice_tui.workspace.ingest import PROGRESS_EVERY  # noqa: E402

KILL_CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "store-02-kill-signals"


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


def test_ingest_progress_moves_while_reading_not_only_per_written_batch(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("gen_lmeval", KILL_CASE / "gen_lmeval.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    gen.generate(tmp_path / "logs", 600)  # 1,200 records (2 filters): one batch of 5,000
    ws = Workspace(tmp_path / "s.db")
    seen: list[tuple[int, int]] = []

    def progress(n: int) -> None:
        stored = ws.store.query("SELECT count(*) FROM samples")[0][0]
        seen.append((n, stored))

    report = ws.ingest([tmp_path / "logs"], run="r", progress=progress)
    assert report.n_read == 1200
    # before anything was written, the display already moved by the records read
    assert (PROGRESS_EVERY, 0) in seen and (2 * PROGRESS_EVERY, 0) in seen
    assert [n for n, _ in seen] == sorted(n for n, _ in seen)
    assert seen[-1] == (1200, 1200)


def _outcome(n_targets: int) -> dict:
    row = {"n_items": 40, "diff": 0.124, "diff_low": 0.076, "diff_high": 0.175}
    rows = [{**row, "role": "target"} for _ in range(n_targets)] + [{**row, "role": "control"}]
    did = {"target_change": 0.124, "target_low": 0.074, "target_high": 0.175,
           "control_change": 0.055, "control_low": 0.021, "control_high": 0.091,
           "did": 0.068, "did_low": 0.009, "did_high": 0.13, "method": "bootstrap",
           "random_state": 0}  # fmt: skip
    return {"rows": rows, "did": did}


def test_one_target_slice_has_one_interval_for_its_change():
    from capslice_tui.cli.plan import change_note

    one = change_note(_outcome(1))  # type: ignore[arg-type]
    assert "[+7.4, +17.5]" not in one and "target change" not in one  # the row's [7.6, 17.5]
    assert "control change [+2.1, +9.1]" in one and "DiD +6.8 points [+0.9, +13.0]" in one
    two = change_note(_outcome(2))  # type: ignore[arg-type]
    assert "target change [+7.4, +17.5], control change [+2.1, +9.1]" in two
    # the app's words (did_lines): the controls' items outside the targets are what is missing
    assert change_note({"rows": [], "did": None}).endswith(  # type: ignore[arg-type]
        "not measurable (no control item outside the targets)"
    )


def _math_run(path: Path, right: tuple[int, int]) -> Path:
    """Generic JSONL: 30 number-theory (target) and 30 algebra (control) items, ``right``
    of each answered right."""
    lines = []
    for task, n_right in zip(
        ("minerva_math_num_theory", "minerva_math_algebra"), right, strict=True
    ):
        for doc in range(30):
            ok = doc < n_right
            lines.append({"task": task, "doc_id": doc, "target": "7", "response":
                          "The answer is 7." if ok else "The answer is 3.", "correct": ok})  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def _linked_store(tmp_path: Path) -> Path:
    """Runs base and good; intervention 1 (base -> good) accepted, linked and evaluated."""
    store = tmp_path / "w.db"
    ws = Workspace(store)
    ws.ingest([_math_run(tmp_path / "b.jsonl", (5, 20))], run="base", benchmark="math")
    ws.ingest([_math_run(tmp_path / "c.jsonl", (25, 20))], run="good", benchmark="math")
    rec = ws.new_intervention(title="nt data", hypothesis="h", baseline="base",
                              benchmark="math", targets=[{"task_type": "number_theory"}],
                              controls=[{"task_type": "algebra"}], who="alice")  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    ws.link_intervention(rec["id"], "good", who="bob")
    ws.store.close()
    return store


def test_delete_run_names_the_interventions_it_orphans_and_they_say_so(tmp_path: Path):
    from click.testing import CliRunner

    from capslice_tui.cli import main

    store = _linked_store(tmp_path)
    ws = Workspace(store)
    assert ws.interventions_using_run("good") == [
        "intervention 1 'nt data' (result run, evaluated)"
    ]
    assert ws.interventions_using_run("base") == [
        "intervention 1 'nt data' (baseline run, evaluated)"
    ]
    assert ws.intervention(1)["missing_runs"] == []
    ws.store.close()

    def cli(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, ["--store", str(store), *args], input=stdin)

    asked = cli("delete-run", "good", stdin="n\n")  # the y/N question names what is orphaned
    assert asked.exit_code != 0
    assert "used by intervention 1 'nt data' (result run, evaluated)" in asked.output
    assert "will be orphaned" in asked.output
    gone = cli("delete-run", "good", "--yes")
    assert gone.exit_code == 0, gone.output
    assert "warning: deleting run 'good' orphans intervention 1 'nt data'" in gone.output
    shown = cli("intervention", "show", "1")
    assert shown.exit_code == 0, shown.output
    assert "result run 'good' was deleted" in shown.output and "good (deleted)" in shown.output
    again = cli("intervention", "evaluate", "1")
    assert again.exit_code != 0
    assert "result run 'good' was deleted" in again.output
    assert "no run named" not in again.output and "Traceback" not in again.output
    assert Workspace(store).intervention(1)["missing_runs"] == ["result run 'good' was deleted"]


def test_app_delete_confirm_names_the_orphaned_intervention(tmp_path: Path) -> None:
    import asyncio

    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens.confirm import ConfirmScreen

    store = _linked_store(tmp_path)

    async def check() -> None:
        app = make_app(store)
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(2):
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.press("D")  # the highlighted run: base, the intervention's baseline
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            question = app.screen.question
            assert "Delete run base" in question
            assert "used by intervention 1 'nt data' (baseline run, evaluated)" in question
            await pilot.press("n")
            await app.workers.wait_for_complete()

    asyncio.run(check())
    assert [r["name"] for r in Workspace(store).runs()] == ["base", "good"]
