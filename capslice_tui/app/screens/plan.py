"""Plan screen: weak slices -> mapped cells -> proposed mixture, with the trace and exclusions."""

from __future__ import annotations

import shlex
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Header, Input, Label, Static

from ...vocabulary import label as join_slice
from ..format import cell
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen, FormScroll


def plan_notes(plan: Any) -> str:
    """Plain text: summary, what the note and x columns mean (``planning.export.note_lines``:
    x after renormalising, ``repeated``), the diagnosis it honours (verdict and reason in
    words), slice decisions (with reasons) and warnings of a plan."""
    from ...planning.export import note_lines
    from ...planning.mixture import diagnosis_words

    control = (getattr(plan, "control", None) or {}).get("note")
    # what the outcome could be measured against, right under the summary (not below the
    # slice lines, which a benchmark with no finer slice makes many)
    lines = [plan.summary, *([f"! {control}"] if control else [])]
    lines += [f"note: {line}" for line in note_lines(plan)]
    if getattr(plan, "verdict", None) is not None:
        # the CLI's words: which run or pair was diagnosed, a gain worded as one
        lines.append(
            f"diagnosis of {plan.baseline}: "
            + diagnosis_words(
                plan.verdict,
                getattr(plan, "reason", None),
                one_run=bool(getattr(plan, "one_run", False)),
                direction=getattr(plan, "direction", None),
            )
        )
    for d in plan.slices:
        mark = "boost" if d.included else "skip "
        why = "; ".join(d.reasons) if d.reasons else "rules " + ", ".join(d.rules)
        lines.append(f"{mark} {d.label}: {why}")
        for cause in d.non_data_causes[:3]:
            lines.append(f"      check {cause['cause']}")
    lines += [f"! {w}" for w in plan.warnings if w != control]  # said once
    return "\n".join(lines)


def trace_text(cell: Any) -> str:
    """Plain text: why one cell was chosen (slice, rule, weight, contribution), and whether
    it is boosted (its weight rises) or only chosen (``planning.export.cell_note``)."""
    from ...planning.export import cell_note

    if not cell.trace:
        return f"{cell.id}: not boosted (keeps its replay proportion)"
    mark = cell_note(cell).split(",")[0]
    lines = [f"{cell.id} ({mark}): demand {cell.demand:.3f}, target x{cell.target_multiplier:.2f}"]
    for t in cell.trace:
        sl = join_slice(t["slice"])
        used = "" if t["counted"] else " (overlap, not counted)"
        lines.append(
            f"  {sl} via {t['rule']} w={t['rule_weight']:g}: {t['contribution']:.3f}{used}"
        )
    return "\n".join(lines)


CELL_COLUMNS = ("cell", "base w", "new w", "x", "epochs", "note")


CATALOG_HINT = "path to your data catalog YAML"
"""The catalog field's placeholder when capslice knows no catalog for the form's runs (never
the demo's on another store: a plan against the wrong catalog reads like a real one)."""
BUDGET_HINT = "token count"
"""The budget field's placeholder when capslice knows no budget (the training tokens;
the field is 16 columns wide at 80)."""
MISSING_WORDS = {
    "catalog": "catalog (your data catalog, a YAML 'cells:' list)",
    "budget": "budget (the training tokens)",
}
"""How the status names a field left empty that the plan needs."""


class PlanScreen(CapsliceScreen):
    """Fill baseline, benchmark, catalog and budget (and a candidate to plan from the change
    baseline -> candidate, as ``capslice plan --candidate``), press Enter (or ``p``) to
    plan.

    Catalog and budget start empty (placeholders say what to type) and are filled with what
    capslice knows for the form's run(s) and benchmark (:meth:`Workspace.plan_inputs`, as
    ``diagnose``'s ``next:`` line: an intervention's plan on the benchmark, the demo's for
    the demo's runs), on opening and when Enter finds them empty or looked up for other
    runs; a value filled in by Enter is shown before anything is planned with it, and a
    field capslice knows nothing for is named in the status, never planned without."""

    HELP_TITLE = "Sampling plan"
    HELP_LEGEND = (
        "inputs: baseline run, its benchmark, a data catalog YAML, budget in tokens "
        "(catalog and budget filled in where capslice knows them: an intervention's plan on "
        "the benchmark, the demo's for the demo's runs; else empty, yours to fill); "
        "candidate (optional): a later run, to plan from the change baseline -> candidate "
        "(opened from a compare or a diagnosis of a pair, the pair is filled in)",
        "Enter in an input plans; Tab moves to the table; Esc goes back",
        "base w / new w: a cell's share of the mixture before / after the plan",
        "x: new weight / base weight after renormalising to sum 1 (- when the cell was not "
        "in the mixture)",
        "epochs: how many times the budget reads the cell's tokens",
        "note: boosted = weak slices map to this cell and its weight rises; chosen = they map "
        "to it but its boost is smaller than the renormalisation (or, with at epochs, the epoch "
        "cap holds it), so its weight does not rise; "
        "at cap = the new weight sits at the "
        "multiplier cap; at epochs = its tokens at the epoch cap; capped = the boost asked "
        "for was above the multiplier cap and cut to it (before renormalising, so x reads "
        "below the cap); repeated = epochs > 1, the cell's tokens read more than once",
        "boost/skip lines: which weak slices the plan acts on, and why",
        "data is boosted only when the diagnosis says data (the CLI's --force overrides)",
        "! lines: warnings; check ...: possible non-data causes",
        "after a plan (the table has the focus): x exports it (megatron, yaml, json, md) to a "
        "file; n records an intervention with it attached; j/k scroll the notes; Tab goes "
        "back to the fields (Enter there re-plans)",
        "Tab cycles the fields and the table only: a letter typed in a field is text, never "
        "a key (b, q); ctrl+b leaves while typing",
    )
    # Inputs swallow plain keys, so the footer shows the keys that still work while typing.
    BINDINGS = [
        *[b for b in CapsliceScreen.BINDINGS if b.key != "escape"],
        Binding("p", "plan", "Plan", id="plan-compute"),
        Binding("escape", "back", "Back", id="plan.back"),
        Binding("tab", "app.focus_next", "Next field", id="plan.next-field"),
        Binding("enter", "plan", "Plan", show=False, id="plan.enter"),
        Binding(
            "x",
            "export",
            "Export",
            show=False,
            id="plan.export",
            tooltip="Write the mixture to a file",
        ),
        Binding("j", "scroll_notes(3)", "Notes down", show=False, id="plan.notes-down"),
        Binding("k", "scroll_notes(-3)", "Notes up", show=False, id="plan.notes-up"),
        Binding(
            "n",
            "new_intervention",
            "Intervention",
            show=False,
            id="plan.intervention",
            tooltip="Record an intervention with this plan attached",
        ),
    ]

    class Planned(Message):
        """A plan arrived from the worker."""

        def __init__(self, plan: Any) -> None:
            super().__init__()
            self.plan = plan

    class BaselineBenchmarks(Message):
        """The benchmarks of the run the screen was opened on, and the catalog and budget
        capslice knows for a plan of it (``Workspace.plan_inputs``), from the worker."""

        def __init__(
            self,
            benchmarks: list[str],
            inputs: dict[str, Any] | None = None,
            key: tuple[str, str, str] = ("", "", ""),
            asked: bool = False,
        ) -> None:
            super().__init__()
            self.benchmarks = benchmarks
            self.inputs = inputs or {}
            self.key = key  # (baseline, candidate, benchmark) the inputs were looked up for
            self.asked = asked  # by Enter: plan when nothing changed

    STATUS_FOLDS = True

    def __init__(self, baseline: str = "", candidate: str = "", benchmark: str = "") -> None:
        """``baseline``: the run to plan from (the menu passes the run of the screen it was
        opened from, :func:`.menu.context_run`); its benchmark is filled in too when it has
        only one. ``candidate``, ``benchmark``: the pair's (the menu passes the pair of a
        compare or a diagnosis of base -> cand, :func:`.menu.context_pair`), so the plan is
        the pair's, as ``capslice plan --baseline base --candidate cand``. Filled-in fields
        keep their text when typed in (a key extends it)."""
        super().__init__()
        self.plan: Any = None
        # the catalog and budget capslice put in the fields (field -> value), and the
        # (baseline, candidate, benchmark) it looked them up for: a field still holding its
        # value is looked up again before planning other runs or another benchmark
        self.filled: dict[str, str] = {}
        self.looked_up: tuple[str, str, str] | None = None
        self.opened_status = ""  # the status saying which run(s) a pair or a refill put here
        self.baseline = baseline
        self.candidate = candidate
        self.benchmark = benchmark

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            "Sampling plan · Enter plans · Tab: table · Esc: back", id="title", markup=False
        )
        with Horizontal(classes="plan-row"):
            yield Label("baseline", classes="plan-label")
            yield Input(
                self.baseline,
                placeholder="run name",
                id="baseline",
                compact=True,
                select_on_focus=False,  # a filled-in value is extended, not wiped by a key
            )
            yield Label("benchmark", classes="plan-label")
            yield Input(
                self.benchmark,
                placeholder="e.g. math",
                id="benchmark",
                compact=True,
                select_on_focus=False,
            )
        with Horizontal(classes="plan-row"):
            yield Label("catalog", classes="plan-label")
            yield Input(
                "",
                placeholder=CATALOG_HINT,
                id="catalog",
                compact=True,
                select_on_focus=False,
            )
            yield Label("budget", classes="plan-label")
            yield Input(
                "",
                placeholder=BUDGET_HINT,
                id="budget",
                type="integer",
                compact=True,
                select_on_focus=False,
            )
        with Horizontal(classes="plan-row"):
            yield Label("candidate", classes="plan-label")
            yield Input(
                self.candidate,
                placeholder="optional: a later run, to plan from the change baseline -> it",
                id="candidate",
                compact=True,
                select_on_focus=False,
            )
        yield ResultTable(id="cells")
        with FormScroll(id="plan-notes"):
            yield Static("", id="trace", markup=False)
            yield Static("", id="notes", markup=False)
        yield Static("fill in baseline and benchmark, then Enter", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "sampling plan"
        self.query_one(ResultTable).set_columns(CELL_COLUMNS)
        if self.baseline and self.candidate:
            # the key first: a long pair is cut at the end of the line, not the key
            self.opened_status = (f"Enter plans the pair you were on, {self.baseline} -> "
                                  f"{self.candidate} (as capslice plan --candidate)")  # fmt: skip
            self.set_status(self.opened_status)
            self._read_benchmarks(self.baseline, self.candidate, self.benchmark)
        elif self.baseline:
            self.set_status(f"baseline {self.baseline} (the run you were on): fill in the "
                            "benchmark, then Enter")  # fmt: skip
            self._read_benchmarks(self.baseline, "", self.benchmark)

    def refill(self, baseline: str = "", candidate: str = "", benchmark: str = "") -> None:
        """Fill the form with another run or pair (menu ``p`` from a screen above this one,
        on ``baseline``, or the pair ``baseline -> candidate`` on ``benchmark``), as a plan
        screen opened there would be: a catalog and budget the user typed kept, those
        capslice filled in looked up again for the new runs (:meth:`_fill_known`), the plan
        on screen (of the form's old runs) cleared, the status saying what changed. Nothing
        changes when the form already holds them."""
        boxes = {name: self.query_one(f"#{name}", Input) for name in ("baseline", "candidate")}
        bench = self.query_one("#benchmark", Input)
        old = {name: box.value.strip() for name, box in boxes.items()}
        if old == {"baseline": baseline, "candidate": candidate} and benchmark in ("", bench.value):
            return
        if not candidate and baseline in old.values():
            return  # a run of the form's pair (a discover opened from this plan, on its base)
        self.baseline, self.candidate, self.benchmark = baseline, candidate, benchmark
        boxes["baseline"].value, boxes["candidate"].value = baseline, candidate
        bench.value = benchmark or (bench.value if old["baseline"] == baseline else "")
        self.plan = None
        self.query_one(ResultTable).set_rows([])
        for box in ("#trace", "#notes"):
            self.query_one(box, Static).update("")
        self.query_one("#title", Static).update(
            "Sampling plan · Enter plans · Tab: table · Esc: back"
        )
        boxes["baseline"].focus()
        was = " -> ".join(v for v in old.values() if v) or "empty"
        now = f"the pair you were on, {baseline} -> {candidate}" if candidate else baseline
        self.opened_status = f"Enter plans {now} (the form had {was})"
        self.set_status(self.opened_status)
        # what capslice knows for the new runs, in the fields it filled (typed ones kept)
        self._read_benchmarks(baseline, candidate, bench.value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan-baseline")
    def _read_benchmarks(
        self, run: str, candidate: str = "", benchmark: str = "", asked: bool = False
    ) -> None:
        """The benchmarks ``run`` has scores on (:meth:`Workspace.runs`), and the catalog and
        budget known for a plan of ``run`` (and ``candidate``) on ``benchmark`` (else the
        run's only one; :meth:`Workspace.plan_inputs`: an intervention's plan, the demo's).
        ``asked``: Enter asked for them (the form lacked them, or they were looked up for
        other runs or another benchmark)."""
        found = next((r for r in self.ws.runs() if r["name"] == run), None)
        benchmarks = list((found["benchmarks"] or {}) if found else {})
        bench = benchmark or (benchmarks[0] if len(benchmarks) == 1 else "")
        runs = [run, *([candidate] if candidate else [])]
        inputs = self.ws.plan_inputs(runs, bench or None)
        key = (run, candidate, bench)
        self.post_message(self.BaselineBenchmarks(benchmarks, inputs, key, asked))

    def _form_key(self) -> tuple[str, str, str]:
        """(baseline, candidate, benchmark) as the form holds them."""
        values = {w.id: w.value.strip() for w in self.query(Input)}
        return (values.get("baseline", ""), values.get("candidate", ""),
                values.get("benchmark", ""))  # fmt: skip

    @on(BaselineBenchmarks)
    def _fill_benchmark(self, message: BaselineBenchmarks) -> None:
        box = self.query_one("#benchmark", Input)
        one = len(message.benchmarks) == 1 and not box.value.strip()
        if one:
            box.value = message.benchmarks[0]
        changed = self._fill_known(message.inputs)
        self.looked_up = message.key
        source = str(message.inputs.get("source") or "")
        said = f"{' and '.join(changed)} filled in: {source}" if changed and source else ""
        missing = [n for n in ("catalog", "budget") if not self.query_one(f"#{n}", Input).value]
        if message.asked:  # Enter asked: plan only when nothing changed under the user's eyes
            if changed:
                self.set_status(f"{said} (check them) · Enter plans")
            elif missing:
                self._refuse(missing, message.key)
            else:
                self.action_plan()
            return
        if not box.value.strip() or not (one or changed or missing):
            return  # the status set on mount or refill says it
        what = (
            f"the change {self.baseline} -> {self.candidate} on {box.value} (the pair you were on)"
            if self.candidate
            else f"baseline {self.baseline} on {box.value} (the run you were on)"
        )
        if self.opened_status and not one:  # what the form was opened or refilled with
            todo = f"first fill in {' and '.join(missing)}" if missing else ""
            self.set_status(" · ".join(x for x in (self.opened_status, todo, said) if x))
            return
        todo = f"fill in {' and '.join(missing)}, then Enter" if missing else "Enter plans"
        self.set_status(" · ".join(x for x in (f"{what}: {todo}", said) if x))

    def _fill_known(self, inputs: dict[str, Any]) -> list[str]:
        """Put the catalog and budget capslice knows (``inputs``, :meth:`Workspace.plan_inputs`)
        in the fields that are empty or still hold what capslice put there before (never over
        what the user typed); a field capslice filled for other runs and now knows nothing
        for is emptied. Returns the fields whose value changed."""
        changed = []
        for name, key in (("catalog", "catalog"), ("budget", "budget_tokens")):
            box = self.query_one(f"#{name}", Input)
            known = str(inputs.get(key) or "")
            if box.value.strip() and box.value != self.filled.get(name):
                continue  # the user's
            if box.value != known:
                box.value = known
                changed += [name] if known else []
            self.filled[name] = known
        return changed

    def _refuse(self, missing: list[str], key: tuple[str, str, str]) -> None:
        """Say which of catalog and budget the plan needs and capslice does not know for the
        run(s) and benchmark of ``key``."""
        base, cand, bench = key
        runs = f"{base} -> {cand}" if cand else base
        self.set_status(
            f"fill in {' and '.join(MISSING_WORDS[m] for m in missing)} first: capslice "
            f"knows none for {runs} on {bench} (no intervention's plan on it, not the demo's "
            "runs)"
        )

    def action_plan(self) -> None:
        values = {w.id: w.value.strip() for w in self.query(Input)}
        missing = [name for name, value in values.items() if not value and name != "candidate"]
        if "baseline" in missing or "benchmark" in missing:  # catalog and budget may be known
            first = [m for m in ("baseline", "benchmark") if m in missing]
            self.set_status("fill in " + ", ".join(first) + " first")
            return
        key = self._form_key()
        stale = key != self.looked_up and any(
            values[n] and values[n] == self.filled.get(n) for n in ("catalog", "budget")
        )
        if missing or stale:  # what capslice knows for these runs, filled in before a plan
            self.set_status(f"looking up a catalog and budget for {key[0]} on {key[2]} ...")
            self._read_benchmarks(key[0], key[1], key[2], asked=True)
            return
        candidate = values.get("candidate") or None
        what = (
            f"the change {values['baseline']} -> {candidate}" if candidate else values["baseline"]
        )
        self.set_status(f"planning from {what} ...")
        self.compute(
            values["baseline"], values["benchmark"], values["catalog"], int(values["budget"]),
            candidate,
        )  # fmt: skip

    def app_terms(self, text: str) -> str:
        """``--force boosts anyway`` (this form has no force) as the whole ``capslice plan``
        command of the form's inputs with ``--force``."""
        if "--force boosts anyway" not in text:
            return text
        values = {w.id: w.value.strip() for w in self.query(Input)}
        store = getattr(self.app, "store_path", None)
        words = ["capslice", *(["--store", str(store)] if store else []), "plan"]
        words += ["--baseline", values.get("baseline") or "RUN"]
        words += ["--candidate", values["candidate"]] if values.get("candidate") else []
        words += ["--benchmark", values.get("benchmark") or "BENCHMARK"]
        # a field left empty: the placeholders of diagnose's next: line
        from ...report import BUDGET_PLACEHOLDER, CATALOG_PLACEHOLDER

        words += ["--catalog", values.get("catalog") or CATALOG_PLACEHOLDER]
        words += ["--budget-tokens", values.get("budget") or BUDGET_PLACEHOLDER, "--force"]
        return text.replace("--force boosts anyway", f"`{shlex.join(words)}` boosts anyway")

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_plan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def compute(
        self, baseline: str, benchmark: str, catalog: str, budget: int, candidate: str | None = None
    ) -> None:
        """Diagnose and plan in a thread (the change ``baseline -> candidate`` when a
        candidate is given, as the CLI); posts :class:`Planned`."""
        plan = self.ws.plan(
            baseline, benchmark=benchmark, catalog=catalog, budget_tokens=budget,
            candidate=candidate,
        )  # fmt: skip
        self.post_message(self.Planned(plan))

    @on(Planned)
    def show(self, message: Planned) -> None:
        from ...planning.export import cell_note

        self.plan = message.plan
        rows = []
        for c in self.plan.cells:
            note = cell_note(c)  # the CLI's and the Markdown export's words
            mult = "-" if c.base_weight == 0 else f"{c.multiplier:.2f}"
            rows.append((c.id, [cell(c.id, 26), cell(f"{c.base_weight:.4f}"),
                                cell(f"{c.new_weight:.4f}"), cell(mult),
                                cell(f"{c.epochs:.2f}"), cell(note, 18)]))  # fmt: skip
        self.query_one(ResultTable).set_rows(rows)
        # which run or pair it planned from, in the CLI table's title
        title = self.plan.title() if hasattr(self.plan, "title") else "Sampling plan"
        keys = " · Enter re-plans · Esc: back"  # left to the footer when the title needs room
        room = self.app.size.width - 2
        self.query_one("#title", Static).update(title + (keys if len(title + keys) <= room else ""))
        self.query_one("#notes", Static).update(Text(self.app_terms(plan_notes(self.plan))))
        no_control = (getattr(self.plan, "control", None) or {}).get("note")
        self.set_status(
            f"{len(self.plan.boosted)} boosted of {len(self.plan.cells)} cells"
            + (f" · ! {no_control.split(':')[0]} (see notes)" if no_control else "")
            + " · x: export · n: intervention"
        )
        if rows:
            self._trace(rows[0][0])
        # Off the inputs, so x and n are commands, not text typed into a field.
        self.query_one(ResultTable).focus()

    def action_scroll_notes(self, lines: int) -> None:
        """``j``/``k`` (the table has the focus): scroll the notes under it by ``lines``."""
        self.query_one("#plan-notes", FormScroll).scroll_relative(y=lines, animate=False)

    def action_export(self) -> None:
        """Open the export form for the plan on screen (megatron, yaml, json or md)."""
        if self.plan is None:
            self.set_status("plan first (Enter in a field), then x exports it")
            return
        from .plan_export import PlanExportScreen

        def written(path: Any) -> None:
            if path is not None:  # the name fits the status line; the toast has the folder
                self.set_status(f"wrote {path.name} · x: export again · n: intervention")
                self.notify(f"plan written: {path}", markup=False)

        baseline = self.plan.baseline or self.query_one("#baseline", Input).value.strip()
        # a pair's file name without a shell character: plan-a-to-b.yaml
        name = str(baseline).replace(" -> ", "-to-")
        self.app.push_screen(PlanExportScreen(self.plan, name), written)

    def action_new_intervention(self) -> None:
        """Record an intervention with the plan on screen attached (baseline and benchmark
        pre-filled; a pair's plan: its candidate, whose weak slices the data should lift, as
        the CLI's next step says); when saved, the interventions screen opens on it."""
        if self.plan is None:
            self.set_status("plan first (Enter in a field), then n records an intervention")
            return
        if getattr(self.plan, "targets_shrink", False):  # walk 18 F9, as the CLI's next line
            self.set_status(
                "no intervention with this plan: the cells it targets lose weight (the epoch "
                "cap; see the summary): plan again with the budget or cap it names"
            )
            return
        from .intervention_new import InterventionFormScreen
        from .interventions import InterventionsScreen

        def saved(new_id: Any) -> None:
            if new_id is not None:
                self.app.push_screen(InterventionsScreen(selected=int(new_id)))

        benchmark = self.query_one("#benchmark", Input).value.strip()
        baseline = str(self.plan.baseline or self.query_one("#baseline", Input).value.strip())
        if not getattr(self.plan, "one_run", True) and " -> " in baseline:
            baseline = baseline.split(" -> ", 1)[1]
        self.app.push_screen(InterventionFormScreen(baseline, benchmark, plan=self.plan), saved)

    @on(DataTable.RowHighlighted, "#cells")
    def pick(self, event: DataTable.RowHighlighted) -> None:
        cell_id = self.query_one(ResultTable).payload_at(event.cursor_row)
        if self.plan is not None and cell_id is not None:
            self._trace(cell_id)

    def _trace(self, cell_id: str) -> None:
        found = next((c for c in self.plan.cells if c.id == cell_id), None)
        if found is not None:
            self.query_one("#trace", Static).update(Text(trace_text(found)))
