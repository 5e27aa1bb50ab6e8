"""Settings: read once from a TOML file, then environment (FEEDSVC_*), then command-line flags."""

from __future__ import annotations

import os
import tomllib
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
    language: str = "zh-CN"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    weekdays: tuple[int, ...] = (0, 2, 4)  # 0 = Monday, as date.weekday()
    release_time: time = time(6, 0)
    missing_grace_minutes: int = 120
    # The sane window for an issue date (sanity.py): a typo like 9999-12-31 is rejected, never scheduled.
    earliest_issue_date: date = date(1900, 1, 1)
    max_days_ahead: int = 366
    inbox: Path = Path("seeds")
    data: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""
    polling: bool = False
    poll_seconds: float = 1.0
    rescan_minutes: float = 10.0
    max_file_bytes: int = 5_000_000
    max_image_bytes: int = 10_000_000
    feed_items: int = 50
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

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the given fields replaced; None values are ignored (unset CLI flags)."""
        given = {k: v for k, v in values.items() if v is not None}
        return replace(self, **given) if given else self


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
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(key, f"expected {kind.__name__}, got {value!r}")
    return value


_SIMPLE = {
    # key in the file → (field, type)
    "paper.title": ("title", str),
    "paper.description": ("description", str),
    "paper.language": ("language", str),
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
    "cache.max_age_cap_days": ("max_age_cap_days", float),
    "cache.overdue_max_age_seconds": ("overdue_max_age_seconds", int),
}


def _from_mapping(raw: dict[str, Any]) -> dict[str, Any]:
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


def validate(settings: Settings) -> Settings:
    if not 0 <= settings.port <= 65535:
        raise ConfigError("service.port", f"{settings.port} is not a TCP port")
    if settings.max_file_bytes <= 0:
        raise ConfigError("service.max_file_bytes", "must be positive")
    if settings.max_image_bytes <= 0:
        raise ConfigError("service.max_image_bytes", "must be positive")
    if settings.max_days_ahead < 0:
        raise ConfigError("paper.max_days_ahead", "must be 0 or more")
    if settings.feed_items <= 0:
        raise ConfigError("service.feed_items", "must be positive")
    if settings.base_url and not settings.base_url.startswith(("http://", "https://")):
        raise ConfigError("service.base_url", "must start with http:// or https://")
    return settings


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Settings from `path` (embedded defaults when None), then FEEDSVC_INBOX/DATA/HOST/PORT/BASE_URL."""
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(str(path), f"cannot read: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    settings = replace(Settings(), **_from_mapping(raw))
    env = os.environ if env is None else env
    overrides: dict[str, Any] = {}
    for name, cast in (("inbox", Path), ("data", Path), ("host", str), ("base_url", str), ("port", int)):
        value = env.get(f"FEEDSVC_{name.upper()}")
        if value:
            try:
                overrides[name] = cast(value)
            except ValueError:
                raise ConfigError(f"FEEDSVC_{name.upper()}", f"{value!r} is not valid") from None
    return validate(settings.with_overrides(**overrides))
