"""The capslice experiment store: the only code that writes SQL.

Imported as ``capslice_tui.store`` (pyproject maps this folder there). ``Store`` is composed of
one mixin per entity: runs, ingest (the write path), aggregates (per-item scores, slice counts,
rule labels), samples (reads), labels, interventions, ingest state and rescoring.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .aggregates import AggregatesMixin
from .db import (
    Conflict,
    NotFound,
    StoreBusy,
    StoreDamaged,
    StoreError,
    current_user,
    damage_message,
    is_damage,
    now_iso,
)
from .ingest import SAMPLE_COLUMNS, IngestMixin
from .interventions import InterventionsMixin
from .labels import LabelsMixin
from .reliability import IngestStateMixin
from .rescore import RescoreMixin
from .runs import RunsMixin
from .samples import AXES, SamplesMixin

if TYPE_CHECKING:
    from . import doctor, hub  # namespaces of the workspace and the hub sync, loaded on use


class Store(
    LabelsMixin,
    InterventionsMixin,
    IngestStateMixin,
    RescoreMixin,
    IngestMixin,
    AggregatesMixin,
    SamplesMixin,
    RunsMixin,
):
    """A capslice store on one SQLite file. See ``StoreBase`` for threading and writes."""


def __getattr__(name: str) -> Any:
    """``store.doctor`` and ``store.hub``, imported on first use (PEP 562): the everyday reads
    (runs aside, which reads the hub origins) need neither (issue 14)."""
    if name in ("doctor", "hub"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AXES",
    "Conflict",
    "SAMPLE_COLUMNS",
    "NotFound",
    "Store",
    "StoreBusy",
    "StoreDamaged",
    "StoreError",
    "current_user",
    "doctor",
    "hub",
    "damage_message",
    "is_damage",
    "now_iso",
]
