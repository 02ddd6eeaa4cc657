"""``capslice label show --item ID`` of an id no item has says so and exits 1 (it showed an
empty label table, which reads as an item without labels), as an unknown run or sample does."""

from __future__ import annotations

from pathlib import Path

import pytest
from capslice_tui.store import NotFound
from click.testing import CliRunner
from test_store_ingest import write_gsm8k

from capslice_tui.cli import main
from capslice_tui.workspace import Workspace


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    Workspace(path).ingest([write_gsm8k(tmp_path / "logs")], run="r1")
    return path


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_unknown_item_is_an_error(store: Path, fmt: str) -> None:
    result = CliRunner().invoke(
        main, ["--store", str(store), "label", "show", "--item", "999999", "--format", fmt]
    )
    assert result.exit_code == 1, result.output
    assert "no item with id 999999" in result.output
    assert "labels of item" not in result.output and '"axes"' not in result.output


def test_the_facade_refuses_it_and_shows_a_stored_item(store: Path) -> None:
    ws = Workspace(store)
    with pytest.raises(NotFound, match="no item with id 999999"):
        ws.label_show(999999)
    item = ws.store.query("SELECT min(id) FROM items")[0][0]
    assert ws.label_show(item)["axes"]["background_condition"]["effective"] == "school_math"
