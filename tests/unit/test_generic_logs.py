"""Generic JSONL/CSV logs are recognised or refused, never guessed silently.

Case ing-02-generic-ids (../shared/cases): sample dumps keyed by ``task_id``/``unique_id`` with
``completion_id``/``sample_id`` and a ``passed`` field are samples of items (pass@k), through
the real CLI; roles come from the names people use; files that cannot be scored or grouped are
refused naming ``--field ROLE=KEY``; evaluation settings go to ``SampleRecord.settings``.
"""

from __future__ import annotations

import json
from math import comb
from pathlib import Path

import pytest
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.ingest import read_paths
from capslice_tui.ingest.generic import parse_correct, validate_field_map
from capslice_tui.ingest.records import BadLine, SampleRecord
from capslice_tui.workspace import IngestError, Workspace

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "cases"
ING02 = CASES / "ing-02-generic-ids"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def cli(store: Path, *args: str, ok: bool = True) -> str:
    """Run ``capslice --store STORE ARGS`` in-process; assert the exit status."""
    res = CliRunner().invoke(main, ["--store", str(store), *args])
    assert (res.exit_code == 0) == ok, res.output
    return res.output


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read(path: Path, **kwargs) -> tuple[dict, list[SampleRecord], list[BadLine]]:
    ctx, stream = read_paths([path], **kwargs)
    records = list(stream)
    good = [r for r in records if isinstance(r, SampleRecord)]
    bad = [r for r in records if isinstance(r, BadLine)]
    return ctx.run_meta, good, bad


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al. (2021) unbiased pass@k for one item."""
    return 1.0 if n - c < k else 1.0 - comb(n - c, k) / comb(n, k)


# --------------------------------------------------------------------------- ing-02 via the CLI


def overall(store: Path, run: str, *ks: int) -> dict:
    args = [a for k in ks for a in ("--k", str(k))]
    return json.loads(cli(store, "slices", "--run", run, *args, "--format", "json"))["overall"]


def test_codegen_samples_are_pass_at_k_over_items(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    out = cli(
        store, "ingest", str(ING02 / "codegen_samples.jsonl"), "--run", "r",
        "--benchmark", "humaneval",
    )  # fmt: skip
    assert (
        "fields: item id: task_id · sample: completion_id · correctness: passed · "
        "response: completion · settings: temperature"
    ) in out
    assert "r: 12 new samples" in out
    assert "scored by capslice" not in out  # the harness's `passed` is the official score
    o = overall(store, "r", 1, 2, 4)
    assert o["n_items"] == 3 and o["n_samples"] == 12
    # per item (n, c): HumanEval/0 (4, 2), /1 (2, 0), /2 (6, 5)
    items = [(4, 2), (2, 0), (6, 5)]
    for k, right in ((1, 0.4444), (2, 0.6111)):
        assert o["pass_at_k"]["1" if k == 1 else "2"]["score"] == pytest.approx(right, abs=1e-4)
        assert right == pytest.approx(sum(pass_at_k(n, c, k) for n, c in items) / 3, abs=1e-4)
    p4 = o["pass_at_k"]["4"]
    assert p4["score"] == pytest.approx(1.0)
    assert p4["n_eligible"] == 2 and p4["coverage"] == pytest.approx(2 / 3)
    table = cli(store, "slices", "--run", "r", "--k", "1", "--k", "2", "--k", "4")
    assert "pass@4 covers 2 of 3 items (n >= k); ( ) marks a pass@k cell" in table


def test_math_samples_with_unique_id_and_answer(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    out = cli(
        store, "ingest", str(ING02 / "math_samples.jsonl"), "--run", "r", "--benchmark", "math"
    )
    assert (
        "fields: item id: unique_id · sample: sample_id · response: model_output · "
        "target: answer · prompt: problem"
    ) in out
    o = overall(store, "r", 1, 2, 3)
    assert (o["n_items"], o["n_samples"]) == (2, 6)
    assert o["pass_at_k"]["1"]["score"] == pytest.approx(0.5)
    assert o["pass_at_k"]["2"]["score"] == pytest.approx(0.8333, abs=1e-4)
    assert o["pass_at_k"]["3"]["score"] == pytest.approx(1.0)
    # `capslice sample` shows the generic log's prompt (it was "question (none)")
    ws = Workspace(store)
    rows, _ = ws.samples("r", limit=10)
    shown = cli(store, "sample", str(rows[0]["id"]))
    assert "(none)" not in shown.split("--- response ---")[0]
    assert "--- question ---\n...\n" in shown


def test_sample_shows_a_prompt_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [{"id": "a", "prompt": "Q: 2+2?\nA:", "target": "4", "response": "4"}],
    )
    store = tmp_path / "s.db"
    cli(store, "ingest", str(path), "--run", "r")
    shown = cli(store, "sample", "1")
    assert "--- prompt ---\nQ: 2+2?\nA:\n" in shown and "--- question ---" not in shown


# --------------------------------------------------------------------------- role names


@pytest.mark.parametrize(
    ("row", "doc_id", "sample_idx", "correct", "response", "target", "prompt"),
    [
        (
            {"problem_id": "p1", "sample_index": 2, "is_correct": 1, "output": "x", "gold": "x"},
            "p1", 2, 1.0, "x", "x", None,
        ),
        (
            {"question_id": 7, "question": "q?", "pass": False, "generation": "y",
             "reference": "z"},
            "7", 0, 0.0, "y", "z", "q?",
        ),
        (
            {"unique_id": "u", "completion_id": "3", "result": "failed: AssertionError",
             "model_output": "def f(): pass"},
            "u", 3, 0.0, "def f(): pass", None, None,
        ),
        (
            {"task_id": "HumanEval/9", "result": "passed", "completion": "ok"},
            "HumanEval/9", 0, 1.0, "ok", None, None,
        ),
        (
            {"doc_id": 1, "id": "zz", "acc": 0.0, "prediction": "B", "label": "A",
             "input": "pick"},
            "1", 0, 0.0, "B", "A", "pick",
        ),
    ],
)  # fmt: skip
def test_roles_from_the_names_people_use(
    tmp_path: Path, row: dict, doc_id: str, sample_idx: int, correct, response, target, prompt
) -> None:
    _, good, bad = read(write_jsonl(tmp_path / "x.jsonl", [row]))
    assert bad == []
    (r,) = good
    assert (r.doc_id, r.sample_idx, r.correct, r.response, r.target, r.prompt) == (
        doc_id,
        sample_idx,
        correct,
        response,
        target,
        prompt,
    )


def test_result_words_of_test_runners() -> None:
    assert parse_correct("passed") == 1.0
    assert parse_correct("failed: AssertionError") == 0.0
    assert parse_correct("timed out") == 0.0
    assert parse_correct("Failed") == 0.0
    with pytest.raises(ValueError, match="not a correctness value"):
        parse_correct("maybe")


def test_rows_sharing_an_item_id_without_sample_index_are_samples(tmp_path: Path) -> None:
    rows = [
        {"task_id": "t/0", "completion": "a", "passed": True},
        {"task_id": "t/1", "completion": "b", "passed": False},
        {"task_id": "t/0", "completion": "c", "passed": False},
        {"task_id": "t/0", "completion": "d", "passed": True},
    ]
    meta, good, _ = read(write_jsonl(tmp_path / "x.jsonl", rows))
    assert [(r.doc_id, r.sample_idx) for r in good] == [
        ("t/0", 0),
        ("t/1", 0),
        ("t/0", 1),
        ("t/0", 2),
    ]
    assert meta["field_mapping"] == [
        "item id: task_id · sample: (row order within an item) · correctness: passed · "
        "response: completion"
    ]
    assert "1 item with several rows and no sample index" in meta["reader_notes"][0]


def test_non_integer_sample_ids_are_numbered_per_item(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "sample_id": "s-x", "target": "1", "response": "1"},
        {"id": "a", "sample_id": "s-y", "target": "1", "response": "2"},
        {"id": "b", "sample_id": "s-x", "target": "1", "response": "1"},
    ]
    _, good, _ = read(write_jsonl(tmp_path / "x.jsonl", rows))
    assert [(r.doc_id, r.sample_idx) for r in good] == [("a", 0), ("a", 1), ("b", 0)]


def test_several_files_with_different_mappings_name_their_files(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [{"task_id": "x", "completion": "c", "passed": 1}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"id": "y", "response": "r", "answer": "r"}])
    ctx, stream = read_paths([a, b])
    list(stream)
    lines = ctx.run_meta["field_mapping"]
    assert len(lines) == 2
    assert lines[0].startswith("a.jsonl: item id: task_id")
    assert lines[1].startswith("b.jsonl: item id: id")


# --------------------------------------------------------------------------- refusals


def test_refuses_a_file_without_target_or_correctness(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"task_id": "t/0", "completion": "a"}])
    with pytest.raises(ValueError, match="no target and no correctness field") as info:
        read_paths([path])
    message = str(info.value)
    assert "x.jsonl:1" in message and "--field target=KEY" in message
    assert "--field correct=KEY" in message and "keys: task_id, completion" in message
    out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "r", ok=False)
    assert "no target and no correctness field" in out and "Traceback" not in out
    # naming the field makes it readable
    path2 = write_jsonl(
        tmp_path / "y.jsonl", [{"task_id": "t/0", "completion": "a", "ok": "passed"}]
    )
    _, good, _ = read(path2, field_map={"correctness": "ok"})
    assert good[0].correct == 1.0


def test_refuses_a_sample_index_without_item_id(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [{"completion_id": 0, "completion": "a", "passed": True}],
    )
    with pytest.raises(ValueError, match=r"sample index \('completion_id'\) but no item id") as e:
        read_paths([path])
    assert "--field doc_id=KEY" in str(e.value)
    out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "r", ok=False)
    assert "--field doc_id=KEY" in out


def test_refuses_a_file_without_response_or_correctness(tmp_path: Path) -> None:
    # `answer` here is the model's answer, but `gold` ranks first as the target
    path = write_jsonl(tmp_path / "x.jsonl", [{"id": 1, "gold": "4", "answer": "4"}])
    with pytest.raises(ValueError, match="no response and no correctness field") as info:
        read_paths([path])
    assert "--field response=KEY" in str(info.value)
    _, good, _ = read(path, field_map={"response": "answer"})
    assert (good[0].response, good[0].target) == ("4", "4")


def test_a_correctness_outside_0_1_is_a_bad_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [
            {"id": 1, "score": 1, "response": "a", "target": "a"},
            {"id": 2, "score": 7.5, "response": "a", "target": "a"},
        ],
    )
    _, good, bad = read(path)
    assert [r.doc_id for r in good] == ["1"]
    assert bad[0].line == 2 and "7.5 is not a correctness in [0, 1]" in bad[0].reason


def test_an_item_id_that_is_an_object_or_list_is_a_bad_line(tmp_path: Path) -> None:
    """str() of a JSON object made up an item id (``"{'x': 1}"``) that no other run shares."""
    path = write_jsonl(
        tmp_path / "x.jsonl",
        [
            {"doc_id": 1, "response": "a", "target": "a"},
            {"doc_id": {"x": 1}, "response": "a", "target": "a"},
            {"doc_id": [2], "response": "a", "target": "a"},
            {"doc_id": "3", "response": "a", "target": "a"},
        ],
    )
    _, good, bad = read(path)
    assert [r.doc_id for r in good] == ["1", "3"]
    assert [(b.line, b.reason) for b in bad] == [
        (2, "field 'doc_id': an item id is text or a number, not an object"),
        (3, "field 'doc_id': an item id is text or a number, not a list"),
    ]


def test_role_aliases_and_unknown_roles() -> None:
    assert validate_field_map({"item_id": "a", "sample": "b", "correctness": "c"}) == {
        "doc_id": "a",
        "sample_idx": "b",
        "correct": "c",
    }
    with pytest.raises(ValueError, match="unknown field role"):
        validate_field_map({"nope": "x"})


# --------------------------------------------------------------------------- settings


def test_settings_are_kept_apart_from_the_item(tmp_path: Path) -> None:
    rows = [
        {"id": 1, "question": "2+2?", "answer": "4", "response": "4", "prompting": "cot",
         "n_shot": 3, "temperature": 0.7, "n": 4, "seed": 11, "subject": "arith"},
    ]  # fmt: skip
    meta, good, _ = read(write_jsonl(tmp_path / "x.jsonl", rows))
    r = good[0]
    assert r.settings == {"prompting": "cot", "n_shot": 3, "temperature": 0.7, "n": 4, "seed": 11}
    assert r.doc == {"question": "2+2?", "subject": "arith"}
    assert meta["field_mapping"][0].endswith(
        "settings: prompting, n_shot, temperature, n, seed · not mapped, kept as item fields: subject"
    )


def test_settings_do_not_change_the_item_identity(tmp_path: Path) -> None:
    base = {"id": 1, "question": "2+2?", "answer": "4", "response": "4"}
    a = write_jsonl(tmp_path / "a.jsonl", [dict(base, prompting="cot", temperature=0.0)])
    b = write_jsonl(tmp_path / "b.jsonl", [dict(base, prompting="direct", temperature=0.8)])
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([a], run="a", benchmark="arith")
    ws.ingest([b], run="b", benchmark="arith")
    ids = {r["item_id"] for run in ("a", "b") for r in ws.samples(run, limit=5)[0]}
    assert len(ids) == 1


def test_qwen_system_prompt_is_a_setting(tmp_path: Path) -> None:
    row = {
        "idx": 0,
        "question": "1+1",
        "gt": "2",
        "system": "Please reason step by step.",
        "response": ["2", "3"],
        "score": [True, False],
    }
    _, good, _ = read(write_jsonl(tmp_path / "q.jsonl", [row]))
    assert good[0].settings == {"system": "Please reason step by step."}
    assert "system" not in good[0].doc


def test_real_bbh_rows_name_their_prompting() -> None:
    path = SHARED / "bbh" / "outputs" / "code-davinci-002_direct.jsonl"
    if not path.exists():
        pytest.skip(f"shared BBH outputs not found at {path}")
    meta, good, bad = read(path, benchmark="bbh")
    assert bad == [] and len(good) == 6511
    assert {r.settings["prompting"] for r in good} == {"answer_only_3shot"}
    assert all("prompting" not in (r.doc or {}) for r in good)
    assert meta["field_mapping"] == [
        "item id: doc_id · sample: (row order within an item) · response: prediction · "
        "target: target · task: task · model: model · settings: prompting"
    ]
    assert "reader_notes" not in meta  # one row per item: nothing numbered by order


def test_ingest_error_names_the_field_option(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [{"completion": "a"}])
    ws = Workspace(tmp_path / "s.db")
    with pytest.raises((ValueError, IngestError), match="--field"):
        ws.ingest([path], run="r")
    assert ws.runs() == []


# --------------------------------------------------------------------------- layouts


def test_a_json_array_of_rows_is_read_like_jsonl(tmp_path: Path) -> None:
    from capslice_tui.ingest import detect_format

    rows = [
        {"problem_id": "p1", "sample_idx": 0, "completion": "a", "passed": True},
        {"problem_id": "p1", "sample_idx": 1, "completion": "b", "passed": False},
        {"problem_id": "p2", "sample_idx": 0, "completion": "c", "passed": True},
    ]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(rows, indent=2))
    assert detect_format([path]) == "jsonl"
    _, good, bad = read(path)
    assert bad == []
    assert [(r.doc_id, r.sample_idx, r.correct, r.source_line) for r in good] == [
        ("p1", 0, 1.0, 1),
        ("p1", 1, 0.0, 2),
        ("p2", 0, 1.0, 3),
    ]
    # a JSON document that is not rows is still not a log
    other = tmp_path / "config.json"
    other.write_text(json.dumps([1, 2, 3]))
    with pytest.raises(ValueError, match="could not recognise"):
        detect_format([other])


def test_csv_with_a_byte_order_mark_keeps_its_first_column(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(
        "task_id,completion_id,completion,passed\nT/0,0,a,passed\nT/0,1,b,failed: x\n".encode(
            "utf-8-sig"
        )
    )
    meta, good, bad = read(path)
    assert bad == []
    assert [(r.doc_id, r.sample_idx, r.correct) for r in good] == [("T/0", 0, 1.0), ("T/0", 1, 0.0)]
    assert meta["field_mapping"][0].startswith("item id: task_id · sample: completion_id")


def test_rows_of_another_model_are_refused_not_merged(tmp_path: Path) -> None:
    rows = [
        {"doc_id": 0, "model": "m1", "target": "a", "response": "a"},
        {"doc_id": 0, "model": "m2", "target": "a", "response": "b"},
    ]
    path = write_jsonl(tmp_path / "x.jsonl", rows)
    _, good, bad = read(path)
    assert [(r.doc_id, r.sample_idx, r.response) for r in good] == [("0", 0, "a")]
    assert bad[0].line == 2 and "several models" in bad[0].reason
    assert "--system m2" in bad[0].reason
    _, only, bad2 = read(path, system="m2")
    assert [r.response for r in only] == ["b"] and bad2 == []
    out = cli(tmp_path / "s.db", "ingest", str(path), "--run", "r", ok=False)
    assert "--system m2" in out and "Nothing from this ingest was stored" in out


def test_csv_settings_are_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "id,target,response,temperature,n_shot,do_sample,prompting\n1,a,a,0.8,3,true,cot\n"
    )
    _, good, _ = read(path)
    assert good[0].settings == {"prompting": "cot", "n_shot": 3, "temperature": 0.8,
                                "do_sample": True}  # fmt: skip


def test_a_nested_generation_config_gives_settings(tmp_path: Path) -> None:
    row = {
        "task_id": "t/0",
        "completion": "x",
        "passed": True,
        "sampling_params": {"temperature": 0.8, "top_p": 0.95, "stop": ["\n"]},
    }
    meta, good, _ = read(write_jsonl(tmp_path / "x.jsonl", [row]))
    assert good[0].settings == {"temperature": 0.8, "top_p": 0.95}
    assert meta["field_mapping"][0].endswith("settings: temperature, top_p")
