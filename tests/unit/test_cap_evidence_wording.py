"""diagnose's "samples at the generation cap" evidence says what it counts besides truncated
samples, from the cap hits by mode, not a fixed sentence.

Since 6306b16 a cap hit is classed by what its text holds: a complete wrong answer that ran
on to the cap is a wrong_answer, a right answer not extracted an extraction_failure, a loop a
runaway. The line named extraction_failure alone (the demo's bbh-eos-masked: 119 of its 310
cap hits are wrong answers); it now names each mode other than truncated that hit the cap.
"""

from __future__ import annotations

from pathlib import Path

from capslice_tui.analysis.verdict_wording import _signal_evidence
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

CAP = "samples at the generation cap"
WRONG = "wrong_answer (a complete wrong answer, then the text ran on to the cap)"
EXTRACTION = "extraction_failure (the right answer is in the text but was not extracted)"
LOOP = "runaway (a loop the cap cut)"


def _cap_detail(cap_modes: dict[str, float] | None) -> str:
    hits = int(sum((cap_modes or {}).values())) or 5
    signals = {"n": 100, "cap": hits, "new_block": 0, "stop_literal": 0, "repetition": 0}
    _, ev = _signal_evidence(None, signals, None, cap_modes, who="the run")
    return next(e.detail for e in ev if e.name == CAP)


def test_cap_line_names_the_modes_that_hit_the_cap() -> None:
    detail = _cap_detail({"wrong_answer": 7, "truncated": 3})
    assert WRONG in detail and "extraction_failure (" not in detail, detail
    assert detail.endswith("cap hits by mode: the run 7 wrong_answer + 3 truncated"), detail
    # most first, truncated itself never explained
    detail = _cap_detail({"runaway": 2, "extraction_failure": 5, "wrong_answer": 1})
    assert detail.index(EXTRACTION) < detail.index(LOOP) < detail.index(WRONG), detail
    only_cut = _cap_detail({"truncated": 4})
    assert "every one here is truncated" in only_cut and "wrong_answer" not in only_cut
    # no counts by mode: what a cap hit can be classed as, in general
    general = _cap_detail(None)
    assert "every mode, not only truncated ones" in general
    assert "wrong_answer when it gave a complete wrong answer" in general


def test_demo_eos_masked_cap_line_counts_its_wrong_answers(tmp_path: Path) -> None:
    """The demo's story 1: 119 wrong_answer + 89 extraction_failure + 73 truncated + 29
    runaway samples of bbh-eos-masked hit the cap."""
    ws = Workspace(tmp_path / "capslice.db")
    for name in ("bbh-base", "bbh-eos-masked"):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="bbh")
    for diag in (ws.diagnose("bbh-base", "bbh-eos-masked", benchmark="bbh"),
                 ws.diagnose("bbh-eos-masked", benchmark="bbh")):  # fmt: skip
        ev = next(e for e in diag.to_dict()["evidence"] if e["name"] == CAP)
        detail = ev["detail"]
        assert f"{WRONG}, {EXTRACTION}, {LOOP}" in detail, detail
        assert "119 wrong_answer + 89 extraction_failure + 73 truncated + 29 runaway" in detail
