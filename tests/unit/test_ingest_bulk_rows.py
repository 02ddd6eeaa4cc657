"""The write path's multi-row INSERTs (store/ingest.py ``insert_rows``) and the new items'
``item_axes`` rows derived in SQL from their rule labels store exactly what one ``executemany``
row at a time and the rows built in Python stored (issue 14)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from capslice_tui.store import ingest as ingest_module
from capslice_tui.store.ingest import insert_rows

from capslice_tui.vocabulary import AXES

TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v, w)"


def _rows(n: int) -> list[tuple[object, ...]]:
    """Rows with every kind of value, and a key repeated every 7th row (an OR IGNORE clash)."""
    values: list[object] = [None, 1, 2.5, "text", b"\x00\xff", "é" * 3]
    return [(f"k{i - (i % 7 == 6)}", values[i % 6], values[(i + 2) % 6]) for i in range(n)]


@pytest.mark.parametrize("n", [0, 1, 199, 200, 201, 1000])
@pytest.mark.parametrize("limit", [999, 32_000])
def test_insert_rows_stores_what_executemany_stores(
    n: int, limit: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_module, "_variable_limit", lambda conn: limit)
    rows = _rows(n)
    one, many = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    for conn in (one, many):
        conn.execute(TABLE)
    one.executemany("INSERT OR IGNORE INTO t (k, v, w) VALUES (?,?,?)", rows)
    before = many.total_changes
    insert_rows(
        many,
        "INSERT OR IGNORE INTO t (k, v, w) VALUES",
        list(zip(*rows, strict=True)) or [[], [], []],
    )
    assert many.total_changes - before == one.total_changes
    assert (
        many.execute("SELECT * FROM t ORDER BY id").fetchall()
        == one.execute("SELECT * FROM t ORDER BY id").fetchall()
    )
    assert len(one.execute("SELECT * FROM t").fetchall()) == n - n // 7


def test_insert_rows_keeps_constants_of_its_row_and_checks_lengths() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(TABLE)
    insert_rows(conn, "INSERT INTO t (k, v, w) VALUES", [["a", "b"], [1, 2]], "(?,'c',?)")
    assert conn.execute("SELECT k, v, w FROM t").fetchall() == [("a", "c", 1), ("b", "c", 2)]
    with pytest.raises(ValueError):
        insert_rows(conn, "INSERT INTO t (k, v) VALUES", [["x", "y"], [1]])


def _sources(axes: list[str]) -> str:
    """``item_axes.sources`` as the Python rows gave it (0017): labelled axes in AXES order."""
    return json.dumps({a: "rule" for a in AXES if a in axes}, separators=(",", ":"))


def test_new_items_axes_rows_from_their_rule_labels(tmp_path: Path) -> None:
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    hashes = [hashlib.sha256(f"item{i}".encode()).hexdigest() for i in range(4)]
    items = [(h, "bbh", "t", str(i), f"q{i}", "A", None) for i, h in enumerate(hashes)]
    given = {  # item -> its rule labels (axis -> value), given in an order of their own
        0: {"output_constraint": "letter", "task_type": "qa"},
        1: {"not_an_axis": "x"},  # labels on no axis of item_axes: a row with none
        2: {a: f"v{n}" for n, a in enumerate(reversed(AXES))},
        3: {},  # no label: no item_axes row
    }
    labels = [(hashes[i], a, v, f"rule-{a}") for i, axes in given.items() for a, v in axes.items()]
    _, ids = store.write_batch(texts=[], items=items, samples=[], rule_labels=labels)
    rows = {
        r[0]: tuple(r[1:])
        for r in store.conn.execute(
            f"SELECT item_id, {', '.join(AXES)}, sources FROM item_axes ORDER BY item_id"
        )
    }
    want = {
        ids[hashes[i]]: (*(axes.get(a) for a in AXES), _sources(list(axes)))
        for i, axes in given.items()
        if axes
    }
    assert rows == want
    assert rows[ids[hashes[1]]] == (None, None, None, None, "{}")
    stored = store.conn.execute(
        "SELECT count(*) FROM labels WHERE source = 'rule' AND who = 'taxonomy'"
    ).fetchone()[0]
    assert stored == len(labels)
    # a later batch's new item: only its own labels make its row, earlier rows stay as they are
    extra = hashlib.sha256(b"item4").hexdigest()
    _, more = store.write_batch(
        texts=[],
        items=[(extra, "bbh", "t", "4", "q4", "A", None)],
        samples=[],
        rule_labels=[(extra, "task_type", "qa", "r")],
        item_ids=ids,
    )
    after = store.conn.execute(
        "SELECT task_type, sources FROM item_axes WHERE item_id = ?", (more[extra],)
    ).fetchone()
    assert tuple(after) == ("qa", '{"task_type":"rule"}')
    assert store.conn.execute("SELECT count(*) FROM item_axes").fetchone()[0] == len(want) + 1


def test_axes_rows_read_only_the_labels_just_written(tmp_path: Path) -> None:
    """The item_axes INSERTs read labels by rowid range, not a walk of every stored label."""
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    for sql in (ingest_module._RULE_AXES_ONE, ingest_module._RULE_AXES_GROUPED):
        select = sql.split(") SELECT", 1)[1]
        plan = " ".join(
            r[3] for r in store.conn.execute(f"EXPLAIN QUERY PLAN SELECT {select}", (0,))
        )
        assert "INTEGER PRIMARY KEY (rowid>?)" in plan and "SCAN labels" not in plan


def test_items_of_one_label_each_get_the_rows_built_in_python(tmp_path: Path) -> None:
    """Every item with one label (the row straight from it, no grouping), on each axis and on
    none of them."""
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    axes = [*AXES, "not_an_axis"]
    hashes = [hashlib.sha256(f"item{i}".encode()).hexdigest() for i in range(len(axes))]
    items = [(h, "bbh", "t", str(i), f"q{i}", "A", None) for i, h in enumerate(hashes)]
    labels = [(h, a, f"v-{a}", "r") for h, a in zip(hashes, axes, strict=True)]
    _, ids = store.write_batch(texts=[], items=items, samples=[], rule_labels=labels)
    rows = {
        r[0]: tuple(r[1:])
        for r in store.conn.execute(f"SELECT item_id, {', '.join(AXES)}, sources FROM item_axes")
    }
    assert rows == {
        ids[h]: (*(f"v-{a}" if b == a else None for b in AXES), _sources([a]))
        for h, a in zip(hashes, axes, strict=True)
    }


def test_known_items_and_stored_texts_answer_in_the_form_given(tmp_path: Path) -> None:
    """Hex (lower or upper case) and 32-byte hashes, mixed: found ones keyed exactly as given,
    absent ones left out; a value that is not a digest raises."""
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    hashes = [hashlib.sha256(f"item{i}".encode()).hexdigest() for i in range(3)]
    items = [(h, "bbh", "t", str(i), f"q{i}", "A", None) for i, h in enumerate(hashes)]
    labels = [(hashes[0], "output_constraint", "letter", "r")]
    texts = [(hashes[1], "a prompt")]
    _, ids = store.write_batch(texts=texts, items=items[:2], samples=[], rule_labels=labels)
    absent = hashes[2]
    got: dict[object, int] = {}
    found = store.known_items([hashes[0], hashes[1], absent], ids=got)
    assert found == {hashes[0]: "letter", hashes[1]: None}
    assert got == {hashes[0]: ids[hashes[0]], hashes[1]: ids[hashes[1]]}
    raw = bytes.fromhex(hashes[1])
    got = {}
    upper = hashes[0].upper()
    assert store.known_items([upper, raw], ids=got) == {upper: "letter", raw: None}
    assert got == {upper: ids[hashes[0]], raw: ids[hashes[1]]}
    assert store.stored_texts([hashes[0], hashes[1]]) == {hashes[1]}
    assert store.stored_texts([raw, bytes.fromhex(absent)]) == {raw}
    assert store.stored_texts([hashes[1].upper()]) == {hashes[1].upper()}
    with pytest.raises(ValueError, match="not a sha256 hex digest"):
        store.known_items(["abc"])


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _batches(raw: bool) -> list[dict[str, object]]:
    """Two batches of one ingest (new items, then stored ones), every hash as hex or, with
    ``raw``, as 32 bytes, and the second batch's item ids and settings as the ids the first
    gave (ids 1.. and settings row 1 in a fresh store)."""
    from capslice_tui.store.ingest import SAMPLE_COLUMNS

    def h(text: str) -> object:
        return bytes.fromhex(_digest(text)) if raw else _digest(text)

    def sample(run: int, doc: int, item: object, settings: object) -> tuple[object, ...]:
        row: dict[str, object] = dict.fromkeys(SAMPLE_COLUMNS)
        row.update(run_id=run, item_id=item, task="t", filter="f", doc_id=str(doc))
        row.update(sample_idx=0, ingest_id=run, prompt_hash=h(f"p{doc}"), score=doc % 2)
        row.update(settings_hash=settings, metrics="{}")
        return tuple(row[c] for c in SAMPLE_COLUMNS)

    items = [(h(f"i{d}"), "bbh", "t", str(d), f"q{d}", "A", '{"q":1}') for d in range(5)]
    first = {
        "texts": [(h(f"p{d}"), f"prompt {d}") for d in range(5)],
        "items": items,
        "samples": [sample(1, d, h(f"i{d}"), h("s")) for d in range(5)],
        "rule_labels": [(h(f"i{d}"), "task_type", "qa", "r") for d in range(5)],
        "settings": [(h("s"), '{"a":1}')],
    }
    ids = {h(f"i{d}"): d + 1 for d in range(5)}
    again = [sample(2, d, d + 1 if raw else h(f"i{d}"), 1 if raw else h("s")) for d in range(5)]
    return [first, {"texts": [], "items": [], "samples": again, "item_ids": ids}]


def test_bytes_hashes_and_given_ids_store_what_hex_stores(tmp_path: Path) -> None:
    from capslice_tui.store import Store

    dumps = []
    for raw in (False, True):
        store = Store(tmp_path / f"{raw}.db")
        returned = [store.write_batch(**batch) for batch in _batches(raw)]  # type: ignore[arg-type]
        assert [n for n, _ in returned] == [5, 5]
        assert set(returned[0][1].values()) == {1, 2, 3, 4, 5}
        dump = {}
        for table in ("samples", "items", "texts", "labels", "item_axes", "eval_settings"):
            rows = store.conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
            dump[table] = [tuple(r) for r in rows]
        dumps.append(dump)
    assert dumps[0]["labels"] and dumps[0]["samples"][5][2] == 1  # run 2, item 1
    for table in ("samples", "items", "texts", "item_axes", "eval_settings"):
        assert dumps[0][table] == dumps[1][table], table
    strip_at = [[r[:7] + r[8:] for r in d["labels"]] for d in dumps]  # written at
    assert strip_at[0] == strip_at[1]


def test_a_settings_hash_never_written_is_refused(tmp_path: Path) -> None:
    from capslice_tui.store import Store

    batch = _batches(raw=True)[0]
    batch["settings"] = []
    with pytest.raises(ValueError, match=f"evaluation settings {_digest('s')} were not written"):
        Store(tmp_path / "s.db").write_batch(**batch)  # type: ignore[arg-type]


def test_known_items_output_constraints_dense_and_sparse(tmp_path: Path) -> None:
    """Items found close together (their item_axes read as one range) and far apart (read one
    by one) get the same labels; an item without an item_axes row gets None."""
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    hashes = [_digest(f"item{i}") for i in range(40)]
    items = [(h, "bbh", "t", str(i), f"q{i}", "A", None) for i, h in enumerate(hashes)]
    labels = [(h, "output_constraint", f"oc{i}", "r") for i, h in enumerate(hashes) if i % 3]
    _, ids = store.write_batch(texts=[], items=items, samples=[], rule_labels=labels)
    want = {h: (f"oc{i}" if i % 3 else None) for i, h in enumerate(hashes)}
    for picked in ([1, 2, 3], [0, 1, 2, 3], [0, 39], [1, 20, 38], list(range(40))):
        got: dict[object, int] = {}
        asked = [hashes[i] for i in picked]
        assert store.known_items(asked, ids=got) == {h: want[h] for h in asked}, picked
        assert got == {h: ids[h] for h in asked}


def test_an_ingest_raises_the_page_cache_and_never_lowers_it(tmp_path: Path) -> None:
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    run_id, _ = store.ensure_run(
        "r", model="m", step=None, tokens_seen=None, source_format="test", source_files=[], meta={}
    )
    store.conn.execute("PRAGMA cache_size=-2000")
    store.begin_ingest(run_id)
    want = -ingest_module.INGEST_CACHE_KIB
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == want
    store.conn.execute("PRAGMA cache_size=100000")  # pages: larger than the ingest's
    store.begin_ingest(run_id)
    assert store.conn.execute("PRAGMA cache_size").fetchone()[0] == 100000


def test_settings_ids_of_stored_settings(tmp_path: Path) -> None:
    from capslice_tui.store import Store

    store = Store(tmp_path / "s.db")
    first = _batches(raw=False)[0]
    store.write_batch(**first)  # type: ignore[arg-type]
    h = _digest("s")
    assert store.settings_ids([h]) == {h: 1}
    assert store.settings_ids([bytes.fromhex(h)]) == {bytes.fromhex(h): 1}
    with pytest.raises(ValueError, match="were not written"):
        store.settings_ids([_digest("other")])
