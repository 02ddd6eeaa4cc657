"""Command palette provider: the current screen's bindings and the navigation entries."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider


class CapsliceCommands(Provider):
    """Screen-aware commands: every enabled binding of the screen the palette opened on,
    plus ``Go to …`` for each entry of ``NAVIGATION``."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        from .app import NAVIGATION

        app: Any = self.app
        commands: list[tuple[str, Callable[[], Any], str]] = []
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not active.enabled or not binding.description or binding.description in seen:
                continue
            seen.add(binding.description)
            key = app.get_key_display(binding)
            commands.append(
                (
                    f"{binding.description} ({key})",
                    partial(app.run_action, binding.action, active.node),
                    binding.tooltip or f"key {key}",
                )
            )
        for entry in NAVIGATION:
            commands.append(
                (
                    f"Go to {entry.label}",
                    partial(app.open_navigation, entry),
                    f"menu key {entry.key}",
                )
            )
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
