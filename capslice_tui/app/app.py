"""The capslice Textual app and its factory ``make_app`` (used by the CLI and the tests).

Screens reach data only through the workspace facade (``app.ws``), always from thread
workers. Other screens join the app through :data:`NAVIGATION`: append one
``NavEntry(key, label, "capslice_tui.app.screens.module:ScreenClass")`` and the ``m`` menu
and the command palette list it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.content import Content
from textual.filter import LineFilter
from textual.screen import Screen
from textual.scrollbar import ScrollBar, ScrollBarRender

from ..formatting import keep_cut, middle_cut
from .commands import CapsliceCommands
from .console import AsciiLineFilter, AsciiScrollBarRender, ascii_console, to_ascii
from .format import word_cuts
from .inputs import mark_placeholders
from .keys import TypeAhead
from .screens.base import CapsliceScreen
from .screens.runs import RunsScreen

if TYPE_CHECKING:  # the help and the menu load when first shown, not at start-up (issue 14)
    from ..workspace import Workspace
    from .screens.help import HelpRow


HEADER_CHROME = 18
"""Columns of the header line that are not its title: the icon on the left and the room
Textual keeps on the right (the title is centred in ``width - 18`` at 80 columns)."""


def fit_sub_title(sub_title: str, room: int) -> str:
    """``sub_title`` in ``room`` characters: ``RUN · REST`` keeps REST (the benchmark, or
    ``samples``) whole and cuts RUN in the middle (its start and its end, step and suffix,
    stay: :func:`capslice_tui.formatting.middle_cut`); otherwise the whole is cut in the
    middle. Unchanged when it fits; at least 12 characters are kept."""
    room = max(room, 12)
    if len(sub_title) <= room:
        return sub_title
    head, sep, rest = sub_title.partition(" · ")
    if sep and len(rest) + len(sep) + 12 <= room:
        return _fit_pair(head, room - len(sep) - len(rest)) + sep + rest
    return _fit_pair(sub_title, room)


def _fit_pair(text: str, room: int) -> str:
    """``text`` in ``room`` characters; ``VERB A -> B`` (a pair of runs) cuts the run names
    only, each by :func:`capslice_tui.formatting.distinct_cuts` against the other to its
    share of what the verb and arrow leave (a short name leaves its room to the other), so
    both keep the part that tells them apart (a middle cut of the whole cut only the first:
    ``gsm/6b_~ification -> gsm/175b_verification``); anything else is cut in the middle.
    The names are cut between whole words first (:func:`.format.word_cuts`, bf63123's word
    cutter: ``base gsm/6b_verification -> cand gsm/175b…``), the roles ``base``/``cand``
    kept whole; where no such cuts fit, inside words as above."""
    verb, space, pair = text.partition(" ")
    if " -> " not in pair:
        verb, space, pair = "", "", text
    a, arrow, b = pair.partition(" -> ")
    left = room - len(verb) - len(space) - len(arrow)  # room for the two names
    if not arrow or left < 16:
        return middle_cut(text, room)
    # the roles run_pair puts before the names (``base A -> cand B``) are never cut
    roles = ("base ", "cand ") if a.startswith("base ") and b.startswith("cand ") else ("", "")
    a, b = a[len(roles[0]) :], b[len(roles[1]) :]
    left -= len(roles[0]) + len(roles[1])
    # between whole words where that keeps the two apart (``gsm/175b…``, never ``…ation``)
    words = word_cuts([a, b], left, [[b], [a]]) if left >= 16 else None
    if words is not None:
        return f"{verb}{space}{roles[0]}{words[0]}{arrow}{roles[1]}{words[1]}"
    half = left // 2
    wa = len(a) if len(a) <= half else (left - len(b) if len(b) <= half else half)
    cut_a = _cut_apart(a, b, wa)
    cut_b = _cut_apart(b, a, left - len(cut_a))
    return f"{verb}{space}{roles[0]}{cut_a}{arrow}{roles[1]}{cut_b}"


def _cut_apart(name: str, other: str, width: int) -> str:
    """``name`` cut to ``width`` keeping whole the part where it differs from ``other``
    (between their shared start and shared end: ``175`` of ``gsm/175b_verification`` beside
    ``gsm/6b_verification``; :func:`capslice_tui.formatting.keep_cut`)."""
    if len(name) <= width:
        return name
    start = len(os.path.commonprefix([name, other]))
    end = len(os.path.commonprefix([name[::-1], other[::-1]]))
    stop = max(start, len(name) - end)
    return keep_cut(name, width, start, stop) if stop > start else middle_cut(name, width)


@dataclass(frozen=True)
class NavEntry:
    """A screen reachable from the menu.

    Attributes:
        key: one plain key (letter or digit) that opens it from the menu.
        label: what the menu shows.
        factory: ``"package.module:ScreenClass"`` (imported on first use, called with no
            arguments), a callable returning a Screen, or ``None`` for the start screen.
        run_arg: the keyword through which the screen takes the run the screen below the
            menu is on (its ``context_run()``: the runs screen's highlighted run, a slices or
            samples screen's run), so the menu opens it there; ``None``: it takes none.
        pair: the screen also takes the pair the screen below the menu is on (a compare or a
            diagnosis of base -> cand, :func:`.screens.menu.context_pair`): the base through
            ``run_arg``, the candidate and the benchmark through ``candidate`` and
            ``benchmark`` (the plan: the pair's plan, as ``capslice plan --candidate``).
        fresh: the entry always opens a new screen on top of the screen the menu was opened
            from, never returns to one open lower in the stack (the label history: what it
            lists changes with every labelling action, and ``u`` undoes the newest); on
            that screen itself it reloads it (its ``action_reload``).
    """

    key: str
    label: str
    factory: str | Callable[..., Screen] | None
    run_arg: str | None = None
    pair: bool = False
    fresh: bool = False


# Human names of focused widgets for the help's section titles.
WIDGET_NAMES = {
    "VerticalScroll": "scrolling",
    "ResultTable": "table (focused)",
    "DataTable": "table (focused)",
    "Input": "text input (focused)",
    "OptionList": "list (focused)",
}

NAVIGATION: list[NavEntry] = [
    NavEntry("r", "Runs (start screen)", None),
]


def resolve_screen(factory: str | Callable[..., Screen], **kwargs: Any) -> Screen:
    """Build the screen of a navigation entry (``kwargs``: passed to its factory).

    Raises:
        ValueError: a string factory not of the form ``module:attribute``.
        ImportError / AttributeError: the module or attribute does not exist.
    """
    if isinstance(factory, str):
        module_name, sep, attr = factory.partition(":")
        if not sep:
            raise ValueError(f"navigation factory {factory!r} must look like 'module:Screen'")
        factory = getattr(importlib.import_module(module_name), attr)
    return factory(**kwargs)


def entry_context(entry: NavEntry, stack: list[Screen]) -> dict[str, Any]:
    """The keyword arguments ``entry``'s screen opens with over ``stack`` (the app's screens,
    the menu popped): ``{run_arg: run}`` of :func:`.screens.menu.context_run`; for a ``pair``
    entry over a pair, ``{run_arg: base, "candidate": cand, "benchmark": benchmark}``
    (:func:`.screens.menu.context_pair`; no benchmark when the pair has none); ``{}`` when the
    entry takes no run or the stack has none."""
    from .screens.menu import context_pair, context_run

    if not entry.run_arg:
        return {}
    run = context_run(stack)
    kwargs: dict[str, Any] = {entry.run_arg: run} if run else {}
    pair = context_pair(stack) if entry.pair else None
    if pair is not None:
        kwargs.update({entry.run_arg: pair[0], "candidate": pair[1]})
        kwargs.update({"benchmark": pair[2]} if pair[2] else {})
    return kwargs


def _overrides_back(screen: Screen) -> bool:
    """Whether ``screen`` does something of its own on back (a picker that returns to its
    first view), beyond popping itself."""
    own = getattr(type(screen), "action_back", None)
    return own is not None and own is not CapsliceScreen.action_back


class CapsliceApp(App):
    """capslice terminal app. Start screen: runs; ``m`` menu; ``?``/``h`` help; ``q`` back/quit."""

    CSS_PATH = "capslice.tcss"
    TITLE = "capslice"
    # Toasts are transient (the status line keeps the text); errors pass a longer timeout.
    NOTIFICATION_TIMEOUT = 3
    COMMANDS = App.COMMANDS | {CapsliceCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("h", "help", "Help", show=False, id="app.help-h"),
        Binding("m", "menu", "Menu", id="app.menu"),
        Binding("q", "back_or_quit", "Back/Quit", id="app.quit"),
        # Inputs take every printable key (``?``, ``b``, ``q``); these work while typing.
        Binding(
            "f1", "help", "Help, also while typing", show=False, priority=True, id="app.help-f1"
        ),
        # Focus moves as the app reads the key, before it hands the next key to a widget:
        # as a screen binding (Textual's default) Tab ran only after the keys typed right
        # behind it had been queued for the old field ("base<Tab>bbh" -> "basebbh").
        Binding("tab", "focus_next", "Next field", show=False, priority=True, id="app.next"),
        Binding(
            "shift+tab",
            "focus_previous",
            "Previous field",
            show=False,
            priority=True,
            id="app.previous",
        ),
        Binding(
            "ctrl+b",
            "back_anywhere",
            "Back, also while typing",
            show=False,
            priority=True,
            id="app.back",
        ),
    ]

    def __init__(
        self, workspace: Workspace, store_path: Path | None = None, *, ascii: bool | None = None
    ) -> None:
        """``ascii``: console mode (ASCII borders, scrollbars, icons and markers; see
        :mod:`capslice_tui.app.console`); ``None`` decides from ``TERM``/``CAPSLICE_ASCII``."""
        super().__init__()
        self.ws: Workspace = workspace
        self.store_path = store_path
        if store_path is not None:
            self.sub_title = str(store_path)
        # Slow links: scrolling jumps (no animation frames per key), on every terminal.
        self.animation_level = "none"
        self.ascii_console = ascii_console() if ascii is None else ascii
        self._ascii_filter = AsciiLineFilter()
        # The renderer is a class attribute of ScrollBar (Textual's documented hook): set it
        # for this app's mode each time an app is built, so one process can run both modes.
        ScrollBar.renderer = AsciiScrollBarRender if self.ascii_console else ScrollBarRender
        mark_placeholders()  # "<hint>": a placeholder never reads as a pre-filled value
        self.keymap_problems: list[str] = []
        self._load_keymap()
        self._type_ahead = TypeAhead()

    def _load_keymap(self) -> None:
        """Apply the user's keymap file (see :mod:`capslice_tui.app.keys`); its problems are
        shown once the app is up. The screen modules are imported (to learn every binding id)
        only when such a file exists."""
        from .keys import binding_ids, keymap_path, load_keymap, screen_classes

        path, named = keymap_path()
        if not named and not path.exists():
            return
        known = binding_ids([type(self), *screen_classes()])
        keymap, self.keymap_problems = load_keymap(path, known)
        if keymap:
            self.set_keymap(keymap)

    def get_driver_class(self) -> Any:
        """Textual's driver, reading input with :class:`~capslice_tui.app.keys.KeySafeParser`
        (unknown escape sequences never reach an input as typed characters)."""
        from .keys import use_key_safe_parser

        use_key_safe_parser()
        return super().get_driver_class()

    def on_mount(self) -> None:
        # capslice.tcss keys every console-mode rule (ascii borders) on this class.
        self.set_class(self.ascii_console, "-ascii")
        self._type_ahead_timer = self.set_interval(0.02, self._release_keys, pause=True)
        for problem in self.keymap_problems:
            self.notify(problem, title="keymap", severity="warning", timeout=15, markup=False)

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes reach the screen they were typed for (:class:`.keys.TypeAhead`):
        one read from the terminal waits until the one before it has been handled and the
        screen on top has mounted, then is routed as Textual routes it."""
        if isinstance(event, (events.Key, events.Paste)):
            if not event.is_forwarded:
                self._type_ahead.hold(event)
                await self._release_keys()
                return
            if event is self._type_ahead.in_flight:  # bubbled up: the app's bindings run
                await super().on_event(event)
                self._type_ahead.handled(event)
                await self._release_keys()
                return
        await super().on_event(event)

    def post_message(self, message: Any) -> bool:
        type_ahead = getattr(self, "_type_ahead", None)  # None while App.__init__ runs
        if type_ahead is not None:
            type_ahead.bubbling(message)
        return super().post_message(message)

    async def _release_keys(self) -> None:
        """Route the held keys that may go now; poll again while any is held or handled."""
        held = self._type_ahead
        while held.ready(self._screen_settled()):
            event = held.held.popleft()
            # a letter a field takes is typed there and opens nothing: the next key need not
            # wait for it (each waited for the poll: 192 characters took 3.9 s)
            focused = self.focused
            typed = (
                isinstance(event, events.Key)
                and focused is not None
                and focused.check_consume_key(event.key, event.character)
            )
            await super().on_event(event)  # a priority binding, else routed to the focus
            if event.is_forwarded and not typed:
                held.routed(event)
        timer = getattr(self, "_type_ahead_timer", None)
        if timer is not None:
            timer.resume() if held.waiting else timer.pause()

    def _screen_settled(self) -> bool:
        """Whether the screen on top has mounted and had one refresh since: the focus its
        ``on_mount`` gives (``widget.focus()`` runs later, from the app's queue) is set
        before a held Tab moves it, or a held letter lands in a field."""
        screen = self.screen if self.screen_stack else None
        if screen is None or not screen.is_mounted:
            return False
        if screen is not self._type_ahead.settled:
            self._type_ahead.settled = screen
            self.call_after_refresh(self._release_keys)
            return False
        return True

    def on_descendant_focus(self, event: Any) -> None:
        """A focused button shows ``> label <`` (as a table's cursor row shows ``>``), so the
        button Enter presses is visible without colour or reverse video."""
        from textual.widgets import Button

        button = event.widget
        if isinstance(button, Button) and not str(button.label).startswith("> "):
            button.label = f"> {button.label} <"

    def on_descendant_blur(self, event: Any) -> None:
        from textual.widgets import Button

        button = event.widget
        text = str(button.label) if isinstance(button, Button) else ""
        if text.startswith("> ") and text.endswith(" <"):
            button.label = text[2:-2]

    def get_line_filters(self) -> Sequence[LineFilter]:
        """Textual's filters (``NO_COLOR`` monochrome...), plus the ASCII marker filter in
        console mode."""
        filters = super().get_line_filters()
        return [*filters, self._ascii_filter] if self.ascii_console else filters

    def get_key_display(self, binding: Binding) -> str:
        """Textual's key name (``⏎``, ``↑``), in ASCII words in console mode (``enter``)."""
        display = super().get_key_display(binding)
        return to_ascii(display) if self.ascii_console else display

    def format_title(self, title: str, sub_title: str) -> Content:
        """The header line; console mode joins title and subtitle with `` - `` in ASCII.

        A subtitle longer than the header's middle (the width less :data:`HEADER_CHROME`)
        is cut by :func:`fit_sub_title`: a long run name loses its middle, never its end
        (``step11931-hf``) or the benchmark after it."""
        room = self.size.width - HEADER_CHROME - len(title) - 3
        sub_title = fit_sub_title(sub_title, room)
        if not self.ascii_console:
            return super().format_title(title, sub_title)
        # a cut's mark stays one character (``~``, as the console filter shows ``…``)
        text = to_ascii((f"{title} - {sub_title}" if sub_title else title).replace("…", "~"))
        return Content(text)

    def action_command_palette(self) -> None:
        """Textual's command palette; in console mode with an ASCII icon and placeholder."""
        if not self.ascii_console:
            super().action_command_palette()
            return
        from textual.command import CommandPalette

        from .console import AsciiCommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(
                AsciiCommandPalette(id="--command-palette", placeholder="Search for commands...")
            )

    def get_default_screen(self) -> Screen:
        return RunsScreen()

    def action_back_anywhere(self) -> None:
        """ctrl+b: what ``b``/Escape do on the current screen (back, or cancel a dialog or a
        prompt), also while an input has the focus; never quits."""
        screen = self.screen
        for name in ("action_back", "action_cancel"):
            action = getattr(screen, name, None)
            if callable(action):
                action()
                return
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_back_or_quit(self) -> None:
        """Go back as ``b`` does (the screen's own back: a trend's results return to its run
        picker); on the start screen, quit."""
        if len(self.screen_stack) > 1:
            back = getattr(self.screen, "action_back", None)
            if callable(back):
                back()
            else:
                self.pop_screen()
        else:
            self.exit()

    def help_rows(self, screen: Screen) -> list[HelpRow]:
        """Every active binding of ``screen`` (screen, focused widget and global).

        Rows hold the key as displayed and the binding's description; a key with the same
        description as one already listed (``esc`` next to ``b`` Back) is folded into it.
        """
        from .screens.help import HelpRow

        rows: list[HelpRow] = []
        by_description: dict[tuple[str, str], int] = {}
        # the start screen has nothing to go back to: no Back rows there, and q quits
        root = screen is self.screen_stack[0] and not _overrides_back(screen)
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.system or "copy" in binding.action or binding.action == "command_palette":
                continue  # terminal plumbing; the palette gets its own row below
            if root and binding.action in ("back", "back_anywhere"):
                continue
            if active.node is self:
                section = "global"
            elif active.node is screen:
                section = "this screen"
            else:
                section = f"{WIDGET_NAMES.get(type(active.node).__name__, 'focused widget')}"
            description = binding.description or binding.tooltip or binding.action
            if root and binding.action == "back_or_quit":
                description = "Quit"
            if binding.tooltip and binding.tooltip != description:
                description = f"{description}: {binding.tooltip}"
            display = self.get_key_display(binding)
            if display.startswith("^") and len(display) > 1:  # one form beside ctrl+p below
                display = "ctrl+" + display[1:]
            seen = by_description.get((section, binding.description or binding.action))
            if seen is not None:
                old = rows[seen]
                rows[seen] = HelpRow(section, f"{old.key}/{display}", description, old.binding_id)
                continue
            by_description[(section, binding.description or binding.action)] = len(rows)
            rows.append(HelpRow(section, display, description, binding.id))
        rows.append(HelpRow("global", "ctrl+p", "command palette (this screen's commands)", None))
        order = {"this screen": 0, "global": 2}
        rows.sort(key=lambda r: order.get(r.section, 1))
        return rows

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        title = getattr(screen, "HELP_TITLE", "") or screen.sub_title or "capslice"
        legend = tuple(getattr(screen, "HELP_LEGEND", ()))
        self.push_screen(HelpScreen(title, self.help_rows(screen), legend))

    def action_menu(self) -> None:
        from .screens.menu import MenuScreen

        if not isinstance(self.screen, MenuScreen):
            self.push_screen(MenuScreen(NAVIGATION))

    def open_navigation(self, entry: NavEntry) -> None:
        """Open a navigation entry's screen on top of the screen the menu was opened from.

        The back stack is kept: ``q``/``b`` from the new screen return to the screen the
        menu was opened from (a compare, a slice, a plan with its inputs...), also when that
        screen was itself opened from the menu. Help is replaced rather than stacked. A
        screen already open from the menu is never stacked twice: its entry returns to that
        screen (popping what lies above it, its inputs kept), so menu hops stay bounded by
        the menu's length (but an entry marked ``fresh``, the label history, opens a new
        screen on top, so the back stack keeps the order the user went). An entry whose factory is ``None`` (the start screen) pops back to
        the start screen. An entry with a ``run_arg`` opens on the run of the screen the menu
        was opened from (its ``context_run()``; the runs screen's highlighted run), or of
        the nearest screen under it that has one (a sample's detail: its samples' run); an
        entry with ``pair`` opened over a compare or a diagnosis of a pair opens on the pair.
        Returning to an open screen from a screen above it that is on another run or pair
        hands that context to the open screen's ``refill(**kwargs)`` when it has one (the
        plan form is filled with the pair or run the menu was opened from, as a new one
        would be; opened from the open screen itself, nothing changes).
        """
        from .screens.help import HelpScreen

        while len(self.screen_stack) > 1 and isinstance(self.screen, HelpScreen):
            self.pop_screen()
        if entry.fresh and getattr(self.screen, "opened_from_menu", None) == entry.factory:
            reload = getattr(self.screen, "action_reload", None)
            if callable(reload):
                reload()
                return
        if entry.factory is not None and not entry.fresh:
            open_already = [
                s
                for s in self.screen_stack[1:]
                if getattr(s, "opened_from_menu", None) == entry.factory
            ]
            if open_already:
                above = self.screen_stack[self.screen_stack.index(open_already[0]) + 1 :]
                context = entry_context(entry, above) if above else {}
                while self.screen is not open_already[0]:
                    self.pop_screen()
                refill = getattr(open_already[0], "refill", None)
                if context and callable(refill):
                    refill(**context)
                return
        kwargs = entry_context(entry, self.screen_stack)
        try:
            screen = None if entry.factory is None else resolve_screen(entry.factory, **kwargs)
        except Exception as exc:  # a broken entry must not take the app down
            self.notify(f"cannot open {entry.label}: {exc}", severity="error", markup=False)
            return
        if screen is None:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            return
        screen.opened_from_menu = entry.factory  # type: ignore[attr-defined]
        self.push_screen(screen)


def make_app(
    store_path: str | os.PathLike[str],
    taxonomy_dir: str | os.PathLike[str] | None = None,
    *,
    workspace: Workspace | None = None,
    ascii: bool | None = None,
) -> CapsliceApp:
    """Build the app on a store (the CLI and the tests both call this).

    Args:
        store_path: SQLite store file (created on first use by the workspace).
        taxonomy_dir: directory with the user's taxonomy YAML, or ``None`` for the default.
        workspace: an already built facade object (tests pass a fake one); by default a
            :class:`capslice_tui.workspace.Workspace` on ``store_path``.
        ascii: console mode on/off; ``None`` (default) turns it on under ``TERM=linux`` or
            ``CAPSLICE_ASCII=1`` (see :func:`capslice_tui.app.console.ascii_console`).
    """
    if workspace is None:
        from ..workspace import Workspace

        workspace = Workspace(Path(store_path), Path(taxonomy_dir) if taxonomy_dir else None)
    return CapsliceApp(workspace, Path(store_path), ascii=ascii)


NAVIGATION.append(
    NavEntry(
        "p", "Sampling plan", "capslice_tui.app.screens.plan:PlanScreen", "baseline", pair=True
    )
)
NAVIGATION.append(
    NavEntry("i", "Interventions", "capslice_tui.app.screens.interventions:InterventionsScreen")
)
NAVIGATION.append(NavEntry("g", "Ingest logs", "capslice_tui.app.screens.ingest:IngestScreen"))
NAVIGATION.append(NavEntry("t", "Taxonomy", "capslice_tui.app.screens.taxonomy:TaxonomyScreen"))
NAVIGATION.append(
    NavEntry("d", "Discover slices", "capslice_tui.app.screens.discover:DiscoverScreen", "run")
)
NAVIGATION.append(
    NavEntry(
        "e",
        "Re-score stored generations",
        "capslice_tui.app.screens.rescore:RescoreScreen",
        "cursor_run",
    )
)
NAVIGATION.append(
    NavEntry("k", "Checkpoint trend", "capslice_tui.app.screens.trend:TrendScreen", "cursor_run")
)
NAVIGATION.append(
    NavEntry("s", "Named slices", "capslice_tui.app.screens.named_slices:NamedSlicesScreen")
)
NAVIGATION.append(
    NavEntry(
        "l",
        "Label history and undo",
        "capslice_tui.app.screens.label_history:LabelHistoryScreen",
        fresh=True,
    )
)
NAVIGATION.append(
    NavEntry("o", "Store doctor and backup", "capslice_tui.app.screens.doctor:DoctorScreen")
)
NAVIGATION.append(
    NavEntry("x", "Export / import a store", "capslice_tui.app.screens.exchange:ExchangeScreen")
)
