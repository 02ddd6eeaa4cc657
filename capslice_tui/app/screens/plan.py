"""Plan screen: weak slices -> mapped cells -> proposed mixture, with the trace and exclusions."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, Static

from .base import CapsliceScreen


def plan_notes(plan: Any) -> str:
    """Plain text: summary, slice decisions (with reasons) and warnings of a plan."""
    lines = [plan.summary]
    for d in plan.slices:
        mark = "boost" if d.included else "skip "
        why = "; ".join(d.reasons) if d.reasons else "rules " + ", ".join(d.rules)
        lines.append(f"{mark} {d.label}: {why}")
        for cause in d.non_data_causes[:3]:
            lines.append(f"      check {cause['cause']}")
    lines += [f"! {w}" for w in plan.warnings]
    return "\n".join(lines)


def trace_text(cell: Any) -> str:
    """Plain text: why one cell was boosted (slice, rule, weight, contribution)."""
    if not cell.trace:
        return f"{cell.id}: not boosted (keeps its replay proportion)"
    lines = [f"{cell.id}: demand {cell.demand:.3f}, target x{cell.target_multiplier:.2f}"]
    for t in cell.trace:
        sl = " & ".join(f"{k}={v}" for k, v in t["slice"].items())
        used = "" if t["counted"] else " (overlap, not counted)"
        lines.append(
            f"  {sl} via {t['rule']} w={t['rule_weight']:g}: {t['contribution']:.3f}{used}"
        )
    return "\n".join(lines)


class PlanScreen(CapsliceScreen):
    """Fill baseline, benchmark, catalog and budget, press Enter (or ``p``) to plan."""

    BINDINGS = [*CapsliceScreen.BINDINGS, Binding("p", "plan", "Plan", id="plan-compute")]

    class Planned(Message):
        """A plan arrived from the worker."""

        def __init__(self, plan: Any) -> None:
            super().__init__()
            self.plan = plan

    def __init__(self) -> None:
        super().__init__()
        self.plan: Any = None

    def compose(self) -> ComposeResult:
        with Vertical():
            with Horizontal(id="plan-inputs"):
                yield Input(placeholder="baseline run", id="baseline")
                yield Input(placeholder="benchmark", id="benchmark")
                yield Input(placeholder="catalog.yaml", id="catalog")
                yield Input(placeholder="budget tokens", id="budget", type="integer")
            yield DataTable(id="cells", cursor_type="row", zebra_stripes=True)
            yield Static("", id="trace", markup=False)
            yield Static("", id="notes", markup=False)
            yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cells", DataTable).add_columns(
            "cell", "base", "new", "x", "epochs", "note"
        )

    def action_plan(self) -> None:
        values = {w.id: w.value.strip() for w in self.query(Input)}
        if not all(values.values()):
            self.set_status("fill baseline, benchmark, catalog and budget first")
            return
        self.set_status("planning ...")
        self.compute(
            values["baseline"], values["benchmark"], values["catalog"], int(values["budget"])
        )

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_plan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def compute(self, baseline: str, benchmark: str, catalog: str, budget: int) -> None:
        """Diagnose and plan in a thread; posts :class:`Planned`."""
        plan = self.ws.plan(baseline, benchmark=benchmark, catalog=catalog, budget_tokens=budget)
        self.post_message(self.Planned(plan))

    @on(Planned)
    def show(self, message: Planned) -> None:
        self.plan = message.plan
        table = self.query_one("#cells", DataTable)
        table.clear()
        for c in self.plan.cells:
            note = ", ".join((["boost"] if c.boosted else []) + c.bounds)
            mult = "-" if c.base_weight == 0 else f"{c.multiplier:.2f}"
            table.add_row(c.id, f"{c.base_weight:.4f}", f"{c.new_weight:.6f}", mult,
                          f"{c.epochs:.2f}", note, key=c.id)  # fmt: skip
        self.query_one("#notes", Static).update(Text(plan_notes(self.plan)))
        self.set_status(f"{len(self.plan.boosted)} boosted of {len(self.plan.cells)} cells")

    @on(DataTable.RowHighlighted, "#cells")
    def pick(self, event: DataTable.RowHighlighted) -> None:
        if self.plan is None or event.row_key.value is None:
            return
        cell = next(c for c in self.plan.cells if c.id == event.row_key.value)
        self.query_one("#trace", Static).update(Text(trace_text(cell)))
