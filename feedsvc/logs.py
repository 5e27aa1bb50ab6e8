"""Logging for a service under systemd: one line per record on stderr, as text or JSON; one line per event."""

from __future__ import annotations

import json
import logging
import re
import sys

from feedsvc.events import Event, FileState, IssueHeld, IssueMissing, IssueRejected

log = logging.getLogger("feedsvc")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if hasattr(record, "event"):  # a log_event line: its fields as JSON fields
            line["event"] = record.event
            line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


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
