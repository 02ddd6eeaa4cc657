"""``capslice export`` / ``import`` say their row counts in the number they take: a table of
one row is ``1 row`` (it printed ``runs: 1 rows``), an orphan ``1 row ... points to``, and a
table file one row short of its manifest ``1 row, the manifest says 2``."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from capslice_tui.store.exchange import ExchangeError, read_manifest
from test_store_ingest import write_gsm8k

from capslice_tui.workspace import Workspace


def test_export_progress_says_1_row(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "logs")], run="r1")
    lines: list[str] = []
    ws.export_to(tmp_path / "out", parquet=False, progress=lines.append)
    assert "runs: 1 row" in lines and "samples: 24 rows" in lines
    assert not any(line.endswith(" 1 rows") for line in lines), lines


def test_a_file_short_of_its_manifest_says_1_row(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "s.db")
    ws.ingest([write_gsm8k(tmp_path / "logs")], run="r1")
    out = tmp_path / "out"
    ws.export_to(out, parquet=False)
    path = out / "manifest.json"
    manifest = orjson.loads(path.read_bytes())
    manifest["tables"]["runs"]["rows"] = 2  # the runs file holds 1
    path.write_bytes(orjson.dumps(manifest))
    with pytest.raises(ExchangeError, match=r"runs\.jsonl: 1 row, the manifest says 2$"):
        read_manifest(out)
