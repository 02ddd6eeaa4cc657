"""One cutter for the names of a column, CLI and app alike: BBH's task variants
(``logical_deduction_three_objects`` / ``five_objects`` / ``seven_objects``) stay apart and
recognisable at 80 columns, keeping the word where they differ with the name's end."""

from __future__ import annotations

from capslice_tui.app.format import fit_parts
from capslice_tui.cli.render import READABLE_NAME_WIDTH, _fit_layout
from capslice_tui.formatting import distinct_cuts

VARIANTS = [
    f"{family}_{n}_objects"
    for family in ("logical_deduction", "tracking_shuffled_objects")
    for n in ("three", "five", "seven")
]


def test_variants_keep_their_family_start_and_distinguishing_end() -> None:
    cuts = distinct_cuts([*VARIANTS, "navigate"], 22)
    assert cuts[:3] == [
        "logical_…three_objects",
        "logical_…five_objects",
        "logical_…seven_objects",
    ]
    assert cuts[4] == "tracking_…five_objects" and cuts[-1] == "navigate"
    for width in (12, 16, 20, 25, 30):
        cuts = distinct_cuts(VARIANTS, width)
        assert len(set(cuts)) == len(VARIANTS), (width, cuts)
        for value, cut in zip(VARIANTS, cuts, strict=True):
            assert cut == value or (len(cut) <= width and "…" in cut), (width, cut)
        if width >= 16:  # the variant's word whole, its family's first letters
            for value, cut in zip(VARIANTS, cuts, strict=True):
                assert value.split("_")[-2] in cut, (width, cut)
                assert cut[:2] == value[:2], (width, cut)
    # names apart once cut at their end, and showing where they differ, keep that cut
    ids = ["cc_sci_knowledge_q3", "cc_sci_tutorial_q4", "wiki_sci_knowledge_q3"]
    assert distinct_cuts(ids, 14) == ["cc_sci_knowle…", "cc_sci_tutori…", "wiki_sci_know…"]


def test_app_slice_labels_cut_as_the_cli_cuts_them() -> None:
    rows = [[v] for v in VARIANTS]
    assert fit_parts(["logical_deduction_five_objects"], 22, siblings=rows) == (
        "logical_…five_objects"
    )
    shown = [fit_parts(row, 16, siblings=rows) for row in rows]
    assert all(s.endswith(v[-12:].split("_", 1)[-1]) for s, v in zip(shown, VARIANTS, strict=True))


def test_compare_at_80_leaves_the_interval_out_before_cutting_task_names_unreadably() -> None:
    headers = ["task", "base", "cand", "diff", "95% CI", "p adj", "sig"]
    names = ["boolean_expressions", "logical_deduction_three_objects", "web_of_lies"]
    rows = [
        [f"bbh_cot_fewshot_{n}", "70.8% 34/48", "37.5% 18/48", "-33.3", "[-45.5, -18.5]",
         "0.00098", "worse*"]
        for n in names
    ]  # fmt: skip
    layout = _fit_layout(headers, rows, (), 80, expendable=("95% CI",), keep=("sig",))
    assert [headers[i] for i in layout.dropped] == ["95% CI"]
    shown = [r[0] for r in layout.cells]
    assert shown[0] == "boolean_expressions" and shown[2] == "web_of_lies", shown
    assert len(shown[1]) >= READABLE_NAME_WIDTH and shown[1] == "logical_…three_objects"
    # without an expendable column the table keeps every figure and cuts the names instead
    plain = _fit_layout(headers, rows, (), 80, keep=("sig",))
    assert not plain.dropped and len(plain.cells[0][0]) < READABLE_NAME_WIDTH


def test_a_lone_variant_keeps_the_word_its_family_differs_by() -> None:
    """``capslice compare bbh-base bbh-eos-masked --by task`` at 80 columns showed
    ``logical_deduction_three_o…`` and ``tracking_shuffled_objects…`` (the app
    ``logical_deduction_three~``): no other variant in the table, but the one shown is not
    told from its BBH siblings ``five_objects`` / ``seven_objects``."""
    names = [
        "boolean_expressions",
        "logical_deduction_three_objects",
        "tracking_shuffled_objects_three_objects",
        "date_understanding",
    ]
    for width in (20, 24, 26):
        cuts = distinct_cuts(names, width)
        assert cuts[0] == names[0] and cuts[3] == names[3], cuts
        assert cuts[1].startswith("logica") and cuts[1].endswith("…three_objects"), cuts
        assert cuts[2].startswith("tracki") and cuts[2].endswith("…three_objects"), cuts
    # where two words and a start do not fit, the start stays (a plain cut, as before)
    assert distinct_cuts(names, 12)[1] == "logical_ded…"
    # prose and two-word names keep their start
    assert distinct_cuts(["Brackets are evaluated first, then not"], 26) == [
        "Brackets are evaluated fi…"
    ]
    assert distinct_cuts(["date_understanding"], 12) == ["date_unders…"]
    # the app's slice labels, the compare table and its detail line, cut alike
    assert fit_parts(["tracking_shuffled_objects_three_objects"], 24) == ("tracking_…three_objects")
