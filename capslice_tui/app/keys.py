"""Keys that survive terminals: unknown escape sequences are dropped, Esc then a key is never
read as Alt+key, and a keymap file overrides bindings by their ids.

**Unknown escape sequences.** Textual's ``XTermParser`` turns a control sequence it does not
know into plain keys: ``ESC [ 1 ; 5 I`` (Ctrl+Tab from mintty) reaches the app as the keys
``[``, ``1``, ``;``, ``5``, ``I``, and ``ESC [ 9 9 ~`` is read as a kitty-protocol key with
code point 99, i.e. ``c``. Once parsed, those keys look exactly like typed ones, so they are
filtered in the parser: :class:`KeySafeParser` reads a *complete* CSI sequence (ECMA-48:
``ESC [``, parameter bytes ``0x30-0x3F``, intermediate bytes ``0x20-0x2F``, one final byte
``0x40-0x7E``) that names no key, mouse event or terminal report as nothing at all, and a
``CSI number ~`` / ``CSI 1;mods X`` whose number is no functional key as nothing, instead of
as characters. :func:`use_key_safe_parser` makes Textual's Linux drivers build this parser.

**Keymap.** ``$CAPSLICE_KEYMAP`` (else ``$XDG_CONFIG_HOME/capslice/keymap.yaml``, else
``~/.config/capslice/keymap.yaml``) is a YAML mapping of binding id to keys, e.g.
``app.menu: f2`` or ``runs.mark: c,space``; :func:`load_keymap` reads and checks it and the
app hands it to Textual's ``App.set_keymap``.

**Type-ahead.** Textual routes each key to the focused widget as it reads it, but a key that
no widget takes (``m``, Enter on a table, a menu entry's letter) runs its binding only after
it has bubbled up to the app: keys read meanwhile were already routed to the old screen and
lost there (``m`` then ``g`` within the same read left the menu open; the path typed after
``g`` went to the menu). :class:`TypeAhead` holds each key until the one before it has been
handled and the screen on top has mounted, so keys typed ahead reach the screen they open.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from textual import events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._keyboard_protocol import FUNCTIONAL_KEYS
from textual._xterm_parser import XTermParser
from textual.keys import Keys

# A complete CSI control sequence (ECMA-48 5.4).
_CSI = re.compile(r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]")
# What Textual reads after asking for key events: mouse reports, mode reports, cursor
# position and in-band resize (the parser checks these itself; they must pass untouched).
_REPORTS = (
    re.compile(r"\x1b\[(<?[-\d;]+[mM]|M.*)"),
    re.compile(r"\x1b\[\?\d+;\d\$y"),
    re.compile(r"\x1b\[\d+;\d+R"),
    re.compile(r"\x1b\[48;[\d:;]*t"),
)
# The kitty keyboard protocol's ``CSI code[;mods] final`` (as Textual matches it).
_EXTENDED = re.compile(r"\x1b\[((?:[\d:]*;?){2,3})([u~ABCDEFHPQRS])")
# ``ESC [ [`` starts the Linux console's F1-F5 (``ESC [ [ A``); ``ESC [ M`` an X10 mouse report.
_PREFIXES = ("\x1b[[", "\x1b[M")
# After Esc, these start a sequence (CSI, SS3, OSC, DCS, APC), not a key of their own.
_ESC_STARTS = "[O]P_"


def unknown_sequence(sequence: str) -> bool:
    """Whether ``sequence`` is a complete CSI sequence that names no key and no report.

    ``"\\x1b[1;5I"`` and ``"\\x1b[99~"`` -> True; ``"\\x1b[A"`` (up), ``"\\x1b[3~"``
    (delete), ``"\\x1b[1;5A"`` (ctrl+up), ``"\\x1b[97u"`` (kitty ``a``),
    ``"\\x1b[27;2;65~"`` (xterm modifyOtherKeys ``A``), mouse reports and incomplete
    sequences (``"\\x1b[1;5"``) -> False.
    """
    if sequence in _PREFIXES or not _CSI.fullmatch(sequence):
        return False
    if sequence in ANSI_SEQUENCES_KEYS or any(r.fullmatch(sequence) for r in _REPORTS):
        return False
    match = _EXTENDED.fullmatch(sequence)
    if match is None:
        return True  # a final byte no key uses (``I`` of Ctrl+Tab, ``Z`` with parameters...)
    codes, end = match.groups()
    if end == "u":
        return False  # kitty: a key by its Unicode code point
    params = codes.split(";")
    if len(params) >= 3 and params[2]:
        return False  # xterm modifyOtherKeys, CSI 27;mods;code~ (shift+A arrives as 27;2;65~)
    code = params[0] or "1"
    return f"{code}{end}" not in FUNCTIONAL_KEYS


def escape_then_key(sequence: str) -> bool:
    """Whether ``sequence`` is Esc followed by one key that starts no escape sequence.

    ``"\\x1bb"`` (Esc, then ``b`` within Textual's 100 ms escape delay) -> True; Textual
    would read it as ctrl+left (``\\x1bb`` is macOS option+left), ``"\\x1b1"`` as ``¡`` and
    ``"\\x1bq"`` as alt+q, so the Esc was lost. ``"\\x1b["``, ``"\\x1bO"`` (the starts of
    CSI and SS3 keys), ``"\\x1b]"``, ``"\\x1bP"``, ``"\\x1b_"`` (terminal strings) and
    ``"\\x1b\\x1b"`` -> False.
    """
    return len(sequence) == 2 and sequence[0] == "\x1b" and sequence[1] not in _ESC_STARTS


class KeySafeParser(XTermParser):
    """Textual's terminal input parser, except that

    - an unknown complete CSI sequence becomes an ignored key (Textual drops ``Keys.Ignore``
      events) instead of typed characters;
    - Esc followed by a key before the escape delay (a laggy link delivers both in one
      packet) is Esc, then that key (:func:`escape_then_key`), never Alt+key: ``Esc`` then
      ``b`` goes back twice instead of once as ctrl+left. The app binds no Alt key.
    """

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if unknown_sequence(sequence):
            self.debug_log(f"unknown sequence dropped: {sequence!r}")
            return [events.Key(Keys.Ignore, sequence)]
        if escape_then_key(sequence):
            return [events.Key("escape", "\x1b"), *super()._sequence_to_key_events(sequence[1])]
        return super()._sequence_to_key_events(sequence, alt)


def use_key_safe_parser() -> None:
    """Make Textual's Linux drivers (full screen and inline) read input with
    :class:`KeySafeParser`. Their input threads build the parser from the module name
    ``XTermParser``, so that name is pointed at the subclass; other platforms are unchanged."""
    try:
        from textual.drivers import linux_driver, linux_inline_driver
    except ImportError:  # Windows: no termios, a different driver
        return
    linux_driver.XTermParser = KeySafeParser  # type: ignore[misc]
    linux_inline_driver.XTermParser = KeySafeParser  # type: ignore[misc]


class TypeAhead:
    """Keys (and pastes) read but not yet routed, and the one being handled.

    The app routes a held key only when :meth:`ready`: the key routed before it has been
    handled (it bubbled up to the app and ran its binding there, or a widget or screen
    stopped it on the way) and the screen on top has mounted (its fields exist and have the
    focus). A key whose handling cannot be seen (its widget was removed with it) releases
    the next after :data:`WAIT` seconds, so typing never stalls for longer."""

    WAIT = 2.0
    """Seconds a held key waits at most for the key before it or for a screen to mount."""

    def __init__(self) -> None:
        self.held: deque[events.Event] = deque()
        self.in_flight: events.Event | None = None
        self._to_app = False  # the key in flight is queued for the app's own bindings
        self._since = 0.0
        self.settled: object | None = None  # the screen last seen mounted and refreshed

    def hold(self, event: events.Event) -> None:
        """Queue ``event`` (read from the terminal, not yet routed) behind those held."""
        if not self.held and self.in_flight is None:
            self._since = time.monotonic()
        self.held.append(event)

    def routed(self, event: events.Event) -> None:
        """``event`` was handed to a widget or screen: the next waits for its handling."""
        self.in_flight, self._to_app = event, False
        self._since = time.monotonic()

    def bubbling(self, event: events.Event) -> None:
        """``event`` is being posted to the app (it bubbled up past the screen; Textual
        marks it stopped there, as the app sent it, so its stop no longer means handled)."""
        if event is self.in_flight:
            self._to_app = True

    def handled(self, event: events.Event) -> None:
        """``event`` reached the app and its bindings there have run."""
        if event is self.in_flight:
            self.in_flight, self._to_app = None, False
            self._since = time.monotonic()

    def ready(self, screen_mounted: bool) -> bool:
        """Whether the first held key may be routed now."""
        late = time.monotonic() - self._since > self.WAIT
        key = self.in_flight
        if key is not None and ((key._stop_propagation and not self._to_app) or late):
            self.handled(key)  # a widget or screen took it (or it was lost with its widget)
        return bool(self.held) and self.in_flight is None and (screen_mounted or late)

    @property
    def waiting(self) -> bool:
        """Whether anything is held or being handled (the app then polls :meth:`ready`)."""
        return bool(self.held) or self.in_flight is not None


def keymap_path() -> tuple[Path, bool]:
    """Where the keymap file is, and whether the user named it (``$CAPSLICE_KEYMAP``).

    A named file that is missing is an error; the default one is optional."""
    named = os.environ.get("CAPSLICE_KEYMAP")
    if named:
        return Path(named).expanduser(), True
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "capslice" / "keymap.yaml", False


def load_keymap(
    path: Path | None = None, known_ids: set[str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """Read a keymap file: ``{binding id: "key[,key]"}`` and the problems found.

    Args:
        path: the file; default :func:`keymap_path`.
        known_ids: binding ids the app has; an id not among them is reported (and kept out).

    Returns:
        ``(keymap, problems)``; each problem is one line naming the file (and the line of a
        bad entry when YAML gives it). A missing default file gives ``({}, [])``.
    """
    import yaml

    named = True
    if path is None:
        path, named = keymap_path()
    if not path.exists():
        return {}, ([f"{path}: no such keymap file ($CAPSLICE_KEYMAP)"] if named else [])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{path}: cannot read the keymap ({exc})"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        return {}, [f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{path}: a keymap is a mapping 'binding-id: keys', not {type(data).__name__}"]
    keymap: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in data.items():
        if not isinstance(binding_id, str) or not isinstance(keys, str) or not keys.strip():
            problems.append(
                f"{path}: entry {binding_id!r}: keys must be text like 'f2' or 'c,space'"
            )
            continue
        if known_ids is not None and binding_id not in known_ids:
            problems.append(f"{path}: unknown binding id {binding_id!r} (ignored)")
            continue
        keymap[binding_id] = ",".join(k.strip() for k in keys.split(",") if k.strip())
    return keymap, problems


def binding_ids(classes: Iterable[type]) -> set[str]:
    """Every binding id declared by ``classes`` and their bases (``BINDINGS`` lists)."""
    from textual.binding import Binding

    ids: set[str] = set()
    for cls in classes:
        for klass in getattr(cls, "__mro__", (cls,)):
            for b in getattr(klass, "BINDINGS", ()) or ():
                if isinstance(b, Binding) and b.id:
                    ids.add(b.id)
    return ids


def screen_classes() -> Iterator[type]:
    """Every screen and widget class of ``capslice_tui.app.screens`` and
    ``capslice_tui.app.widgets`` (imports those modules), with the Textual widgets they
    use, so every binding id a keymap may name is found."""
    import importlib
    import pkgutil

    from textual.dom import DOMNode

    from . import screens, widgets

    for package in (screens, widgets):
        for mod in pkgutil.iter_modules(package.__path__):
            module: Any = importlib.import_module(f"{package.__name__}.{mod.name}")
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, DOMNode):
                    yield value
