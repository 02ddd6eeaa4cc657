"""Migration ``0021_narrow_store`` (issue 14: store size): a store written before it upgrades in
place and every command answers exactly as before; hashes keep their hex form outside the
store, and the compact forms round-trip."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from capslice_tui.store import Store
from capslice_tui.store.compact import pack_doc, to_blob, to_hex, unpack_doc
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace

LM_EVAL = Path(__file__).resolve().parents[2] / "sample_data" / "lm_eval"
NARROW = "0021_narrow_store"


def cli(store: Path, *args: str) -> str:
    result = CliRunner().invoke(
        main, ["--store", str(store), *args], env={"CAPSLICE_USER": "tester", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def before_0021(path: Path) -> None:
    """Put a current store back in the form it had before ``0021_narrow_store``: hex hashes,
    ``samples.settings_hash`` (hex) instead of ``settings_id``, ``eval_settings`` keyed by the
    hex hash, docs whole."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("unpack", 3, unpack_doc)
    conn.execute("BEGIN")
    conn.execute("ALTER TABLE samples ADD COLUMN settings_hash TEXT")
    conn.execute(
        "UPDATE samples SET settings_hash = (SELECT lower(hex(e.hash)) FROM eval_settings e"
        " WHERE e.id = samples.settings_id), prompt_hash = lower(hex(prompt_hash))"
        " WHERE prompt_hash IS NOT NULL OR settings_id IS NOT NULL"
    )
    conn.execute("ALTER TABLE samples DROP COLUMN settings_id")
    conn.execute("CREATE TABLE old_settings (hash TEXT PRIMARY KEY, settings TEXT NOT NULL)")
    conn.execute(
        "INSERT INTO old_settings SELECT lower(hex(hash)), settings FROM eval_settings ORDER BY id"
    )
    conn.execute("DROP TABLE eval_settings")
    conn.execute("ALTER TABLE old_settings RENAME TO eval_settings")
    conn.execute("UPDATE texts SET hash = lower(hex(hash))")
    conn.execute(
        "UPDATE items SET item_hash = lower(hex(item_hash)), doc = unpack(doc, question, target)"
    )
    conn.execute("DELETE FROM _migrations WHERE name = ?", (NARROW,))
    conn.execute("COMMIT")
    conn.close()


def forms(path: Path) -> dict[str, list[str]]:
    """The storage class of every stored hash, per column, and the docs' first characters."""
    conn = sqlite3.connect(path)
    try:
        out = {
            col: sorted({r[0] for r in conn.execute(f"SELECT DISTINCT typeof({col}) FROM {table}")})
            for table, col in (("texts", "hash"), ("items", "item_hash"),
                               ("eval_settings", "hash"), ("samples", "prompt_hash"))
        }  # fmt: skip
        out["doc"] = sorted({r[0] for r in conn.execute("SELECT DISTINCT substr(doc, 1, 1) FROM items")})  # fmt: skip
        return out
    finally:
        conn.close()


def exported(store: Path, folder: Path) -> dict[str, str]:
    cli(store, "export", "--no-parquet", str(folder))
    return {p.name: p.read_text() for p in sorted(folder.glob("*.jsonl"))}


def test_a_store_from_before_0021_upgrades_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    ws = Workspace(path)
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.ingest([LM_EVAL / "bbh-eos-masked"], run="cand", benchmark="bbh")
    ws.ingest([LM_EVAL / "math-base"], run="math", benchmark="math")
    ws.store.close()
    first = json.loads(cli(path, "samples", "--run", "base", "--format", "json", "--limit", "5"))
    sample_id = str(first["samples"][0]["id"])
    math_id = str(json.loads(cli(path, "samples", "--run", "math", "--format", "json"))["samples"][0]["id"])  # fmt: skip
    cli(path, "label", "set", "--samples", sample_id, "--axis", "task_type", "--value",
        "logical_deduction")  # fmt: skip

    def answers(n: int) -> list[str]:
        return [
            cli(path, "runs", "--format", "json"),
            cli(path, "slices", "--run", "base", "--by", "task_type", "--format", "json"),
            cli(path, "slices", "--run", "math", "--by", "task", "--format", "json"),
            cli(path, "compare", "base", "cand", "--by", "task", "--format", "json"),
            cli(path, "diagnose", "base", "cand", "--format", "json"),
            cli(path, "samples", "--run", "base", "--format", "json", "--limit", "50"),
            cli(path, "sample", sample_id, "--format", "json"),
            cli(path, "sample", math_id, "--format", "json"),
            cli(path, "label", "history", "--format", "json"),
            json.dumps(exported(path, tmp_path / f"export{n}")),
        ]

    now = answers(1)
    detail = json.loads(now[6])
    assert len(detail["item_hash"]) == 64 and len(detail["prompt_hash"]) == 64
    assert len(detail["settings_hash"]) == 64 and isinstance(detail["doc"], dict)
    assert forms(path)["hash"] == ["blob"] and forms(path)["doc"] == ["~"]

    before_0021(path)
    old = forms(path)
    assert old == {"hash": ["text"], "item_hash": ["text"], "prompt_hash": ["text"],
                   "doc": ["{"]}  # fmt: skip
    assert answers(2) == now  # the first command upgraded the store
    conn = sqlite3.connect(path)
    assert NARROW in {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    columns = {r[1] for r in conn.execute("PRAGMA table_info(samples)")}
    assert "settings_id" in columns and "settings_hash" not in columns
    assert conn.execute("SELECT count(*) FROM samples WHERE settings_id IS NULL").fetchone() == (
        0,
    )  # every sample kept its settings
    assert {r[0] for r in conn.execute("SELECT DISTINCT length(item_hash) FROM items")} == {32}
    conn.close()
    assert forms(path) == {"hash": ["blob"], "item_hash": ["blob"], "prompt_hash": ["blob"],
                           "doc": ["~"]}  # fmt: skip


def test_an_export_imports_into_a_store_with_the_same_hashes(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "a.db")
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.store.close()
    out = exported(tmp_path / "a.db", tmp_path / "export")
    cli(tmp_path / "b.db", "import", str(tmp_path / "export"))
    assert exported(tmp_path / "b.db", tmp_path / "export2") == out
    first = json.loads(out["samples.jsonl"].splitlines()[0])
    assert len(first["settings_hash"]) == 64 and "settings_id" not in first
    assert forms(tmp_path / "b.db")["item_hash"] == ["blob"]


def test_a_malformed_hash_in_an_export_is_refused_with_its_line(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "a.db")
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.store.close()
    folder = tmp_path / "export"
    exported(tmp_path / "a.db", folder)
    texts = folder / "texts.jsonl"
    lines = texts.read_text().splitlines()
    row = json.loads(lines[0])
    row["hash"] = "not-a-hash"
    texts.write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n")
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = manifest["tables"]["texts"]["jsonl"]  # the file as edited, so only the hash is bad
    entry["sha256"] = hashlib.sha256(texts.read_bytes()).hexdigest()
    entry["bytes"] = texts.stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(main, ["--store", str(tmp_path / "b.db"), "import", str(folder)])
    assert result.exit_code != 0
    assert "texts.jsonl line 1: not a sha256 hex digest: 'not-a-hash'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("doc", "question", "target"),
    [
        ('{"input":"Q?","target":"A"}', "Q?", "A"),
        ('{"target":"A","input":"Q?","n":3}', "Q?", "A"),
        ('{"question":"same","answer":"same"}', "same", "same"),
        ('{"input":"Q?","meta":{"input":"Q?"}}', "Q?", None),
        ('{"q":"caf\\u00e9"}', "café", None),  # not orjson's form: kept as it is
        ('{"q":"x"}', None, None),
        ("[1,2]", "1", None),
        ('{"input":"~{"}', "~{", None),
    ],
)
def test_a_doc_packs_and_unpacks_to_the_same_text(
    doc: str, question: str | None, target: str | None
) -> None:
    packed = pack_doc(doc, question, target)
    assert unpack_doc(packed, question, target) == doc
    assert packed is not None and len(packed) <= len(doc)


def test_hashes_are_blobs_inside_and_hex_outside() -> None:
    h = "ab" * 32
    assert to_blob(h) == bytes.fromhex(h) and to_hex(to_blob(h)) == h
    assert to_blob(None) is None and to_hex(None) is None
    with pytest.raises(ValueError, match="not a sha256 hex digest"):
        to_blob("item1")
    with pytest.raises(ValueError, match="not a sha256 hex digest"):
        to_blob("zz" * 32)


def test_a_fresh_store_has_the_narrow_form(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    cols = {r[1] for r in store.conn.execute("PRAGMA table_info(samples)")}
    settings = [r[1] for r in store.conn.execute("PRAGMA table_info(eval_settings)")]
    store.close()
    assert "settings_id" in cols and "settings_hash" not in cols
    assert settings == ["id", "hash", "settings"]


def test_recover_from_a_store_before_0021_gives_the_narrow_form(tmp_path: Path) -> None:
    """``recover`` reads the old store without migrating it: the copied rows are converted,
    so the new store never mixes hash forms and keeps every sample's settings."""
    old = tmp_path / "old.db"
    ws = Workspace(old)
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.ingest([LM_EVAL / "bbh-eos-masked"], run="cand", benchmark="bbh")
    ws.store.close()
    sample_id = str(json.loads(cli(old, "samples", "--run", "base", "--format", "json"))["samples"][0]["id"])  # fmt: skip

    def answers(path: Path, n: int) -> list[str]:
        return [
            cli(path, "diagnose", "base", "cand", "--format", "json"),
            cli(path, "sample", sample_id, "--format", "json"),
            json.dumps(exported(path, tmp_path / f"export{n}")),
        ]

    now = answers(old, 1)
    before_0021(old)
    new = tmp_path / "new.db"
    cli(tmp_path / "other.db", "recover", str(old), str(new))
    assert forms(old)["item_hash"] == ["text"]  # the old store was only read
    assert forms(new) == {"hash": ["blob"], "item_hash": ["blob"], "prompt_hash": ["blob"],
                          "doc": ["~"]}  # fmt: skip
    conn = sqlite3.connect(new)
    assert conn.execute("SELECT count(*) FROM samples WHERE settings_id IS NULL").fetchone() == (0,)
    conn.close()
    assert answers(new, 2) == now


def test_an_sqlite_without_drop_column_keeps_an_empty_settings_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite < 3.35 cannot drop ``samples.settings_hash``: it stays, always NULL, and every
    reader still gives each sample's settings hash from its ``settings_id``."""
    from capslice_tui.store import schema as schema_mod

    monkeypatch.setattr(schema_mod, "DROP_COLUMN", False)
    old = tmp_path / "old-sqlite.db"
    ws = Workspace(old)
    ws.ingest([LM_EVAL / "bbh-base"], run="base", benchmark="bbh")
    ws.store.close()
    conn = sqlite3.connect(old)
    n, hashes, ids = conn.execute(
        "SELECT count(*), count(settings_hash), count(settings_id) FROM samples"
    ).fetchone()
    assert hashes == 0 and ids == n > 0
    conn.close()
    sample = json.loads(cli(old, "samples", "--run", "base", "--format", "json"))["samples"][0]
    detail = json.loads(cli(old, "sample", str(sample["id"]), "--format", "json"))
    assert len(detail["settings_hash"]) == 64 and "settings_id" not in detail
    cli(old, "export", str(tmp_path / "export"))  # Parquet too: one settings_hash column
    out = {p.name: p.read_text() for p in sorted((tmp_path / "export").glob("*.jsonl"))}
    first = json.loads(out["samples.jsonl"].splitlines()[0])
    assert first["settings_hash"] == detail["settings_hash"] and "settings_id" not in first
    monkeypatch.undo()
    cli(tmp_path / "new.db", "import", str(tmp_path / "export"))
    assert exported(tmp_path / "new.db", tmp_path / "export2") == out
