"""Where things live on the site: paths relative to the site root, which are also their paths under public/."""

from __future__ import annotations

import re
from datetime import date

NOT_FOUND_PAGE = "404.html"  # the body of every 404 the server gives (fileresponse.py)
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def safe_id(item_id: str) -> str:
    """`item_id` when it can be a file name and URL segment as is; ValueError otherwise (no traversal)."""
    if not _SAFE_ID.fullmatch(item_id):
        raise ValueError(f"item id {item_id!r} is not file- and URL-safe")
    return item_id


def item_path(item_id: str) -> str:
    """Where an item's page lives, relative to the site root (also its path under public/)."""
    return f"items/{safe_id(item_id)}.html"


def issue_path(issue_date: date) -> str:
    return f"issues/{issue_date.isoformat()}.html"


def section_path(slug: str) -> str:
    """The folder of a section's feeds, relative to the site root, ending in '/'."""
    return f"sections/{slug}/"


def author_path(slug: str) -> str:
    """The folder of an author's feeds, relative to the site root, ending in '/'."""
    return f"authors/{slug}/"


def entry_urn(item_id: str) -> str:
    """The permanent feed id of an item: from its stored id only, never from title or URL."""
    return f"urn:feedsvc:item:{item_id}"
