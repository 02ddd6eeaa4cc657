"""The workspace facade: the only API the CLI and the Textual app call.

``Workspace`` is assembled from one mixin per capability so each stays small: core (runs,
ingest, slices, samples, taxonomy), diagnose (compare, diagnose, report), discover (slice
suggestions, hand labels, named slices) and plan (sampling plans, interventions).
"""

from __future__ import annotations

from .core import CoreMixin, SliceRow, SliceTable, parse_by
from .diagnose import Comparison, DiagnoseRunsMixin, Diagnosis, DiagnosisVerdict
from .discover import DiscoverMixin, DiscoveryCancelled, DiscoveryResult
from .filters import FiltersMixin, FilterUse
from .hub import HubMixin
from .ingest import IngestError, IngestReport
from .plan import PlanMixin
from .reliability import ReliabilityMixin
from .rescore import RescoreCancelled, RescoreReport, RescoreRunsMixin
from .trend import Trend, TrendMixin


class Workspace(
    DiscoverMixin,
    PlanMixin,
    DiagnoseRunsMixin,
    RescoreRunsMixin,
    FiltersMixin,
    ReliabilityMixin,
    TrendMixin,
    HubMixin,
    CoreMixin,
):
    """Facade over one store file and one taxonomy directory."""


__all__ = [
    "Comparison",
    "Diagnosis",
    "DiagnosisVerdict",
    "DiscoveryCancelled",
    "DiscoveryResult",
    "FilterUse",
    "IngestError",
    "IngestReport",
    "RescoreCancelled",
    "RescoreReport",
    "SliceRow",
    "SliceTable",
    "Trend",
    "Workspace",
    "parse_by",
]
