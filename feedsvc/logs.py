"""Logging for a service under systemd: one line per record on stderr, as text or JSON; one line per event.

With JSON (README "Logs for machines") every line on stderr is one JSON object, tracebacks included: the
formatter escapes every character a line reader may split on, and what Python would print behind logging's back
(an uncaught exception in any thread, an exception nobody could raise, a warning) goes through it too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from types import TracebackType
from typing import NoReturn

from feedsvc.events import Event, FileState, IssueHeld, IssueMissing, IssueRejected

log = logging.getLogger("feedsvc")


# json.dumps escapes the C0 controls (newlines among them) but leaves these three, at which str.splitlines() and
# other line readers break lines: NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR.
_LINE_BREAKS = str.maketrans({c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"})


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message; an event's fields (`event` and its own); the
    traceback of an exception as `exception`, a stack as `stack`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if hasattr(record, "event"):  # a log_event line: its fields as JSON fields
            line["event"] = record.event
            for key, value in getattr(record, "fields", {}).items():
                line.setdefault(key, value)  # a field never hides time, level, logger, message or event
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str).translate(_LINE_BREAKS)


def setup(fmt: str = "text", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        # systemd's journal adds its own timestamp; a terminal user still wants one.
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if fmt == "json":
        _through_logging()
    # apscheduler logs every job run at INFO: noise next to our one line per event.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


# Line breaks and other controls in a value (a file may be named "x\nIssueReceived ...") would split one
# event over several lines, or forge one.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value: object) -> str:
    return _CONTROLS.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), str(value))


def log_event(event: Event) -> None:
    """One log line per event, so `journalctl -u feedsvc` reads as the paper's history."""
    level = logging.WARNING if isinstance(event, IssueRejected | IssueMissing | IssueHeld) else logging.INFO
    if isinstance(event, FileState) and event.state in ("waiting", "rejected", "ignored"):
        level = logging.WARNING
    if not log.isEnabledFor(level):  # a quiet backfill logs nothing: don't format 80,000 lines for nobody
        return
    values = event.to_dict()
    fields = " ".join(f"{k}={_one_line(v)}" for k, v in values.items())
    log.log(level, "%s %s", event.name, fields, extra={"event": event.name, "fields": values})


def _through_logging() -> None:
    """Send through logging what Python would otherwise print on stderr as free text."""

    def uncaught(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.critical("uncaught %s: %s", kind.__name__, value, exc_info=(kind, value, tb))

    def uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "?"
        log.critical("uncaught %s in thread %s: %s", args.exc_type.__name__, name, args.exc_value,
                     exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    def unraisable(args: sys.UnraisableHookArgs) -> None:
        log.warning("%s: %r", args.err_msg or "exception ignored", args.object,
                    exc_info=(args.exc_type, args.exc_value, args.exc_traceback) if args.exc_value else None)

    sys.excepthook = uncaught
    threading.excepthook = uncaught_in_thread
    sys.unraisablehook = unraisable
    logging.captureWarnings(True)  # warnings.warn() → logger "py.warnings"


def fatal(message: str, code: int = 1) -> NoReturn:
    """The one line a command that cannot go on leaves, as a log record (JSON when the log is), then exit."""
    log.error("%s", message)
    sys.exit(code)
