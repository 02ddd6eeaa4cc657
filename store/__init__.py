"""The capslice experiment store: the only code that writes SQL.

Imported as ``capslice_tui.store`` (pyproject maps this folder there). ``Store`` is composed of
one mixin per domain: samples (runs, items, samples, aggregates), labels, interventions.
"""

from __future__ import annotations

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
from .interventions import InterventionsMixin
from .labels import LabelsMixin
from .reliability import IngestStateMixin
from .rescore import RescoreMixin
from .samples import AXES, SAMPLE_COLUMNS, SamplesMixin


class Store(LabelsMixin, InterventionsMixin, IngestStateMixin, RescoreMixin, SamplesMixin):
    """A capslice store on one SQLite file. See ``StoreBase`` for threading and writes."""


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
    "damage_message",
    "is_damage",
    "now_iso",
]
