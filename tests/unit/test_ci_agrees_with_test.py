"""The 95% interval of a paired difference agrees with the exact McNemar test beside it.

Walk 12: ``capslice compare bbh-cot bbh-direct --by task`` printed, for boolean_expressions
(250 items, b = 20 right -> wrong, c = 9 wrong -> right), ``-4.4  [-8.6, -0.1]  p 0.061``:
the Agresti-Min interval excluded 0 while the exact McNemar test was not significant. The
interval is now the one compatible with the exact test (Fay & Lumbard 2021): it excludes 0
exactly when p < 0.05, and every surface (CLI table, JSON, Markdown, the app) shows it.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from capslice_tui.analysis.compare import (
    agresti_min_interval,
    mcnemar_exact,
    mcnemar_exact_interval,
    paired_greedy_counts,
)
from capslice_tui.app.app import make_app
from capslice_tui.app.screens.compare import CompareScreen
from capslice_tui.cli import main

STATISTICS_MD = Path(__file__).resolve().parents[3] / "shared" / "statistics.md"

# boolean_expressions in the walk's store: 250 paired items, base 232 right, candidate 221
N, B, C = 250, 20, 9


def _melded_cdf_scipy(delta: float, b: int, c: int, n: int) -> float:
    """Pr[T (2B - 1) <= delta] (Fay & Lumbard 2021) by scipy's adaptive quadrature: an
    independent computation of the tail whose alpha/2 point is the lower bound."""
    from scipy import integrate, stats

    m = b + c
    if c == 0:
        return 1.0 if delta >= 0 or m == n else float(stats.beta(m + 1, n - m).sf(-delta))
    beta_b = stats.beta(c, b + 1)
    if delta < 0 and m == n:
        return float(beta_b.cdf(0.5 + delta / 2))
    t_dist = stats.beta(m, n - m + 1) if delta > 0 else stats.beta(m + 1, n - m)
    below = float(t_dist.cdf(delta)) if delta > 0 else 0.0
    lo, hi = max(float(t_dist.ppf(1e-15)), abs(delta)), float(t_dist.isf(1e-15))
    if lo >= hi:
        return below
    value, _ = integrate.quad(
        lambda t: beta_b.cdf(min(max(0.5 + delta / (2 * t), 0.0), 1.0)) * t_dist.pdf(t),
        lo, hi, epsabs=1e-13, epsrel=1e-11, limit=500,
    )  # fmt: skip
    return below + value


def test_the_walk_case_interval_contains_zero_as_the_test_is_not_significant() -> None:
    p = mcnemar_exact(B, C)
    assert p == pytest.approx(0.0614, abs=5e-5)
    old_lo, old_hi = agresti_min_interval(B, C, N)
    assert old_hi < 0  # the old interval: [-8.6, -0.1] points, excluding 0 at p = 0.061
    r = paired_greedy_counts(N, 232, 221, B, C)
    assert (r.p_value, r.diff) == (p, (C - B) / N)
    assert r.diff_lo < r.diff < 0 < r.diff_hi, (r.diff_lo, r.diff_hi)
    assert (round(100 * r.diff_lo, 1), round(100 * r.diff_hi, 1)) == (-9.1, 0.2)


@pytest.mark.parametrize(
    ("b", "c", "n"),
    [(B, C, N), (C, B, N), (1, 7, 21), (6, 0, 30), (0, 20, 20), (10, 3, 50), (0, 0, 40),
     (5, 5, 10), (40, 3, 45), (300, 240, 2000), (2, 1, 1000)],
)  # fmt: skip
def test_each_bound_is_the_melded_tail_at_alpha_over_2(b: int, c: int, n: int) -> None:
    """The bounds solve Fay & Lumbard's defining equations, checked by scipy's quadrature."""
    lo, hi = mcnemar_exact_interval(b, c, n)
    assert -1 <= lo <= (c - b) / n <= hi <= 1
    if lo > -1:
        assert _melded_cdf_scipy(lo, b, c, n) == pytest.approx(0.025, abs=1e-7)
    if hi < 1:
        assert _melded_cdf_scipy(-hi, c, b, n) == pytest.approx(0.025, abs=1e-7)


def test_no_discordant_item_is_not_false_certainty() -> None:
    lo, hi = mcnemar_exact_interval(0, 0, 40)
    assert hi == pytest.approx(1 - 0.025 ** (1 / 40)) and lo == -hi and hi > 0.08


def _excludes_zero(b: int, c: int, n: int) -> bool:
    lo, hi = mcnemar_exact_interval(b, c, n)
    return lo > 0 or hi < 0


def test_the_interval_excludes_zero_exactly_when_p_is_below_005() -> None:
    """Every table of up to 24 items, and at 250 items the counts on both sides of the
    test's threshold for each number of discordant items up to 120."""
    cases = [(m - c, c, n) for n in (1, 2, 7, 24) for m in range(n + 1) for c in range(m + 1)]
    for m in range(1, 121):
        sig = [c for c in range(m + 1) if mcnemar_exact(m - c, c) < 0.05]
        edges = {c + d for c in sig for d in (-1, 0, 1)} if sig else {0, m}
        cases += [(m - c, c, N) for c in sorted(edges) if 0 <= c <= m]
    wrong = [
        (b, c, n) for b, c, n in cases if _excludes_zero(b, c, n) != (mcnemar_exact(b, c) < 0.05)
    ]
    assert not wrong, wrong[:10]
    # Agresti-Min disagreed on some of them (the walk's case among them)
    assert any(
        (agresti_min_interval(b, c, n)[0] > 0 or agresti_min_interval(b, c, n)[1] < 0)
        != (mcnemar_exact(b, c) < 0.05)
        for b, c, n in cases
    )


def test_statistics_md_mcnemar_vectors_still_hold_with_an_agreeing_interval() -> None:
    if not STATISTICS_MD.exists():
        pytest.skip("../shared/statistics.md is not here")
    text = STATISTICS_MD.read_text().split("exact McNemar test", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| (\d+) \| ([\d.]+) \|$", text, re.M)
    assert len(rows) >= 4, text
    for b, c, p in ((int(b), int(c), float(p)) for b, c, p in rows):
        assert mcnemar_exact(b, c) == pytest.approx(p, rel=1e-5)
        for n in (b + c, b + c + 30):
            assert _excludes_zero(b, c, n) == (p < 0.05), (b, c, n)


# ---------------------------------------------------------------- every surface


def _log(path: Path, right: list[bool]) -> Path:
    lines = [
        {"task": "boolean_expressions", "doc_id": i, "target": "True", "correct": ok,
         "response": "True" if ok else "False"}
        for i, ok in enumerate(right)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Two greedy runs of 250 items: 212 right in both, 20 right -> wrong, 9 wrong -> right."""
    root = tmp_path_factory.mktemp("ci_agrees")
    db = str(root / "s.db")
    kinds = [(True, True)] * 212 + [(True, False)] * B + [(False, True)] * C + [(False, False)] * 9
    for run, side in (("cot", 0), ("direct", 1)):
        path = _log(root / f"{run}.jsonl", [k[side] for k in kinds])
        res = CliRunner().invoke(
            main, ["--store", db, "ingest", str(path), "--run", run, "--benchmark", "bbh"]
        )
        assert res.exit_code == 0, res.output
    return db


def _cli(store: str, *args: str) -> str:
    res = CliRunner().invoke(main, ["--store", store, *args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def test_cli_json_markdown_and_app_show_the_same_interval(store: str) -> None:
    lo, hi = mcnemar_exact_interval(B, C, N)
    data = json.loads(_cli(store, "compare", "cot", "direct", "--format", "json"))
    (row,) = [r for r in data["rows"] if "boolean_expressions" in json.dumps(r)]
    assert (row["diff_low"], row["diff_high"]) == (lo, hi)
    assert math.isclose(row["p_value"], mcnemar_exact(B, C))
    shown = "[-9.1, 0.2]"
    table = _cli(store, "compare", "cot", "direct")
    (line,) = [x for x in table.splitlines() if x.startswith("boolean_expressions")]
    assert shown in line and "0.061" in line, line
    assert shown in _cli(store, "compare", "cot", "direct", "--format", "md")
    assert shown in _cli(store, "report", "cot", "direct")

    async def app_detail() -> str:
        app = make_app(Path(store))
        async with app.run_test(size=(160, 40)) as pilot:
            await app.workers.wait_for_complete()
            app.push_screen(CompareScreen("cot", "direct", benchmark="bbh"))
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()
            return str(app.screen.query_one("#detail-line", Static).render())

    detail = asyncio.run(app_detail())
    assert shown in detail, detail
