"""Checkpoints of one model are one model: the trend's "runs of different models" warning
ignores a trailing step/checkpoint suffix (the demo's ``demo-1b-step100000`` and
``demo-1b-step120000``) and a run continued from a model under a longer name (the demo's
``demo-1b-eosmask-step110000``: one lineage), and still fires for really different models."""

from __future__ import annotations

from typing import Any

import pytest

from capslice_tui.workspace.trend import _ordered_runs, model_family


class _Runs:
    """A store stand-in: ``get_run`` of runs given as name -> (model, step)."""

    def __init__(self, runs: dict[str, tuple[str | None, int]]) -> None:
        self.runs = runs

    def get_run(self, name: str) -> dict[str, Any]:
        model, step = self.runs[name]
        return {"name": name, "model": model, "step": step}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("demo-org/demo-1b-step100000", "demo-org/demo-1b-step120000"),
        ("org/m/global_step1000", "org/m/global_step2000"),
        ("m-ckpt-2000", "m-ckpt3000"),
        ("m-20k", "m-40k"),
        ("m-20000", "m-40000"),
        ("m_iter500", "m_iter1000"),
        ("out/checkpoint-500", "out/checkpoint-1000"),
        ("M-STEP100", "M-step200"),
        ("demo-org/demo-1b-step100000", "demo-org/demo-1b-eosmask-step110000"),
    ],
)
def test_names_that_differ_only_by_a_step_suffix_are_one_model(a: str, b: str) -> None:
    order, warnings = _ordered_runs(_Runs({"x": (a, 1), "y": (b, 2)}), ["x", "y"])
    assert [r.name for r in order] == ["x", "y"]
    assert not [w for w in warnings if "different models" in w], warnings


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("demo-org/demo-1b-eosmask-step110000", "demo-org/demo-1b-mathfix-step120000"),
        ("gpt-3", "gpt-4"),
        ("llama-2-7b", "llama-2-13b"),
        ("org/a-step100", "org/b-step100"),
        ("demo-org/demo-1b-step100000", None),
    ],
)
def test_really_different_models_still_warn(a: str, b: str | None) -> None:
    assert model_family(a) != model_family(b)
    _, warnings = _ordered_runs(_Runs({"x": (a, 1), "y": (b, 2)}), ["x", "y"])
    assert any("runs of different models" in w for w in warnings), warnings
