"""Every lm-eval 0.4.x layout and the small faults of real files, through the real ingest path.

Cases ing-01-ifeval-old-layout, ing-03-small-faults and ing-04-group-score (copied from
``../shared/cases`` into ``tests/fixtures/cases``), plus the same kinds of fault in forms the
cases do not show: CRLF, invalid UTF-8, a JSON array cut short, repeats > 1, NFC.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from capslice_tui.ingest._io import read_head
from capslice_tui.ingest.detect import detect_format
from capslice_tui.workspace import IngestError, Workspace

CASES = Path(__file__).parents[1] / "fixtures" / "cases"
IFEVAL = CASES / "ing-01-ifeval-old-layout"
FAULTS = CASES / "ing-03-small-faults"
GROUP = CASES / "ing-04-group-score" / "disagree"
TS = "2024-07-03T14-05-09.123456"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def overall(ws: Workspace, run: str, **kwargs: object) -> tuple[float, int, float]:
    """(correct, scored samples, score) of a run's ALL row."""
    row = ws.slices(run, **kwargs).overall  # type: ignore[arg-type]
    return row.correct, row.n_samples, row.score


# ---- ing-01: IFEval in the 0.4.3-0.4.5 layout (no per-line metrics) ---------------------


@pytest.mark.parametrize(
    ("layout", "variant"),
    [
        ("v045", "lm-eval 0.4.3-0.4.5 JSONL layout (no per-line filter/metrics)"),
        ("v048", "lm-eval 0.4.8+ JSONL layout (per-line filter/metrics)"),
    ],
)
def test_ifeval_scored_from_the_results_metric_list(
    ws: Workspace, layout: str, variant: str
) -> None:
    report = ws.ingest([IFEVAL / layout], run=layout)
    # the boolean prompt_level_strict_acc is the official score, never a re-score against
    # the placeholder target 0
    assert report.scored_by_capslice == 0
    assert report.warnings == []  # the results file's 0.75 is what the samples give
    assert overall(ws, layout) == (3, 4, 0.75)
    (run,) = ws.runs()
    assert run["schema_variant"] == variant
    assert ws.run_info(layout)["meta"]["schema_variant"] == variant


# ---- ing-03: the small faults ----------------------------------------------------------


def test_bom_is_stripped_not_read_as_csv(ws: Workspace) -> None:
    folder = FAULTS / "m1_bom"
    assert read_head(next(folder.iterdir()))[:1] == b"{"
    assert detect_format([folder]) == "lm-eval"
    report = ws.ingest([folder], run="bom")
    assert report.format == "lm-eval" and report.runs == {"bom": 3}
    assert overall(ws, "bom") == (3, 3, 1.0)
    assert any("byte-order mark stripped" in n for n in report.notes)


def test_crlf_line_ends_read_like_lf(ws: Workspace, tmp_path: Path) -> None:
    source = next((FAULTS / "m1_bom").iterdir())
    folder = tmp_path / "crlf"
    folder.mkdir()
    data = source.read_bytes().replace(b"\n", b"\r\n")
    (folder / source.name).write_bytes(data)
    report = ws.ingest([folder], run="crlf")
    assert report.n_bad == 0 and report.n_torn == 0
    assert overall(ws, "crlf") == (3, 3, 1.0)


def test_bom_on_a_generic_jsonl_file_is_not_a_misdetection(tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    rows = [{"id": i, "question": f"q{i}", "answer": "4", "response": "4"} for i in range(2)]
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(json.dumps(r) for r in rows).encode() + b"\n")
    assert detect_format([path]) == "jsonl"


def test_lone_surrogate_replaced_and_noted(ws: Workspace) -> None:
    report = ws.ingest([FAULTS / "m2_surrogate"], run="sur")
    assert report.runs == {"sur": 2} and report.n_bad == 0
    assert any("lone surrogate replaced by U+FFFD" in n and ":2" in n for n in report.notes)
    rows, _ = ws.samples("sur")
    assert "\ufffd" in next(r["response"] for r in rows if r["doc_id"] == "1")


def test_invalid_utf8_bytes_replaced_and_noted(ws: Workspace, tmp_path: Path) -> None:
    source = next((FAULTS / "m1_bom").iterdir())
    folder = tmp_path / "latin1"
    folder.mkdir()
    lines = source.read_bytes()[3:].splitlines(keepends=True)
    lines[1] = lines[1].replace(b"#### 18", b"#### 18 caf\xe9", 1)
    (folder / source.name).write_bytes(b"".join(lines))
    report = ws.ingest([folder], run="latin1")
    assert report.runs == {"latin1": 3}
    assert any("invalid UTF-8 bytes replaced by U+FFFD" in n for n in report.notes)


def test_torn_last_record_skipped_reported_and_run_incomplete(ws: Workspace) -> None:
    report = ws.ingest([FAULTS / "m3_torn"], run="torn")
    assert report.runs == {"torn": 2} and report.n_torn == 1 and report.n_bad == 0
    assert any("1 incomplete trailing record skipped" in n for n in report.notes)
    (run,) = ws.runs()
    assert run["status"] == "incomplete"
    assert "1 incomplete trailing record skipped" in run["incomplete_reason"]


def test_a_complete_ingest_after_a_torn_one_completes_the_run(ws: Workspace) -> None:
    ws.ingest([FAULTS / "m3_torn"], run="r")
    report = ws.ingest([FAULTS / "m1_bom"], run="r")
    # re-ingest reports what it added (doc 2), not what it read (3 lines)
    assert report.runs == {"r": 1} and report.read_per_run == {"r": 3}
    (run,) = ws.runs()
    assert run["status"] == "complete" and run["incomplete_reason"] is None


def test_identical_reingest_adds_nothing(ws: Workspace) -> None:
    ws.ingest([GROUP], run="g")
    report = ws.ingest([GROUP], run="g")
    assert report.runs == {"g": 0}


def test_array_cut_short_keeps_the_elements_before_the_cut(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    shutil.copytree(FAULTS / "m7_legacy_dup", folder)
    samples = folder / "pretrained__EleutherAI__pythia-1b_gsm8k.jsonl"
    text = samples.read_text()
    cut = text.index('"doc_id": 0', text.index('"doc_id": 1'))  # inside the third element
    samples.write_text(text[:cut])
    report = ws.ingest([folder], run="cut")
    assert report.runs == {"cut": 2} and report.n_torn == 1
    assert ws.runs()[0]["status"] == "incomplete"


def test_n_samples_checked_against_the_results_file(ws: Workspace) -> None:
    report = ws.ingest([FAULTS / "m4_nsamples"], run="ns")
    assert any("2 of 3 expected samples" in n for n in report.notes)
    # a log short of its results file's count is not a complete run (walk 7: runs said
    # complete after the ingest's note had scrolled away)
    (run,) = ws.runs()
    assert run["status"] == "incomplete"
    assert "task gsm8k: 2 of 3 expected samples" in run["incomplete_reason"]


def test_exact_repeat_counted_once_and_conflicting_repeat_warned(ws: Workspace) -> None:
    report = ws.ingest([FAULTS / "m5_dup"], run="dup")
    assert report.runs == {"dup": 2}
    assert report.n_repeats == 1 and report.n_conflicting == 1
    assert any("1 exact repeat" in n for n in report.notes)
    (warning,) = report.warnings
    assert "with another score, response, extracted answer or target" in warning
    assert "doc_id 1" in warning and "score " in warning
    assert overall(ws, "dup") == (2, 2, 1.0)  # the first of the two doc-1 lines is kept


def test_nan_metric_is_missing_not_rescored(ws: Workspace) -> None:
    report = ws.ingest([FAULTS / "m6_nan"], run="nan")
    assert report.n_missing_score == 1 and report.scored_by_capslice == 0
    assert any("1 NaN row excluded" in n for n in report.notes)
    assert overall(ws, "nan") == (1, 2, 0.5)


def test_legacy_array_has_no_phantom_filter(ws: Workspace) -> None:
    report = ws.ingest([FAULTS / "m7_legacy_dup"], run="old")
    assert report.runs == {"old": 4} and report.n_repeats == 1
    assert report.warnings == []  # the results file's 0.5 / 1.0 agree with the samples
    tasks = ws.run_info("old")["tasks"]
    assert tasks[0]["filters"] == ["strict-match", "flexible-extract"]
    rows, _ = ws.samples("old", limit=100)
    assert {r["filter"] for r in rows} <= {"strict-match", "flexible-extract"}
    assert overall(ws, "old") == (1, 2, 0.5)
    assert overall(ws, "old", filter_name="flexible-extract") == (2, 2, 1.0)
    assert ws.runs()[0]["schema_variant"] == "lm-eval 0.4.0-0.4.2 JSON array"


# ---- ing-04: a reported group score that is the macro mean ------------------------------


def test_group_score_checked_micro_by_default_macro_on_request(ws: Workspace) -> None:
    report = ws.ingest([GROUP], run="toy")
    assert overall(ws, "toy") == (91, 110, pytest.approx(91 / 110))
    (warning,) = report.warnings
    assert "group toy" in warning and "0.50" in warning and "macro mean" in warning
    assert "91/110" in warning
    macro = ws.slices("toy", average="macro").overall
    assert macro.average == "macro" and macro.n_tasks == 2
    assert macro.score == pytest.approx(0.5)
    assert macro.lo < 0.5 < macro.hi
    micro = ws.slices("toy", by="benchmark")
    assert micro.average == "micro" and micro.rows[0].score == pytest.approx(91 / 110)
    by_bench = ws.slices("toy", by="benchmark", average="macro")
    assert by_bench.rows[0].score == pytest.approx(0.5)
    bench = ws.runs(average="macro")[0]["benchmarks"]["toy"]
    assert bench["average"] == "macro" and bench["score"] == pytest.approx(0.5)
    assert ws.runs()[0]["benchmarks"]["toy"]["score"] == pytest.approx(91 / 110)


def test_unknown_average_is_refused(ws: Workspace) -> None:
    ws.ingest([GROUP], run="toy")
    with pytest.raises(ValueError, match="unknown average"):
        ws.slices("toy", average="weighted")


def test_cli_states_the_average_and_the_warning(tmp_path: Path) -> None:
    store = str(tmp_path / "cli.db")
    base = [sys.executable, "-m", "capslice_tui", "--store", store]
    ingest = subprocess.run(
        [*base, "ingest", str(GROUP), "--run", "toy"], capture_output=True, text=True
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "warning: group toy" in ingest.stderr
    micro = subprocess.run([*base, "slices", "--run", "toy"], capture_output=True, text=True)
    assert "ALL (micro)" in micro.stdout and "91/110" in micro.stdout
    macro = subprocess.run(
        [*base, "slices", "--run", "toy", "--average", "macro", "--format", "json"],
        capture_output=True,
        text=True,
    )
    data = json.loads(macro.stdout)
    assert data["average"] == "macro" and data["overall"]["score"] == pytest.approx(0.5)
    runs = subprocess.run([*base, "runs"], capture_output=True, text=True)
    assert "benchmarks (micro)" in runs.stdout
    assert "toy: read from lm-eval 0.4.8+ JSONL layout" in " ".join(runs.stdout.split())


# ---- repeats > 1 and NFC ---------------------------------------------------------------


def _write_repeats(folder: Path, k: int) -> None:
    folder.mkdir(parents=True)
    results = {
        "results": {"gsm8k_sc": {"exact_match,maj@3": 1.0}},
        "configs": {
            "gsm8k_sc": {
                "task": "gsm8k_sc",
                "repeats": k,
                "filter_list": [{"name": "maj@3"}],
                "metric_list": [{"metric": "exact_match", "aggregation": "mean"}],
            }
        },
        "n-samples": {"gsm8k_sc": {"original": 2, "effective": 2}},
    }
    (folder / f"results_{TS}.json").write_text(json.dumps(results))
    lines = []
    for doc_id, answers in enumerate([["#### 18", "#### 17", "#### 18"], ["#### 5"] * k]):
        lines.append(
            {
                "doc_id": doc_id,
                "doc": {"question": f"q{doc_id}", "answer": "#### 18" if doc_id == 0 else "#### 5"},
                "target": "18" if doc_id == 0 else "5",
                "arguments": {"gen_args_0": {"arg_0": "Q:", "arg_1": {"until": ["Q:"]}}},
                "resps": [answers],
                "filtered_resps": ["18" if doc_id == 0 else "5"],
                "filter": "maj@3",
                "metrics": ["exact_match"],
                "exact_match": 1.0,
            }
        )
    (folder / f"samples_gsm8k_sc_{TS}.jsonl").write_text(
        "\n".join(json.dumps(line) for line in lines) + "\n"
    )


def test_repeats_of_a_vote_filter_give_one_voted_sample_per_doc(
    ws: Workspace, tmp_path: Path
) -> None:
    # a maj@3 line's score is of its vote: one sample per doc, the voted answer with the log's
    # score (the generations scored one by one under the name maj@3 would be no maj@3)
    _write_repeats(tmp_path / "sc", 3)
    report = ws.ingest([tmp_path / "sc"], run="sc")
    assert report.runs == {"sc": 2} and report.n_repeats == 0
    assert any("majority vote" in n and "not stored" in n for n in report.notes)
    rows, _ = ws.samples("sc", limit=100)
    assert sorted((r["doc_id"], r["sample_idx"], r["response"], r["score"]) for r in rows) == [
        ("0", 0, "18", 1.0), ("1", 0, "5", 1.0)
    ]  # fmt: skip
    assert report.scored_by_capslice == 0  # both scores are the log's
    table = ws.slices("sc", k=["1", "3"])
    assert table.overall.correct == 2 and table.overall.n_samples == 2


def test_nfc_and_nfd_questions_are_one_item(ws: Workspace, tmp_path: Path) -> None:
    for name, question in (("nfc", "Caf\u00e9 bill: 9+9?"), ("nfd", "Cafe\u0301 bill: 9+9?")):
        folder = tmp_path / name
        folder.mkdir()
        line = {
            "doc_id": 0,
            "doc": {"question": question, "answer": "#### 18"},
            "target": "#### 18",
            "arguments": {"gen_args_0": {"arg_0": question, "arg_1": {"until": ["Q:"]}}},
            "resps": [["#### 18"]],
            "filtered_resps": ["18"],
            "filter": "strict-match",
            "metrics": ["exact_match"],
            "exact_match": 1.0,
        }
        (folder / f"samples_gsm8k_{TS}.jsonl").write_text(json.dumps(line) + "\n")
        ws.ingest([folder], run=name)
    (a,), _ = ws.samples("nfc")
    (b,), _ = ws.samples("nfd")
    assert a["item_id"] == b["item_id"]


def test_generic_na_score_is_missing_not_rescored(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "preds.jsonl"
    rows = [
        {"id": 0, "question": "9+9?", "answer": "18", "response": "18", "correct": True},
        {"id": 1, "question": "9+8?", "answer": "17", "response": "16", "correct": False},
        {"id": 2, "question": "9+7?", "answer": "16", "response": "16", "correct": "N/A"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = ws.ingest([path], run="gen", benchmark="arith")
    assert report.n_missing_score == 1 and report.scored_by_capslice == 0
    assert overall(ws, "gen") == (1, 2, 0.5)


def test_opencompass_nan_score_is_missing_not_rescored(ws: Workspace, tmp_path: Path) -> None:
    work = tmp_path / "20240101_120000"
    preds = work / "predictions" / "m"
    results = work / "results" / "m"
    preds.mkdir(parents=True)
    results.mkdir(parents=True)
    entries = {str(i): {"origin_prompt": f"Q{i}", "prediction": "No", "gold": "No"} for i in (0, 1)}
    (preds / "bbh-navigate.json").write_text(json.dumps(entries))
    details = [{"pred": "No", "answer": "No", "correct": True}, {"pred": "No", "correct": "N/A"}]
    (results / "bbh-navigate.json").write_text(json.dumps({"score": 100.0, "details": details}))
    report = ws.ingest([work], run="oc")
    assert report.n_missing_score == 1 and report.scored_by_capslice == 0
    (name,) = report.runs
    assert overall(ws, name) == (1, 1, 1.0)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom"])
def test_utf16_file_read_as_utf8_and_noted(ws: Workspace, tmp_path: Path, encoding: str) -> None:
    source = next((FAULTS / "m1_bom").iterdir())
    text = source.read_bytes()[3:].decode("utf-8")
    data = text.encode("utf-16") if encoding == "utf-16" else b"\xfe\xff" + text.encode("utf-16-be")
    folder = tmp_path / encoding
    folder.mkdir()
    (folder / source.name).write_bytes(data)
    assert detect_format([folder]) == "lm-eval"
    report = ws.ingest([folder], run="u16")
    assert report.runs == {"u16": 3}
    assert any("UTF-16 file read as UTF-8" in n for n in report.notes)
    assert overall(ws, "u16") == (3, 3, 1.0)


def test_gzip_cut_short_keeps_every_complete_line(ws: Workspace, tmp_path: Path) -> None:
    import gzip
    import zlib

    source = next((FAULTS / "m1_bom").iterdir())
    line = source.read_bytes()[3:].splitlines()[0].decode()
    lines = [json.dumps({**json.loads(line), "doc_id": i}) for i in range(300)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    cut = data[: len(data) // 2]
    recoverable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut).count(b"\n")
    assert 0 < recoverable < 300
    folder = tmp_path / "gz"
    folder.mkdir()
    (folder / (source.name + ".gz")).write_bytes(cut)
    report = ws.ingest([folder], run="gz")
    assert report.runs == {"gz": recoverable} and report.n_torn == 1
    assert any("compressed stream ends early" in n for n in report.notes)
    assert ws.runs()[0]["status"] == "incomplete"


def test_gzip_array_cut_short_keeps_the_elements_before_the_cut(
    ws: Workspace, tmp_path: Path
) -> None:
    import gzip

    folder = tmp_path / "legacy"
    folder.mkdir()
    shutil.copy(FAULTS / "m7_legacy_dup" / "results.json", folder)
    name = "pretrained__EleutherAI__pythia-1b_gsm8k.jsonl"
    data = gzip.compress((FAULTS / "m7_legacy_dup" / name).read_bytes())
    (folder / (name + ".gz")).write_bytes(data[:-30])
    report = ws.ingest([folder], run="arr")
    assert report.n_torn == 1 and report.runs["arr"] >= 1


def _rolling_line(doc_id: int) -> dict[str, object]:
    return {
        "doc_id": doc_id,
        "doc": {"page": f"page {doc_id}"},
        "target": "",
        "arguments": {"gen_args_0": {"arg_0": f"page {doc_id}"}},
        "resps": [[-1234.5 - doc_id]],
        "filtered_resps": [-1234.5 - doc_id],
        "filter": "none",
        "metrics": ["word_perplexity", "byte_perplexity", "bits_per_byte"],
        "word_perplexity": [-1234.5 - doc_id, 300],
        "byte_perplexity": [-1234.5 - doc_id, 1500],
        "bits_per_byte": [-1234.5 - doc_id, 1500],
    }


def test_perplexity_lines_are_noted_not_scored(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(FAULTS / "m1_bom", folder)
    (folder / f"samples_wikitext_{TS}.jsonl").write_text(
        "\n".join(json.dumps(_rolling_line(i)) for i in range(2)) + "\n"
    )
    report = ws.ingest([folder], run="mixed")
    assert report.runs == {"mixed": 3} and report.n_bad == 0
    assert any("task wikitext: 2 loglikelihood_rolling" in n for n in report.notes)
    assert overall(ws, "mixed") == (3, 3, 1.0)


def test_a_log_whose_every_record_is_excluded_is_refused_with_why(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "ppl"
    folder.mkdir()
    (folder / f"samples_wikitext_{TS}.jsonl").write_text(json.dumps(_rolling_line(0)) + "\n")
    with pytest.raises(IngestError, match="no samples found.*loglikelihood_rolling"):
        ws.ingest([folder], run="ppl")
    assert ws.runs() == []


@pytest.mark.parametrize(
    ("last", "torn"),
    [
        ('{"doc_id": 9, "doc": {"question": "Q9"}', True),  # cut right after a nested object
        ('{"doc_id": 9, "resps": [["#### 1', True),  # cut inside a string, no newline
        ('{"doc_id": 9, "resps": [["x"]],}', False),  # complete but invalid: a bad line
    ],
)
def test_only_a_cut_last_line_is_torn(tmp_path: Path, last: str, torn: bool) -> None:
    from capslice_tui.ingest._io import iter_jsonl

    path = tmp_path / "s.jsonl"
    path.write_text('{"doc_id": 0}\n' + last + "\n\n")
    (*_, (line, bad)) = iter_jsonl(path)
    assert line == 2 and bad.torn is torn
