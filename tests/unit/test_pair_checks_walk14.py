"""What a pair's own records say before any verdict (walk 14).

1. ``diagnose bbh-direct bbh-cot --same-evaluation``: both runs record the model
   ``code-davinci-002`` and no step, one checkpoint evaluated twice (a prompting change), and
   the verdict said DATA (broad capability), "from the model". A pair with the same recorded
   model name and equal or absent steps is now ``inconclusive`` (``not_a_checkpoint_pair``)
   saying why, unless ``--same-lineage``.
2. One log ingested twice under two run names: ``diagnose`` said weak evidence, "too small to
   size a larger test". Identical responses on every shared sample are now said plainly
   (compare's and diagnose's pair warning; diagnose's verdict ``identical_responses``).
3. ``compare`` of two runs sharing no item refused over their settings first (samples per
   item, answer filters: ``--allow-mismatch`` / the app's ``w``), and only after the override
   said they share no item. The blocker no override lifts now comes first (``ws.compare``,
   which the CLI and the app both call).
4. ``diagnose RUN --reference REF`` listed its weakest task_type x solving_operation cells by
   absolute score ("below the reference run's 50.4% mean"), led by a cell where the reference
   scores 0.7% too. Against a reference, cells are chosen and ranked by their deficit against
   the reference on the same cell, whose score is said.

Small lm-eval GSM8K stores built here; the real BBH outputs of ../shared/data only when
present (skipped with a message otherwise); the demo's math runs for 4.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

N = 80
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _line(doc: int, right: bool, topic: str = "apples", filt: str = "strict-match") -> str:
    """One lm-eval GSM8K sample; its reference solution has 1 step (doc < 40) or 6."""
    steps = 1 if doc < N // 2 else 6
    answer = "".join(f"Step {i}: <<{i}+1={i + 1}>>{i + 1}\n" for i in range(steps)) + "#### 18"
    got = "18" if right else "17"
    return json.dumps({
        "doc_id": doc, "doc": {"question": f"How many {topic}, case {doc}?", "answer": answer},
        "target": "18", "arguments": {"gen_args_0": {"arg_0": f"Question: q{doc}\nAnswer:",
                                                     "arg_1": {"until": ["Question:"]}}},
        "resps": [[f"so #### {got}"]], "filtered_resps": [got], "filter": filt,
        "metrics": ["exact_match"], "exact_match": float(right),
    })  # fmt: skip


def _ingest(
    ws: Workspace, tmp: Path, run: str, model: str | None, right: Callable[[int], bool],
    step: int | None = None, **line: str,
) -> None:  # fmt: skip
    folder = tmp / run
    folder.mkdir()
    (folder / "samples_gsm8k_2026-01-01T00-00-00.000000.jsonl").write_text(
        "\n".join(_line(d, right(d), **line) for d in range(N)) + "\n"
    )
    ws.ingest([folder], run=run, benchmark="gsm8k", model=model, step=step)


def _cli(store: Path, *args: str, code: int = 0) -> str:
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert res.exit_code == code, res.output
    return res.output


def _weak(d: int) -> bool:  # 1-step items mostly right, 6-step items mostly wrong
    return d % 4 != 0 if d < N // 2 else d % 8 == 0


def _strong(d: int) -> bool:
    return d % 8 != 7


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("pairs14")
    path = tmp / "s.db"
    ws = Workspace(path)
    _ingest(ws, tmp, "a", "org/m-7b", _weak)  # one checkpoint, no step, evaluated twice
    _ingest(ws, tmp, "b", "org/m-7b", _strong)
    _ingest(ws, tmp, "a-copy", "org/m-7b", _weak)  # the same log again
    _ingest(ws, tmp, "s1000", "org/m-7b", _weak, step=1000)  # two checkpoints by step
    _ingest(ws, tmp, "s2000", "org/m-7b", _strong, step=2000)
    # other questions (no shared item) read on another answer filter
    _ingest(ws, tmp, "pears", "org/m-7b", _strong, topic="pears", filt="flexible-extract")
    _ingest(ws, tmp, "a-flex", "org/m-7b", _strong, filt="flexible-extract")  # shared items
    return path


def test_the_records_say_when_a_pair_is_one_checkpoint() -> None:
    from capslice_tui.workspace.pairs import same_checkpoint

    def why(bm: str | None, cm: str | None, **kw: object) -> str | None:
        b = {"id": 1, "model": bm, "step": kw.get("bs"), "meta": kw.get("bmeta") or {}}
        c = {"id": 2, "model": cm, "step": kw.get("cs"), "meta": kw.get("cmeta") or {}}
        return same_checkpoint("x", "y", b, c)

    assert why("code-davinci-002", "code-davinci-002") == (
        "both record the model code-davinci-002 and no step"
    )
    assert why("m", "m", bs=5, cs=5) == "both record the model m and the same step 5"
    assert why("m", "m", bs=5, cs=6) is None  # two checkpoints
    assert why("m", "m", bs=5) is None  # a step on one side only: not judged
    assert why("m", "n") is None and why(None, None) is None and why("m", None) is None
    # lm-eval records a checkpoint's revision in model_args, not in the model name
    assert why("m", "m", bmeta={"model_args": "pretrained=m,revision=step1"},
               cmeta={"model_args": "pretrained=m,revision=step2"}) is None  # fmt: skip
    assert why("m", "m", bmeta={"model_revision": "r1"}, cmeta={"model_revision": "r1"}) == (
        "both record the model m and no step (revision r1)"
    )


def test_one_checkpoint_evaluated_twice_gets_no_data_verdict(store: Path) -> None:
    d = json.loads(_cli(store, "diagnose", "b", "a", "--format", "json"))
    assert (d["verdict"], d["reason"]) == ("inconclusive", "not_a_checkpoint_pair"), d["summary"]
    s = d["summary"]
    assert s.startswith(
        "Not read as data: the two runs are one checkpoint, not two: both record the model "
        "org/m-7b and no step (the same model name, no step or checkpoint difference)"
    )
    assert "What the analysis shows: " in s and "a data problem" not in s.lower()
    assert any(e["name"] == "not a checkpoint pair" for e in d["evidence"])
    assert "one checkpoint evaluated twice" in d["pair_warning"]
    text = _cli(store, "diagnose", "b", "a", "--fail-on", "data")
    assert text.startswith("VERDICT: INCONCLUSIVE (not a checkpoint pair)")
    assert "does not hold" in text
    assert Workspace(store).diagnose_verdict("b", "a").verdict == "inconclusive"  # the app's
    cmp = json.loads(_cli(store, "compare", "b", "a", "--format", "json"))
    assert "one checkpoint evaluated twice" in cmp["pair_warning"]


def test_same_lineage_reads_one_model_name_as_two_checkpoints(store: Path) -> None:
    d = json.loads(_cli(store, "diagnose", "b", "a", "--same-lineage", "--format", "json"))
    assert d["verdict"] == "data"
    assert d["summary"].startswith(
        "Assuming two checkpoints of one training lineage (--same-lineage), although both "
        "record the model org/m-7b and no step."
    )


def test_steps_that_differ_keep_the_data_verdict(store: Path) -> None:
    d = json.loads(_cli(store, "diagnose", "s2000", "s1000", "--format", "json"))
    assert d["verdict"] == "data" and d["pair_warning"] is None, d["summary"]


def test_identical_responses_are_said_plainly(store: Path) -> None:
    d = json.loads(_cli(store, "diagnose", "a", "a-copy", "--format", "json"))
    assert (d["verdict"], d["reason"]) == ("inconclusive", "identical_responses"), d["summary"]
    said = (
        "a and a-copy have identical responses on every one of the 80 shared samples (and so "
        "are their scores): the same evaluation stored twice"
    )
    assert d["summary"].startswith("Nothing to explain: " + said)
    assert "larger test" not in d["summary"]
    assert d["pair_warning"].startswith(said)
    cmp = json.loads(_cli(store, "compare", "a", "a-copy", "--format", "json"))
    assert cmp["pair_warning"].startswith(said)
    text = " ".join(_cli(store, "compare", "a", "a-copy").split())
    assert "warning: " + said in text
    # two real runs of one model do differ: no such statement
    assert (
        "identical"
        not in json.loads(_cli(store, "compare", "b", "a", "--format", "json"))["pair_warning"]
    )


def test_no_shared_item_is_said_before_any_setting_an_override_lifts(store: Path) -> None:
    out = _cli(store, "compare", "a", "pears", code=1)
    assert "a and pears share no evaluation item" in out, out
    assert "allow-mismatch" not in out and "filters" not in out
    ws = Workspace(store)
    with pytest.raises(ValueError, match="share no evaluation item"):  # the app's call
        ws.compare("a", "pears")
    # runs sharing items still get the settings refusal
    with pytest.raises(ValueError, match="Different answer filters"):
        ws.compare("a", "a-flex")


@pytest.fixture(scope="module")
def math_pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("math14") / "capslice.db"
    ws = Workspace(path)
    for name in ("math-base", "math-targeted"):
        ws.ingest([sample_data_dir() / "lm_eval" / name], run=name, benchmark="math")
    return path


def test_weak_cells_against_a_reference_rank_by_their_deficit_there(math_pair: Path) -> None:
    args = ("diagnose", "math-base", "--reference", "math-targeted", "--benchmark", "math")
    d = json.loads(_cli(math_pair, *args, "--format", "json"))
    s = d["summary"]
    assert "below the reference run's" not in s, s
    assert (
        "Furthest below the reference run on the same task_type x solving_operation combination"
        " (this run vs the reference there, largest deficit first): counting_probability x "
        "casework 12.0% vs 54.3% (-42.3 points;" in s
    ), s
    assert "competition_problem x multi_step_arithmetic" not in s  # 0.0% vs 0.7%: not weakest
    for row in d["slices"]:
        deficits = [c["deficit"] for c in row["combinations"]]
        assert deficits == sorted(deficits)
        for c in row["combinations"]:
            assert c["deficit"] == pytest.approx(c["score"] - c["reference_score"])
    text = " ".join(_cli(math_pair, *args).split())
    assert (
        "within it: counting_probability x casework: math-base 12.0% (25/208), 13 items; "
        "math-targeted 54.3% (-42.3 points)" in text
    )


BBH = SHARED / "bbh" / "outputs"


@pytest.fixture(scope="module")
def bbh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BBH / "code-davinci-002_cot.jsonl").exists():
        pytest.skip(f"real BBH outputs not found at {BBH} (../shared/data is absent)")
    path = tmp_path_factory.mktemp("bbh14") / "s.db"
    ws = Workspace(path)
    ws.ingest([BBH / "code-davinci-002_direct.jsonl"], run="bbh-direct", benchmark="bbh")
    ws.ingest([BBH / "code-davinci-002_cot.jsonl"], run="bbh-cot", benchmark="bbh")
    ws.ingest([BBH / "code-davinci-002_cot.jsonl"], run="cot copy", benchmark="bbh")
    return path


def test_real_bbh_prompting_change_is_not_a_checkpoint_pair(bbh: Path) -> None:
    args = ("diagnose", "bbh-direct", "bbh-cot", "--same-evaluation", "--format", "json")
    d = json.loads(_cli(bbh, *args))
    assert (d["verdict"], d["reason"]) == ("inconclusive", "not_a_checkpoint_pair"), d["summary"]
    assert "both record the model code-davinci-002 and no step" in d["summary"]
    assert "from the model" not in d["summary"]
    assert "cot_3shot. A broad gain: the candidate is 21.6 points above" in d["summary"]


def test_real_bbh_log_stored_twice_has_nothing_to_explain(bbh: Path) -> None:
    d = json.loads(_cli(bbh, "diagnose", "bbh-cot", "cot copy", "--format", "json"))
    assert (d["verdict"], d["reason"]) == ("inconclusive", "identical_responses"), d["summary"]
    assert "identical responses on every one of the 6,511 shared samples" in d["summary"]
