"""A complete final answer that is wrong is a wrong answer, whatever the text does after it.

Story 1 (EOS masked): the model states its answer ("So the answer is True.") and, never
emitting EOS, goes on with filler or a loop up to the token cap. When that answer is wrong the
sample was classed ``truncated`` (or ``runaway``), so the decomposition's format part counted
samples whose answer was never lost (the demo's bbh-eos-masked: 117 truncated + 2 runaway; the
format part -66.5 points against a net -28.1). Such a sample is a wrong answer; the cap and the
loop are secondary facts in its reason and signals. A sample whose answer was lost (cut at the
cap, never given, only mentioned, or not extracted) stays a format failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from demo_store import bbh_pair_and_math_store

from capslice_tui.analysis.failure_modes import classify, complete_answer, cut_after_no_answer
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.rescore import output_constraint_of, score_sample

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BBH_COT = SHARED / "bbh" / "outputs" / "code-davinci-002_cot.jsonl"

FILLER = (
    "\nThe same reasoning applies to similar problems with more objects."
    "\nIf any statement were different, the result could change."
    "\nLet me go over the reasoning again to make sure nothing was missed."
    "\nAnother way to see this is to write down the intermediate results in"
)
AT_CAP = {"max_gen_toks": 256, "n_output_tokens": 256}
STATED = "last 'answer is' statement"


def test_wrong_answer_then_filler_to_the_cap_is_a_wrong_answer() -> None:
    text = "Putting this together gives True. So the answer is True." + FILLER
    fm = classify(text, "False", 0.0, "True", "true_false", **AT_CAP,
                  lenient_answer="True", lenient_correct=False, lenient_step=STATED)  # fmt: skip
    assert fm.mode == "wrong_answer", fm
    assert {"cap", "cut_end"} <= set(fm.signals)
    assert fm.reason.startswith("answer 'True' (last 'answer is' statement) does not match")
    assert "response 256 tokens of max_gen_toks 256" in fm.reason  # the cap: secondary, named
    # the log's extraction alone (no lenient input) says the same
    alone = classify(text, "False", 0.0, "True", "true_false", **AT_CAP)
    assert alone.mode == "wrong_answer" and "cap" in alone.signals


def test_wrong_answer_then_a_loop_or_a_mangled_span_is_a_wrong_answer() -> None:
    loop = "So the answer is (C).\n" + "Each step above follows from the statements.\n" * 12
    fm = classify(loop, "(A)", 0.0, "(C)", "option_letter", **AT_CAP,
                  lenient_answer="C", lenient_correct=False, lenient_step=STATED)  # fmt: skip
    assert fm.mode == "wrong_answer" and {"cap", "repetition"} <= set(fm.signals), fm
    # the harness's regex took the rest of the line: still the model's wrong answer
    span = "So the answer is False, and the same reasoning applies to more objects. Each st"
    fm = classify(span, "True", 0.0, "False, and the same reasoning applies to more objects",
                  "true_false", **AT_CAP, lenient_answer="False", lenient_correct=False,
                  lenient_step=STATED)  # fmt: skip
    assert fm.mode == "wrong_answer", fm
    assert "official extraction gave 'False, and the same" in fm.reason


@pytest.mark.parametrize(
    ("text", "answer", "step", "mode"),
    [
        # cut mid-answer at the cap: the answer was lost
        ("Putting this together gives F. So the answer is F", "F", STATED, "truncated"),
        ("Putting this together gives (C). So the answer is (", "(", STATED, "truncated"),
        ("So the answer is 12.", "12", STATED, "truncated"),  # 12.5 may have been cut
        # no statement: the lenient fallback read a mention, not a final answer
        ("Hence the result is True." + FILLER, "True", "last 'true'/'false' word", "truncated"),
        # a loop that never concluded
        ("Each step above follows from the statements.\n" * 14, None, None, "runaway"),
    ],
)
def test_a_lost_answer_stays_a_format_failure(
    text: str, answer: str | None, step: str | None, mode: str
) -> None:
    fm = classify(text, "False", 0.0, "[invalid]", "true_false", **AT_CAP,
                  lenient_answer=answer, lenient_correct=False, lenient_step=step)  # fmt: skip
    assert fm.mode == mode, fm


def test_right_answer_present_at_the_cap_stays_an_extraction_failure() -> None:
    text = "Putting this together gives True. Therefore True is correct." + FILLER
    fm = classify(text, "True", 0.0, "[invalid]", "true_false", **AT_CAP,
                  lenient_answer="True", lenient_correct=True,
                  lenient_step="last 'true'/'false' word")  # fmt: skip
    assert fm.mode == "extraction_failure" and "answer_present" in fm.signals


def test_complete_answer_reads_where_the_answer_ends() -> None:
    assert complete_answer("So the answer is (B).\nMore", "B") is not None
    assert complete_answer("The final answer is $\\boxed{12}$. Next", "12") is not None
    assert complete_answer("So the answer is Y", "Y") is None  # the text ends on it
    assert complete_answer("So the answer is 12.5 and", "12") is None  # not that number
    assert complete_answer("The answer is 3 + 4 = 7", "3") is None  # an expression goes on
    assert complete_answer("gives True. More text", "True") is None  # no answer statement
    assert complete_answer("So the answer is True. More", "True", "last number") is None


def test_a_cut_inferred_without_a_logged_cap_spares_a_complete_answer() -> None:
    """``cut_after_no_answer``: the ``ends_cut`` for ``Store.infer_truncation`` (logs without
    ``max_gen_toks``), which turns wrong answers that end cut near the task's longest response
    into truncations: a complete answer followed by filler is not cut; a lost one is."""
    assert cut_after_no_answer("So the answer is (C).\nLet me check it again, and the") is None
    assert cut_after_no_answer("#### 37\nThen we go on and") is None
    assert str(cut_after_no_answer("So the answer is (")).startswith("ends mid-answer")
    assert str(cut_after_no_answer("We compute 3 and then the")).startswith("ends mid-sentence")
    assert str(cut_after_no_answer("gives True. More and")).startswith("ends mid-sentence")
    assert cut_after_no_answer("So the answer is 5.") is None  # not cut at all


def test_demo_eos_masked_wrong_answers_are_not_format_failures(tmp_path: Path) -> None:
    """The demo's story 1 (sample_data ships with the project): every bbh-eos-masked sample
    whose harness extraction is a valid answer is right or a wrong answer (117 of them were
    truncated), and the pair's verdict stays not_data with the honest format part."""
    store = bbh_pair_and_math_store(tmp_path)
    ws = Workspace(store)
    rows, more = ws.samples("bbh-eos-masked", limit=1000)
    assert not more and len(rows) == 480
    valid = [r for r in rows if (r["extracted"] or "").strip() not in ("", "[invalid]")]
    assert {r["failure_mode"] for r in valid} <= {"correct", "wrong_answer", "extraction_failure"}
    wrong = [r for r in valid if r["failure_mode"] == "wrong_answer"]
    at_cap = [r for r in wrong if "cap" in (r["failure_signals"] or "").split(",")]
    assert len(at_cap) == 119  # were 117 truncated and 2 runaway (a loop after the answer)
    modes = {
        m: sum(r["failure_mode"] == m for r in rows) for m in {r["failure_mode"] for r in rows}
    }
    assert modes == {"correct": 151, "wrong_answer": 129, "extraction_failure": 98,
                     "truncated": 73, "runaway": 29}  # fmt: skip
    diag = ws.diagnose("bbh-base", "bbh-eos-masked", benchmark="bbh")
    data = diag.to_dict()
    assert (data["verdict"], data["reason"]) == ("not_data", "format_failures")
    assert "format failures account for -41.7 points" in data["summary"]
    assert "net -28.1 points" in data["summary"]


@pytest.mark.skipif(not BBH_COT.exists(), reason=f"real BBH outputs not found at {BBH_COT}")
def test_real_bbh_wrong_answers_run_on_to_the_cap_stay_wrong_answers() -> None:
    """The real code-davinci-002 CoT predictions (../shared/data), each continued as an
    EOS-masked model would (filler to the cap): those with a wrong stated answer stay wrong
    answers, those cut mid-statement stay truncated."""
    rows = [json.loads(line) for line in BBH_COT.read_text().splitlines()]
    modes: dict[str, int] = {}
    for row in rows[:1500]:
        pred, target = row["prediction"], row["target"]
        if "So the answer is" not in pred or not pred.rstrip().endswith("."):
            continue
        constraint = output_constraint_of(None, target)
        plain = score_sample(pred, target, constraint, official=None, extracted=None)
        if plain.score >= 1.0 or plain.failure_mode != "wrong_answer":
            continue
        ran_on = score_sample(pred + FILLER, target, constraint, official=0.0,
                              extracted=plain.extracted, **AT_CAP)  # fmt: skip
        modes[ran_on.failure_mode] = modes.get(ran_on.failure_mode, 0) + 1
        assert ran_on.failure_mode == "wrong_answer", (row["task"], row["doc_id"], ran_on)
        assert "cap" in (ran_on.failure_signals or "")
    assert modes.get("wrong_answer", 0) >= 100, modes
