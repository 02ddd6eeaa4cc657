"""The other layouts people have: lmms-eval 0.7 samples, lighteval details parquet, reasoning
traces (every reader), OpenCompass model folders.

Inputs: ``tests/fixtures/cases/ing-05-lmms-flat`` (copied from ``../shared/cases``),
``tests/fixtures/lmms-eval-0.7-doc`` (built from lmms-eval ``docs/lmms-eval-0.7.md`` §2.4/§4),
and lighteval details written here with pyarrow from lighteval's ``DetailsLogger.Detail``
(0.11+ struct columns; 0.3-0.10 flat columns, 0.4-0.7 with every value ``str()``-ed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from capslice_tui.store.schema import MIGRATIONS
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest import BadLine, SampleRecord, detect_format, read_paths
from capslice_tui.ingest.lighteval import split_task_name
from capslice_tui.ingest.reasoning import split_reasoning
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.ingest import MAX_RESPONSE_CHARS
from capslice_tui.workspace.ingest import ingest as ingest_logs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ING05 = FIXTURES / "cases" / "ing-05-lmms-flat"
LMMS_DOC = FIXTURES / "lmms-eval-0.7-doc"
TS = "2025-01-01T00-00-00.000000"


def _read(paths: list[Path], **kwargs) -> tuple:
    ctx, records = read_paths(paths, **kwargs)
    items = list(records)
    good = [r for r in items if isinstance(r, SampleRecord)]
    bad = [r for r in items if isinstance(r, BadLine)]
    return ctx, good, bad


# --------------------------------------------------------------------------- reasoning traces


@pytest.mark.parametrize(
    ("text", "trace", "answer"),
    [
        ("<think>2 plus 3</think> The answer is 5", "2 plus 3", "The answer is 5"),
        # the chat template put <think> in the prompt (DeepSeek-R1, Qwen3): only the end tag
        ("add them</think>\n\n#### 18", "add them", "#### 18"),
        ("<thinking>a</thinking>B", "a", "B"),
        ("<reasoning>r</reasoning>\nC", "r", "C"),
        (
            "<|begin_of_thought|>t<|end_of_thought|>\n<|begin_of_solution|>\n42\n"
            "<|end_of_solution|>",
            "t",
            "42",
        ),
        ("<seed:think>s</seed:think>7", "s", "7"),
        ("◁think▷k◁/think▷ D", "k", "D"),
        ("[THINK]m[/THINK]E", "m", "E"),
        ("<|START_THINKING|>c<|END_THINKING|><|START_RESPONSE|>F<|END_RESPONSE|>", "c", "F"),
        (
            "<|channel|>analysis<|message|>h<|end|><|start|>assistant<|channel|>final"
            "<|message|>G<|return|>",
            "h",
            "G",
        ),
        ("analysisWe add.assistantfinalThe answer is 9", "We add.", "The answer is 9"),
        # two blocks: the answer is what follows the last one
        ("<think>a</think>x<think>b</think> y", "a</think>x<think>b", "y"),
        # nothing after the trace: an empty answer, the trace kept
        ("<think>only thinking</think>", "only thinking", ""),
    ],
)
def test_split_reasoning_forms(text: str, trace: str, answer: str) -> None:
    assert split_reasoning(text) == (trace, answer)


@pytest.mark.parametrize(
    "text",
    ["<think>never closed, ran out of tokens", "plain answer 5", "", "analysis of it: 5", None],
)
def test_split_reasoning_leaves_other_text_alone(text: str | None) -> None:
    # an unclosed trace stays in the response so the classifier sees the unfinished generation
    assert split_reasoning(text) == (None, text)


def test_lmeval_reader_splits_traces(tmp_path: Path) -> None:
    line = {
        "doc_id": 0,
        "doc": {"question": "q", "answer": "#### 5"},
        "target": "5",
        "arguments": {"gen_args_0": {"arg_0": "Q: q\nA:", "arg_1": {"until": ["Q:"]}}},
        "resps": [["<think>2+3 is 5; the example said #### 72</think>#### 5"]],
        "filtered_resps": ["5"],
        "filter": "strict-match",
        "metrics": ["exact_match"],
        "exact_match": 1.0,
    }
    path = tmp_path / f"samples_gsm8k_{TS}.jsonl"
    path.write_text(json.dumps(line) + "\n")
    _ctx, good, bad = _read([path])
    assert bad == []
    assert [(r.response, r.reasoning, r.correct) for r in good] == [
        ("#### 5", "2+3 is 5; the example said #### 72", 1.0)
    ]


def test_generic_reader_splits_traces(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    rows = [
        {"task": "t", "doc_id": 0, "target": "5", "response": "<think>x</think>5"},
        {"task": "t", "doc_id": 1, "target": "6", "response": "6"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    _ctx, good, _bad = _read([path])
    assert [(r.doc_id, r.response, r.reasoning) for r in good] == [
        ("0", "5", "x"),
        ("1", "6", None),
    ]


# --------------------------------------------------------------------------- lmms-eval


def test_ing05_lmms_flat_samples_are_read() -> None:
    assert detect_format([ING05]) == "lmms-eval"
    ctx, good, bad = _read([ING05])
    assert bad == []
    assert ctx.run_meta["lmms_eval_version"] == "0.7.0"
    assert [(r.doc_id, r.response, r.reasoning, r.extracted, r.correct) for r in good] == [
        ("0", "The answer is 5", "2 plus 3", "5", 1.0),
        # no 'resps': it equalled filtered_resps, so the response is the filtered text
        ("1", "9", None, "9", 0.0),
        ("2", "The answer is 2", None, "2", 1.0),
    ]
    assert {r.task for r in good} == {"mathvista_mini"}


def test_ing05_ingest_scores_two_of_three_and_shows_the_trace(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    ws = Workspace(store)
    report = ws.ingest([ING05], run="r")
    assert report.runs == {"r": 3} and report.format == "lmms-eval"
    assert any(n.startswith("1 response held a reasoning trace") for n in report.notes)
    rows, _ = ws.samples("r", limit=10)
    assert sorted((r["doc_id"], r["score"]) for r in rows) == [("0", 1.0), ("1", 0.0), ("2", 1.0)]
    first = ws.sample(next(r["id"] for r in rows if r["doc_id"] == "0"))
    assert (first["response"], first["reasoning"], first["reasoning_chars"]) == (
        "The answer is 5",
        "2 plus 3",
        8,
    )
    assert first["failure_mode"] == "correct"
    result = CliRunner().invoke(main, ["--store", str(store), "sample", str(first["id"])])
    assert result.exit_code == 0, result.output
    trace_at = result.output.index("--- reasoning")
    assert "2 plus 3" in result.output[trace_at:]
    assert result.output.index("--- response ---\nThe answer is 5") > trace_at
    sliced = CliRunner().invoke(
        main, ["--store", str(store), "slices", "--run", "r", "--format", "json"]
    )
    assert json.loads(sliced.output)["overall"]["score"] == pytest.approx(2 / 3)


def test_lmms_documented_schema() -> None:
    ctx, good, bad = _read([LMMS_DOC])
    assert bad == [] and ctx.format == "lmms-eval"
    assert ctx.tasks["mme_mini"].max_gen_toks == 1024  # generation_kwargs.max_new_tokens
    assert [
        (r.doc_id, r.prompt.splitlines()[0], r.response, r.reasoning, r.correct) for r in good
    ] == [
        ("0", "What is shown in this image?", "cat", "The image shows a small furry animal "
         "sitting on a windowsill...", 1.0),
        ("1", "What colour is the sky in this image?", "grey", None, 0.0),
        ("2", "How many dogs are in this image?", "There are 2 dogs.",
         "one on the left, one on the right", 0.0),
    ]  # fmt: skip
    assert all(r.filter == "none" and r.metrics == {"exact_match": r.correct} for r in good)


def test_lm_eval_line_without_resps_is_still_refused(tmp_path: Path) -> None:
    """Only lines lmms-eval writes get the 'resps left out' reading; an lm-eval line (with
    'arguments', no lmms-eval signal) missing 'resps' is a bad line."""
    line = {
        "doc_id": 0,
        "doc": {"question": "q"},
        "target": "5",
        "arguments": {"gen_args_0": {"arg_0": "q", "arg_1": {}}},
        "filtered_resps": ["5"],
        "exact_match": 1.0,
    }
    path = tmp_path / f"samples_gsm8k_{TS}.jsonl"
    path.write_text(json.dumps(line) + "\n")
    assert detect_format([path]) == "lm-eval"
    _ctx, good, bad = _read([path])
    assert good == [] and "'resps'" in bad[0].reason


# --------------------------------------------------------------------------- lighteval


def _write_parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _new_row(query, choices, gold, text, metric, *, logprobs=None, reasonings=None, tokens=None):
    return {
        "doc": {
            "query": query,
            "choices": choices,
            "gold_index": gold,
            "instruction": "",
            "id": "",
            "task_name": "lighteval|gsm8k",
            "generation_size": 256,
            "stop_sequences": ["Question:"],
            "num_samples": len(text) or 1,
        },
        "model_response": {
            "input": f"Question: {query}\nAnswer:",
            "text": text,
            "reasonings": reasonings or [],
            "logprobs": logprobs or [],
            "output_tokens": tokens or [],
            "truncated_tokens_count": 0,
            "padded_tokens_count": 0,
        },
        "metric": metric,
    }


def test_lighteval_details_struct_layout(tmp_path: Path) -> None:
    model_dir = tmp_path / "out" / "details" / "org__model" / TS
    _write_parquet(
        model_dir / f"details_lighteval|gsm8k|5_{TS}.parquet",
        [
            _new_row(
                "Janet has 3 eggs and buys 2. How many?",
                ["5"],
                0,
                ["<think>3+2</think>The answer is 5"],
                {"extractive_match": 1.0},
                tokens=[[11, 12, 13]],
            ),
            _new_row("What is 4+4?", ["8"], 0, ["9"], {"extractive_match": 0.0}),
            # pass@k with n=2: only the per-document aggregate is stored
            _new_row(
                "What is 1+1?",
                ["2"],
                0,
                ["2", "3"],
                {"pass@k:k=1&n=2": 0.5},
                reasonings=["adding", None],
            ),
        ],
    )
    _write_parquet(
        model_dir / f"details_leaderboard|arc:challenge|25_{TS}.parquet",
        [
            _new_row("Which is a metal?", ["wood", "iron"], 1, [], {"acc": 1.0},
                     logprobs=[-3.0, -0.5]),
        ],
    )  # fmt: skip
    results_dir = tmp_path / "out" / "results" / "org__model"
    results_dir.mkdir(parents=True)
    (results_dir / f"results_{TS}.json").write_text(
        json.dumps({"config_general": {"model_name": "org/model"}, "results": {}})
    )
    assert detect_format([tmp_path / "out"]) == "lighteval"
    ctx, good, bad = _read([tmp_path / "out"])
    assert bad == [] and ctx.run_meta["model_name"] == "org/model"
    got = [
        (r.task, r.doc_id, r.sample_idx, r.response, r.reasoning, r.target, r.correct) for r in good
    ]
    assert got == [
        ("arc:challenge", "0", 0, "iron", None, "iron", 1.0),
        ("gsm8k", "0", 0, "The answer is 5", "3+2", "5", 1.0),
        ("gsm8k", "1", 0, "9", None, "8", 0.0),
        ("gsm8k", "2", 0, "2", "adding", "2", None),
        ("gsm8k", "2", 1, "3", None, "2", None),
    ]
    gsm = [r for r in good if r.task == "gsm8k"]
    assert gsm[0].prompt.startswith("Question: Janet") and gsm[0].n_output_tokens == 3
    # keys other rows of the task carry read as absent (None), not as a score
    assert gsm[2].metrics == {"pass@k:k=1&n=2": 0.5} and gsm[3].metrics == {}
    assert gsm[0].metrics == {"extractive_match": 1.0}
    assert gsm[0].benchmark == "gsm8k" and good[0].benchmark == "arc"
    assert "golds" not in gsm[0].doc
    assert ctx.tasks["gsm8k"].num_fewshot == 5 and ctx.tasks["gsm8k"].until == ["Question:"]
    assert ctx.tasks["gsm8k"].max_gen_toks == 256
    assert ctx.tasks["arc:challenge"].num_fewshot == 25


def test_lighteval_details_flat_str_layout(tmp_path: Path) -> None:
    """lighteval 0.4-0.7 (and leaderboard copies) wrote every column as str(value)."""
    rows = [
        {
            "example": "What is 2+2?",
            "instruction": "",
            "full_prompt": "Q: What is 2+2?\nA:",
            "num_effective_few_shots": "0",
            "num_asked_few_shots": "0",
            "predictions": str(["4"]),
            "input_tokens": str([1, 2]),
            "cont_tokens": str([3]),
            "truncated": str([0]),
            "padded": str([0]),
            "gold": str(["4", "four"]),
            "pred_logits": str([]),
            "choices": str([]),
            "gold_index": str([]),
            "metrics": str({"em": 1, "qem": 1}),
            "specifics": str({}),
        },
        {
            "example": "Pick the fruit.",
            "instruction": "",
            "full_prompt": "Pick the fruit.\nA. rock\nB. apple\nAnswer:",
            "num_effective_few_shots": "0",
            "num_asked_few_shots": "0",
            "predictions": str([(-2.5, False), (-0.1, True)]),
            "input_tokens": str([]),
            "cont_tokens": str([]),
            "truncated": str([0]),
            "padded": str([0]),
            "gold": str(["B"]),
            "pred_logits": str([]),
            "choices": str([" A", " B"]),
            "gold_index": str([1]),
            "metrics": str({"acc": 1, "acc_norm": 1}),
            "specifics": str({"subject": "food"}),
        },
    ]
    path = _write_parquet(tmp_path / f"details_harness|mmlu:food|0_{TS}.parquet", rows)
    ctx, good, bad = _read([path])
    assert bad == [] and ctx.format == "lighteval"
    assert [(r.task, r.response, r.target, r.correct, r.metrics) for r in good] == [
        ("mmlu:food", "4", "4", 1.0, {"em": 1.0, "qem": 1.0}),
        ("mmlu:food", " B", " B", 1.0, {"acc": 1.0, "acc_norm": 1.0}),
    ]
    assert good[0].prompt == "Q: What is 2+2?\nA:" and good[1].doc["subject"] == "food"
    assert good[0].doc["query"] == "What is 2+2?" and good[0].doc["golds"] == ["4", "four"]


def test_lighteval_unknown_columns_name_the_file(tmp_path: Path) -> None:
    path = _write_parquet(tmp_path / "details_x_2025.parquet", [{"a": 1, "b": "x"}])
    _ctx, good, bad = _read([path])
    assert good == [] and "a, b" in bad[0].reason and bad[0].source_file == str(path)


def test_lighteval_gzipped_and_damaged_files(tmp_path: Path) -> None:
    import gzip

    row = _new_row("What is 4+4?", ["8"], 0, ["8"], {"extractive_match": 1.0})
    plain = _write_parquet(tmp_path / "plain" / f"details_gsm8k|0_{TS}.parquet", [row])
    packed = tmp_path / "gz" / f"details_gsm8k|0_{TS}.parquet.gz"
    packed.parent.mkdir()
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    _ctx, good, bad = _read([packed])
    assert bad == [] and [(r.task, r.response, r.correct) for r in good] == [("gsm8k", "8", 1.0)]
    cut = tmp_path / "cut" / f"details_gsm8k|0_{TS}.parquet"
    cut.parent.mkdir()
    cut.write_bytes(plain.read_bytes()[:200])
    _ctx, good, bad = _read([cut])
    assert good == [] and bad[0].source_file == str(cut) and not bad[0].torn
    assert "not a readable parquet file" in bad[0].reason


def test_lighteval_task_names() -> None:
    assert split_task_name("leaderboard|bbh:navigate|3") == ("bbh:navigate", 3)
    assert split_task_name("gsm8k|5") == ("gsm8k", 5)
    assert split_task_name("custom_task") == ("custom_task", None)


def test_pyarrow_is_imported_only_for_parquet() -> None:
    code = (
        "import sys; import capslice_tui.cli, capslice_tui.ingest, capslice_tui.workspace;"
        "print('pyarrow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- OpenCompass runs


def _oc(root: Path, models: dict[str, int]) -> Path:
    for model, n in models.items():
        preds = root / "predictions" / model
        results = root / "results" / model
        preds.mkdir(parents=True)
        results.mkdir(parents=True)
        entries = {
            str(i): {"origin_prompt": f"q{i}", "prediction": f"answer is {i % 2}", "gold": "0"}
            for i in range(n)
        }
        (preds / "bbh-navigate.json").write_text(json.dumps(entries))
        details = [{"pred": str(i % 2), "answer": "0", "correct": i % 2 == 0} for i in range(n)]
        (results / "bbh-navigate.json").write_text(json.dumps({"details": details}))
    return root


def test_opencompass_counts_per_model_run_across_mixed_batches(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    work = _oc(tmp_path / "w", {"model-a": 4, "model-b": 8})
    # batches of 3 mix both models in one batch, then hold model-b alone
    report = ingest_logs(ws.store, ws.taxonomy, [work], run="r", batch_size=3)
    assert report.runs == {"r/model-a": 4, "r/model-b": 8}
    assert report.read_per_run == {"r/model-a": 4, "r/model-b": 8}
    again = ingest_logs(ws.store, ws.taxonomy, [work], run="r", batch_size=3)
    assert again.runs == {"r/model-a": 0, "r/model-b": 0}
    files = {r["name"]: r["source_files"] for r in ws.store.list_runs()}
    assert all("/model-b/" in f for f in files["r/model-b"]) and len(files["r/model-b"]) == 2


def test_opencompass_single_model_folder_is_stored_under_run_name(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    report = ws.ingest([_oc(tmp_path / "w", {"model-a": 4})], run="ckpt-1000")
    assert report.runs == {"ckpt-1000": 4}
    assert [r["name"] for r in ws.store.list_runs()] == ["ckpt-1000"]


# --------------------------------------------------------------------------- the store


def test_reasoning_is_capped_like_responses(tmp_path: Path) -> None:
    assert "0010_reasoning" in [name for name, _ in MIGRATIONS]
    trace = "step " * (MAX_RESPONSE_CHARS // 4)
    path = tmp_path / "preds.jsonl"
    row = {"task": "t", "doc_id": 0, "target": "5", "response": f"<think>{trace}</think>5"}
    path.write_text(json.dumps(row) + "\n")
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([path], run="r")
    rows, _ = ws.samples("r", limit=1)
    stored = ws.sample(rows[0]["id"])
    assert len(stored["reasoning"]) == MAX_RESPONSE_CHARS
    assert stored["reasoning_chars"] == len(trace.strip())
    assert stored["response"] == "5" and stored["score"] == 1.0
