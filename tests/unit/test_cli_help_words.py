"""Every command's --help keeps a hyphenated word whole: click joins a docstring's lines with
a space, so a word broken after its hyphen at a line end printed ``Benjamini- Hochberg``."""

from __future__ import annotations

import re

import click
from click.testing import CliRunner

from capslice_tui.cli import main


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*path, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
    return found


def test_no_help_breaks_a_hyphenated_word() -> None:
    commands = _commands(main)
    assert ("diagnose",) in commands
    for path in commands:
        res = CliRunner().invoke(main, [*path, "--help"], env={"COLUMNS": "200"})
        assert res.exit_code == 0, (path, res.output)
        broken = re.findall(r"[A-Za-z]- [A-Z][a-z]", res.output)
        assert not broken, (path, broken)
