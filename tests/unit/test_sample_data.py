"""The demo data: generator determinism, lm-eval 0.4.8 layout, and the two stories' numbers.

Files are read directly with json (not through the store), so these tests pin the data itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "sample_data"
LM_EVAL = SAMPLE_DATA / "lm_eval"
SHARED_TAXONOMY = REPO / ".." / "shared" / "data" / "taxonomy"
RUNS = ["bbh-base", "bbh-eos-masked", "bbh-eos-restored", "math-base", "math-targeted"]
ANSWER_RE = re.compile(r"(?<=the answer is )(.*)(?=.)")
BOXED_RE = re.compile(r"\\boxed\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def _load_generator():
    spec = importlib.util.spec_from_file_location(
        "sample_data_generate", SAMPLE_DATA / "generate.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve string annotations via sys.modules
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and (p.name == "expected_numbers.json" or "lm_eval" in p.parts)
    }


def _samples(run: str) -> dict[str, list[dict]]:
    """task -> samples lines of one run (task taken from the file name as lm-eval does)."""
    (folder,) = [p for p in (LM_EVAL / run).iterdir() if p.is_dir()]
    out = {}
    for path in sorted(folder.glob("samples_*.jsonl")):
        task = path.name[len("samples_") : path.name.rindex("_")]
        out[task] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return out


def _results(run: str) -> dict:
    (path,) = (LM_EVAL / run).glob("*/results_*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _last_boxed(text: str) -> str | None:
    found = BOXED_RE.findall(text)
    return found[-1] if found else None


@pytest.fixture(scope="module")
def generated_twice(tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes]]:
    gen = _load_generator()
    first, second = tmp_path_factory.mktemp("gen1"), tmp_path_factory.mktemp("gen2")
    gen.generate(first)
    gen.generate(second)
    return _tree(first), _tree(second)


def test_generator_is_deterministic(generated_twice):
    first, second = generated_twice
    assert len(first) == 5 * 1 + 3 * 10 + 2 * 5 + 1  # results files, samples files, summary
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], f"{name} differs between two runs"


def test_committed_files_match_the_generator(generated_twice):
    fresh, _ = generated_twice
    committed = _tree(SAMPLE_DATA)
    assert committed.keys() == fresh.keys(), "run `python sample_data/generate.py` to refresh"
    for name, data in fresh.items():
        assert hashlib.sha256(committed[name]).hexdigest() == hashlib.sha256(data).hexdigest(), (
            f"sample_data/{name} is stale; run `python sample_data/generate.py`"
        )


@pytest.mark.parametrize("run", RUNS)
def test_lm_eval_layout(run):
    results = _results(run)
    samples = _samples(run)
    folder = next(p for p in (LM_EVAL / run).iterdir() if p.is_dir())
    assert folder.name == results["model_name_sanitized"]
    assert results["model_name"].replace("/", "__") == folder.name
    assert results["lm_eval_version"] == "0.4.8"
    assert results["tokenizer_eos_token"] == ["</s>", 2]
    assert results["eot_token_id"] == 2
    ts = {p.name.rsplit("_", 1)[1].split(".json")[0] for p in folder.iterdir()}
    assert len(ts) == 1, "every file of a run shares one timestamp"
    assert set(samples) == set(results["configs"]) == set(results["n-samples"])
    for task, lines in samples.items():
        cfg = results["configs"][task]
        assert results["n-samples"][task] == {"original": len(lines), "effective": len(lines)}
        filt = cfg["filter_list"][0]["name"]
        for i, line in enumerate(lines):
            assert line["doc_id"] == i
            assert line["filter"] == filt
            args = line["arguments"]["gen_args_0"]
            assert args["arg_1"] == cfg["generation_kwargs"]
            assert len(line["resps"]) == 1 and len(line["resps"][0]) == cfg["repeats"]
            assert line["doc_hash"] == _sha(json.dumps(line["doc"], indent=2, ensure_ascii=False))
            assert line["prompt_hash"] == _sha(args["arg_0"])
            assert line["target_hash"] == _sha(str(line["target"]))
            for metric in line["metrics"]:
                assert line[metric] in (0.0, 1.0)


@pytest.mark.parametrize("run", ["bbh-base", "bbh-eos-masked", "bbh-eos-restored"])
def test_bbh_scores_are_what_lm_eval_would_compute(run):
    results = _results(run)
    for task, lines in _samples(run).items():
        cfg = results["configs"][task]
        assert cfg["generation_kwargs"]["max_gen_toks"] == 256
        assert cfg["generation_kwargs"]["do_sample"] is False
        for line in lines:
            resp = line["resps"][0][0]
            for stop in cfg["generation_kwargs"]["until"]:
                assert stop not in resp, "a harness would have cut the response at a stop string"
            found = ANSWER_RE.findall(resp)
            expected = found[0].strip() if found else "[invalid]"
            assert line["filtered_resps"] == [expected]
            assert line["exact_match"] == float(expected == line["target"])
        mean = sum(ln["exact_match"] for ln in lines) / len(lines)
        assert results["results"][task]["exact_match,get-answer"] == pytest.approx(mean)


def _bbh_accuracy(run: str) -> tuple[float, dict[str, float]]:
    samples = _samples(run)
    per_task = {t: sum(x["exact_match"] for x in ls) / len(ls) for t, ls in samples.items()}
    flat = [x["exact_match"] for ls in samples.values() for x in ls]
    return sum(flat) / len(flat), per_task


def test_bbh_story_numbers():
    base, base_tasks = _bbh_accuracy("bbh-base")
    masked, masked_tasks = _bbh_accuracy("bbh-eos-masked")
    restored, _ = _bbh_accuracy("bbh-eos-restored")
    assert 0.55 <= base <= 0.65
    assert 0.40 <= 1 - masked / base <= 0.55
    assert restored > base
    assert len(base_tasks) >= 9
    for task in base_tasks:  # the drop is spread over every subtask
        assert masked_tasks[task] < base_tasks[task], task


def test_masked_generations_run_long_and_keep_the_answer():
    base = _samples("bbh-base")
    masked = _samples("bbh-eos-masked")
    n_right_base = n_present = 0
    for task, lines in masked.items():
        for b, m in zip(base[task], lines, strict=True):
            assert len(m["resps"][0][0]) > 3 * len(b["resps"][0][0])
            if b["exact_match"] == 1.0:
                n_right_base += 1
                n_present += b["target"] in m["resps"][0][0]
    assert n_present / n_right_base > 0.8


def _minerva_slice_accuracy(run: str) -> dict[str, float]:
    """Per-sample accuracy of keyword-defined slices, re-scored from the 16 samples."""
    slices = {
        "nt_modular": ("minerva_math_num_theory", ("remainder", "last digit", "\\pmod")),
        "cp_casework": ("minerva_math_counting_and_prob", ("Consider each case", "into cases")),
    }
    counts = {k: [0, 0] for k in [*slices, "other"]}
    for task, lines in _samples(run).items():
        if not task.startswith("minerva_math_"):
            continue
        for line in lines:
            key = next(
                (
                    k
                    for k, (t, words) in slices.items()
                    if t == task and any(w in line["doc"]["problem"] for w in words)
                ),
                "other",
            )
            for resp in line["resps"][0]:
                counts[key][0] += _last_boxed(resp) == line["doc"]["answer"]
                counts[key][1] += 1
    return {k: c / n for k, (c, n) in counts.items()}


def test_math_story_weak_slices():
    base = _minerva_slice_accuracy("math-base")
    fixed = _minerva_slice_accuracy("math-targeted")
    for weak in ("nt_modular", "cp_casework"):
        assert 0.05 <= base[weak] <= 0.15
        assert 0.45 <= fixed[weak] <= 0.60
    assert 0.55 <= base["other"] <= 0.75
    assert abs(fixed["other"] - base["other"]) < 0.05


@pytest.mark.parametrize(("run", "solved"), [("math-base", 2), ("math-targeted", 8)])
def test_aime_pass_at_128(run, solved):
    (lines,) = [ls for t, ls in _samples(run).items() if t == "aime"]
    assert len(lines) == 30
    correct = []
    for line in lines:
        assert len(line["resps"][0]) == 128
        correct.append(sum(_last_boxed(r) == line["doc"]["answer"] for r in line["resps"][0]))
        assert line["exact_match"] == float(_last_boxed(line["resps"][0][0]) == line["target"])
    assert sum(c > 0 for c in correct) == solved


def test_catalog_is_consistent():
    cells = yaml.safe_load((SAMPLE_DATA / "catalog.yaml").read_text(encoding="utf-8"))["cells"]
    assert 12 <= len(cells) <= 16
    assert len({c["id"] for c in cells}) == len(cells)
    assert sum(c["weight"] for c in cells) == pytest.approx(1.0, abs=1e-6)
    for c in cells:
        assert set(c) <= {
            "id",
            "source",
            "domain",
            "format",
            "quality",
            "tokens",
            "weight",
            "path",
            "notes",
        }
        assert c["quality"] in range(6) and isinstance(c["tokens"], int) and c["tokens"] > 0
    taxonomy = SHARED_TAXONOMY / "weborganizer_domains.yaml"
    if not taxonomy.exists():
        pytest.skip(f"shared taxonomy not found at {taxonomy}")
    wo = yaml.safe_load(taxonomy.read_text(encoding="utf-8"))
    topics = {t["short_name"] for t in wo["topics"]}
    formats = {f["short_name"] for f in wo["formats"]}
    for c in cells:
        assert c["domain"] in topics, c["id"]
        assert c["format"] in formats, c["id"]
