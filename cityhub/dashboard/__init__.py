"""The operations dashboard: its live feed of committed changes, the map view of entities, the
panels' data, the API index page and the page's static assets. The Hub does not know it: the app
builds one `Dashboard` and hangs its feed on the broker's after-commit hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cityhub.dashboard.live import LiveFeed
from cityhub.dashboard.mapview import MapView
from cityhub.dashboard.relay import ChangeRelay

if TYPE_CHECKING:
    from cityhub.hub import Hub


class Dashboard:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self._mapview: MapView | None = None
        # The page's event streams: committed changes, of this process and (on PostgreSQL,
        # through the relay) of every other process on the same database.
        self.live = LiveFeed(lambda: self.mapview)
        hub.hooks.after_commit.append(self.live.on_commit)
        self.relay: ChangeRelay | None = None

    def start(self) -> None:
        """While the server runs: on PostgreSQL, hear the other processes' commits too."""
        hub = self.hub
        if hub.store.dialect == "postgres" and self.relay is None:
            self.relay = ChangeRelay(
                hub.store, hub.settings.database_url, self.live.on_commit, self.live.listening
            )
            hub.hooks.after_commit.append(self.relay.on_commit)

    @property
    def mapview(self) -> MapView:
        """Entities as map points with their district (the city's boundaries), on first use."""
        if self._mapview is None:
            self._mapview = MapView(
                self.hub.contexts.vocabulary,
                self.hub.requests.locator,
                self.hub.settings.timezone,
            )
        return self._mapview

    def close(self) -> None:
        """End every open event stream and stop listening to commits."""
        self.live.close()
        if self.live.on_commit in self.hub.hooks.after_commit:
            self.hub.hooks.after_commit.remove(self.live.on_commit)
        if self.relay is not None:
            if self.relay.on_commit in self.hub.hooks.after_commit:
                self.hub.hooks.after_commit.remove(self.relay.on_commit)
            self.relay.close()
            self.relay = None
