"""One way to join a p-value to its name (``formatting.p_join``), and one evidence line for
the CLI and the app (``report.evidence_line``).

Three functions joined them each their own way: ``formatting.p_clause`` (no bootstrap floor:
``p=0.0010`` where the verdict said ``p<0.001``), the verdict's ``_pe``/``_pae`` and
``report.evidence_value`` (``p=4.6e-41`` where every table and verdict prints ``p<0.0001``).
The app's diagnose evidence read ``name: value  (detail)``, the CLI's ``name: value (detail)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from plan_fixtures import write_sampled_run

from capslice_tui.analysis.verdict_wording import _pae, _pe
from capslice_tui.cli import main
from capslice_tui.formatting import p_adj_text, p_clause, p_join, p_text
from capslice_tui.report import evidence_line, evidence_value
from capslice_tui.workspace import Workspace

FLOOR = 1 / 1001  # a paired-bootstrap p at its floor, B = 1000


def test_one_joiner_a_bound_takes_no_equals_sign() -> None:
    assert p_join("p", "0.031") == "p=0.031"
    assert p_join("q", "<0.0001") == "q<0.0001"
    assert p_join("p_adj", "<=0.0020") == "p_adj<=0.0020"  # never p_adj=<=0.0020
    assert p_join("", "0.031") == "=0.031" and p_join("", "<0.001") == "<0.001"


@pytest.mark.parametrize(
    ("p", "n_boot"), [(0.03123, 0), (4.6e-41, 0), (FLOOR, 1000), (0.004, 1000), (0.05, 0)]
)
def test_clause_and_verdict_join_alike(p: float, n_boot: int) -> None:
    assert p_clause(p, "p", n_boot) == "p" + _pe(p, n_boot) == p_join("p", p_text(p, n_boot))
    p_adj = min(1.0, p * 2)
    assert "p_adj" + _pae(p_adj, p, n_boot) == p_join("p_adj", p_adj_text(p_adj, p, n_boot))


def test_a_bootstrap_floor_reads_as_a_bound_in_a_clause() -> None:
    """p_clause printed a floored bootstrap p as the exact-looking ``p=0.000999``."""
    assert p_clause(FLOOR, n_boot=1000) == "p<0.001" == "p" + _pe(FLOOR, 1000)
    assert p_clause(FLOOR) == "p=0.000999"  # not a bootstrap: an exact p
    assert p_clause(None) == "p=-" and _pe(float("nan")) == "=n/a"


def test_an_evidence_p_value_reads_as_tables_and_verdicts_print_it() -> None:
    """``p=4.6e-41`` (evidence) beside ``p<0.0001`` (the verdict's text, every table)."""
    ev = {"name": "paired p-value", "unit": "p", "detail": "exact McNemar"}
    assert evidence_value({**ev, "value": 4.6e-41}) == "p<0.0001" == p_clause(4.6e-41)
    assert evidence_value({**ev, "value": 0.031}) == "p=0.031" == "p" + _pe(0.031)
    assert evidence_value({**ev, "value": "<0.001"}) == "p<0.001" == "p" + _pe(FLOOR, 1000)
    assert evidence_value({**ev, "value": None}) == "-"


def test_evidence_line_forms() -> None:
    share = {"name": "format share", "value": 97.0, "unit": "%", "detail": "of the failures"}
    assert evidence_line(share) == "format share: 97.0% (of the failures)"
    assert evidence_line({**share, "detail": ""}) == "format share: 97.0%"
    modes = {"name": "failure modes overall", "value": None, "unit": "", "detail": "correct 31.5%"}
    assert evidence_line(modes) == "failure modes overall: correct 31.5%"


def test_the_app_and_the_cli_print_one_evidence_line(tmp_path: Path) -> None:
    """The app's diagnose screen writes each evidence entry with the function whose lines
    the CLI's ``Evidence:`` list prints, character for character."""
    from capslice_tui.app.screens import diagnose

    tasks = ("minerva_math_num_theory", "minerva_math_algebra")
    ws = Workspace(tmp_path / "w.db")
    for run, right in (("base", (5, 20)), ("good", (25, 20))):
        path = write_sampled_run(tmp_path / f"{run}.jsonl", tasks, right, 4)
        ws.ingest([path], run=run, benchmark="math")
    args = ["--store", str(tmp_path / "w.db"), "diagnose", "base", "good"]
    env = {"COLUMNS": "1000"}  # no wrapping: whole lines to compare
    res = CliRunner().invoke(main, [*args, "--format", "json"], env=env)
    assert res.exit_code == 0, res.output
    evidence = json.loads(res.output)["evidence"]
    res = CliRunner().invoke(main, args, env=env)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    start = lines.index("Evidence:") + 1
    cli = lines[start : start + len(evidence)]
    assert cli == [f"  - {evidence_line(e)}" for e in evidence], cli
    assert [diagnose.evidence_line(e) for e in evidence] == [c[4:] for c in cli]
    assert any("(" in c and "p<0.001 (" in c for c in cli), cli  # a value with its detail
