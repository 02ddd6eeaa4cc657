"""The app and the CLI give the same diagnosis for the same input, on the demo's EOS story,
along a fresh user's path: ``c`` on bbh-base, ``c`` on bbh-eos-masked (compare opens), back,
``d`` (the compared pair), back, ``x`` then ``d`` (bbh-eos-masked alone, weakness mode).

A walk on an old build saw ``INCONCLUSIVE (no content slice is significantly weaker)`` for
bbh-eos-masked alone, silent on its format failures, while today's CLI said
``NOT_DATA (format failures)``: the app must read the same verdict, reason and summary as
``capslice diagnose --format json``. Pilot at 80x24 under the ASCII console."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.runs import RunsScreen
from capslice_tui.cli import main

DEMO = Path(__file__).resolve().parents[2] / "sample_data" / "lm_eval"


@pytest.fixture(scope="module")
def eos_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's bbh-base and bbh-eos-masked runs (480 BBH items each, greedy)."""
    from capslice_tui.workspace import Workspace

    store = tmp_path_factory.mktemp("eos-demo") / "store.db"
    ws = Workspace(store)
    ws.ingest([DEMO / "bbh-base"], run="bbh-base", benchmark="bbh", step=100000)
    ws.ingest([DEMO / "bbh-eos-masked"], run="bbh-eos-masked", benchmark="bbh", step=110000)
    return store


def shares_over_100(text: str) -> list[str]:
    """Every percentage above 100% in ``text`` (a part of a net change said as a share of it
    read '236.3% of the net -28.1 points')."""
    return [x for x in re.findall(r"(\d+(?:\.\d+)?)%", text) if float(x) > 100]


def cli_text(store: Path, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == 0, res.output
    return res.output


def cli_diagnosis(store: Path, *runs: str) -> dict[str, Any]:
    """``capslice diagnose RUNS --benchmark bbh --format json`` as a dict."""
    args = ["--store", str(store), "diagnose", *runs, "--benchmark", "bbh", "--format", "json"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return dict(json.loads(res.output))


def assert_same(screen: DiagnoseScreen, cli: dict[str, Any]) -> None:
    assert screen.data is not None
    for key in ("verdict", "reason", "summary", "mode"):
        assert screen.data.get(key) == cli.get(key), key
    assert screen.filter_label == cli["filter"]  # the answers read


async def test_app_and_cli_diagnose_the_eos_story_alike(eos_store: Path) -> None:
    pair = cli_diagnosis(eos_store, "bbh-base", "bbh-eos-masked")
    alone = cli_diagnosis(eos_store, "bbh-eos-masked")
    assert (pair["verdict"], pair["reason"]) == ("not_data", "format_failures")
    assert (alone["verdict"], alone["reason"]) == ("not_data", "format_failures")
    app = make_app(eos_store, ascii=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in ("c", "down", "c"):
            await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("b")
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("d")  # right after the compare: the compared pair
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiagnoseScreen) and screen.data is not None
        assert (screen.base, screen.cand) == ("bbh-base", "bbh-eos-masked")
        assert_same(screen, pair)
        assert "N O T   A   D A T A" in static_text(app, "#verdict")
        # gains offset the format failures' -41.7 points: never said as a share over 100%
        assert not shares_over_100(static_text(app, "#summary"))
        head = static_text(app, "#summary").splitlines()[0]
        names = "base bbh-base -> cand bbh-eos-masked"  # formatting.run_pair, as the CLI
        assert head == f"change: {names} · bbh · filter get-answer", head
        await pilot.press("b")
        await settle(app, pilot)
        await pilot.press("x", "d")  # the pair forgotten: bbh-eos-masked alone
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DiagnoseScreen) and screen.data is not None
        assert (screen.base, screen.cand) == ("bbh-eos-masked", None)
        assert_same(screen, alone)
        banner = static_text(app, "#verdict")
        assert "N O T   A   D A T A" in banner and "format failures" in banner, banner
        assert "format failures are 41.7% of the items (200/480 items)" in " ".join(
            static_text(app, "#summary").split()
        )


def test_evidence_without_a_value_reads_as_the_cli_prints_it() -> None:
    from capslice_tui.app.screens.diagnose import evidence_line

    modes = {"name": "failure modes overall", "value": None, "unit": "", "detail": "correct 31.5%"}
    assert evidence_line(modes) == "failure modes overall: correct 31.5%"
    share = {"name": "format share", "value": 97.0, "unit": "%", "detail": "of the failures"}
    assert evidence_line(share) == "format share: 97.0% (of the failures)"
    assert evidence_line({**share, "detail": ""}) == "format share: 97.0%"


def test_no_share_over_100_percent_in_the_cli_or_the_report(eos_store: Path) -> None:
    pair = ("bbh-base", "bbh-eos-masked")
    for fmt in ("table", "md"):
        text = cli_text(eos_store, "diagnose", *pair, "--format", fmt)
        flat = " ".join(text.split())  # the phrase may wrap
        assert "more than the net -28.1 points" in flat and not shares_over_100(text), fmt
    assert not shares_over_100(cli_text(eos_store, "report", *pair))
