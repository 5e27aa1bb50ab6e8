"""Settings: read once from a TOML file, then environment (FEEDSVC_*), then command-line flags."""

from __future__ import annotations

import difflib
import ipaddress
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedsvc.errors import ConfigError
from feedsvc.model import Suspension
from feedsvc.websub.settings import WebSubSettings
from feedsvc.websub.settings import from_table as websub_settings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Settings:
    title: str = "示例日报"
    description: str = "每期文章、图片与休刊通知"
    # The feeds' identity (identity.py): an image file or an http(s) URL each; empty: generated defaults.
    icon: str = ""
    logo: str = ""
    copyright: str = ""  # empty: "© <title>"
    language: str = "zh-CN"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    weekdays: tuple[int, ...] = (0, 2, 4)  # 0 = Monday, as date.weekday()
    release_time: time = time(6, 0)
    missing_grace_minutes: int = 120
    # The sane window for an issue date (sanity.py): a typo like 9999-12-31 is rejected, never scheduled.
    earliest_issue_date: date = date(1900, 1, 1)
    max_days_ahead: int = 366
    inbox: Path = Path("var/inbox")
    data: Path = Path("var/data")
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    polling: bool = False
    poll_seconds: float = 1.0
    rescan_minutes: float = 10.0
    max_file_bytes: int = 5_000_000
    max_image_bytes: int = 10_000_000
    feed_items: int = 50
    request_timeout_seconds: float = 10.0  # a request head must arrive within this; idle keep-alive ends after it
    max_connections: int = 1000  # lowered at start to fit the descriptor limit (connections.connection_cap)
    metrics_host: str = "127.0.0.1"  # loopback only (metrics.py)
    metrics_port: int = 0  # 0: no metrics served
    max_age_cap_days: float = 7.0
    overdue_max_age_seconds: int = 300
    suspensions: tuple[Suspension, ...] = ()
    websub: WebSubSettings = field(default_factory=WebSubSettings)

    @property
    def public(self) -> Path:
        return self.data / "public"

    @property
    def database(self) -> Path:
        return self.data / "feedsvc.sqlite"

    @property
    def site_url(self) -> str:
        """Absolute base URL ending in '/': the configured one, else the address being served."""
        url = self.base_url or f"http://{self.host}:{self.port}/"
        return url if url.endswith("/") else url + "/"


def _weekdays(key: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(key, "expected a non-empty list of weekday names like ['mon', 'wed']")
    days = []
    for name in value:
        short = str(name).strip().lower()[:3]
        if short not in WEEKDAYS:
            raise ConfigError(key, f"{name!r} is not a weekday name")
        days.append(WEEKDAYS.index(short))
    return tuple(sorted(set(days)))


def _date(key: str, value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(key, f"{value!r} is not an ISO date (YYYY-MM-DD)") from None


def _suspensions(value: Any) -> tuple[Suspension, ...]:
    if not isinstance(value, list):
        raise ConfigError("suspension", "expected [[suspension]] tables")
    out = []
    for n, table in enumerate(value):
        key = f"suspension[{n}]"
        if not isinstance(table, dict) or not table.get("dates"):
            raise ConfigError(f"{key}.dates", "a suspension needs a non-empty list of dates")
        dates = tuple(sorted(_date(f"{key}.dates", d) for d in table["dates"]))
        resume = _date(f"{key}.resume", table["resume"]) if table.get("resume") else None
        out.append(Suspension(dates, resume, None, str(table.get("notice", "")), None))
    return tuple(out)


def _typed(key: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(key, f"expected {kind.__name__}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):  # TOML has inf and nan
        raise ConfigError(key, f"expected a finite number, got {value!r}")
    return value


_SIMPLE = {
    # key in the file → (field, type)
    "paper.title": ("title", str),
    "paper.description": ("description", str),
    "paper.language": ("language", str),
    "paper.icon": ("icon", str),
    "paper.logo": ("logo", str),
    "paper.copyright": ("copyright", str),
    "paper.missing_grace_minutes": ("missing_grace_minutes", int),
    "paper.max_days_ahead": ("max_days_ahead", int),
    "service.host": ("host", str),
    "service.port": ("port", int),
    "service.base_url": ("base_url", str),
    "service.polling": ("polling", bool),
    "service.poll_seconds": ("poll_seconds", float),
    "service.rescan_minutes": ("rescan_minutes", float),
    "service.max_file_bytes": ("max_file_bytes", int),
    "service.max_image_bytes": ("max_image_bytes", int),
    "service.feed_items": ("feed_items", int),
    "service.request_timeout_seconds": ("request_timeout_seconds", float),
    "service.max_connections": ("max_connections", int),
    "cache.max_age_cap_days": ("max_age_cap_days", float),
    "cache.overdue_max_age_seconds": ("overdue_max_age_seconds", int),
    "metrics.host": ("metrics_host", str),
    "metrics.port": ("metrics_port", int),
}
# Keys read by hand in _from_mapping (they need more than a type check).
_SPECIAL = ("paper.timezone", "paper.weekdays", "paper.release_time", "paper.earliest_issue_date", "service.inbox",
            "service.data")
_SUSPENSION_KEYS = ("dates", "resume", "notice")
# Every key of the file, by section; [[suspension]] is an array of tables with its own keys.
KNOWN: dict[str, tuple[str, ...]] = {}
for _dotted in (*_SIMPLE, *_SPECIAL):
    _section, _key = _dotted.split(".")
    KNOWN[_section] = (*KNOWN.get(_section, ()), _key)
# The key in the file that sets each field: what an error about the field names.
FILE_KEY = {name: dotted for dotted, (name, _kind) in _SIMPLE.items()} | {
    "timezone": "paper.timezone", "weekdays": "paper.weekdays", "release_time": "paper.release_time",
    "earliest_issue_date": "paper.earliest_issue_date",
    "inbox": "service.inbox", "data": "service.data", "suspensions": "suspension",
}
# Sections whose own parser checks their keys (feedsvc.websub.settings).
_SELF_CHECKED = ("websub",)
ENV_FIELDS = ("inbox", "data", "host", "base_url", "port")  # FEEDSVC_<FIELD>

# Allowed values, checked wherever a value comes from (file, environment, flag).
_RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "title": (lambda v: bool(v.strip()), "must not be empty"),
    "language": (lambda v: bool(re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", v)),
                 "must be a language tag like zh-CN"),
    "missing_grace_minutes": (lambda v: 0 <= v <= 7 * 24 * 60, "must be 0 to 10080 minutes (a week)"),
    "host": (lambda v: bool(v.strip()), "must not be empty"),
    "port": (lambda v: 0 <= v <= 65535, "must be a TCP port, 0 to 65535 (0: any free port)"),
    "base_url": (lambda v: not v or v.startswith(("http://", "https://")), "must start with http:// or https://"),
    "poll_seconds": (lambda v: 0.05 <= v <= 3600, "must be 0.05 to 3600 seconds"),
    "rescan_minutes": (lambda v: 0 <= v <= 7 * 24 * 60, "must be 0 (never) to 10080 minutes"),
    "max_file_bytes": (lambda v: 1 <= v <= 1 << 30, "must be 1 to 1073741824 bytes"),
    "max_image_bytes": (lambda v: 1 <= v <= 1 << 30, "must be 1 to 1073741824 bytes"),
    "max_days_ahead": (lambda v: 0 <= v <= 3660, "must be 0 to 3660 days"),
    "feed_items": (lambda v: 1 <= v <= 10_000, "must be 1 to 10000"),
    "request_timeout_seconds": (lambda v: 0.1 <= v <= 3600, "must be 0.1 to 3600 seconds"),
    "max_connections": (lambda v: 1 <= v <= 1_000_000, "must be 1 to 1000000"),
    "max_age_cap_days": (lambda v: 0 < v <= 365, "must be more than 0 and at most 365 days"),
    "overdue_max_age_seconds": (lambda v: 0 <= v <= 7 * 24 * 3600, "must be 0 to 604800 seconds"),
    # Metrics tell what the paper holds back (held issues): the operator's machine only, never the public.
    "metrics_host": (lambda v: v == "localhost" or _is_loopback(v), "must be a loopback address (127.0.0.1, ::1)"),
    "metrics_port": (lambda v: 0 <= v <= 65535, "must be a TCP port, 1 to 65535, or 0 for no metrics"),
}


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _nearest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(sorted(choices))}"


def _reject_unknown(raw: dict[str, Any]) -> None:
    """A misspelt section or key is an error, not a silent default."""
    for section, table in raw.items():
        if section in _SELF_CHECKED:
            continue
        if section == "suspension":
            for n, entry in enumerate(table if isinstance(table, list) else []):
                for key in entry if isinstance(entry, dict) else ():
                    if key not in _SUSPENSION_KEYS:
                        raise ConfigError(f"suspension[{n}].{key}", "unknown key" + _nearest(key, _SUSPENSION_KEYS))
            continue
        if section not in KNOWN:
            known = (*KNOWN, *_SELF_CHECKED, "suspension")
            raise ConfigError(f"[{section}]", "unknown section" + _nearest(section, known))
        if not isinstance(table, dict):
            raise ConfigError(section, f"expected a [{section}] table, got {table!r}")
        for key in table:
            if key not in KNOWN[section]:
                raise ConfigError(f"{section}.{key}", "unknown key" + _nearest(key, KNOWN[section]))


def _from_mapping(raw: dict[str, Any]) -> dict[str, Any]:
    _reject_unknown(raw)
    values: dict[str, Any] = {}
    for dotted, (name, kind) in _SIMPLE.items():
        section, key = dotted.split(".")
        if key in raw.get(section, {}):
            values[name] = _typed(dotted, raw[section][key], kind)
    paper, service = raw.get("paper", {}), raw.get("service", {})
    if "timezone" in paper:
        try:
            values["timezone"] = ZoneInfo(str(paper["timezone"]))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("paper.timezone", f"unknown time zone {paper['timezone']!r}") from None
    if "earliest_issue_date" in paper:
        values["earliest_issue_date"] = _date("paper.earliest_issue_date", paper["earliest_issue_date"])
    if "weekdays" in paper:
        values["weekdays"] = _weekdays("paper.weekdays", paper["weekdays"])
    if "release_time" in paper:
        try:
            values["release_time"] = time.fromisoformat(str(paper["release_time"]))
        except ValueError:
            raise ConfigError("paper.release_time", f"{paper['release_time']!r} is not HH:MM") from None
    for key in ("inbox", "data"):
        if key in service:
            values[key] = Path(_typed(f"service.{key}", service[key], str))
    if "suspension" in raw:
        values["suspensions"] = _suspensions(raw["suspension"])
    if "websub" in raw:
        values["websub"] = websub_settings(raw["websub"])
    return values


def checked(settings: Settings, values: Mapping[str, Any], label: Callable[[str], str]) -> Settings:
    """`settings` with `values` (field → value; None: not given) in place, each checked against its range. An error
    names the value as the user wrote it: `label(field)` is a file key, an environment variable or a flag."""
    given = {name: value for name, value in values.items() if value is not None}
    for name, value in given.items():
        check = _RANGES.get(name)
        if check is not None and not check[0](value):
            raise ConfigError(label(name), f"{value!r} {check[1]}")
    return replace(settings, **given) if given else settings


def load(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `path` (embedded defaults when None), then FEEDSVC_INBOX/DATA/HOST/PORT/BASE_URL.

    Unknown sections and keys are errors naming the nearest known one; every value is range-checked, and an error
    names where the value came from (the key in the file, or the environment variable)."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(str(path), f"cannot read: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    settings = checked(Settings(), _from_mapping(raw), FILE_KEY.__getitem__)
    source: Mapping[str, str] = os.environ if env is None else env
    overrides: dict[str, Any] = {}
    for name in ENV_FIELDS:
        variable = f"FEEDSVC_{name.upper()}"
        value = source.get(variable)
        if value:
            try:
                overrides[name] = int(value) if name == "port" else Path(value) if name in ("inbox", "data") else value
            except ValueError:
                raise ConfigError(variable, f"{value!r} is not a whole number") from None
    return checked(settings, overrides, lambda name: f"FEEDSVC_{name.upper()}")
