"""Team hubs through the facade: list hubs, push, pull, list a hub's runs (for the app; the
CLI's ``capslice hub``/``push``/``pull`` call the same functions in ``capslice_tui.hub``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from ..store import Store
from ..store import hub as local
from .results import HubAdded, HubRemote


class HubMixin:
    """Workspace methods for team hubs (PostgreSQL remotes of the local store)."""

    store: Store

    def hub_add(self, name: str, url: str) -> HubAdded:
        """Record hub ``name`` at ``url`` with any password stripped. Returns ``url`` (as
        stored), ``password_stripped`` and ``replaced`` (the name had another URL).

        Raises:
            HubError: ``url`` is not a libpq URL or connection string.
        """
        from ..hub.sync import strip_password

        clean, had = strip_password(url)
        replaced = local.add_remote(self.store, name, clean)
        return {"name": name, "url": clean, "password_stripped": had, "replaced": replaced}

    def hubs(self) -> list[HubRemote]:
        """The store's hubs: name, url (never a password), last push and pull."""
        return cast(list[HubRemote], local.list_remotes(self.store))

    def hub_push(
        self,
        hub: str | None = None,
        *,
        runs: Sequence[str] | None = None,
        with_text: bool = False,
        ours: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Push to ``hub`` (see :func:`capslice_tui.hub.sync.push`); the report as a dict with
        ``lines`` (what a person reads).

        Raises:
            NotFound, HubError: unknown hub or run; connection, schema or access problem.
        """
        from ..hub.sync import push

        report = push(self.store, hub, runs=runs, with_text=with_text, ours=ours,
                      progress=progress)  # fmt: skip
        return {**report.to_dict(), "lines": report.lines()}

    def hub_pull(
        self,
        hub: str | None = None,
        *,
        runs: Sequence[str] | None = None,
        theirs: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, Any]:
        """Pull from ``hub`` (see :func:`capslice_tui.hub.sync.pull`); the report as a dict
        with ``lines``.

        Raises:
            NotFound, HubError: unknown hub; connection, schema or access problem.
        """
        from ..hub.sync import pull

        report = pull(self.store, hub, runs=runs, theirs=theirs, progress=progress)
        return {**report.to_dict(), "lines": report.lines()}

    def hub_runs(self, hub: str | None = None) -> list[dict[str, Any]]:
        """The runs on ``hub`` (see :func:`capslice_tui.hub.sync.hub_runs`)."""
        from ..hub.sync import hub_runs

        return hub_runs(self.store, hub)
