"""The demo's lm-eval runs ingested into a fresh store for tests: one builder instead of a copy
per test file.

``tests/`` is on ``sys.path`` (pytest inserts the folder of ``tests/conftest.py``), so unit and
app tests alike import it as ``from demo_store import bbh_pair_and_math_store``.
"""

from __future__ import annotations

from pathlib import Path

from capslice_tui.workspace import Workspace
from capslice_tui.workspace.demo import sample_data_dir


def bbh_pair_and_math_store(folder: Path) -> Path:
    """Ingest the demo's ``bbh-base`` and ``bbh-eos-masked`` (benchmark ``bbh``, the EOS pair:
    a not_data verdict) and ``math-base`` (benchmark ``math``, a data weakness) into
    ``folder/capslice.db``, one run per folder named after it; return the store's path.

    Raises whatever ``Workspace.ingest`` raises if the shipped sample data is missing."""
    path = folder / "capslice.db"
    ws = Workspace(path)
    lm = sample_data_dir() / "lm_eval"
    for name in ("bbh-base", "bbh-eos-masked"):
        ws.ingest([lm / name], run=name, benchmark="bbh")
    ws.ingest([lm / "math-base"], run="math-base", benchmark="math")
    return path


def math_base_store(folder: Path) -> Path:
    """Ingest the demo's ``math-base`` (benchmark ``math``, 16 samples per item, AIME 128) into
    ``folder/capslice.db`` as run ``math-base``; return the store's path."""
    path = folder / "capslice.db"
    Workspace(path).ingest(
        [sample_data_dir() / "lm_eval" / "math-base"], run="math-base", benchmark="math"
    )
    return path
