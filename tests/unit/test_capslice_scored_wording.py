"""A sample capslice scored itself never names an official extraction (walk 9, #17).

A generic file (or a log without a score) is scored by capslice's strict extraction; its
failure reasons said ``official extraction gave no answer`` where no official extraction
exists. They name capslice's strict extraction and say the log has no official score; samples
the harness scored keep the official wording.
"""

from __future__ import annotations

from pathlib import Path

from capslice_tui.analysis.failure_modes import classify
from capslice_tui.workspace import Workspace


def test_a_generic_file_names_capslices_strict_extraction(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    # "Answer: 4" is no official format (strict reads nothing), the lenient extraction reads it
    path.write_text("id,response,target\n1,Answer: 4,4\n2,no idea,5\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([path], run="b")
    first, second = ws.sample(1), ws.sample(2)
    assert first["score_source"] == "capslice-strict"
    assert first["failure_reason"] == (
        "answer present: lenient extraction found '4' (last 'Answer:' statement) but "
        "capslice's strict extraction gave no answer (the log has no official score for this "
        "sample)"
    )
    assert "official extraction" not in second["failure_reason"]
    assert (
        "capslice's strict extraction returned nothing; the log has no official score"
        in (second["failure_reason"])
    )


def test_the_harness_scored_sample_keeps_the_official_wording() -> None:
    args = ("The answer is 4", "4", False, None, "integer")
    kwargs = {"lenient_answer": "4", "lenient_correct": True}
    official = classify(*args, **kwargs).reason
    ours = classify(*args, **kwargs, capslice_scored=True).reason
    assert official.endswith("but official extraction gave no answer")
    assert ours.endswith("but capslice's strict extraction gave no answer (the log has no "
                         "official score for this sample)")  # fmt: skip
    stop = classify("The answer is 4\nQ: next", "4", False, "5", "integer",
                    lenient_answer="4", lenient_correct=True, capslice_scored=True)  # fmt: skip
    assert stop.mode == "runaway" and "harness" not in stop.reason
    assert "capslice's strict extraction gave '5'" in stop.reason
