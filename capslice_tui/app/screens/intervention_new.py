"""New intervention: the form of ``capslice intervention new`` (title, hypothesis, baseline,
benchmark, target and control slices, expected gain; a plan attached when opened from the
plan screen)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Header, Input, Label, Static

from .base import CapsliceScreen, FormScroll

FIELDS = (
    ("title", "title", "what the data change is"),
    ("hypothesis", "hypothesis", "what it should do, and why"),
    ("baseline", "baseline", "baseline run"),
    ("benchmark", "benchmark", "benchmark of the slices (needed for default controls)"),
    ("targets", "targets", "task_type=algebra; task_type=geometry,output_constraint=int"),
    ("controls", "controls", "empty: each task_type (20+ items) sharing none with a target"),
    ("gain", "gain points", "expected gain on the targets in points (optional), e.g. 5"),
)


def parse_slices(text: str, field: str) -> list[dict[str, str]]:
    """``"a=x,b=y; a=z"`` -> ``[{"a": "x", "b": "y"}, {"a": "z"}]`` (``;`` between slices,
    ``,`` between the axes of one slice).

    Raises:
        ValueError: a part without ``=``, naming the field and the part.
    """
    slices = []
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        where: dict[str, str] = {}
        for part in chunk.split(","):
            if not part.strip():
                continue
            axis, sep, value = part.partition("=")
            if not sep or not axis.strip() or not value.strip():
                raise ValueError(f"{field}: {part.strip()!r} is not AXIS=VALUE")
            where[axis.strip()] = value.strip()
        slices.append(where)
    return slices


def parse_gain(text: str) -> float | None:
    """Points (``"5"``, ``"-2.5"``) -> a proportion (0.05); empty -> None.

    Raises:
        ValueError: not a number, or outside [-100, 100] points.
    """
    if not text.strip():
        return None
    try:
        points = float(text)
    except ValueError:
        raise ValueError(f"gain: {text.strip()!r} is not a number of points") from None
    if not -100 <= points <= 100:
        raise ValueError(f"gain: {points:g} points is outside [-100, 100]")
    return points / 100


class InterventionFormScreen(CapsliceScreen):
    """Fill the fields, Enter in any field records the intervention (proposed).

    Tab / shift+Tab move between fields; Escape or ctrl+b go back without saving. On success
    the screen dismisses with the new intervention's id (callers open or reload the list).

    Args:
        baseline, benchmark: pre-filled values (the plan's baseline and benchmark).
        plan: a :class:`~capslice_tui.planning.mixture.Plan` to attach; with no targets typed, the
            targets are the slices the plan boosts from.
    """

    HELP_TITLE = "New intervention"
    HELP_LEGEND = (
        "targets: slices the change should lift; controls: slices that must not drop",
        "a slice is AXIS=VALUE, several axes joined by ',' ; several slices by ';'",
        "controls empty: chosen for you (each task_type with >= 20 items and no item in a "
        "target); the detail lists the choice",
        "gain: expected change on the targets in percentage points (optional)",
        "Enter: record it as proposed · Tab: next field · Esc or ctrl+b: back, nothing saved",
    )
    BINDINGS = [
        *[b for b in CapsliceScreen.BINDINGS if b.key != "escape"],
        Binding("escape", "back", "Back", id="intervention-new.back"),
        Binding("tab", "app.focus_next", "Next field", id="intervention-new.next-field"),
        # the form is no stop of Tab (a letter typed there left the screen): these scroll it
        Binding(
            "pageup", "scroll_form(-1)", "Scroll up", show=False, id="intervention-new.page-up"
        ),
        Binding(
            "pagedown", "scroll_form(1)", "Scroll down", show=False, id="intervention-new.page-down"
        ),
        Binding("enter", "save", "Save", show=False, id="intervention-new.save"),
    ]

    class Saved(Message):
        """The facade stored the intervention: ``record`` is what it returned."""

        def __init__(self, record: dict[str, Any]) -> None:
            super().__init__()
            self.record = record

    def __init__(self, baseline: str = "", benchmark: str = "", plan: Any = None) -> None:
        super().__init__()
        self.prefill = {"baseline": baseline, "benchmark": benchmark}
        self.plan = plan
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "New intervention · Enter saves · Tab: next field · Esc: back", id="title", markup=False
        )
        with FormScroll(id="intervention-form"):
            for field_id, label, hint in FIELDS:
                with Horizontal(classes="plan-row"):
                    yield Label(label, classes="plan-label intervention-label")
                    yield Input(
                        self.prefill.get(field_id, ""),
                        placeholder=hint,
                        id=f"new-{field_id}",
                        compact=True,
                    )
            yield Static(self._plan_note(), id="new-plan", markup=False)
        yield Static(self._first_status(), id="status")
        yield Footer()

    def _first_status(self) -> str:
        """What to fill in: targets only when no plan gives them (a plan's boosted slices
        stand for targets left empty, as its note says)."""
        needed = ["title", "hypothesis"] + ["baseline"] * (not self.prefill["baseline"])
        if self.plan is None:
            needed.append("targets")
        return "fill in " + ", ".join(needed[:-1]) + " and " + needed[-1] + ", then Enter"

    def _plan_note(self) -> str:
        if self.plan is None:
            return "no plan attached (open this form from the plan screen's n to attach one)"
        boosted = [s.label for s in getattr(self.plan, "slices", []) if s.included]
        lines = [f"plan attached: {self.plan.summary}"]
        if boosted:
            lines.append("targets left empty = the slices it boosts from: " + "; ".join(boosted))
        note = (getattr(self.plan, "control", None) or {}).get("note")
        if note:  # said before saving, as the plan and `capslice intervention new` say it
            lines.append(f"! {note}")
        return "\n".join(lines)

    def on_mount(self) -> None:
        self.sub_title = "new intervention"
        self.query_one("#new-title", Input).focus()

    def value(self, field_id: str) -> str:
        """The stripped text of field ``field_id`` (``title``, ``targets``...)."""
        return self.query_one(f"#new-{field_id}", Input).value.strip()

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        """Check the form and record the intervention in a worker (one at a time)."""
        if self.saving:
            return
        missing = [f for f in ("title", "hypothesis", "baseline") if not self.value(f)]
        if not self.value("targets") and self.plan is None:
            missing.append("targets")
        if missing:
            self.set_status("fill in " + ", ".join(missing) + " first")
            self.query_one(f"#new-{missing[0]}", Input).focus()
            return
        try:
            targets = parse_slices(self.value("targets"), "targets")
            controls = parse_slices(self.value("controls"), "controls")
            gain = parse_gain(self.value("gain"))
        except ValueError as exc:
            self.set_status(str(exc))
            return
        if not controls and not self.value("benchmark"):
            self.set_status("give control slices, or a benchmark to choose them from")
            self.query_one("#new-benchmark", Input).focus()
            return
        self.saving = True
        self.set_status("recording…")
        self.save(
            title=self.value("title"),
            hypothesis=self.value("hypothesis"),
            baseline=self.value("baseline"),
            benchmark=self.value("benchmark") or None,
            targets=targets or None,
            controls=controls or None,
            expected_effect=gain,
            plan=self.plan,
        )

    @work(thread=True, exclusive=True, exit_on_error=False, group="intervention new")
    def save(self, **fields: Any) -> None:
        try:
            record = self.ws.new_intervention(**fields)
        finally:
            self.saving = False
        self.post_message(self.Saved(record))

    @on(Saved)
    def saved(self, message: Saved) -> None:
        rec = message.record
        if rec.get("control_warning"):  # the detail that opens next says it too
            self.notify(
                f"recorded intervention #{rec['id']} (proposed); {rec['control_warning']}",
                markup=False, severity="warning", timeout=12,
            )  # fmt: skip
        else:
            self.notify(f"recorded intervention #{rec['id']} (proposed)", markup=False)
        self.dismiss(rec["id"])

    def action_scroll_form(self, pages: int) -> None:
        """pgup/pgdn: scroll the form (and what it shows under the fields) by ``pages``."""
        form = self.query_one("#intervention-form", FormScroll)
        form.scroll_relative(y=pages * max(1, form.size.height - 1), animate=False)
