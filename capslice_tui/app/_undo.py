"""Undo of the user's last labelling action, one implementation for the screens whose ``u``
key undoes it (discover, named slices): the facade call and the status line's wording."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from ..formatting import plural

if TYPE_CHECKING:
    from ..workspace import Workspace


def undo_last_labels(
    ws: Workspace, post: Callable[[Message], object], message: Callable[[str], Message]
) -> None:
    """Undo the current user's newest labelling action (``ws.undo_labels``) and ``post`` a
    ``message`` with the status text (``undid BATCH: N labels restored``).

    Called from a screen's ``label`` thread worker (``post`` is its thread-safe
    ``post_message``); a failed undo raises and ends the worker in error, which the screen's
    worker handler reports."""
    r = ws.undo_labels(who=ws.current_user())
    post(message(f"undid {r['undid']}: {plural(r['restored'], 'label')} restored"))
