"""A samples table's cut answer keeps the answer (walk 14): ``$\\boxed{394}$`` in the app's
10-character extracted column at 80 columns read ``$\\boxed{…``; and a response column whose
starts tell rows apart only by a cut answer (``…So the answer is Fals…``) shows the ends."""

from __future__ import annotations

from capslice_tui.formatting import answer_cell, extracted_cell, response_cells


def test_a_boxed_answer_cut_keeps_the_box_content() -> None:
    assert extracted_cell("$\\boxed{394}$", 10) == "…oxed{394}"
    assert extracted_cell("$\\boxed{394}$", 9) == "…xed{394}"
    assert extracted_cell("$\\boxed{394}$", 5) == "394"  # no room for the brace: the content
    assert extracted_cell("$\\boxed{394}$", 13) == "$\\boxed{394}$"  # fits: unchanged
    # a filter that kept the whole response: its last box, not its start
    whole = "Reducing modulo 1000 gives 282. So the answer is $\\boxed{142}$."
    assert extracted_cell(whole, 16) == "…is $\\boxed{142}"
    # a content longer than the column is cut as any answer (never inside a number)
    assert answer_cell("$\\boxed{\\frac{1}{2}+\\sqrt{3}}$", 9) == "\\frac{1}…"
    # no box: as before
    assert answer_cell("4, and this kind of thing", 10) == "4, and…"


def test_response_ends_shown_where_starts_cut_the_answer() -> None:
    rows = [f"Let us count carefully, step {i}. So the answer is {a}." for i, a in
            enumerate(["False", "wrong1", "True", "False"])]  # fmt: skip
    answers = ["False", "wrong1", "True", "False"]
    cells, view, _ = response_cells(rows, 45, answers=answers)
    assert view in ("after", "end"), cells
    assert all(c.rstrip(".").endswith(a) for c, a in zip(cells, answers, strict=True)), cells
    # without answers (or where the starts show them whole) the starts stay
    assert response_cells(rows, 45)[1] == "start"
    assert response_cells(rows, 80, answers=answers)[1] == "start"
