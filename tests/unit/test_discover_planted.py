"""Error-aware slice discovery through the CLI on the cases clu-01 and clu-02.

clu-02 (the planted-slice evaluation of Domino, Eyuboglu et al. 2022): 600 word problems in
three tasks, 120 about percentages spread over all tasks fail 90%, the rest 30%. Discovery must
return the percentage problems as one suggestion. clu-01: identical texts must be explained,
never surface as a raw library warning.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"


def capslice(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed CLI as a user runs it; fails loudly on a non-zero exit."""
    proc = subprocess.run(
        [sys.executable, "-m", "capslice_tui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=600,
    )
    assert proc.returncode == 0, f"capslice {' '.join(args)} failed:\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A store holding the generated clu-02 run ``R`` and the planted doc ids."""
    tmp = tmp_path_factory.mktemp("clu02")
    out = tmp / "run.jsonl"
    subprocess.run(
        [sys.executable, str(CASES / "clu-02-planted-slice" / "make.py"), str(out)],
        check=True,
        capture_output=True,
    )
    ids = set((tmp / "run.planted.txt").read_text().split())
    assert len(ids) == 120
    store = tmp / "s.db"
    capslice(store, "ingest", str(out), "--run", "R")
    return store, ids


def test_planted_percentage_slice_is_one_top3_suggestion(planted: tuple[Path, set[str]]) -> None:
    store, ids = planted
    proc = capslice(store, "discover", "--run", "R", "--format", "json")
    assert "Warning" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["structure"] == "clear" and data["n_samples"] == 600
    best = None
    for rank, s in enumerate(data["suggestions"][:3]):
        got = set(s["doc_ids"])
        jac = len(got & ids) / len(got | ids)
        if jac >= 0.7:
            best = (rank, s, jac)
            break
    assert best is not None, [(s["name"], s["size"]) for s in data["suggestions"][:3]]
    rank, s, jac = best
    assert s["error_rate"] >= 0.8 and s["significant"]
    assert s["ci_low"] > s["rest_error_rate"]  # the Wilson interval clears the rest's rate
    assert any(t.removeprefix("q:").startswith("percent") for t in s["top_terms"][:3])
    assert not any(ch.isdigit() for t in s["top_terms"] for ch in t)
    assert s["novelty"]["restates"] is None and s["novelty"]["relation"] == "across 3 tasks"
    assert len(s["representatives"]) == 3
    assert all("percent" in r["question"] for r in s["representatives"])
    # the chosen k and why are stated
    assert data["k_reason"].startswith(f"k={data['k']} ")


def test_error_aware_keeps_planted_slice_and_never_the_failing_set(
    planted: tuple[Path, set[str]],
) -> None:
    store, ids = planted
    data = json.loads(
        capslice(store, "discover", "--run", "R", "--error-aware", "--format", "json").stdout
    )
    assert data["params"]["error_aware"] is True and data["structure"] == "clear"
    top = data["suggestions"][:3]
    jacs = [len(set(s["doc_ids"]) & ids) / len(set(s["doc_ids"]) | ids) for s in top]
    assert max(jacs) >= 0.7, [(s["name"], s["size"]) for s in top]
    best = top[jacs.index(max(jacs))]
    assert best["name"] == "q:percent" and best["error_rate"] >= 0.8
    for s in data["suggestions"]:
        # no group is simply every wrong (or every right) sample
        assert s["error_rate"] not in (0.0, 1.0) or s["size"] < 0.3 * data["n_samples"], s
    text = capslice(store, "discover", "--run", "R", "--error-aware").stdout
    assert "q:percent" in text and "100.0% (" not in text
    # every significant group is shown or accounted for
    head = f"of the {data['n_significant']} significant groups: "
    (acc,) = [n for n in data["notes"] if n.startswith(head)]
    counts = [int(part.split()[0]) for part in acc.removeprefix(head).split("; ")]
    assert sum(counts) == data["n_significant"], acc
    assert counts[0] == sum(1 for s in data["suggestions"] if s["significant"])


def test_planted_slice_table_and_accept(planted: tuple[Path, set[str]]) -> None:
    store, ids = planted
    text = capslice(store, "discover", "--run", "R", "--save").stdout
    assert "q:percent" in text and "across 3 tasks" in text
    assert "chosen by silhouette" in text
    data = json.loads(
        capslice(store, "discover", "--run", "R", "--save", "--format", "json").stdout
    )
    sid = data["suggestions"][0]["id"]
    assert (
        "version 1" in capslice(store, "label", "accept", str(sid), "--name", "percentages").stdout
    )
    shown = json.loads(
        capslice(store, "label", "show", "--slice", "percentages", "--format", "json").stdout
    )
    assert len(shown["item_ids"]) == data["suggestions"][0]["n_items"]
    # the accepted slice is an existing label now: the same group restates it
    again = json.loads(
        capslice(store, "discover", "--run", "R", "--all", "--format", "json").stdout
    )
    restating = [s for s in again["suggestions"] if s["novelty"]["restates"]]
    assert any(s["novelty"]["restates"] == "slice=percentages" for s in restating)


def test_identical_texts_are_said_so_without_library_warnings(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    case = CASES / "clu-01-identical-texts"
    capslice(store, "ingest", str(case / "min_refusals_7.jsonl"), "--run", "refusals")
    for fmt in ("table", "json"):
        proc = capslice(store, "discover", "--run", "refusals", "--format", fmt)
        assert "Warning" not in proc.stderr + proc.stdout
        assert "divide by zero" not in proc.stderr + proc.stdout
        assert "all 7 documents are identical" in proc.stdout
    capslice(store, "ingest", str(case / "set1_short.jsonl"), "--run", "set1")
    data = json.loads(capslice(store, "discover", "--run", "set1", "--format", "json").stdout)
    assert data["k"] == 3 and data["k_reason"].startswith("k=3 ")
    assert "Warning" not in " ".join(data["notes"])
    # the three candidates were the six right "blue sky" samples: right vs wrong, said so;
    # the count stated and the groups listed agree (issue: "3 of 3 differ" over one row)
    for args in ((), ("--all",)):
        d = json.loads(
            capslice(store, "discover", "--run", "set1", *args, "--format", "json").stdout
        )
        notes = " ".join(d["notes"])
        assert "exactly the wrong (or exactly the right) samples" in notes
        assert all(sorted(s["doc_ids"]) != [str(i) for i in range(6, 12)] for s in d["suggestions"])
        shown_sig = sum(1 for s in d["suggestions"] if s["significant"])
        assert d["structure"] != "clear" or f"{shown_sig} shown" in notes
        text = capslice(store, "discover", "--run", "set1", *args).stdout
        assert "differ significantly" not in text or "significant groups:" in text


# the real BBH CoT run: tests/e2e/test_discover_real.py


def test_error_rich_group_listed_before_error_free_and_failing_set_dropped() -> None:
    """find_slices: a group equal to the failing set is no candidate; rich before poor."""
    import numpy as np

    from capslice_tui.analysis.discovery import find_slices

    rng = np.random.default_rng(0)
    qs, correct = [], []
    for i in range(300):
        if i < 60:  # fractions: fail 90%
            qs.append(f"what is one third of the fraction {i}"), correct.append(rng.random() > 0.9)
        elif i < 120:  # colours: never fail
            qs.append(f"name the colour of the sky picture {i}"), correct.append(True)
        else:
            qs.append(f"add the apples and pears basket {i}"), correct.append(rng.random() > 0.4)
    search = find_slices(qs, ["answer"] * 300, np.array(correct, dtype=float), k=3)
    wrong = {i for i, c in enumerate(correct) if not c}
    assert all(set(s.members) != wrong for s in search.suggestions)
    rates = [s.diff_rest for s in search.suggestions if s.significant]
    assert rates and rates[0] > 0
    assert rates == sorted(rates, key=lambda d: d <= 0)  # every error-rich before the others
    sig_note = [n for n in search.notes if n.startswith(f"of the {search.n_significant} ")]
    assert sig_note and f"{len(rates)} shown" in sig_note[0]
