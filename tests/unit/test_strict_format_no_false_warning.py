"""The strict-format caveat ("the score reflects capslice's strict answer format, not the
answers") is said only where the format costs score: the lenient score above the strict one.

Fixture ``tests/fixtures/strict_format_no_false_warning/word_sorting.jsonl`` (BBH outputs,
no correctness): 2 of 4 predictions end ``So the answer is ...`` (1 right), 2 are cut off in
``The second letter: ...``, which the strict extraction reads as nothing and the lenient one
reads as a (wrong) answer: strict 1/4, lenient 1/4, so no caveat.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace.strict_format import strict_format_caveat

FIXTURE = (
    Path(__file__).parents[1] / "fixtures" / "strict_format_no_false_warning" / "word_sorting.jsonl"
)
SHARED_COT = Path(__file__).parents[3] / "shared/data/bbh/outputs/code-davinci-002_cot.jsonl"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def test_wrong_lenient_answers_are_no_strict_format_caveat(ws: Workspace) -> None:
    report = ws.ingest([FIXTURE], run="ws", benchmark="bbh")
    assert report.scored_by_capslice == 4
    assert report.warnings == []
    (run,) = ws.runs()
    assert run["score_caveats"] == []
    assert ws.slices("ws").score_caveats == []
    rows, _ = ws.samples("ws", limit=10)
    assert sorted(r["score"] for r in rows) == [0.0, 0.0, 0.0, 1.0]  # strict 1/4
    ws.rescore("ws")  # a re-score counts the samples again: still none
    assert ws.runs()[0]["score_caveats"] == []


def test_the_caveat_needs_the_lenient_score_above_the_strict_one() -> None:
    # n=4, 2 strict failures the lenient extraction read, strict 1, lenient right 1 of 4
    assert strict_format_caveat("t", 4, 2, 1.0, 1.0, 4) == ""
    # one lenient sample more right: the format costs a sample
    assert "reflects capslice's strict answer format" in strict_format_caveat(
        "t", 4, 2, 1.0, 2.0, 4
    )
    # fewer lenient-scored samples: compared as scores, 1/2 > 1/4
    assert strict_format_caveat("t", 4, 2, 1.0, 1.0, 2) != ""
    assert strict_format_caveat("t", 4, 2, 2.0, 1.0, 2) == ""


@pytest.mark.skipif(not SHARED_COT.exists(), reason="../shared BBH outputs absent")
def test_bbh_word_sorting_40_4_percent_is_no_format_artefact(ws: Workspace) -> None:
    # code-davinci-002 CoT word_sorting: 101/250 (the authors' 40.4%); most cut-off outputs
    # are read by the lenient extraction as "The second letter: ...", never right
    report = ws.ingest([SHARED_COT], run="bbh-cot", benchmark="bbh")
    assert not [w for w in report.warnings if "word_sorting" in w]
    assert not [c for c in ws.runs()[0]["score_caveats"] if "word_sorting" in c]
