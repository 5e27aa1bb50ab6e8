"""A subscription request (§5.1) read and checked, and the per-client rate limit on such requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from feedsvc.websub.settings import WebSubSettings

MAX_SECRET_BYTES = 199  # §5.1: hub.secret "MUST be less than 200 bytes in length"


class BadRequest(ValueError):
    """The request is malformed; str() is the reason the hub answers with (400)."""


@dataclass(frozen=True)
class Request:
    mode: str  # "subscribe" or "unsubscribe"
    topic: str
    callback: str
    lease_seconds: int  # granted (bounded), for subscribe
    secret: str | None

    @property
    def key(self) -> tuple[str, str]:
        return self.topic, self.callback


def read_request(form: Mapping[str, str], settings: WebSubSettings) -> Request:
    mode = form.get("hub.mode", "")
    if mode not in ("subscribe", "unsubscribe"):
        raise BadRequest("hub.mode must be subscribe or unsubscribe")
    topic, callback = form.get("hub.topic", ""), form.get("hub.callback", "")
    if not topic:
        raise BadRequest("hub.topic is missing")
    if not callback:
        raise BadRequest("hub.callback is missing")
    secret = form.get("hub.secret") or None
    if secret is not None and len(secret.encode("utf-8")) > MAX_SECRET_BYTES:
        raise BadRequest("hub.secret must be less than 200 bytes")
    lease = settings.lease_seconds
    if form.get("hub.lease_seconds"):
        try:
            asked = int(form["hub.lease_seconds"])
        except ValueError:
            raise BadRequest("hub.lease_seconds must be a whole number of seconds") from None
        if asked <= 0:
            raise BadRequest("hub.lease_seconds must be positive")
        lease = min(max(asked, settings.min_lease_seconds), settings.max_lease_seconds)
    return Request(mode, topic, callback, lease, secret)


class RateLimit:
    """A token bucket per client address: `per_minute` requests, refilled continuously."""

    MAX_CLIENTS = 10_000  # beyond this, clients with a full bucket are forgotten

    def __init__(self, per_minute: int) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # client → (tokens, at)

    def allow(self, client: str, now: float) -> bool:
        tokens, at = self._buckets.get(client, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - at) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.MAX_CLIENTS:
            self._forget_full(now)
        return allowed

    def _forget_full(self, now: float) -> None:
        for client, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self._rate >= self._capacity:
                del self._buckets[client]
