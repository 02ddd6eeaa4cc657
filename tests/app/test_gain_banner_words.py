"""The app's verdict banner words a gain as a gain, as the CLI's heading does (walk W5:
math-base -> math-targeted read '(wrong answers, localized in a few content slices)' under
DATA while the CLI said 'DATA (localized answers turning right)')."""

from capslice_tui.app.screens.diagnose import verdict_banner


def test_gain_banner_says_answers_turning_right() -> None:
    gain = verdict_banner("data", "localized_wrong_answers", "change", "gain").plain
    assert "answers turning right" in gain and "wrong answers" not in gain
    drop = verdict_banner("data", "localized_wrong_answers", "change", "drop").plain
    assert "wrong answers, localized in a few content slices" in drop
