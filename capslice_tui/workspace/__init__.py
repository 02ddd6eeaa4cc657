"""The workspace facade: the only API the CLI and the Textual app call.

``Workspace`` is assembled from one mixin per capability so each stays small: core (runs,
ingest, slices, samples, taxonomy), diagnose (compare, diagnose, report), discover (slice
suggestions, hand labels, named slices) and plan (sampling plans, interventions).

Start-up (issue 14): importing this package loads only the core and filters mixins, which
need neither numpy nor scipy. A ``Workspace`` starts as that small class; the first lookup of
an attribute it lacks (``ws.compare``, ``ws.plan``, ...) imports the mixin that defines it
(:data:`_MIXIN_ATTRIBUTES` says which; an attribute it does not list loads every mixin),
switches the instance to a class with that mixin added, and answers from there. Type checkers
see the full class. The result types of the other mixins (``Comparison``, ``IngestError``, ...)
are imported on first use too.
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

from .core import CoreMixin, SliceRow, SliceTable, ks_beyond_samples, parse_by
from .filters import FiltersMixin, FilterUse

if TYPE_CHECKING:
    from .diagnose import Comparison, DiagnoseRunsMixin, Diagnosis, DiagnosisVerdict
    from .discover import DiscoverMixin, DiscoveryCancelled, DiscoveryResult
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

else:
    # module -> (mixin class, the public attributes it defines), in the method order of the
    # full class; a private name is called from its own mixin, already loaded (any name not
    # listed loads every mixin: slower, never wrong)
    _MIXIN_ATTRIBUTES: dict[str, tuple[str, tuple[str, ...]]] = {
        "discover": ("DiscoverMixin", (
            "accept_suggestion", "current_user", "discover", "item_docs", "label_actions",
            "label_history", "label_items", "label_samples", "label_show", "label_slice",
            "label_suggestion", "label_where", "named_slice", "named_slices", "rename_slice",
            "suggestion", "suggestions", "undo_labels", "undo_target",
        )),
        "plan": ("PlanMixin", (
            "accept_intervention", "check_slices", "choose_controls", "control_room",
            "data_taxonomy",
            "domain_slices", "edit_intervention", "evaluate_intervention", "evaluation_change",
            "intervention", "intervention_outcome", "intervention_refusal", "interventions",
            "interventions_using_run",
            "link_intervention", "load_catalog", "mapping_rules", "new_intervention", "plan",
            "plan_from_diagnosis", "plan_inputs", "recorded_settings", "reject_intervention",
            "start_intervention",
        )),
        "diagnose": ("DiagnoseRunsMixin", (
            "compare", "diagnose", "diagnose_verdict", "evaluation_check", "report",
        )),
        "rescore": ("RescoreRunsMixin", ("rescore",)),
        "reliability": (
            "ReliabilityMixin",
            ("backup", "doctor", "incomplete_notes", "run_completeness", "storage_warning"),
        ),
        "trend": ("TrendMixin", ("lineage_runs", "trend", "trend_modes")),
        "hub": ("HubMixin", ("hub_add", "hub_pull", "hub_push", "hub_runs", "hubs")),
    }  # fmt: skip
    _MODULE_OF = {name: m for m, (_, names) in _MIXIN_ATTRIBUTES.items() for name in names}
    _composed: dict[tuple[type, frozenset[str]], type] = {}
    _compose_lock = threading.Lock()

    def _wanted(loaded: frozenset[str], name: str) -> frozenset[str]:
        """The mixin modules a class needs so that ``name`` resolves: the loaded ones plus the
        module that defines ``name``; every module for a name no table lists; the loaded ones
        for a dunder (never composed for)."""
        module = _MODULE_OF.get(name)
        if name.startswith("__"):
            return loaded
        if module is not None and module not in loaded:
            return loaded | {module}
        return frozenset(_MIXIN_ATTRIBUTES)

    class _LazyClass(type):
        """The metaclass of ``Workspace``: an attribute looked up on the class itself
        (``Workspace.compare``, as ``inspect`` does) comes from the class with its mixin."""

        def __getattr__(cls, name: str) -> Any:
            loaded: frozenset[str] = cls.__dict__.get("_lazy_loaded", frozenset())
            wanted = _wanted(loaded, name)
            if wanted <= loaded:
                raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")
            return getattr(_compose(cls.__dict__.get("_lazy_origin") or cls, wanted), name)

    class Workspace(FiltersMixin, CoreMixin, metaclass=_LazyClass):
        """Facade over one store file and one taxonomy directory."""

        _lazy_origin: type | None = None  # on a composed class: the class it extends
        _lazy_loaded: frozenset[str] = frozenset()  # on a composed class: its mixin modules

        def __getattr__(self, name: str) -> Any:
            # only reached when normal lookup fails: add the mixin that defines ``name`` (all
            # of them for a name not listed), switch to that class and look again
            cls = type(self)
            loaded = cls._lazy_loaded
            wanted = _wanted(loaded, name)
            if wanted <= loaded:
                raise AttributeError(f"{cls.__name__!r} object has no attribute {name!r}")
            self.__class__ = _compose(cls._lazy_origin or cls, wanted)
            return getattr(self, name)

    def _compose(origin: type, modules: frozenset[str]) -> type:
        """``origin`` (Workspace or a subclass) extended by the mixins of ``modules`` (built
        once per pair, thread-safe). ``origin`` comes first, so a subclass's overrides keep
        winning; no two mixins define the same attribute, so their order decides nothing."""
        with _compose_lock:
            key = (origin, modules)
            if key not in _composed:
                mixins = [
                    getattr(importlib.import_module(f"{__name__}.{module}"), cls_name)
                    for module, (cls_name, _) in _MIXIN_ATTRIBUTES.items()
                    if module in modules
                ]
                composed = type(
                    origin.__name__,
                    (origin, *mixins),
                    {"_lazy_origin": origin, "_lazy_loaded": modules, "__doc__": origin.__doc__,
                     "__module__": origin.__module__},
                )  # fmt: skip
                composed.__qualname__ = origin.__qualname__
                _composed[key] = composed
            return _composed[key]


_LAZY_EXPORTS = {
    "Comparison": "diagnose",
    "Diagnosis": "diagnose",
    "DiagnosisVerdict": "diagnose",
    "DiscoveryCancelled": "discover",
    "DiscoveryResult": "discover",
    "IngestError": "ingest",
    "IngestReport": "ingest",
    "RescoreCancelled": "rescore",
    "RescoreReport": "rescore",
    "Trend": "trend",
}


def __getattr__(name: str) -> Any:
    """The result types of the mixins loaded on first use (PEP 562)."""
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
    "ks_beyond_samples",
    "parse_by",
]
