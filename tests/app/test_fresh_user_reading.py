"""A fresh user's 80x24 session under ``TERM=linux`` (console mode, ``~`` for ``…``), as the
screen shows it: every cell reads whole words or a cut that keeps what tells rows apart."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pilot_helpers import SIZE, settle
from rich.console import Console

from capslice_tui.app.app import make_app


def screen_lines(app: Any) -> list[str]:
    """The current screen as the terminal shows it, line by line (cuts included)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False).split("\n")


@pytest.fixture(scope="module")
def demo_names_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Runs named as the demo's (16-character names) beside a mean-of-items math run."""
    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("demo-names")
    runs = write_runs(root / "logs")
    store = root / "store.db"
    ws = Workspace(store)
    ws.ingest([runs["base"]], run="bbh-eos-restored", benchmark="bbh", step=100000)
    ws.ingest([runs["cand"]], run="bbh-eos-masked", benchmark="bbh", step=110000)
    ws.ingest([runs["mathrun"]], run="math-targeted", benchmark="math", step=120000)
    return store


async def test_runs_status_reads_base_whole_after_c(demo_names_store: Path) -> None:
    app = make_app(demo_names_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        line = next(ln for ln in screen_lines(app) if ln.startswith(">"))
        assert line.rstrip().endswith(" BASE"), line
        assert "~" not in line and "…" not in line, line


STEPS = "Brackets are evaluated first, then not, then and, then or. " * 5
"""A start every response of the ``long`` run shares, longer than the store lists (200)."""


@pytest.fixture(scope="module")
def long_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run ``long``: the fixture's BBH responses, each after the same 300-character start."""
    import json

    from lmeval_files import write_runs

    from capslice_tui.workspace import Workspace

    root = tmp_path_factory.mktemp("long")
    runs = write_runs(root / "logs")
    for path in runs["base"].rglob("samples_*.jsonl"):
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        for line in lines:
            line["resps"] = [[STEPS + line["resps"][0][0]]]
        path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    store = root / "store.db"
    Workspace(store).ingest([runs["base"]], run="long", benchmark="bbh")
    return store


def test_responses_alike_at_the_start_show_their_ends() -> None:
    from capslice_tui.formatting import response_cells

    # after their shared start two read alike ("…alpha, then…"), their ends do not
    alike = [
        f"Let us count carefully, step by step: {w}, then recount twice. So it is {d}."
        for w, d in (("alpha", 1), ("alpha", 2), ("beta", 3))
    ]
    cells, view, shared = response_cells([*alike, None], 20)
    assert view == "end" and cells == ["…twice. So it is 1.", "…twice. So it is 2.",
                                       "…twice. So it is 3.", ""], cells  # fmt: skip
    assert shared == "Let us count carefully, step by step"
    assert response_cells(["yes it is", "no it is not"], 20) == (
        ["yes it is", "no it is not"], "start", ""
    )  # fmt: skip
    # a response the store lists by its start (200 characters) shows the end it also lists
    cells, view, _ = response_cells(["same start"] * 2, 9, tails=["… is (A).", None])
    assert view == "end" and cells == ["… is (A).", "…start"], cells
    # a page read later keeps the way the first page chose, and the start it left out
    assert response_cells(["a", "b"], 9, "end")[1] == "end"
    assert response_cells(["Q: x is 1", "Q: y"], 9, "after", shared="Q:")[0] == ["…x is 1", "…y"]


def test_responses_of_one_template_show_what_follows_their_shared_start() -> None:
    """bbh-base's boolean_expressions: every response starts ``Brackets are evaluated first,
    …, The expression is`` and ends ``… gives True. So the answer is True.`` (or False): the
    ends told 48 rows apart by 2 texts, the answer its own column already shows; what
    follows the shared start is the expression each evaluates."""
    from capslice_tui.formatting import response_cells

    start = "Brackets are evaluated first, then not, then and, then or. The expression is"
    exprs = ["not False and False", "True or False", "not ( True ) and False", "False or True"]
    values = ["False", "True", "False", "True"]
    responses = [
        f"{start} {e}. We work from the innermost part outwards and combine the pieces. "
        f"Putting this together gives {v}. So the answer is {v}."
        for e, v in zip(exprs, values, strict=True)
    ]
    cells, view, shared = response_cells(responses, 33)
    assert view == "after" and shared == start, (view, shared)
    assert [c.split(".")[0] for c in cells] == [f"…{e}" for e in exprs], cells
    assert all(len(c) <= 33 for c in cells), cells
    # the answer alone tells them apart: what follows the start (the answer) shows it
    short = [f"{start} {v}." for v in values]
    assert response_cells(short, 33)[:2] == (["…False.", "…True.", "…False.", "…True."], "after")


async def test_samples_screen_shows_response_ends_when_starts_read_alike(
    long_store: Path,
) -> None:
    from capslice_tui.app.screens.samples import SamplesScreen

    app = make_app(long_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SamplesScreen("long", task="bbh_cot_fewshot_boolean_expressions"))
        await settle(app, pilot)
        await pilot.press("i")  # the whole legend (the short one: test_samples_legend_app.py)
        await pilot.pause()
        lines = screen_lines(app)
        assert any("resp. end" in ln for ln in lines), lines
        rows = [ln for ln in lines if "+ ok" in ln or "x no" in ln]
        assert len(rows) > 5 and all("answer is" in ln for ln in rows), rows
        assert any(ln.rstrip().endswith("answer is True.") for ln in rows), rows
        # the start they share is said whole above the status (a one-row status cut it)
        said = " ".join(" ".join(lines).split())
        assert "resp. end: the end of each response (every one starts 'Brackets are" in said
        assert "then or. Brackets are evaluated first" in said, said


def test_cli_samples_shows_response_ends_when_starts_read_alike(
    long_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from capslice_tui.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    out = CliRunner().invoke(main, ["--store", str(long_store), "samples", "--run", "long"])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert text.count("So the answer is") >= 10, out.output
    assert "response: the end of each (their starts read alike; all start 'Brackets" in text


@pytest.fixture(scope="module")
def math_demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's ``math-base`` run (AIME with 128 samples per item, the rest with 16)."""
    from capslice_tui.workspace import Workspace

    logs = Path(__file__).resolve().parents[2] / "sample_data" / "lm_eval" / "math-base"
    store = tmp_path_factory.mktemp("math-demo") / "store.db"
    Workspace(store).ingest([logs], run="math-base", benchmark="math")
    return store


async def test_two_axis_labels_win_over_an_extra_pass_at_k_column(math_demo_store: Path) -> None:
    from capslice_tui.app.screens.slices import SlicesScreen

    app = make_app(math_demo_store, ascii=True)
    # 77 columns: the longest label (40 characters since the demo's AIME remainders of explicit
    # powers are number_theory x modular_arithmetic; 43 before) leaves no room for p@128, as
    # 80 columns did with the old labels
    async with app.run_test(size=(SIZE[0] - 3, SIZE[1])) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("math-base", "math"))
        await settle(app, pilot)
        app.screen.set_grouping("task_type,solving_operation")
        await settle(app, pilot)
        lines = screen_lines(app)
        longest = "competition_problem & modular_arithmetic"
        assert any(ln.startswith(f" {longest} ") for ln in lines), lines
        header = next(ln for ln in lines if ln.startswith(" slice "))
        # one pass@k stays: the one every slice fills (p@128 needs AIME's 128 samples)
        assert "p@16" in header and "p@128" not in header and "warn" in header, header
        assert not any("~" in ln for ln in lines[2:-5]), lines
        row = next(i for i, ln in enumerate(lines) if "& modular_arithmetic " in ln)
        await pilot.press(*["down"] * (row - 3))
        await pilot.pause()
        detail = "\n".join(screen_lines(app)[-5:])
        assert "competition_problem & modular_arithmetic" in detail, detail
        assert "p@128 16.7%" in detail, detail  # the pass@k left out, on the detail line


async def test_slices_without_a_warning_leave_the_warn_column_to_the_labels(
    demo_names_store: Path,
) -> None:
    from capslice_tui.app.screens.slices import SlicesScreen

    app = make_app(demo_names_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.push_screen(SlicesScreen("bbh-eos-restored", "bbh"))
        await settle(app, pilot)
        header = next(ln for ln in screen_lines(app) if ln.startswith(" slice "))
        assert header.split() == ["slice", "items", "score", "95%", "CI", "c/n", "lenient"], header


def test_samples_task_column_never_shows_two_tasks_alike() -> None:
    """A slice of BBH's variants read ``logical_deduc~`` on every row (a plain cut at 14)."""
    from capslice_tui.app.screens.samples import TASK_WIDTH, task_cuts

    variants = [f"logical_deduction_{n}_objects" for n in ("five", "seven", "three")]
    assert task_cuts(variants) == ["…five_objects", "…seven_objects", "…three_objects"]
    mixed = ["boolean_expressions", *variants, "navigate"]
    cuts = task_cuts(mixed)
    assert len(set(cuts)) == len(mixed) and all(len(c) <= TASK_WIDTH for c in cuts), cuts
    # cut between words, never inside one (was boolean_expre…, lo…seven…jects)
    assert cuts == ["boolean…", "…five_objects", "…seven_objects", "…three_objects", "navigate"]
