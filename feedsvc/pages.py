"""HTML pages (index, issue, item) from autoescaped Jinja2 templates; deterministic, no build time in them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from feedsvc import urls
from feedsvc.model import Entry
from feedsvc.opml import OPML_NAME
from feedsvc.parse.cndates import WEEKDAY_NAMES
from feedsvc.text import UNTITLED, Text, clean, text_of
from feedsvc.urls import NOT_FOUND_PAGE

TEMPLATES = Path(__file__).parent / "templates"
KIND_LABELS = {"article": "文章", "photo": "图片", "notice": "通知"}
# (file name, MIME type, label) of the three formats every feed folder holds.
FEED_FORMATS = (
    ("rss.xml", "application/rss+xml", "RSS"),
    ("atom.xml", "application/atom+xml", "Atom"),
    ("feed.json", "application/feed+json", "JSON Feed"),
)


@dataclass(frozen=True)
class FeedLink:
    href: str
    mime: str
    label: str
    title: str


@dataclass(frozen=True)
class SectionFeeds:
    name: str
    feeds: tuple[FeedLink, ...]


def feed_links(folder_url: str, title: str) -> tuple[FeedLink, ...]:
    """The RSS, Atom and JSON links of the feeds in `folder_url`, for autodiscovery and subscribe lists."""
    return tuple(FeedLink(folder_url + name, mime, label, f"{title} ({label})") for name, mime, label in FEED_FORMATS)


def section_feed_title(site_title: str, section: str) -> str:
    """A section feed's title, as readers list it next to the main feed."""
    return f"{clean(site_title)} · {clean(section)}"


def kind_label(entry: Entry) -> str:
    kind = entry.item.kind.value
    return KIND_LABELS.get(kind, kind)


def caption(text: Text) -> str:
    """A photo's alt text: its caption (the paragraphs under it), else its title."""
    return " ".join(t for tag, t in text.blocks if tag == "p") or text.title


def weekday(day: date) -> str:
    return WEEKDAY_NAMES[day.weekday()]


class Pages:
    """Renders pages to bytes; the environment and templates are built once, since this runs on every drop."""

    def __init__(self, title: str, description: str, url: str, language: str, timezone: ZoneInfo,
                 icons: Sequence[tuple[str, str]] = ()) -> None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,  # a typo in a template fails the build instead of printing nothing
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.globals["weekday"] = weekday
        self._index = env.get_template("index.html")
        self._issue = env.get_template("issue.html")
        self._item = env.get_template("item.html")
        self._not_found = env.get_template(NOT_FOUND_PAGE)
        self._url = url
        self._tz = timezone
        self._title = clean(title) or UNTITLED
        self._site_feeds = feed_links(url, self._title)
        self._common = {
            "site_title": self._title,
            "site_url": url,
            "language": language,
            "site_feeds": self._site_feeds,
            "description": clean(description),
            "icons": tuple(icons),  # (URL, MIME type): <link rel="icon">, preferred first
        }

    def index(
        self,
        issues: Sequence[tuple[date, int]],
        sections: Sequence[tuple[str, str]],
        next_expected: date | None,
        on_break_until: date | None,
        break_reason: str | None,
        authors: Sequence[tuple[str, str]] = (),
        overdue: date | None = None,
    ) -> bytes:
        """The home page; `sections` and `authors` are (name, slug) pairs."""
        section_feeds = [
            SectionFeeds(
                clean(name),
                feed_links(self._url + urls.section_path(slug), section_feed_title(self._title, name)),
            )
            for name, slug in sections
        ]
        return self._render(
            self._index,
            alternates=self._site_feeds,
            issues=[
                {"date": day, "count": count, "href": self._url + urls.issue_path(day)} for day, count in issues
            ],
            sections=section_feeds,
            authors=[
                SectionFeeds(clean(name),
                             feed_links(self._url + urls.author_path(slug), section_feed_title(self._title, name)))
                for name, slug in authors
            ],
            opml=self._url + OPML_NAME,
            next_expected=next_expected,
            overdue=overdue,
            on_break_until=on_break_until,
            break_reason=clean(break_reason or "") or None,
        )

    def issue(self, issue_date: date, entries: Sequence[Entry], images: Mapping[str, str] | None = None) -> bytes:
        """One issue's page: its items in page order, each linking to its own page; photos by `images` URL."""
        items = [
            {"href": self._url + urls.item_path(e.item.id), "kind": kind_label(e), "text": text_of(e.item),
             "image": (images or {}).get(e.item.id)}
            for e in sorted(entries, key=lambda e: e.item.ordinal)
        ]
        return self._render(self._issue, alternates=self._site_feeds, issue_date=issue_date, items=items)

    def item(self, entry: Entry, section_slug: str | None, image: str | None = None,
             authors: Sequence[tuple[str, str]] = ()) -> bytes:
        """An item's page (the feeds' item link); it also advertises its section's and its authors' feeds
        (`authors`: (name, slug) pairs)."""
        text = text_of(entry.item)
        section = text.section
        alternates = self._site_feeds
        if section and section_slug:
            folder = self._url + urls.section_path(section_slug)
            alternates += feed_links(folder, section_feed_title(self._title, section))
        for name, slug in authors:
            alternates += feed_links(self._url + urls.author_path(slug), section_feed_title(self._title, name))
        return self._render(
            self._item,
            alternates=alternates,
            text=text,
            kind=kind_label(entry),
            published=entry.published.astimezone(self._tz),
            updated=entry.updated.astimezone(self._tz),
            issue_date=entry.issue_date,
            issue_href=self._url + urls.issue_path(entry.issue_date),
            image=image,
            caption=caption(text),
        )

    def not_found(self) -> bytes:
        """The page of a 404: what is not here, and where the feeds and issues are."""
        return self._render(self._not_found, alternates=self._site_feeds)

    def _render(self, template: Template, **values: object) -> bytes:
        return template.render(**self._common, **values).encode("utf-8")
