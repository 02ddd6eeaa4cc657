"""Counts in CLI and app text read in their number (``1 ingest``, ``0 rows``, ``2 task_type
values``), never with an ``(s)`` suffix, and a one-sample ingest never says ``1 sample ...
were``: every such count goes through ``formatting.plural``."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.app.screens.doctor import doctor_lines
from capslice_tui.app.screens.ingest import report_text
from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

PACKAGE = Path(__file__).resolve().parents[2] / "capslice_tui"
S_FORM = re.compile(r"\w\(s\)")
ONE_PLURAL = re.compile(r"\b1 (items|samples|runs|slices|rows|values|ingests|lines|tasks)\b")

# The diagnose and verdict wording is being rewritten by another change this session; its
# "(s)" forms go with that rewrite. Lower this list as they go, never add to it.
NOT_YET: dict[str, str] = {}


def _string_literals(tree: ast.AST) -> list[ast.Constant]:
    """String constants of ``tree`` (f-string parts included) that are not docstrings or
    bare string statements (attribute docs)."""
    docs = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


def test_the_guard_sees_an_s_form() -> None:
    tree = ast.parse('x = f"{n} row(s) written"\n"""a doc about row(s)"""\n')
    assert [c.value for c in _string_literals(tree) if S_FORM.search(c.value)] == [
        " row(s) written"
    ]


def test_no_printed_text_words_a_count_with_an_s_suffix() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in NOT_YET:
            continue
        for node in _string_literals(ast.parse(path.read_text(encoding="utf-8"))):
            if S_FORM.search(node.value):
                found.append(f"{rel}:{node.lineno}: {node.value!r}")
    assert not found, "use formatting.plural:\n" + "\n".join(found)


def _run(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def _clean(text: str) -> None:
    assert not S_FORM.search(text), S_FORM.findall(text)
    assert not ONE_PLURAL.search(text), ONE_PLURAL.findall(text)


def test_a_one_sample_ingest_scored_by_capslice_and_doctor(tmp_path: Path) -> None:
    log = tmp_path / "one.jsonl"  # no correctness field: capslice scores the response
    log.write_text(json.dumps({"task": "t", "doc_id": 0, "target": "7",
                               "response": "The answer is 7."}) + "\n")  # fmt: skip
    store = tmp_path / "one.db"
    out = _run(store, "ingest", str(log), "--run", "one", "--benchmark", "toy")
    assert "scored by capslice's strict extraction: 1 sample whose log carried no" in out, out
    _clean(out)
    doctor = _run(store, "doctor")
    assert "interrupted:  0 ingests" in doctor and "orphaned:     0 rows" in doctor, doctor
    _clean(doctor)


def test_the_app_words_the_same_counts() -> None:
    text = report_text({"runs": {"one": 1}, "read_per_run": {"one": 1}, "n_read": 1,
                        "format": "jsonl", "scored_by_capslice": 1, "n_bad": 1,
                        "bad": [{"path": "one.jsonl", "line": 2, "reason": "not JSON"}]})  # fmt: skip
    assert "1 sample whose log carried no correctness" in text and "1 bad line skipped" in text
    _clean(text)


def test_doctor_lines_word_one_and_zero(tmp_path: Path) -> None:
    from capslice_tui.workspace.reliability import doctor_store

    store = tmp_path / "d.db"
    Workspace(store)
    report = doctor_store(store)
    report["interrupted"] = [{"run": "x"}]
    lines = "\n".join(doctor_lines(report))
    assert "interrupted:  1 ingest\n" in lines and "orphaned:     0 rows" in lines, lines
    _clean(lines)


@pytest.mark.parametrize(("min_items", "text"), [(20, "1 task_type value of base"),
                                                 (50, "0 task_type values of base")])  # fmt: skip
def test_default_controls_count_their_values(tmp_path: Path, min_items: int, text: str) -> None:
    lines = [
        {"task": task, "doc_id": doc, "target": "7", "correct": doc < 10,
         "response": "The answer is 7." if doc < 10 else "The answer is 3."}
        for task in ("minerva_math_num_theory", "minerva_math_algebra")
        for doc in range(30)
    ]  # fmt: skip
    log = tmp_path / "b.jsonl"
    log.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    ws = Workspace(tmp_path / "w.db")
    ws.ingest([log], run="base", benchmark="math")
    _, notes = ws.choose_controls("base", "math", [{"task": "minerva_math_num_theory"}],
                                  min_items=min_items)  # fmt: skip
    summary = notes[-1]
    assert summary.startswith(f"default controls: {text}"), summary
    _clean(summary)
