"""``d`` on the runs screen after a comparison: going back from compare and pressing d
diagnoses the pair that was compared (the base mark is spent by the comparison), and the
screen says which mode runs. Pilot at 80x24 on the app tests' store (base, cand: bbh;
mathrun: math)."""

from __future__ import annotations

from pathlib import Path

from pilot_helpers import SIZE, settle, static_text

from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.app.screens.diagnose import DiagnoseScreen
from capslice_tui.app.screens.runs import RunsScreen, diagnose_note, diagnose_target


def test_diagnose_target_rules() -> None:
    pair = ("base", "cand", "bbh")
    # a marked base wins
    assert diagnose_target(("base", "bbh"), None, ("cand", "bbh")) == ("base", "cand")
    # after a comparison: either run of the pair diagnoses the pair
    assert diagnose_target(None, pair, ("cand", "bbh")) == ("base", "cand")
    assert diagnose_target(None, pair, ("base", "bbh")) == ("base", "cand")
    # another run, or the same run on another benchmark: that run alone
    assert diagnose_target(None, pair, ("mathrun", "math")) == ("mathrun", None)
    assert diagnose_target(None, pair, ("cand", "math")) == ("cand", None)
    assert diagnose_target(None, None, ("cand", "bbh")) == ("cand", None)
    # a base marked since the comparison is the newer choice: on the base itself, that run
    # alone (was the old pair); on another benchmark, the highlighted run alone
    assert diagnose_target(("base", "bbh"), pair, ("base", "bbh")) == ("base", None)
    assert diagnose_target(("cand", "bbh"), pair, ("base", "bbh")) == ("cand", "base")
    assert diagnose_target(("mathrun", "math"), pair, ("cand", "bbh")) == ("cand", None)


def test_diagnose_note_says_what_d_opens() -> None:
    cur = ("cand", "bbh")
    assert diagnose_note(("base", "bbh"), ("base", "cand"), cur) is None  # the status says
    assert diagnose_note(None, ("base", "cand"), cur) == (
        "diagnosing the pair you compared, base -> cand (for cand alone: x on the runs "
        "screen forgets the pair, then d)"
    )
    assert diagnose_note(("cand", "bbh"), ("cand", None), cur) == (
        "diagnosing cand alone (its weaknesses): it is the base; d on another bbh run "
        "diagnoses the change from it"
    )
    assert diagnose_note(("mathrun", "math"), ("cand", None), cur) == (
        "diagnosing cand alone (its weaknesses): the base mathrun is on math, not bbh"
    )
    assert diagnose_note(None, ("cand", None), cur) == (
        "diagnosing cand alone (its weaknesses); c marks a base for a change"
    )


async def test_d_after_compare_diagnoses_the_compared_pair(store_path: Path) -> None:
    app = make_app(store_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in ("c", "down", "c"):  # base, then candidate: the comparison opens
            await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert isinstance(app.screen, RunsScreen)
        assert "d: diagnose base -> cand" in static_text(app, "#status")  # what d will diagnose
        await pilot.press("d")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DiagnoseScreen)
        assert (screen.base, screen.cand) == ("base", "cand")
        await settle(app, pilot)
        assert "change: base base -> cand cand" in static_text(app, "#summary")
        # not silent: d says it took the compared pair and how to get one run alone
        said = [str(n.message) for n in app._notifications]
        assert (
            "diagnosing the pair you compared, base -> cand (for cand alone: x on the runs "
            "screen forgets the pair, then d)" in said
        ), said
        await pilot.press("escape")
        await settle(app, pilot)
        # another run: diagnosed alone, and the app says so
        await pilot.press("down")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DiagnoseScreen) and app.screen.cand is None
        assert app.screen.base == "mathrun"
        await pilot.press("escape")
        await settle(app, pilot)
        # x forgets the pair: d on cand is cand alone
        await pilot.press("up", "x", "d")
        await pilot.pause()
        assert isinstance(app.screen, DiagnoseScreen)
        assert (app.screen.base, app.screen.cand) == ("cand", None)
        await settle(app, pilot)
