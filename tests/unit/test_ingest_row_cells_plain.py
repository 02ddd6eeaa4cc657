"""A sample row's lenient-answer cell is the answer's text as a plain ``str``: a worker's
chunk pickles no ``ExtractedAnswer`` (its ``__reduce__``, and a Python ``__new__`` per row
in the ingest's process), and the stored text is the same."""

import pickle

from capslice_tui.ingest.scoring import ExtractedAnswer
from capslice_tui.workspace.ingest import _cells_of
from capslice_tui.workspace.rescore import score_sample


def test_lenient_cell_is_a_plain_str_with_the_same_text() -> None:
    scored = score_sample(
        "Let us think. So the answer is False.", "True", "true_false", official=0.0, extracted=None
    )
    assert type(scored.lenient_extracted) is ExtractedAnswer  # what the scorer returns
    cell = _cells_of(scored)[2][2]
    assert type(cell) is str
    assert cell == scored.lenient_extracted
    assert b"ExtractedAnswer" not in pickle.dumps(_cells_of(scored)[1:])
    assert _cells_of(scored)[0] is scored  # the step stays on the score
