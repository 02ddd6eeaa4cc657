"""The ``capslice`` command line (click): the root group with the commands that list and show
(:mod:`.root`), one module per command group, and the table/JSON/Markdown output
(:mod:`.render`). Every command calls the workspace facade; none touches the store.

Start-up (issue 14): a command group's module is imported the first time one of its commands
is looked up (``capslice compare`` imports :mod:`.diagnose`, ``capslice runs`` none of them;
``--help`` all of them, for their one-line help). ``main.commands`` still names every command
and hands out each one, loading its module as needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import click

from .root import main

# command name -> (module of this package, attribute), in the order they were registered
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("diagnose", "compare"),
    "diagnose": ("diagnose", "diagnose"),
    "report": ("diagnose", "report"),
    "discover": ("discover", "discover"),
    "doctor": ("doctor", "doctor"),
    "recover": ("doctor", "recover"),
    "backup": ("doctor", "backup"),
    "export": ("exchange", "export_cmd"),
    "import": ("exchange", "import_cmd"),
    "hub": ("hub", "hub"),
    "push": ("hub", "push"),
    "pull": ("hub", "pull"),
    "label": ("label", "label"),
    "plan": ("plan", "plan_cmd"),
    "intervention": ("plan", "intervention"),
    "rescore": ("rescore", "rescore"),
    "trend": ("trend", "trend"),
}


STORE_CREATING_COMMANDS = frozenset({"ingest", "demo", "import", "pull", "hub", "tui"})
"""The commands that may create the ``--store`` file when it does not exist (they put data in
it, or set it up to receive some). Every other command only reads or changes what is stored,
so on a missing file it says so (:func:`missing_store_refusal`) instead of creating an empty
store and answering ``nothing to show`` for a mistyped path."""


def missing_store_refusal(path: Path, ctx: click.Context | None) -> str:
    """Why the command of ``ctx`` must not open the store at ``path`` ('' when it may): the
    file does not exist and the command (the root's subcommand, ``intervention`` for
    ``capslice intervention list``) is not one of :data:`STORE_CREATING_COMMANDS`."""
    if path.exists():
        return ""
    command = ctx.find_root().invoked_subcommand if ctx is not None else None
    if command is None or command in STORE_CREATING_COMMANDS:
        return ""
    return (
        f"no store at {path} (check --store or CAPSLICE_STORE); a store is created by "
        "`capslice ingest LOGS --run NAME`, `capslice import FOLDER` or `capslice demo`"
    )


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's ``commands`` mapping whose entries of :data:`LAZY_COMMANDS` import their
    module on first lookup. Iterating, ``len`` and ``in`` import nothing."""

    def __init__(self, loaded: MutableMapping[str, click.Command]) -> None:
        self._commands: dict[str, click.Command | None] = dict(loaded)
        for name in LAZY_COMMANDS:
            self._commands.setdefault(name, None)

    def __getitem__(self, name: str) -> click.Command:
        command = self._commands[name]  # KeyError for an unknown name
        if command is None:
            module, attr = LAZY_COMMANDS[name]
            command = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
            assert isinstance(command, click.Command)
            self._commands[name] = command
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        del self._commands[name]

    def __contains__(self, name: object) -> bool:
        return name in self._commands

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._commands))

    def __len__(self) -> int:
        return len(self._commands)


main.commands = LazyCommands(main.commands)

__all__ = ["STORE_CREATING_COMMANDS", "main", "missing_store_refusal"]
