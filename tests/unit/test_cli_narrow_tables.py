"""A fresh user's walk at ``COLUMNS=80`` (session 6, H9): samples, runs, intervention and
label history, slices under --average macro and diagnose's empty slice lists.

Each test builds a small temp store shaped like the demo's case (the demo takes too long to
build per test) and reads the CLI through CliRunner at 80 columns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lmeval_lines import gsm8k_line, write_gsm8k_file

from capslice_tui.cli.render import wrap_cell
from capslice_tui.formatting import utc_minute
from capslice_tui.report import no_slice_text

RUNAWAY = (
    "4, and this kind of puzzle is solved by careful bookkeeping of each fact. "
    + "let me go over the reasoning again to make sure nothing was missed. " * 12
).strip()
"""doc 42's extracted answer in the demo's bbh-eos-masked run (a runaway response)."""


def _cli(store: Path, *args: str) -> str:
    from click.testing import CliRunner

    from capslice_tui.cli import main

    res = CliRunner().invoke(main, ["--store", str(store), *args], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    return res.output


def _width_ok(out: str) -> None:
    assert max(len(line) for line in out.splitlines()) <= 80, out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs shaped like the demo's: a greedy GSM8K-style run holding one runaway extracted
    answer, four checkpoints of one model family (two sharing a step), a multi-sample run of
    two tasks whose items have different numbers of samples, an intervention with two-axis
    targets, accepted and linked, and a hand label."""
    from capslice_tui.workspace import Workspace

    tmp = tmp_path_factory.mktemp("h9")
    db = tmp / "w.db"
    ws = Workspace(db)
    lines = [gsm8k_line(d, "18" if d < 6 else "7", 1.0 if d < 6 else 0.0) for d in range(12)]
    lines.append(gsm8k_line(42, RUNAWAY, 0.0))
    ws.ingest([write_gsm8k_file(tmp / "g", lines)], run="gsm-run", benchmark="gsm8k",
              model="demo-org/demo-1b-step100000", step=100000)  # fmt: skip
    for name, model, step in [
        ("eos", "demo-org/demo-1b-eosmask-step110000", 110000),
        ("restored", "demo-org/demo-1b-step120000", 120000),
        ("mathfix", "demo-org/demo-1b-mathfix-step120000", 120000),
    ]:
        ws.ingest([write_gsm8k_file(tmp / name, lines[:12])], run=name, benchmark="gsm8k",
                  model=model, step=step)  # fmt: skip

    def math_file(name: str, right: int) -> Path:
        rows = []
        for task in ("minerva_math_num_theory", "minerva_math_algebra"):
            for doc in range(24):
                n = 8 if doc < 4 else 2  # items with different numbers of samples
                for k in range(n):
                    ok = k < right  # an item mean of 43.8%, a sample ratio of 33.3% (base)
                    rows.append({"task": task, "doc_id": doc, "target": "7",
                                 "response": f"The answer is $\\boxed{{{7 if ok else 3}}}$."})  # fmt: skip
        path = tmp / name
        path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
        return path

    ws.ingest([math_file("mb.jsonl", 1)], run="math-base", benchmark="math")
    ws.ingest([math_file("mt.jsonl", 2)], run="math-targeted", benchmark="math")
    rec = ws.new_intervention(
        title="targeted math data", hypothesis="...", baseline="math-base", benchmark="math",
        targets=[{"task_type": "number_theory", "solving_operation": "modular_arithmetic"},
                 # a target needs items of the baseline (walk 9 #38): algebra's, not casework
                 {"task_type": "algebra", "solving_operation": "equation_solving"}],
        controls=[{"task_type": "algebra"}, {"task_type": "prealgebra"}], who="root",
    )  # fmt: skip
    ws.accept_intervention(rec["id"], who="root")
    ws.link_intervention(rec["id"], "math-targeted", who="root")
    return db


def test_a_long_extracted_answer_is_cut_to_one_line_so_score_and_response_show(
    store: Path,
) -> None:
    """doc 42's runaway extracted answer filled ~45 wrapped lines and left score and response
    out (`not shown at 80 columns: score, response`)."""
    out = _cli(store, "samples", "--run", "gsm-run", "--failing")
    _width_ok(out)
    header = out.splitlines()[1].split()
    assert "score" in header and "response" in header, out
    assert "not shown at 80 columns" not in out, out
    row = next(line for line in out.splitlines() if line.split()[2:3] == ["42"])
    assert "4, and this…" in row, out  # its start, cut at a word, one line
    assert "bookkeeping" not in out and "a value longer than 16 characters" in out, out
    # JSON keeps it whole
    assert RUNAWAY in _cli(store, "samples", "--run", "gsm-run", "--failing", "--format", "json")


def test_runs_at_80_columns_keep_models_apart_and_benchmarks_on_one_line(store: Path) -> None:
    """The models read d…p100000 / de…110000 / d…p120000 / de…120000 (eosmask and mathfix
    alike) and the benchmarks cell wrapped over 3 lines."""
    out = _cli(store, "runs")
    _width_ok(out)
    lines = out.splitlines()
    rows = {line.split()[0]: line for line in lines[1:7]}
    assert "eosmask-step110000" in rows["eos"] and "mathfix-step120000" in rows["mathfix"], out
    assert "step120000" in rows["restored"] and "step100000" in rows["gsm-run"], out
    assert rows["math-base"].endswith("math 43.8% (mean of 48)"), out
    # every run's row is one line: the next line starts another run or a note
    assert [line.split()[0] for line in lines[1:8]] == [
        "eos", "gsm-run", "math-base", "math-targeted", "mathfix", "restored", "model:",
    ], out  # fmt: skip
    text = " ".join(out.split())
    assert "status: complete (every row)" in text, out
    assert "mean of N: the mean of the N items' accuracies" in text, out
    assert "math-base math 48/144 samples = 33.3%" in text, out


def test_runs_model_cut_never_ends_inside_a_step_number() -> None:
    """At 14 characters the rests cut to eosmask-step1… ended inside a number, so the cut
    was refused and the column kept too wide for the others; the number goes whole."""
    from capslice_tui.cli.render import _column_cut

    models = ["demo-org/demo-1b-step100000", "demo-org/demo-1b-eosmask-step110000",
              "demo-org/demo-1b-step120000", "demo-org/demo-1b-mathfix-step120000"]  # fmt: skip
    cut = _column_cut(models, 14)
    assert cut is not None
    assert cut == (
        ["step100000", "eosmask-step…", "step120000", "mathfix-step…"],
        "demo-org/demo-1b-",
    )


def test_intervention_history_wraps_at_word_boundaries_with_minute_times(store: Path) -> None:
    """The history wrapped `task_type=number_th` / `eory &`, `task_type=prealgebr` / `a` and
    `2026-12-01T00:36:15` / `+00:00`."""
    out = _cli(store, "intervention", "show", "1")
    _width_ok(out)
    history = out[out.index("\nhistory\n") + len("\nhistory\n") :]
    start = history.splitlines()[0].index("new")
    cells = [line[start:].strip() for line in history.splitlines()[1:] if line[:1] in " 12345"]
    names = {"task_type", "number_theory", "solving_operation", "modular_arithmetic",
             "equation_solving", "algebra", "prealgebra"}  # fmt: skip
    for cell in cells:  # each line of a wrapped value holds whole names (no number_th / eory)
        words = cell.replace("=", " ").replace(";", " ").replace("&", " ").split()
        assert all(w in names for w in words if "_" in w or w in ("eory", "a")), (cell, history)
        assert not cell.endswith(("prealgebr", "+00:00")), history
    pieces = [w.rstrip(";=") for c in cells for w in c.replace("=", "= ").split()]
    assert "number_theory" in pieces and "prealgebra" in pieces, history
    assert "modular_arithmetic" in pieces and "equation_solving" in pieces, history
    words = " ".join(history.split())
    assert "T0" not in history and "times in UTC" in words, history
    assert "who: root (every row)" in words, history  # one person: said once


def test_wrap_cell_breaks_long_names_after_separators_not_inside_words() -> None:
    text = "task_type=algebra; task_type=prealgebra"
    assert wrap_cell(text, 17).splitlines() == [
        "task_type=",
        "algebra;",
        "task_type=",
        "prealgebra",
    ]
    assert wrap_cell("1093/5888 samples", 5).splitlines()[0] == "1093/5888"  # never cut
    assert wrap_cell("n=1093/5888", 4).splitlines()[0] == "n="
    assert wrap_cell("a b c", 17) == "a b c"  # every word fits: unchanged
    assert wrap_cell("x" * 20, 8).splitlines() == ["x" * 8, "x" * 8, "x" * 4]


def test_utc_minute() -> None:
    assert utc_minute("2026-12-01T00:36:15+00:00") == "2026-12-01 00:36"
    assert utc_minute("2026-12-01T02:36:15+02:00") == "2026-12-01 00:36"
    assert utc_minute("math-base") == "math-base" and utc_minute(None) == "-"


def test_label_tables_keep_ids_whole_and_leave_empty_notes_out(store: Path) -> None:
    """`label history` cut the value to `modular…`, wrapped the batch id `dddf4a32` / `3833`
    and kept an empty note column; `label show --item` cut values to `* competit…`."""
    ids = [s["id"] for s in json.loads(_cli(store, "samples", "--run", "math-base", "--limit",
                                              "3", "--format", "json"))["samples"]]  # fmt: skip
    _cli(store, "label", "set", "--samples", ",".join(map(str, ids)), "--axis",
         "solving_operation", "--value", "modular_arithmetic", "--user", "root")  # fmt: skip
    out = _cli(store, "label", "history")
    _width_ok(out)
    header = out.splitlines()[0].split()
    assert "note" not in header and header[-1] == "batch", out
    batch = json.loads(_cli(store, "label", "history", "--format", "json"))[0]["batch"]
    row = out.splitlines()[1]
    assert row.endswith(batch) and row.split()[-2] == "modular_arithmetic", out  # both whole
    assert "T0" not in out and "at: UTC" in out, out
    item = json.loads(_cli(store, "label", "history", "--format", "json"))[0]["item_id"]
    shown = _cli(store, "label", "show", "--item", str(item))
    _width_ok(shown)
    assert "* modular_arithmetic" in shown and "…" not in shown.split("\n* =")[0], shown
    assert "note" not in shown.splitlines()[1].split(), shown


def test_slices_macro_says_why_there_is_no_pass_at_k(store: Path) -> None:
    """pass@2/4/8 read `-` on every row under --average macro with no note why."""
    out = _cli(store, "slices", "--run", "math-base", "--by", "benchmark", "--average", "macro")
    _width_ok(out)
    assert "pass@" not in out.splitlines()[1], out
    text = " ".join(out.split())
    assert "pass@k: not given for a row of several tasks under --average macro" in text, out
    micro = _cli(store, "slices", "--run", "math-base", "--by", "benchmark")
    assert "pass@8" in micro.splitlines()[1] and "not given" not in micro, micro


def _stat01(folder: Path) -> tuple[Path, Path]:
    """Case stat-01-many-slices (/work/shared/cases, gen.py): 40 tasks x 25 paired items;
    tasks 1-2 six discordant pairs A right / B wrong, the others one each way."""
    a, b = [], []
    for s in range(1, 41):
        task = f"slice{s:02d}"
        pairs = [(1, 0)] * 6 + [(1, 1)] * 12 + [(0, 0)] * 7 if s <= 2 else (
            [(1, 0), (0, 1)] + [(1, 1)] * 12 + [(0, 0)] * 11)  # fmt: skip
        for i, (x, y) in enumerate(pairs):
            for out, v in ((a, x), (b, y)):
                out.append(json.dumps({"task": task, "doc_id": i, "prompt": f"Q {task} {i}",
                                       "target": "X", "response": "X" if v else "Y",
                                       "correct": bool(v)}))  # fmt: skip
    (folder / "runA.jsonl").write_text("\n".join(a) + "\n")
    (folder / "runB.jsonl").write_text("\n".join(b) + "\n")
    return folder / "runA.jsonl", folder / "runB.jsonl"


def test_diagnose_words_an_empty_slice_list_as_one_sentence(tmp_path: Path) -> None:
    """stat-01 ingested without --benchmark: `none of the 0 slices passes the corrected
    paired test`, and an empty list under its heading."""
    from capslice_tui.workspace import Workspace

    a, b = _stat01(tmp_path)
    db = tmp_path / "s.db"
    ws = Workspace(db)
    ws.ingest([a], run="A")
    ws.ingest([b], run="B")
    out = _cli(db, "diagnose", "A", "B")
    text = " ".join(out.split())
    assert "0 slices" not in text.replace("slices with a significant paired change: 0 slices", "")
    assert "none of the 0" not in text and "of 0 distinct" not in text, out
    assert "no slice could be tested (no axis label splits the items" in text, out
    assert (
        "Slices with a significant paired change: none; no slice was tested (no axis label "
        "splits the items into slices of at least 10 items); per-task tests: capslice "
        "compare A B." in text
    ), out
    assert not out.rstrip().splitlines()[-2].endswith(":"), out
    md = ws.report("A", "B")  # the Markdown report: a heading without counts, the sentence
    assert "None of the 0" not in md and "0 listed of 0" not in md, md
    assert "### Slices with a significant paired change\n\nSlices with a significant" in md


@pytest.mark.parametrize(
    ("diag", "said"),
    [
        ({"mode": "weakness", "slices_tested": 19, "reference": None},
         "Slices significantly weaker than the rest: none (19 slices tested; p adj: "
         "Benjamini-Hochberg q=0.05 across all of them)."),
        ({"mode": "weakness", "slices_tested": 1, "reference": "r"},
         "Slices significantly below the reference run r: none (1 slice tested; p adj: "
         "Benjamini-Hochberg q=0.05 across it)."),
    ],
)  # fmt: skip
def test_no_slice_text_for_the_weakness_modes(diag: dict[str, Any], said: str) -> None:
    """`diagnose bbh-eos-masked` ended with `... (0 kept of 19 tested; ...):` over nothing."""
    assert no_slice_text(diag) == said


def test_an_untested_slice_search_says_the_verdicts_reason_under_its_title() -> None:
    """report.py said why no slice was tested in its own words and cut its heading out of
    its own sentence; both now come from one place (review)."""
    from capslice_tui.analysis.verdict_wording import untested_text
    from capslice_tui.report import slice_search_title
    from capslice_tui.vocabulary import MIN_SLICE_SIZE

    diag = {"mode": "weakness", "slices_tested": 0, "reference": "r"}
    title = slice_search_title(diag)
    assert title == "Slices significantly below the reference run r"
    assert no_slice_text(diag) == (
        f"{title}: none; no slice was tested ({untested_text(MIN_SLICE_SIZE)})."
    )
