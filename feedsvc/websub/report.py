"""What `status` and /status.json say about push: subscriptions per topic and how their deliveries went."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from feedsvc.websub.settings import WebSubSettings


def _rows(database: Path, sql: str) -> list[sqlite3.Row]:
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10.0)
    db.row_factory = sqlite3.Row
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def counts(database: Path) -> dict[str, int]:
    """Verified subscriptions per topic."""
    sql = "SELECT topic, count(*) AS n FROM websub_subscriptions GROUP BY topic"
    return {r["topic"]: r["n"] for r in _rows(database, sql)}


def summary(database: Path, settings: WebSubSettings) -> dict[str, Any]:
    """Per topic: subscriptions, deliveries ok and failed (attempts), subscribers owed one now, dropped."""
    mode = "off" if not settings.enabled else ("external" if settings.hubs else "built-in")
    info: dict[str, Any] = {"hub": mode, "hubs": list(settings.hubs), "topics": []}
    if mode != "built-in":
        return info
    rows = _rows(database, """
        SELECT t.topic AS topic, count(s.callback) AS subscriptions, coalesce(sum(s.delivered), 0) AS ok,
               coalesce(sum(s.failed), 0) AS failed, coalesce(sum(s.pending), 0) AS pending, t.dropped AS dropped
        FROM websub_topics t LEFT JOIN websub_subscriptions s ON s.topic = t.topic
        GROUP BY t.topic ORDER BY t.topic""")
    info["topics"] = [dict(r) for r in rows if r["subscriptions"] or r["dropped"]]
    return info


def render_text(info: dict[str, Any]) -> list[str]:
    if info["hub"] != "built-in":
        return [f"push (WebSub):   {info['hub']}" + (f" ({', '.join(info['hubs'])})" if info["hubs"] else "")]
    if not info["topics"]:
        return ["push (WebSub):   no subscriptions"]
    return [f"push (WebSub):   {t['topic']}: {t['subscriptions']} subscribed, deliveries {t['ok']} ok, "
            f"{t['failed']} failed, {t['pending']} pending, {t['dropped']} dropped" for t in info["topics"]]
