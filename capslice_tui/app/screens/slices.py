"""Slices of one run and benchmark, grouped by task, an axis, or a combination of axes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static

from ...formatting import (
    AVERAGE_MEANING,
    ITEM_MEAN_ACCURACY,
    interval_mark,
    item_mean,
    middle_cut,
    mixed_intervals,
    plural,
    points,
    score_meaning,
    visible,
)
from ...vocabulary import AXES
from ..format import (
    cell,
    count,
    first_column_room,
    fit_names,
    fit_parts,
    interval,
    pct,
    short_task,
    slice_label,
    warning_mark,
)
from ..messages import SlicesLoaded
from ..widgets.result_table import ResultTable
from .base import HandLabelScreen
from .trend import interval_bar

GROUPINGS = ("task", *AXES, "task_type,solving_operation")
SORTS = ("key", "score", "n")
MAX_K_COLUMNS = 3
WIDE = 100  # terminal columns from which three pass@k columns and long headers fit
CI_BAR_WIDTH = 20
"""Cells of the interval bar beside the scores (0-100%), shown from :data:`WIDE` columns."""
CI_BAR_HEADER = "CI on 0-100%"
MIN_NAME_WITH_BAR = 18
"""Slice-name characters the interval bar must leave, or it is not shown."""
DETAIL_COLUMNS = (CI_BAR_HEADER, "c/n", "95% CI")
"""Columns left to the detail line, in this order and only as far as needed, when slices
of several axes need the room for their labels."""
# Axis names as the title shows them, so ``sort: ...`` and the run still fit 80 columns.
AXIS_SHORT = {
    "background_condition": "background",
    "task_type": "task_type",
    "solving_operation": "solving_op",
    "output_constraint": "output",
}


RUN_LEAST = 24
"""Characters the title line keeps for the run beside the benchmark; with less room it shows
the run alone (a run cut shorter, ``olmo…p11931-hf``, reads the same for two seeds)."""


def slice_detail(row: Any, is_overall: bool, by: str, mixed: bool = False) -> str:
    """Two lines for the highlighted slice: its full name, then its grouping and figures.

    A row of several tasks says how they are weighed (``micro``/``macro``); ``mixed``: the
    table's intervals are of several methods, so this one carries its mark
    (:func:`~capslice_tui.formatting.interval_mark`: ``[0.0, 39.0] w``)."""
    average = getattr(row, "average", "micro")
    name = (
        f"ALL, {AVERAGE_MEANING[average]}"  # one line at 80 columns
        if is_overall
        else slice_label(row.key)
    )
    grouping = "+".join(AXIS_SHORT.get(a, a) for a in by.split(","))
    figures = (
        f"by {grouping} · {plural(row.n_items, 'item')} · {pct(row.score)} "
        f"{interval_mark(interval(row.lo, row.hi), getattr(row, 'method', ''), mixed)}"
        f" · {_detail_tally(row)}"
    )
    lenient = getattr(row, "lenient", None)
    if lenient is not None and pct(lenient) != pct(row.score):  # the gap i explains
        figures += f" · lenient {pct(lenient)}"
    mark = warning_mark(row.warning, row.n_items)
    return f"{name}\n{figures}" + (f" · {mark}" if mark else "")


def pass_cell(p: dict[str, Any] | None) -> str:
    """A pass@k cell: ``6.7%``; in parentheses, ``(6.7%)``, when it covers only part of the
    slice's items (those with at least k samples); ``-`` when no item has k samples."""
    if not p or not p.get("n_eligible"):
        return "-"
    text = pct(p.get("score"))
    coverage = p.get("coverage")
    return f"({text})" if coverage is not None and coverage < 1 else text


def coverage_text(row: Any, ks: list[int], hidden: Sequence[int] = ()) -> str:
    """``p@128 on 30/158 items`` for each shown k whose pass@k leaves items out, and the
    pass@k of each ``hidden`` k (a column left out for the labels' room) with its value:
    ``p@128 16.7%``, ``p@128 (8.3%) on 12/26 items`` (none when no item has k samples);
    joined by `` · ``; ``""`` when there is nothing to say."""
    parts = []
    for k in [*hidden, *ks]:
        p = row.pass_at_k.get(k) or {}
        value = f" {pass_cell(p)}" if k in hidden else ""
        if not p.get("n_eligible"):
            continue
        if p.get("coverage") is not None and p["coverage"] < 1:
            parts.append(f"p@{k}{value} on {p['n_eligible']}/{plural(row.n_items, 'item')}")
        elif value:
            parts.append(f"p@{k}{value}")
    return " · ".join(parts)


def k_drop_order(
    texts: list[list[str]], columns: list[str], by_k: dict[str, int], named: Iterable[int]
) -> list[str]:
    """The pass@k column headers in the order they give way to labels: ks the user did not
    name first, then the emptiest column (most ``-`` cells: math-base's p@128, which only
    AIME's 128 samples per item fill), then the smaller k."""
    asked = set(named)

    def empty(header: str) -> int:
        i = columns.index(header)
        return sum(t[i] == "-" for t in texts)

    return sorted(by_k, key=lambda h: (by_k[h] in asked, -empty(h), by_k[h]))


def give_labels_room(
    columns: list[str],
    texts: list[list[str]],
    width: int,
    longest: int,
    k_columns: list[str],
    first: Sequence[str] = (),
) -> tuple[list[str], list[list[str]], int, list[str]]:
    """Columns left out, one at a time and only while a label of ``longest`` characters does
    not fit the first column of a ``width``-column table: the ``first`` columns, then
    :data:`DETAIL_COLUMNS` (the CI bar, c/n, 95% CI) and :data:`LENIENT`, then the pass@k
    columns ``k_columns`` in that order, keeping one.

    ``texts``: the rows' cells as strings, in ``columns`` order. Returns the columns and
    cells kept, the first column's room (:func:`first_column_room`) and the headers left out.
    """
    room = first_column_room(columns, texts, width, 12)
    dropped: list[str] = []
    for drop in [*first, *DETAIL_COLUMNS, LENIENT, *k_columns[:-1]]:
        if longest <= room:
            break
        if drop not in columns:
            continue
        keep = [i for i, c in enumerate(columns) if c != drop]
        columns = [columns[i] for i in keep]
        texts = [[t[i] for i in keep] for t in texts]
        room = first_column_room(columns, texts, width, 12)
        dropped.append(drop)
    return columns, texts, room, dropped


def with_coverage(detail: str, coverage: str) -> str:
    """The slice detail with its pass@k coverage (``p@128 on 30/158 items``) first on the
    figures line, so an 80-column line that is cut keeps the mark that the parenthesised
    pass@k leaves items out."""
    if not coverage:
        return detail
    name, _, figures = detail.partition("\n")
    return f"{name}\n{coverage} · {figures}"


def _detail_tally(row: Any) -> str:
    """The c/n figure beside the score in the detail line: ``samples 1093/5888`` when the score
    is a mean of per-item accuracies (so it is not read as the score's ratio), else the c/n
    cell."""
    tally = _tally(row)
    n = row.n_samples
    if tally[:1].isdigit() and n and pct(row.correct / n) != pct(row.score):
        return f"samples {tally}"
    return tally


def _tally(row: Any) -> str:
    """The c/n cell: counts for a micro mean, ``macro of N`` for a macro mean of N tasks."""
    n_tasks = getattr(row, "n_tasks", None) or 0
    if getattr(row, "average", "micro") == "macro" and n_tasks > 1:
        return f"macro of {n_tasks}"
    return count(row.correct, row.n_samples)


def pick_ks(ks: list[int], width: int = 80, named: Iterable[int] = ()) -> list[int]:
    """The pass@k columns that fit ``width`` columns: two below 100 columns, else three.

    The ks the user named (``k``: ``1,8,all`` names 1 and 8) always show, however many, and
    the columns left are filled with the largest other k, then the middle one. Without named
    ks, pass@1 is left out when there are more ks than columns (it equals the mean score),
    then a middle k and the largest are kept (``[1, 16, 128]`` at 80 columns -> ``[16, 128]``).
    """
    most = MAX_K_COLUMNS if width >= WIDE else MAX_K_COLUMNS - 1
    if len(ks) <= most:
        return list(ks)
    asked = sorted(set(named) & set(ks))
    if asked:
        others = [k for k in ks if k not in asked and k > 1]
        extra = others[-1:] + others[(len(others) - 1) // 2 : (len(others) - 1) // 2 + 1]
        return sorted({*asked, *extra[: max(most - len(asked), 0)]})
    rest = [k for k in ks if k > 1]
    if len(rest) <= most:
        return rest
    if most == 2:
        return [rest[(len(rest) - 1) // 2], rest[-1]]
    return [rest[0], rest[len(rest) // 2], rest[-1]]


def ks_within(asked: Sequence[str], n_max: int) -> list[str]:
    """The chosen ks (as typed) that some item has samples for: ``1,3,50`` on a run of 8
    samples per item keeps ``1,3`` (``all`` kept; a greedy run, ``n_max`` 1, keeps all: its
    ks are ignored, said in the status)."""
    if n_max <= 1:
        return list(asked)
    return [k for k in asked if not (k.isdigit() and int(k) > n_max)]


def k_header(k: int, width: int = 80) -> str:
    """The header of a pass@k column: ``pass@16``, or ``p@16`` below 100 columns."""
    return f"pass@{k}" if width >= WIDE else f"p@{k}"


def samples_per_item_text(rows: list[Any], most: int) -> str:
    """``128 samples/item`` when every slice has ``most`` samples per item, else
    ``up to 128 samples/item`` (e.g. AIME with 128 and the other tasks with 16); ``""`` when
    ``most`` is 1 (greedy)."""
    if most <= 1:
        return ""
    uniform = all(r.n_samples == r.n_items * most for r in rows if r.n_items)
    return f"{plural(most, 'sample')}/item" if uniform else f"up to {plural(most, 'sample')}/item"


LENIENT = "lenient"
"""The column of the score under capslice's lenient answer extraction (the CLI's
``lenient``), shown when some row has one."""


def lenient_cell(row: Any) -> str:
    """A row's lenient score (``34.7%``), ``-`` when it has none (nothing to re-extract)."""
    value = getattr(row, "lenient", None)
    return "-" if value is None else pct(value)


LENIENT_GAP = 0.05
"""A whole-run lenient score this far above the score (5 points) is named in the status
line: the log's answer extraction missed answers the lenient one reads."""


def lenient_gap(row: Any) -> float:
    """Lenient minus score of a row, 0 when it has no lenient score."""
    value = getattr(row, "lenient", None)
    return 0.0 if value is None else float(value - row.score)


def lenient_texts(rows: Sequence[Any]) -> list[str]:
    """What ``i`` says of the rows whose lenient score reads otherwise than their score:
    ``ALL: score 0.0%, lenient 34.7% (+34.7 points lost to answer extraction): ...``; the
    first row is the whole run, the others are named by their slice. Empty when every
    lenient score equals its score or there is none."""
    out = []
    for i, r in enumerate(rows):
        value = getattr(r, "lenient", None)
        if value is None or pct(value) == pct(r.score):
            continue
        gap = value - r.score
        name = "ALL" if i == 0 else slice_label(r.key)
        out.append(
            f"{name}: score {pct(r.score)}, lenient {pct(value)} ({points(gap)} "
            f"{'lost to' if gap > 0 else 'gained by'} the log's answer extraction)"
        )
    if out:
        out.append(
            "lenient: the same samples re-scored by capslice's lenient answer extraction; "
            "lenient - score is the share of right answers the log's extraction did not read"
        )
    return out


def size_legends(marks: Iterable[str], bar: bool) -> list[str]:
    """The status line's legends for what the table shows, longest first (the first that
    fits is used): the slice-size marks present (``n<20: small slice``, ``n<10: not
    tested``) and, with the interval bar, its key. Empty when nothing needs one."""
    present = set(marks)
    parts = [text for mark, text in (("n<20", "n<20: small slice"), ("n<10", "n<10: not tested"))
             if mark in present]  # fmt: skip
    options = [" · " + ", ".join(parts)] if parts else []
    if len(parts) > 1:
        options.append(" · " + parts[0])
    if bar:
        options.insert(0, (options[0] if options else "") + " · bar: [ ] 95% CI, * score")
    return options


STATUS_SHORTER = (
    (" (t)", ""),  # the key hint: the footer and the help name the key too
    (" samples/item", "/item"),
    ("samples/item", "/item"),
    # the score's meaning, then the pooled-count clause, in score_meaning's short words
    *zip(
        score_meaning(ITEM_MEAN_ACCURACY, True).split("; "),
        score_meaning(ITEM_MEAN_ACCURACY, True, short=True).split("; "),
        strict=True,
    ),
    ("up to ", "<="),
)
"""Shortenings of the slices status line, least important first (:func:`fit_status`)."""


def fit_status(status: str, width: int) -> str:
    """``status`` within ``width`` columns: the shortenings of :data:`STATUS_SHORTER` are
    applied one by one, least important first, until it fits (``filter none (t)`` ->
    ``filter none``, ``up to 128 samples/item`` -> ``<=128/item``), so the filter and the
    counts are never cut; unchanged when it fits."""
    for old, new in STATUS_SHORTER:
        if len(status) <= width:
            break
        status = status.replace(old, new)
    return status


def samples_query(key: dict[str, str], benchmark: str | None) -> dict[str, Any]:
    """``ws.samples`` keyword arguments selecting the samples of slice ``key``."""
    query: dict[str, Any] = {"benchmark": benchmark, "where": {}}
    for grouping, value in key.items():
        if grouping == "task":
            query["task"] = value
        elif grouping == "benchmark":
            query["benchmark"] = value
        elif grouping in AXES:
            query["where"][grouping] = value
    return query


class SlicesScreen(HandLabelScreen):
    """Slice table of one run. ``g`` cycles the grouping, ``a`` combines axes, ``s`` sorts."""

    HELP_TITLE = "Slices of a run"
    HELP_LEGEND = (
        "items: items in the slice; score: the slice's metric with its 95% CI; with several "
        "samples per item, the mean over items of each item's accuracy (its correct / its "
        "samples: every item weighs 1)",
        "c/n: correct / scored samples, pooled over the slice's items (another ratio than the "
        "score when items have different numbers of samples; the status line then says so)",
        "pass@k (p@k): the chance that at least one of k samples is right, by the unbiased "
        "estimator from the n samples of each item (Chen et al. 2021), averaged over items",
        "lenient: the same samples re-scored by capslice's lenient answer extraction (the "
        "CLI's lenient column); far above the score, the log's extraction missed answers: i "
        "says by how much",
        "warn: n<20 = small slice (wide CI), n<10 = too small to test",
        "b / w after an interval (a table whose intervals differ in method): a bootstrap over "
        "items / a Wilson interval over items (items all right or all wrong, or all the same "
        "score); - : no interval (too few items to bootstrap, their accuracies varying)",
        f"{CI_BAR_HEADER} (from {WIDE} columns): the 95% interval as a bar |  [--*--]  | on "
        "0-100%: [ ] its ends, * the score, | the 0% and 100% marks",
        "(x%) in a pass@k column: over only the items with at least k samples; the line "
        "under the table says how many (p@k on N/M items)",
        "k: choose the pass@k values (e.g. 1,8,all; all: 1,2,4 and so on up to n; named ks "
        "always show)",
        "t: next answer filter the run logged (how the answer is extracted: strict-match, "
        "flexible-extract...), then each task's primary one again; the status line names the "
        "filter read (f is the failure mode, on the samples and trend screens)",
        "v: ALL and rows of several tasks as micro means (every item weighs the same) or macro "
        "means (every task weighs the same; c/n then reads 'macro of N' tasks)",
    )

    BINDINGS = [
        Binding("g", "cycle_grouping", "Group", id="slices.group"),
        Binding("a", "pick_axes", "Axes", id="slices.axes", tooltip="Combine axes"),
        Binding("s", "cycle_sort", "Sort", id="slices.sort"),
        Binding(
            "t",
            "cycle_filter",
            "Answer filter",
            show=False,
            id="slices.filter",
            tooltip="Next answer filter the run logged (strict-match, flexible-extract...)",
        ),
        Binding(
            "v",
            "toggle_average",
            "Micro/macro",
            show=False,
            id="slices.average",
            tooltip="Rows of several tasks: pooled over items (micro) or mean of task scores",
        ),
        Binding("l", "label", "Label", id="slices.label", tooltip="Hand-label this slice's items"),
        Binding(
            "i",
            "score_caveats",
            "Why",
            show=False,
            id="slices.caveats",
            tooltip="The run's score warnings in full (a strict-format score, its lenient score)",
        ),
        Binding(
            "k",
            "choose_k",
            "pass@k",
            show=False,
            id="slices.k",
            tooltip="Choose the pass@k values (e.g. 1,8,all)",
        ),
        Binding(
            "y",
            "history",
            "History",
            show=False,
            id="slices.history",
            tooltip="Label history, undo",
        ),
    ]

    def __init__(self, run: str, benchmark: str | None, by: str = "task") -> None:
        super().__init__()
        self.run = run
        self.benchmark = benchmark
        self.by = by
        self.sort = "key"
        self.average = "micro"
        self.filter_name: str | None = None  # answer filter; None = each task's primary one
        self.filter_use: Any = None  # FilterUse of the last load: the label and logged filters
        self.primary_filters: set[str] = set()  # the tasks' primary filters, once read
        self.table_data: Any = None
        self.shown: list[Any] = []  # the slice rows in table order (ALL first)
        self.ks: list[str] = []  # chosen pass@k values (``--k``); empty: the facade's default
        self.shown_ks: list[int] = []  # the pass@k columns on screen
        self.hidden_ks: list[int] = []  # pass@k left to the detail line for the labels' room
        self.unshown_ks: list[int] = []  # pass@k chosen but given no column (the status says)
        self.k_note = ""  # the ks chosen above every item's samples, dropped (the status says)

    def context_run(self) -> str | None:
        """This screen's run (the menu opens discover, re-score and trend on it)."""
        return self.run

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield ResultTable(id="slices-table")
        yield Static("", id="detail-line")
        yield Static("loading slices…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.run} · {self.benchmark}"
        self.load_slices()

    def _title(self) -> str:
        """``sort: S · by AXES · micro · RUN · BENCH`` in the title line's width: the run
        and the benchmark are cut in the middle to fit (never the line's end, which left a
        dangling ``·``)."""
        by = "+".join(AXIS_SHORT.get(a, a) for a in self.by.split(","))
        head = f"sort: {self.sort} · by {by} · {self.average} · "
        width = self.query_one("#title", Static).size.width or self.app.size.width - 2
        names = [visible(self.run), self.benchmark or "all"]
        room = width - len(head)
        if len(names[0]) + 3 + len(names[1]) > room and room - 3 - len(names[1]) < RUN_LEAST:
            # too little room for both: the run alone, cut in the middle (the header line
            # above names the run with its benchmark)
            return head + middle_cut(names[0], room)
        run, bench = fit_names(names, room - 3)
        return f"{head}{run} · {bench}"

    class FilterRead(Message):
        """``ws.filter_use(...)`` of a load: which answer filter each task is read with."""

        def __init__(self, use: Any) -> None:
            super().__init__()
            self.use = use

    @work(thread=True, exclusive=True, exit_on_error=False, group="slices")
    def load_slices(self) -> None:
        by, average, filter_name = self.by, self.average, self.filter_name
        use = self.ws.filter_use(self.run, filter_name, benchmark=self.benchmark)
        self.post_message(SlicesScreen.FilterRead(use))
        table = self.ws.slices(
            self.run,
            benchmark=self.benchmark,
            by=by,
            average=average,
            filter_name=filter_name,
            k=list(self.ks) or None,
        )
        self.post_message(SlicesLoaded(table, by, filter_name))

    def on_slices_screen_filter_read(self, message: FilterRead) -> None:
        if message.use.requested == self.filter_name:
            self.filter_use = message.use
        if message.use.requested is None:
            self.primary_filters = set(message.use.per_task.values())

    def on_slices_loaded(self, message: SlicesLoaded) -> None:
        if message.by != self.by or getattr(message.table, "average", "micro") != self.average:
            return
        if message.filter_name != self.filter_name:
            return
        from ...workspace import ks_beyond_samples

        n_max = message.table.samples_per_item
        refusal = ks_beyond_samples(self.ks, n_max, self.run, option="k")
        if refusal:  # asked before the first table came: drop those ks, say why, read again
            self.ks = ks_within(self.ks, n_max)
            self.k_note = f"not shown: {refusal}"
            self.set_status(self.k_note)
            self.load_slices()
            return
        self.table_data = message.table
        self._fill()

    def action_cycle_filter(self) -> None:
        """Read the slices on the next answer filter the run logged (after the last one: each
        task's primary filter again); reload."""
        use = self.filter_use
        if use is None:
            return
        if len(use.logged) < 2:
            self.notify(f"{self.run} logged one answer filter: {use.short_label}", markup=False)
            return
        # reading a run's only primary filter by name shows the same table: skip it
        primary = self.primary_filters if len(self.primary_filters) == 1 else set()
        order: list[str | None] = [None, *(f for f in use.logged if f not in primary)]
        index = order.index(self.filter_name) if self.filter_name in order else 0
        self.filter_name = order[(index + 1) % len(order)]
        shown = self.filter_name or "primary per task"
        self.set_status(f"loading slices on filter {shown}…")
        self.load_slices()

    def _sorted_rows(self) -> list[Any]:
        rows = list(self.table_data.rows)
        if self.sort == "score":
            rows.sort(key=lambda r: r.score)
        elif self.sort == "n":
            rows.sort(key=lambda r: -r.n_items)
        return rows

    def _fill(self) -> None:
        data = self.table_data
        table = self.query_one(ResultTable)
        # the cursor stays on the slice it was on (after a hand label or a re-sort), else ALL
        before = table.current_payload
        width = table.size.width or self.app.size.width
        named = [int(k) for k in self.ks if k.isdigit()]
        ks = self.shown_ks = pick_ks(list(data.ks), width, named)
        # the ks the user chose (k) that got no column, named in the status (pass@1 unnamed
        # is the score column); the default curve's columns are the screen's own pick
        self.unshown_ks = [k for k in data.ks if self.ks and k not in ks and (k > 1 or 1 in named)]
        self.shown = [data.overall, *self._sorted_rows()]
        # the lenient score where some row has one, as the CLI shows it (a strict-format 0.0%
        # beside its lenient 34.7% is an extraction artefact, not a model at 0)
        lenient = (
            [LENIENT] if any(getattr(r, "lenient", None) is not None for r in self.shown) else []
        )
        columns = ["slice", "items", "score", "95% CI", "c/n", *lenient,
                   *[k_header(k, width) for k in ks]]  # fmt: skip
        columns.append("warn")
        texts = []
        for r in self.shown:
            texts.append([
                "ALL",  # the name is fitted below, once the other columns are measured
                str(r.n_items),
                pct(r.score),
                interval_mark(interval(r.lo, r.hi), r.method, self._mixed()),
                _tally(r),
                *[lenient_cell(r) for _ in lenient],
                *[pass_cell(r.pass_at_k.get(k)) for k in ks],
                warning_mark(r.warning, r.n_items),
            ])  # fmt: skip
        if not any(t[-1] for t in texts):  # no slice warns: the labels take the room
            columns, texts = columns[:-1], [t[:-1] for t in texts]
        bar = False
        if width >= WIDE:  # room for the interval as a bar beside the score
            wide = [*columns[:4], CI_BAR_HEADER, *columns[4:]]
            with_bar = [
                [*t[:4], interval_bar(r.score, r.lo, r.hi, CI_BAR_WIDTH), *t[4:]]
                for r, t in zip(self.shown, texts, strict=True)
            ]
            if first_column_room(wide, with_bar, width, 12) >= MIN_NAME_WITH_BAR:
                columns, texts, bar = wide, with_bar, True
        names = {
            id(r): [short_task(str(v)) if g == "task" else str(v) for g, v in r.key.items()]
            for r in self.shown
            if r is not data.overall
        }
        longest = max(
            (len(slice_label(r.key)) for r in self.shown if r is not data.overall), default=0
        )
        # several axes: the labels need the room more than the interval, the tally and all
        # but one pass@k, which the detail line under the table gives for the highlighted
        # slice; they are left out one at a time, only while a label does not fit
        by_k = {k_header(k, width): k for k in ks}
        columns, texts, room, dropped = give_labels_room(
            columns,
            texts,
            width,
            longest if "," in self.by else 0,
            k_drop_order(texts, columns, by_k, named),
            # a lenient column that reads as the score on every row goes first; one that does
            # not, after the interval (the detail line names a row's lenient where it differs)
            first=[LENIENT]
            if all(lenient_gap(r) == 0 or pct(r.lenient) == pct(r.score) for r in self.shown)
            else [],  # fmt: skip
        )
        bar = bar and CI_BAR_HEADER not in dropped
        self.shown_ks = [k for h, k in by_k.items() if h not in dropped]
        self.hidden_ks = [by_k[h] for h in dropped if h in by_k]
        table.set_columns(columns)
        rows = []
        for r, cells in zip(self.shown, texts, strict=True):
            if r is not data.overall:
                # each part cut so it stays apart from the same axis's values in other rows
                cells[0] = fit_parts(names[id(r)], room, siblings=list(names.values()))
            payload = {"all": True} if r is data.overall else dict(r.key)
            rows.append((payload, [cell(c) for c in cells]))
        table.set_rows(rows)
        index = next((i for i, (p, _) in enumerate(rows) if before and p == before), 0)
        if index:
            table.move_cursor(row=index)
        self._detail(index)
        self.query_one("#title", Static).update(cell(self._title()))
        self.set_status(self._status_text(bar))

    def _mixed(self) -> bool:
        """Whether the table's intervals are of several methods (each then carries its mark:
        ``b`` bootstrap over items, ``w`` Wilson over items; the help says them)."""
        data = self.table_data
        rows = [data.overall, *data.rows] if data is not None else []
        return mixed_intervals(r.method for r in rows)

    def _status_text(self, bar: bool) -> str:
        """The status line of the filled table: slices, metric, samples per item, the answer
        filter, then the legends that still fit the width (``bar``: the interval bar shows)."""
        data = self.table_data
        per_item = samples_per_item_text([data.overall, *data.rows], data.samples_per_item)
        every = [data.overall, *data.rows]
        pooled = any(  # a macro row's counts are not its score's: it says so itself
            item_mean(r.score, r.correct, r.n_samples)
            for r in every
            if not (getattr(r, "average", "micro") == "macro" and (r.n_tasks or 0) > 1)
        )
        metric = score_meaning(data.overall.metric, pooled)
        status = f"{plural(len(data.rows), 'slice')} · {metric}" + (
            f" · {per_item}" if per_item else ""
        )
        if self.ks and not data.ks:
            reason = getattr(data, "one_sample_reason", "")
            vote = reason.split(" holds ")[0] if " majority vote " in reason else ""
            status += (
                f" · k ignored: {vote} is one vote per item (i)"
                if vote
                else " · k ignored: one sample per item"
            )
        if data.score_caveats:  # i shows the sentences, with the lenient score
            status = (
                "warning: score reflects the strict answer format (i: lenient score) · " + status
            )
        elif lenient_gap(data.overall) >= LENIENT_GAP:  # said before the rest, as a warning
            status = (
                f"lenient {pct(data.overall.lenient)} vs {pct(data.overall.score)} (i) · " + status
            )
        if getattr(data, "incomplete", None):  # first: every figure covers what is stored
            status = "warning: incomplete run, figures cover what is stored (i) · " + status
        if self.filter_use is not None:
            status += f" · filter {self.filter_use.short_label} (t)"
            if self.filter_use.missing:
                missing = len(self.filter_use.missing)
                status += f" ({plural(missing, 'task')} {'lacks' if missing == 1 else 'lack'} it)"
        marks = [warning_mark(r.warning, r.n_items) for r in every]
        legends = size_legends(marks, bar)
        status = fit_status(status, self.app.size.width - 2)
        if self.unshown_ks:  # never dropped unsaid (the CLI names them): a second line if need be
            status += f" · not shown at {self.app.size.width} columns: " + ", ".join(
                f"p@{k}" for k in self.unshown_ks
            )
        for legend in legends:
            if len(status) + len(legend) <= self.app.size.width - 2:
                status += legend
                break
        if self.k_note:  # the ks dropped for want of samples: said under the rest, whole
            status += f"\n{self.k_note}"
        return status

    @on(DataTable.RowHighlighted, "#slices-table")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def _detail(self, index: int) -> None:
        if not 0 <= index < len(self.shown):
            return
        text = with_coverage(
            slice_detail(self.shown[index], index == 0, self.by, self._mixed()),
            coverage_text(self.shown[index], self.shown_ks, self.hidden_ks),
        )
        name, _, figures = text.partition("\n")
        width = self.query_one("#detail-line", Static).size.width or self.app.size.width - 2
        if len(figures) > width:  # the title line names the grouping: the figures come first
            by = "+".join(AXIS_SHORT.get(a, a) for a in self.by.split(","))
            text = f"{name}\n{figures.replace(f'by {by} · ', '', 1)}"
        self.query_one("#detail-line", Static).update(cell(text))

    def action_cycle_grouping(self) -> None:
        order = list(GROUPINGS)
        index = order.index(self.by) if self.by in order else -1
        self.set_grouping(order[(index + 1) % len(order)])

    def set_grouping(self, by: str) -> None:
        """Regroup by ``by`` (``task``, an axis or ``axis1,axis2``) and reload."""
        self.by = by
        self.set_status(f"loading slices by {by}…")
        self.query_one("#title", Static).update(cell(self._title()))
        self.load_slices()

    def action_toggle_average(self) -> None:
        """Switch rows of several tasks (and ALL) between micro and macro means; reload."""
        self.average = "macro" if self.average == "micro" else "micro"
        self.set_status(f"loading {self.average} means…")
        self.query_one("#title", Static).update(cell(self._title()))
        self.load_slices()

    def action_cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        if self.table_data is not None:
            self._fill()

    def action_pick_axes(self) -> None:
        from .axis_picker import AxisPicker

        current = [a for a in self.by.split(",") if a in AXES]

        def chosen(axes: list[str] | None) -> None:
            if axes:
                self.set_grouping(",".join(axes))

        self.app.push_screen(AxisPicker(list(AXES), current), chosen)

    @on(ResultTable.RowChosen)
    def open_samples(self, event: ResultTable.RowChosen) -> None:
        from .samples import SamplesScreen

        key = {} if event.payload.get("all") else event.payload
        query = samples_query(key, self.benchmark)
        self.app.push_screen(
            SamplesScreen(
                self.run, title=slice_label(key) or "ALL", filter_name=self.filter_name, **query
            )
        )

    def action_score_caveats(self) -> None:
        """Show the run's score caveats whole (each names the lenient score), wrapped."""
        data = getattr(self, "table_data", None)
        paragraphs = [] if data is None else [f"warning: {c}" for c in data.score_caveats]
        if data is not None:  # the run's incomplete note (walk 18 F1), first
            paragraphs[:0] = [f"warning: {c}" for c in getattr(data, "incomplete", [])]
        if data is not None:
            paragraphs += lenient_texts([data.overall, *data.rows]) + list(
                getattr(data, "metric_notes", [])
            )
            if self.ks and not data.ks and getattr(data, "one_sample_reason", ""):
                paragraphs.append(f"k ignored: {data.one_sample_reason}")
        if not paragraphs:
            self.notify("this run's score has no warning", markup=False)
            return
        from .text_detail import TextDetailScreen

        title = f"run {self.run} · {self.benchmark or 'all'}"
        self.app.push_screen(TextDetailScreen(title, paragraphs, "score warnings"))

    def action_label(self) -> None:
        payload = self.query_one(ResultTable).current_payload
        key = {} if not payload or payload.get("all") else dict(payload)
        where = {g: v for g, v in key.items() if g in AXES}
        if not where or len(where) != len(key):
            self.notify("group by an axis first (g or a)", markup=False)
            return
        self.fetch_axes_then_label(
            where, f"hand-label the items of {slice_label(where)} in {self.run}"
        )

    @work(thread=True, exit_on_error=False, group="label")
    def apply_label(self, where: dict[str, str], edit: Any) -> None:
        result = self.ws.label_where(
            self.run, where, {edit.axis: edit.value}, benchmark=self.benchmark, note=edit.note
        )
        text = f"{edit.axis}={edit.value} on {plural(result.get('items', '?'), 'item')} · y: undo"
        self.app.call_from_thread(self.notify, text, markup=False)
        self.load_slices()

    def action_choose_k(self) -> None:
        """Ask for the pass@k values (``capslice slices --k``), then reload."""
        from .prompt import PromptScreen

        def answered(text: str | None) -> None:
            if text is None:
                return
            ks = [k.strip() for k in text.replace(" ", ",").split(",") if k.strip()]
            bad = [k for k in ks if k != "all" and not (k.isdigit() and int(k) > 0)]
            if bad:
                self.set_status(f"not a k: {', '.join(bad)} (whole numbers > 0, or all)")
                return
            from ...workspace import ks_beyond_samples

            self.k_note = ""
            data = self.table_data
            if data is not None:  # the CLI's rule (slices --k), before any column is drawn
                refusal = ks_beyond_samples(ks, data.samples_per_item, self.run, option="k")
                if refusal:  # the ks above every item's samples are dropped, said in the status
                    self.k_note = f"not shown: {refusal}"
                    ks = ks_within(ks, data.samples_per_item)
                    if not ks:
                        self.set_status(self.k_note)
                        return
            self.ks = ks
            self.set_status(f"loading pass@{','.join(ks) or 'default k'}…")
            self.load_slices()

        self.app.push_screen(
            PromptScreen(
                "pass@k values, e.g. 1,8,all (all: 1,2,4... up to n; empty: all):",
                ",".join(self.ks),
                allow_empty=True,
                select=True,  # typing replaces the last choice (it was typed onto)
            ),
            answered,
        )

    def action_history(self) -> None:
        from .label_history import LabelHistoryScreen

        self.app.push_screen(LabelHistoryScreen())
