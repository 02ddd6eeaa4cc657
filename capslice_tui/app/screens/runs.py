"""Start screen: every run with its per-benchmark score, one row per (run, benchmark)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from ...formatting import plural, visible
from ...formatting import short_metric as short_name
from ..format import cell, count, distinct_cuts, first_column_room, fit_names, pct, short
from ..messages import RunsLoaded
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen

COLUMNS = ("run", "step", "bench", "score", "correct/n", "metric", "status")
HINT = "Runs: Enter opens slices · c marks base/candidate · d diagnose"
"""The line above the table; the highlighted run's whole name replaces it when cut."""


def short_metric(metric: str) -> str:
    """A metric name cut to fit the runs table (``greedy accuracy`` -> ``greedy acc``,
    :func:`capslice_tui.formatting.short_metric`)."""
    return short_name(metric, 12)


def _tally(s: dict[str, Any] | None) -> str:
    """The correct/n cell: counts for a micro mean, ``macro of N`` for a macro mean of tasks."""
    if s is None:
        return "-"
    if s.get("average") == "macro" and (s.get("n_tasks") or 0) > 1:
        return f"macro of {s['n_tasks']}"
    n = s["n_samples"]
    score = s.get("score")
    if n and score is not None and pct(s["correct"] / n) != pct(score) and s.get("n_items"):
        # several samples per item: the score is the mean of per-item accuracies, which the
        # sample ratio does not give, so the cell names its basis instead
        # (whole words: an abbreviation such as "mean 158 it" read as a cell cut at the edge)
        return f"{s['n_items']}-item mean"
    return count(s["correct"], n)


def _log_text(run: dict[str, Any]) -> str:
    """What ``i`` tells of a run: its status when not complete, the log layout it was read
    from, why it is incomplete, its score warnings, unreadable lines and team hub (the
    facts its status cell may leave to a ``+``)."""
    state = run.get("status")
    said = state in ("complete", "incomplete" if run.get("incomplete_reason") else "")
    lines = [f"status: {state}"] if state and not said else []  # the reason says incomplete
    if run.get("schema_variant"):
        lines.append(f"read from {run['schema_variant']}")
    elif run.get("source_format"):  # a generic log (JSONL, CSV...) names no layout variant
        lines.append(f"read from a {run['source_format']} log (format {run['source_format']})")
    if run.get("incomplete_reason"):
        lines.append(f"incomplete: {run['incomplete_reason']}")
    lines += [f"warning: {c}" for c in run.get("score_caveats") or []]
    if run.get("n_bad"):
        lines.append(f"{plural(run['n_bad'], 'unreadable line')} skipped at ingest (bad:N)")
    if (run.get("origin") or "local") != "local":
        lines.append(f"{run['origin']} (team hub)")
    return "\n".join(lines)


def fits_a_notification(text: str) -> bool:
    """Whether ``text`` reads whole in a notification at 80 columns: at most 6 lines, no
    word over 30 characters (a notification wraps at spaces and cuts a longer word, such as
    a log path or a command's argument, with ``…``)."""
    return len(text.splitlines()) <= 6 and all(len(word) <= 30 for word in text.split())


def status_parts(run: dict[str, Any], based: bool) -> list[tuple[str, str]]:
    """The facts of a run's status cell, most important first, each as (whole, short):
    ``BASE`` when ``based`` (the run is marked as the base; it stands for ``complete``);
    the ingest state (``incomplete (k of N records)`` -> ``incomplete``, ``ingesting (pid P on
    H)`` -> ``ingesting``); ``bad:N`` unreadable lines; the team hub it was shared through
    (``pulled:H`` -> ``pulled``)."""
    parts = [("BASE", "BASE")] if based else []
    state = str(run.get("status") or "")
    if state and not (based and state == "complete"):
        parts.append((state, state.split(" (")[0]))
    if run.get("n_bad"):
        parts.append((f"bad:{run['n_bad']}", f"bad:{run['n_bad']}"))
    origin = run.get("origin") or "local"
    if origin != "local":  # "pulled from H" / "pushed to H"
        way = origin.split(" ")[0]
        parts.append((f"{way}:{origin.split(' ', 2)[-1]}", way))
    return parts


def fit_status(parts: list[tuple[str, str]], room: int) -> str:
    """The status cell in at most ``room`` characters, in whole words: every fact whole if
    it fits, else their short forms, else the first facts and `` +`` (or ``+`` glued where
    the space does not fit) for the rest (``i`` shows them; the status line names an
    interrupted ingest and the base). Only a first fact too long for ``room`` is left to the
    table to cut (it ends in ``…``)."""
    for text in (" ".join(w for w, _ in parts), " ".join(s for _, s in parts)):
        if len(text) <= room:
            return text
    for k in range(len(parts) - 1, 0, -1):
        text = " ".join(s for _, s in parts[:k])
        for more in (" +", "+"):  # glued only where the space does not fit
            if len(text + more) <= room:
                return text + more
    return parts[0][1] + ("+" if len(parts) > 1 else "")


def diagnose_target(
    base: tuple[str, str] | None,
    last_pair: tuple[str, str, str] | None,
    current: tuple[str, str],
) -> tuple[str, str | None]:
    """What ``d`` diagnoses on the runs screen, as (base, cand) (cand None: one run's
    weaknesses): the marked ``base`` (run, benchmark) against the highlighted ``current``
    run on the same benchmark; with no base marked, the ``last_pair`` (base, cand,
    benchmark) compared with ``c`` when ``current`` is one of its two runs on its benchmark
    (going back from a comparison and pressing d diagnoses what was compared; a base marked
    since is the newer choice); else ``current`` alone."""
    run, bench = current
    if base is not None:
        return (base[0], run) if base[0] != run and base[1] == bench else (run, None)
    if last_pair is not None and last_pair[2] == bench and run in last_pair[:2]:
        return last_pair[0], last_pair[1]
    return run, None


def diagnose_note(
    base: tuple[str, str] | None, target: tuple[str, str | None], current: tuple[str, str]
) -> str | None:
    """What ``d`` says as it opens ``target`` (:func:`diagnose_target`), so it never silently
    diagnoses something other than what the screen shows: the compared pair and how to get
    one run alone; one run alone and why it is not a change (the base is that run, or is on
    another benchmark, or none is marked). None for the marked base against ``current``
    (the status line names the base)."""
    first, cand = target
    run, bench = current
    if cand is not None:
        if base is not None:
            return None
        return (
            f"diagnosing the pair you compared, {first} -> {cand} (for {run} alone: x on "
            "the runs screen forgets the pair, then d)"
        )
    alone = f"diagnosing {run} alone (its weaknesses)"
    if base == current:
        return f"{alone}: it is the base; d on another {bench} run diagnoses the change from it"
    if base is not None:
        return f"{alone}: the base {base[0]} is on {base[1]}, not {bench}"
    return f"{alone}; c marks a base for a change"


def _status_room(
    labels: list[str], rows: list[list[str]], names: list[str], width: int, height: int
) -> int:
    """Characters the runs table leaves its last (status) column at ``width`` columns: the
    cut ``names`` and every middle column at its widest cell or header, 2 of padding per
    column, 2 for the scrollbar when the rows outnumber the ``height`` lines (0: unknown, so
    counted); never less than the header."""
    used = max([len(labels[0]), *map(len, names)]) + 2
    for i, label in enumerate(labels[1:-1], start=1):
        used += max([len(label), *(len(r[i]) for r in rows)]) + 2
    scrollbar = 2 if not height or len(rows) + 1 > height else 0
    return max(len(labels[-1]), width - used - scrollbar - 2)


class RunsScreen(CapsliceScreen):
    """Runs table. Enter opens slices; ``c`` marks base then candidate; ``d`` diagnoses.

    The base mark is shown as text (``BASE``) in the status column.
    """

    HELP_TITLE = "Runs (start screen)"
    HELP_LEGEND = (
        "score: the benchmark's metric; correct/n: correct over scored samples, or "
        "'N-item mean' when the score is the mean of N items' accuracies (several samples each)",
        "status: BASE = a complete run marked as the base of a comparison (c) "
        "(BASE incomplete: an interrupted one); bad:N = N unreadable lines; "
        "pulled:H / pushed:H = shared through team hub H (H, that is shift+h, opens the "
        "team hubs: there p pushes, l pulls); "
        "a + ends a cell whose other facts do not fit (i shows them)",
        "c on a second run of the same benchmark opens the comparison",
        "d: diagnose base -> the highlighted run (change) when a base is marked (on the base "
        "itself or another benchmark: the highlighted run alone); with no base, the last "
        "compared pair when the highlighted run is one of its two runs (the status line "
        "names it; x forgets it); else the highlighted run alone (weaknesses)",
        "v: benchmark scores as micro means (every item weighs the same) or macro means "
        "(every task weighs the same); the status line says which",
        "e: re-score the highlighted run's stored responses with the current extraction "
        "(preview first)",
        "D (shift+d): delete the highlighted run and its samples, after a y/n question "
        "(items, labels and other runs stay)",
        "incomplete (k of N records): the run's ingest was interrupted (signal, killed "
        "process); i shows the command that resumes it (adds only what is missing) and the "
        "one that deletes it; for other runs, the log layout it was read from and why it is "
        "incomplete (a torn last record)",
    )

    BINDINGS = [
        Binding("c", "mark", "Compare", id="runs.mark", tooltip="Mark base, then candidate"),
        Binding("d", "diagnose", "Diagnose", id="runs.diagnose"),
        Binding("r", "reload", "Reload", id="runs.reload"),
        Binding("x", "clear_marks", "Clear marks", show=False, id="runs.clear_marks"),
        Binding(
            "H",
            "hubs",
            "Hubs",
            show=False,
            id="runs.hubs",
            tooltip="Team hubs: push and pull runs, labels, slices, interventions",
        ),
        Binding(
            "v",
            "toggle_average",
            "Micro/macro",
            show=False,
            id="runs.average",
            tooltip="Benchmark scores: pooled over items (micro) or mean of task scores (macro)",
        ),
        Binding(
            "i",
            "ingest_info",
            "Run details",
            show=False,
            id="runs.ingest_info",
            tooltip="The highlighted run's status, log layout and warnings (what a + in its "
            "status leaves out, why its score is flagged), or how to resume or delete its "
            "interrupted ingest",
        ),
        Binding(
            "e",
            "rescore",
            "Re-score",
            show=False,
            id="runs.rescore",
            tooltip="Re-score the run's stored responses with the current extraction (preview)",
        ),
        Binding(
            "D",
            "delete_run",
            "Delete run",
            show=False,
            id="runs.delete",
            tooltip="Delete the highlighted run and its samples (asks first)",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.base: tuple[str, str] | None = None
        # (base, cand, benchmark) of the last comparison opened with c: d diagnoses it
        self.last_pair: tuple[str, str, str] | None = None
        self.runs: list[dict[str, Any]] = []
        self.runs_read = False  # a read of the runs has arrived
        self.average = "micro"
        self._name_room: int | None = None  # the run column's width once the table is filled
        self._head = ""  # the status line's start: the runs' count and means

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(HINT, id="hint")
        yield ResultTable(id="runs-table")
        yield Static("loading runs…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "runs"
        self.query_one(ResultTable).set_columns(COLUMNS)
        self.load_runs()
        warning = getattr(self.ws, "storage_warning", None)
        if warning:  # a store on NFS/Lustre/...: several writing hosts are unsafe
            self.notify(warning, title="store filesystem", severity="warning", markup=False)

    def on_screen_resume(self) -> None:
        # once the first read (on_mount) has arrived, also when it found no run: an ingest
        # opened from the menu of an empty store must show its runs on return
        if self.runs_read:
            self.load_runs()

    def on_resize(self) -> None:
        """Cut the run names again for the new width (they were cut for the width at load,
        so a widened terminal kept ``gsm/…verification`` beside free columns)."""
        if self.runs:
            self.call_after_refresh(self._fill)

    def load_runs(self) -> None:
        """Read the runs off the UI thread. Each request gets a new generation number (on the
        UI thread), and a result older than the newest request is dropped: a read started
        before a delete can finish after it and must not bring the deleted run back."""
        self._generation = getattr(self, "_generation", 0) + 1
        self._read_runs(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="runs")
    def _read_runs(self, generation: int) -> None:
        self.post_message(RunsLoaded(self.ws.runs(average=self.average), generation))

    def on_runs_loaded(self, message: RunsLoaded) -> None:
        if message.generation < getattr(self, "_generation", 0):
            return
        self.runs = message.runs
        self.runs_read = True
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(ResultTable)
        row = table.cursor_row
        has_step = any(run.get("step") is not None for run in self.runs)
        rows = []
        statuses: list[list[tuple[str, str]]] = []
        for run in self.runs:
            benches = run.get("benchmarks") or {"-": None}
            for bench, s in benches.items():
                parts = status_parts(run, self.base == (run["name"], bench))
                statuses.append(parts)
                cells = [
                    str(run["name"]),
                    *([str(run["step"]) if run.get("step") is not None else "-"] * has_step),
                    short(bench, 8),
                    pct(s["score"]) if s else "-",
                    _tally(s),
                    short_metric(s["metric"]) if s else "no samples",
                    parts[0][1] if parts else "",  # the least it shows (see below)
                ]
                rows.append(((run["name"], None if s is None else bench), cells))
        labels = [c for c in COLUMNS if has_step or c != "step"]
        width = table.size.width or self.app.size.width
        room = first_column_room(labels, [cells for _, cells in rows], width)
        table.set_columns(labels)
        # A run name is cut in the middle, never at its end: checkpoints of one training differ
        # in their last characters (``...-step-049000``); the hint line above the table shows
        # the highlighted run's whole name when it is cut.
        # Two names that read the same once cut (seed42 / seed43 runs of one recipe) each
        # keep the part where they differ (distinct_cuts).
        self._name_room = room
        names = distinct_cuts([visible(cells[0]) for _, cells in rows], room, middle=True)
        # the status gets the columns the cut names and the other cells leave: its facts
        # whole, short, or the first ones and "+" (``BASE incomplete`` read ``BASE incom…``)
        room = _status_room(labels, [cells for _, cells in rows], names, width, table.size.height)
        for (_, cells), parts in zip(rows, statuses, strict=True):
            cells[-1] = fit_status(parts, room) if parts else ""
        table.set_rows(
            [
                (payload, [cell(name), *map(cell, cells[1:])])
                for name, (payload, cells) in zip(names, rows, strict=True)
            ]
        )
        if rows:
            table.move_cursor(row=min(row, len(rows) - 1))
        n_runs = len(self.runs)
        cut = [run["name"] for run in self.runs if run.get("interrupted")]
        strict = [run["name"] for run in self.runs if run.get("score_caveats")]
        head = (
            f"{n_runs} run{'s' if n_runs != 1 else ''} · {self.average} means (v)"
            + (f" · interrupted ingest: {', '.join(cut)} (i: resume or delete)" if cut else "")
            + (f" · strict answer format score: {', '.join(strict)} (i: why)" if strict else "")
            + ("" if n_runs else " · ingest logs with: capslice ingest PATH --run NAME")
        )
        self._head = head
        self._show_status()

    def _show_status(self) -> None:
        """The status line: the runs' count and means, then what ``d`` does
        (:meth:`_pair_text`)."""
        self.set_status(self._head + self._pair_text(len(self._head)))

    def _pair_text(self, used: int) -> str:
        """What ``d`` diagnoses on the highlighted row: with a base, `` · base: RUN (BENCH)
        · d: diagnose the change to RUN`` (or ``RUN alone`` on the base itself or another
        benchmark); after a comparison, `` · d: diagnose BASE -> CAND`` on a run of the
        compared pair, `` · d: diagnose RUN alone`` on another (the pair named on any row read
        as a promise d did not keep). Where it fits the status's first line (``used``: the
        characters before it), else on a line of its own, its run names cut to that line
        (:func:`fit_names`) if need be: never wrapped so that a lone name reads on the
        second line."""
        payload = self.query_one(ResultTable).current_payload
        if payload is not None and payload[1] is None:  # d asks for a run with a benchmark
            payload = None
        if self.base:
            bench = self.base[1]
            names = [self.base[0]]
            change = False
            if payload is not None:
                change = diagnose_target(self.base, None, payload)[1] is not None
                names.append(payload[0])

            def form(n: list[str]) -> str:
                if len(n) == 1:
                    return f" · base: {n[0]} ({bench})"
                what = f"the change to {n[1]}" if change else f"{n[1]} alone"
                return f" · base: {n[0]} ({bench}) · d: diagnose {what}"
        elif self.last_pair:
            if payload is None:
                return ""
            first, cand = diagnose_target(None, self.last_pair, payload)
            names = [first] if cand is None else [first, cand]

            def form(n: list[str]) -> str:
                if len(n) == 1:
                    return f" · d: diagnose {n[0]} alone"
                return f" · d: diagnose {n[0]} -> {n[1]}"
        else:
            return ""
        width = (self.app.size.width or 80) - 2
        if used + len(form(names)) <= width:
            return form(names)
        # on a line of its own, whole where it fits there, else its names cut to fit it
        room = width - len(form([""] * len(names))) + 3
        return "\n" + form(fit_names(names, room) if room < sum(map(len, names)) else names)[3:]

    @on(DataTable.RowHighlighted, "#runs-table")
    def _show_whole_name(self, event: DataTable.RowHighlighted) -> None:
        """The hint line names the highlighted run in full when the table shows it cut."""
        payload = self.query_one(ResultTable).payload_at(event.cursor_row)
        name = visible(payload[0]) if payload else ""
        hint = self.query_one("#hint", Static)
        if self._name_room is not None and len(name) > self._name_room:
            hint.update(Text(f"run: {name}"))
        else:
            hint.update(Text(HINT))
        if (self.last_pair is not None or self.base is not None) and self.runs_read:
            self._show_status()  # what d diagnoses depends on the highlighted row

    def action_ingest_info(self) -> None:
        """Show the highlighted run's details (:func:`_log_text`), or how to resume or delete
        its interrupted ingest: in a notification when every word fits one, else (a path, a
        command, a strict-format score's caveats) whole, wrapped, on a screen of its own (a
        notification cut a log path before its line number)."""
        payload = self.query_one(ResultTable).current_payload
        run = next((r for r in self.runs if payload and r["name"] == payload[0]), None)
        if run is None or not (run.get("interrupted") or _log_text(run)):
            self.notify("the highlighted run has no interrupted ingest", markup=False)
            return
        if run.get("interrupted"):
            info = run["interrupted"]
            title, sub_title = "interrupted ingest", "interrupted ingest"
            text = (
                f"{run['name']}: {run['status']}, {info['reason']}\n"
                "resume (adds only what is missing):\n"
                f"{info['resume'] or 'run the same ingest again'}\ndelete:\n{info['delete']}"
            )
        else:
            title, text = str(run["name"]), _log_text(run)
            sub_title = "run warnings" if run.get("score_caveats") else "run details"
        if not run.get("score_caveats") and fits_a_notification(text):
            self.notify(text, title=title, markup=False, timeout=30)
            return
        from .text_detail import TextDetailScreen

        heading = f"run {run['name']}" if title == run["name"] else f"{title}: {run['name']}"
        self.app.push_screen(TextDetailScreen(heading, text.splitlines(), sub_title))

    def action_reload(self) -> None:
        self.load_runs()

    def action_toggle_average(self) -> None:
        self.average = "macro" if self.average == "micro" else "micro"
        self.set_status(f"loading {self.average} means…")
        self.load_runs()

    def action_clear_marks(self) -> None:
        self.base = None
        self.last_pair = None
        self._fill()

    @on(ResultTable.RowChosen)
    def open_slices(self, event: ResultTable.RowChosen) -> None:
        run, bench = event.payload
        if bench is None:
            self.notify(f"run {run} has no scored samples", markup=False)
            return
        from .slices import SlicesScreen

        self.app.push_screen(SlicesScreen(run, bench))

    def context_run(self) -> str | None:
        """The highlighted run (the menu opens discover, re-score and trend on it)."""
        payload = self.query_one(ResultTable).current_payload
        return str(payload[0]) if payload else None

    def _current(self) -> tuple[str, str] | None:
        payload = self.query_one(ResultTable).current_payload
        if payload is None or payload[1] is None:
            self.notify("highlight a run with a benchmark first", markup=False)
            return None
        return payload

    def action_mark(self) -> None:
        current = self._current()
        if current is None:
            return
        if self.base is None or self.base == current:
            self.base = None if self.base == current else current
            self._fill()
            return
        if self.base[1] != current[1]:
            self.notify(
                f"candidate must be on benchmark {self.base[1]}, not {current[1]}", markup=False
            )
            return
        base = self.base
        self.base = None
        self.last_pair = (base[0], current[0], current[1])
        self._fill()
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(base[0], current[0], benchmark=current[1]))

    def action_rescore(self) -> None:
        payload = self.query_one(ResultTable).current_payload
        if payload is None:
            self.notify("highlight a run first", markup=False)
            return
        from .rescore import RescoreScreen

        self.app.push_screen(RescoreScreen(payload[0]))

    def action_delete_run(self) -> None:
        """Ask, then delete the highlighted run and its samples (``capslice delete-run``)."""
        payload = self.query_one(ResultTable).current_payload
        if payload is None:
            self.notify("highlight a run first", markup=False)
            return
        name = payload[0]
        run = next((r for r in self.runs if r["name"] == name), {})
        question = (
            f"Delete run {name} and its {plural(run.get('n_samples', '?'), 'sample')} from "
            f"{getattr(self.app, 'store_path', None) or 'the store'}?\n"
            "Items, labels and other runs stay. This cannot be undone."
        )
        self.set_status(f"checking what uses {name}…")
        self.ask_delete(name, question)

    @work(thread=True, exclusive=True, exit_on_error=False, group="delete run")
    def ask_delete(self, name: str, question: str) -> None:
        """Add the interventions the run's deletion would orphan to the question (a store
        read, so off the UI thread), then ask on the UI thread."""
        users = self.ws.interventions_using_run(name)
        if users:
            question += f"\nIt is used by {', '.join(users)}, which will be orphaned."
        self.app.call_from_thread(self._confirm_delete, name, question, users)

    def _confirm_delete(self, name: str, question: str, users: list[str]) -> None:
        from .confirm import ConfirmScreen

        # the check is done: its "checking what uses RUN..." stayed under the question
        # (the question names them: here a count, which keeps to one line)
        used = (
            f"used by {plural(len(users), 'intervention')}" if users else "no intervention uses it"
        )
        self.set_status(f"delete {name}? {used} · y deletes, n keeps it")

        def answered(yes: bool | None) -> None:
            if yes:
                self.set_status(f"deleting {name}…")
                self.delete_run(name)
            else:
                self.set_status(f"{name} kept")

        self.app.push_screen(ConfirmScreen(question), answered)

    @work(thread=True, exclusive=True, exit_on_error=False, group="delete run")
    def delete_run(self, name: str) -> None:
        removed = self.ws.delete_run(name)
        if self.base is not None and self.base[0] == name:
            self.base = None
        if self.last_pair is not None and name in self.last_pair[:2]:
            self.last_pair = None
        self.app.call_from_thread(
            self.notify, f"deleted {name}: {plural(removed, 'sample')}", markup=False
        )
        self.app.call_from_thread(self.load_runs)

    def action_hubs(self) -> None:
        """Open the team hubs screen (push and pull with progress)."""
        from .hub import HubScreen

        self.app.push_screen(HubScreen())

    def action_diagnose(self) -> None:
        current = self._current()
        if current is None:
            return
        from .diagnose import DiagnoseScreen

        base, cand = diagnose_target(self.base, self.last_pair, current)
        note = diagnose_note(self.base, (base, cand), current)
        if note:
            self.notify(note, markup=False)
        self.app.push_screen(DiagnoseScreen(base, cand, benchmark=current[1]))
