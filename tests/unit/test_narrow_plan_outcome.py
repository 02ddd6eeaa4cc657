"""The plan and intervention-outcome tables at narrow widths follow the rules of the other
narrow tables: numbers are never cut (token counts included), a name is cut in one place at
most, and the expendable columns are left out first, named in a note."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_plan_honours import RULES, WEAK  # noqa: E402

from capslice_tui.cli import main  # noqa: E402
from capslice_tui.cli.plan import _plan_table  # noqa: E402
from capslice_tui.planning.mixture import build_plan  # noqa: E402
from capslice_tui.taxonomy.catalog import parse_catalog  # noqa: E402
from capslice_tui.taxonomy.data import load_data_taxonomy  # noqa: E402
from capslice_tui.taxonomy.evaluation import load_taxonomy  # noqa: E402
from capslice_tui.taxonomy.mapping import parse_mapping  # noqa: E402
from capslice_tui.workspace import Workspace  # noqa: E402

CELLS = """
cells:
  - {id: openwebmath_tutorial_quality4_english, source: OpenWebMath, domain: "Science & Technology", format: Tutorial, quality: 4, tokens: 40000000000, weight: 0.2, path: /d/a}
  - {id: commoncrawl_personal_blog_quality1_english, source: CommonCrawl, domain: Entertainment, format: Personal Blog, quality: 1, tokens: 900000000000, weight: 0.8, path: /d/b}
"""


def test_plan_table_never_cuts_token_counts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = parse_catalog(CELLS, "cat.yaml", load_data_taxonomy())
    rules = parse_mapping(RULES, "map.yaml", load_taxonomy().axes, load_data_taxonomy())
    plan = build_plan([WEAK], rules, cat, 120_000_000_000, verdict="data", reason="data")
    tokens = [f"{c.tokens:,}" for c in plan.cells]
    assert all(len(t) >= 14 for t in tokens)  # 39,999,960,000
    for columns in ("80", "60"):
        monkeypatch.setenv("COLUMNS", columns)
        _plan_table(plan, "math", None, "table")
        out = capsys.readouterr().out
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= int(columns), out
        for t in tokens:
            assert t in out.split(), out
        for line in lines[2:4]:  # cell ids: cut at the end only, never inside a number
            cell = line.split()[0]
            assert cell.count("…") <= 1 and (cell.endswith("…") or "…" not in cell), out
    # at 60 columns epochs and x (expendable) are left out, so the cell ids wrap whole
    # rather than cut to 10 characters, and the note says so
    assert "not shown at 60 columns: x, epochs" in " ".join(out.split())


def _write_run(path: Path, right: dict[str, int]) -> Path:
    lines = [
        {"task": task, "doc_id": doc, "target": "7", "correct": doc < n_right,
         "response": "The answer is 7." if doc < n_right else "The answer is 3."}
        for task, n_right in right.items() for doc in range(40)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


@pytest.fixture(scope="module")
def outcome_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Number theory (target) +5 of 40, algebra and prealgebra (controls) -3 and +1."""
    tmp = tmp_path_factory.mktemp("outcome")
    store = tmp / "w.db"
    ws = Workspace(store)
    tasks = ("minerva_math_num_theory", "minerva_math_algebra", "minerva_math_prealgebra")
    ws.ingest([_write_run(tmp / "b.jsonl", dict(zip(tasks, (10, 25, 20), strict=True)))],
              run="checkpoint-base-step-049000", benchmark="math")  # fmt: skip
    ws.ingest([_write_run(tmp / "c.jsonl", dict(zip(tasks, (15, 22, 21), strict=True)))],
              run="checkpoint-targeted-step-051000", benchmark="math")  # fmt: skip
    for targets in ([{"task_type": "number_theory"}],
                    [{"task_type": "number_theory", "output_constraint": "boxed_expression"}]):  # fmt: skip
        rec = ws.new_intervention(
            title="nt data", hypothesis="more number theory",
            baseline="checkpoint-base-step-049000", benchmark="math", targets=targets,
            controls=[{"task_type": "algebra"}, {"task_type": "prealgebra"}], who="alice",
        )  # fmt: skip
        ws.accept_intervention(rec["id"], who="bob")
        ws.link_intervention(rec["id"], "checkpoint-targeted-step-051000", who="bob")
    return store


def _outcome(store: Path, iid: int) -> list[str]:
    res = CliRunner().invoke(
        main, ["--store", str(store), "intervention", "show", str(iid)], env={"COLUMNS": "80"}
    )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("outcome "))
    end = next(i for i, line in enumerate(lines) if line == "history")
    return lines[start:end]


def test_outcome_table_at_80_columns_shows_whole_slice_names_and_numbers(
    outcome_store: Path,
) -> None:
    lines = _outcome(outcome_store, 1)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80, text
    assert lines[1].split()[:3] == ["role", "task_type", "items"], text
    body = {line.split()[1]: line.split() for line in lines[2:5]}
    assert set(body) == {"number_theory", "algebra", "prealgebra"}, text
    assert body["algebra"][2] == "40" and "…" not in text.split("not shown")[0], text
    notes = " ".join(" ".join(lines[5:]).split())
    # the expendable columns go first, in their order, and are named
    # (a run of one sample per item has no pass@k column at all)
    assert re.search(r"not shown at 80 columns: (p adj, )?DiD vs controls \(", notes), notes
    assert "pass@k" not in text
    assert "slice: names shown without their shared prefix" not in notes


def test_outcome_table_with_slices_on_different_axes_names_the_axes_once(
    outcome_store: Path,
) -> None:
    lines = _outcome(outcome_store, 2)
    text = "\n".join(lines)
    assert max(len(line) for line in lines) <= 80, text
    names = [line.split(maxsplit=1)[1] for line in lines[2:5]]
    assert names[1].startswith("algebra ") and names[2].startswith("prealgebra "), text
    assert names[0].startswith("number_theory &"), text  # cut at its end at most
    assert names[0].split()[2].count("…") <= 1 and "type=" not in text.split("not shown")[0]
    notes = " ".join(" ".join(lines[5:]).split())
    assert "slice: values of task_type & output_constraint (target); task_type (control)" in notes
