"""``capslice samples`` and the app's samples table show the same extracted cell for the same
sample: the harness's extraction as logged, cut to fit, ``-`` where there is none; the
sample's detail screen shows it so too (fresh-user walk: math-base's filter kept the whole
response; the CLI showed ``Reducing…``, the app ``142``; the detail left it blank)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pilot_helpers import SIZE, settle, static_text
from pilot_helpers import table_rows as rows

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.sample_detail import SampleDetailScreen
from capslice_tui.app.screens.samples import SamplesScreen
from capslice_tui.cli import main
from capslice_tui.formatting import NO_ANSWER, extracted_cell
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


def _cli_cells(store: Path, run: str) -> dict[str, str]:
    """Sample id -> the CLI's extracted cell (up to the next column's start)."""
    res = CliRunner().invoke(
        main, ["--store", str(store), "samples", "--run", run, "--limit", "100"],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("id "))
    header = lines[head]
    at = header.index("extracted")
    after = at + len("extracted")
    end = header.index(header[after:].split()[0], after)  # the next column's start
    body = [line for line in lines[head + 1 :] if line[:1].isdigit()]
    return {line.split()[0]: line[at:end].strip() for line in body}


def _same(app_cell: str, cli_cell: str) -> bool:
    """One logged answer, each cut to its table's width (the CLI's is 16 characters): from
    the right, or from the left up to a box's closing brace (``…is $\\boxed{142}``)."""
    if app_cell.startswith("…") or cli_cell.startswith("…"):
        a, c = (x[: x.rfind("}") + 1].lstrip("…") for x in (app_cell, cli_cell))
        return "}" in app_cell + cli_cell and (a.endswith(c) or c.endswith(a))
    a, c = app_cell.removesuffix("…"), cli_cell.removesuffix("…")
    return a.startswith(c) or c.startswith(a)


async def test_cli_and_app_show_the_same_extracted_cell(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    ws = Workspace(store)
    for run, bench, step in (("math-base", "math", 100_000), ("bbh-eos-masked", "bbh", 110_000)):
        ws.ingest([sample_data_dir() / "lm_eval" / run], run=run, benchmark=bench, step=step)
    app = make_app(store, workspace=ws)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for run in ("math-base", "bbh-eos-masked"):
            cli = _cli_cells(store, run)
            screen = SamplesScreen(run, title="all samples")
            await app.push_screen(screen)
            await settle(app, pilot)
            at = screen.columns.index("extracted")
            for row, cells in zip(screen.rows, rows(app), strict=True):
                logged = row.get("extracted")
                assert cells[at] == extracted_cell(logged, screen.value_width), (row, cells)
                assert _same(cells[at], cli[str(row["id"])]), (cells[at], cli[str(row["id"])])
                assert (cells[at] == NO_ANSWER) == (cli[str(row["id"])] == NO_ANSWER)
            if run == "math-base":  # the filter kept the whole response: its last box
                first = screen.rows[0]
                assert len(str(first["extracted"])) > 24 and "boxed" in str(first["extracted"])
                assert rows(app)[0][at].startswith("…"), rows(app)[0]
                assert rows(app)[0][at].endswith("{142}"), rows(app)[0]
            else:
                assert any(c[at] == NO_ANSWER for c in rows(app))  # none extracted
                none = next(r for r in screen.rows if not (r.get("extracted") or "").strip())
                await app.push_screen(SampleDetailScreen(int(none["id"])))
                await settle(app, pilot)
                summary = " ".join(static_text(app, "#summary").split())
                assert f"extracted (harness): {NO_ANSWER} " in summary, summary
                await app.pop_screen()
            await app.pop_screen()
            await settle(app, pilot)
