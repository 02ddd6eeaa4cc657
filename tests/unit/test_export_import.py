"""``capslice export`` / ``import``: a copy reproduces every listing, a second import changes
nothing, labels changed on both sides are reported as conflicts, bad folders are refused."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import orjson
import pytest
from capslice_tui.store.exchange import TABLES
from click.testing import CliRunner

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir

DEMO_RUNS = (("bbh-base", "bbh", 100_000), ("math-base", "math", 100_000))


def cli(store: Path, *args: str, user: str = "tester", code: int = 0) -> str:
    result = CliRunner().invoke(
        main, ["--store", str(store), *args], env={"CAPSLICE_USER": user, "NO_COLOR": "1"}
    )
    assert result.exit_code == code, f"capslice {' '.join(args)}: {result.output}"
    return result.output if code else result.stdout


def cli_json(store: Path, *args: str) -> object:
    return json.loads(cli(store, *args, "--format", "json"))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two demo runs (greedy BBH, sampled math) plus hand work: labels with notes by two
    annotators and an undo, a named slice from an accepted suggestion labelled with a note,
    and interventions with decisions (one accepted and started, one rejected)."""
    path = tmp_path_factory.mktemp("src") / "src.db"
    ws = Workspace(path)
    root = sample_data_dir() / "lm_eval"
    for name, bench, step in DEMO_RUNS:
        ws.ingest([root / name], run=name, benchmark=bench, step=step)
    run = ws.store.get_run("math-base")
    items = [r[0] for r in ws.store.query("SELECT id FROM items ORDER BY id LIMIT 12")]
    ws.label_items(items[:3], {"task_type": "geometry"}, who="alice", note="alice's note")
    ws.label_items(items[:2], {"task_type": "number_theory"}, who="bob", note="bob's note")
    ws.label_items(items[3:5], {"solving_operation": "casework"}, who="bob")
    ws.undo_labels(None, who="bob")  # bob's last action (the 'oops' labels)
    [sid] = ws.store.save_suggestions(
        run["id"],
        {"k": 4},
        ["a note"],
        [(0, {"size": 4, "top_terms": ["x"]}, items[5:9])],
        who="carol",
    )
    ws.store.save_suggestions(run["id"], {"k": 4}, [], [(1, {"size": 2}, items[9:11])])
    cli(path, "label", "accept", str(sid), "--name", "cluster-a", "--note", "found by carol")
    cli(path, "label", "set", "--slice", "cluster-a", "--axis", "background_condition",
        "--value", "world_knowledge", "--note", "checked", user="dave")  # fmt: skip
    for title in ("boost math", "drop noise"):
        cli(path, "intervention", "new", "--title", title, "--hypothesis", "more data helps",
            "--baseline", "math-base", "--target", "task_type=prealgebra",
            "--control", "task_type=number_theory")  # fmt: skip
    cli(path, "intervention", "accept", "1", "--reason", "worth a try", "--user", "erin")
    cli(path, "intervention", "start", "1", "--user", "erin")
    cli(path, "intervention", "reject", "2", "--reason", "too costly", "--user", "frank")
    return path


LISTINGS = [
    ("runs",),
    ("runs", "--average", "macro"),
    ("label", "slices"),
    ("label", "history", "--limit", "100000"),
    ("label", "history", "--actions", "--limit", "1000"),
    ("label", "show", "--slice", "cluster-a"),
    ("label", "show", "--item", "1"),
    ("label", "show", "--item", "4"),
    ("intervention", "list"),
    ("intervention", "show", "1"),
    ("intervention", "show", "2"),
    *(
        (cmd, "--run", run, *args)
        for run, _, _ in DEMO_RUNS
        for cmd, *args in (
            ("slices", "--by", "task"),
            ("slices", "--by", "task_type"),
            ("slices", "--by", "background_condition,task_type"),
            ("samples", "--limit", "100000"),
        )
    ),
]


def listings(store: Path) -> dict[str, object]:
    return {" ".join(args): cli_json(store, *args) for args in LISTINGS}


def snapshot(store: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, sorted."""
    conn = sqlite3.connect(store)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {n: sorted(conn.execute(f"SELECT * FROM {n}"), key=repr) for n in names}
    finally:
        conn.close()


def test_export_then_import_into_an_empty_store_reproduces_every_listing(source, tmp_path):
    folder = tmp_path / "export"
    out = cli(source, "export", str(folder))
    assert "named_slices 1" in out and "<table>.parquet" in out
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    assert manifest["schema_version"] == len(manifest["migrations"]) > 1
    assert manifest["tables"]["suggestions"]["rows"] == 1  # the accepted one only
    assert manifest["tables"]["interventions"]["rows"] == 2
    import pyarrow.parquet as pq

    for spec in TABLES:
        entry = manifest["tables"][spec.name]
        assert pq.read_metadata(folder / entry["parquet"]["file"]).num_rows == entry["rows"]
    copy = tmp_path / "copy.db"
    imported = cli(copy, "import", str(folder))
    assert "samples: 6368 added" in imported, imported
    assert listings(copy) == listings(source)


def test_a_second_import_changes_nothing_and_says_so(source, tmp_path):
    folder = tmp_path / "export"
    cli(source, "export", str(folder))
    copy = tmp_path / "copy.db"
    cli(copy, "import", str(folder))
    before = snapshot(copy)
    out = cli(copy, "import", str(folder))
    assert "nothing changed" in out and "added" not in out
    report = json.loads(cli(copy, "import", str(folder), "--json"))
    assert report["changed"] == 0 and report["conflicts"] == []
    assert snapshot(copy) == before


def test_labels_changed_on_both_sides_are_a_conflict_and_one_side_changes_are_merged(
    source, tmp_path
):
    a = tmp_path / "a.db"
    cli(source, "backup", str(a))
    for title in ("third", "fourth"):
        cli(a, "intervention", "new", "--title", title, "--hypothesis", "h",
            "--baseline", "math-base", "--target", "task_type=prealgebra",
            "--control", "task_type=algebra")  # fmt: skip
    first = tmp_path / "first"
    cli(a, "export", str(first))
    b = tmp_path / "b.db"
    cli(b, "import", str(first))

    def label(store: Path, item: int, value: str | None, user: str) -> None:
        change = ("--value", value) if value else ("--clear",)
        cli(store, "label", "set", "--items", str(item), "--axis", "task_type", *change, user=user)

    # since the export: both label item 7 differently; only A labels item 8 and clears item 1;
    # only B relabels item 2. A labels the named slice with a note and accepts intervention 3;
    # A accepts and B rejects intervention 4.
    label(a, 7, "algebra", "ann")
    label(b, 7, "prealgebra", "ben")
    label(a, 8, "precalculus", "ann")
    label(a, 1, None, "ann")
    label(b, 2, "counting_probability", "ben")
    cli(a, "label", "set", "--slice", "cluster-a", "--axis", "output_constraint",
        "--value", "integer", "--note", "later note", user="ann")  # fmt: skip
    cli(a, "intervention", "accept", "3", "--user", "ann")
    cli(a, "intervention", "accept", "4", "--user", "ann")
    cli(b, "intervention", "reject", "4", "--reason", "no budget", "--user", "ben")
    second = tmp_path / "second"
    cli(a, "export", str(second))
    result = CliRunner().invoke(main, ["--store", str(b), "import", str(second)])
    assert result.exit_code == 2, result.output
    assert "conflict: item 7 task_type (hand label): here 'prealgebra'" in result.output
    assert "imported 'algebra'" in result.output and "kept the value here" in result.output
    assert "conflict: intervention #4 'fourth'" in result.output
    slice_b = cli_json(b, "label", "show", "--slice", "cluster-a")
    assert slice_b == cli_json(a, "label", "show", "--slice", "cluster-a")  # A's note, version
    assert slice_b["note"] == "later note"
    assert cli_json(b, "intervention", "show", "3")["status"] == "accepted"
    assert cli_json(b, "intervention", "show", "4")["status"] == "rejected"  # B's own kept
    ws = Workspace(b)

    def hand(item: int) -> str | None:
        rows = [r for r in ws.store.item_labels(item) if r["axis"] == "task_type"]
        return next((r["value"] for r in rows if r["source"] == "hand"), None)

    assert hand(7) == "prealgebra"  # not overwritten
    assert hand(8) == "precalculus"  # A's change merged
    assert hand(1) is None  # A's clear merged
    assert hand(2) == "counting_probability"  # B's own later change kept, no conflict
    report = json.loads(
        CliRunner().invoke(main, ["--store", str(b), "import", str(second), "--json"]).stdout
    )
    assert report["changed"] == 0
    assert [(c["kind"], c.get("item_id", c.get("id"))) for c in report["conflicts"]] == [
        ("label", 7),
        ("intervention", 4),
    ]
    # effective labels follow the merged hand labels (slices read them)
    axes = ws.store.query("SELECT task_type FROM item_axes WHERE item_id = 8")
    assert axes[0][0] == "precalculus"


def test_import_into_a_store_with_other_work_maps_ids_by_content(source, tmp_path):
    other = tmp_path / "other.db"
    ws = Workspace(other)
    ws.ingest([sample_data_dir() / "lm_eval" / "math-base"], run="math-base", benchmark="math")
    ws.store.create_named_slice("mine", [5, 6], who="zed")
    folder = tmp_path / "export"
    cli(source, "export", str(folder))
    report = json.loads(cli(other, "import", str(folder), "--json"))
    assert report["tables"]["samples"]["present"] == 5888  # math-base was already here
    names = {s["name"] for s in cli_json(other, "label", "slices")}
    assert names == {"mine", "cluster-a"}
    src = cli_json(source, "label", "show", "--slice", "cluster-a")
    dst = cli_json(other, "label", "show", "--slice", "cluster-a")

    def hashes(store: Path, ids: list[int]) -> set[str]:
        s = Workspace(store).store
        return {s.query("SELECT item_hash FROM items WHERE id = ?", (i,))[0][0] for i in ids}

    assert hashes(other, dst["item_ids"]) == hashes(source, src["item_ids"])
    assert json.loads(cli(other, "import", str(folder), "--json"))["changed"] == 0


def test_a_bad_export_folder_is_refused_naming_the_file(source, tmp_path):
    folder = tmp_path / "export"
    cli(source, "export", str(folder), "--no-parquet")
    target = tmp_path / "t.db"
    manifest_path = folder / "manifest.json"
    manifest = orjson.loads(manifest_path.read_bytes())

    def refused(text: str) -> str:
        out = cli(target, "import", str(folder), code=1)
        assert text in out, out
        return out

    newer = {**manifest, "migrations": [*manifest["migrations"], "0999_from_the_future"]}
    manifest_path.write_bytes(orjson.dumps(newer))
    refused("written by a newer capslice")
    manifest_path.write_bytes(orjson.dumps(manifest))
    labels = folder / "labels.jsonl"
    original = labels.read_bytes()
    labels.write_bytes(original.replace(b"geometry", b"geometrx", 1))
    refused(f"{labels}: checksum mismatch")
    labels.unlink()
    refused(f"{labels}: missing")
    labels.write_bytes(original)
    older = {**manifest, "migrations": manifest["migrations"][:-1]}  # an older capslice's
    manifest_path.write_bytes(orjson.dumps(older))
    assert "samples: 6368 added" in cli(target, "import", str(folder))
    target.unlink()
    manifest_path.unlink()
    refused(f"{manifest_path}: missing")
    assert Workspace(target).runs() == []
    nonempty = tmp_path / "nonempty"
    nonempty.mkdir()
    (nonempty / "x").write_text("x")
    assert "is not empty" in cli(source, "export", str(nonempty), code=1)


V1 = Path(__file__).resolve().parents[1] / "fixtures" / "schema-v1.sql"


def small_store(path: Path) -> Path:
    """The first-schema fixture (two runs, 134 samples, a hand label), upgraded."""
    conn = sqlite3.connect(path)
    conn.executescript(V1.read_text(encoding="utf-8"))
    conn.close()
    Workspace(path).store.close()
    return path


def test_an_interrupted_import_completes_when_run_again(tmp_path, monkeypatch):
    from capslice_tui.store import exchange

    src = small_store(tmp_path / "src.db")
    folder = tmp_path / "export"
    cli(src, "export", str(folder))
    clean = tmp_path / "clean.db"
    cli(clean, "import", str(folder))

    monkeypatch.setattr(exchange, "BATCH", 20)  # several transactions per table
    calls = {"n": 0}
    real = exchange._Importer.insert_values

    def dies_at_100(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 100:
            raise KeyboardInterrupt("killed")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(exchange._Importer, "insert_values", dies_at_100)
    target = tmp_path / "target.db"
    result = CliRunner().invoke(main, ["--store", str(target), "import", str(folder)])
    assert result.exit_code != 0
    kept = snapshot(target)
    assert 0 < len(kept["samples"]) < 134 and len(kept["samples"]) % 20 == 0  # whole batches
    monkeypatch.setattr(exchange._Importer, "insert_values", real)
    out = cli(target, "import", str(folder))
    assert "samples: " in out and "present" in out
    skip = {"_migrations"}
    after, expected = snapshot(target), snapshot(clean)
    assert {k: v for k, v in after.items() if k not in skip} == {
        k: v for k, v in expected.items() if k not in skip
    }


def test_a_value_parquet_cannot_type_leaves_jsonl_whole(tmp_path):
    src = small_store(tmp_path / "src.db")
    conn = sqlite3.connect(src)
    conn.execute("UPDATE runs SET step = 'step-100k' WHERE name = 'bbh-base'")  # not an integer
    conn.commit()
    conn.close()
    folder = tmp_path / "export"
    manifest = json.loads(cli(src, "export", str(folder), "--json"))
    assert manifest["tables"]["runs"]["parquet"] is None
    assert not (folder / "runs.parquet").exists()
    assert any(n.startswith("runs.parquet not written") for n in manifest["notes"])
    assert manifest["tables"]["samples"]["parquet"] is not None
    copy = tmp_path / "copy.db"
    cli(copy, "import", str(folder))
    runs = {r["name"]: r["step"] for r in cli_json(copy, "runs")}
    assert runs["bbh-base"] == "step-100k"


def _h(old, new, who, at, old_who=None, old_at=None):
    return {"old_value": old, "new_value": new, "who": who, "at": at,
            "old_who": old_who, "old_at": old_at}  # fmt: skip


T0, T1, T2 = "2026-11-30T10:00:00+00:00", "2026-11-30T11:00:00+00:00", "2026-11-30T12:00:00+00:00"
CREATED = _h(None, "a", "ann", T0)


@pytest.mark.parametrize(
    ("here", "there", "here_hist", "there_hist", "verdict"),
    [
        # only there changed it since: take theirs
        (("a", "ann", T0), ("b", "bob", T1), [CREATED],
         [CREATED, _h("a", "b", "bob", T1, "ann", T0)], "take"),
        # only here changed it: keep ours
        (("b", "bob", T1), ("a", "ann", T0), [CREATED, _h("a", "b", "bob", T1, "ann", T0)],
         [CREATED], "keep"),
        # both changed it: conflict
        (("b", "bob", T1), ("c", "cy", T2), [CREATED, _h("a", "b", "bob", T1, "ann", T0)],
         [CREATED, _h("a", "c", "cy", T2, "ann", T0)], "conflict"),
        # cleared here since: keep the clear (not resurrected)
        ((None, "bob", T1), ("a", "ann", T0), [CREATED, _h("a", None, "bob", T1, "ann", T0)],
         [CREATED], "keep"),
        # new there, never here: take
        ((None, None, None), ("a", "ann", T0), [], [CREATED], "take"),
        # a rule label the taxonomy changed there (its history lacks the old who/at): take
        (("x", "taxonomy", T0), ("y", "taxonomy", T1), [],
         [_h("x", "y", "taxonomy", T1)], "take"),
        # cleared and set again there while here still has the first value: take theirs
        (("a", "ann", T0), ("a2", "cy", T2), [CREATED],
         [CREATED, _h("a", None, "bob", T1, "ann", T0), _h(None, "a2", "cy", T2)], "take"),
    ],
)  # fmt: skip
def test_label_merge_verdicts(here, there, here_hist, there_hist, verdict):
    from capslice_tui.store.exchange import _newer

    assert _newer(here, there, here_hist, there_hist, "value") == verdict
