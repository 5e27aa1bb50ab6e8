"""The photos public items show, for one publication: each issue's images matched to its photo items, copied to
public/media/ before any feed or page that links them is written."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from feedsvc.media import Image, MediaShelf, photo_numbers
from feedsvc.paper import Paper
from feedsvc.store import Store


class Photos:
    def __init__(self, media: MediaShelf, store: Store, paper: Paper) -> None:
        self.media, self._store, self._paper = media, store, paper
        self._found: dict[date, dict[str, Image]] = {}  # per publication: the images of each issue's photo items

    def forget(self) -> None:
        """A new publication: the store may have changed since the last one."""
        self._found.clear()

    def of(self, days: Iterable[date], now: datetime, *, durable: bool) -> dict[str, Image]:
        """{item id: image} for the public photo items of `days` that have one; copied to public/media/ first,
        so no feed or page links to an image that is not there."""
        found: dict[str, Image] = {}
        for day in set(days) & set(self.media.dates()):
            if day not in self._found:
                public = self._paper.is_public(day, now)
                numbers = photo_numbers(self._store.issue_entries(day)) if public else {}
                images = self.media.images_of(day)
                self._found[day] = {i: images[n] for i, n in numbers.items() if n in images}
                for image in self._found[day].values():
                    self.media.publish(image, durable=durable)
            found.update(self._found[day])
        return found
