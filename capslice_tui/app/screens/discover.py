"""Suggested slices of one run: error-aware discovery, previews, accept/label by keyboard."""

from __future__ import annotations

import re
import shlex
import textwrap
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import get_current_worker

from ...formatting import agree, p_clause, plural, visible
from ...vocabulary import few_items_no_interval
from .._undo import undo_last_labels
from ..format import (
    cell,
    count,
    fit_parts,
    interval,
    pct,
    points,
    short,
    short_task,
    split_terms,
)
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen
from .label_edit import LabelEdit, LabelEditScreen
from .samples import MODE_TEXT

K_CHOICES = ("auto", "4", "8", "12", "16")
WIDTH = 78
"""Characters of a line under the table at 80 columns (the widgets' padding aside)."""
STATUS_ROWS = 3
"""Rows of :data:`WIDTH` the status line's text keeps to (its widget shows at most 4: a
word longer than what is left of a row wraps early); the notes that do not fit are counted
and ``i`` shows them all."""


def fold_parts(line: str, width: int = WIDTH) -> str:
    """``line`` as one or more lines of at most ``width`` characters, broken between its
    `` · ``-separated parts, so a figure, a label a group restates or the k reason is never
    cut; a part longer than ``width`` gets its own line(s) (the widget wraps it at spaces)."""
    out: list[str] = []
    for part in line.split(" · "):
        if out and len(out[-1]) + 3 + len(part) <= width:
            out[-1] += " · " + part
        else:
            out.append(part)
    return "\n".join(out)


def plain(text: str) -> Text:
    """``text`` as wrapping plain text: never markup, control characters shown as escapes."""
    return Text(visible(text))


def default_name(terms: list[str], cluster: int) -> str:
    """A default slice name from the first two informative terms (``person-status``).

    ``q:`` prefixes and one-character words are dropped (``Pia's`` tokenises to ``person``,
    ``s``), repeated words are skipped; ``cluster-<n>`` when nothing is left.
    """
    picked: list[str] = []
    for term in terms:
        words = [w for w in (term[2:] if term.startswith("q:") else term).split() if len(w) > 1]
        name = "_".join(words)
        if name and name not in picked and not any(w in picked for w in words):
            picked.append(name)
        if len(picked) == 2:
            break
    return "-".join(picked) or f"cluster-{cluster}"


def accounting(data: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The search's note on where its significant groups went (``of the 5 significant groups:
    3 shown; 1 holds (nearly) the same samples as a folded group (q:divided repeats
    q:consider); 1 restates an existing label (folded)``, as the CLI prints it) and its parts
    after the count, when some significant group is not in the table; ``(None, [])`` when
    every one is shown (the suggestions' count says it) or there is no such note."""
    head = f"of the {plural(data.get('n_significant') or 0, 'significant group')}: "
    note = next((x for x in data.get("notes") or [] if x.startswith(head)), None)
    parts = note[len(head) :].split("; ") if note else []
    return (note, parts) if len(parts) > 1 else (None, [])


def with_parts(
    text: str, parts: list[str], before: str, after: str, rows: int = 4
) -> tuple[str, int]:
    """``text`` followed by as many of ``parts`` (``: a; b; c``), each whole and in order, as
    keep the line ``before + text + after`` within ``rows`` rows of :data:`WIDTH` characters;
    and how many parts were left out."""
    for i, part in enumerate(parts):
        longer = text + ("; " if i else ": ") + part
        if len(textwrap.wrap(before + longer + after, WIDTH)) > rows:
            return text, len(parts) - i
        text = longer
    return text, 0


def ns_mark(s: dict[str, Any]) -> str:
    """`` ns`` after a group's Δerr when it was tested and is not significant (as the CLI
    marks its q), ``""`` when significant or untested."""
    tested = s.get("q_value") is not None or s.get("q_within") is not None
    return " ns" if tested and not s.get("significant") else ""


GROUP_LEAST, LABELS_LEAST, TERMS_LEAST = 15, 16, 12
"""Characters the group, labels and top-terms columns keep at least before the table is
wider than the screen (:func:`flexible_widths`; at 80 columns they get about these)."""


def flexible_widths(
    room: int, groups: list[str], labels: list[str], terms: list[str]
) -> tuple[int, int, int]:
    """Widths of the group, labels and top-terms columns in ``room`` characters (what the
    table's other columns, paddings and scrollbar leave): each as wide as its longest text
    where that fits; else the terms give way first (the preview lists the words), then the
    labels, then the group, each down to :data:`TERMS_LEAST`, :data:`LABELS_LEAST` and
    :data:`GROUP_LEAST` characters (or its longest text, when shorter)."""
    want = [max(map(len, column), default=0) for column in (groups, labels, terms)]
    least = [min(w, n) for w, n in zip(want, (GROUP_LEAST, LABELS_LEAST, TERMS_LEAST), strict=True)]
    widths = list(want)
    for i in (2, 1, 0):
        over = sum(widths) - room
        if over <= 0:
            break
        widths[i] = max(least[i], widths[i] - over)
    return widths[0], widths[1], widths[2]


def terms_text(terms: list[str], width: int) -> str:
    """``terms`` joined with ``, `` as far as whole terms fit ``width`` characters, ``…``
    after the last one that fits when some are left out (``q:divided, q:remainder, …``);
    a first term longer than ``width`` is cut with ``…``."""
    joined = ", ".join(terms)
    if len(joined) <= width:
        return joined
    shown: list[str] = []
    for term in terms:
        if len(", ".join([*shown, term, "…"])) > width:
            break
        shown.append(term)
    return ", ".join([*shown, "…"]) if shown else short(joined, width)


_TASK_VALUE = re.compile(r"task=([^\s,;]+)")


def task_names(relation: str) -> str:
    """A labels cell with its task names as the app shows them (:func:`short_task`):
    ``within task=bbh_cot_fewshot_hyperbaton`` -> ``within task=hyperbaton``."""
    return _TASK_VALUE.sub(lambda m: "task=" + short_task(m.group(1)), relation)


class DiscoverScreen(CapsliceScreen):
    """Run discovery in a cancellable worker and act on its suggestions.

    Keys: ``d`` discover, ``x`` cancel, ``f`` failing only on/off, ``e`` error-aware on/off,
    ``k`` cycle k, ``n`` next run, ``a`` accept the highlighted suggestion as a named slice,
    ``l`` label its items (source cluster), ``u`` undo my last label action, ``y`` history,
    ``o`` show/hide the groups folded because they restate an existing label (one table row
    says how many there are).
    """

    HELP_TITLE = "Discover slices"
    HELP_LEGEND = (
        "Groups whose error rate differs from the rest and within tasks (Fisher exact;",
        "  item-level tests when items have several samples; Benjamini-Hochberg),",
        "  ranked by difference x size; details below the table",
        "group: q:word = items whose question has the word; cluster n; mode:x = failure",
        "  mode x (✓ name: accepted as that slice); n: samples; error: its error rate",
        "Δerr: its error rate minus the other samples', in points (percentage points); ns = not "
        "significant (its larger BH-adjusted p-value, from the rest and within its tasks, is "
        "0.05 or more), as the CLI's q column marks it",
        "labels: restates task=x (an existing label holds the same items: always folded),",
        "  within task=x (splits one task), across n tasks (a theme no label names)",
        "terms: words of the group against the rest; q:word = a word of the question",
        "+ N folded: groups that restate an existing label; o shows/hides them",
        "i: every note of the search whole (where the significant groups went, what was "
        "clustered, ...); the status line says how many it leaves out",
        "structure: clear (groups differ) / no clear structure; k: how it was chosen",
        "f: only failing samples (no error contrast: by size) / all; e: also cluster",
        "  on the failure mode; k: clusters",
    )
    BINDINGS = [
        Binding("d", "discover", "Discover", id="discover.run"),
        Binding("x", "cancel", "Cancel", show=False, id="discover.cancel"),
        Binding("f", "toggle_failing", "Failing only", show=False, id="discover.failing"),
        Binding("e", "toggle_error_aware", "Error-aware", show=False, id="discover.error-aware"),
        Binding("k", "cycle_k", "choose k", id="discover.k"),
        Binding("n", "next_run", "next run", id="discover.next-run"),
        Binding("a", "accept", "Accept", show=False, id="discover.accept"),
        Binding("l", "label", "Label", show=False, id="discover.label"),
        Binding("u", "undo", "Undo", show=False, id="discover.undo"),
        Binding("y", "history", "History", show=False, id="discover.history"),
        Binding("o", "toggle_folded", "Folded", show=False, id="discover.folded"),
        Binding("i", "notes", "Notes", show=False, id="discover.notes"),
    ]

    class Progress(Message):
        """Discovery progress (coalesced: only the latest matters)."""

        def __init__(self, stage: str, fraction: float) -> None:
            super().__init__()
            self.stage = stage
            self.fraction = fraction

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, DiscoverScreen.Progress)

    class Loaded(Message):
        """``ws.discover(..., save=True)`` finished: ``data`` is ``DiscoveryResult.to_dict()``."""

        def __init__(self, data: dict[str, Any]) -> None:
            super().__init__()
            self.data = data

    class Cancelled(Message):
        """The discovery worker stopped at a cancellation checkpoint."""

    class RunsLoaded(Message):
        """Run names (to choose which run to discover in) and the taxonomy's axes
        (axis -> value -> description, for the label dialog)."""

        def __init__(self, runs: list[str], axes: dict[str, dict[str, str]]) -> None:
            super().__init__()
            self.runs = runs
            self.axes = axes

    class LabelApplied(Message):
        """A label/accept/undo action finished: ``text`` describes it for the status line;
        ``accepted`` is ``(suggestion id, slice name)`` after an accept."""

        def __init__(self, text: str, accepted: tuple[int, str] | None = None) -> None:
            super().__init__()
            self.text = text
            self.accepted = accepted

    def app_terms(self, text: str) -> str:
        """The analysis's notes name ``capslice discover``'s ``--all``; here ``o`` shows the
        folded groups."""
        return text.replace("; --all shows them", "; o shows them")

    def __init__(self, run: str | None = None, benchmark: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.benchmark = benchmark
        self.runs: list[str] = [run] if run else []
        self.failing_only = False
        self.error_aware = False
        self.k = "auto"
        self.data: dict[str, Any] | None = None
        self.running = False
        self.axes: dict[str, dict[str, str]] = {}
        self.last_progress: tuple[str, float] | None = None
        self.accepted: dict[int, str] = {}  # suggestion id -> the slice name it was accepted as
        self.show_folded = False  # the groups that restate an existing label, unfolded

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="title")
        yield Static("", id="structure")
        yield ResultTable(id="suggestions")
        yield Static("", id="preview")
        yield Static("press d to discover", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "discover slices"
        self._title()
        self.load_runs()

    def context_run(self) -> str | None:
        """The run searched (``n`` moves it): the menu opens plan, re-score and trend on it."""
        return self.run

    def cli_command(self, *flags: str) -> str:
        """The ``capslice discover`` command of this screen's run and settings, plus
        ``flags`` (``--all --save``): a command to paste, every option with its value."""
        store = getattr(self.app, "store_path", None)
        words = ["capslice", *(["--store", str(store)] if store else []), "discover"]
        words += ["--run", str(self.run or "RUN")]
        words += ["--benchmark", self.benchmark] if self.benchmark else []
        words += ["--failing-only"] if self.failing_only else []
        words += ["--error-aware"] if self.error_aware else []
        words += ["--k", str(self.k)] if self.k != "auto" else []
        return shlex.join([*words, *flags])

    # ---- settings -----------------------------------------------------------------------
    def _title(self) -> None:
        flags = [
            f"run {self.run or '-'}",
            "failing only" if self.failing_only else "all samples",
            f"k {self.k}",
            "error-aware" if self.error_aware else "text only",
        ]
        self.query_one("#title", Static).update(cell(" · ".join(flags)))

    def action_toggle_failing(self) -> None:
        self.failing_only = not self.failing_only
        self._title()

    def action_toggle_error_aware(self) -> None:
        self.error_aware = not self.error_aware
        self._title()

    def action_cycle_k(self) -> None:
        self.k = K_CHOICES[(K_CHOICES.index(self.k) + 1) % len(K_CHOICES)]
        self._title()

    def action_next_run(self) -> None:
        if self.runs:
            i = self.runs.index(self.run) if self.run in self.runs else -1
            self.run = self.runs[(i + 1) % len(self.runs)]
            self._title()

    # ---- workers ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="discover-runs")
    def load_runs(self) -> None:
        """Read the run names and the axes off the UI thread; posts :class:`RunsLoaded`."""
        names = [r["name"] for r in self.ws.runs()]
        self.post_message(self.RunsLoaded(names, self.ws.axes()))

    def on_discover_screen_runs_loaded(self, message: RunsLoaded) -> None:
        self.runs = message.runs or self.runs
        self.axes = message.axes
        if self.run is None and self.runs:
            self.run = self.runs[0]
        self._title()
        if not self.runs:
            self.set_status("no runs in this store; ingest one first")

    def action_discover(self) -> None:
        if self.run is None:
            self.set_status("no run to discover in")
            return
        self.running = True
        self.set_status("discovering… (x cancels)")
        self.discover()

    @work(thread=True, exclusive=True, exit_on_error=False, group="discover")
    def discover(self) -> None:
        from ...workspace import DiscoveryCancelled

        worker = get_current_worker()
        try:
            result = self.ws.discover(
                self.run,
                benchmark=self.benchmark,
                failing_only=self.failing_only,
                k=self.k,
                error_aware=self.error_aware,
                save=True,
                progress=lambda stage, frac: self.post_message(self.Progress(stage, frac)),
                should_cancel=lambda: worker.is_cancelled,
            )
        except DiscoveryCancelled:
            self.post_message(self.Cancelled())
            return
        self.post_message(self.Loaded(result.to_dict()))

    def action_cancel(self) -> None:
        if self.running:
            self.workers.cancel_group(self, "discover")
            self.running = False
            self.set_status("discovery cancelled")

    def on_discover_screen_progress(self, message: Progress) -> None:
        self.last_progress = (message.stage, message.fraction)
        if self.running:
            self.set_status(f"discovering: {message.stage} {pct(message.fraction, 0)} (x cancels)")

    def on_discover_screen_cancelled(self, message: Cancelled) -> None:
        self.running = False
        self.set_status("discovery cancelled")

    def action_toggle_folded(self) -> None:
        if self.data is None or not self.data.get("folded"):
            self.set_status("no folded groups: none restates an existing label")
            return
        self.show_folded = not self.show_folded
        self._fill()
        n = len(self.data["folded"])
        verb = agree(n, "restates an existing label", "restate existing labels")
        self.set_status(
            f"{plural(n, 'group')} that {verb} "
            + ("shown below the line (not saved: o hides them)" if self.show_folded else "folded")
        )

    def _structure(self, data: dict[str, Any]) -> str:
        """Above the table, wrapped: whether there is structure, and the k chosen and why."""
        structure = data.get("structure")
        n = data["n_samples"]
        if structure == "no error contrast":
            first = (
                f"no error contrast: every one of {plural(n, 'sample')} failed (or none); by size"
            )
        elif structure == "no clear structure":
            first = (
                f"no clear structure: no group's error rate differs (BH q < 0.05) in {n}"
                " samples; the closest shown"
            )
        else:
            # as the CLI words it: the groups too small to test are counted apart
            untested = data.get("n_untested") or 0
            first = (
                f"structure: {data.get('n_significant', 0)} of the {data.get('n_candidates', 0)}"
                f" groups tested differ from the rest (BH q < 0.05) in {plural(n, 'sample', ',')}"
                + (f" · {untested} more spanned too few items to test" if untested else "")
            )
        weak = next((x for x in data["notes"] if x.startswith("no clear cluster structure")), "")
        second = (data.get("k_reason") or f"k={data.get('k')}") + (
            "; clusters overlap (" + weak.split(": ", 1)[1].split(";")[0] + ")" if weak else ""
        )
        # one paragraph the widget wraps at spaces: as few rows as the words need
        return f"{first} · {second}"

    def on_discover_screen_loaded(self, message: Loaded) -> None:
        self.running = False
        self.data = message.data
        self.show_folded = False
        # wrapped, never cut: the k chosen and why it was chosen are read whole
        self.query_one("#structure", Static).update(plain(self._structure(message.data)))
        self._fill()
        table = self.query_one(ResultTable)
        table.focus()
        data = message.data
        rows = data["suggestions"]
        n = data["n_samples"]
        # no contrast (failing only): said once here, so the table needs no constant columns
        if data.get("structure") == "no error contrast":
            what = f"no error contrast in {plural(n, 'sample')}: by size"
        elif data.get("structure") == "no clear structure":
            what = f"no clear structure in {plural(n, 'sample')}"
        else:
            what = (
                f"{data.get('n_significant', 0)} of {data.get('n_candidates', 0)} groups tested"
                " differ"
            )
        k_reason = data.get("k_reason") or ""
        # the k reason is above the table; the notes follow whole, as many as two rows
        # hold, the table keeping its room (a note is never cut: those left out are counted)
        head, tail = f"{plural(len(rows), 'suggestion')} · ", " · a accept, l label"
        folded = data.get("folded") or []
        if folded and not rows:  # said first: the table holds only the fold's row
            head = (
                f"no suggestion: every group found restates an existing label"
                f" ({len(folded)} folded, o shows them) · "
            )
            tail = ""
        # the count of groups that differ is said with where those not shown went (a repeat
        # of a shown or folded group, a fold...), as the CLI's note says it
        account, parts = accounting(data)
        longest = f"{tail} · (i: 99 more notes)"  # the most after it
        what, left = with_parts(what, parts, head, longest, STATUS_ROWS)
        status = head + what + tail
        every = "every group found restates an existing label"
        notes = [
            self.app_terms(x) for x in data["notes"] if x and x not in (k_reason, every, account)
        ]
        for note in notes:  # whole notes while they fit the status's rows, the rest counted
            if len(textwrap.wrap(f"{status} · {note}{longest[len(tail) :]}", WIDTH)) > STATUS_ROWS:
                left += 1
                continue
            status += " · " + note
        if left:  # i shows every note whole (never cut at the status's last row)
            status += f" · (i: {plural(left, 'more note')})"
        self.set_status(status)
        if rows:
            self._preview(rows[0])

    def action_notes(self) -> None:
        """Every note of the last search whole, wrapped, on a screen of its own (Escape goes
        back): the status line holds as many as fit its rows and counts the rest."""
        if self.data is None:
            self.set_status("run discovery (d) first: its notes show here")
            return
        from .text_detail import TextDetailScreen

        said = self.data.get("k_reason")  # in the structure paragraph already
        notes = [self.app_terms(x) for x in self.data["notes"] if x and x != said]
        paragraphs = [self._structure(self.data), *notes]
        paragraphs.append(f"the same search in the CLI: {self.cli_command()}")
        title = f"discover notes: run {self.run}"
        self.app.push_screen(TextDetailScreen(title, paragraphs, "discover notes"))

    def _fill(self) -> None:
        """(Re)build the table from ``self.data``, keeping the cursor on its row.

        Without an error contrast (failing only: every error rate is 100%) the error columns
        give way to the dominant failure mode and its share of the group. The group, labels
        and terms columns share what the figures leave of the table's width
        (:func:`flexible_widths`), names cut after whole words (:func:`fit_parts`) and terms
        whole (:func:`terms_text`); the preview under the table says each in full.
        """
        assert self.data is not None
        every_failed = self.data.get("structure") == "no error contrast"
        table = self.query_one(ResultTable)
        row = table.cursor_row
        if every_failed:
            table.set_columns(["id", "group", "n", "mode", "mode %", "top terms"])
        else:
            table.set_columns(["id", "group", "n", "error", "Δerr", "labels", "top terms"])
        rows: list[tuple[dict[str, Any], list[str], list[str]]] = []
        for s in self.data["suggestions"]:
            group = f"✓ {self.accepted[s['id']]}" if s.get("id", -1) in self.accepted else s["name"]
            relation = task_names(s.get("novelty", {}).get("relation", "-"))
            rows.append((s, [str(s.get("id", "-")), group, str(s["size"]),
                             *self._figures(s, every_failed, relation)], s["top_terms"][:4]))  # fmt: skip
        folded = self.data.get("folded") or []
        if folded:
            # one visible row stands for the groups that restate an existing label
            fold = {"fold": True, "n": len(folded)}
            rows.append((fold, ["-" if self.show_folded else "+", f"{len(folded)} folded", "",
                                "", "", *([] if every_failed else ["restate labels"])],
                         ["o hides them" if self.show_folded else "o shows them"]))  # fmt: skip
            for s in folded if self.show_folded else []:
                relation = task_names(f"restates {s.get('restates')}")
                rows.append(({**s, "folded": True}, ["-", s["name"], str(s["size"]),
                             *self._figures(s, every_failed, relation)], s["top_terms"][:4]))  # fmt: skip
        table.set_rows(self._cut(table, rows, every_failed))
        if 0 < row < len(rows):
            table.move_cursor(row=row)

    @staticmethod
    def _figures(s: dict[str, Any], every_failed: bool, relation: str) -> list[str]:
        """A group's cells between ``n`` and the terms: error, Δerr and labels (``relation``),
        or without an error contrast its dominant failure mode and that mode's share."""
        if every_failed:
            mode = MODE_TEXT.get(s["dominant_failure_mode"] or "", "-")
            return [short(mode, 12), pct(s.get("failure_mode_share"), 0)]
        diff = s.get("diff_rest")
        return [pct(s["error_rate"]), points(diff, "") + ns_mark(s), relation]

    def _cut(
        self,
        table: ResultTable,
        rows: list[tuple[dict[str, Any], list[str], list[str]]],
        every_failed: bool,
    ) -> list[tuple[dict[str, Any], list[Text]]]:
        """The table's rows as cells, the group and labels fitted after whole words and the
        terms whole, in the room the other columns leave (:func:`flexible_widths`)."""
        label_at = None if every_failed else 5
        fixed = [0, 2, 3, 4]  # id, n and the two figures
        headers = [str(c.label) for c in table.columns.values()]
        widths = [max([len(headers[i]), *(len(r[1][i]) for r in rows)]) + 2 for i in fixed]
        room = (table.size.width or self.app.size.width) - sum(widths) - 2 * 3 - 2
        names = [r[1][1] for r in rows if "fold" not in r[0]]
        labels = [r[1][label_at] for r in rows] if label_at else []
        terms = [", ".join(r[2]) for r in rows]
        group_w, label_w, terms_w = flexible_widths(room, names, labels, terms)
        out = []
        for payload, cells, words in rows:
            cells = list(cells)
            if "fold" not in payload:
                cells[1] = fit_parts([cells[1]], group_w, siblings=[[n] for n in names])
            if label_at:
                cells[label_at] = fit_parts([cells[label_at]], label_w,
                                            siblings=[[x] for x in labels])  # fmt: skip
            out.append((payload, [*map(cell, cells), cell(terms_text(words, terms_w))]))
        return out

    @on(DataTable.RowHighlighted, "#suggestions")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        payload = self.query_one(ResultTable).payload_at(event.cursor_row)
        if payload is not None and payload.get("fold"):
            lines = (
                f"{plural(payload['n'], 'group')} "
                f"{agree(payload['n'], 'holds', 'hold')} (nearly) the same items as an"
                " existing label",
                "(a task, an axis value or a named slice; Jaccard >= 0.7): nothing new there,",
                "so they are folded. o shows/hides them; they are not saved (the CLI's",
                f"{self.cli_command('--all', '--save')} saves them).",
            )
            folded = (self.data or {}).get("folded") or []
            # which groups, and the label each restates, whole (the CLI lists them the same
            # way when the store holds the same labels: a slice named since is one of them)
            names = " · ".join(f"{f['name']} restates {f.get('restates')}" for f in folded)
            text = "\n".join(lines) + (f"\nfolded: {fold_parts(names)}" if names else "")
            self.query_one("#preview", Static).update(plain(text))
        elif payload is not None:
            self._preview(payload)

    def _preview(self, s: dict[str, Any]) -> None:
        tasks = ", ".join(f"{short_task(t)} {n}" for t, n in list(s["groups"].items())[:3])
        question, response = split_terms(s["top_terms"][:8])
        qs = [x for x in (s.get("q_value"), s.get("q_within")) if x is not None]
        q = max(qs) if qs else None  # the larger adjusted p-value decides significance
        rest = s.get("rest_error_rate")
        test = (
            "no test"
            if q is None
            else ("significant" if s.get("significant") else "not significant")
            + f" {p_clause(q, 'q')}"
        )
        over = ", ".join(
            f"{o['label']} {pct(o['share'], 0)}" for o in s.get("over_represented", [])[:2]
        )
        lines = [
            f"{s.get('definition') or s['name']} · {count(s['n_errors'], s['size'])} wrong"
            + (
                f" ({plural(s['n_items'], 'item')}: no interval, one item's samples are"
                " not independent)"
                if few_items_no_interval(s["size"], s.get("n_items", s["size"]))
                else f" (95% CI {interval(s['ci_low'], s['ci_high'])})"
            ),
            ("" if rest is None else f"vs rest {pct(rest)} · {test} · ")
            + s.get("novelty", {}).get("relation", "-"),
            f"tasks: {tasks} · over-represented: {over or '-'}",
            f"question words: {', '.join(question) or '-'}"
            f" · response words: {', '.join(response) or '-'}",
        ]
        # figures, the label a group restates, tasks and words: whole, over more lines
        lines = [fold_parts(x) for x in lines]
        for r in s["representatives"][:1]:  # a quote: cut to its line, marked "…"
            text = r.get("question") or r["response"]
            lines.append(
                short(f"#{r['sample_id']} {short_task(r['task'])}: {short(text, 60)}", WIDTH)
            )
        self.query_one("#preview", Static).update(plain("\n".join(lines)))

    # ---- acting on a suggestion ---------------------------------------------------------
    def _current(self) -> dict[str, Any] | None:
        payload = self.query_one(ResultTable).current_payload
        if payload is not None and (payload.get("fold") or payload.get("folded")):
            self.set_status(
                "a folded group restates an existing label and is not saved;"
                f" {self.cli_command('--all', '--save')} can save it"
            )
            return None
        if payload is None or "id" not in payload:
            self.set_status("run discovery (d) and highlight a suggestion first")
            return None
        return payload

    def action_accept(self) -> None:
        s = self._current()
        if s is None:
            return
        default = default_name(s["top_terms"], s["cluster"])

        def done(edit: LabelEdit | None) -> None:
            if edit is not None:
                self.apply_edit(s["id"], edit, accept=True)

        self.app.push_screen(
            LabelEditScreen(
                f"accept suggestion {s['id']} ({plural(s['size'], 'sample')}) as a named slice",
                self.axes,
                ask_name=True,
                need_value=False,
                name=default,
            ),
            done,
        )

    def action_label(self) -> None:
        s = self._current()
        if s is None:
            return

        def done(edit: LabelEdit | None) -> None:
            if edit is not None:
                self.apply_edit(s["id"], edit, accept=False)

        self.app.push_screen(
            LabelEditScreen(f"label the items of suggestion {s['id']} (source cluster)", self.axes),
            done,
        )

    @work(thread=True, exit_on_error=False, group="label")
    def apply_edit(self, suggestion_id: int, edit: LabelEdit, accept: bool) -> None:
        if accept:
            created = self.ws.accept_suggestion(suggestion_id, edit.name, note=edit.note)
            text = f"accepted {suggestion_id} as {created['name']!r} ({plural(created['n_items'], 'item')})"
            if edit.axis and edit.value:
                r = self.ws.label_slice(
                    created["name"],
                    {edit.axis: edit.value},
                    expected_version=created["version"],
                    note=edit.note,
                )
                text += f"; {edit.axis}={edit.value} by hand (batch {r['batch']})"
        else:
            assert edit.axis is not None  # LabelEditScreen(need_value=True) asks for both
            r = self.ws.label_suggestion(suggestion_id, {edit.axis: edit.value}, note=edit.note)
            text = (
                f"{edit.axis}={edit.value} on {plural(r['items'], 'item')} (cluster; {r['changed']} changed,"
                f" batch {r['batch']}) · u undoes"
            )
        accepted = (suggestion_id, created["name"]) if accept else None
        self.post_message(self.LabelApplied(text, accepted))

    @work(thread=True, exit_on_error=False, group="label")
    def undo_last(self) -> None:
        undo_last_labels(self.ws, self.post_message, self.LabelApplied)

    def action_undo(self) -> None:
        """Undo your last labelling action, after a y/n confirmation."""
        self.ask_undo(
            self.undo_last, "(the history screen lists each action with its items and values)"
        )

    def on_discover_screen_label_applied(self, message: LabelApplied) -> None:
        self.set_status(message.text)
        if message.accepted is not None:
            self.accepted[message.accepted[0]] = message.accepted[1]
            if self.data is not None:
                self._fill()
            self.notify(f"accepted as {message.accepted[1]!r}", markup=False)
        else:
            self.notify(short(message.text, 40), markup=False)

    def action_history(self) -> None:
        from .label_history import LabelHistoryScreen

        self.app.push_screen(LabelHistoryScreen())
