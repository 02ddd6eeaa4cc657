"""Interventions screen: the log by status, one intervention's detail, accept/reject by key."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Static

from ..format import cell
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen


def _label(s: dict[str, Any]) -> str:
    return " & ".join(f"{k}={v}" for k, v in s.items())


def detail_text(rec: dict[str, Any]) -> str:
    """Plain-text detail of one intervention (hypothesis, slices, decision, outcome)."""
    lines = [
        f"#{rec['id']} {rec['title']}  status: {rec['status']}  v{rec['version']}",
        f"hypothesis: {rec['hypothesis']}",
        "targets:  " + "; ".join(_label(s) for s in rec["target_slices"]),
        "controls: " + ("; ".join(_label(s) for s in rec["control_slices"]) or "-"),
        f"baseline: {rec['baseline_run']}  result: {rec['result_run'] or '-'}  by {rec['author']}",
        f"decision: {rec['decision_reason'] or '-'} ({rec['decided_by'] or '-'})",
    ]
    outcome = rec.get("outcome")
    if outcome:
        lines.append(f"verdict: {outcome['verdict']} - {outcome['reason']}")
        for r in outcome["rows"]:
            mark = ("better*" if r["diff"] > 0 else "worse*") if r["significant"] else ""
            lines.append(
                f"  {r['role']:<7} {_label(r['slice'])[:40]:<40} n={r['n_items']:<4} "
                f"{100 * r['diff']:+.1f} pts {mark}"
            )
        lines += [f"  ! {w}" for w in outcome["warnings"]]
    return "\n".join(lines)


class InterventionsScreen(CapsliceScreen):
    """List interventions; ``a`` accepts, ``x`` rejects (asks a reason), ``e`` re-evaluates."""

    HELP_TITLE = "Interventions"
    HELP_LEGEND = (
        "status: proposed / accepted / rejected (a reason is required to reject)",
        "verdict: the outcome after evaluation (e) against the result run",
        "detail: targets = slices the intervention should lift, controls = must not drop",
        "better* / worse*: a significant change of that slice; pts = percentage points",
    )
    BINDINGS = [
        *CapsliceScreen.BINDINGS,
        Binding("a", "accept", "Accept", id="intervention-accept"),
        Binding("x", "reject", "Reject", id="intervention-reject"),
        Binding("e", "evaluate", "Evaluate", id="intervention-evaluate"),
        Binding("r", "reload", "Reload", show=False, id="intervention-reload"),
    ]

    class Loaded(Message):
        """The list (and the selected intervention's detail) arrived from a worker."""

        def __init__(self, items: list[dict[str, Any]], detail: dict[str, Any] | None) -> None:
            super().__init__()
            self.items = items
            self.detail = detail

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []
        self.selected: int | None = None
        self.detail: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Interventions · a accept · x reject · e evaluate · r reload", id="title", markup=False
        )
        with Vertical():
            yield ResultTable(id="interventions")
            yield Static("", id="detail", markup=False)
            yield Input(placeholder="reason for rejecting, then Enter", id="reason")
            yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "interventions"
        self.query_one(ResultTable).set_columns(("id", "status", "verdict", "title"))
        self.query_one("#reason", Input).display = False
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="interventions")
    def load(self, action: str | None = None, reason: str | None = None) -> None:
        """Apply ``action`` (accept/reject/evaluate) to the selection, then reload."""
        ws = self.ws
        if action and self.selected is not None and self.detail is not None:
            version = self.detail["version"]
            if action == "accept":
                ws.accept_intervention(self.selected, expected_version=version)
            elif action == "reject":
                ws.reject_intervention(self.selected, reason=reason or "", expected_version=version)
            elif action == "evaluate":
                ws.evaluate_intervention(self.selected, expected_version=version)
        items = ws.interventions()
        selected = (
            self.selected if self.selected is not None else (items[0]["id"] if items else None)
        )
        detail = ws.intervention(selected) if selected is not None else None
        self.post_message(self.Loaded(items, detail))

    @on(Loaded)
    def show(self, message: Loaded) -> None:
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
            else "No intervention yet: use `capslice intervention new`."
        )
        self.set_status(f"{len(self.items)} interventions")

    @on(DataTable.RowHighlighted, "#interventions")
    def pick(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one(ResultTable)  # the cursor now, not a stale event's row
        chosen = table.payload_at(table.cursor_row)
        if chosen is not None and int(chosen) != self.selected:
            self.selected = int(chosen)
            self.load()

    def action_accept(self) -> None:
        self.load("accept")

    def action_evaluate(self) -> None:
        self.load("evaluate")

    def action_reload(self) -> None:
        self.load()

    def action_reject(self) -> None:
        box = self.query_one("#reason", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#reason")
    def rejected(self, event: Input.Submitted) -> None:
        event.input.display = False
        reason = event.value.strip()
        event.input.value = ""
        if reason:
            self.load("reject", reason)
        else:
            self.set_status("not rejected: a reason is required")
