"""App messages: thread workers post ``XLoaded`` with the facade's result; screens handle them.

Workers never touch widgets. A worker calls one facade function and posts one of these (Textual's
``post_message`` is thread-safe); the screen that started it fills its widgets in the handler.
Errors are not messages: a failed worker ends in ``WorkerState.ERROR`` and the screen's single
``Worker.StateChanged`` handler turns it into a notification (see ``screens/base.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from ..workspace import SliceTable
    from ..workspace.results import ComparisonDict, DiagnosisDict, RunRow, SampleDetail


class RunsLoaded(Message):
    """``ws.runs()`` finished: ``runs`` is its list of run dicts; ``generation`` numbers the
    request, so a screen can drop a read that a later request (after a delete) supersedes."""

    def __init__(self, runs: list[RunRow], generation: int = 0) -> None:
        super().__init__()
        self.runs = runs
        self.generation = generation


class SlicesLoaded(Message):
    """``ws.slices(...)`` finished: ``table`` is the SliceTable for grouping ``by``, read on
    answer filter ``filter_name`` (None: each task's primary filter)."""

    def __init__(self, table: SliceTable, by: str, filter_name: str | None = None) -> None:
        super().__init__()
        self.table = table
        self.by = by
        self.filter_name = filter_name


class SampleLoaded(Message):
    """``ws.sample(id)`` finished: ``sample`` is the full sample dict; ``log_score`` what the
    log holds for its item when capslice scored it (``report.log_score``: the ``log's
    score`` line of ``capslice sample ID``), else None."""

    def __init__(self, sample: SampleDetail, log_score: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.sample = sample
        self.log_score = log_score


class CompareLoaded(Message):
    """``ws.compare(...)`` finished: ``data`` is ``Comparison.to_dict()``, ``filter_label``
    the answer filters it read (``Workspace.filter_pair_label``)."""

    def __init__(self, data: ComparisonDict, filter_label: str | None = None) -> None:
        super().__init__()
        self.data = data
        self.filter_label = filter_label


class DiagnoseLoaded(Message):
    """``ws.diagnose(...)`` finished: ``data`` is ``Diagnosis.to_dict()``."""

    def __init__(self, data: DiagnosisDict) -> None:
        super().__init__()
        self.data = data
