"""A data verdict only where the evidence can stand behind it (walk 12).

1. Two runs whose own records say they are not checkpoints of one training lineage (different
   models, a verifier or reranker named on one side) got ``DATA (broad capability)``:
   GSM8K's ``175b_finetuning`` -> ``175b_verification`` is one model with verifier reranking,
   a different inference system, and ``--fail-on data`` fired on it. Such a pair is now
   ``inconclusive`` (``not_a_checkpoint_pair``), the analysis still shown; ``--same-lineage``
   reads it as one lineage and says so; checkpoints of one model keep their data verdict.
2. ``diagnose RUN`` against the run's own average called a slice harder for every model a data
   weakness, silent on difficulty: the verdict (CLI, JSON, Markdown, app) now says the slices
   are weak relative to the run's own average, that difficulty is not ruled out, and names
   ``--reference`` with a run of the store holding the items (one of its lineage first).

Small lm-eval GSM8K stores built here (80 items: 1 reasoning step for doc < 40, 6 from 40 on);
the real GSM8K systems of ../shared/data only when present.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

N = 80
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _line(doc: int, right: bool) -> str:
    """One lm-eval GSM8K sample; its reference solution has 1 step (doc < 40) or 6."""
    steps = 1 if doc < N // 2 else 6
    answer = "".join(f"Step {i}: <<{i}+1={i + 1}>>{i + 1}\n" for i in range(steps)) + "#### 18"
    got = "18" if right else "17"
    return json.dumps({
        "doc_id": doc, "doc": {"question": f"How many apples, case {doc}?", "answer": answer},
        "target": "18", "arguments": {"gen_args_0": {"arg_0": f"Question: q{doc}\nAnswer:",
                                                     "arg_1": {"until": ["Question:"]}}},
        "resps": [[f"so #### {got}"]], "filtered_resps": [got], "filter": "strict-match",
        "metrics": ["exact_match"], "exact_match": float(right),
    })  # fmt: skip


def _ingest(
    ws: Workspace, tmp: Path, run: str, model: str | None, right: Callable[[int], bool]
) -> None:
    folder = tmp / run.replace("/", "_")
    folder.mkdir()
    (folder / "samples_gsm8k_2026-01-01T00-00-00.000000.jsonl").write_text(
        "\n".join(_line(d, right(d)) for d in range(N)) + "\n"
    )
    ws.ingest([folder], run=run, benchmark="gsm8k", model=model)


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
    tmp = tmp_path_factory.mktemp("not-a-pair")
    path = tmp / "s.db"
    ws = Workspace(path)
    _ingest(ws, tmp, "ft", "org/m-7b", _weak)
    _ingest(ws, tmp, "rr", "org/m-7b-verifier", _strong)  # the same model behind a verifier
    _ingest(ws, tmp, "other", "other-org/x-13b", _strong)  # another model
    _ingest(ws, tmp, "ck1", "org/m-7b-step1000", _weak)  # two checkpoints of one model
    _ingest(ws, tmp, "ck2", "org/m-7b-step2000", _strong)
    return path


def test_the_pair_records_say_whether_it_is_one_lineage() -> None:
    from capslice_tui.workspace.diagnose import not_one_lineage

    def why(b: str, c: str, bm: str | None, cm: str | None) -> str | None:
        return not_one_lineage(b, c, {"id": 1, "model": bm}, {"id": 2, "model": cm})

    assert why("a", "b", "org/m-step1", "org/m-step2") is None
    assert why("a", "b", "demo-1b-step1", "demo-1b-eosmask-step2") is None  # continued
    assert why("a", "b", None, None) is None  # nothing recorded: not judged
    assert why("a", "a", "x", "y") is None  # the same run: another warning
    diff = why("a", "b", "6b_finetuning", "175b_finetuning")
    assert diff == "different models (6b_finetuning vs 175b_finetuning)"
    rerank = why("gsm/175b_finetuning", "gsm/175b_verification", None, None)
    assert rerank is not None and "gsm/175b_verification names an inference system" in rerank
    assert "verification" in rerank
    # one lineage by name, but one side is the model behind a verifier
    assert "verifier" in (why("a", "b", "org/m-7b", "org/m-7b-verifier") or "")
    assert why("a-rerank-1", "a-rerank-2", None, None) is None  # both sides the same system
    # sizes are read from the recorded model names, not from run names, which often count
    # the tokens a checkpoint has seen (one lineage)
    sized = why("gsm/x", "gsm/y", "gpt3-175b", "gpt3-6b")
    assert sized is not None and "gpt3-175b vs gpt3-6b" in sized, sized
    assert why("cpt-100b-tokens", "cpt-200b-tokens", None, None) is None
    assert why("ckpt-100B", "ckpt-200B", None, None) is None
    assert why("gsm/175b_finetuning", "gsm/6b_finetuning", None, None) == (
        "different sizes (175b vs 6b)"
    )  # one size a name, no checkpoint word, no model recorded
    assert why("llama-7b-100B", "llama-7b-200B", "llama-7b", "llama-7b") is None
    assert why("a", "b", "qwen2.5-1.5b-step10", "qwen2.5-1.5b-step20") is None


def test_a_gain_between_two_systems_is_not_read_as_data(store: Path) -> None:
    d = json.loads(_cli(store, "diagnose", "ft", "rr", "--format", "json"))
    assert (d["verdict"], d["reason"]) == ("inconclusive", "not_a_checkpoint_pair"), d["summary"]
    s = d["summary"]
    assert s.startswith("Not read as data: the two runs are not checkpoints of one training")
    assert "lineage: rr names an inference system (verifier) that ft does not." in s
    assert "What the analysis shows: " in s and "A broad capability" not in s
    assert "from the model" not in s and "a data problem" not in s.lower()
    assert any(e["name"] == "not a checkpoint pair" for e in d["evidence"])
    assert d["slices_tested"] >= 1  # the analysis below is still there
    text = _cli(store, "diagnose", "ft", "rr")
    assert text.startswith("VERDICT: INCONCLUSIVE (not a checkpoint pair)")
    assert "next: capslice plan" not in text


def test_the_ci_gate_does_not_fire_on_a_non_data_change(store: Path) -> None:
    # the drop direction: the reranked system as base, the plain one as candidate
    out = _cli(store, "diagnose", "rr", "ft", "--fail-on", "data")
    assert "--fail-on data (the verdict is data): does not hold, exit code 0" in out
    _cli(store, "diagnose", "rr", "ft", "--fail-on", "regression", code=3)  # still a drop
    ws = Workspace(store)
    assert ws.diagnose_verdict("rr", "ft").verdict == "inconclusive"  # what plan reads
    # different models: the same rule
    d = json.loads(_cli(store, "diagnose", "other", "ck1", "--format", "json"))
    assert (d["verdict"], d["reason"]) == ("inconclusive", "not_a_checkpoint_pair")


def test_same_lineage_reads_it_as_data_and_says_so(store: Path) -> None:
    out = _cli(store, "diagnose", "rr", "ft", "--same-lineage", "--fail-on", "data", code=5)
    assert out.startswith("VERDICT: DATA")
    assert "Assuming one training lineage (--same-lineage), although rr names" in out


def test_checkpoints_of_one_model_keep_their_data_verdict(store: Path) -> None:
    d = json.loads(_cli(store, "diagnose", "ck2", "ck1", "--format", "json"))
    assert d["verdict"] == "data" and d["pair_warning"] is None
    _cli(store, "diagnose", "ck2", "ck1", "--fail-on", "data", code=5)


def test_report_and_markdown_say_the_same(store: Path) -> None:
    md = _cli(store, "diagnose", "ft", "rr", "--format", "md")
    assert "## Verdict: **inconclusive** (not a checkpoint pair)" in md
    rep = _cli(store, "report", "ft", "rr")
    assert "## Verdict: **inconclusive** (not a checkpoint pair)" in rep
    assert "--fail-on data (the verdict is data): does not hold" in rep


def test_a_weakness_against_the_own_average_says_difficulty_is_not_ruled_out(
    store: Path,
) -> None:
    d = json.loads(_cli(store, "diagnose", "ck1", "--benchmark", "gsm8k", "--format", "json"))
    assert (d["verdict"], d["reason"]) == ("data", "localized_wrong_answers"), d["summary"]
    s = d["summary"]
    assert "weak relative to the run's own average" in s
    assert "difficulty is not ruled out without a reference" in s
    # a run of the same lineage holding the items first (ck2), not another model
    assert "`capslice diagnose ck1 --reference ck2 --benchmark gsm8k`" in s
    assert "ck2 holds 80 of them." in s
    text = _cli(store, "diagnose", "ck1", "--benchmark", "gsm8k")
    head = "VERDICT: DATA (localized wrong answers; against the run's own average: difficulty"
    assert " ".join(text.split()).startswith(head)
    assert "rule difficulty out first with --reference" in " ".join(text.split())
    md = _cli(store, "diagnose", "ck1", "--benchmark", "gsm8k", "--format", "md")
    assert (
        "(localized wrong answers; against the run's own average: difficulty not ruled out)" in md
    )
    # against a reference of its lineage the data verdict has no such caveat
    ref = json.loads(_cli(store, "diagnose", "ck1", "--reference", "ck2", "--format", "json"))
    assert ref["verdict"] == "data" and "own average" not in ref["summary"]


def test_a_reference_of_another_system_rules_difficulty_out_but_not_data(store: Path) -> None:
    s = json.loads(_cli(store, "diagnose", "ft", "--format", "json"))["summary"]
    # its lineage (org/m-7b); ck1 answered every sample as ft did (both _weak): a copy, never
    # suggested (test_reference_not_a_copy)
    assert "--reference ck2" in s and "ck2 holds 80 of them." in s and "ck1" not in s
    s = json.loads(_cli(store, "diagnose", "other", "--format", "json"))
    if s["verdict"] == "data":
        assert "not of this run's training lineage" in s["summary"]
    ref = json.loads(_cli(store, "diagnose", "ft", "--reference", "other", "--format", "json"))
    assert (ref["verdict"], ref["reason"]) == ("inconclusive", "not_a_checkpoint_pair")
    assert ref["summary"].startswith("Not read as data: ft and the reference other are not")


def test_no_other_run_holding_the_items_is_said(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    _ingest(ws, tmp_path, "alone", "org/m", _weak)
    s = ws.diagnose("alone").verdict.summary
    assert "No other evaluation of these items is in the store" in s and "--reference RUN" in s


def test_the_app_says_what_the_cli_says(store: Path) -> None:
    import asyncio

    asyncio.run(_app_says_what_the_cli_says(store))


async def _app_says_what_the_cli_says(store: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
    from pilot_helpers import SIZE, settle, static_text

    from capslice_tui.app.app import make_app
    from capslice_tui.app.screens.diagnose import DiagnoseScreen

    for runs, banner in ((("ft", "rr"), "not two checkpoints of one training lineage"),
                         (("ck1", None), "difficulty not ruled out")):  # fmt: skip
        args = [r for r in runs if r]
        cli = json.loads(_cli(store, "diagnose", *args, "--benchmark", "gsm8k", "--format", "json"))
        app = make_app(store, ascii=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await app.push_screen(DiagnoseScreen(runs[0], runs[1], benchmark="gsm8k"))
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, DiagnoseScreen) and screen.data is not None
            for key in ("verdict", "reason", "summary"):
                assert screen.data.get(key) == cli.get(key), key
            assert banner in static_text(app, "#verdict")


@pytest.mark.skipif(
    not (SHARED / "gsm8k" / "example_model_solutions.jsonl").exists(),
    reason="../shared/data (the GSM8K example model solutions) is not here",
)
def test_the_real_gsm8k_finetuning_and_verification_systems(tmp_path: Path) -> None:
    src = SHARED / "gsm8k" / "example_model_solutions.jsonl"
    rows = [json.loads(line) for line in src.read_text().splitlines() if line.strip()]
    store = tmp_path / "s.db"
    ws = Workspace(store)
    for system in ("175b_finetuning", "175b_verification"):
        path = tmp_path / f"{system}.jsonl"
        path.write_text("".join(
            json.dumps({"doc_id": i, "question": r["question"], "ground_truth": r["ground_truth"],
                        "response": r[system]["solution"], "correct": r[system]["is_correct"]})
            + "\n" for i, r in enumerate(rows)
        ))  # fmt: skip
        ws.ingest([path], run=f"gsm/{system}", benchmark="gsm8k", model=system)
    for pair in (("gsm/175b_finetuning", "gsm/175b_verification"),
                 ("gsm/175b_verification", "gsm/175b_finetuning")):  # fmt: skip
        d = ws.diagnose(*pair).to_dict()
        assert (d["verdict"], d["reason"]) == ("inconclusive", "not_a_checkpoint_pair")
    alone = ws.diagnose("gsm/175b_finetuning").to_dict()
    if alone["verdict"] == "data":
        assert "difficulty is not ruled out" in alone["summary"]
        assert "--reference gsm/175b_verification" in alone["summary"]
