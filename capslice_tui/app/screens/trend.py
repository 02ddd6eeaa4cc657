"""Checkpoint trend: pick runs of one model, see each slice's score over training steps.

Two views on one table. Picking: every run with its step and model; space marks runs, Enter
shows the trend of the marked runs (with none marked: every run with a step of the
highlighted run's model lineage). Trend: one row per slice with an ASCII sparkline (one character per
step, scaled to that slice's own lowest..highest score, so any change shows), the first and
last score, their change in points and the last interval; the lines under the table give the
highlighted slice's points, each with an interval bar on the absolute 0-100% scale. ``f`` switches the trend between scores and the failure-mode mix: one row per
slice with a stacked bar at every step (narrower bars as steps are added; where even
:data:`LEAST_MIX_WIDTH` cells per step do not fit, the first and the last step and a status that
says so), and under the table one legend line and the highlighted slice's bar and shares at each
step. ``w`` lists the trend's warnings on a screen of their own (Esc/b closes it). Everything is ASCII, so it reads on the
Linux console and in a text capture, without colour.
"""

from __future__ import annotations

import shlex
import textwrap
from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Header, Static

from ...formatting import middle_cut, mix_legend, plural, point_value, shared_prefix, visible
from ...vocabulary import FAILURE_MARK_MEANING, FAILURE_MARKS
from ...workspace.trend import MIX_WIDTH, MODE_GLYPHS, lineage_pick, mix_bar
from ..format import cell, distinct_cuts, first_column_room, fit_names, pct, points, short
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen, ToastPlacement

SPARK_LEVELS = "_.,:=+#"
"""Sparkline characters from a slice's lowest score (``_``) to its highest (``#``); neither
``-`` (:data:`SPARK_FLAT`) nor ``*`` (the score in the interval bars) is among them."""

SPARK_FLAT = "-"
"""The sparkline character of every step of a slice whose score did not change."""

SPARK_LEGEND = f"{SPARK_LEVELS} = each row's low..high, {SPARK_FLAT} flat"
"""What every sparkline glyph means, as the status line says it."""

SLICE_WIDTH = 30
"""Characters of the trend table's slice column (a longer name is cut at its end)."""

DETAIL_LINES = 6
"""Lines under the table for the highlighted slice's points (the table keeps the rest)."""

BAR_WIDTH = 30
"""Cells of the 0-100% scale of an interval bar."""

LEAST_MIX_WIDTH = 8
"""Fewest cells of a mix bar in the table (one cell = 12.5%); fewer steps fit: first and last."""

SLICE_ROOM = 20
"""Characters the mix table keeps for the slice column before it shares the rest out."""


def mix_columns(steps: list[int], width: int) -> tuple[list[int], int]:
    """Which steps the mode-mix table shows and the cells of each bar, for a ``width``-column
    table: every step (indices ``0..n-1``) with bars of up to ``MIX_WIDTH`` cells when at least
    :data:`LEAST_MIX_WIDTH` cells each fit beside a :data:`SLICE_ROOM` slice column and the
    ``samples`` column, else ``[0, n-1]`` at ``MIX_WIDTH`` (the lines under the table list
    every step). Each column costs its widest of bar and header (the step number) plus 2 of
    padding; 2 go to the scrollbar."""
    n = len(steps)
    if n <= 2:
        return list(range(n)), MIX_WIDTH
    budget = width - (SLICE_ROOM + 2) - (len("samples") + 2) - 2
    head = max(len(str(s)) for s in steps)
    cells = min(MIX_WIDTH, budget // n - 2)
    if cells >= max(LEAST_MIX_WIDTH, head):
        return list(range(n)), cells
    return [0, n - 1], MIX_WIDTH


def prefix_header(labels: list[str], room: int) -> tuple[str, str]:
    """The slice column's header and the prefix left out of its names: a prefix every name
    shares (:func:`shared_prefix`, ``bbh_cot_fewshot_``) is left out when the header can say
    so in ``room`` characters: ``slice (bbh_cot_fewshot_...)``, else ``bbh_cot_fewshot_...``;
    otherwise ``("slice", "")`` and the names keep it."""
    prefix = shared_prefix(labels)
    if prefix:
        for head in (f"slice ({prefix}...)", f"{prefix}..."):
            if len(head) <= room:
                return head, prefix
    return "slice", ""


RUN_WIDTH = 24
"""Characters of a run name in the run picker (cut in the middle beyond; the line under the
table names the highlighted run in full)."""
TITLE_WIDTH = 78
"""Characters of the trend's title line at 80 columns."""


def trend_title(by: list[str], runs: list[tuple[str, Any]], width: int = TITLE_WIDTH) -> str:
    """``Trend by task: base@100 < cand@200`` (``=`` between runs of one step), at most
    ``width`` characters, every run's distinguishing end kept.

    When the whole names do not fit, their shared prefix (:func:`shared_prefix`) is named once
    (``Trend by task, org/model-1b-*: step-049000@49000 < step-051000@51000``; a long
    prefix is itself cut in the middle to what the names leave, at least 8 characters), then
    each name is cut in the middle to an equal share of what is left (never at its end, which
    tells checkpoints apart); only a title that still does not fit is cut at its end (the
    table and the highlighted slice's lines list every step)."""

    def joined(names: list[str]) -> str:
        return "".join(
            ("" if i == 0 else " = " if step == runs[i - 1][1] else " < ") + f"{name}@{step}"
            for i, (name, (_, step)) in enumerate(zip(names, runs, strict=True))
        )

    names = [visible(name) for name, _ in runs]
    head = f"Trend by {', '.join(by)}: "
    if len(head) + len(joined(names)) <= width:
        return head + joined(names)
    prefix = shared_prefix(names)
    if prefix and all(n.startswith(prefix) for n in names):
        names = [n[len(prefix) :] for n in names]
        room = width - len(f"Trend by {', '.join(by)}, *: ") - len(joined(names))
        head = f"Trend by {', '.join(by)}, {middle_cut(prefix, max(room, 8))}*: "
    fixed = len(head) + len(joined([""] * len(names)))
    # names that fit stay whole and leave their room to the others; a cut keeps the part
    # that tells a name from the others (``eos-masked`` / ``eos-restored``)
    return short(head + joined(fit_names(names, width - fixed)), width)


def model_room(width: int, names: list[str], steps: list[str], benches: list[str]) -> int:
    """Characters the run picker's model column may use at ``width`` columns: what the mark,
    run, step and benchmarks columns (and 2 of padding per column and the scrollbar) leave,
    at least 18 (a model's name tells the runs of one training apart, so it gets the room)."""
    used = 3 + max(map(len, names), default=3) + max(map(len, steps), default=4)
    used += max(map(len, benches), default=10) + 2 * 5 + 2
    return max(18, width - used - 2)


def picker_models(models: Sequence[str], room: int) -> tuple[list[str], str]:
    """The run picker's model cells, at most ``room`` characters, and the start left out of
    them (``""`` for none).

    Models that fit are shown whole. Otherwise, when every model (but ``-``, none) starts
    with the same prefix (:func:`shared_prefix`: ``demo-org/demo-1b-``), each shows the rest
    (``step100000``, ``eosmask-step110000``; the caller heads the column ``model (end)``), cut
    where needed; else the whole names are cut. Cuts keep the part where models of one
    family differ and the end (:func:`distinct_cuts`).
    """
    if all(len(m) <= room for m in models):
        return list(models), ""
    prefix = shared_prefix(models)
    if prefix and all(m == "-" or m.startswith(prefix) for m in models):
        rests = [m if m == "-" else m[len(prefix) :] for m in models]
        return distinct_cuts(rests, room, middle=True), prefix
    return distinct_cuts(models, room, middle=True), ""


class WarningsScreen(ToastPlacement, ModalScreen[None]):
    """A trend's warnings as plain text over the trend; Esc, ``b``, ``q`` or ctrl+b close it
    (it never outlives the trend screen, as a timed notification did)."""

    DEFAULT_CSS = """
    WarningsScreen { align: center middle; }
    WarningsScreen > VerticalScroll {
        width: 76; height: auto; max-height: 20; border: round $primary; padding: 0 1;
        background: $surface;
    }
    WarningsScreen > VerticalScroll.-ascii { border: ascii $primary; }
    """

    BINDINGS = [
        Binding("escape", "back", "Close", id="trend-warnings.close"),
        Binding("b", "back", "Close", show=False, id="trend-warnings.close-b"),
    ]

    def __init__(self, title: str, warnings: list[str]) -> None:
        super().__init__()
        self.warnings_title = title
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="trend-warnings"):
            yield Static(Text(self.warnings_title, style="bold"))
            yield Static(Text("\n".join(f"- {w}" for w in self.warnings)), id="warnings-text")
            yield Static(Text("Esc/b: close"))

    def on_mount(self) -> None:
        # console mode: a border the Linux console fonts can draw (+-|), as the other dialogs
        if getattr(self.app, "ascii_console", False):
            self.query_one("#trend-warnings").add_class("-ascii")

    def action_back(self) -> None:
        self.dismiss(None)


def sparkline(scores: list[float | None]) -> str:
    """One character per step, scaled to this series' own range: its lowest score is ``_``,
    its highest ``#`` (:data:`SPARK_LEVELS`, the others in between by linear position), so a
    rise of a few points reads as a rise whatever the level; a series whose lowest and
    highest scores differ by what prints as 0.0 points (:func:`point_value`) is
    :data:`SPARK_FLAT` at every step, so a flat line is what no printed change looks like. A gap
    (slice not in that run) is a space. The size of a change is in the table's ``last-first``
    column; the absolute level in ``first``/``last``.
    """
    known = [s for s in scores if s is not None]
    if not known:
        return " " * len(scores)
    lo, hi = min(known), max(known)
    top = len(SPARK_LEVELS) - 1
    out = []
    for s in scores:
        if s is None:
            out.append(" ")
        elif not point_value(hi - lo):  # the range prints as 0.0 points: no change shown
            out.append(SPARK_FLAT)
        else:
            out.append(SPARK_LEVELS[round((s - lo) / (hi - lo) * top)])
    return "".join(out)


CHANGE_HEAD = "last-first"
"""The header of the trend's change column: the last step's score minus the first's, named so
(``capslice trend``, one row per step, shows the change from the previous step as ``vs prev``)."""


def change_text(known: list[Any]) -> str:
    """The last point's score minus the first's in points (``+4.2``), of a slice's known
    points in step order; ``-`` with fewer than two; ``items`` / ``metric`` when the two
    measure different item sets or metrics (no difference is printed, as ``capslice trend``)."""
    if len(known) < 2:
        return "-"
    first, last = known[0], known[-1]
    if first.n_items != last.n_items:
        return "items"
    if first.metric != last.metric:
        return "metric"
    return points(last.score - first.score, "")


def interval_bar(
    score: float | None, lo: float | None, hi: float | None, width: int = BAR_WIDTH
) -> str:
    """The 95% interval on a 0-100% scale of ``width`` cells (:data:`BAR_WIDTH` by default):
    ``[`` and ``]`` at the ends (``-`` between), ``*`` at the score, ``|`` frame at 0% and
    100% (``width + 2`` characters in all). ``""`` when unknown (None or NaN: a slice with
    several samples per item and too few items has no interval)."""
    if any(x is None or x != x for x in (score, lo, hi)):  # x != x: NaN
        return ""
    assert score is not None and lo is not None and hi is not None
    w = width

    def at(x: float) -> int:
        return min(w - 1, max(0, int(round(x * (w - 1)))))

    cells = [" "] * w
    a, b = at(lo), at(hi)
    for i in range(a, b + 1):
        cells[i] = "-"
    cells[a], cells[b] = "[", "]"
    cells[at(score)] = "*"
    return "|" + "".join(cells) + "|"


class TrendScreen(CapsliceScreen):
    """Runs picker, then one row per slice over the picked runs' training steps."""

    HELP_TITLE = "Checkpoint trend"
    HELP_LEGEND = (
        "picking: space marks runs ([x]); Enter shows the trend of the marked runs, or with none "
        "marked of every run with a step of the highlighted run's model lineage (its "
        "checkpoints and runs continued from it) and benchmarks",
        "runs are ordered by training step (ingest --step); runs without a step cannot be used",
        "model (end): every model's name after the start they share (demo-org/demo-1b-); the "
        "line under the table names the highlighted run's model whole",
        f"steps: one character per run, on each row's own scale: {' '.join(SPARK_LEVELS)} from "
        "the slice's lowest score (_) to its highest (#), so any change shows; "
        f"{SPARK_FLAT * 3} = no change (the range prints as 0.0 points); a blank = slice not "
        "in that run",
        f"first/last: score at the first and last step; {CHANGE_HEAD}: last minus first, in points "
        "(the size of what the sparkline shows; 'items'/'metric': the two measure different "
        "item sets or metrics, so no change is given); last CI: the last step's 95% interval",
        "lines below: the highlighted slice at each step, score, 95% interval and a bar "
        "|  [--*--]  | on 0-100% ([ ] interval ends, * score)",
        "f: failure-mode mix instead of scores, and back: per slice a stacked bar at each step "
        "(the status gives the cells = 100% of the slice's scored samples; too many steps for "
        "the width: the first and last, the lines below give the others), one glyph per mode "
        f"({', '.join(f'{g} {FAILURE_MARKS.get(m, m)}' for m, g in MODE_GLYPHS.items())}; "
        f"{'; '.join(FAILURE_MARK_MEANING.values())}); the lines below give "
        "each step's bar, samples and shares (capslice trend --runs RUN --modes prints the "
        "counts, RUN: a run of the lineage)",
        "w: why points may not compare (other models, tied steps, changed items or metric), "
        "on a screen of their own (Esc/b closes it)",
        "g: group by other axes; b (or q): back to picking runs",
    )

    BINDINGS = [
        Binding("space", "mark", "Mark", id="trend.mark"),
        Binding("g", "group", "Group", id="trend.group", tooltip="Choose the grouping axes"),
        Binding("w", "warnings", "Warnings", id="trend.warnings", tooltip="Why points differ"),
        Binding(
            "f", "modes", "Modes", id="trend.modes", tooltip="Failure-mode mix instead of scores"
        ),
    ]

    def __init__(
        self, runs: list[str] | None = None, by: str = "task", cursor_run: str | None = None
    ) -> None:
        """``runs``: two or more show their trend at once (else they start marked);
        ``cursor_run``: the picker's cursor starts on it (the menu, from a screen on it)."""
        super().__init__()
        self.cursor_run = cursor_run
        self.by = by
        self.marked: set[str] = set(runs or [])
        self.run_list: list[dict[str, Any]] = []
        self.trend: Any = None
        self.modes: Any = None  # the failure-mode mix of the trend's runs (loaded on f)
        self.view = "scores"  # or "modes"
        self._start = list(runs or [])
        self._model_cells: dict[str, str] = {}  # run -> its model as the picker shows it
        self.picked_row: int | None = None  # the picker's row Enter was pressed on

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield ResultTable(id="trend-table")
        yield Static("", id="detail-line")
        yield Static("loading runs...", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "trend"
        self._title("Trend: space marks runs, Enter shows their slices over steps")
        self.load_runs()

    def cli_command(self, *flags: str) -> str:
        """The ``capslice trend`` command of the trend shown, plus ``flags`` (``--modes``): a
        command to paste, every option with its value; ``--runs`` names one run when the
        trend's runs are its model lineage (the CLI takes one run for that), else each."""
        names = [r.name for r in self.trend.runs] if self.trend is not None else []
        one = names[:1] if names and lineage_pick(self.run_list, names[0]) == names else names
        store = getattr(self.app, "store_path", None)
        words = ["capslice", *(["--store", str(store)] if store else []), "trend"]
        words += ["--runs", ",".join(one) or "RUN", "--by", self.by]
        return shlex.join([*words, *flags])

    def _wrapped(self, line: str) -> list[str]:
        """``line`` wrapped at spaces to the detail line's width (a command stays whole)."""
        return textwrap.wrap(line, max(30, self.app.size.width - 2), break_long_words=False)

    def _trend_title(self, shown: Any) -> None:
        """The title of a trend or mode mix: the grouping its rows are by, its runs."""
        # the title's row is the screen's width less its padding: wider screens cut less
        room = max(self.app.size.width - 2, 20)
        self._title(trend_title(shown.by, [(r.name, r.step) for r in shown.runs], room))

    def _title(self, text: str) -> None:
        self.query_one("#title", Static).update(Text(text))

    # ---- picking ----------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def load_runs(self) -> None:
        runs = self.ws.runs()
        self.app.call_from_thread(self._show_runs, runs)

    def _show_runs(self, runs: list[dict[str, Any]]) -> None:
        self.run_list = sorted(runs, key=lambda r: (r["step"] is None, r["step"] or 0, r["name"]))
        self.trend = None
        if len(self._start) >= 2:
            self.show_trend(self._start)
            self._start = []
            return
        self._render_runs(self._start_row())

    def _start_row(self) -> int:
        """The picker's row of :attr:`cursor_run` (0 when none or not listed)."""
        names = [r["name"] for r in self.run_list]
        return names.index(self.cursor_run) if self.cursor_run in names else 0

    def _render_runs(self, cursor: int = 0) -> None:
        table = self.query_one(ResultTable)
        # cut in the middle: checkpoints of one training differ in their ends (-step-049000);
        # names alike at both ends keep the word where they differ (seed42 / seed43)
        names = distinct_cuts([visible(r["name"]) for r in self.run_list], RUN_WIDTH, middle=True)
        steps = [str(r["step"]) if r["step"] is not None else "-" for r in self.run_list]
        benches = [short(", ".join(r["benchmarks"]), 20) for r in self.run_list]
        room = model_room(self.app.size.width, names, steps, benches)
        models, prefix = picker_models([visible(r["model"] or "-") for r in self.run_list], room)
        table.set_columns(["", "run", "step", "model (end)" if prefix else "model", "benchmarks"])
        self._model_cells = dict(zip([r["name"] for r in self.run_list], models, strict=True))
        table.set_rows(
            [
                (
                    r["name"],
                    [
                        "[x]" if r["name"] in self.marked else "[ ]",
                        cell(name),
                        step,
                        cell(model),
                        cell(bench),
                    ],
                )
                for r, name, step, model, bench in zip(
                    self.run_list, names, steps, models, benches, strict=True
                )
            ]
        )
        if self.run_list:
            table.move_cursor(row=min(cursor, len(self.run_list) - 1))
        self.query_one("#detail-line", Static).update("")
        self.set_status(
            f"{plural(len(self.run_list), 'run')}, {len(self.marked)} marked; runs without a step (-) "
            "cannot be ordered"
        )
        table.focus()

    def action_mark(self) -> None:
        if self.trend is not None:
            return
        table = self.query_one(ResultTable)
        name = table.current_payload
        if name is None:
            return
        self.marked ^= {name}
        self._render_runs(table.cursor_row)  # space toggles only: the cursor stays

    def _picked(self) -> list[str]:
        """The marked runs, or every run with a step of the highlighted run's model lineage
        evaluated on the same benchmarks (:func:`lineage_pick`: its checkpoints and the runs
        continued from it, so no step of the story is left out; a trend never mixes
        benchmarks by default)."""
        if self.marked:
            return [r["name"] for r in self.run_list if r["name"] in self.marked]
        here = self.query_one(ResultTable).current_payload
        if not isinstance(here, str):
            return []
        return lineage_pick(self.run_list, here)

    # ---- trend ------------------------------------------------------------------------
    def on_result_table_row_chosen(self, event: ResultTable.RowChosen) -> None:
        event.stop()
        if self.trend is None:
            if not self.run_list:
                self.set_status("the runs are still loading; Enter again once they show")
                return
            picked = self._picked()
            self.picked_row = self.query_one(ResultTable).cursor_row
            if len(picked) < 2:
                self.set_status("no other step of this model: mark 2+ runs with space")
                return
            self.show_trend(picked)

    def show_trend(self, runs: list[str]) -> None:
        self.set_status(f"computing the trend of {plural(len(runs), 'run')} by {self.by}...")
        self.load_trend(runs, self.by)

    @work(thread=True, exclusive=True, exit_on_error=False, group="trend")
    def load_trend(self, runs: list[str], by: str) -> None:
        try:
            trend = self.ws.trend(runs, by=by)
        except ValueError as exc:  # a run without a step, too few runs: say so
            self.app.call_from_thread(self.set_status, f"cannot show a trend: {exc}")
            return
        self.app.call_from_thread(self._new_trend, trend)

    def _new_trend(self, trend: Any) -> None:
        """A trend computed: show it in the current view (the mode mix is counted anew)."""
        self.trend = trend
        self.modes = None
        self.refresh_bindings()
        if self.view == "modes":
            self.set_status("counting failure modes...")
            self.load_modes([r.name for r in trend.runs], self.by)
        else:
            self._show_trend(trend)

    def _show_trend(self, trend: Any) -> None:
        table = self.query_one(ResultTable)
        steps = [r.step for r in trend.runs]
        head, prefix = prefix_header([s.label for s in trend.series], SLICE_WIDTH)
        table.set_columns([head, "steps", "first", "last", CHANGE_HEAD, "last CI"])
        out = []
        # the one cutter (distinct_cuts): sibling names keep the word where they differ
        cuts = distinct_cuts([s.label.removeprefix(prefix) for s in trend.series], SLICE_WIDTH)
        for s, label in zip([*trend.series, trend.overall], [*cuts, "ALL"], strict=True):
            scores = s.scores()
            known = [p for p in s.points if p is not None]
            last = known[-1] if known else None
            out.append(
                (
                    s,
                    [
                        cell(label),
                        sparkline(scores),
                        pct(known[0].score) if known else "-",
                        pct(last.score) if last else "-",
                        change_text(known),
                        f"{pct(last.lo)}-{pct(last.hi)}" if last and last.lo == last.lo else "-",
                    ],
                )
            )
        table.set_rows(out)
        table.focus()
        self._trend_title(trend)
        self._show_points(out[0][0] if out else None)
        n_warn = len(trend.warnings)
        warn = f" · {n_warn} warning{'s' if n_warn > 1 else ''} (w)" if n_warn else ""
        self.set_status(
            f"steps {steps[0]}..{steps[-1]} ({plural(len(steps), 'run')}) · {SPARK_LEGEND}{warn}"
        )

    def on_data_table_row_highlighted(self, event: Any) -> None:
        payload = self.query_one(ResultTable).payload_at(event.cursor_row)
        if self.trend is None:
            # picking runs: the line under the table names the highlighted run in full when
            # the table shows it cut
            name = visible(payload) if isinstance(payload, str) else ""
            run = next((r for r in self.run_list if r["name"] == payload), None)
            model = visible(run["model"] or "-") if run else ""
            lines = [f"run: {name}"] if len(name) > RUN_WIDTH else []
            if run and self._model_cells.get(payload, model) != model:  # cut, or its end only
                lines.append(f"model: {model}")
            detail = self.query_one("#detail-line", Static)
            detail.styles.height = 2  # as the stylesheet has it (a trend's points set more)
            detail.update(Text("\n".join(lines)))
            return
        if self.view == "modes":
            self._show_mix(payload)
        else:
            self._show_points(payload)

    def _show_points(self, series: Any) -> None:
        """The highlighted slice at each step: step, score, interval, bar (one line each)."""
        if series is None or self.trend is None or self.view != "scores":
            return
        lines = []
        for run, p in zip(self.trend.runs, series.points, strict=True):
            if p is None:
                lines.append(f"{run.step:>8}  not in this run")
            else:
                ci = f"[{pct(p.lo)}, {pct(p.hi)}]" if p.lo == p.lo else "no interval"
                bar = interval_bar(p.score, p.lo, p.hi)
                lines.append(f"{run.step:>8} {pct(p.score):>6} {ci:<16}{bar}")
        if len(lines) > DETAIL_LINES:  # the CLI (`capslice trend`) lists every step
            shown = DETAIL_LINES - 1
            head = f"(last {shown} of {len(lines)} steps; `{self.cli_command()}` lists all)"
            lines = self._wrapped(head) + lines[-shown:]
        detail = self.query_one("#detail-line", Static)
        detail.styles.height = len(lines)
        detail.update(Text("\n".join(lines)))

    # ---- failure-mode mix ---------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="trend")
    def load_modes(self, runs: list[str], by: str) -> None:
        try:
            modes = self.ws.trend_modes(runs, by=by)
        except ValueError as exc:
            self.app.call_from_thread(self.set_status, f"cannot show the mode mix: {exc}")
            return
        self.app.call_from_thread(self._show_modes, modes)

    def _show_modes(self, modes: Any) -> None:
        """One row per slice: its stacked mix bar at every step (see :func:`mix_columns`)."""
        if self.trend is None or self.view != "modes":
            return
        self.modes = modes
        table = self.query_one(ResultTable)
        steps = [r.step for r in modes.runs]
        shown, cells = mix_columns(steps, self.app.size.width)
        if len(shown) == len(steps):
            heads = [f"mix at {steps[i]}" if cells >= 7 + len(str(steps[i])) else str(steps[i])
                     for i in shown]  # fmt: skip
            scale = f"mix bars: {cells} cells = 100%"
        else:
            heads = [f"mix at {steps[0]}", f"mix at {steps[-1]}"]
            scale = f"table: steps 1 and {len(steps)} of {len(steps)}; more below"
        labels = ["slice", *heads, "samples"]
        rows = []
        names = [s.label for s in modes.series]
        for s in [*modes.series, modes.overall]:
            known = [p for p in s.points if p is not None and p.total]
            rows.append(
                (
                    s,
                    [
                        "ALL" if s is modes.overall else s.label,
                        *[mix_bar(s.points[i], modes.modes, cells) or "-" for i in shown],
                        str(known[-1].total) if known else "-",
                    ],
                )
            )
        room = first_column_room(labels, [r for _, r in rows], self.app.size.width)
        labels[0], prefix = prefix_header(names, room)  # as the scores view
        table.set_columns(labels)
        cuts = [*distinct_cuts([n.removeprefix(prefix) for n in names], room), "ALL"]
        out = [(s, [cell(cut), *r[1:]]) for (s, r), cut in zip(rows, cuts, strict=True)]
        table.set_rows(out)
        table.focus()
        self._trend_title(modes)  # regrouped (g) in this view: the title follows (walk 19)
        self._show_mix(out[0][0] if out else None)
        n_warn = len(modes.warnings)
        warn = f"; {n_warn} warning{'s' if n_warn > 1 else ''} (w reads them)" if n_warn else ""
        self.set_status(f"{scale}; f: scores{warn}")

    def _show_mix(self, series: Any) -> None:
        """One legend line, then the highlighted slice at each step: bar, samples, shares."""
        if series is None or self.modes is None or self.view != "modes":
            return
        modes = self.modes.modes
        lines = []
        for run, p in zip(self.modes.runs, series.points, strict=True):
            if p is None or not p.total:
                lines.append(f"{run.step:>8}  not in this run")
                continue
            shares = " ".join(
                f"{MODE_GLYPHS.get(m, '?')}={pct(p.share(m))}" for m in modes if p.counts.get(m)
            )
            lines.append(f"{run.step:>8} {mix_bar(p, modes)} n={p.total:<6} {shares}")
        room = DETAIL_LINES - 1
        if len(lines) > room:
            shown = room - 1
            head = (
                f"(last {shown} of {len(lines)} steps; `{self.cli_command('--modes')}` lists all)"
            )
            lines = self._wrapped(head) + lines[-shown:]
        lines.insert(0, mix_legend(MODE_GLYPHS, modes))  # the samples table's markers
        detail = self.query_one("#detail-line", Static)
        detail.styles.height = len(lines)
        detail.update(Text("\n".join(lines), no_wrap=True, overflow="ellipsis"))

    def action_modes(self) -> None:
        """Switch the trend between slice scores and the failure-mode mix."""
        if self.trend is None:
            return
        if self.view == "modes":
            self.view = "scores"
            self._show_trend(self.trend)
            return
        self.view = "modes"
        if self.modes is not None:
            self._show_modes(self.modes)
        else:
            self.set_status("counting failure modes...")
            self.load_modes([r.name for r in self.trend.runs], self.by)

    # ---- keys -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Space marks runs only while picking; w and f act only on a trend."""
        if action == "mark":
            return self.trend is None
        if action in ("warnings", "modes"):
            return self.trend is not None
        return True

    def action_back(self) -> None:
        """From the trend, back to picking runs; from picking, back a screen."""
        if self.trend is not None:
            self.trend = None
            self.modes = None
            self.view = "scores"
            self.refresh_bindings()
            self._title("Trend: space marks runs, Enter shows their slices over steps")
            # the picker as it was left: the cursor on the run Enter was pressed on
            row = self.picked_row if self.picked_row is not None else self._start_row()
            self._render_runs(row)
            return
        super().action_back()

    def action_warnings(self) -> None:
        """Every warning of the trend (points not comparable) on a :class:`WarningsScreen`;
        none: the status says so."""
        shown = self.modes if self.view == "modes" and self.modes is not None else self.trend
        if shown is None or not shown.warnings:
            self.set_status("no warnings: the points compare")
            return
        what = "mode mix" if shown is self.modes else "trend"
        n = len(shown.warnings)
        title = f"Why the {what}'s points may not compare ({n} warning{'s' if n > 1 else ''})"
        self.app.push_screen(WarningsScreen(title, list(shown.warnings)))

    def action_group(self) -> None:
        self._choose_axes()

    @work(thread=True, exit_on_error=False, group="axes")
    def _choose_axes(self) -> None:
        from .axis_picker import AxisPicker

        axes = ["task", "benchmark", *self.ws.axes()]
        current = [a for a in self.by.split(",") if a in axes]

        def done(chosen: list[str] | None) -> None:
            if chosen:
                self.by = ",".join(chosen)
                if self.trend is not None:
                    self.show_trend([r.name for r in self.trend.runs])
                else:
                    self.set_status(f"grouping by {self.by}; Enter shows the trend")

        self.app.call_from_thread(self.app.push_screen, AxisPicker(axes, current), done)
