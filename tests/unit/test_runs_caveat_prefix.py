"""`capslice runs` names a caveat's task once when the task is named as its run (walk 12 #10:
`evals: warning: evals: the score ...`)."""

from __future__ import annotations

from capslice_tui.cli.root import _caveat_note


def test_a_task_named_as_its_run_is_said_once() -> None:
    assert _caveat_note("evals", "evals: the score is capslice's") == (
        "evals: warning: the score is capslice's"
    )


def test_another_task_keeps_its_name() -> None:
    assert _caveat_note("sc", "gsm8k: the score is capslice's") == (
        "sc: warning: gsm8k: the score is capslice's"
    )
    assert _caveat_note("ev", "evals: x") == "ev: warning: evals: x"
