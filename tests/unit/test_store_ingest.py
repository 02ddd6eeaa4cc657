"""Ingest into the store: idempotence, atomicity, bad input, filters, truncation, relabelling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslice_tui.workspace import IngestError, Workspace
from capslice_tui.workspace.ingest import MAX_RESPONSE_CHARS

TS = "2026-01-01T00-00-00.000000"


def lm_line(
    doc_id: int, filt: str, response: str, extracted: str, em: float | str, target: str = "18"
) -> str:
    return json.dumps(
        {
            "doc_id": doc_id,
            "doc": {"question": f"How many apples, case {doc_id}?", "answer": f"so #### {target}"},
            "target": f"so #### {target}",
            "arguments": {
                "gen_args_0": {
                    "arg_0": f"Question: q{doc_id}\nAnswer:",
                    "arg_1": {"until": ["Question:"]},
                }
            },
            "resps": [[response]],
            "filtered_resps": [extracted],
            "filter": filt,
            "metrics": ["exact_match"],
            "exact_match": em,
        }
    )


def write_gsm8k(folder: Path, n: int = 12, bad_line: int | None = None, torn: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for d in range(n):
        ok = d % 3 != 0
        answer = "18" if ok else "17"
        lines.append(lm_line(d, "strict-match", f"... #### {answer}", answer, 1.0 if ok else 0.0))
        # flexible-extract scores every item correct: never blended with strict-match
        lines.append(lm_line(d, "flexible-extract", f"... #### {answer}", "18", 1.0))
    if bad_line is not None:
        lines.insert(bad_line, '{"doc_id": 99, "resps": [[')
    text = "\n".join(lines)
    if torn:
        text += "\n" + lines[0][:40]
    else:
        text += "\n"
    path = folder / f"samples_gsm8k_{TS}.jsonl"
    path.write_text(text)
    return path


@pytest.fixture()
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "store.db")


def test_identical_reingest_adds_nothing(ws: Workspace, tmp_path: Path) -> None:
    path = write_gsm8k(tmp_path / "logs")
    first = ws.ingest([path], run="r1")
    again = ws.ingest([path], run="r1")
    assert first.runs == {"r1": 24}
    assert again.runs == {"r1": 0}
    assert ws.runs()[0]["n_samples"] == 24


def test_filters_are_never_blended(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest([write_gsm8k(tmp_path / "logs")], run="r1")
    table = ws.slices("r1", by="task")
    row = table.rows[0]
    assert (row.correct, row.n_samples) == (8, 12)  # strict-match only
    flexible = ws.slices("r1", by="task", filter_name="flexible-extract").rows[0]
    assert (flexible.correct, flexible.n_samples) == (12, 12)
    assert row.metric == "accuracy (one sample per item)"  # no decoding recorded


def test_bad_line_stores_nothing_and_keeps_older_runs(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest([write_gsm8k(tmp_path / "good")], run="old")
    bad = write_gsm8k(tmp_path / "bad", bad_line=5)
    with pytest.raises(IngestError) as info:
        ws.ingest([bad], run="new")
    assert f"{bad}:6" in str(info.value)
    assert [r["name"] for r in ws.runs()] == ["old"]
    assert ws.runs()[0]["n_samples"] == 24


def test_skip_bad_keeps_readable_lines_and_reports(ws: Workspace, tmp_path: Path) -> None:
    report = ws.ingest([write_gsm8k(tmp_path / "bad", bad_line=5)], run="new", skip_bad=True)
    assert report.n_bad == 1 and report.runs == {"new": 24}
    assert ":6:" in report.bad[0]


def test_torn_last_line_is_skipped_and_the_run_marked_incomplete(
    ws: Workspace, tmp_path: Path
) -> None:
    report = ws.ingest([write_gsm8k(tmp_path / "t", torn=True)], run="t")
    assert report.n_torn == 1 and report.n_bad == 0
    assert any("1 incomplete trailing record skipped" in n for n in report.notes)
    (run,) = ws.runs()
    assert run["status"] == "incomplete"


def test_nan_metric_is_missing_not_zero(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "nan"
    folder.mkdir()
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text(
        lm_line(0, "strict-match", "#### 18", "18", "N/A")
        + "\n"
        + lm_line(1, "strict-match", "#### 17", "17", 0.0)
        + "\n"
    )
    report = ws.ingest([folder], run="nan")
    # the N/A sample is missing: neither a failure nor re-scored by capslice from its response
    assert report.scored_by_capslice == 0 and report.n_missing_score == 1
    row = ws.slices("nan", by="task").rows[0]
    assert (row.correct, row.n_samples) == (0, 1)


def test_oversized_response_is_truncated_with_length_and_hash(
    ws: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "big"
    folder.mkdir()
    huge = "x" * (MAX_RESPONSE_CHARS + 100) + " #### 18"
    (folder / f"samples_gsm8k_{TS}.jsonl").write_text(
        lm_line(0, "strict-match", huge, "18", 1.0) + "\n"
    )
    ws.ingest([folder], run="big")
    rows, _ = ws.samples("big")
    sample = ws.sample(rows[0]["id"])
    assert len(sample["response"]) == MAX_RESPONSE_CHARS
    assert sample["response_chars"] == len(huge)
    assert len(sample["response_sha256"]) == 64


def test_items_pair_across_runs_by_content(ws: Workspace, tmp_path: Path) -> None:
    path = write_gsm8k(tmp_path / "logs")
    ws.ingest([path], run="a")
    ws.ingest([path], run="b")
    cmp = ws.compare("a", "b").to_dict()
    assert cmp["overall"]["n_items"] == 12
    assert cmp["overall"]["diff"] == 0


def test_taxonomy_apply_keeps_labels_and_reports_no_change(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest([write_gsm8k(tmp_path / "logs")], run="a")
    assert ws.apply_taxonomy() == 0
    table = ws.slices("a", by="task_type")
    assert [r.key["task_type"] for r in table.rows] == ["word_problem"]


def test_greedy_counts_path_equals_per_item_path(ws: Workspace, tmp_path: Path) -> None:
    import numpy as np

    from capslice_tui.analysis.metrics import slice_score

    ws.ingest([write_gsm8k(tmp_path / "logs", n=30)], run="g")
    fast = ws.slices("g", by="task_type,output_constraint")
    rows = ws.store.slice_rows(ws.store.get_run("g")["id"])
    n = np.array([r["n"] for r in rows])
    c = np.array([r["c"] for r in rows])
    slow = slice_score(n, c, None)
    assert (fast.overall.score, fast.overall.lo, fast.overall.hi) == (slow.score, slow.lo, slow.hi)
    assert fast.overall.metric == "accuracy (one sample per item)"
    assert slow.metric_name == "accuracy (one sample per item)"
    assert sum(r.n_items for r in fast.rows) == 30


def test_label_change_updates_slice_counts(ws: Workspace, tmp_path: Path) -> None:
    ws.ingest([write_gsm8k(tmp_path / "logs")], run="a")
    item_ids = [r["item_id"] for r in ws.store.slice_rows(ws.store.get_run("a")["id"])][:3]
    with ws.store.write() as conn:
        conn.executemany(
            "INSERT INTO labels (item_id, axis, value, source, who, at) VALUES (?, 'task_type', 'algebra', 'hand', 't', 'now')",
            [(i,) for i in item_ids],
        )
    ws.store.refresh_item_axes(item_ids)
    table = ws.slices("a", by="task_type")
    assert {r.key["task_type"]: r.n_items for r in table.rows} == {"algebra": 3, "word_problem": 9}


def test_generic_row_without_its_response_is_a_bad_line(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "gen.jsonl"
    path.write_text(
        '{"task":"navigate","doc_id":0,"target":"Yes","prediction":"So the answer is Yes."}\n'
        '{"task":"navigate","doc_id":1,"target":"No"}\n'
    )
    with pytest.raises(IngestError) as info:
        ws.ingest([path], run="g")
    assert f"{path}:2" in str(info.value) and "'prediction'" in str(info.value)
    assert ws.runs() == []


def test_a_write_that_waits_for_another_writer_says_so(tmp_path: Path) -> None:
    import sqlite3

    from capslice_tui.store import Store, StoreBusy

    store = Store(tmp_path / "lock.db", busy_timeout_s=0.5)
    waits: list[str] = []
    store.on_wait = waits.append
    other = sqlite3.connect(tmp_path / "lock.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreBusy, match="busy"):
        with store.write():
            pass
    assert len(waits) == 1 and "waiting" in waits[0]
    other.execute("ROLLBACK")
    with store.write():
        pass
    assert len(waits) == 1


def test_write_batch_item_ids_given_and_items_stored_meanwhile(tmp_path: Path) -> None:
    """New items get the ids SQLite would give (max + 1, in order); an item another ingest
    stored meanwhile (not in ``item_ids``) keeps its stored id, and its samples point to it."""
    import hashlib

    from capslice_tui.store import Store
    from label_store import sample_tuple

    store = Store(tmp_path / "ids.db")
    run_id, _ = store.ensure_run(
        "r", model="m", step=None, tokens_seen=None, source_format="test", source_files=[], meta={}
    )
    ingest_id = store.begin_ingest(run_id)
    hashes = [hashlib.sha256(f"item{i}".encode()).hexdigest() for i in range(4)]
    items = [(h, "bbh", "t", str(i), f"q{i}", "A", None) for i, h in enumerate(hashes)]

    def samples(idx: list[int]) -> list[tuple]:
        return [sample_tuple(run_id, ingest_id, hashes[i], "t", i, "r", 1.0) for i in idx]

    _, ids = store.write_batch(
        texts=[], items=[items[1], items[1], items[3]], samples=samples([1, 3])
    )
    assert ids == {hashes[1]: 1, hashes[3]: 2}
    # items 1 and 3 are stored, but this ingest does not know it (another ingest wrote them)
    _, ids = store.write_batch(texts=[], items=items, samples=samples([0, 1, 2, 3]))
    stored = {h.hex(): i for h, i in store.conn.execute("SELECT item_hash, id FROM items")}
    assert len(stored) == 4 and ids == stored
    assert stored[hashes[1]] == 1 and stored[hashes[3]] == 2
    linked = store.conn.execute(
        "SELECT doc_id, item_id FROM samples WHERE ingest_id = ? ORDER BY doc_id", (ingest_id,)
    ).fetchall()
    assert [tuple(r) for r in linked] == [
        ("0", stored[hashes[0]]),
        ("1", 1),
        ("2", stored[hashes[2]]),
        ("3", 2),
    ]
