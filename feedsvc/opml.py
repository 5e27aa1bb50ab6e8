"""feeds.opml: every feed of the site in one OPML 2.0 subscription list (opml.org/spec2.opml).

A reader imports it to subscribe to everything in one step: the main feed, each section, each author. RSS
URLs, since every reader takes RSS; no dates, so the bytes change only when the list does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

OPML_NAME = "feeds.opml"
OPML_TYPE = "text/x-opml"


@dataclass(frozen=True)
class Subscription:
    title: str
    feed_url: str  # the RSS feed
    html_url: str  # the page it comes from


def render_opml(title: str, owner_url: str, main: Subscription,
                groups: Sequence[tuple[str, Sequence[Subscription]]]) -> bytes:
    """The list: `main` first, then each (group title, feeds) as a folder outline; empty groups are left out."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    etree.SubElement(head, "ownerId").text = owner_url
    body = etree.SubElement(root, "body")
    _outline(body, main)
    for name, subscriptions in groups:
        if subscriptions:
            folder = etree.SubElement(body, "outline", text=name, title=name)
            for subscription in subscriptions:
                _outline(folder, subscription)
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _outline(parent: etree._Element, s: Subscription) -> None:
    etree.SubElement(parent, "outline", type="rss", text=s.title, title=s.title, xmlUrl=s.feed_url,
                     htmlUrl=s.html_url)
