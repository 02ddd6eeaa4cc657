"""The intervention log: pre-registered data interventions, their decisions and outcomes.

An intervention moves through ``proposed -> accepted | rejected -> running -> evaluated``.
Every change is a row in ``intervention_history`` (who, when, field, old -> new, action, the
version it produced); nothing is overwritten without such a row. Each write checks the version
the caller last saw (``expected_version``) inside the write transaction, so two people editing
the same intervention cannot silently overwrite each other: the second gets
:class:`~capslice_tui.store.db.Conflict` (the store's one conflict exception).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from .db import Conflict, NotFound, StoreBase, StoreError, now_iso

STATUSES = ("proposed", "accepted", "rejected", "running", "evaluated")
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    # action -> {new status: allowed current statuses}
    "accept": {"accepted": ("proposed",)},
    "reject": {"rejected": ("proposed", "evaluated")},
    "start": {"running": ("accepted",)},
    "evaluate": {"evaluated": ("running", "evaluated")},
}
"""Allowed status changes per action; ``link`` = start (if accepted) then evaluate. ``reject``
from ``evaluated`` records that the data change is turned down after its outcome was measured.

The tables are created by migration ``0002_interventions`` in ``store/schema.py``;
``decision_warning`` and ``plan_forced`` by ``0008_intervention_outcomes``."""

EDITABLE_WHILE_PROPOSED = (
    "title", "hypothesis", "target_slices", "control_slices", "expected_effect", "plan",
    "benchmark",
)  # fmt: skip
_JSON_FIELDS = ("target_slices", "control_slices", "plan", "outcome")


class InvalidTransition(StoreError):
    """The action is not allowed from the intervention's current status."""


LINKABLE = ("accepted", "running", "evaluated")
"""Statuses from which a result run can be linked (``link`` starts an accepted intervention
first, then evaluates)."""

DONE = {"accept": "accepted", "reject": "rejected", "start": "started", "evaluate": "evaluated",
        "link": "linked to a run", "edit": "edited"}  # fmt: skip
"""An action's past participle, as a refusal says it (``only proposed interventions can be
accepted``)."""


def transition_refusal(
    rec: Mapping[str, Any], action: str, allowed: Sequence[str] | None = None
) -> str:
    """Why ``action`` cannot be applied to the intervention ``rec`` (its ``id``, ``title``,
    ``status``), '' when it can: ``#1 'targeted math data' is evaluated: only proposed
    interventions can be accepted``. ``allowed``: the statuses the action is allowed from
    (default: :data:`TRANSITIONS`). The one sentence of the store's :class:`InvalidTransition`
    and of a screen that checks before asking for a note or a confirmation."""
    if allowed is None:
        allowed = LINKABLE if action == "link" else next(iter(TRANSITIONS[action].values()))
    status = str(rec.get("status"))
    if status in allowed:
        return ""
    named = " or ".join(allowed) if len(allowed) < 3 else (
        f"{', '.join(allowed[:-1])} or {allowed[-1]}")  # fmt: skip
    text = (
        f"#{rec.get('id')} {rec.get('title')!r} is {status}: only {named} "
        f"interventions can be {DONE.get(action, action + 'ed')}"
    )
    if status == "proposed" and "accepted" in allowed:
        text += f"; accept it first: capslice intervention accept {rec.get('id')}"
    return text


def baseline_link_refusal(rec: Mapping[str, Any], run: str | None) -> str:
    """Why ``run`` cannot be the result run of the intervention ``rec`` ('' when it can): it
    is the intervention's own baseline run. A run compared with itself changes by exactly 0
    on every slice, which the outcome rules would record as ``refuted`` (the intervals exclude
    the expected gain): a verdict about no data change at all. The store refuses such a link
    (:meth:`InterventionsMixin.change_intervention`), so every caller does."""
    if run is None or run != rec.get("baseline_run"):
        return ""
    return (
        f"cannot link {run!r} to #{rec.get('id')} {rec.get('title')!r}: it is the "
        "intervention's baseline run, and a run compared with itself measures no change; "
        "link the run trained with the intervention's data"
    )


def _encode(field: str, value: Any) -> Any:
    if field in _JSON_FIELDS and value is not None:
        return json.dumps(value, sort_keys=False)
    return value


def _hist_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value)


def outcome_text(outcome: Mapping[str, Any]) -> str | None:
    """An outcome as its history row holds it: the verdict, the pooled changes and the items
    each slice held (``confirmed: targets +15.1, controls -0.3 points; items: targets 38+19,
    controls 32+28 (frozen 2026-...)``), so re-measuring on other items keeps both outcomes
    readable in the history (walk 18 F2: the row said only ``confirmed -> confirmed``)."""
    verdict = outcome.get("verdict")
    did = outcome.get("did") or {}
    parts = [str(verdict) if verdict is not None else "-"]
    if outcome.get("k"):
        parts[0] += f" at pass@{outcome['k']}"
    if did:
        parts.append(
            f"targets {100 * did['target_change']:+.1f}, controls "
            f"{100 * did['control_change']:+.1f} points (DiD {100 * did['did']:+.1f})"
        )
    members = outcome.get("members") or {}
    if members:
        sizes = ", ".join(
            f"{role} {'+'.join(str(len(m)) for m in members.get(role) or []) or '0'}"
            for role in ("targets", "controls")
        )
        on = "today's labels" if members.get("on") == "today" else "frozen"
        parts.append(f"items: {sizes} ({on} {members.get('at')})")
        moved = sum(c["joined"] + c["left"] for c in members.get("changed") or [])
        if moved and members.get("on") != "today":
            parts.append(f"today's labels would move {moved} of them")
    return "; ".join(parts) if len(parts) > 1 else parts[0]


class InterventionsMixin(StoreBase):
    """Create, list, read and change interventions; every change is audited."""

    def _intervention_row(self, conn: sqlite3.Connection, intervention_id: int) -> dict[str, Any]:
        row = conn.execute(
            "SELECT * FROM interventions WHERE id = ?", (intervention_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no intervention #{intervention_id} in {self.path}")
        return dict(row)

    @staticmethod
    def _decode(row: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for f in _JSON_FIELDS:
            if out.get(f) is not None:
                out[f] = json.loads(out[f])
        return out

    def create_intervention(
        self,
        *,
        title: str,
        hypothesis: str,
        target_slices: Sequence[Mapping[str, str]],
        control_slices: Sequence[Mapping[str, str]],
        baseline_run: str,
        author: str,
        expected_effect: float | None = None,
        benchmark: str | None = None,
        plan: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a new intervention with status ``proposed`` (version 1).

        Returns:
            The stored intervention (see :meth:`get_intervention`).

        Raises:
            StoreError: empty title/hypothesis or no target slice.
        """
        if not title.strip() or not hypothesis.strip():
            raise StoreError("an intervention needs a title and a hypothesis")
        if not target_slices:
            raise StoreError("an intervention needs at least one pre-registered target slice")
        at = now_iso()
        values = {
            "title": title.strip(), "hypothesis": hypothesis.strip(),
            "target_slices": [dict(s) for s in target_slices],
            "control_slices": [dict(s) for s in control_slices],
            "expected_effect": expected_effect, "benchmark": benchmark,
            "plan": dict(plan) if plan is not None else None, "baseline_run": baseline_run,
            "status": "proposed", "author": author,
            "plan_forced": 1 if plan is not None and plan.get("forced") else 0,
        }  # fmt: skip
        with self.write() as conn:
            cols = [*values, "created_at", "updated_at", "version"]
            params = [_encode(k, v) for k, v in values.items()] + [at, at, 1]
            cur = conn.execute(
                f"INSERT INTO interventions ({', '.join(cols)}) "
                f"VALUES ({', '.join('?' for _ in cols)})",
                params,
            )
            if cur.lastrowid is None:  # sqlite3 sets it after every INSERT
                raise RuntimeError("storing the intervention returned no row id")
            new_id = int(cur.lastrowid)
            for key, value in values.items():
                if value is None or key == "plan" or (key == "plan_forced" and not value):
                    continue
                conn.execute(
                    "INSERT INTO intervention_history (intervention_id, version, action, field,"
                    " old_value, new_value, who, at) VALUES (?, 1, 'create', ?, NULL, ?, ?, ?)",
                    (new_id, key, _hist_text(value), author, at),
                )
            if plan is not None:
                conn.execute(
                    "INSERT INTO intervention_history (intervention_id, version, action, field,"
                    " old_value, new_value, who, at) VALUES (?, 1, 'create', 'plan', NULL, ?, ?, ?)",
                    (new_id, (plan or {}).get("summary", "(plan)"), author, at),
                )
        return self.get_intervention(new_id)

    def get_intervention(self, intervention_id: int) -> dict[str, Any]:
        """One intervention with JSON fields decoded.

        Raises:
            NotFound: no such id.
        """
        return self._decode(self._intervention_row(self.conn, intervention_id))

    def list_interventions(self, status: str | None = None) -> list[dict[str, Any]]:
        """Interventions (newest first), optionally of one status; the plan is left out.

        Raises:
            StoreError: unknown status.
        """
        cols = (
            "id, title, hypothesis, target_slices, control_slices, expected_effect, benchmark,"
            " baseline_run, result_run, status, decision_reason, decided_by, decided_at,"
            " verdict, author, created_at, updated_at, version, decision_warning, plan_forced"
        )
        if status is None:
            rows = self.conn.execute(f"SELECT {cols} FROM interventions ORDER BY id DESC")
        else:
            if status not in STATUSES:
                raise StoreError(f"unknown status {status!r} (statuses: {', '.join(STATUSES)})")
            rows = self.conn.execute(
                f"SELECT {cols} FROM interventions WHERE status = ? ORDER BY id DESC", (status,)
            )
        return [self._decode(r) for r in rows.fetchall()]

    def interventions_using_run(self, run: str) -> list[dict[str, Any]]:
        """Interventions whose baseline or result run is named ``run``, oldest first:
        ``{id, title, status, role}`` with ``role`` ``"baseline"`` or ``"result"`` (one row per
        use; runs are referenced by name, so deleting the run orphans these)."""
        rows = self.conn.execute(
            "SELECT id, title, status, 'baseline' AS role FROM interventions"
            " WHERE baseline_run = ? UNION ALL SELECT id, title, status, 'result' FROM"
            " interventions WHERE result_run = ? ORDER BY id, role",
            (run, run),
        ).fetchall()
        return [dict(r) for r in rows]

    def intervention_history(self, intervention_id: int) -> list[dict[str, Any]]:
        """The audit trail, oldest first: ``{version, action, field, old_value, new_value, who, at}``."""
        self._intervention_row(self.conn, intervention_id)
        rows = self.conn.execute(
            "SELECT version, action, field, old_value, new_value, who, at"
            " FROM intervention_history WHERE intervention_id = ? ORDER BY id",
            (intervention_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def change_intervention(
        self,
        intervention_id: int,
        *,
        action: str,
        who: str,
        changes: Mapping[str, Any],
        expected_version: int | None = None,
        allowed_from: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """Apply ``changes`` (field -> new value) atomically, with audit rows and a version bump.

        Args:
            action: what the user did (``edit``, ``accept``, ``reject``, ``start``, ``link``,
                ``evaluate``); recorded in the history.
            who: the person acting.
            changes: fields to set; only fields whose value differs are written and audited.
            expected_version: the version the caller read; None skips the check (the write is
                still atomic).
            allowed_from: statuses the intervention must be in for this action.

        Returns:
            The updated intervention.

        Raises:
            NotFound: no such id.
            InvalidTransition: current status not in ``allowed_from`` (names the status).
            StoreError: ``result_run`` set to the intervention's own baseline run
                (:func:`baseline_link_refusal`).
            Conflict: the version differs from ``expected_version``.
        """
        return self.change_intervention_steps(
            intervention_id, who=who, steps=[(action, changes, allowed_from)],
            expected_version=expected_version,
        )  # fmt: skip

    def change_intervention_steps(
        self,
        intervention_id: int,
        *,
        who: str,
        steps: Sequence[tuple[str, Mapping[str, Any], Sequence[str] | None]],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Apply several actions (``(action, changes, allowed_from)``, each as
        :meth:`change_intervention` applies one, with its own audit rows and version) in one
        write transaction: all of them or, when any step is refused, none (``link`` = start,
        link, evaluate). ``expected_version`` is checked before the first step.

        Raises:
            what :meth:`change_intervention` raises, for any step; nothing is then written.
        """
        with self.write() as conn:
            row = self._intervention_row(conn, intervention_id)
            if expected_version is not None and row["version"] != expected_version:
                last = conn.execute(
                    "SELECT who, at FROM intervention_history WHERE intervention_id = ?"
                    " ORDER BY id DESC LIMIT 1",
                    (intervention_id,),
                ).fetchone()
                by = f" by {last['who']} at {last['at']}" if last else ""
                raise Conflict(
                    f"intervention #{intervention_id} was changed{by} (now version "
                    f"{row['version']}, you had {expected_version}); reload it and try again"
                )
            at = now_iso()
            for action, changes, allowed_from in steps:
                self._apply_step(conn, row, action, who, changes, allowed_from, at)
                row = self._intervention_row(conn, intervention_id)
        return self.get_intervention(intervention_id)

    @staticmethod
    def _apply_step(
        conn: sqlite3.Connection,
        row: Mapping[str, Any],
        action: str,
        who: str,
        changes: Mapping[str, Any],
        allowed_from: Sequence[str] | None,
        at: str,
    ) -> None:
        """One action of :meth:`change_intervention_steps` on the current ``row``, inside its
        transaction: checks, audit rows, the update and the version bump (none when nothing
        differs)."""
        intervention_id = row["id"]
        refusal = transition_refusal(row, action, allowed_from) if allowed_from else ""
        if refusal:
            raise InvalidTransition(refusal)
        refusal = baseline_link_refusal(row, changes.get("result_run"))
        if refusal:
            raise StoreError(refusal)
        version = row["version"] + 1
        sets: dict[str, Any] = {}
        for field, value in changes.items():
            if field not in row:
                raise StoreError(f"intervention has no field {field!r}")
            encoded = _encode(field, value)
            if encoded == row[field]:
                continue
            sets[field] = encoded
            old = row[field]
            if field == "plan":
                old_text = json.loads(old).get("summary") if old else None
                new_text = (value or {}).get("summary", "(plan)") if value else None
            elif field == "outcome":
                old_text = outcome_text(json.loads(old)) if old else None
                new_text = outcome_text(value) if value else None
            else:
                old_text, new_text = _hist_text(old), _hist_text(value)
            conn.execute(
                "INSERT INTO intervention_history (intervention_id, version, action, field,"
                " old_value, new_value, who, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (intervention_id, version, action, field, old_text, new_text, who, at),
            )
        if sets:
            assignments = ", ".join(f"{f} = ?" for f in sets)
            cur = conn.execute(
                f"UPDATE interventions SET {assignments}, updated_at = ?, version = ?"
                " WHERE id = ? AND version = ?",
                [*sets.values(), at, version, intervention_id, row["version"]],
            )
            if cur.rowcount != 1:  # pragma: no cover - guarded by BEGIN IMMEDIATE
                raise Conflict(f"intervention #{intervention_id} changed during the write")


__all__ = [
    "EDITABLE_WHILE_PROPOSED",
    "STATUSES",
    "TRANSITIONS",
    "InterventionsMixin",
    "LINKABLE",
    "InvalidTransition",
    "baseline_link_refusal",
    "transition_refusal",
]
