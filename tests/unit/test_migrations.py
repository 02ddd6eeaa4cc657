"""A store written by the first released schema (fixture ``schema-v1.sql``, migration
``0001_core`` only) opens and upgrades in one transaction; a store from a newer capslice is
refused with a clear message and left as it is."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from capslice_tui.store import Store, StoreError
from capslice_tui.store import schema as schema_mod
from click.testing import CliRunner

from capslice_tui.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "schema-v1.sql"


def v1_store(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text(encoding="utf-8"))
    conn.close()
    return path


def state(path: Path) -> tuple[list[str], list[str], list[str]]:
    """Applied migrations, tables, and the columns of ``samples``."""
    conn = sqlite3.connect(path)
    try:
        return (
            sorted(r[0] for r in conn.execute("SELECT name FROM _migrations")),
            sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")),
            [r[1] for r in conn.execute("PRAGMA table_info(samples)")],
        )
    finally:
        conn.close()


def cli(store: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(
        main, ["--store", str(store), *args], env={"CAPSLICE_USER": "tester", "NO_COLOR": "1"}
    )
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output if code else result.stdout


def test_the_fixture_is_the_first_schema_and_small() -> None:
    assert FIXTURE.stat().st_size < 100_000
    text = FIXTURE.read_text(encoding="utf-8")
    assert "INSERT INTO \"_migrations\" VALUES('0001_core'" in text
    assert text.count('INSERT INTO "_migrations"') == 1
    assert "failure_signals" not in text and "named_slices" not in text


def test_a_first_schema_store_upgrades_and_every_listing_works(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "v1.db")
    assert state(path)[0] == ["0001_core"]
    conn = sqlite3.connect(path, isolation_level=None)
    applied = schema_mod.migrate(conn)
    conn.close()
    assert applied == [name for name, _ in schema_mod.MIGRATIONS if name != "0001_core"]
    migrations, tables, columns = state(path)
    assert migrations == sorted(name for name, _ in schema_mod.MIGRATIONS)
    assert {"named_slices", "interventions", "slice_counts", "eval_settings"} <= set(tables)
    assert {"failure_signals", "settings_id", "reasoning"} <= set(columns)

    runs = {r["name"]: r for r in json.loads(cli(path, "runs", "--format", "json"))}
    assert set(runs) == {"bbh-base", "math-base"}
    assert runs["bbh-base"]["n_samples"] == 6 and runs["bbh-base"]["status"] == "complete"
    assert runs["bbh-base"]["benchmarks"]["bbh"]["n_items"] == 6
    assert runs["math-base"]["benchmarks"]["math"]["n_items"] == 1
    rows = json.loads(
        cli(path, "slices", "--run", "bbh-base", "--by", "task_type", "--format", "json")
    )
    assert rows["overall"]["n_items"] == 6
    by_type = {r["slice"]["task_type"]: r["n_items"] for r in rows["slices"]}
    assert by_type == {"logical_deduction": 5, "state_tracking": 1}  # the v1 hand label counts
    assert len(json.loads(cli(path, "samples", "--run", "math-base", "--format", "json"))) > 0
    history = json.loads(cli(path, "label", "history", "--format", "json"))
    assert [(h["who"], h["new_value"]) for h in history] == [("ada", "state_tracking")]
    shown = json.loads(cli(path, "label", "show", "--item", "1", "--format", "json"))
    task_type = shown["axes"]["task_type"]
    assert (task_type["effective"], task_type["source"]) == ("state_tracking", "hand")
    assert [v["note"] for v in task_type["values"] if v["winner"]] == ["checked by hand"]
    # writes work on the upgraded store: label, undo, a named slice
    cli(path, "label", "set", "--items", "2", "--axis", "task_type", "--value", "algebra")
    cli(path, "label", "undo")
    assert json.loads(cli(path, "label", "slices", "--format", "json")) == []


def test_the_upgrade_is_one_transaction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A migration that fails after the others ran leaves the store exactly at the first
    schema: none of the earlier migrations of the same upgrade is kept."""
    path = v1_store(tmp_path / "v1.db")
    before = state(path)

    def boom(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise RuntimeError("disk full")

    monkeypatch.setattr(schema_mod, "MIGRATIONS", [*schema_mod.MIGRATIONS, ("9998_boom", boom)])
    with pytest.raises(RuntimeError, match="disk full"):
        Store(path)
    assert state(path) == before
    monkeypatch.undo()
    Store(path).close()  # a later capslice without the failing step upgrades it
    assert state(path)[0] == sorted(name for name, _ in schema_mod.MIGRATIONS)


def test_a_store_from_a_newer_capslice_is_refused(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "future.db")
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO _migrations VALUES ('0999_from_the_future', '2027-01-01')")
    conn.commit()
    conn.close()
    before = state(path)
    with pytest.raises(StoreError, match="written by a newer capslice") as err:
        Store(path)
    assert "0999_from_the_future" in str(err.value) and str(path) in str(err.value)
    out = cli(path, "runs", code=1)
    assert "written by a newer capslice" in out and "upgrade capslice" in out
    assert "Traceback" not in out
    assert state(path) == before  # nothing applied, not even the pending known migrations


LM_EVAL = Path(__file__).resolve().parents[2] / "sample_data" / "lm_eval"


def _before_0017(path: Path) -> None:
    """Put a current store back in the layout it had before ``0017_compact_samples``: a rowid
    ``item_scores``, the two indexes it drops, ``item_axes.sources`` naming every axis (``null``
    when unlabelled)."""
    from capslice_tui.vocabulary import AXES

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ALTER TABLE item_scores RENAME TO item_scores_0017")
    conn.execute("DROP INDEX IF EXISTS item_scores_item")  # dropped again by 0023
    conn.execute(
        "CREATE TABLE item_scores (run_id INTEGER NOT NULL, task TEXT NOT NULL, filter TEXT NOT"
        " NULL, item_id INTEGER NOT NULL, n INTEGER NOT NULL, c REAL NOT NULL, c_lenient REAL,"
        " PRIMARY KEY (run_id, task, filter, item_id))"
    )
    conn.execute("INSERT INTO item_scores SELECT * FROM item_scores_0017")
    conn.execute("DROP TABLE item_scores_0017")
    conn.execute("CREATE INDEX item_scores_item ON item_scores (item_id)")
    conn.execute("CREATE INDEX items_bench_task ON items (benchmark, task, doc_id)")
    conn.execute("CREATE INDEX labels_item ON labels (item_id)")
    rows = conn.execute("SELECT item_id, sources FROM item_axes").fetchall()
    for item_id, sources in rows:
        found = json.loads(sources)
        full = json.dumps({a: found.get(a) for a in AXES})
        conn.execute("UPDATE item_axes SET sources = ? WHERE item_id = ?", (full, item_id))
    conn.execute(  # 0023 drops the item index 0017 makes again
        "DELETE FROM _migrations WHERE name IN ('0017_compact_samples', '0023_item_scores_run_major')"
    )
    conn.close()


def test_a_store_from_before_0017_upgrades_and_answers_the_same(tmp_path: Path) -> None:
    from capslice_tui.workspace import Workspace

    path = tmp_path / "s.db"
    ws = Workspace(path)
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.ingest([LM_EVAL / "bbh-eos-masked"], run="cand", benchmark="bbh")
    ws.store.close()
    first = cli(path, "samples", "--run", "base", "--format", "json", "--limit", "5")
    sample_id = str(json.loads(first)["samples"][0]["id"])
    cli(path, "label", "set", "--samples", sample_id, "--axis", "task_type", "--value",
        "logical_deduction")  # fmt: skip

    def answers() -> list[str]:
        return [
            cli(path, "slices", "--run", "base", "--by", "task_type", "--format", "json"),
            cli(path, "slices", "--run", "cand", "--by", "task", "--format", "json"),
            cli(path, "compare", "base", "cand", "--by", "task", "--format", "json"),
            cli(path, "compare", "base", "cand", "--by", "task_type", "--format", "json"),
            cli(path, "samples", "--run", "base", "--format", "json", "--limit", "50"),
        ]

    now = answers()
    _before_0017(path)
    conn = sqlite3.connect(path)
    old = [r[0] for r in conn.execute("SELECT sources FROM item_axes")]
    assert conn.execute("SELECT count(*) FROM item_scores WHERE rowid > 0").fetchone()[0] > 0
    conn.close()
    assert all('"background_condition": ' in s for s in old)  # the old form, every axis
    assert "0017_compact_samples" not in state(path)[0]
    assert answers() == now  # the first command upgraded the store
    assert "0017_compact_samples" in state(path)[0]
    conn = sqlite3.connect(path)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    sources = [json.loads(r[0]) for r in conn.execute("SELECT sources FROM item_axes")]
    with pytest.raises(sqlite3.OperationalError, match="rowid"):
        conn.execute("SELECT rowid FROM item_scores")  # clustered on its key now
    conn.close()
    assert not {"items_bench_task", "labels_item", "item_scores_item"} & indexes
    assert all(None not in s.values() for s in sources)
    assert {"task_type": "hand"} in [
        {k: v for k, v in s.items() if k == "task_type"} for s in sources
    ]


def test_an_upgrade_is_announced_on_stderr_once_and_a_new_store_is_not(tmp_path: Path) -> None:
    """An upgrade of a large store takes minutes: the CLI says so before it starts (stderr, so
    JSON on stdout stays clean), only when an existing store is upgraded."""
    path = v1_store(tmp_path / "v1.db")
    first = CliRunner().invoke(main, ["--store", str(path), "runs", "--format", "json"])
    assert first.exit_code == 0, first.output
    assert "upgrading the store" in first.stderr and "0022_run_outcomes" in first.stderr
    assert "Interrupting leaves the store as it was" in first.stderr
    json.loads(first.stdout)
    again = CliRunner().invoke(main, ["--store", str(path), "runs"])
    assert "upgrading" not in again.stderr
    # a command that creates a store (a read command refuses a missing one, walk 9 #34)
    fresh = CliRunner().invoke(main, ["--store", str(tmp_path / "new.db"), "hub", "list"])
    assert fresh.exit_code == 0 and "upgrading" not in fresh.stderr, fresh.output
    assert (tmp_path / "new.db").exists()


def test_migrate_tells_the_pending_names_before_applying(tmp_path: Path) -> None:
    path = v1_store(tmp_path / "v1.db")
    told: list[tuple[list[str], list[str]]] = []

    def notice(names: list[str]) -> None:
        told.append((names, state(path)[0]))  # what is applied when the notice is given

    Store(path, on_upgrade=notice)
    pending = [name for name, _ in schema_mod.MIGRATIONS if name != "0001_core"]
    assert told == [(pending, ["0001_core"])]
    Store(path, on_upgrade=notice)  # current: nothing to tell
    assert len(told) == 1
