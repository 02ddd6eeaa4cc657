"""Write transactions of an lm-eval ingest read in workers (issue 14): a narrow batch grows
past ``batch_size`` up to ``NARROW_BATCH`` samples within ``NARROW_BATCH_BYTES`` of text,
one with long prompts (that may share a few-shot head) does not, and either way every table
holds exactly the rows, rowids included, that ``batch_size`` batches store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from capslice_tui.workspace import Workspace
from capslice_tui.workspace import ingest as ingest_module

TS = "2026-01-01T00-00-00.000000"
SKIP = {"started_at", "finished_at", "at", "created_at", "applied_at", "pid", "meta"}


def _logs(folder: Path, head: str, n_tasks: int = 4, n_docs: int = 250) -> Path:
    """lm-eval samples files, ``n_docs`` items a task, each prompt ``head`` + its question."""
    folder.mkdir(parents=True, exist_ok=True)
    for t in range(n_tasks):
        lines = []
        for d in range(n_docs):
            doc = {"question": f"task {t} item {d}: what is {d} mod 7?", "answer": str(d % 7)}
            lines.append(
                json.dumps(
                    {
                        "doc_id": d,
                        "doc": doc,
                        "target": str(d % 7),
                        "arguments": {"gen_args_0": {"arg_0": f"{head}Q: {doc['question']}\nA:"}},
                        "resps": [[str(d % 7 if d % 3 else 9)]],
                        "filtered_resps": [str(d % 7 if d % 3 else 9)],
                        "filter": "none",
                        "metrics": ["exact_match"],
                        "exact_match": float(d % 3 != 0),
                    }
                )
            )
        (folder / f"samples_task{t}_{TS}.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def _ingest(path: Path, logs: Path) -> tuple[list[int], dict[str, list[Any]]]:
    """Ingest ``logs`` twice (a first and a next checkpoint) with the default batch size
    (100 here); returns the samples of each ``write_batch`` call and every table's rows with
    rowids."""
    ws = Workspace(path)
    sizes: list[int] = []
    real = ws.store.write_batch

    def spy(**kw: Any) -> Any:
        sizes.append(len(kw["samples"]))
        return real(**kw)

    ws.store.write_batch = spy  # type: ignore[method-assign]
    for run in ("first", "next"):
        ingest_module.ingest(ws.store, ws.taxonomy, [logs], run=run)
    conn = ws.store.conn
    tables: dict[str, list[Any]] = {}
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%fts%'"
        " AND sql NOT LIKE '%WITHOUT ROWID%'"
    ).fetchall():
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")') if r[1] not in SKIP]
        tables[name] = [
            tuple(r)
            for r in conn.execute(f'SELECT rowid, {", ".join(cols)} FROM "{name}" ORDER BY rowid')
        ]
    tables["item_scores"] = [tuple(r) for r in conn.execute("SELECT * FROM item_scores")]
    ws.store.close()
    return sizes, tables


@pytest.mark.parametrize(
    ("head", "grows"),
    [("", True), ("Worked examples follow.\n" + "Q: an example?\nA: 3.\n" * 60, False)],
    ids=["narrow", "long-prompts"],
)
def test_narrow_batches_grow_and_store_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, head: str, grows: bool
) -> None:
    assert not head or len(head) > ingest_module.MIN_PREFIX_CHARS
    monkeypatch.setenv("CAPSLICE_INGEST_WORKERS", "2")
    monkeypatch.setattr(ingest_module, "BATCH_SIZE", 100)
    logs = _logs(tmp_path / "logs", head)
    monkeypatch.setattr(ingest_module, "NARROW_BATCH", 100)  # never past batch_size
    sizes_fixed, fixed = _ingest(tmp_path / "fixed.db", logs)
    monkeypatch.setattr(ingest_module, "NARROW_BATCH", 300)
    sizes, grown = _ingest(tmp_path / "grown.db", logs)
    assert sum(sizes) == sum(sizes_fixed) == 2000 and max(sizes_fixed) == 100
    # each ingest's first batch keeps the default size; the next checkpoint sends no prompt
    # (stored), so its batches grow with long prompts too
    nxt = [100, 300, 300, 300]
    assert sizes == ([100, 300, 300, 300] if grows else [100] * 10) + nxt
    assert grown.keys() == fixed.keys()
    for name in fixed:
        assert grown[name] == fixed[name], name


def test_the_text_budget_keeps_batch_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSLICE_INGEST_WORKERS", "2")
    monkeypatch.setattr(ingest_module, "BATCH_SIZE", 100)
    monkeypatch.setattr(ingest_module, "NARROW_BATCH", 300)
    # less than a chunk's prompts (first checkpoint) or responses (next): never grows
    monkeypatch.setattr(ingest_module, "NARROW_BATCH_BYTES", 100)
    sizes, _ = _ingest(tmp_path / "s.db", _logs(tmp_path / "logs", ""))
    assert max(sizes) == 100


def test_a_batch_size_given_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAPSLICE_INGEST_WORKERS", "2")
    monkeypatch.setattr(ingest_module, "NARROW_BATCH", 300)
    ws = Workspace(tmp_path / "s.db")
    sizes: list[int] = []
    real = ws.store.write_batch

    def spy(**kw: Any) -> Any:
        sizes.append(len(kw["samples"]))
        return real(**kw)

    ws.store.write_batch = spy  # type: ignore[method-assign]
    logs = _logs(tmp_path / "logs", "")
    ingest_module.ingest(ws.store, ws.taxonomy, [logs], run="r", batch_size=100)
    assert sizes == [100] * 10
