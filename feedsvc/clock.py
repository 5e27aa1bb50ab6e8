"""The one source of "now". Tests and replays inject a clock; the CLI honours FEEDSVC_NOW."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from feedsvc.errors import ConfigError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def offset_clock(start: datetime) -> Clock:
    """A clock that starts at `start` and then runs on in real time."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def from_env(env: dict[str, str] | None = None) -> Clock:
    """FEEDSVC_NOW (ISO 8601 with offset) sets where the clock starts; unset means the system clock."""
    value = (os.environ if env is None else env).get("FEEDSVC_NOW", "").strip()
    if not value:
        return system_clock
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError("FEEDSVC_NOW", f"{value!r} is not an ISO 8601 time") from None
    if start.tzinfo is None:
        raise ConfigError("FEEDSVC_NOW", f"{value!r} needs a UTC offset, e.g. 2023-09-28T09:00+08:00")
    return offset_clock(start)
