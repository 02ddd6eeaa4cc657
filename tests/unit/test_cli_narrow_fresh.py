"""What a fresh user saw at ``COLUMNS=80`` (session 5 trial): the significance column is never
the one left out, the ALL row is marked apart from the corrected slices, long notes wrap at
the width without breaking a command, and piped tables carry no trailing blanks."""

from __future__ import annotations

from typing import Any

import pytest

from capslice_tui.cli.diagnose import comparison_table, narrow_comparison_table
from capslice_tui.cli.render import emit_table, wrap_prose

TASK_TYPES = ["algorithmic", "commonsense_judgement", "counting_arithmetic",
              "language_understanding", "logical_deduction", "temporal_reasoning"]  # fmt: skip


def _row(slice_: dict[str, str], bc: int, cc: int, n: int, p: float | None, pa: float | None,
         marker: str | None) -> dict[str, Any]:  # fmt: skip
    return {
        "slice": slice_, "n_items": n, "base": {"score": bc / n, "correct": bc, "n": n,
        "n_items": n}, "cand": {"score": cc / n, "correct": cc, "n": n, "n_items": n},
        "diff": (cc - bc) / n, "diff_low": (cc - bc) / n - 0.04, "diff_high": (cc - bc) / n + 0.04,
        "p_value": p, "p_adjusted": pa, "marker": marker, "mdd": 0.05, "warning": None,
        "test": "mcnemar-exact",
    }  # fmt: skip


def _comparison() -> dict[str, Any]:
    rows = [_row({"task_type": t}, 1049, 759, 1500, 1e-6, 1e-5, "worse*") for t in TASK_TYPES]
    return {
        "by": ["task_type"], "rows": rows, "n_tested": len(rows), "q": 0.05,
        "overall": _row({"all": "all"}, 4816, 3408, 6511, 1e-9, None, "worse*"),
        "notes": [], "evaluation_warning": None,
    }  # fmt: skip


def _print(capsys: pytest.CaptureFixture[str], table: Any, **kw: Any) -> list[str]:
    headers, rows, notes = table(_comparison())
    emit_table(headers, rows, "table", notes=notes, **kw)
    return capsys.readouterr().out.splitlines()


def test_compare_at_80_columns_keeps_sig_and_drops_the_interval(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    lines = _print(capsys, narrow_comparison_table, expendable=("95% CI",), keep=("sig",))
    assert lines[0].split()[-1] == "sig" and "worse*" in lines[1], "\n".join(lines)
    text = " ".join(" ".join(lines).split())
    assert "not shown at 80 columns: 95% CI (shown: 6 of 7 columns;" in text
    assert max(map(len, lines)) <= 80
    # keep wins over the right-to-left order even without expendable
    lines = _print(capsys, narrow_comparison_table, keep=("sig",))
    assert lines[0].split()[-1] == "sig", "\n".join(lines)


@pytest.mark.parametrize("table", [narrow_comparison_table, comparison_table])
def test_the_all_row_is_not_marked_as_corrected(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], table: Any
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    lines = _print(capsys, table, keep=("sig",))
    all_row = next(line for line in lines if line.startswith("ALL"))
    assert "worse*" not in all_row and "worse" in all_row.split(), all_row
    text = " ".join(" ".join(lines).split())
    assert "ALL = every item pooled, tested on its own (exact McNemar, raw p <0.0001;" in text
    assert "not one of the 6 corrected slices" in text


def test_long_notes_wrap_at_the_width_and_keep_a_command_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    note = ("evaluation differs: the prompts of 6,511 of 6,511 items differ: prompting "
            "cot_3shot vs answer_only_3shot; differences may come from the evaluation, not "
            "the model (see capslice diagnose bbh-cot bbh-direct)")  # fmt: skip
    emit_table(["run"], [["a"]], "table", notes=[note])
    lines = capsys.readouterr().out.splitlines()[2:]
    assert max(map(len, lines)) <= 80 and " ".join(lines) == note, lines
    assert any("capslice diagnose bbh-cot bbh-direct" in line for line in lines)
    assert wrap_prose("a capslice x y z", 5) == ["a", "capslice x y z"]


def test_piped_tables_have_no_trailing_spaces(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    rows = [["bbh-base", "480", "complete", "bbh 59.6% (286/480)"],
            ["math-targeted-long", "5888", "-", "math 50.4%"]]  # fmt: skip
    emit_table(["run", "samples", "status", "benchmarks"], rows, "table", title="runs")
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["run", "samples", "status", "benchmarks"]
    assert all(line == line.rstrip() for line in lines), [line + "|" for line in lines]
    assert lines[2].index("480") == lines[3].index("5888")  # columns still line up


LONG_RUN = "olmo2-7b-stage2-ingredient3-anneal-50B-seed42-step11931-hf"


def test_runs_with_a_long_name_keep_the_scores_and_the_name_whole(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fresh user's ``capslice runs`` lost model, step and every score to one long run
    name: the name now goes whole on its own line above its row (``↳``), the columns stay."""
    monkeypatch.setenv("COLUMNS", "80")
    headers = ["run", "model", "step", "samples", "status", "benchmarks (micro)"]
    rows = [["bbh-base", "demo-org/demo-1b-step100000", "100000", "480", "complete",
             "bbh 59.6% (286/480)"],
            [LONG_RUN, "allenai/OLMo-2-1124-7B", "11931", "6511", "complete",
             "bbh 52.3% (3408/6511)"]]  # fmt: skip
    emit_table(headers, rows, "table", expendable=("model", "step"), own_line="run")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "model", "step", "samples", "status", "benchmarks",
                                "(micro)"], "\n".join(lines)  # fmt: skip
    assert lines[1].split()[0] == "bbh-base" and "(286/480)" in lines[1]
    assert lines[2] == LONG_RUN and lines[3].startswith("↳ ") and "11931" in lines[3]
    assert "(3408/6511)" in " ".join(lines[3:5]), "\n".join(lines)
    assert max(len(line) for line in lines if line != LONG_RUN) <= 80
    assert "not shown" not in " ".join(lines)
    # wide enough: one line per run, as before
    monkeypatch.setenv("COLUMNS", "200")
    emit_table(headers, rows, "table", expendable=("model", "step"), own_line="run")
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[0] == LONG_RUN and "↳" not in " ".join(lines)


def test_plan_table_at_80_columns_words_its_notes_and_keeps_cells_apart(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fresh user's plan showed ``cc…ge_q3`` and ``boosted, at target_capped``."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from test_plan_honours import RULES, WEAK

    from capslice_tui.cli.plan import _plan_table
    from capslice_tui.planning.mixture import build_plan
    from capslice_tui.taxonomy.catalog import parse_catalog
    from capslice_tui.taxonomy.data import load_data_taxonomy
    from capslice_tui.taxonomy.evaluation import load_taxonomy
    from capslice_tui.taxonomy.mapping import parse_mapping

    path = Path(__file__).resolve().parents[2] / "sample_data" / "catalog.yaml"
    cat = parse_catalog(path.read_text(), str(path), load_data_taxonomy())
    rules = parse_mapping(RULES, "map.yaml", load_taxonomy().axes, load_data_taxonomy())
    plan = build_plan(
        [WEAK], rules, cat, 100_000_000_000, verdict="data", reason="data", strength=1000.0
    )
    capped = {c.id for c in plan.cells if "target_capped" in c.bounds}
    assert capped, [c.bounds for c in plan.cells]  # the case the user saw
    monkeypatch.setenv("COLUMNS", "80")
    _plan_table(plan, "math", None, "table")
    lines = capsys.readouterr().out.splitlines()
    text = " ".join(lines)
    assert "target_capped" not in text and "max_multiplier" not in text
    assert "capped = the boost it asked for" in " ".join(text.split())
    # a row starts with its cell id's first piece; an id too long for its column goes on
    # under it, one piece a line (wrapped after its _ since 4cd6d29, never cut)
    shown: list[str] = []
    rows: list[str] = []
    for line in lines[2:]:
        parts = line.split()
        if len(shown) == len(plan.cells) and len(parts) != 1:
            break
        if len(parts) == 1:
            shown[-1] += parts[0]
        else:
            shown.append(parts[0])
            rows.append(line)
    assert shown == [c.id for c in plan.cells], shown
    assert any(line.rstrip().endswith("boosted, capped") for line in rows), lines


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two math tasks of 40 docs (one sample each): docs 0-9 right, 10-29 wrong, 30-39 with no
    answer; and an intervention linked to a result run (its history has control slices)."""
    import json

    from capslice_tui.workspace import Workspace

    tmp = tmp_path_factory.mktemp("fresh")
    store = tmp / "w.db"

    def write(name: str, n_right: int) -> Any:
        lines = [
            {"task": task, "doc_id": doc, "target": "7",
             "response": "The answer is $\\boxed{7}$." if doc < n_right else
             ("The answer is $\\boxed{3}$." if doc < 30 else "I am not sure how to go on")}
            for task in ("minerva_math_num_theory", "minerva_math_algebra") for doc in range(40)
        ]  # fmt: skip
        (tmp / name).write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        return tmp / name

    ws = Workspace(store)
    ws.ingest([write("b.jsonl", 10)], run="base-run", benchmark="math")
    ws.ingest([write("c.jsonl", 15)], run="result-run", benchmark="math")
    rec = ws.new_intervention(
        title="nt data", hypothesis="more number theory", baseline="base-run", benchmark="math",
        targets=[{"task_type": "number_theory"}],
        controls=[{"task_type": "algebra"}, {"task_type": "prealgebra"}], who="alice",
    )  # fmt: skip
    ws.accept_intervention(rec["id"], who="bob")
    ws.link_intervention(rec["id"], "result-run", who="bob")
    return store


def _cli(store: Any, *args: str) -> str:
    from click.testing import CliRunner

    from capslice_tui.cli import main

    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    return res.output


def test_samples_doc_id_counts_the_samples_of_that_doc(small_store: Any) -> None:
    out = _cli(small_store, "samples", "--run", "base-run", "--doc-id", "3")
    assert "showing 2 of 2 samples of doc 3, sorted by id" in out, out
    out = _cli(small_store, "samples", "--run", "base-run", "--doc-id", "3",
               "--task", "minerva_math_algebra")  # fmt: skip
    assert "showing 1 of 1 sample of doc 3" in out, out
    rows = [line.split() for line in out.splitlines()[2:] if line[:1].isdigit()]
    assert [r[2] for r in rows] == ["3"], out  # doc column: only doc 3


def test_samples_at_80_columns_name_a_shared_task_once_and_short_modes(
    small_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from capslice_tui.workspace import Workspace

    modes = ["extraction_failure", "truncated", "wrong_answer", "correct"]
    rows = [
        {"id": k + 1, "task": "bbh_cot_fewshot_boolean_expressions", "doc_id": str(k),
         "sample_idx": 0, "target": "True", "extracted": None if k < 2 else "False",
         "score": float(k == 3), "failure_mode": mode, "response": "Let us think step by step."}
        for k, mode in enumerate(modes)
    ]  # fmt: skip
    monkeypatch.setattr(Workspace, "samples", lambda self, run, **kw: (rows, False))
    out = _cli(small_store, "samples", "--run", "base-run")
    lines = out.splitlines()
    assert lines[1].split()[:2] == ["id", "doc"], out  # the task is the same on every row
    assert "task: bbh_cot_fewshot_boolean_expressions (every row)" in out
    assert "extract…" not in out and "truncat…" not in out and "bbh_cot…" not in out
    # one scheme of marks (vocabulary.FAILURE_MARKS, as the app's samples table), each said
    for line, mode in zip(lines[2:6], ["fmt!", "trunc", "wrong", "correct"], strict=True):
        assert f" {mode} " in line, out
    text = " ".join(out.split())
    assert "wrong = wrong_answer (a wrong answer, or none found)" in text
    assert (
        "fmt! = extraction_failure (the right answer is in the response but the scorer missed it)"
        in text
    )
    assert "trunc = truncated (the response stopped at the generation length cap)" in text


def test_discover_folded_labels_are_named_once_and_duplicates_name_a_shown_group() -> None:
    """The fresh user saw ``(task=bbh_cot_fewshot_temporal_sequences, task=…, task=…)`` and a
    note naming a group the table did not show (``create``)."""
    from types import SimpleNamespace

    import numpy as np

    from capslice_tui.analysis.discovery import _SliceFinder

    label = "task=bbh_cot_fewshot_temporal_sequences"
    novelty = [{"restates": None}] * 2 + [{"restates": label}] * 4
    finder = SimpleNamespace(
        notes=[], limit=10, show_all=False, kept=[(i, i) for i in range(6)],
        _novelty_labels=lambda: None, _novelty=lambda members: novelty[members],
    )  # fmt: skip
    novel, shown, folded = _SliceFinder._fold(finder)  # type: ignore[arg-type]
    # every group that restates a label is folded (walk 9 #23), each label named once
    assert (
        len(folded) == 4
        and not shown
        and finder.notes
        == [
            f"4 groups restate existing labels and are folded ({label} (4 groups)); --all "
            "shows them"
        ]
    ), finder.notes
    # groups 0, 1 shown; 6 and 7 repeat group 0 (shown); 8 repeats group 9 (not shown)
    names = ["letters", "shape", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "create"]
    finder = SimpleNamespace(
        sig=np.array([True, True, False, False, False, False, True, True, True, False]),
        duplicates={6: 0, 7: 0, 8: 9}, poorer_out=set(), kept=[(0, 0), (1, 1)], limit=10,
        tested=[(SimpleNamespace(name=n),) for n in names], n_sig=5, max_suggestions=10,
        notes=[],
    )  # fmt: skip
    _SliceFinder._account(finder, [(0, {}), (1, {})], [])  # type: ignore[arg-type]
    note = finder.notes[-1]
    # both named: each hidden group and the shown group it repeats
    assert (
        "2 hold (nearly) the same samples as a group shown (g6 repeats letters, g7 repeats"
        " letters)" in note
    ), note
    assert "1 holds (nearly) the same samples as a group not shown either" in note
    assert "create" not in note


def test_discover_leaves_out_the_id_column_when_no_group_has_an_id(
    small_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from capslice_tui.workspace import Workspace

    group = {"name": "mode:truncated", "size": 201, "error_rate": 1.0, "n_errors": 201,
             "ci_low": 0.981, "ci_high": 1.0, "diff_rest": 0.763, "diff_within": 0.827,
             "q_value": 1e-6, "q_within": 1e-6, "significant": True, "top_terms": [],
             "novelty": {"relation": "new"}, "over_represented": []}  # fmt: skip
    data = {"suggestions": [group, {**group, "name": "modifiers"}], "n_samples": 6511,
            "run_error_rate": 0.26, "k_reason": "k=20", "k": 20, "structure": "none",
            "notes": [], "n_significant": 2, "n_candidates": 9}  # fmt: skip
    result = SimpleNamespace(to_dict=lambda: data)
    monkeypatch.setattr(Workspace, "discover", lambda self, run, **kw: result)
    out = _cli(small_store, "discover", "--run", "base-run")
    lines = out.splitlines()
    assert lines[1].split()[0] == "group", out  # not an id column of dashes
    # the room the id column left: the name whole or cut near its end (was mode:tru…;
    # the q column's <0.0001, the one p-value form, takes 2 more columns than <1e-4 did)
    assert lines[2].split()[0] in ("mode:truncated", "mode:truncat…", "mode:trunc…"), out
    data["suggestions"][0] = {**group, "id": 7}
    out = _cli(small_store, "discover", "--run", "base-run")
    assert out.splitlines()[1].split()[0] == "id", out


def test_intervention_history_shows_slices_by_name(small_store: Any) -> None:
    out = _cli(small_store, "intervention", "show", "1")
    history = out[out.index("\nhistory\n") :]
    text = "".join(history.split())  # the new column wraps at 80 columns
    assert '[{"' not in history and "task_type=algebra;task_type=prealgebra" in text, history
    assert "controls" in history.split() and "targets" in history.split()  # as show names them
    md = _cli(small_store, "intervention", "show", "1", "--format", "md")
    assert "| task_type=algebra; task_type=prealgebra |" in md, md


def test_prose_wraps_at_the_width_with_a_hanging_indent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from capslice_tui.cli.render import echo_prose

    monkeypatch.setenv("COLUMNS", "40")
    echo_prose("  - accuracy change: -28.1 points (greedy accuracy 59.6% (286/480) → 31.5%)")
    echo_prose("note: see capslice compare base-run-with-a-long-name result-run here")
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == ["  - accuracy change: -28.1 points", "    (greedy accuracy 59.6% (286/480) →",
                         "    31.5%)"], lines  # fmt: skip
    assert "capslice compare base-run-with-a-long-name result-run here" in lines, lines


def test_sample_and_diagnose_prose_stay_within_80_columns(small_store: Any) -> None:
    out = _cli(small_store, "sample", "71")  # doc 30: its failure reason is a long line
    fields = out[: out.index("\n---")].splitlines()
    assert fields and max(map(len, fields)) <= 80, fields
    # the reason wraps under its field with a hanging indent (c8d7d69 named capslice's
    # strict extraction where the log has no official score)
    hanging = " " * 24 + "(capslice's strict extraction"
    assert any(line.startswith(hanging) for line in fields), fields
    out = _cli(small_store, "diagnose", "base-run", "result-run")
    long = [line for line in out.splitlines() if len(line) > 80]
    assert not long, out
