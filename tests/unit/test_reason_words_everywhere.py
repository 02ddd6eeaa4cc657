"""Every reason a diagnosis can give has words wherever a reason is worded.

The plan's table of reason words lacked ``identical_responses`` (one evaluation stored twice:
``workspace.pairs.identical_responses``, rule 7 of ``analysis.verdict``), so a plan kept by
that diagnosis read ``the diagnosis is inconclusive (identical responses)``, the token with its
underscores swapped, where every other reason reads as a sentence. The reasons are read from
the source (each ``Verdict(...)`` the analysis and the facade build), so a reason added later
without words fails here, not in front of a user.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.planning.export import export_markdown
from capslice_tui.planning.mixture import (
    GAIN_REASON_WORDS,
    ONE_RUN_REASON_WORDS,
    REASON_WORDS,
    build_plan,
    diagnosis_words,
)
from capslice_tui.report import verdict_reason
from capslice_tui.taxonomy.catalog import parse_catalog
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import parse_mapping

PACKAGE = Path(__file__).resolve().parents[2] / "capslice_tui"
CATALOG = """
cells:
  - {id: math_tut, source: OpenWebMath, domain: "Science & Technology", format: Tutorial, quality: 4, tokens: 1000, weight: 0.2, path: /d/math_tut}
  - {id: web_a, source: CommonCrawl, domain: Entertainment, format: Personal Blog, quality: 1, tokens: 100000, weight: 0.8, path: /d/web_a}
"""
MAPPING = """
version: 1
data_rules:
  - id: tut
    when: {solving_operation: modular_arithmetic}
    select: {format: Tutorial}
    weight: 1.0
    rationale: worked congruences
"""


def _reason_of(call: ast.Call) -> ast.expr | None:
    """The ``reason`` argument of a ``Verdict(verdict, summary, causes, evidence, slices,
    reason)`` call: by keyword or sixth positional."""
    for kw in call.keywords:
        if kw.arg == "reason":
            return kw.value
    return call.args[5] if len(call.args) > 5 else None


def diagnosis_reasons() -> set[str]:
    """Every reason token a ``Verdict`` is built with in the analysis or the workspace, read
    from the source; a reason that is not a literal fails (it could not be enumerated)."""
    found: set[str] = set()
    for path in [*(PACKAGE / "analysis").glob("*.py"), *(PACKAGE / "workspace").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id == "replace" and any(k.arg == "reason" for k in node.keywords):
                pytest.fail(f"{path.name}:{node.lineno}: a reason set by replace()")
            if node.func.id != "Verdict":
                continue
            reason = _reason_of(node)
            assert isinstance(reason, ast.Constant) and isinstance(reason.value, str), (
                f"{path.name}:{node.lineno}: a Verdict without a literal reason"
            )
            found.add(reason.value)
    return found


REASONS = sorted(diagnosis_reasons())


def app_reason_keys() -> set[str]:
    """The reasons the app's verdict banner words (``REASON_TEXT`` in the diagnose screen),
    read from its source: the unit tests import no Textual."""
    tree = ast.parse((PACKAGE / "app" / "screens" / "diagnose.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "REASON_TEXT" for t in node.targets
        ):
            assert isinstance(node.value, ast.Dict)
            return {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    raise AssertionError("no REASON_TEXT in app/screens/diagnose.py")


def test_the_enumeration_finds_every_documented_reason() -> None:
    assert {
        "evaluation_changed", "weak_evidence", "format_failures", "localized_wrong_answers",
        "broad_capability", "format_concentrated", "mixed_causes", "not_a_checkpoint_pair",
        "identical_responses", "no_weak_content_slice", "no_finer_slice",
        "evaluation_sensitive",
    } <= set(REASONS)  # fmt: skip


def _is_words(text: str, reason: str) -> bool:
    """Words, not the token: no underscore and not the token with spaces for underscores."""
    return "_" not in text and text.strip() != reason.replace("_", " ")


@pytest.mark.parametrize("reason", REASONS)
def test_plan_words_every_reason(reason: str) -> None:
    assert reason in REASON_WORDS, f"{reason}: no words in planning.mixture.REASON_WORDS"
    for words in (REASON_WORDS[reason], GAIN_REASON_WORDS.get(reason, "x"),
                  ONE_RUN_REASON_WORDS.get(reason, "x")):  # fmt: skip
        assert _is_words(words, reason), words
    for kwargs in ({}, {"one_run": True}, {"direction": "gain"}, {"direction": "none"}):
        text = diagnosis_words("inconclusive", reason, **kwargs)  # type: ignore[arg-type]
        inner = text.partition("(")[2].rstrip(")")
        assert _is_words(inner, reason), (kwargs, text)


@pytest.mark.parametrize("reason", REASONS)
def test_the_app_banner_words_every_reason(reason: str) -> None:
    """The banner drops a reason it has no words for (no crash, no raw key): the report of a
    missing one, since the app is not this test's to edit."""
    assert reason in app_reason_keys(), f"{reason}: the app's verdict banner has no words"


@pytest.mark.parametrize("reason", REASONS)
def test_headings_show_no_raw_key(reason: str) -> None:
    """The CLI's ``VERDICT: X (reason)`` and the report's ``## Verdict`` heading."""
    for diag in ({"reason": reason, "verdict": "data", "mode": "change"},
                 {"reason": reason, "verdict": "data", "mode": "weakness"}):  # fmt: skip
        heading = verdict_reason(diag)
        assert heading.startswith(" (") and "_" not in heading, heading


def _plan(reason: str) -> Any:
    tax = load_data_taxonomy()
    catalog = parse_catalog(CATALOG, "cat.yaml", tax)
    rules = parse_mapping(MAPPING, "map.yaml", load_taxonomy().axes, tax)
    weak = {"slice": {"solving_operation": "modular_arithmetic"}, "deficit": -0.3,
            "p_adjusted": 0.001, "wrong_answer_share": 0.9,
            "dominant_failure_mode": "wrong_answer", "n_items": 30, "score": 0.3}  # fmt: skip
    return build_plan(
        [weak], rules, catalog, 1000, verdict="inconclusive", reason=reason,
        baseline="a -> b", benchmark="bbh",
    )  # fmt: skip


@pytest.mark.parametrize("reason", REASONS)
def test_a_kept_plan_says_the_reason_in_words(reason: str) -> None:
    """The plan's summary, its excluded slice, its Markdown export and its JSON."""
    plan = _plan(reason)
    words = REASON_WORDS[reason]
    assert words in plan.summary, plan.summary
    assert any(words in r for r in plan.slices[0].reasons), plan.slices[0].reasons
    assert words in export_markdown(plan)
    assert reason not in plan.summary and reason not in export_markdown(plan)
    assert words in json.dumps(plan.to_dict())  # capslice plan --format json
