"""Team hubs: the store's hubs, and push or pull with progress (``capslice push``/``pull``)."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Footer, Header, Static

from ...formatting import plural
from ..format import cell
from ..widgets.result_table import ResultTable
from .base import CapsliceScreen


class HubScreen(CapsliceScreen):
    """The store's team hubs (PostgreSQL remotes). ``p`` pushes to the highlighted hub what
    changed here since the last sync, ``l`` pulls what changed there; progress and the
    report (counts, conflicts, notes) show below the table. Conflicts are never settled here:
    the report names ``capslice push --ours`` and ``capslice pull --theirs``."""

    HELP_TITLE = "team hubs"
    HELP_LEGEND = (
        "a hub is a PostgreSQL database shared by the team: capslice hub add NAME URL",
        "p: push runs, labels, slices and interventions changed here since the last sync",
        "l: pull what changed on the hub since the last pull (runs arrive whole)",
        "conflicts (changed on both sides) are reported, never overwritten",
    )

    BINDINGS = [
        Binding("p", "push", "Push", id="hub.push", tooltip="Push to the highlighted hub"),
        Binding("l", "pull", "Pull", id="hub.pull", tooltip="Pull from the highlighted hub"),
        Binding("r", "reload", "Reload", id="hub.reload", tooltip="Reload the list of hubs"),
    ]

    class Loaded(Message):
        """``ws.hubs()`` finished."""

        def __init__(self, hubs: list[dict[str, Any]]) -> None:
            super().__init__()
            self.hubs = hubs

    class Progress(Message):
        """A push or pull reported progress."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Done(Message):
        """A push or pull finished with its report lines."""

        def __init__(self, lines: list[str]) -> None:
            super().__init__()
            self.lines = lines

    busy = False
    last_result = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield ResultTable(id="hubs")
        yield Static("", id="log")
        yield Static("loading hubs…", id="status")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.sub_title = "team hubs"
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="hubs")
    def load(self) -> None:
        self.post_message(self.Loaded(self.ws.hubs()))

    def on_hub_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(ResultTable)
        table.set_columns(["hub", "url", "last push", "last pull"])
        table.set_rows(
            [
                (h, [cell(h["name"], 12), cell(h["url"], 40),
                     cell((h["last_push"] or "-")[:16]), cell((h["last_pull"] or "-")[:16])])
                for h in message.hubs
            ]
        )  # fmt: skip
        table.focus()
        last = f"{self.last_result} · " if self.last_result else ""
        if message.hubs:
            self.set_status(f"{last}{plural(len(message.hubs), 'hub')} · p push, l pull, r reload")
        else:
            self.set_status("no hub yet: capslice hub add NAME postgresql://host/db")

    def _start(self, direction: str) -> None:
        payload = self.query_one(ResultTable).current_payload
        if payload is None:
            self.set_status("highlight a hub first (capslice hub add NAME URL adds one)")
            return
        if self.busy:
            self.set_status("a push or pull is under way")
            return
        self.busy = True
        self.query_one("#log", Static).update(cell(f"{direction} {payload['name']}…"))
        self.set_status(f"{direction}ing {payload['name']}…")
        self.sync(direction, payload["name"])

    def action_push(self) -> None:
        self._start("push")

    def action_pull(self) -> None:
        self._start("pull")

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="hub sync")
    def sync(self, direction: str, hub: str) -> None:
        def progress(text: str) -> None:
            self.post_message(self.Progress(text))

        try:
            if direction == "push":
                report = self.ws.hub_push(hub, progress=progress)
            else:
                report = self.ws.hub_pull(hub, progress=progress)
        finally:
            self.busy = False
        self.post_message(self.Done(report["lines"]))

    def on_hub_screen_progress(self, message: Progress) -> None:
        self.set_status(message.text)

    def on_hub_screen_done(self, message: Done) -> None:
        self.query_one("#log", Static).update(cell("\n".join(message.lines)))
        self.last_result = message.lines[0] if message.lines else "done"
        self.set_status(self.last_result)
        self.load()
