"""The [websub] table of the settings file."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from feedsvc.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
DAY = 86400


@dataclass(frozen=True)
class WebSubSettings:
    enabled: bool = True  # advertise a hub and push; false: feeds name no hub
    hubs: tuple[str, ...] = ()  # external hubs: advertised and pinged instead of running our own
    # Callbacks to loopback, private, link-local, multicast or reserved addresses are refused unless listed here.
    allowed_callback_networks: tuple[Network, ...] = ()
    lease_seconds: int = 10 * DAY  # granted when the subscriber asks for none
    min_lease_seconds: int = 3600
    max_lease_seconds: int = 30 * DAY
    max_per_topic: int = 1000
    max_subscriptions: int = 10_000
    requests_per_minute: int = 30  # subscription requests per client address
    timeout_seconds: float = 10.0  # per outgoing request, connecting and reading included
    max_response_bytes: int = 65_536  # of a callback's answer, read at most
    max_attempts: int = 6  # deliveries of one change to a failing callback; then it is dropped
    retry_seconds: float = 60.0  # first retry after this, doubling each time
    concurrency: int = 32  # deliveries in flight at once

    def retry_delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed delivery of a change: retry_seconds, doubling."""
        return self.retry_seconds * float(2 ** (attempts - 1))

    @property
    def builtin(self) -> bool:
        """Whether feedsvc runs its own hub (on, and no external hub configured)."""
        return self.enabled and not self.hubs


_KINDS: dict[str, type] = {
    "enabled": bool, "lease_seconds": int, "min_lease_seconds": int, "max_lease_seconds": int,
    "max_per_topic": int, "max_subscriptions": int, "requests_per_minute": int, "timeout_seconds": float,
    "max_response_bytes": int, "max_attempts": int, "retry_seconds": float, "concurrency": int,
}


def _value(key: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise ConfigError(f"websub.{key}", f"expected {kind.__name__}, got {value!r}")
    if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
        raise ConfigError(f"websub.{key}", "must be positive")
    return value


def _strings(key: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"websub.{key}", "expected a list of strings")
    return value


def from_table(table: Any) -> WebSubSettings:
    """Settings from the parsed [websub] table; unknown keys are errors (a typo must not weaken a limit)."""
    if not isinstance(table, dict):
        raise ConfigError("websub", "expected a table")
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key in _KINDS:
            values[key] = _value(key, raw, _KINDS[key])
        elif key == "hubs":
            hubs = _strings(key, raw)
            bad = [h for h in hubs if not h.startswith(("http://", "https://"))]
            if bad:
                raise ConfigError("websub.hubs", f"{bad[0]!r} is not an http(s) URL")
            values[key] = tuple(hubs)
        elif key == "allowed_callback_networks":
            try:
                values[key] = tuple(ipaddress.ip_network(n) for n in _strings(key, raw))
            except ValueError as exc:
                raise ConfigError(f"websub.{key}", str(exc)) from None
        else:
            raise ConfigError(f"websub.{key}", "unknown setting")
    settings = WebSubSettings(**values)
    if not settings.min_lease_seconds <= settings.lease_seconds <= settings.max_lease_seconds:
        raise ConfigError("websub.lease_seconds", "must lie between min_lease_seconds and max_lease_seconds")
    return settings
