"""A plan from the diagnosis of one run (weakness mode: `capslice plan --baseline R`) words its
reason for that run ("format or termination failures carry most of this run's failures"); a plan
from a change (`--candidate`) keeps "carry the change"."""

from __future__ import annotations

from pathlib import Path

from plan_fixtures import CELLS, RULES

from capslice_tui.planning.export import export_markdown
from capslice_tui.planning.mixture import Plan, build_plan, diagnosis_words
from capslice_tui.taxonomy.catalog import parse_catalog
from capslice_tui.taxonomy.data import load_data_taxonomy
from capslice_tui.taxonomy.evaluation import load_taxonomy
from capslice_tui.taxonomy.mapping import parse_mapping
from capslice_tui.workspace import Workspace

ONE_RUN = "format or termination failures carry most of this run's failures"
CHANGE = "format or termination failures carry the change"


def _plan(**kw) -> Plan:
    tax = load_data_taxonomy()
    cat = parse_catalog(CELLS, "cat.yaml", tax)
    rules = parse_mapping(RULES, "map.yaml", load_taxonomy().axes, tax)
    return build_plan([], rules, cat, 10_000, verdict="not_data", reason="format_failures", **kw)


def test_one_run_and_a_change_are_worded_apart() -> None:
    assert diagnosis_words("not_data", "format_failures", one_run=True).endswith(f"({ONE_RUN})")
    assert diagnosis_words("not_data", "format_failures").endswith(f"({CHANGE})")
    # a reason with one wording reads the same either way
    assert diagnosis_words("inconclusive", "weak_evidence", one_run=True) == diagnosis_words(
        "inconclusive", "weak_evidence"
    )
    one = _plan(baseline="bbh-eos-masked", benchmark="bbh")
    assert one.one_run and ONE_RUN in one.summary and "the change" not in one.summary
    assert one.diagnosis_words() == f"not a data problem ({ONE_RUN})"
    assert f"- diagnosis: not a data problem ({ONE_RUN})" in export_markdown(one)
    pair = _plan(baseline="bbh-base -> bbh-eos-masked", benchmark="bbh")
    assert not pair.one_run and CHANGE in pair.summary and ONE_RUN not in pair.summary
    # the caller's word wins over the name
    assert not _plan(baseline="r", one_run=False).one_run


def test_stored_plans_keep_and_infer_the_mode() -> None:
    one = _plan(baseline="bbh-eos-masked")
    assert Plan.from_dict(one.to_dict()).one_run
    stored = one.to_dict()
    del stored["one_run"]  # a plan stored before the mode was recorded: read from its name
    assert Plan.from_dict(stored).one_run
    stored["baseline"] = "a -> b"
    assert not Plan.from_dict(stored).one_run


def test_the_facade_marks_a_weakness_diagnosis_as_one_run(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    cat = parse_catalog(CELLS, "cat.yaml", load_data_taxonomy())
    diagnosis = {"base": "R", "cand": None, "benchmark": "bbh", "slices": [],
                 "verdict": "not_data", "reason": "format_failures"}  # fmt: skip
    plan = ws.plan_from_diagnosis(diagnosis, cat, 10_000)
    assert plan.one_run and ONE_RUN in plan.summary
    plan = ws.plan_from_diagnosis({**diagnosis, "cand": "S"}, cat, 10_000)
    assert not plan.one_run and CHANGE in plan.summary and plan.baseline == "R -> S"
