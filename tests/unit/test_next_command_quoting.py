"""The `next:` command after a diagnosis is valid shell: run names are quoted, and a quoted
name holding ` --` is not broken into a continuation line (walk 11)."""

from __future__ import annotations

import shlex

from capslice_tui.report import command_lines, diagnosis_next


def _diag(base: str, cand: str | None) -> dict:
    return {"base": base, "cand": cand, "verdict": "data", "direction": "drop",
            "benchmark": "gsm8k", "slices": [{}]}  # fmt: skip


def test_run_names_with_spaces_are_quoted() -> None:
    step = diagnosis_next(_diag("ckpt a", "ckpt b"))
    assert step is not None
    words = shlex.split(step["command"])
    assert words[words.index("--baseline") + 1] == "ckpt a"
    assert words[words.index("--candidate") + 1] == "ckpt b"


def test_a_name_holding_an_option_is_not_broken() -> None:
    command = diagnosis_next(_diag("x --y", "z"))["command"]  # type: ignore[index]
    lines = command_lines(command, 40)
    pasted = " ".join(line.rstrip(" \\") for line in lines).removeprefix("next: ")
    assert shlex.split(pasted) == shlex.split(command)
    assert not any(line.strip().startswith("--y") for line in lines)
    assert all(len(line) <= 40 for line in lines if "--catalog" not in line)
