"""What the service knows, as one JSON-ready dict: for `feedsvc status`, /status.json and index.html."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from feedsvc.calendar import Calendar
from feedsvc.schedule import Effect, label
from feedsvc.store import Store
from feedsvc.websub import report as websub_report


def held(store: Store, calendar: Calendar, now: datetime) -> list[dict[str, Any]]:
    """Issues in the store that are not in the feeds yet, each with the reason."""
    waiting: dict[date, dict[str, Any]] = {}
    for record in store.pending(now):
        if record.withdrawn_at is not None:
            continue
        at = record.release_at.astimezone(calendar.tz).isoformat(timespec="minutes")
        waiting[record.issue_date] = {"file": record.file, "issue_date": record.issue_date.isoformat(),
                                      "reason": f"scheduled for release at {at}"}
    for day in sorted(calendar.suspended_dates()):
        issue = store.issue(day)
        if issue is not None and not issue.forced and issue.public_at is None and issue.withdrawn_at is None:
            waiting[day] = {"file": issue.file, "issue_date": day.isoformat(), "reason": calendar.hold_reason(day)}
    return [waiting[d] for d in sorted(waiting)]


def notice_view(effect: Effect, calendar: Calendar) -> dict[str, Any]:
    """One notice of the history: the issues it suspends and the days it says the paper appears (read against
    the weekdays in force now), and what looked wrong."""
    n = effect.notice
    issues = [d for d in effect.suspended if calendar.is_publication_day(d) or calendar.is_announced(d)]
    return {
        "notice": label(n),
        "issue_date": n.issue_date.isoformat() if n.issue_date else None,
        "edition": n.edition,
        "suspends": [d.isoformat() for d in issues],
        "publishes": [d.isoformat() for d in effect.published],
        "resume": effect.resume.isoformat() if effect.resume else None,
        "warnings": list(effect.warnings),
    }


def status(store: Store, calendar: Calendar, now: datetime) -> dict[str, Any]:
    # The latest issue that has come out: a future one waiting for its release time is listed under "held".
    latest = next((r for r in store.issues(limit=10) if r.release_at <= now and r.withdrawn_at is None), None)
    resume, reason = calendar.break_until(now) or (None, None)
    nxt = calendar.next_expected(now)
    overdue = calendar.overdue(now, lambda d: store.issue(d) is not None)
    return {
        "now": now.astimezone(calendar.tz).isoformat(timespec="seconds"),
        "issue_count": store.issue_count(),
        "last_issue": latest.issue_date.isoformat() if latest else None,
        "next_expected": nxt.isoformat() if nxt else None,
        "overdue": overdue.isoformat() if overdue else None,
        "on_break_until": resume.isoformat() if resume else None,
        "break_reason": reason,
        "notices": [notice_view(e, calendar) for e in calendar.effects],
        "held": held(store, calendar, now),
        # A later notice may suspend a date once reported missing: then it is not missing after all.
        "missing": [d.isoformat() for d in store.missing() if calendar.is_expected(d)],
        "rejected": [{"file": r.file, "reason": r.reason, "at": r.at.isoformat(timespec="seconds")}
                     for r in store.rejected()],
        "withdrawn": [{"issue_date": r[0], "at": r[1]} for r in store.query(
            "SELECT issue_date, withdrawn_at FROM issues WHERE withdrawn_at IS NOT NULL ORDER BY issue_date")],
    }


# What /status.json, on the public port, may show a reader: dates, counts, freshness, push counts. File names,
# reasons (a rejection may name a symlink's target), held issues (an embargo) and the ledger are the operator's,
# for `feedsvc status` (the control channel or the store).
PUBLIC_FIELDS = ("now", "issue_count", "last_issue", "next_expected", "overdue", "on_break_until", "break_reason",
                 "missing", "max_age_s", "websub")


def public(info: dict[str, Any]) -> dict[str, Any]:
    """The reader's part of a status (`status()` plus max_age_s and websub)."""
    return {key: info[key] for key in PUBLIC_FIELDS if key in info}


RECENT_LINES = 20


def render_text(info: dict[str, Any]) -> str:
    """The status for people: one fact a line."""
    lines = [
        f"issues in store: {info['issue_count']} (latest {info['last_issue'] or '-'})",
        f"next expected:   {info['next_expected'] or '-'}",
    ]
    if info["on_break_until"]:
        lines.append(f"on a declared break until {info['on_break_until']} ({info['break_reason']})")
    if info["overdue"]:
        lines.append(f"overdue:         {info['overdue']}")
    for n in info["notices"]:
        effect = ", ".join(filter(None, [
            f"suspends {', '.join(n['suspends'])}" if n["suspends"] else "",
            f"publishes {', '.join(n['publishes'])}" if n["publishes"] else "",
        ])) or "declares nothing"
        lines.append(f"notice:          {n['notice']}: {effect}")
        lines.extend(f"  warning:       {w}" for w in n["warnings"])
    for h in info["held"]:
        lines.append(f"held:            {h['issue_date']} {h['file']}: {h['reason']}")
    lines.extend(f"missing:         {d}" for d in info["missing"])
    lines.extend(f"rejected:        {r['file']}: {r['reason']}" for r in info["rejected"])
    lines.extend(f"withdrawn:       {w['issue_date']} (at {w['at']})" for w in info.get("withdrawn", []))
    if info.get("health", "ok") != "ok":
        lines.insert(0, f"NOT HEALTHY:     {info['health']}")
    # The most recent files (`--json` has 200, `--file NAME` one in a sentence).
    recent = info.get("files", [])[:RECENT_LINES]
    lines.extend(f"file:            {f['file']} {f['state']}: {f['reason']}" for f in recent)
    if "websub" in info:
        lines.extend(websub_report.render_text(info["websub"]))
    return "\n".join(lines)
