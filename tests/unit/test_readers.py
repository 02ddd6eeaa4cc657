"""Readers: lm-eval (every 0.4.x layout), OpenCompass, generic JSONL/CSV, format detection.

Input files are built here from the documented schemas (formats.md §1.2-1.4, §2, §6); the
real saved files under ``<repo>/../shared/data`` are read at the end when present.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from capslice_tui.ingest import BadLine, SampleRecord, detect_format, open_text, read_paths

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
TS = "2024-07-03T14-05-09.123456"
TS2 = "2024-07-04T10-00-00.000001"
GSM_TARGET = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n#### 18"


def _gen_line(doc_id: int, filt: str | None, resps: list[str], filtered: list, **metrics) -> dict:
    line = {
        "doc_id": doc_id,
        "doc": {"question": f"q{doc_id}", "answer": GSM_TARGET},
        "target": GSM_TARGET,
        "arguments": {
            "gen_args_0": {
                "arg_0": f"Question: q{doc_id}\nAnswer:",
                # what lm-eval writes: the task's generation_kwargs (GSM_CONFIG's)
                "arg_1": {
                    "until": ["Question:", "</s>", "<|im_end|>"],
                    "do_sample": False,
                    "temperature": 0.0,
                    "max_gen_toks": 256,
                },
            }
        },
        "resps": [resps],
        "filtered_resps": filtered,
        "doc_hash": f"hash{doc_id}",
        "prompt_hash": "p",
        "target_hash": "t",
    }
    if filt is not None:
        line["filter"] = filt
        line["metrics"] = list(metrics)
    line.update(metrics)
    return line


def _results(tasks: dict[str, dict], groups: dict[str, list[str]] | None = None) -> dict:
    return {
        "results": {task: {"alias": task} for task in tasks},
        "group_subtasks": groups or {task: [] for task in tasks},
        "configs": tasks,
        "n-samples": {task: {"original": 1319, "effective": 2} for task in tasks},
        "config": {"model": "hf", "model_args": "pretrained=EleutherAI/pythia-70m"},
        "tokenizer_eos_token": ["</s>", "2"],
        "lm_eval_version": "0.4.8",
        "model_name": "EleutherAI/pythia-70m",
    }


GSM_CONFIG = {
    "generation_kwargs": {
        "until": ["Question:", "</s>", "<|im_end|>"],
        "do_sample": False,
        "temperature": 0.0,
        "max_gen_toks": 256,
    },
    "filter_list": [
        {"name": "strict-match", "filter": []},
        {"name": "flexible-extract", "filter": []},
    ],
    "repeats": 1,
    "num_fewshot": 5,
}


def _write_jsonl(path: Path, rows: list[dict], trailing_newline: bool = True) -> Path:
    text = "\n".join(json.dumps(r) for r in rows) + ("\n" if trailing_newline else "")
    path.write_text(text)
    return path


def _read(paths, **kwargs) -> tuple:
    ctx, records = read_paths([Path(p) for p in paths], **kwargs)
    items = list(records)
    good = [r for r in items if isinstance(r, SampleRecord)]
    bad = [r for r in items if isinstance(r, BadLine)]
    return ctx, good, bad


@pytest.fixture
def lmeval_dir(tmp_path: Path) -> Path:
    out = tmp_path / "EleutherAI__pythia-70m"
    out.mkdir()
    rows = []
    for doc_id, (strict_ok, flex_ok) in enumerate([(1.0, 1.0), (0.0, 1.0)]):
        text = "She sells 9 eggs. #### 18" if strict_ok else "She sells 9 eggs, so 18"
        rows.append(
            _gen_line(
                doc_id,
                "strict-match",
                [text],
                ["18" if strict_ok else "[invalid]"],
                exact_match=strict_ok,
            )
        )
        rows.append(_gen_line(doc_id, "flexible-extract", [text], ["18"], exact_match=flex_ok))
    _write_jsonl(out / f"samples_gsm8k_{TS}.jsonl", rows)
    (out / f"results_{TS}.json").write_text(json.dumps(_results({"gsm8k": GSM_CONFIG})))
    return out


def test_lmeval_jsonl_two_filters(lmeval_dir: Path) -> None:
    assert detect_format([lmeval_dir]) == "lm-eval"
    ctx, good, bad = _read([lmeval_dir])
    assert bad == []
    assert ctx.format == "lm-eval"
    assert [(r.doc_id, r.filter, r.extracted, r.correct) for r in good] == [
        ("0", "strict-match", "18", 1.0),
        ("0", "flexible-extract", "18", 1.0),
        ("1", "strict-match", "[invalid]", 0.0),
        ("1", "flexible-extract", "18", 1.0),
    ]
    first = good[0]
    assert first.task == "gsm8k" and first.benchmark == "gsm8k"
    assert first.prompt == "Question: q0\nAnswer:"
    assert first.target == GSM_TARGET
    assert first.doc == {"question": "q0", "answer": GSM_TARGET}
    assert first.doc_hash == "hash0"
    assert first.metrics == {"exact_match": 1.0}
    assert first.source_line == 1 and good[3].source_line == 4
    cfg = ctx.tasks["gsm8k"]
    assert cfg.until == ["Question:", "</s>", "<|im_end|>"]
    assert (cfg.max_gen_toks, cfg.temperature, cfg.do_sample, cfg.repeats) == (256, 0.0, False, 1)
    assert cfg.filters == ["strict-match", "flexible-extract"]
    assert (cfg.eos_token, cfg.n_samples, cfg.num_fewshot) == ("</s>", 2, 5)
    assert ctx.run_meta["model_name"] == "EleutherAI/pythia-70m"
    assert ctx.run_meta["tokenizer_eos_token"] == "</s>"
    assert ctx.run_meta["timestamps"] == [TS]
    assert any(s.endswith(f"samples_gsm8k_{TS}.jsonl") for s in ctx.run_meta["source_files"])


def test_lmeval_repeats_gives_k_samples_the_first_with_the_line_score(tmp_path: Path) -> None:
    texts = ["#### 18", "#### 17", "#### 18", "no idea"]
    line = _gen_line(0, "score-first", texts, ["18"], exact_match=1.0)
    path = _write_jsonl(tmp_path / f"samples_gsm8k_cot_self_consistency_{TS}.jsonl", [line])
    ctx, good, bad = _read([path])
    assert [b.note for b in bad] == ["note"]  # what the score-first score is of
    # score-first (take_first) scores generation 0: it holds the line's score and answer
    assert [(r.sample_idx, r.response, r.correct, r.extracted) for r in good] == [
        (0, "#### 18", 1.0, "18"),
        (1, "#### 17", None, None),
        (2, "#### 18", None, None),
        (3, "no idea", None, None),
    ]
    assert good[0].metrics == {"exact_match": 1.0}
    assert all(r.metrics == {} for r in good[1:])
    assert good[0].benchmark == "gsm8k"


def test_lmeval_040_array_infers_filter_by_position(tmp_path: Path) -> None:
    rows = []
    for doc_id in (0, 1):
        for extracted, score in (("[invalid]", 0.0), ("18", 1.0)):
            line = _gen_line(doc_id, None, ["so 18"], [extracted], exact_match=score)
            gen_kwargs = GSM_CONFIG["generation_kwargs"]
            line["arguments"] = [[f"Question: q{doc_id}\nAnswer:", gen_kwargs]]
            for key in ("doc_hash", "prompt_hash", "target_hash"):
                del line[key]
            rows.append(line)
    (tmp_path / "pretrained__EleutherAI__pythia-70m_gsm8k.jsonl").write_text(
        json.dumps(rows, indent=2)
    )
    (tmp_path / "results.json").write_text(json.dumps(_results({"gsm8k": GSM_CONFIG})))
    assert detect_format([tmp_path]) == "lm-eval"
    ctx, good, bad = _read([tmp_path])
    assert bad == []
    assert [(r.task, r.doc_id, r.filter, r.extracted) for r in good] == [
        ("gsm8k", "0", "strict-match", "[invalid]"),
        ("gsm8k", "0", "flexible-extract", "18"),
        ("gsm8k", "1", "strict-match", "[invalid]"),
        ("gsm8k", "1", "flexible-extract", "18"),
    ]
    assert good[0].prompt == "Question: q0\nAnswer:"
    assert good[0].source_line == 1 and good[3].source_line == 4


def test_lmeval_045_jsonl_without_filter_key(tmp_path: Path) -> None:
    """0.4.3-0.4.5 JSONL: gen_args and hashes but no ``filter``: inferred by position."""
    rows = [
        _gen_line(0, None, ["so 18"], ["[invalid]"], exact_match=0.0),
        _gen_line(0, None, ["so 18"], ["18"], exact_match=1.0),
    ]
    _write_jsonl(tmp_path / f"samples_gsm8k_{TS}.jsonl", rows)
    (tmp_path / f"results_{TS}.json").write_text(json.dumps(_results({"gsm8k": GSM_CONFIG})))
    _ctx, good, _bad = _read([tmp_path])
    assert [(r.filter, r.correct, r.doc_hash) for r in good] == [
        ("strict-match", 0.0, "hash0"),
        ("flexible-extract", 1.0, "hash0"),
    ]


def test_lmeval_040_array_without_results_uses_none_filter(tmp_path: Path) -> None:
    line = _gen_line(0, None, ["so 18"], ["so 18"], exact_match=0.0)
    (tmp_path / "pretrained__gpt2_gsm8k.jsonl").write_text(json.dumps([line], indent=1))
    _ctx, good, _bad = _read([tmp_path])
    assert [(r.task, r.filter) for r in good] == [("gsm8k", "none")]


def test_lmeval_dev_snapshot_json_array(tmp_path: Path) -> None:
    line = _gen_line(3, "none", ["x"], ["x"], exact_match=0.0)
    path = tmp_path / f"samples_minerva_math_algebra_{TS}.json"
    path.write_text(json.dumps([line], indent=2))
    _ctx, good, _bad = _read([path])
    assert [(r.task, r.benchmark, r.doc_id, r.correct) for r in good] == [
        ("minerva_math_algebra", "math", "3", 0.0)
    ]


def test_lmeval_gzip_by_magic_bytes(tmp_path: Path) -> None:
    rows = [
        _gen_line(i, "get-answer", ["So the answer is 18."], ["18"], exact_match=1.0)
        for i in range(3)
    ]
    payload = ("\n".join(json.dumps(r) for r in rows) + "\n").encode()
    (tmp_path / f"samples_bbh_cot_fewshot_navigate_{TS}.jsonl.gz").write_bytes(
        gzip.compress(payload)
    )
    assert detect_format([tmp_path]) == "lm-eval"
    _ctx, good, bad = _read([tmp_path])
    assert bad == [] and len(good) == 3
    assert good[0].task == "bbh_cot_fewshot_navigate" and good[0].benchmark == "bbh"
    with open_text(tmp_path / f"samples_bbh_cot_fewshot_navigate_{TS}.jsonl.gz") as fh:
        assert json.loads(fh.readline())["doc_id"] == 0


def test_lmeval_torn_and_malformed_lines(tmp_path: Path) -> None:
    good_line = json.dumps(
        _gen_line(0, "get-answer", ["So the answer is No."], ["No"], exact_match=1.0)
    )
    torn = json.dumps(_gen_line(2, "get-answer", ["So the answer"], ["No"], exact_match=1.0))[:57]
    path = tmp_path / f"samples_bbh_cot_fewshot_navigate_{TS}.jsonl"
    path.write_text(
        good_line + "\n" + '{"doc_id": 1, "resps": [["x"]' + "\n" + good_line + "\n" + torn
    )
    _ctx, good, bad = _read([path])
    assert len(good) == 2
    assert [(b.line, b.torn) for b in bad] == [(2, False), (4, True)]
    assert "invalid JSON" in bad[0].reason
    assert str(bad[1]).startswith(f"{path}:4: torn last line")


def test_lmeval_missing_field_is_bad_line(tmp_path: Path) -> None:
    line = _gen_line(0, "none", ["x"], ["x"], exact_match=1.0)
    del line["resps"]
    path = _write_jsonl(tmp_path / f"samples_gsm8k_{TS}.jsonl", [line])
    _ctx, good, bad = _read([path])
    assert good == [] and bad[0].line == 1 and "'resps'" in bad[0].reason


def test_lmeval_nan_and_na_metrics_are_none(tmp_path: Path) -> None:
    line = _gen_line(0, "none", ["x"], ["x"], exact_match=float("nan"), math_verify="N/A")
    path = tmp_path / f"samples_minerva_math_algebra_{TS}.jsonl"
    path.write_text(json.dumps(line) + "\n")  # json.dumps writes the NaN literal, as lm-eval does
    assert "NaN" in path.read_text()
    _ctx, good, bad = _read([path])
    assert bad == []
    assert good[0].metrics == {"exact_match": None, "math_verify": None}
    assert good[0].correct is None


def test_lmeval_multiple_choice_line(tmp_path: Path) -> None:
    line = {
        "doc_id": 5,
        "doc": {"question": "2+2?", "choices": ["3", "4"]},
        "target": "1",
        "arguments": {
            "gen_args_0": {"arg_0": "Q: 2+2?\nA:", "arg_1": " 3"},
            "gen_args_1": {"arg_0": "Q: 2+2?\nA:", "arg_1": " 4"},
        },
        "resps": [[["-2.5", "False"]], [["-0.5", "True"]]],
        "filtered_resps": [["-2.5", "False"], ["-0.5", "True"]],
        "filter": "none",
        "metrics": ["acc", "acc_norm"],
        "acc": 1.0,
        "acc_norm": 0.0,
    }
    path = _write_jsonl(tmp_path / f"samples_mmlu_abstract_algebra_{TS}.jsonl", [line])
    _ctx, good, _bad = _read([path])
    record = good[0]
    assert (record.response, record.target, record.correct) == ("4", "4", 1.0)
    assert record.metrics == {"acc": 1.0, "acc_norm": 0.0}
    assert record.benchmark == "mmlu"


def test_lmeval_group_subtasks_give_top_level_benchmark(tmp_path: Path) -> None:
    leaf = "bbh_cot_fewshot_navigate"
    line = _gen_line(0, "get-answer", ["So the answer is No."], ["No"], exact_match=1.0)
    _write_jsonl(tmp_path / f"samples_{leaf}_{TS}.jsonl", [line])
    doc = _results(
        {leaf: {"filter_list": [{"name": "get-answer"}]}},
        {"bbh_suite": ["bbh_cot_fewshot"], "bbh_cot_fewshot": [leaf]},
    )
    (tmp_path / f"results_{TS}.json").write_text(json.dumps(doc))
    ctx, good, _bad = _read([tmp_path])
    assert good[0].benchmark == "bbh_suite"
    assert ctx.groups == {"bbh_suite": ["bbh_cot_fewshot"], "bbh_cot_fewshot": [leaf]}
    assert ctx.tasks[leaf].group == "bbh_cot_fewshot"


def test_lmeval_several_timestamps_refused_unless_files_named(tmp_path: Path) -> None:
    for ts in (TS, TS2):
        _write_jsonl(
            tmp_path / f"samples_gsm8k_{ts}.jsonl",
            [_gen_line(0, "none", ["x"], ["x"], exact_match=0.0)],
        )
    with pytest.raises(ValueError, match="several runs") as info:
        read_paths([tmp_path])
    assert TS in str(info.value) and TS2 in str(info.value)
    _ctx, good, _bad = _read([tmp_path / f"samples_gsm8k_{TS2}.jsonl"])
    assert len(good) == 1


# --------------------------------------------------------------------------- OpenCompass


def _oc_workdir(root: Path) -> Path:
    work = root / "20240101_120000"
    preds = work / "predictions" / "llama-3-8b-hf"
    results = work / "results" / "llama-3-8b-hf"
    preds.mkdir(parents=True)
    results.mkdir(parents=True)
    (preds / "bbh-navigate.json").write_text(
        json.dumps(
            {
                "0": {
                    "origin_prompt": "Q: walk?\nA:",
                    "prediction": "So the answer is No.",
                    "gold": "No",
                },
                "1": {
                    "origin_prompt": [{"role": "HUMAN", "prompt": "Q: turn?"}],
                    "prediction": "Yes",
                    "gold": "No",
                },
            }
        )
    )
    (results / "bbh-navigate.json").write_text(
        json.dumps(
            {
                "score": 50.0,
                "details": [
                    {"pred": "No", "answer": "No", "correct": True},
                    {"pred": "Yes", "answer": "No", "correct": False},
                ],
            }
        )
    )
    (preds / "math_0.json").write_text(
        json.dumps({"0": {"origin_prompt": "p0", "prediction": "a", "gold": "1"}})
    )
    (preds / "math_1.json").write_text(
        json.dumps({"0": {"origin_prompt": "p1", "prediction": "b", "gold": "2"}})
    )
    (results / "math.json").write_text(
        json.dumps(
            {"accuracy": 50.0, "details": {"0": {"is_correct": True}, "1": {"is_correct": False}}}
        )
    )
    (preds / "gsm8k.json").write_text(
        json.dumps(
            {
                str(i): {"origin_prompt": f"p{i // 2}", "prediction": str(i), "gold": "1"}
                for i in range(4)
            }
        )
    )
    (results / "gsm8k.json").write_text(
        json.dumps(
            {
                "accuracy": 50.0,
                "details": [
                    {
                        "example_abbr": "gsm8k_0",
                        "pred": ["0", "1"],
                        "cascade_correct": [False, True],
                    },
                    {
                        "example_abbr": "gsm8k_1",
                        "pred": ["2", "3"],
                        "cascade_correct": [True, False],
                    },
                ],
            }
        )
    )
    return work


def test_opencompass_workdir(tmp_path: Path) -> None:
    work = _oc_workdir(tmp_path)
    assert detect_format([work]) == "opencompass"
    ctx, good, bad = _read([work])
    assert bad == []
    assert ctx.run_meta["models"] == ["llama-3-8b-hf"]
    by_task: dict[str, list[SampleRecord]] = {}
    for record in good:
        by_task.setdefault(record.task, []).append(record)
    nav = by_task["bbh-navigate"]
    assert [(r.doc_id, r.correct, r.extracted, r.target) for r in nav] == [
        ("0", 1.0, "No", "No"),
        ("1", 0.0, "Yes", "No"),
    ]
    # one model folder: no system, so the run is stored under the name given with --run
    assert nav[0].benchmark == "bbh" and nav[0].system is None
    assert nav[1].prompt == "Q: turn?"
    assert [(r.doc_id, r.response, r.correct) for r in by_task["math"]] == [
        ("0", "a", 1.0),
        ("1", "b", 0.0),
    ]
    assert [
        (r.doc_id, r.sample_idx, r.response, r.correct, r.extracted) for r in by_task["gsm8k"]
    ] == [
        ("gsm8k_0", 0, "0", 0.0, "0"),
        ("gsm8k_0", 1, "1", 1.0, "1"),
        ("gsm8k_1", 0, "2", 1.0, "2"),
        ("gsm8k_1", 1, "3", 0.0, "3"),
    ]
    assert ctx.run_meta["opencompass_results"]["llama-3-8b-hf"]["bbh-navigate"] == {"score": 50.0}


def test_opencompass_several_models_one_system_each(tmp_path: Path) -> None:
    work = _oc_workdir(tmp_path)
    other = work / "predictions" / "qwen-7b"
    other.mkdir()
    (other / "bbh-navigate.json").write_text(
        json.dumps({"0": {"origin_prompt": "Q: walk?\nA:", "prediction": "No", "gold": "No"}})
    )
    ctx, good, bad = _read([work])
    assert bad == [] and ctx.run_meta["models"] == ["llama-3-8b-hf", "qwen-7b"]
    counts: dict[str | None, int] = {}
    for record in good:
        counts[record.system] = counts.get(record.system, 0) + 1
    assert counts == {"llama-3-8b-hf": 8, "qwen-7b": 1}
    _ctx, picked, _bad = _read([work], system="qwen-7b")
    assert [(r.task, r.system, r.response) for r in picked] == [("bbh-navigate", None, "No")]
    with pytest.raises(ValueError, match="model folders: llama-3-8b-hf, qwen-7b"):
        read_paths([work], system="gpt")


# --------------------------------------------------------------------------- generic


def test_generic_flat_rows(tmp_path: Path) -> None:
    rows = [
        {
            "task": "navigate",
            "doc_id": 7,
            "model": "m1",
            "prompting": "cot",
            "target": "No",
            "prediction": "So the answer is No.",
        },
        {
            "task": "navigate",
            "doc_id": 8,
            "model": "m1",
            "prompting": "cot",
            "target": "Yes",
            "prediction": "No",
        },
    ]
    path = _write_jsonl(tmp_path / "out.jsonl", rows)
    assert detect_format([path]) == "jsonl"
    ctx, good, _ = _read([path], benchmark="bbh")
    assert [(r.task, r.doc_id, r.benchmark, r.response, r.correct) for r in good] == [
        ("navigate", "7", "bbh", "So the answer is No.", None),
        ("navigate", "8", "bbh", "No", None),
    ]
    assert good[0].doc == {"model": "m1"}  # the prompting is a setting, not item text
    assert good[0].settings == {"prompting": "cot"}
    assert ctx.run_meta["model_name"] == "m1"


def test_generic_nested_systems(tmp_path: Path) -> None:
    rows = [
        {
            "question": "q0",
            "ground_truth": "work\nA: 1,018",
            "small": {"solution": "A: 1018", "is_correct": True},
            "big": {"solution": "A: 3", "is_correct": False},
        },
        {
            "question": "q1",
            "ground_truth": "work\n#### 5",
            "small": {"solution": "A: 4", "is_correct": False},
            "big": {"solution": "A: 5", "is_correct": True},
        },
    ]
    path = _write_jsonl(tmp_path / "solutions.jsonl", rows)
    ctx, good, _ = _read([path])
    assert [(r.system, r.doc_id, r.target, r.correct, r.task) for r in good] == [
        ("small", "0", "1018", 1.0, "solutions"),
        ("big", "0", "1018", 0.0, "solutions"),
        ("small", "1", "5", 0.0, "solutions"),
        ("big", "1", "5", 1.0, "solutions"),
    ]
    assert ctx.run_meta["systems"] == ["small", "big"]
    _, only, _ = _read([path], system="big", benchmark="gsm8k")
    assert [(r.system, r.response, r.task, r.benchmark) for r in only] == [
        (None, "A: 3", "gsm8k", "gsm8k"),
        (None, "A: 5", "gsm8k", "gsm8k"),
    ]
    with pytest.raises(ValueError, match="'huge' not found; systems: small, big"):
        read_paths([path], system="huge")


def test_generic_parallel_lists(tmp_path: Path) -> None:
    row = {
        "idx": 4,
        "question": "1+1",
        "gt": "2",
        "level": "Level 1",
        "response": ["\\boxed{2}", "\\boxed{3}"],
        "pred": ["2", "3"],
        "score": [True, False],
    }
    path = _write_jsonl(tmp_path / "math.jsonl", [row])
    _, good, _ = _read([path])
    assert [(r.doc_id, r.sample_idx, r.extracted, r.correct, r.target) for r in good] == [
        ("4", 0, "2", 1.0, "2"),
        ("4", 1, "3", 0.0, "2"),
    ]
    assert good[0].doc == {"question": "1+1", "level": "Level 1"}  # the item's question text
    bad_row = dict(row, score=[True])
    path2 = _write_jsonl(tmp_path / "bad.jsonl", [bad_row])
    _, good2, bad2 = _read([path2])
    assert good2 == [] and "'score' has 1 entries, 'response' has 2" in bad2[0].reason


def test_generic_csv_long_layout(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "run_id,model,checkpoint,benchmark,task,item_id,sample_idx,prompt,target,response,extracted_answer,correct,finish_reason,n_output_tokens,filter,source_format\n"
        'r1,m,step1000,gsm8k,gsm8k,12,0,"Q: a\nb",18,"x, 18",18,yes,stop,40,strict,lm\n'
        "r1,m,step1000,gsm8k,gsm8k,12,1,Q,18,19,19,0,length,256,strict,lm\n"
        "r1,m,step1000,gsm8k,gsm8k,13,0,Q,18,,,,,,strict,lm\n"
        "r1,m,step1000,gsm8k,gsm8k,14,0,Q,18,x,x,maybe,,,strict,lm\n"
    )
    assert detect_format([path]) == "csv"
    ctx, good, bad = _read([path])
    assert ctx.format == "csv"
    assert [
        (r.doc_id, r.sample_idx, r.correct, r.finish_reason, r.n_output_tokens, r.filter)
        for r in good
    ] == [
        ("12", 0, 1.0, "stop", 40, "strict"),
        ("12", 1, 0.0, "length", 256, "strict"),
        ("13", 0, None, None, None, "strict"),
    ]
    assert good[0].prompt == "Q: a\nb" and good[0].response == "x, 18" and good[0].extracted == "18"
    assert good[0].benchmark == "gsm8k"
    assert bad[0].line == 6 and "'correct'" in bad[0].reason and "maybe" in bad[0].reason
    _, only, _ = _read([path], system="step2000")
    assert only == []


def test_generic_field_map(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "x.jsonl", [{"q": "1+1", "out": "2", "ok": 1}, {"q": "2+2", "out": "5"}]
    )
    _, good, bad = _read([path], field_map={"prompt": "q", "response": "out", "correct": "ok"})
    assert [(r.prompt, r.response, r.correct) for r in good] == [("1+1", "2", 1.0)]
    assert bad[0].line == 2 and "'ok'" in bad[0].reason
    with pytest.raises(ValueError, match="unknown field role.*valid roles: task, benchmark"):
        read_paths([path], field_map={"answerz": "out"})
    with pytest.raises(ValueError, match=r"x\.jsonl:1: field 'nope'"):
        read_paths([path], field_map={"response": "nope"})


def test_detect_error_lists_what_was_seen(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello\n")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(ValueError, match="could not recognise") as info:
        detect_format([tmp_path])
    assert "notes.txt: unknown" in str(info.value) and "empty.jsonl: empty" in str(info.value)
    with pytest.raises(FileNotFoundError):
        detect_format([tmp_path / "missing"])


# --------------------------------------------------------------------------- real files


def _shared(rel: str) -> Path:
    path = SHARED / rel
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


def test_real_generic_files() -> None:
    bbh = _shared("bbh/outputs/code-davinci-002_cot.jsonl")
    _, good, bad = _read([bbh], benchmark="bbh")
    assert len(good) == 6511 and bad == []
    assert len({r.task for r in good}) == 27
    gsm = _shared("gsm8k/example_model_solutions.jsonl")
    ctx, good, bad = _read([gsm])
    assert len(good) == 4 * 1319 and bad == []
    assert ctx.run_meta["systems"] == [
        "6b_finetuning",
        "6b_verification",
        "175b_finetuning",
        "175b_verification",
    ]
    assert good[0].target == "18" and good[0].doc_id == "0"
    qwen = _shared("math/qwen25math_math_cot_100x8.jsonl")
    _, good, bad = _read([qwen])
    assert len(good) == 800 and bad == []
    assert {r.sample_idx for r in good} == set(range(8))
    assert sum(r.correct for r in good) == sum(
        sum(json.loads(line)["score"]) for line in qwen.read_text().splitlines()
    )
