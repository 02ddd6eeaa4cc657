"""Diagnosis: a verdict (data / not data / inconclusive) with its evidence, charted in text."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from ...formatting import (
    bound_notes,
    count,
    item_mean,
    pct_cell,
    plural,
    row_p_adj,
    run_pair,
    visible,
)
from ...report import diagnosis_next, evaluation_lines, evidence_line, verdict_qualifier
from ..console import to_ascii
from ..format import cell, fit_parts, pct, points, slice_label, slice_parts
from ..messages import DiagnoseLoaded
from ..widgets.bar_chart import Bar, BarChart
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen
from .compare import ReportWritten, as_dict, ask_report_path, pair_warning_text, write_report
from .help import hanging
from .samples import MODE_TEXT
from .slices import samples_query

VERDICT_TEXT = {
    "data": "DATA PROBLEM",
    "not_data": "NOT A DATA PROBLEM",
    "inconclusive": "INCONCLUSIVE",
}
GAIN_VERDICT_TEXT = {**VERDICT_TEXT, "data": "DATA", "not_data": "NOT DATA"}
"""Verdicts of a gain: the candidate is better, so there is no problem to name (the CLI's
``VERDICT: DATA`` / ``NOT_DATA`` words)."""
# Fits 80 columns inside the scrolling diagnosis: score is per sample (correct/samples).
SLICE_COLUMNS = ("slice", "items", "score c/n", "deficit", "p adj", "top mode")


REASON_TEXT = {
    "evaluation_changed": "the evaluation changed: prompts, few-shot, decoding or scoring",
    "format_failures": "format and termination failures carry the change",
    "localized_wrong_answers": "wrong answers, localized in a few content slices",
    "broad_capability": "a broad capability change: wrong answers across the domain",
    "weak_evidence": "the evidence is too weak to decide",
    "format_concentrated": "format failures concentrated in a few content slices",
    "mixed_causes": "wrong answers and format failures both carry the change",
    "no_weak_content_slice": "no content slice is significantly weaker",
    "no_finer_slice": "the items cannot be told apart on the axes",
    "evaluation_sensitive": "the weak slices change with the prompting",
    "not_a_checkpoint_pair": "not two checkpoints of one training lineage",
    "identical_responses": "identical responses: one evaluation stored twice, nothing to explain",
}
WEAKNESS_REASON_TEXT = {
    **REASON_TEXT,
    "format_failures": "format failures carry the run's failures: fix them first",
}
"""Reasons as worded for one run (weakness mode), where there is no change to carry."""
GAIN_REASON_TEXT = {
    **REASON_TEXT,
    "format_failures": "format and termination failures carry the gain",
    "localized_wrong_answers": "answers turning right, localized in a few content slices",
    "broad_capability": "a broad capability gain: answers turning right across the domain",
    "mixed_causes": "answers turning right and format failures fixed both carry the gain",
}
"""Reasons as worded for a gain (the CLI's ``mixture.GAIN_REASON_HEADINGS``: a gain is not a
weakness of wrong answers)."""
PATTERN_TEXT = {
    "concentrated": "concentrated",
    "spread": "spread",
    "mixed": "neither concentrated nor spread",
    "no_change": "no slice moves",
    "single_slice": "one slice only: items not told apart",
}


SAID_ABOVE = "see the WARNING above"
"""What stands in the diagnosis for the pair warning's text where the summary or an evidence
line repeats it (identical responses: the verdict's summary quotes the warning whole)."""


def said_once(text: str, warning: str) -> str:
    """``text`` with the pair warning it quotes (``warning``, said first in bold) replaced
    by :data:`SAID_ABOVE`: a log stored under two names showed the same 300 characters twice
    on the first screen; unchanged when it quotes none."""
    return text.replace(warning, SAID_ABOVE) if warning and warning in text else text


def slice_count_text(listed: int, evidence: list[dict[str, Any]]) -> str:
    """What the slice table holds, counted as the evidence counts it, and over what.

    ``listed``: rows in the table; ``evidence``: the diagnosis's evidence dicts. Diagnose
    tests every axis combination (up to 4 axes), so its count is not compare's (the slices
    of one grouping, e.g. by task): the text says "across axis combinations". When the
    evidence names how many distinct slices change significantly (``slices with a
    significant paired change``) and that differs from ``listed``, both are named
    (``3 shown of 19 significant slices across axis combinations``), so the header never
    contradicts the evidence."""
    for e in evidence:
        if e.get("name") == "slices with a significant paired change":
            total = e.get("value")
            if isinstance(total, int) and total != listed:
                return f"{listed} shown of {plural(total, 'significant slice')} across axis combinations"
    return f"{plural(listed, 'significant slice')} across axis combinations"


def verdict_banner(
    verdict: str,
    reason: str | None = None,
    mode: str = "change",
    direction: str | None = None,
    qualifier: str = "",
) -> Text:
    """The verdict in large plain letters inside a box of ``=`` (no colour needed), with its
    reason in plain words on the line below (worded for ``mode``: ``change`` or
    ``weakness``) and ``qualifier`` on the next (``report.verdict_qualifier``: a weakness
    against the run's own average, difficulty not ruled out). A change whose ``direction``
    is ``gain`` reads ``DATA`` / ``NOT DATA`` (no "problem" when the candidate is better)."""
    texts = GAIN_VERDICT_TEXT if direction == "gain" else VERDICT_TEXT
    words = "VERDICT: " + texts.get(verdict, verdict.upper())
    spaced = " ".join(words)
    rule = "=" * (len(spaced) + 4)
    text = f"{rule}\n| {spaced} |\n{rule}"
    reasons = (
        WEAKNESS_REASON_TEXT
        if mode == "weakness"
        else GAIN_REASON_TEXT
        if direction == "gain"
        else REASON_TEXT
    )
    if reason in reasons:
        text += f"\n({reasons[reason]})"
    if qualifier:
        text += f"\n({qualifier})"
    return Text(text, style="bold", no_wrap=True)


def failure_bars(data: dict[str, Any]) -> list[Bar]:
    """Bars of failure-mode shares: base and candidate per mode, or one run's counts."""
    bars: list[Bar] = []
    shift = data.get("failure_mode_shift") or []
    if shift and data.get("cand"):
        for row in shift:
            bars.append(
                Bar(f"{row['mode']} base", row.get("base_share") or 0.0, pct(row.get("base_share")))
            )
            bars.append(
                Bar(
                    f"{row['mode']} cand",
                    row.get("cand_share") or 0.0,
                    f"{pct(row.get('cand_share'))}  contrib {points(row.get('contribution'))}",
                    char="#",
                )
            )
        return bars
    counts = (data.get("failure_modes") or {}).get(data.get("base")) or {}
    total = sum(counts.values()) or 1
    for mode, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        bars.append(Bar(mode, n / total, f"{plural(n, 'sample')} ({pct(n / total)})"))
    return bars


def failure_legend(data: dict[str, Any]) -> dict[str, str]:
    """The failure chart's legend (:func:`failure_bars`' glyphs): base and candidate run, or
    the one run's share of samples."""
    if (data.get("failure_mode_shift") or []) and data.get("cand"):
        return {"█": f"base {data.get('base')}", "#": f"candidate {data.get('cand')}"}
    return {"█": "share of the run's samples"}


def axis_legend(bars: list[Bar]) -> dict[str, str]:
    """The axis chart's legend: ``+`` better and ``-`` worse (length = size of the change),
    ``█`` score where no change is measured; only the glyphs the bars draw."""
    meaning = {"+": "better", "-": "worse", "█": "score"}
    used = {b.char for b in bars if b.fraction > 0}
    return {g: m for g, m in meaning.items() if g in used}


def axis_bars(rows: list[dict[str, Any]]) -> list[Bar]:
    """One bar per axis value: length = |delta| (or score in weakness mode), text has the sign."""
    deltas = [abs(r["delta"]) for r in rows if r.get("delta") is not None]
    scale = max(deltas) if deltas else 0.0
    bars = []
    for r in rows:
        n = r.get("n_items")
        n = int(n) if isinstance(n, float) and n.is_integer() else n
        if r.get("delta") is not None and scale > 0:
            bars.append(
                Bar(
                    str(r.get("value")),
                    abs(r["delta"]) / scale,
                    f"{points(r['delta'])} n={n}",
                    char="-" if r["delta"] < 0 else "+",
                )
            )
        else:
            score = r.get("score", r.get("cand_score", r.get("base_score")))
            text = f"{pct(score)} n={n}"
            if r.get("deficit") is not None:
                text = f"{pct(score)} {points(r['deficit'])} n={n}"
            bars.append(Bar(str(r.get("value")), score or 0.0, text))
    return bars


ITEM_MEAN_MARK = "*"
ITEM_MEAN_LEGEND = (
    f"{ITEM_MEAN_MARK} score: mean of per-item accuracies, not c/n (c/n counts samples)"
)
"""The slice table's legend line for :data:`ITEM_MEAN_MARK` rows (walk 9 #36: the column
held the word ``mean`` where a count belongs, with no legend on screen)."""


def _gained(s: dict[str, Any], direction: str | None) -> bool:
    """Whether slice ``s`` of a change moved up (candidate better): its own difference, else
    the change's ``direction``."""
    diff = s.get("diff", s.get("deficit"))
    return diff > 0 if diff is not None else direction == "gain"


def slice_score(s: dict[str, Any]) -> str:
    """A slice's score with its counts: ``0.1% 4/3840``; ``4.8%* 21/1760`` when the score is
    a mean of per-item accuracies, so it is not that ratio (:data:`ITEM_MEAN_LEGEND`)."""
    score, correct, n = s.get("score"), s.get("correct"), s.get("n_samples")
    if correct is None or n is None:
        return pct(score)
    if n and item_mean(score, correct, n):
        return f"{pct(score)}{ITEM_MEAN_MARK} {count(correct, n)}"
    return pct_cell(score, correct, n)


def spread_text(how: Any) -> str:
    """One axis's spread entry (a word, or a dict with pattern and counts) as one line."""
    if not isinstance(how, dict):
        return PATTERN_TEXT.get(str(how), str(how))
    pattern = str(how.get("pattern", "?"))
    text = PATTERN_TEXT.get(pattern, pattern)
    if "slices_moving" in how:
        text += (
            f" ({how['slices_moving']}/{plural(how.get('slices_eligible', '?'), 'slice')} moving"
        )
        if how.get("top_value") is not None:
            text += f"; largest share {how['top_value']} {pct(how.get('top_share'), 0)}"
        text += ")"
    return text


class DiagnoseScreen(CapsliceScreen):
    """``ws.diagnose(base, cand)`` (a change) or ``ws.diagnose(run)`` (weaknesses of one run).

    Enter on a slice opens its samples filtered by the slice's dominant failure mode; ``r``
    (change mode) writes the Markdown review report to the current directory.
    """

    HELP_TITLE = "Diagnose"
    HELP_LEGEND = (
        "verdict: DATA PROBLEM / NOT A DATA PROBLEM / INCONCLUSIVE, with its evidence",
        "failure modes: shares of samples (a math item has many samples)",
        "axis decomposition: per axis value, counted in items (n=items)",
        "  change: bar = size of the change, + = better, - = worse (each chart's legend line "
        "names its glyphs)",
        "  weakness: bar = score; +/- points = vs the rest of the run",
        "slices: items; score c/n = score with correct/samples (score* = the mean of "
        "per-item accuracies, several samples per item, so not c/n)",
        "deficit: slice score - reference score in points (negative = weaker)",
        "p adj: Benjamini-Hochberg adjusted p over every slice tested (all axis "
        "combinations); a p_adj in the text names its own family (e.g. over 3 task_types)",
        "top mode: the most common failure mode of the slice's samples that moved (a change:"
        " the items lost, as the candidate failed them; a gain: the items won, as the base"
        " failed them, and Enter opens the base's samples of that mode; not the run-wide"
        " shift the verdict names) or that fail (one run's weakness)",
        "wrong (wrong_answer) = an answer was read and is wrong",
        "fmt! (extraction_failure) = right answer in the response, not extracted",
        "trunc (truncated) = the response stopped at the generation length cap",
    )
    BINDINGS = [
        # Enter works wherever the focus is (the page scrolls with the arrows, the table
        # keeps its highlighted row): it opens the highlighted significant slice.
        Binding(
            "enter",
            "open_slice",
            "Samples",
            show=False,
            id="diagnose.open-slice",
            tooltip="Samples of the highlighted significant slice",
        ),
        Binding(
            "r",
            "report",
            "Report",
            id="diagnose.report",
            tooltip="Write a Markdown review report (base -> cand) to a file you name",
        ),
    ]

    def __init__(self, base: str, cand: str | None, *, benchmark: str | None) -> None:
        super().__init__()
        self.base = base
        self.cand = cand
        self.benchmark = benchmark
        self.data: dict[str, Any] | None = None
        self.filter_label = ""  # the answers read: "filter get-answer" (once loaded)

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="diagnosis"):
            what = (
                f"the change {run_pair(self.base, self.cand)}"
                if self.cand
                else f"{self.base} alone, its weaknesses"
            )
            yield Static(Text(f"loading… (diagnosing {what})"), id="status")
            yield Static("", id="verdict")
            yield Static("", id="summary")
            yield Static("", id="modes-title", classes="section")
            yield BarChart(label_width=24, bar_width=20, id="failure-chart")
            yield Static("", id="axes-title", classes="section")
            yield BarChart(label_width=26, bar_width=20, id="axes-chart")
            yield Static("", id="slices-title", classes="section")
            yield ResultTable(id="diagnose-slices")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "diagnose " + (run_pair(self.base, self.cand) if self.cand else self.base)
        self.query_one(ResultTable).set_columns(SLICE_COLUMNS)
        # the slice table's title may carry a legend line under it (ITEM_MEAN_LEGEND)
        self.query_one("#slices-title", Static).styles.height = "auto"
        # charts and table appear with the report: empty, they read "(nothing to chart)"
        for part in self.query("BarChart, #diagnose-slices"):
            part.display = False
        self.load_diagnosis()

    @work(thread=True, exclusive=True, exit_on_error=False, group="diagnose")
    def load_diagnosis(self) -> None:
        if self.cand is None:
            result = self.ws.diagnose(self.base, benchmark=self.benchmark)
            label = self.ws.filter_use(self.base, benchmark=self.benchmark).label
        else:
            result = self.ws.diagnose(self.base, self.cand, benchmark=self.benchmark)
            label = self.ws.filter_pair_label(self.base, self.cand, benchmark=self.benchmark)
        # the answers read, named as the CLI's note and JSON key 'filter' name them (set
        # before the message that shows it is posted)
        self.filter_label = label
        data = as_dict(result)
        if data.get("verdict") == "data":  # the next step's plan names what capslice knows
            runs = [self.base, *([self.cand] if self.cand else [])]
            data["plan_inputs"] = self.ws.plan_inputs(runs, data.get("benchmark"))
        self.post_message(DiagnoseLoaded(data))

    def on_resize(self) -> None:
        """The summary's list items wrap under their text at the new width."""
        data = self.data
        if data is not None and data.get("verdict") is not None:
            mode = data.get("mode") or ("change" if self.cand else "weakness")
            self.query_one("#summary", Static).update(self._summary(data, mode))

    def app_terms(self, text: str) -> str:
        """``pass --same-evaluation`` or ``pass --same-lineage`` (no key here) as the whole
        command that does it."""
        store = getattr(self.app, "store_path", None)
        words = ["capslice", *(["--store", str(store)] if store else []), "diagnose", self.base]
        words += [self.cand] if self.cand else []
        words += ["--benchmark", self.benchmark] if self.benchmark else []
        for flag in ("--same-evaluation", "--same-lineage"):
            text = text.replace(f"pass {flag}", f"run `{shlex.join([*words, flag])}`")
        return text

    def _summary(self, data: dict[str, Any], mode: str) -> Text:
        """The diagnosis as text: what was compared, the summary, then the evaluation
        check, causes, evidence and spread as list items (each wrapping under its text)."""
        summary = Text()

        def add(text: str, style: str = "") -> None:
            # Console mode: the analysis text's arrows become "->" (the line filter's
            # one-cell form would read as an inequality).
            summary.append(to_ascii(text) if self.ascii_console else text, style)

        # a list item that wraps continues under its text, not at column 0 (hanging indent)
        # the text's width: the screen less the padding, the scrollbar and the blank column
        # kept before it (capslice.tcss)
        room = max(30, self.app.size.width - 5)

        def item(text: str) -> None:
            text = to_ascii(text) if self.ascii_console else text  # its width, then wrap
            add(hanging("  - ", text, 4, room) + "\n")

        what = run_pair(data["base"], data["cand"]) if data.get("cand") else data.get("base")
        read = f" · {self.filter_label}" if self.filter_label else ""  # filter get-answer
        add(f"{mode}: {what} · {data.get('benchmark') or 'all'}{read}\n", style="bold")
        warning = data.get("pair_warning") or ""
        if warning:  # before the summary: it qualifies the verdict
            add(visible(pair_warning_text(warning)) + "\n", style="bold")
        for note in data.get("incomplete") or []:  # so does a run that is incomplete
            add(visible(f"warning: {note}") + "\n", style="bold")
        add(f"{said_once(self.app_terms(data.get('summary') or ''), warning)}\n")
        checked = evaluation_lines(data)
        if checked:
            add("\nevaluation of the shared items\n", style="bold")
            for line in checked:
                item(line)
        causes = data.get("causes") or []
        if causes:
            add("\ncauses\n", style="bold")
            for c in causes:
                item(c)
        evidence = data.get("evidence") or []
        if evidence:
            add("\nevidence\n", style="bold")
            for e in evidence:
                item(said_once(evidence_line(e), warning))
        spread = data.get("spread") or {}
        if spread:
            add("\nspread across content axes\n", style="bold")
            for axis, how in spread.items():
                item(f"{axis}: {spread_text(how)}")
        step = self._next_step(data, mode)
        if step:
            add("\nnext\n", style="bold")
            item(step)
        return summary

    def _next_step(self, data: dict[str, Any], mode: str) -> str | None:
        """The loop's next step (walk 9 #42): a data weakness of one run plans from here
        (menu ``m`` ``p`` opens the plan on this run); a change or a weakness against a
        reference, whose plan the form cannot express, names the CLI command
        (:func:`report.diagnosis_next`); not_data: fix the cause and diagnose again."""
        inputs = data.get("plan_inputs")
        step = diagnosis_next(data, inputs)
        if step is None:
            return None
        if data.get("verdict") == "data" and mode == "weakness" and not data.get("reference"):
            n = len(data.get("slices") or [])
            source = (inputs or {}).get("source") if (inputs or {}).get("catalog") else None
            fill = (
                f"its catalog and budget filled in: {source}"
                if source
                else "put your data catalog and budget in its fields"
            )
            return (
                f"plan data for the {plural(n, 'weak slice')} below that the mapping rules "
                f"reach: m then p opens the plan on {self.base} ({fill}; the plan names any "
                "slice it sets aside); the slices are weak against the run's own average, so "
                "rule difficulty out first with --reference (see above)"
            )
        if step.get("command"):
            return f"{step['command']} ({step['why']})"
        return step["why"]

    def context_run(self) -> str:
        """The run a menu entry opens on (``m`` ``p``: the plan's baseline): the diagnosed
        run, the base of a change."""
        return self.base

    def on_diagnose_loaded(self, message: DiagnoseLoaded) -> None:
        data = self.data = message.data
        for part in self.query("BarChart, #diagnose-slices"):
            part.display = True
        mode = data.get("mode") or ("change" if self.cand else "weakness")
        self.query_one("#verdict", Static).update(
            verdict_banner(
                data.get("verdict") or "?",
                to_ascii(data.get("reason") or "") if self.ascii_console else data.get("reason"),
                mode,
                data.get("direction"),
                verdict_qualifier(data),
            )
        )
        self.query_one("#summary", Static).update(self._summary(data, mode))
        self.query_one("#modes-title", Static).update(
            Text("failure modes (share of samples, not items)", style="bold")
        )
        self.query_one("#failure-chart", BarChart).show(failure_bars(data), failure_legend(data))
        axes = data.get("axes") or {}
        bars: list[Bar] = []
        for axis, rows in axes.items():
            bars.append(Bar(f"[{axis}]", 0.0, ""))
            bars.extend(axis_bars(rows))
        if mode == "change":
            title = "axis decomposition by item (bar = size of change)"
        else:
            # the points are the slice's score minus the run's own (decompose: deficit), not
            # against the rest of the items (walk 10: 5.1% -38.0 is 5.1 - 43.1)
            title = "axis decomposition by item (bar = score; text: score, vs run, items)"
        self.query_one("#axes-title", Static).update(Text(title, style="bold"))
        self.query_one("#axes-chart", BarChart).show(bars, axis_legend(bars))
        rows = []
        # each part of a combined name cut so it stays apart from the other rows' values
        names = [slice_parts(dict(s.get("slice") or {})) for s in data.get("slices") or []]
        for s, parts in zip(data.get("slices") or [], names, strict=True):
            key = dict(s.get("slice") or {})
            cells = [
                cell(fit_parts(parts, 20, siblings=names)),
                cell(s.get("n_items")),
                cell(slice_score(s)),
                cell(points(s["deficit"], "") if s.get("deficit") is not None else "-"),
                cell(row_p_adj(s)),
                cell(MODE_TEXT.get(s.get("dominant_failure_mode") or "", "-"), 12),
            ]
            payload = {"slice": key, "mode": s.get("dominant_failure_mode"), "won": None}
            if mode == "change" and _gained(s, data.get("direction")):
                # a gain's top mode is the base's (the failures fixed): its items won with it
                payload["won"] = (s.get("mode_counts") or {}).get(payload["mode"])
            rows.append((payload, cells))
        table = self.query_one(ResultTable)
        table.set_rows(rows)
        counted = slice_count_text(len(rows), data.get("evidence") or [])
        room = self.app.size.width - 2  # a hint that does not fit is left out, never cut
        hint = " (Enter: their samples)" if rows else ""
        heading = Text()
        heading.append(counted + (hint if len(counted + hint) <= room else ""), style="bold")
        if any(ITEM_MEAN_MARK in str(c[2]) for _, c in rows):
            heading.append("\n" + hanging("", ITEM_MEAN_LEGEND, 2, room))
        # a p adj column cell (or the summary's p_adj) printed as a bound says what it means,
        # as the CLI's note and the interventions screen do
        for note in bound_notes(data.get("slices") or []):
            heading.append("\n" + hanging("", note, 2, room))
        self.query_one("#slices-title", Static).update(heading)
        # the count with its meaning is the table's title; the status line keeps the keys
        status = f"verdict: {data.get('verdict')} · {plural(len(rows), 'slice')} listed"
        hint = " · Enter: samples · Tab: pick" if rows else ""
        self.set_status(status + (hint if len(status + hint) <= room else ""))

    def action_report(self) -> None:
        if self.cand is None:
            self.notify(
                "a report needs two runs: mark them with c on runs",
                severity="warning",
                markup=False,
            )
            return
        ask_report_path(self, self.base, self.cand, self.export_report)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def export_report(self, path: Path | None = None) -> None:
        assert self.cand is not None  # action_report refuses weakness mode
        self.post_message(
            ReportWritten(write_report(self.ws, self.base, self.cand, self.benchmark, path))
        )

    def on_report_written(self, message: ReportWritten) -> None:
        self.notify(f"report written: {message.path}", title="capslice", markup=False)

    def action_open_slice(self) -> None:
        payload = self.query_one(ResultTable).current_payload
        if payload is None:
            self.notify("no significant slice to open", markup=False)
            return
        self._open(payload)

    @on(ResultTable.RowChosen)
    def open_samples(self, event: ResultTable.RowChosen) -> None:
        self._open(event.payload)

    def _open(self, payload: dict[str, Any]) -> None:
        from .samples import SamplesScreen

        key = payload["slice"]
        mode = payload["mode"]
        run = self.cand or self.base
        query = samples_query(key, self.benchmark)
        title = slice_label(key)
        note = None
        if self.cand is not None and mode and payload.get("won") is not None:
            # a gain: the candidate has few samples of the base's top mode (walk 19: none,
            # "no samples with failure mode extraction_failure"); the base's carry the change
            run = self.base
            note = (
                f"base {self.base}: {plural(payload['won'], 'item')} {self.cand} got right "
                "are among these"
            )
        self.app.push_screen(SamplesScreen(run, title=title, failure_mode=mode, note=note, **query))
