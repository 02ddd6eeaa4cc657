"""Plans and interventions: the facade over :mod:`capslice_tui.planning.mixture` and the intervention log.

Front ends call these methods only. Planning reads the diagnosis (``self.diagnose``), the data
taxonomy, the mapping rules and a catalog; the intervention log lives in the store
(``store/interventions.py``); outcomes pair the baseline and result runs item by item with
:func:`capslice_tui.workspace.diagnose.align_runs` and judge them with
:func:`capslice_tui.analysis.outcome.evaluate_outcome`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from ..analysis.outcome import (
    DEFAULT_Q,
    DEFAULT_TOLERANCE,
    OUTCOME_KEY,
    claims_regression,
    evaluate_outcome,
    no_control_text,
    outcome_name,
    regression_warning,
    settings_change,
)
from ..formatting import pct, plural, points
from ..planning.export import check_plan_dict
from ..planning.mixture import (
    DEFAULT_MAX_EPOCHS,
    DEFAULT_MAX_MULTIPLIER,
    DEFAULT_MIN_WRONG_ANSWER_SHARE,
    DEFAULT_STRENGTH,
    Plan,
    build_plan,
)
from ..store import AXES, StoreError, current_user
from ..taxonomy.catalog import Catalog, load_catalog
from ..taxonomy.data import DataTaxonomy, load_data_taxonomy
from ..taxonomy.mapping import MappingRules, load_mapping
from .results import Intervention, InterventionRow, OutcomeDict

SLICE_KEYS = ("task", "benchmark", *AXES)
__all__ = ["SLICE_KEYS", "PlanMixin", "no_control_text"]  # no_control_text: the app's words too


class PlanMixin:
    """Sampling plans from weak slices, and the intervention log with measured outcomes."""

    store: Any
    taxonomy_dir: Path | None

    # ---- taxonomies -------------------------------------------------------------------
    @property
    def data_taxonomy(self) -> DataTaxonomy:
        """The data taxonomy (``taxonomy_dir/data.yaml`` or the packaged default), loaded once."""
        cached = getattr(self, "_data_taxonomy", None)
        if cached is None:
            cached = load_data_taxonomy(self.taxonomy_dir)
            self._data_taxonomy = cached
        return cached

    @property
    def mapping_rules(self) -> MappingRules:
        """The mapping rules (``taxonomy_dir/mapping.yaml`` or the default), validated against
        the evaluation and data taxonomies, loaded once."""
        cached = getattr(self, "_mapping_rules", None)
        if cached is None:
            cached = load_mapping(self.taxonomy_dir, self.axes(), self.data_taxonomy)  # type: ignore[attr-defined]
            self._mapping_rules = cached
        return cached

    def plan_inputs(self, runs: Sequence[str], benchmark: str | None) -> dict[str, Any]:
        """The data catalog and token budget a plan of ``runs`` on ``benchmark`` would be
        given, where capslice knows them (a diagnosis' ``next:`` step names them instead of
        placeholders).

        Known from, in order: the newest intervention on ``benchmark`` that has a plan
        attached whose catalog file still exists (its catalog and budget); else, when every
        one of ``runs`` was ingested from the bundled demo data, the demo's catalog
        (``sample_data/catalog.yaml``) and budget (:data:`.demo.DEMO_BUDGET_TOKENS`).

        Returns:
            ``{"catalog": path or None, "budget_tokens": int or None, "source": words}``: the
            path relative to the working folder when inside it, else absolute; ``source``
            names where they came from (``the plan of intervention #3``, ``the demo's``),
            ``""`` when neither is known. A run not in the store counts as not the demo's.
        """
        for row in self.interventions():
            if benchmark is None or row.get("benchmark") != benchmark:
                continue
            plan = self.store.get_intervention(row["id"]).get("plan") or {}
            catalog = plan.get("catalog")
            if catalog and Path(catalog).is_file():
                budget = plan.get("budget_tokens")
                return {"catalog": _shown_path(Path(catalog)), "source": f"the plan of "
                        f"intervention #{row['id']}", "budget_tokens": int(budget) if budget else None}  # fmt: skip
        from .demo import DEMO_BUDGET_TOKENS, sample_data_dir

        demo = sample_data_dir().resolve()
        catalog_path = demo / "catalog.yaml"
        files: list[str] = []
        for run in runs:
            try:
                files += self.store.get_run(run).get("source_files") or [""]
            except (StoreError, KeyError, LookupError):
                files.append("")
        if runs and catalog_path.is_file() and all(_inside(f, demo) for f in files):
            return {"catalog": _shown_path(catalog_path), "source": "the demo's",
                    "budget_tokens": DEMO_BUDGET_TOKENS}  # fmt: skip
        return {"catalog": None, "budget_tokens": None, "source": ""}

    def load_catalog(self, path: str | Path) -> Catalog:
        """Read and validate a data catalog (YAML ``cells:`` list or CSV).

        Raises:
            TaxonomyError: naming file, line and field.
        """
        return load_catalog(path, self.data_taxonomy)

    # ---- plans --------------------------------------------------------------------------
    def plan(
        self,
        baseline: str,
        *,
        benchmark: str,
        catalog: str | Path | Catalog,
        budget_tokens: int,
        candidate: str | None = None,
        reference: str | None = None,
        max_multiplier: float = DEFAULT_MAX_MULTIPLIER,
        max_epochs: float = DEFAULT_MAX_EPOCHS,
        strength: float = DEFAULT_STRENGTH,
        min_wrong_answer_share: float = DEFAULT_MIN_WRONG_ANSWER_SHARE,
        q: float = DEFAULT_Q,
        force: bool = False,
    ) -> Plan:
        """Diagnose and plan: weak slices of ``baseline`` (weakness mode) or of the change
        ``baseline -> candidate`` (change mode) mapped to a new mixture of ``catalog``.

        The plan honours the diagnosis of the same pair or run (``self.diagnose``): data is
        boosted only when its verdict is ``data``; otherwise every slice is set aside with the
        verdict and its reason in words, and the mixture is kept, unless ``force``. A ``data``
        verdict with reason ``broad_capability`` targets the benchmark's whole domain
        (:meth:`domain_slices`) through the mapping rules.

        Args:
            baseline: run name; benchmark: benchmark to diagnose.
            catalog: a path or a loaded :class:`Catalog`.
            budget_tokens: training tokens for the new mixture.
            candidate: a later run; when given, the change diagnosis of ``baseline ->
                candidate`` drives the plan (else the weakness diagnosis of ``baseline``).
            reference: reference run for weakness mode (see ``diagnose``).
            max_multiplier, max_epochs, strength, min_wrong_answer_share, q: see
                :func:`capslice_tui.planning.mixture.build_plan`.
            force: boost data although the diagnosis is not ``data``; the plan records it
                (``Plan.forced``, its summary and warnings). The per-slice checks still apply.

        Raises:
            NotFound, ValueError, TaxonomyError, PlanError: bad runs, catalog or parameters.
        """
        cat = catalog if isinstance(catalog, Catalog) else self.load_catalog(catalog)
        diag = self.diagnose(  # type: ignore[attr-defined]
            baseline, candidate, benchmark=benchmark, reference=reference
        )
        diagnosis = diag.to_dict()
        verdict = getattr(diag.verdict, "verdict", None) or diagnosis.get("verdict")
        reason = getattr(diag.verdict, "reason", None) or diagnosis.get("reason")
        diagnosis["verdict"], diagnosis["reason"] = verdict, reason
        notes: list[str] = []
        if verdict == "data" and reason == "broad_capability":
            diagnosis["slices"], notes = self.domain_slices(
                baseline, benchmark, candidate=candidate, reference=reference,
                failure_modes=diagnosis.get("failure_modes"),
            )  # fmt: skip
        plan = self.plan_from_diagnosis(
            diagnosis, cat, budget_tokens, max_multiplier=max_multiplier,
            max_epochs=max_epochs, strength=strength,
            min_wrong_answer_share=min_wrong_answer_share, q=q, force=force,
        )  # fmt: skip
        plan.warnings.extend(notes)
        if plan.included:  # the targets an intervention recorded with the plan takes
            room = self.control_room(
                candidate or baseline, benchmark, [d.slice for d in plan.included], who="plan"
            )
            plan.control = room
            if room["note"]:
                plan.warnings.append(room["note"])
        return plan

    def domain_slices(
        self,
        baseline: str,
        benchmark: str,
        *,
        candidate: str | None = None,
        reference: str | None = None,
        failure_modes: Mapping[str, Mapping[str, int]] | None = None,
    ) -> tuple[list[dict[str, Any]], list[str]]:
        """The benchmark's whole domain as plan slices, for a broad capability gap.

        The items of ``benchmark`` are grouped by their labels (every labelled axis; items
        with no label are left out and counted in the notes). Each group is one slice whose
        deficit is the benchmark's overall shortfall times the group's share of the items, so
        the shares sum to the whole shortfall and the mapping rules select the data of the
        whole domain in proportion to what the benchmark holds. The shortfall is, as a
        proportion: ``baseline - candidate`` (change mode, paired items, mean per-item
        accuracy); ``reference - baseline`` (weakness mode with a reference run, paired items);
        else the baseline's error rate ``1 - accuracy`` (weakness mode against perfect).
        ``wrong_answer_share`` is the share of wrong answers among the failing samples of the
        run that fails (``failure_modes`` of the diagnosis), or None when not given.

        Returns:
            (slices in the form :func:`capslice_tui.planning.mixture.build_plan` takes, with ``scope:
            domain``; notes, one plain sentence each).

        Raises:
            NotFound: unknown run. ValueError: no item of ``benchmark`` (or none shared).
        """
        import numpy as np

        from ..store.samples import UNLABELLED
        from .diagnose import align_runs

        run = self.store.get_run(baseline)
        failing_run = candidate or baseline
        if candidate is not None or reference is not None:
            other = self.store.get_run(candidate or reference)
            first, second = (run, other) if candidate is not None else (other, run)
            al = align_runs(self.store, first["id"], second["id"], benchmark)
            before = float(np.mean(al.base_c / al.base_n))
            after = float(np.mean(al.cand_c / al.cand_n))
            shortfall = before - after
            labels = {a: al.labels[a] for a in AXES}
            n_items = al.item_ids.size
            scores = al.cand_c / al.cand_n
            what = (
                f"the overall change {baseline} -> {candidate} ({points(-shortfall, ' points')})"
                if candidate is not None
                else f"the gap of {baseline} to the reference {reference} "
                f"({points(shortfall, ' points', signed=False)})"
            )  # fmt: skip
        else:
            rows = self.store.slice_rows(run["id"], benchmark=benchmark)
            if not rows:
                raise ValueError(f"run {baseline} has no items in benchmark {benchmark!r}")
            n = np.array([r["n"] for r in rows], dtype=float)
            c = np.array([r["c"] for r in rows], dtype=float)
            scores = c / n
            shortfall = float(1 - scores.mean())
            labels = {
                a: np.array([UNLABELLED if r[a] is None else str(r[a]) for r in rows], dtype=object)
                for a in AXES
            }
            n_items = len(rows)
            what = f"the error rate of {baseline} ({pct(shortfall)}, no reference run)"
        share = None
        counts = (failure_modes or {}).get(failing_run)
        if counts:
            failing = sum(v for m, v in counts.items() if m != "correct")
            share = counts.get("wrong_answer", 0) / failing if failing else None
        groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
        unlabelled = 0
        for i in range(n_items):
            key = tuple(
                (a, str(labels[a][i])) for a in AXES if not str(labels[a][i]).startswith("(")
            )
            if not key:
                unlabelled += 1
                continue
            groups.setdefault(key, []).append(i)
        slices = [
            {
                "slice": dict(key),
                "deficit": -shortfall * len(idx) / n_items,
                "significant": True,
                "p_adjusted": None,
                "wrong_answer_share": share,
                "dominant_failure_mode": "wrong_answer",
                "n_items": len(idx),
                "score": float(scores[idx].mean()),
                "scope": "domain",
            }  # fmt: skip
            for key, idx in sorted(groups.items(), key=lambda kv: -len(kv[1]))
        ]
        notes = [domain_note(benchmark, len(groups), n_items, shortfall, what)]
        if unlabelled:
            notes.append(
                f"{unlabelled} of {plural(n_items, 'item')} carry no label on any axis: no mapping rule "
                "can reach them"
            )
        return slices, notes

    def plan_from_diagnosis(
        self,
        diagnosis: Mapping[str, Any],
        catalog: Catalog,
        budget_tokens: int,
        **params: Any,
    ) -> Plan:
        """Plan from a diagnosis dict (``Diagnosis.to_dict()``: ``slices``, ``verdict``,
        ``reason``, ``summary``, ``base``, ``cand``, ``reference``, ``direction``,
        ``benchmark``). Parameters as :func:`build_plan` (including ``force``); a verdict
        other than ``data`` keeps the mixture unless ``force``. The plan names what the
        slices were measured against (:func:`compared_with`) and words a gain as one."""
        name = diagnosis.get("base")
        if diagnosis.get("cand"):
            name = f"{diagnosis['base']} -> {diagnosis['cand']}"
        difference = None
        if diagnosis.get("reason") == "evaluation_changed":
            causes = [str(c) for c in diagnosis.get("causes") or [] if c]
            difference = causes[0].removeprefix("evaluation changed: ") if causes else None
        return build_plan(
            diagnosis.get("slices") or [], self.mapping_rules, catalog, budget_tokens,
            verdict=diagnosis.get("verdict"), reason=diagnosis.get("reason"),
            diagnosis_summary=diagnosis.get("summary"), baseline=name,
            benchmark=diagnosis.get("benchmark"), evaluation_difference=difference,
            one_run=not diagnosis.get("cand"), direction=diagnosis.get("direction"),
            compared_with=compared_with(diagnosis), **params,
        )  # fmt: skip

    # ---- interventions ------------------------------------------------------------------
    def check_slices(self, slices: Sequence[Mapping[str, str]], what: str) -> list[dict[str, str]]:
        """Validate slices ``{grouping: value}`` against the evaluation taxonomy.

        Raises:
            ValueError: an empty slice, an unknown grouping or an unknown axis value.
        """
        axes = self.axes()  # type: ignore[attr-defined]
        out = []
        for s in slices:
            if not s:
                raise ValueError(f"{what}: an empty slice")
            for key, value in s.items():
                if key not in SLICE_KEYS:
                    raise ValueError(
                        f"{what}: unknown slice axis {key!r} (use one of: {', '.join(SLICE_KEYS)})"
                    )
                if key in axes and value not in axes[key]:
                    raise ValueError(f"{what}: unknown {key} value {value!r}")
            out.append({str(k): str(v) for k, v in s.items()})
        return out

    def choose_controls(
        self,
        run: str,
        benchmark: str,
        targets: Sequence[Mapping[str, str]],
        axis: str = "task_type",
        min_items: int = 20,
    ) -> tuple[list[dict[str, str]], list[str]]:
        """Control slices that share no item with any target slice, and why each was chosen.

        Every labelled value of ``axis`` in ``run``'s ``benchmark`` with >= ``min_items``
        items is a candidate; it is kept only when none of its (task, item) rows in the run
        falls in a target slice (a target slice is a conjunction ``{grouping: value}``; an item
        is in it when it matches every grouping). Checking items, not names, matters: with
        target ``solving_operation=casework`` the candidate ``task_type=counting_probability``
        holds the casework items and is left out.

        Returns:
            (controls, notes): controls as ``[{axis: value}]`` in the run's order; notes, one
            plain sentence per candidate value (chosen, or left out and why), then a summary.

        Raises:
            NotFound: unknown run. ValueError: the run has no items in ``benchmark``.
        """
        from ..store.samples import UNLABELLED

        run_id = self.store.get_run(run)["id"]
        rows = self.store.slice_rows(run_id, benchmark=benchmark)
        if not rows:
            raise ValueError(f"run {run} has no items in benchmark {benchmark!r}")

        def value(r: Any, key: str) -> str:
            v = r[key]
            return UNLABELLED if v is None else str(v)

        in_target = [
            any(all(value(r, k) == str(v) for k, v in t.items()) for t in targets) for r in rows
        ]
        by_value: dict[str, list[int]] = {}
        for i, r in enumerate(rows):
            by_value.setdefault(value(r, axis), []).append(i)
        controls: list[dict[str, str]] = []
        notes: list[str] = []
        for v, idx in by_value.items():
            overlap = sum(in_target[i] for i in idx)
            if v.startswith("("):
                notes.append(f"{axis}={v}: left out, items without a label")
            elif overlap:
                notes.append(
                    f"{axis}={v}: left out, {overlap} of its {plural(len(idx), 'item')} are in a target slice"
                )
            elif len(idx) < min_items:
                notes.append(
                    f"{axis}={v}: left out, {plural(len(idx), 'item')} (< {min_items}, too few to detect "
                    "a regression)"
                )
            else:
                controls.append({axis: v})
                notes.append(
                    f"{axis}={v}: chosen, {plural(len(idx), 'item')}, none in a target slice"
                )
        n_target = sum(in_target)
        notes.append(
            f"default controls: {plural(len(controls), f'{axis} value')} of {run} in {benchmark} with >= "
            f"{plural(min_items, 'item')} and no item in the target slices ({plural(n_target, 'target item')})"
        )
        return controls, notes

    def control_room(
        self,
        run: str,
        benchmark: str | None,
        targets: Sequence[Mapping[str, str]],
        controls: Sequence[Mapping[str, str]] | None = None,
        *,
        who: str = "intervention",
    ) -> dict[str, Any]:
        """What an intervention on ``targets`` would have as a control in ``run``'s items of
        ``benchmark``: the outcome is measured against control items outside every target
        (:func:`~capslice_tui.analysis.outcome.evaluate_outcome`), and with fewer than
        :data:`~capslice_tui.vocabulary.MIN_SLICE_SIZE` of them it is ``unmeasurable``. A
        benchmark with no finer slice (every GSM8K item carries the same labels) gives a plan
        that targets every item, so no item is left.

        Args:
            controls: the control slices; None: those :meth:`choose_controls` would choose.
            who: ``plan`` or ``intervention``: whose targets the note names.

        Returns:
            ``{run, benchmark, n_items, n_targeted, n_untargeted, n_control, controls,
            default_controls, min_items, measurable, note}``: ``n_control`` the items of the
            control slices outside the targets; ``note`` (None when measurable) says plainly
            why the outcome could be read only as the overall change, and what to do.

        Raises:
            NotFound: unknown run. ValueError: no item of ``benchmark`` in ``run``.
        """
        from ..store.samples import UNLABELLED
        from ..vocabulary import MIN_SLICE_SIZE

        rows = self.store.slice_rows(self.store.get_run(run)["id"], benchmark=benchmark)
        if not rows:
            raise ValueError(f"run {run} has no items in benchmark {benchmark!r}")

        def within(r: Any, slices: Sequence[Mapping[str, str]]) -> bool:
            return any(
                all((UNLABELLED if r[k] is None else str(r[k])) == str(v) for k, v in t.items())
                for t in slices
            )

        default = controls is None
        if controls is None:
            controls = self.choose_controls(run, benchmark, targets)[0] if benchmark else []
        targeted = [within(r, targets) for r in rows]
        n_control = sum(
            1 for r, t in zip(rows, targeted, strict=True) if not t and within(r, controls)
        )
        room: dict[str, Any] = {
            "run": run, "benchmark": benchmark, "n_items": len(rows),
            "n_targeted": sum(targeted), "n_untargeted": len(rows) - sum(targeted),
            "n_control": n_control, "controls": [dict(c) for c in controls],
            "default_controls": default, "min_items": MIN_SLICE_SIZE,
            "measurable": n_control >= MIN_SLICE_SIZE,
        }  # fmt: skip
        room["note"] = None if room["measurable"] else control_room_note(room, who)
        return room

    def interventions(self, status: str | None = None) -> list[InterventionRow]:
        """Interventions, newest first (``status`` filters)."""
        return self.store.list_interventions(status)

    def intervention(self, intervention_id: int) -> Intervention:
        """One intervention with its ``history`` (audit rows, oldest first)."""
        rec = self.store.get_intervention(intervention_id)
        rec["history"] = self.store.intervention_history(intervention_id)
        rec["missing_runs"] = self._missing_runs(rec)
        if not rec.get("outcome") and rec["status"] != "rejected" and not rec["missing_runs"]:
            try:
                note = self.control_room(
                    rec["baseline_run"], rec["benchmark"], rec["target_slices"],
                    rec["control_slices"],
                )["note"]  # fmt: skip
            except ValueError:  # no item of the benchmark left: the outcome will say so
                note = None
            if note:
                rec["control_warning"] = note
        return rec

    def _missing_runs(self, rec: Mapping[str, Any]) -> list[str]:
        """``"result run 'X' was deleted"`` for each named run of ``rec`` not in the store."""
        asked = [rec[key] for key in ("baseline_run", "result_run") if rec.get(key)]
        names = {
            r[0]
            for r in self.store.query(
                f"SELECT name FROM runs WHERE name IN ({','.join('?' * len(asked))})", tuple(asked)
            )
        }
        return [
            f"{role} run {rec[key]!r} was deleted"
            for role, key in (("baseline", "baseline_run"), ("result", "result_run"))
            if rec.get(key) and rec[key] not in names
        ]

    def interventions_using_run(self, run: str) -> list[str]:
        """What deleting ``run`` would orphan: ``"intervention 1 'title' (result run,
        evaluated)"`` per intervention using it as baseline or result run; [] if none."""
        return [
            f"intervention {r['id']} {r['title']!r} ({r['role']} run, {r['status']})"
            for r in self.store.interventions_using_run(run)
        ]

    def new_intervention(
        self,
        *,
        title: str,
        hypothesis: str,
        baseline: str,
        benchmark: str | None,
        targets: Sequence[Mapping[str, str]] | None = None,
        controls: Sequence[Mapping[str, str]] | None = None,
        expected_effect: float | None = None,
        plan: Plan | Mapping[str, Any] | None = None,
        who: str | None = None,
    ) -> Intervention:
        """Record a proposed intervention (pre-registering its target and control slices).

        Args:
            targets: slices the intervention should improve; required unless ``plan`` is
                given, when they default to the slices the plan boosts from.
            controls: slices that must not regress; default (needs ``benchmark``):
                :meth:`choose_controls`, which keeps only slices sharing no item with a target.

        Returns:
            the stored record; when the controls were chosen by default it also carries
            ``control_choice`` (not stored): the notes of :meth:`choose_controls`.
            expected_effect: expected gain on targets as a proportion (0.1 = +10 points).
            plan: a :class:`Plan` or its dict (:func:`check_plan_dict` refuses anything else).

        Raises:
            NotFound: unknown baseline run. ValueError: no target, bad slices, a plan dict
            that is not a plan.
        """
        self.store.get_run(baseline)
        plan_dict = plan.to_dict() if isinstance(plan, Plan) else (
            check_plan_dict(plan, "the plan") if plan is not None else None)  # fmt: skip
        if not targets and plan_dict:
            targets = [s["slice"] for s in plan_dict.get("slices", [])]
        if not targets:
            raise ValueError(
                "an intervention needs target slices (give them, or a plan that boosts data)"
            )
        target_list = self.check_slices(targets, "target slices")
        self._refuse_empty_targets(baseline, benchmark, target_list)
        choice: list[str] | None = None
        if controls is None:
            if benchmark is None:
                raise ValueError("give control slices or a benchmark to suggest them from")
            controls, choice = self.choose_controls(baseline, benchmark, target_list)
        control_list = self.check_slices(controls, "control slices")
        if expected_effect is not None and not -1 <= expected_effect <= 1:
            raise ValueError("expected_effect is a proportion in [-1, 1] (0.1 = +10 points)")
        rec = self.store.create_intervention(
            title=title, hypothesis=hypothesis, target_slices=target_list,
            control_slices=control_list, baseline_run=baseline, author=who or current_user(),
            expected_effect=expected_effect, benchmark=benchmark, plan=plan_dict,
        )  # fmt: skip
        if choice is not None:
            rec["control_choice"] = choice
        room = self.control_room(baseline, benchmark, target_list, control_list)
        if room["note"]:
            rec["control_warning"] = room["note"]
        return rec

    def _refuse_empty_targets(
        self, baseline: str, benchmark: str | None, targets: Sequence[Mapping[str, str]]
    ) -> None:
        """Refuse target slices with no item of ``baseline`` (in ``benchmark`` when given): a
        slice with nothing to measure can only end ``unmeasurable``, so pre-registering it is
        a mistake (a value of another benchmark, a typo the taxonomy happens to know).

        Raises:
            ValueError: names each empty slice and how to list the slices the run has.
        """
        from ..store.samples import UNLABELLED

        rows = self.store.slice_rows(self.store.get_run(baseline)["id"], benchmark=benchmark)
        empty = [
            t for t in targets
            if not any(
                all((UNLABELLED if r[k] is None else str(r[k])) == str(v) for k, v in t.items())
                for r in rows
            )
        ]  # fmt: skip
        if not empty:
            return
        where = f"{baseline} in {benchmark}" if benchmark else baseline
        axes = ",".join(dict.fromkeys(k for t in empty for k in t))
        from ..vocabulary import label as slice_label

        names = "; ".join(slice_label(t) for t in empty)
        which = f"target slice {names} has" if len(empty) == 1 else f"target slices {names} have"
        raise ValueError(
            f"{which} 0 items of {where}: nothing there could be measured, so the outcome "
            f"could only be unmeasurable; see the slices the run has with "
            f"`capslice slices --run {baseline} --by {axes}`"
        )

    def _transition(
        self,
        intervention_id: int,
        action: str,
        who: str | None,
        changes: dict[str, Any],
        expected_version: int | None,
    ) -> Intervention:
        from ..store.interventions import TRANSITIONS

        ((new_status, allowed),) = TRANSITIONS[action].items()
        return self.store.change_intervention(
            intervention_id, action=action, who=who or current_user(),
            changes={"status": new_status, **changes}, expected_version=expected_version,
            allowed_from=allowed,
        )  # fmt: skip

    def _decide(
        self,
        intervention_id: int,
        action: str,
        who: str | None,
        reason: str | None,
        expected_version: int | None,
        warning: str | None = None,
    ) -> Intervention:
        """Apply an ``accept``/``reject`` transition, recording the reason, decider, time and
        the warning that goes with the decision (None clears an earlier one)."""
        from ..store import now_iso

        who = who or current_user()
        return self._transition(
            intervention_id, action, who,
            {"decision_reason": reason, "decided_by": who, "decided_at": now_iso(),
             "decision_warning": warning},
            expected_version,
        )  # fmt: skip

    def intervention_refusal(self, rec: Intervention, action: str) -> str:
        """Why ``action`` (``accept``/``reject``) cannot be applied to the intervention ``rec``
        in its status ('' when it can): the store's own sentence
        (``store.interventions.transition_refusal``, the message of its InvalidTransition), so
        a screen can say it before asking for a note or a confirmation: ``#1 'targeted math
        data' is evaluated: only proposed interventions can be accepted``."""
        from ..store.interventions import transition_refusal

        return transition_refusal(rec, action)

    def accept_intervention(
        self,
        intervention_id: int,
        *,
        who: str | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> Intervention:
        """proposed -> accepted (reason optional). Raises InvalidTransition / Conflict."""
        return self._decide(intervention_id, "accept", who, reason, expected_version)

    def reject_intervention(
        self,
        intervention_id: int,
        *,
        reason: str,
        who: str | None = None,
        expected_version: int | None = None,
        regression: bool | None = None,
    ) -> Intervention:
        """proposed|evaluated -> rejected; a reason is required.

        A rejection that claims a regression (``regression=True``, or when None a reason that
        says so: regress..., harm..., worse, drop..., hurt...) is checked against the measured
        outcome (:func:`regression_warning`); when the outcome does not show a significant
        regression, or no outcome was measured, the warning is stored with the decision
        (``decision_warning``, audited) and shown wherever the decision is.

        Raises:
            ValueError: no reason. InvalidTransition: not proposed or evaluated.
        """
        if not reason or not reason.strip():
            raise ValueError("rejecting an intervention needs a reason")
        warning = None
        if regression is None:
            regression = claims_regression(reason)
        if regression:
            rec = self.store.get_intervention(intervention_id)
            warning = regression_warning(rec.get("outcome"), reason)
        return self._decide(
            intervention_id, "reject", who, reason.strip(), expected_version, warning
        )

    def start_intervention(
        self, intervention_id: int, *, who: str | None = None, expected_version: int | None = None
    ) -> Intervention:
        """accepted -> running (training with the plan has started)."""
        return self._transition(intervention_id, "start", who, {}, expected_version)

    def link_intervention(
        self,
        intervention_id: int,
        run: str,
        *,
        who: str | None = None,
        expected_version: int | None = None,
        record: bool = False,
        allow_incomplete: bool = False,
        **eval_params: Any,
    ) -> Intervention:
        """Link the result run and evaluate (an accepted intervention is started first).

        A result or baseline run that is incomplete (:meth:`incomplete_notes`: an ingest
        interrupted, a log cut short) is refused unless ``allow_incomplete``; the outcome then
        records it (``incomplete``, and its reason says so) (walk 18 F1).

        The outcome is judged at the recorded settings (:meth:`recorded_settings`): the first
        link records its ``k`` and ``tolerance`` (defaults: accuracy, 2 points); linking again
        at other settings is refused unless ``record`` is True.

        Raises:
            NotFound: unknown run. InvalidTransition: not accepted/running/evaluated (the
            refusal names the next command). StoreError: ``run`` is the intervention's own
            baseline. ValueError: the outcome cannot be measured (e.g. the runs share no item).
            Every check and the outcome come before the one write transaction (start, link,
            evaluate), so a refused link changes nothing, not even an accepted one's status.
        """
        from ..store.interventions import (
            LINKABLE,
            InvalidTransition,
            baseline_link_refusal,
            transition_refusal,
        )

        self.store.get_run(run)
        rec = self.store.get_intervention(intervention_id)
        refusal = transition_refusal(rec, "link", LINKABLE)
        if refusal:
            raise InvalidTransition(refusal)
        refusal = baseline_link_refusal(rec, run)
        if refusal:
            raise StoreError(refusal)
        incomplete = self.incomplete_notes(rec["baseline_run"], run)  # type: ignore[attr-defined]
        if incomplete and not allow_incomplete:
            raise StoreError(
                f"cannot link {run!r} to #{intervention_id}: {'; '.join(incomplete)}; an outcome "
                "measured on it would stand for the whole run: finish the run first, or link "
                "with --allow-incomplete, which records that it is incomplete; nothing was changed"
            )
        eval_params = self.recorded_settings(rec, record=record, **eval_params)
        # measured before anything is written: a link whose outcome cannot be computed (the
        # runs share no item, ...) leaves the intervention as it was
        try:
            outcome = self._outcome_of({**rec, "result_run": run}, **eval_params)
        except ValueError as exc:
            raise ValueError(
                f"cannot link {run!r} to #{intervention_id}: {exc}; nothing was changed"
            ) from exc
        steps: list[tuple[str, dict[str, Any], tuple[str, ...]]] = []
        if rec["status"] == "accepted":
            steps.append(("start", {"status": "running"}, ("accepted",)))
        steps.append(("link", {"result_run": run}, ("running", "evaluated")))
        steps.append((
            "evaluate", {"status": "evaluated", "outcome": outcome,
                         OUTCOME_KEY: outcome_name(outcome)}, ("running", "evaluated"),
        ))  # fmt: skip
        return self.store.change_intervention_steps(
            intervention_id, who=who or current_user(), steps=steps,
            expected_version=rec["version"] if expected_version is None else expected_version,
        )  # fmt: skip

    def intervention_outcome(
        self,
        intervention_id: int,
        *,
        k: int | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        q: float = DEFAULT_Q,
        random_state: int = 0,
        membership: str = "frozen",
    ) -> OutcomeDict:
        """Compute (without storing) the outcome of an intervention with a linked result run:
        on the target/control items frozen when it was first measured (``membership``
        ``"today"``: on today's labels; the outcome's ``members`` says which and what
        changed).

        Raises:
            StoreError: no result run linked. ValueError: the runs share no item.
        """
        return self._outcome_of(
            self.store.get_intervention(intervention_id), k=k, tolerance=tolerance, q=q,
            random_state=random_state, membership=membership,
        )  # fmt: skip

    def _outcome_of(
        self,
        rec: Mapping[str, Any],
        *,
        k: int | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        q: float = DEFAULT_Q,
        random_state: int = 0,
        membership: str = "frozen",
    ) -> OutcomeDict:
        """The outcome of the intervention ``rec`` against its ``result_run`` (which need not
        be stored yet: :meth:`link_intervention` measures before it writes), on the slices'
        frozen items (:func:`frozen_membership`; ``membership="today"`` re-reads them from
        today's labels)."""
        from .diagnose import align_runs

        intervention_id = rec["id"]
        if not rec["result_run"]:
            raise StoreError(f"intervention #{intervention_id} has no result run; link one first")
        missing = self._missing_runs(rec)
        if missing:
            raise StoreError(
                f"intervention #{intervention_id}: {'; '.join(missing)}, so it cannot be"
                " evaluated; link another result run with `capslice intervention link"
                f" {intervention_id} --run RUN` (the stored outcome is of the deleted run)"
            )
        from ..store.interventions import baseline_link_refusal

        refusal = baseline_link_refusal(rec, rec["result_run"])  # linked before it was refused
        if refusal:
            raise StoreError(refusal.replace("cannot link", "cannot judge the link of", 1))
        base = self.store.get_run(rec["baseline_run"])
        cand = self.store.get_run(rec["result_run"])
        aligned = align_runs(self.store, base["id"], cand["id"], rec["benchmark"])
        changed, notes = self.evaluation_change(
            rec["baseline_run"], rec["result_run"], rec["benchmark"]
        )
        masks, members = frozen_membership(rec, aligned.labels, aligned.item_ids, membership)
        result = evaluate_outcome(
            rec["target_slices"], rec["control_slices"], aligned.labels,
            aligned.base_n, aligned.base_c, aligned.cand_n, aligned.cand_c, k=k,
            expected_effect=rec["expected_effect"], tolerance=tolerance, q=q,
            random_state=random_state, evaluation_changed=changed, masks=masks,
        )  # fmt: skip
        result.warnings.extend(notes)
        if members["changed"]:
            result.warnings.append(membership_note(rec["id"], members))
        elif rec.get("outcome") and not (rec["outcome"] or {}).get("members"):
            result.warnings.append(
                "the recorded outcome was measured before target/control items were frozen: "
                "they are frozen now, from today's labels"
            )
        outcome = result.to_dict()
        outcome["members"] = members
        outcome["baseline_run"] = rec["baseline_run"]
        outcome["result_run"] = rec["result_run"]
        incomplete = self.incomplete_notes(  # type: ignore[attr-defined]
            rec["baseline_run"], rec["result_run"]
        )
        if incomplete:  # the verdict itself says it (walk 18 F1): every screen shows the reason
            outcome["incomplete"] = incomplete
            outcome["reason"] += f"; measured on what is stored: {'; '.join(incomplete)}"
        return cast(OutcomeDict, outcome)

    def evaluation_change(
        self, baseline: str, result: str, benchmark: str | None
    ) -> tuple[str | None, list[str]]:
        """Whether the evaluation itself differs between two runs of the same items.

        Asks the diagnosis of ``baseline -> result`` (``self.diagnose``): a verdict whose reason
        is ``evaluation_changed``, or a refusal because the runs are not comparable (filter,
        samples per item, temperature), means the two runs do not measure the same thing.

        Returns:
            (a sentence describing the change, or None; notes: why it could not be checked).
        """
        try:
            diag = self.diagnose(  # type: ignore[attr-defined]
                baseline, result, benchmark=benchmark
            )
        except ValueError as exc:
            text = str(exc)
            if text.startswith("refusing"):
                return text, []
            return None, [f"the evaluations of the two runs could not be compared: {text}"]
        verdict = diag.verdict
        if getattr(verdict, "reason", None) == "evaluation_changed":
            causes = [str(c) for c in getattr(verdict, "causes", None) or [] if c]
            text = causes[0] if causes else str(getattr(verdict, "summary", "") or "")
            text = text.removeprefix("evaluation changed: ")
            return text or "prompts, few-shot, decoding or scoring differ", []
        return None, []

    def recorded_settings(
        self, rec: Mapping[str, Any], *, record: bool = False, **eval_params: Any
    ) -> dict[str, Any]:
        """The settings an intervention's verdict is judged at: ``eval_params`` (k, tolerance,
        q, random_state of :meth:`intervention_outcome`) with each one given as None taken
        from the stored outcome, when there is one.

        The contract: the verdict is recorded at the settings of its first measurement (the
        ``link``: its k, default accuracy, and its harm tolerance, default 2 points), fixed
        before the result is seen. Judging at other settings (``evaluate --k 128``) is
        exploratory: :meth:`intervention_outcome` computes it without storing, and replacing
        the recorded verdict needs ``record=True`` (audited like every change).

        Raises:
            ValueError: a setting differs from the recorded one and ``record`` is False (the
            message names the recorded and the asked settings).
        """
        stored = rec.get("outcome") or {}
        params = {key: value for key, value in eval_params.items() if value is not None}
        if not stored:
            return params
        for key in ("k", "tolerance", "q", "random_state"):
            if key in stored and key not in params:
                params[key] = stored[key]
        changed = settings_change(stored, params)
        if changed and not record:
            raise ValueError(
                f"intervention #{rec['id']}'s verdict ({stored.get(OUTCOME_KEY)}) is recorded at "
                f"{changed}: an evaluation at other settings is exploratory; see it without "
                f"recording with `capslice intervention evaluate {rec['id']}` and the same "
                "settings, or replace the verdict by adding --record (audited)"
            )
        return params

    def evaluate_intervention(
        self,
        intervention_id: int,
        *,
        who: str | None = None,
        expected_version: int | None = None,
        record: bool = False,
        membership: str = "frozen",
        **eval_params: Any,
    ) -> Intervention:
        """(Re)compute the outcome and store it with its name: running|evaluated -> evaluated.

        ``eval_params``: k, tolerance, q, random_state (see :meth:`intervention_outcome`);
        one not given (or None) is the recorded one (:meth:`recorded_settings`, which refuses
        other settings than the recorded ones unless ``record``). The outcome is measured on
        the frozen target/control items; ``membership="today"`` (with ``record``: it replaces
        the recorded outcome) re-reads them from today's labels and freezes those, the
        history row holding both outcomes with their item counts (walk 18 F2).

        Raises:
            ValueError: ``membership="today"`` without ``record``.
        """
        if membership == "today" and not record:
            raise ValueError(
                "re-measuring on today's labels replaces the recorded outcome: add --record"
            )
        rec = self.store.get_intervention(intervention_id)
        eval_params = self.recorded_settings(rec, record=record, **eval_params)
        outcome = self.intervention_outcome(intervention_id, membership=membership, **eval_params)
        return self._transition(
            intervention_id, "evaluate", who,
            {"outcome": outcome, OUTCOME_KEY: outcome_name(outcome)}, expected_version,
        )  # fmt: skip

    def edit_intervention(
        self,
        intervention_id: int,
        changes: Mapping[str, Any],
        *,
        who: str | None = None,
        expected_version: int | None = None,
    ) -> Intervention:
        """Edit a proposed intervention (pre-registration is frozen once decided).

        Raises:
            ValueError: a field that cannot be edited. InvalidTransition: not proposed.
        """
        from ..store.interventions import EDITABLE_WHILE_PROPOSED

        bad = [f for f in changes if f not in EDITABLE_WHILE_PROPOSED]
        if bad:
            raise ValueError(
                f"cannot edit {', '.join(bad)} (editable: {', '.join(EDITABLE_WHILE_PROPOSED)})"
            )
        clean = dict(changes)
        for f in ("target_slices", "control_slices"):
            if f in clean:
                clean[f] = self.check_slices(clean[f], f)
        return self.store.change_intervention(
            intervention_id, action="edit", who=who or current_user(), changes=clean,
            expected_version=expected_version, allowed_from=("proposed",),
        )  # fmt: skip


def frozen_membership(
    rec: Mapping[str, Any], labels: Mapping[str, Any], item_ids: Any, membership: str
) -> tuple[list[Any] | None, dict[str, Any]]:
    """An intervention's target/control items, frozen when its outcome was first measured
    (walk 18 F2: a relabel after the link moved a target 38 -> 36 items and a control
    32 -> 64, and evaluate silently replaced the outcome).

    Returns:
        (each slice's row mask over ``item_ids`` from the frozen items, or None to read them
        from ``labels``; ``members``: ``{at, on, targets, controls, changed}`` to store with
        the outcome: the item ids per slice, when they were frozen, ``on`` ``frozen`` |
        ``today``, and per slice whose items today's labels would change ``{role, slice,
        frozen, today, joined, left}``).
    """
    import numpy as np

    from ..analysis.outcome import slice_mask
    from ..store import now_iso

    keys = [("target", t) for t in rec["target_slices"]]
    keys += [("control", c) for c in rec["control_slices"]]
    today = [slice_mask(labels, key) for _role, key in keys]
    ids = np.asarray([str(i) for i in item_ids], dtype=object)
    stored = (rec.get("outcome") or {}).get("members")
    lists = None if not stored else [*stored.get("targets", []), *stored.get("controls", [])]
    old = (  # the items frozen before, one mask per slice; None when none were kept
        [np.isin(ids, np.asarray(m, dtype=object)) for m in lists]
        if lists is not None and len(lists) == len(keys)
        else None
    )
    if membership == "today" or old is None:
        at: str | None = now_iso()
        frozen, on = today, "today" if stored else "frozen"
        masks = None
    else:
        frozen = masks = old
        at, on = (stored or {}).get("at"), "frozen"
    # today's items against the ones frozen before (what re-measuring today changes)
    changed = _membership_changes(keys, old, today) if old is not None else []
    members = {
        "at": at, "on": on, "changed": changed,
        "targets": [ids[m].tolist() for m in frozen[: len(rec["target_slices"])]],
        "controls": [ids[m].tolist() for m in frozen[len(rec["target_slices"]):]],
    }  # fmt: skip
    return masks, members


def _membership_changes(
    keys: Sequence[Any], old: Sequence[Any], new: Sequence[Any]
) -> list[dict[str, Any]]:
    """Per slice whose items differ between ``old`` and ``new`` masks: ``{role, slice,
    frozen, today, joined, left}``."""
    out = []
    for (role, key), f, t in zip(keys, old, new, strict=True):
        joined, left = int((t & ~f).sum()), int((f & ~t).sum())
        if joined or left:
            out.append({"role": role, "slice": key, "frozen": int(f.sum()),
                        "today": int(t.sum()), "joined": joined, "left": left})  # fmt: skip
    return out


def membership_note(intervention_id: int, members: Mapping[str, Any]) -> str:
    """The outcome's warning when today's labels would change a slice's items: how many
    joined or left, on which items it was measured, and the command that re-measures."""
    parts = [
        f"{c['role']} {slice_text(c['slice'])} {c['frozen']} -> {c['today']} items"
        f" ({c['joined']} joined, {c['left']} left)"
        for c in members["changed"]
    ]
    if members.get("on") == "today":
        return (
            f"measured on today's labels (frozen again): {'; '.join(parts)} against the items "
            "frozen before"
        )
    return (
        f"labels changed since the items were frozen ({members.get('at')}): today's labels "
        f"would make {'; '.join(parts)}; measured on the frozen items. To measure on today's "
        f"labels instead (replaces the recorded outcome, audited): capslice intervention "
        f"evaluate {intervention_id} --membership today --record"
    )


def slice_text(key: Mapping[str, Any]) -> str:
    """``task_type=algebra,solving_operation=casework``: a slice key in words."""
    return ",".join(f"{a}={v}" for a, v in key.items())


def domain_note(benchmark: str, n_groups: int, n_items: int, shortfall: float, what: str) -> str:
    """The plan's note on a broad capability verdict: the whole domain targeted, each label
    group weighted by its share of ``what`` (the shortfall); a gain (``shortfall`` < 0) or no
    change leaves nothing to target, and says so rather than "gap"."""
    groups = (
        f"{'label group' if n_groups == 1 else 'label groups'} of its {plural(n_items, 'item')}"
    )
    if shortfall > 0:
        return (
            f"broad capability gap: the plan targets the whole {benchmark} domain, {n_groups} "
            f"{groups}, each weighted by its share of {what}"
        )
    return (
        f"broad capability {'gain' if shortfall < 0 else 'change'}: {what} leaves no shortfall "
        f"to target in the whole {benchmark} domain ({n_groups} {groups})"
    )


def compared_with(diagnosis: Mapping[str, Any]) -> str:
    """What a diagnosis measured its slices against, in words: ``the base run A`` (a change
    A -> B), ``the reference run R`` (one run with a reference), else ``the run's own
    average`` (one run alone)."""
    if diagnosis.get("cand"):
        return f"the base run {diagnosis.get('base')}"
    if diagnosis.get("reference"):
        return f"the reference run {diagnosis['reference']}"
    return "the run's own average"


def control_room_note(room: Mapping[str, Any], who: str = "intervention") -> str:
    """Why an intervention on these targets could not be measured against controls (``room``
    of :meth:`PlanMixin.control_room`), in the words the CLI, its JSON and Markdown and the
    app share: every item targeted, too few left untargeted, or untargeted items that no
    control slice holds."""
    n, t, u, c = (room[k] for k in ("n_items", "n_targeted", "n_untargeted", "n_control"))
    least = room["min_items"]
    where = f"{room['benchmark']} in {room['run']}" if room["benchmark"] else room["run"]
    subject = "the plan targets" if who == "plan" else "the target slices cover"
    outcome = "an intervention's outcome" if who == "plan" else "the outcome"
    overall = (
        f"so {outcome} can only be read as the overall change, not against controls (no "
        "difference in differences): its evaluation will say unmeasurable and show that "
        "change labelled uncontrolled"
    )
    if u == 0:
        return (
            f"no control: {subject} every item of {where} ({n:,} of {n:,}): no untargeted "
            f"item is left as a control, {overall}"
        )
    if u < least:
        return (
            f"control too small: {subject} {t:,} of the {n:,} items of {where}; the "
            f"{plural(u, 'item', ',')} left untargeted are too few for a control (fewer than "
            f"{least}), {overall}"
        )
    if room["default_controls"]:
        return (
            f"no control slice: {subject} {t:,} of the {n:,} items of {where}, and every "
            "task_type with 20 or more items holds a target item, so no control slice is "
            f"chosen by default; give control slices among the {u:,} untargeted items, else "
            f"{overall.removeprefix('so ')}"
        )
    return (
        f"control too small: the control slices hold {plural(c, 'item', ',')} of {where} "
        f"outside the targets (fewer than {least}); give control slices among the {u:,} "
        f"untargeted items, else {overall.removeprefix('so ')}"
    )


def _inside(path: str, folder: Path) -> bool:
    """Whether ``path`` (a run's source file) lies in ``folder`` (resolved); False for ''."""
    if not path:
        return False
    try:
        return Path(path).resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _shown_path(path: Path) -> str:
    """``path`` as a command shows it: relative to the working folder when inside it
    (``sample_data/catalog.yaml`` in the checkout), else absolute."""
    path = path.resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except (OSError, ValueError):
        return str(path)
