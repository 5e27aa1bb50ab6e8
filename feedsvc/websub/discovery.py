"""Discovery (WebSub §4): a topic names its hubs and itself, in the document and in HTTP Link headers.

Atom gets `<link rel="hub">` from feedgen itself; RSS only gets feedgen's atom:link rel="self", so the hub links
are added by `HubLinks`; JSON Feed 1.1 has a `hubs` member (jsonfeed.org/version/1.1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from feedgen.ext.base import BaseExtension
from lxml import etree

from feedsvc.websub.topics import is_feed

ATOM_NS = "http://www.w3.org/2005/Atom"
ROUTE = "websub"  # the built-in hub's path under the site URL


def hub_urls(site_url: str, builtin: bool, external: Sequence[str]) -> tuple[str, ...]:
    """The hubs feeds advertise: the external ones, else ours, else (WebSub off) none."""
    if external:
        return tuple(external)
    return (site_url + ROUTE,) if builtin else ()


class HubLinks(BaseExtension):
    """feedgen extension: an `<atom:link rel="hub">` per hub in the RSS channel, after feedgen's self link."""

    def __init__(self, hubs: Sequence[str]) -> None:
        self.hubs = tuple(hubs)

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def extend_rss(self, feed: Any) -> Any:
        channel = feed[0]
        for hub in self.hubs:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=hub, rel="hub")
        return feed


def hub_links_factory(hubs: Sequence[str]) -> Callable[[], HubLinks]:
    return lambda: HubLinks(hubs)


def json_hubs(hubs: Sequence[str]) -> list[dict[str, str]]:
    """JSON Feed 1.1's `hubs`: objects with the hub's protocol and URL."""
    return [{"type": "WebSub", "url": hub} for hub in hubs]


def link_header(site_url: str, hubs: Sequence[str], relative: str) -> str | None:
    """The Link header for a served file at `relative` (to the site root): hubs and self for feeds, else None."""
    if not hubs or not is_feed(relative):
        return None
    links = [f'<{hub}>; rel="hub"' for hub in hubs]
    links.append(f'<{site_url}{relative}>; rel="self"')
    return ", ".join(links)
