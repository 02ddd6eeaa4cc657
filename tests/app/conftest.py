"""Fixtures for the app tests: one real store built from small lm-eval files per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lmeval_files import build_store  # noqa: E402


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with runs ``base``/``cand`` (bbh, greedy) and ``mathrun`` (math, 4 samples)."""
    return build_store(tmp_path_factory.mktemp("app-store"))
