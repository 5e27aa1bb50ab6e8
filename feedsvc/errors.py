"""Errors a user can act on. Each renders as one line naming the file or key and the reason."""

from __future__ import annotations


class FeedsvcError(Exception):
    """Base class: anything the CLI reports as a one-line message instead of a traceback."""


class ConfigError(FeedsvcError):
    """A configuration key is missing, malformed or out of range."""

    def __init__(self, key: str, reason: str) -> None:
        self.key, self.reason = key, reason
        super().__init__(f"config {key}: {reason}")


class ParseError(FeedsvcError):
    """An issue file cannot be turned into an issue; `source` is the file name."""

    def __init__(self, source: str, reason: str) -> None:
        self.source, self.reason = source, reason
        super().__init__(f"{source}: {reason}")


class StoreError(FeedsvcError):
    """The SQLite store cannot be opened or written."""
