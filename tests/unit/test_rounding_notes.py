"""Parts shown beside their total in points say so when, rounded separately, they do not add
up to it: the demo's format failures (-35.2 - 20.8 - 6.0 beside -62.1) and an intervention's
DiD (-1.8 - +10.6 beside -12.3), the same words in the CLI, the app and the report."""

from __future__ import annotations

from types import SimpleNamespace

from capslice_tui.formatting import ROUNDED_SEPARATELY, rounding_note

DEMO_MODES = {"truncated": -169 / 480, "extraction_failure": -100 / 480, "runaway": -29 / 480}


def test_rounding_note_only_when_the_printed_parts_miss_the_printed_total() -> None:
    total = sum(DEMO_MODES.values())  # -62.08 points: -62.1; the parts print -62.0
    assert rounding_note(DEMO_MODES.values(), total) == ROUNDED_SEPARATELY
    assert rounding_note([0.34, -0.621], -0.281) == ""  # +34.0 - 62.1 = -28.1
    assert rounding_note([None], 0.1) == "" and rounding_note([0.1], None) == ""
    # a DiD: target -1.8 (exact -1.84), control +10.6 (exact +10.56 -> 10.6), DiD -12.4?
    target, control = -0.0184, 0.1056
    did = target - control  # -12.40: -12.4 printed = -1.8 - 10.6: no note
    assert rounding_note([target, -control], did) == ""
    target, control = -0.0176, 0.1056  # -1.8, +10.6, DiD -12.32 -> -12.3: the trial's case
    assert rounding_note([target, -control], target - control) == ROUNDED_SEPARATELY


def _dec() -> SimpleNamespace:
    fmt = sum(DEMO_MODES.values())
    wrong = 163 / 480
    return SimpleNamespace(
        mode_contributions={**DEMO_MODES, "empty": 0.0},
        format_contribution=fmt,
        wrong_answer_contribution=wrong,
        total_change=fmt + wrong,
    )


def test_the_format_evidence_and_sentence_say_the_modes_are_rounded_separately() -> None:
    from capslice_tui.analysis.verdict_wording import _format_parts, _share_text

    dec = _dec()
    parts = _format_parts(dec)  # type: ignore[arg-type]
    assert parts.endswith("; parts rounded separately"), parts
    share = _share_text(dec, dec.format_contribution, dec.wrong_answer_contribution, "wrong")  # type: ignore[arg-type]
    assert share.startswith("modes' points rounded separately; "), share
    wrong = _share_text(dec, dec.wrong_answer_contribution, dec.format_contribution, "fmt")  # type: ignore[arg-type]
    assert "rounded" not in wrong  # the wrong-answer part lists no modes


def _outcome(target: float, control: float) -> dict:
    return {
        "rows": [{"role": "target"}, {"role": "target"}],
        "did": {
            "target_change": target, "target_low": target - 0.05, "target_high": target + 0.05,
            "control_change": control, "control_low": control - 0.05,
            "control_high": control + 0.05, "did": target - control, "did_low": -0.2,
            "did_high": -0.05, "method": "bootstrap", "random_state": 0, "n_target": 40,
            "n_control": 60, "p_value": 0.01,
        },
    }  # fmt: skip


def test_cli_and_app_did_lines_note_the_rounding_alike() -> None:
    from capslice_tui.app.screens.interventions import did_lines
    from capslice_tui.cli.plan import change_note

    missed = _outcome(-0.0176, 0.1056)  # -1.8, +10.6, DiD -12.3
    assert change_note(missed).endswith(f"; {ROUNDED_SEPARATELY}")  # type: ignore[arg-type]
    assert any(ROUNDED_SEPARATELY in line for line in did_lines(missed))
    fine = _outcome(-0.0184, 0.1056)  # -1.8, +10.6, DiD -12.4
    assert ROUNDED_SEPARATELY not in change_note(fine)  # type: ignore[arg-type]
    assert not any(ROUNDED_SEPARATELY in line for line in did_lines(fine))
