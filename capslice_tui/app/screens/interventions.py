"""Interventions screen: the log, one intervention's scrolling detail, accept/reject/link by key."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static

from ...formatting import (
    P_BOUND_NOTE,
    PASS_AT_K_ESTIMATOR,
    change_span,
    plural,
    rounding_note,
    row_p_adj,
)
from ...vocabulary import WARN_SLICE_SIZE
from ...vocabulary import label as join_slice
from ..format import cell, pct, points
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen


def _label(s: dict[str, Any]) -> str:
    return join_slice(s)


def intervention_name(rec: dict[str, Any]) -> str:
    """``#3 'title'`` (title cut at 40 characters), for prompts and questions."""
    title = str(rec.get("title") or "")
    return f"#{rec['id']} {title[:39] + '…' if len(title) > 40 else title!r}"


def _span(lo: Any, hi: Any) -> str:
    return change_span(lo, hi)  # the figure before it names the unit


def did_lines(outcome: dict[str, Any], *, one_target: bool = False) -> list[str]:
    """The change measured against the controls: target change, control change and their
    difference (DiD) with 95% intervals, or why it could not be measured. ``one_target``:
    the target change is that slice's own line (:func:`outcome_lines`), so it is not
    repeated here with a second interval."""
    did = outcome.get("did")
    if not did:
        from ...workspace.plan import no_control_text  # the CLI's words; loaded with the outcome

        return [f"vs controls: not measurable ({no_control_text(outcome.get('uncontrolled'))})"]
    target = [
        f"target change  {points(did['target_change'])} "
        f"{_span(did['target_low'], did['target_high'])}  ({plural(did['n_target'], 'item')})"
    ]
    return [
        *([] if one_target else target),
        f"control change {points(did['control_change'])} "
        f"{_span(did['control_low'], did['control_high'])}  ({plural(did['n_control'], 'item')})",
        f"DiD (target - control) {points(did['did'])} {_span(did['did_low'], did['did_high'])}"
        + (" beats*" if did["did_low"] > 0 else " behind*" if did["did_high"] < 0 else ""),
        *_rounding(did),
    ]


def _rounding(did: dict[str, Any]) -> list[str]:
    """``(parts rounded separately: ...)`` when target change minus control change, as
    printed, misses the DiD as printed (-1.8 - +10.6 beside -12.3); else nothing."""
    note = rounding_note([did["target_change"], -did["control_change"]], did["did"])
    return [f"  ({note}: each figure is rounded once, on its own)"] if note else []


def outcome_lines(outcome: dict[str, Any]) -> list[str]:
    """The evaluated outcome as plain lines: verdict, the change against the controls
    (:func:`did_lines`), one block per slice, warnings.

    Each target/control slice gets its full name on one line, then the score change in
    points with its interval and adjusted p, then (targets) its DiD against the pooled
    controls, then (multi-sample runs) the pass@k change.
    """
    sizes = [r["n_items"] for r in outcome.get("rows") or [] if r.get("n_items") is not None]
    # every small slice's n, not only the smallest (walk 10 #3: 'n=17' hid casework's n=19)
    few = sorted(n for n in sizes if n < WARN_SLICE_SIZE)
    warn = (
        (
            f" (! too few items: n={', '.join(map(str, few))} < {WARN_SLICE_SIZE})"
            if len(few) < 2
            else f" (! {len(few)} slices with too few items: n={', '.join(map(str, few))} "
            f"< {WARN_SLICE_SIZE})"
        )
        if few
        else ""
    )
    # one target slice: its change and interval are printed once, on its own line (the
    # pooled target change and the slice's DiD would repeat them)
    one_target = sum(1 for r in outcome.get("rows") or [] if r.get("role") == "target") == 1
    lines = [
        f"verdict: {outcome['verdict']}{warn} - {outcome['reason']}",
        *did_lines(outcome, one_target=one_target),
        f"metric: {outcome.get('metric', '-')} · tolerance {points(outcome.get('tolerance'), signed=False)}"
        f" · q={outcome.get('q', '-')} · {plural(outcome.get('n_tested', '-'), 'slice')} tested",
    ]
    for r in outcome.get("rows") or []:
        mark = ("better*" if r["diff"] > 0 else "worse*") if r.get("significant") else ""
        lines.append(f"{r['role']}: {_label(r['slice'])}  (n={plural(r['n_items'], 'item')})")
        lines.append(
            f"    {pct(r.get('base_score'))} -> {pct(r.get('cand_score'))}"
            f"  {points(r.get('diff'))} {_span(r.get('diff_low'), r.get('diff_high'))}"
            f"  p adj {row_p_adj(r)} {mark}".rstrip()
        )
        did = r.get("did")
        if did and not one_target:
            lines.append(
                f"    vs controls: DiD {points(did['did'])} {_span(did['did_low'], did['did_high'])}"
                + (" beats*" if did["did_low"] > 0 else " behind*" if did["did_high"] < 0 else "")
            )
        pk = r.get("pass_at_k")
        if pk:
            pk_mark = ("better*" if pk["diff"] > 0 else "worse*") if pk.get("significant") else ""
            lines.append(
                f"    pass@{pk['k']}: {pct(pk.get('base'))} -> {pct(pk.get('cand'))}"
                f"  {points(pk.get('diff'))}"
                f"  p adj {row_p_adj(pk)}"
                f" {pk_mark}".rstrip()
            )
        if r.get("warning"):
            lines.append(f"    ! {r['warning']}")
    metric = str(outcome.get("metric", ""))
    if any(r.get("pass_at_k") for r in outcome.get("rows") or []) or metric.startswith("pass@"):
        lines.append(PASS_AT_K_ESTIMATOR)
    lines += [f"! {w}" for w in outcome.get("warnings") or []]
    if any(" p adj <=" in line for line in lines):
        lines.append(P_BOUND_NOTE)
    return lines


def decision_lines(rec: dict[str, Any]) -> list[str]:
    """``decision: accepted by root at 2026-11-29 13:40`` and, when one was given, the note
    (``note: ...``) and the warning stored with the decision (``! ...``); ``decision: none
    yet`` before anyone accepted or rejected."""
    if not rec.get("decided_by") and not rec.get("decided_at"):
        return ["decision: none yet"]
    verb = "rejected" if rec.get("status") == "rejected" else "accepted"
    when = str(rec.get("decided_at") or "?").replace("T", " ")[:16]
    lines = [f"decision: {verb} by {rec.get('decided_by') or '?'} at {when}"]
    if rec.get("decision_reason"):
        lines.append(f"{'reason' if verb == 'rejected' else 'note'}: {rec['decision_reason']}")
    if rec.get("decision_warning"):
        lines.append(f"! decision warning: {rec['decision_warning']}")
    return lines


def count_text(n: int, noun: str) -> str:
    """``1 intervention``, ``3 interventions``."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def detail_text(rec: dict[str, Any]) -> str:
    """Plain-text detail of one intervention (hypothesis, slices, decision, outcome)."""
    lines = [
        f"#{rec['id']} {rec['title']}  status: {rec['status']}  v{rec['version']}",
        f"hypothesis: {rec['hypothesis']}",
        *(
            [f"expected effect: {points(rec['expected_effect'])} on the targets"]
            if rec.get("expected_effect") is not None
            else []
        ),
        "targets:  " + "; ".join(_label(s) for s in rec["target_slices"]),
        "controls: " + ("; ".join(_label(s) for s in rec["control_slices"]) or "-"),
        f"baseline: {rec['baseline_run']}  result: {rec['result_run'] or '-'}  by {rec['author']}",
        *decision_lines(rec),
    ]
    if rec.get("control_warning"):  # no outcome yet, and none could be read against controls
        lines.append(f"! {rec['control_warning']}")
    outcome = rec.get("outcome")
    if outcome:
        lines += outcome_lines(outcome)
    elif rec["status"] in ("accepted", "running"):
        lines.append("no outcome yet: l links the result run and evaluates")
    return "\n".join(lines)


PROMPTS = {
    "reject": "reason for rejecting {name} (required) · Enter rejects · Esc cancels",
    # a reason that names a regression the outcome does not show is stored with a warning
    "accept": "note for accepting {name} (optional) · Enter goes on · Esc cancels",
}


class InterventionsScreen(CapsliceScreen):
    """List interventions; ``a`` accepts (note, then confirm), ``x`` rejects (asks a reason),
    ``l`` links a result run and evaluates, ``e`` re-evaluates. ``j``/``k`` scroll the detail.

    The one prompt line (``#prompt``) names the intervention it acts on; Escape closes only
    the prompt. The highlighted row is reverse + bold (ResultTable), readable without colour.
    """

    HELP_TITLE = "Interventions"
    HELP_LEGEND = (
        "status: proposed / accepted / running / evaluated / rejected",
        "a: accept (optional note, then y to confirm); x: reject (a reason is required)",
        "n: record a new intervention (a form: title, hypothesis, slices)",
        "l: link the result run (the model trained with the data), chosen from the stored "
        "runs, and evaluate it",
        "e: re-evaluate; verdict: confirmed / refuted / harmful / inconclusive /",
        "  unmeasurable (no control slice, or the evaluation changed; without controls",
        "  the change over the targeted items is shown, labelled uncontrolled, never a DiD)",
        "DiD: target change minus control change; confirmed needs it above 0",
        "detail: targets = slices the intervention should lift, controls = must not drop",
        "better* / worse*: a significant change of that slice; points = percentage points",
        "j / k (or Tab, then arrows): scroll the detail; Esc closes a prompt",
    )
    BINDINGS = [
        *CapsliceScreen.BINDINGS,
        Binding("a", "accept", "Accept", id="intervention-accept"),
        Binding("x", "reject", "Reject", id="intervention-reject"),
        Binding("l", "link", "Link", id="intervention-link", tooltip="Link the result run"),
        Binding(
            "n",
            "new",
            "New",
            show=False,
            id="intervention-new",
            tooltip="Record a new intervention",
        ),
        Binding("e", "evaluate", "Eval", id="intervention-evaluate"),
        Binding("j", "scroll_detail(3)", "Detail down", show=False, id="intervention-detail-down"),
        Binding("k", "scroll_detail(-3)", "Detail up", show=False, id="intervention-detail-up"),
        Binding("r", "reload", "Reload", show=False, id="intervention-reload"),
    ]

    class Loaded(Message):
        """The list (and the selected intervention's detail) arrived from a worker."""

        def __init__(
            self, items: list[dict[str, Any]], detail: dict[str, Any] | None, done: str = ""
        ) -> None:
            super().__init__()
            self.items = items
            self.detail = detail
            self.done = done

    def __init__(self, selected: int | None = None) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []
        self.selected: int | None = selected
        self.detail: dict[str, Any] | None = None
        self.prompting: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Interventions · n new · a accept · x reject · l link · e eval · j/k scroll",
            id="title",
            markup=False,
        )
        yield ResultTable(id="interventions")
        with VerticalScroll(id="intervention-detail"):
            yield Static("", id="detail", markup=False)
        yield Static("", id="prompt-label", markup=False)
        yield Input(id="prompt")
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "interventions"
        self.query_one(ResultTable).set_columns(("id", "status", "verdict", "title"))
        self._close_prompt()
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="interventions")
    def load(self, action: str | None = None, text: str | None = None) -> None:
        """Apply ``action`` (accept/reject/evaluate/link) to the selection, then reload.

        ``text`` is the accept note, the reject reason or the result run's name.
        """
        ws = self.ws
        done = ""
        if action and self.selected is not None and self.detail is not None:
            version = self.detail["version"]
            if action == "accept":
                ws.accept_intervention(self.selected, reason=text, expected_version=version)
                done = f"accepted #{self.selected}"
            elif action == "reject":
                rec = ws.reject_intervention(
                    self.selected, reason=text or "", expected_version=version
                )
                done = f"rejected #{self.selected}" + (
                    " · warning stored with the decision (see detail)"
                    if rec.get("decision_warning")
                    else ""
                )
            elif action == "evaluate":
                rec = ws.evaluate_intervention(self.selected, expected_version=version)
                done = f"evaluated #{self.selected}: {rec.get('verdict')}"
            elif action == "link":
                rec = ws.link_intervention(self.selected, text or "", expected_version=version)
                done = f"linked {text} to #{self.selected}: {rec.get('verdict')}"
        items = ws.interventions()
        selected = (
            self.selected if self.selected is not None else (items[0]["id"] if items else None)
        )
        detail = ws.intervention(selected) if selected is not None else None
        self.post_message(self.Loaded(items, detail, done))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
        changed = (message.detail or {}).get("id") != (self.detail or {}).get("id")
        self.items, self.detail = message.items, message.detail
        self.selected = message.detail["id"] if message.detail else None
        table = self.query_one(ResultTable)
        row = table.cursor_row
        table.set_rows([
            (rec["id"], [cell(rec["id"]), cell(rec["status"]), cell(rec["verdict"] or "-"),
                         cell(rec["title"], 50)])
            for rec in self.items
        ])  # fmt: skip
        ids = [rec["id"] for rec in self.items]
        if self.selected in ids:
            table.move_cursor(row=ids.index(self.selected))
        elif ids:
            table.move_cursor(row=min(max(row, 0), len(ids) - 1))
        self.query_one("#detail", Static).update(
            detail_text(self.detail)
            if self.detail
            else "No intervention yet: n records one (the form of `capslice intervention new`)."
        )
        if changed:
            self.query_one("#intervention-detail", VerticalScroll).scroll_home(animate=False)
        # what was just done is said on the status line, not in a toast over the detail
        self.set_status(
            message.done or f"{count_text(len(self.items), 'intervention')} · j/k scroll the detail"
        )

    @on(DataTable.RowHighlighted, "#interventions")
    def pick(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(ResultTable)  # the cursor now, not a stale event's row
        chosen = table.payload_at(table.cursor_row)
        if chosen is not None and int(chosen) != self.selected:
            self.selected = int(chosen)
            self._close_prompt()
            self.load()

    def action_scroll_detail(self, lines: int) -> None:
        self.query_one("#intervention-detail", VerticalScroll).scroll_relative(
            y=lines, animate=False
        )

    def action_accept(self) -> None:
        self._open_prompt("accept")

    def action_reject(self) -> None:
        self._open_prompt("reject")

    def action_link(self) -> None:
        if self.detail is not None and self.detail["status"] in ("proposed", "rejected"):
            self.set_status(
                f"#{self.detail['id']} is {self.detail['status']}:"
                " accept it (a) before linking a result run"
            )
            return
        if self.detail is None:
            self.set_status("no intervention selected")
            return
        from .run_picker import RunPickerScreen

        rec = self.detail
        name = intervention_name(rec)

        def chosen(run: str | None) -> None:
            if run:
                self.set_status(f"linking {run} to {name}…")
                self.load("link", run)
            else:
                self.set_status(f"{name}: no run linked")

        self.app.push_screen(
            RunPickerScreen(
                f"result run for {name} (baseline {rec['baseline_run']}) · Enter links + evaluates",
                exclude=(str(rec["baseline_run"]),),
                benchmark=str(rec.get("benchmark") or "") or None,
            ),
            chosen,
        )

    def action_new(self) -> None:
        """Open the new-intervention form (baseline and benchmark of the selected one
        pre-filled); the new one is selected when it is saved."""
        from .intervention_new import InterventionFormScreen

        rec = self.detail or {}

        def saved(new_id: int | None) -> None:
            if new_id is not None:
                self.selected = int(new_id)
                self.load()

        self.app.push_screen(
            InterventionFormScreen(
                str(rec.get("baseline_run") or ""), str(rec.get("benchmark") or "")
            ),
            saved,
        )

    def action_evaluate(self) -> None:
        self.load("evaluate")

    def action_reload(self) -> None:
        self.load()

    def action_back(self) -> None:
        """Escape/b close an open prompt first; otherwise go back."""
        if self.prompting is not None:
            what = self.prompting
            self._close_prompt()
            self.set_status(f"{what} cancelled")
            return
        super().action_back()

    def _open_prompt(self, what: str) -> None:
        if self.detail is None:
            self.set_status("no intervention selected")
            return
        # the status is checked before anything is asked (not after a note and a confirm)
        refusal = self.ws.intervention_refusal(self.detail, what)
        if refusal:
            self.set_status(f"not {'accepted' if what == 'accept' else 'rejected'}: {refusal}")
            return
        self.prompting = what
        self.set_status(
            f"{'accepting' if what == 'accept' else 'rejecting'} {intervention_name(self.detail)}"
            " · Enter goes on · Esc cancels"
        )
        label = self.query_one("#prompt-label", Static)
        label.update(PROMPTS[what].format(name=intervention_name(self.detail)))
        label.display = True
        box = self.query_one("#prompt", Input)
        box.value = ""
        box.placeholder = {"reject": "reason", "accept": "note"}[what]
        box.display = True
        self._prompt_holds_focus(True)
        box.focus()
        self.app.clear_notifications()  # a toast must not cover the prompt

    def _prompt_holds_focus(self, holds: bool) -> None:
        """While the prompt is open Tab stays in it: the table and the detail leave the Tab
        order (from them, the next letter typed was a key: ``q`` left the screen, ``a``
        opened another prompt, and the note typed so far was lost)."""
        self.query_one(ResultTable).can_focus = not holds
        self.query_one("#intervention-detail", VerticalScroll).can_focus = not holds

    def _close_prompt(self) -> None:
        self.prompting = None
        self.query_one("#prompt-label", Static).display = False
        box = self.query_one("#prompt", Input)
        box.value = ""
        box.display = False
        self._prompt_holds_focus(False)
        self.query_one(ResultTable).focus()

    @on(Input.Submitted, "#prompt")
    def prompted(self, event: Input.Submitted) -> None:
        event.stop()
        what, text = self.prompting, event.value.strip()
        if what is None or self.detail is None:
            self._close_prompt()
            return
        if what == "reject" and not text:
            self.set_status("not rejected: a reason is required (Esc cancels)")
            return
        self._close_prompt()
        if what == "accept":
            self._confirm_accept(text or None)
        else:
            self.load(what, text)

    def _confirm_accept(self, note: str | None) -> None:
        from .confirm import ConfirmScreen

        assert self.detail is not None
        name = intervention_name(self.detail)
        question = f"Accept intervention {name}?" + (f"\nnote: {note}" if note else "")

        def answered(yes: bool | None) -> None:
            if yes:
                self.set_status(f"accepting {name}…")
                self.load("accept", note)
            else:
                self.set_status(f"{name} not accepted")

        # what is asked now, not what the last key did ("accept cancelled" read on)
        self.set_status(f"accept {name}? y accepts, n or Esc keeps it {self.detail['status']}")
        self.app.push_screen(ConfirmScreen(question), answered)
