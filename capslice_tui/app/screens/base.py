"""The base class of every capslice screen: workspace access, back keys, worker errors."""

from __future__ import annotations

import errno
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from ...workspace import Workspace


TOAST_ROWS = 5
"""Rows a one-line toast takes (its margin, padding, title and message)."""


def _form_fields() -> tuple[type, ...]:
    """The widget types a toast must never cover: a form's fields and buttons, and the
    tables and lists the user reads and moves through (a results table, a dialog's list)."""
    from textual.widgets import (
        Button,
        Checkbox,
        DataTable,
        Input,
        OptionList,
        Select,
        Switch,
        TextArea,
    )

    return (Input, Select, Checkbox, Button, TextArea, Switch, DataTable, OptionList)


def _empty(widget: Any) -> bool:
    """Whether ``widget`` is a table with no rows yet (nothing there to cover)."""
    from textual.widgets import DataTable

    return isinstance(widget, DataTable) and not widget.row_count


def place_toasts(screen: Screen[Any]) -> bool:
    """Put ``screen``'s toasts where they cover nothing the user works on; ``True`` when the
    screen draws toasts, ``False`` when it draws none.

    Without such widgets (fields, buttons, tables with rows, lists: :func:`_form_fields`) toasts stay
    where capslice.tcss docks them, under the header. With them they start on the row under
    the lowest one; when a toast (:data:`TOAST_ROWS` rows) does not fit between that row and
    the status line, the screen draws no toasts at all (the status line of the screen that
    sent the notification says the same: :meth:`CapsliceScreen.notify`)."""
    from textual.widgets._toast import ToastRack

    try:
        rack = screen.get_child_by_type(ToastRack)
    except NoMatches:
        return True
    bottom = max(
        (
            w.region.bottom
            for w in screen.query("*")
            if isinstance(w, _form_fields()) and w.display and w.region.height and not _empty(w)
        ),
        default=0,
    )
    if isinstance(screen, ModalScreen):  # a dialog: the whole of it, frame included
        dialogs = [w.region.bottom for w in screen.children if not isinstance(w, ToastRack)]
        bottom = max([bottom, *dialogs])
    if not bottom:
        rack.styles.margin = (1, 0, 0, 0)
        rack.remove_class("-no-room")
        return True
    if bottom + TOAST_ROWS > screen.size.height - 2:
        # no room: the status line carries the message; the toasts are hidden (capslice.tcss
        # -no-room), as Textual displays the rack again with each notification
        rack.add_class("-no-room")
        return False
    # a toast has a margin of 1 above it: it starts on the row under the field
    rack.styles.margin = (max(1, bottom - 1), 0, 0, 0)
    rack.remove_class("-no-room")
    return True


class FormScroll(VerticalScroll, can_focus=False):
    """A scrolling area kept out of the Tab order: a form's fields, or notes beside a table.

    A focused scroll container shows nothing of its focus without colour, and plain keys on it
    are bindings: Tab from a form's last field landed on the form itself (or, on the plan
    screen, Tab from the table on its notes), and the next letter typed, ``b`` or ``q``, left
    the screen and the text typed so far. A field scrolls into view when it takes the focus;
    a screen binds keys that scroll the area itself (pgup/pgdn over a form, ``j``/``k`` for
    the plan's notes).

    Its scrollbar alone does not say there is more (in console mode a form one row too long
    draws a column of ``#``): the area posts :class:`Moved` when it scrolls or its size or
    content changes, and a screen shows :func:`scroll_hint` in a line of its own."""

    class Moved(Message):
        """The area scrolled, or what it holds or its size changed (queued ones coalesce)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FormScroll.Moved)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(FormScroll.Moved())

    def on_resize(self) -> None:  # Textual sends Resize when the content's size changes too
        self.post_message(FormScroll.Moved())


def scroll_hint(area: Widget, up: str = "pgup", down: str = "pgdn") -> str:
    """What of ``area`` is out of view and the key that scrolls to it: ``more below:
    pgdn``, ``more above: pgup``, both, or '' when it shows everything it holds."""
    top = round(area.scroll_y)
    parts = [f"more above: {up}"] if top > 0 else []
    parts += [f"more below: {down}"] if top < area.max_scroll_y else []
    return " · ".join(parts)


class ToastPlacement:
    """Mixin for a screen outside :class:`CapsliceScreen` (a modal dialog): its toasts are
    placed by :func:`place_toasts`, so a notification never covers the dialog's list,
    fields or buttons."""

    def on_mount(self) -> None:
        self.call_after_refresh(place_toasts, self)  # type: ignore[attr-defined]

    def on_resize(self) -> None:
        self.call_after_refresh(place_toasts, self)  # type: ignore[attr-defined]


class CapsliceScreen(Screen):
    """A screen that loads through the workspace facade in thread workers.

    Subclasses start ``@work(thread=True, exclusive=True, exit_on_error=False, group=...)``
    workers that call one facade function and post a message from ``messages.py``. This class
    holds the one ``Worker.StateChanged`` handler that turns a failed worker into an error
    notification and a line in the screen's ``#status`` widget (when it has one).
    """

    BINDINGS = [
        # q (global) also goes back, so b stays out of the footer to leave room there.
        Binding(
            "b", "back", "Back", show=False, id="back", tooltip="Go back to the previous screen"
        ),
        Binding("escape", "back", "Back", show=False, id="back-escape"),
    ]

    # A status longer than its line breaks between its " · " parts (capslice.tcss lets the
    # screen's #status grow to 4 rows), never inside a figure or a key's name.
    STATUS_FOLDS: bool = False

    # Shown by help (``?``): the screen's human title and what its columns/markers mean.
    HELP_TITLE: str = ""
    HELP_LEGEND: tuple[str, ...] = ()

    @property
    def ws(self) -> Workspace:
        """The workspace facade the app was built with."""
        return self.app.ws  # type: ignore[attr-defined]

    @property
    def ascii_console(self) -> bool:
        """Whether the app draws in console mode (see :mod:`capslice_tui.app.console`)."""
        return bool(getattr(self.app, "ascii_console", False))

    def on_mount(self) -> None:
        # A field reached by Tab keeps its text: Textual selects it all on focus, so the
        # next key typed wiped a pre-filled value (a catalog path, a budget, a baseline).
        from textual.widgets import Input

        for box in self.query(Input):
            box.select_on_focus = False
        # Console mode: the header's icon is ASCII (Textual draws U+2B58, absent from the
        # Linux console fonts). Textual calls this as well as each subclass's on_mount.
        if self.ascii_console:
            from textual.widgets import Header

            for header in self.query(Header):
                header.icon = "="

        self.call_after_refresh(self.place_toasts)

    def on_resize(self) -> None:
        self.call_after_refresh(self.place_toasts)

    def on_screen_suspend(self) -> None:
        """A full screen opened over this one starts without this screen's toasts.

        Textual's toasts belong to the app, not to the screen that raised them: an error
        toast of the interventions screen (whose short table leaves a toast room) stayed over
        the next screen, the taxonomy's descriptions (text, which :func:`place_toasts` does not
        keep toasts off). A dialog opened over this screen keeps them (:func:`place_toasts`
        moves them off it); going back (this screen popped) keeps those the screen below
        raises on its return."""
        if self in self.app.screen_stack and not isinstance(self.app.screen, ModalScreen):
            self.app.clear_notifications()

    def place_toasts(self) -> None:
        """Put this screen's toasts where they cover nothing the user works on
        (:func:`place_toasts`)."""
        place_toasts(self)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notify as Textual does; when the screen on top draws no toasts (its table, list
        or fields leave a toast no room: :func:`place_toasts`), this screen's status line
        shows the message instead, so it is read without covering anything."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)
        if self.is_attached and not place_toasts(self.app.screen):
            text = message
            if markup:
                from rich.errors import MarkupError
                from rich.text import Text

                try:
                    text = Text.from_markup(message).plain
                except MarkupError:
                    pass
            self.set_status((f"{title}: {text}" if title else text).replace("\n", " · "))

    def action_back(self) -> None:
        """Pop this screen unless it is the start screen."""
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def set_status(self, text: str) -> None:
        """Show ``text`` (plain, not markup) in the screen's ``#status`` line if present
        (its markers in ASCII in console mode)."""
        if self.ascii_console:
            from ..console import to_ascii

            text = to_ascii(text)
        for status in self.query("#status"):
            if isinstance(status, Static):
                if self.STATUS_FOLDS:
                    from ..format import fold_parts

                    room = status.content_region.width or self.app.size.width - 2
                    text = fold_parts(text, max(room, 20))
                status.update(_plain(text))

    def ask_undo(self, undo: Callable[[], object], hint: str) -> None:
        """Ask (y/n) before undoing the user's last labelling action; on yes call ``undo``
        (the screen's worker that calls ``ws.undo_labels``), on no say so. ``hint``: the
        dialog's line after the question (where the actions are listed). With nothing to
        undo (``ws.undo_target``, read in a worker) the status says so and nothing is asked."""
        self._undo_if_any(undo, hint)

    @work(thread=True, exclusive=True, exit_on_error=False, group="undo")
    def _undo_if_any(self, undo: Callable[[], object], hint: str) -> None:
        who = self.ws.current_user()
        if self.ws.undo_target(who=who) is None:
            self.app.call_from_thread(
                self.set_status, f"nothing to undo: {who} has no labelling action left to undo"
            )
        else:
            self.app.call_from_thread(self._confirm_undo, undo, hint)

    def _confirm_undo(self, undo: Callable[[], object], hint: str) -> None:
        from .confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                undo()
            else:
                self.set_status("not undone")

        question = f"Undo the last labelling action of {self.ws.current_user()}?\n{hint}"
        self.app.push_screen(ConfirmScreen(question), answered)

    def app_terms(self, text: str) -> str:
        """``text`` (a message of the core, written for the CLI) with its CLI advice in this
        screen's terms: a flag the screen has a key or field for names that key or field; a
        flag it has none for becomes the whole command, so every suggestion can be pasted
        (a screen overrides this; by default the text is unchanged)."""
        return text

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        from ...workspace.reliability import friendly_db_error

        error = event.worker.error
        if error is not None:  # a damaged store: one sentence naming doctor/recover
            error = friendly_db_error(error, getattr(self.ws, "store_path", "store")) or error
        text = self.app_terms(user_error(error) if error is not None else "unknown error")
        what = event.worker.group or event.worker.name
        self.set_status(f"error: {text}")
        # capslice.tcss docks toasts at the top, so this never covers the status line
        self.notify(
            f"{what} failed: {text}", title="capslice", severity="error", timeout=10, markup=False
        )


class HandLabelScreen(CapsliceScreen):
    """A screen whose ``l`` key hand-labels something (a sample's item, a slice's items).

    :meth:`fetch_axes_then_label` asks for ``axis=value`` in a :class:`LabelEditScreen`;
    on save the subclass's :meth:`apply_label` writes it (in a ``label`` thread worker).
    """

    @work(thread=True, exit_on_error=False, group="label")
    def fetch_axes_then_label(self, target: Any, title: str) -> None:
        """Read the taxonomy's axes (``ws.axes()``) off the UI thread, then show the label
        dialog titled ``title``; a saved edit with an axis and a value goes to
        ``apply_label(target, edit)``. Failures become a notification (``label failed``)."""
        from .label_edit import LabelEditScreen

        axes = self.ws.axes()

        def done(edit: Any) -> None:
            if edit is not None and edit.axis and edit.value:
                self.apply_label(target, edit)

        self.app.call_from_thread(self.app.push_screen, LabelEditScreen(title, axes), done)

    def apply_label(self, target: Any, edit: Any) -> None:
        """Write ``edit`` (a ``LabelEdit``) to ``target``; each subclass says what that is."""
        raise NotImplementedError(f"{type(self).__name__} does not define apply_label")


_OS_ERRORS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory, not a file",
    errno.ENOTDIR: "not a directory",
    errno.ENOSPC: "no space left on the device",
}
_ERRNO_TEXT = re.compile(r"\[Errno \d+\] ([^:]+?)(?:: '([^']*)')?$")


def user_error(error: BaseException | str) -> str:
    """One line for a user about a failed action: an OS error names the file and what went
    wrong (``XYZ: no such file``), never its errno (``[Errno 2] No such file or directory:
    'XYZ'``); other errors keep their message (the first line of it)."""
    if isinstance(error, OSError) and error.errno is not None:
        what = _OS_ERRORS.get(error.errno) or (error.strerror or str(error)).lower()
        name = error.filename if error.filename is not None else None
        return f"{name}: {what}" if name is not None else what
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    # an OS error already turned into text inside a message ("... [Errno 2] No such ...: 'X'")
    match = _ERRNO_TEXT.search(text)
    if match:
        what = match.group(1).lower()
        what = "no such file" if what == "no such file or directory" else what
        head = text[: match.start()].rstrip(" :")
        name = match.group(2)
        tail = f"{name}: {what}" if name is not None and name not in head else what
        return f"{head}: {tail}" if head else tail
    return text


def _plain(text: str) -> Any:
    from rich.text import Text

    return Text(text)
