"""A change's interval whose lower bound lies just below 0 never prints '+0.0' (walk 19 F1:
intervention #3's 'DiD +5.6 points [+0.0, +11.5]' with did_low -0.000327 and p 0.052 read
as an interval excluding 0)."""

from capslice_tui.analysis.outcome import did_text, uncontrolled_text
from capslice_tui.formatting import change_span


def test_bound_just_below_zero_keeps_its_sign() -> None:
    assert change_span(-0.000327, 0.115) == "[-0.03, +11.5]"
    assert change_span(-0.00000001, 0.115) == "[-<0.01, +11.5]"
    assert change_span(0.0, 0.115) == "[+0.0, +11.5]"
    assert change_span(0.139, 0.25) == "[+13.9, +25.0]"


def test_did_and_uncontrolled_sentences_use_it() -> None:
    did = {"target_change": 0.2, "control_change": 0.144, "did": 0.056, "did_low": -0.000327,
           "did_high": 0.115}  # fmt: skip
    assert did_text(did).endswith("DiD +5.6 points [-0.03, +11.5]")
    u = {"n_items": 40, "base_score": 0.2, "cand_score": 0.256, "diff": 0.056,
         "diff_low": -0.000327, "diff_high": 0.115, "test": "mcnemar-exact", "p_value": 0.052}  # fmt: skip
    assert "(+5.6 points [-0.03, +11.5]," in uncontrolled_text(u)


def test_app_detail_names_the_expected_effect() -> None:
    from capslice_tui.app.screens.interventions import detail_text

    rec = {"id": 3, "title": "t", "status": "proposed", "version": 1, "hypothesis": "h",
           "target_slices": [], "control_slices": [], "baseline_run": "b", "result_run": None,
           "author": "me", "expected_effect": 0.05}  # fmt: skip
    assert "expected effect: +5.0 points on the targets" in detail_text(rec)
    assert "expected effect" not in detail_text({**rec, "expected_effect": None})
