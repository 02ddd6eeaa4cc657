"""Case stat-01-many-slices ingested without ``--benchmark toy``: the custom taxonomy's rules all
say ``benchmark: toy``, so they label nothing. Ingest, ``taxonomy check``, ``slices`` and
``diagnose`` say why and how to fix it, instead of silently reporting empty slices."""

from __future__ import annotations

from pathlib import Path

import pytest

from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.workspace import Workspace

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "stat-01-many-slices"
TAX = CASE / "tax"
EXPECTED = (
    "that names a benchmark matches 40 tasks (e.g. slice01): its rules for them name "
    "benchmark 'toy' but the items are stored under benchmark 'slice01', 'slice02', 'slice03' "
    "and 37 more (ingest with --benchmark toy)"
)


def _ws(tmp_path: Path, benchmark: str | None) -> tuple[Workspace, list[str]]:
    ws = Workspace(tmp_path / "s.db", taxonomy_dir=TAX)
    notes = []
    for run in ("A", "B"):
        report = ws.ingest([CASE / f"run{run}.jsonl"], run=run, benchmark=benchmark)
        notes += report.notes
    return ws, notes


def test_rules_for_another_benchmark_are_named_at_ingest_check_slices_and_diagnose(
    tmp_path: Path,
) -> None:
    ws, notes = _ws(tmp_path, None)
    mismatch = [n for n in notes if EXPECTED in n]
    assert len(mismatch) == 2 and mismatch[0].startswith("no rule of ")
    assert "evaluation.yaml" in mismatch[0]
    assert [n for n in ws.taxonomy_notes() if EXPECTED in n]  # taxonomy check
    table = ws.slices("A", by="task_type")
    assert any(EXPECTED in n for n in table.notes)
    assert any(EXPECTED in n for n in table.to_dict()["notes"])
    assert not ws.slices("A", by="task").taxonomy_notes  # no taxonomy axis: not said
    assert any(EXPECTED in n for n in ws.diagnose("A", "B").to_dict()["notes"])
    assert any(EXPECTED in n for n in ws.diagnose("A").to_dict()["notes"])


def test_no_note_when_ingested_under_the_rules_benchmark(tmp_path: Path) -> None:
    ws, notes = _ws(tmp_path, "toy")
    assert not [n for n in notes if "names a benchmark" in n]
    assert ws.taxonomy_notes() == [] and ws.taxonomy_notes("A", "B") == []
    assert ws.slices("A", by="task_type").taxonomy_notes == []


@pytest.mark.parametrize(
    ("pairs", "hint"),
    [
        ([("slice01", "slice01")], "(ingest with --benchmark toy)"),
        ([("toy", "slice01"), ("x", "unknown_task")], None),  # matched, or no rule for the task
    ],
)
def test_benchmark_mismatch(pairs: list[tuple[str, str]], hint: str | None) -> None:
    note = load_taxonomy(TAX).benchmark_mismatch(pairs)
    assert (note is None) if hint is None else note.endswith(hint)  # type: ignore[union-attr]


def test_packaged_taxonomy_says_nothing_for_its_own_benchmarks() -> None:
    tax = load_taxonomy()
    pairs = [("bbh", "bbh_cot_fewshot_date_understanding"), ("gsm8k", "gsm8k"), ("mine", "t")]
    assert tax.benchmark_mismatch(pairs) is None


def test_taxonomy_check_cli_says_why(tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from capslice_tui.cli import main

    _ws(tmp_path, None)
    args = ["--store", str(tmp_path / "s.db"), "--taxonomy", str(TAX), "taxonomy", "check"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert "note: no rule of " in out.output and EXPECTED in " ".join(out.output.split())
    payload = json.loads(CliRunner().invoke(main, [*args, "--format", "json"]).output)
    assert any(EXPECTED in n for n in payload["notes"])
