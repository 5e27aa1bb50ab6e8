"""HTML pages (index, issue, item) from autoescaped Jinja2 templates; deterministic, no build time in them.
The listing pages (months, sections, authors) are site.py's, on the same templates and headlines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from feedsvc import urls
from feedsvc.history import month_name, month_of
from feedsvc.model import Entry
from feedsvc.opml import OPML_NAME
from feedsvc.parse.cndates import WEEKDAY_NAMES
from feedsvc.slugs import Slugs
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
    href: str = ""  # the section's or author's own page


@dataclass(frozen=True)
class Link:
    name: str
    href: str


@dataclass(frozen=True)
class Headline:
    """An item as a listing shows it: title, kind, section, authors and its first line, each linked."""

    title: str
    href: str
    kind: str
    section: Link | None
    authors: tuple[Link, ...]
    lede: str
    image: str | None = None


@dataclass(frozen=True)
class IssueGroup:
    """One issue's headlines in a listing, under its date."""

    day: date
    href: str
    headlines: tuple[Headline, ...]


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
                 icons: Sequence[tuple[str, str]] = (), slugs: Slugs | None = None) -> None:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,  # a typo in a template fails the build instead of printing nothing
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.globals["weekday"] = weekday
        self.env = env
        self.slugs = slugs if slugs is not None else Slugs()
        self._index = env.get_template("index.html")
        self._issue = env.get_template("issue.html")
        self._item = env.get_template("item.html")
        self._not_found = env.get_template(NOT_FOUND_PAGE)
        self._url = url
        self._tz = timezone
        self._authors_memo: tuple[tuple[tuple[str, str], ...], list[SectionFeeds]] = ((), [])
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

    # --- links and headlines (also site.py's) ----------------------------------------------------------------

    def section_link(self, name: str) -> Link:
        return Link(clean(name), self._url + urls.section_path(self.slugs.section(name)))

    def author_link(self, name: str) -> Link:
        return Link(clean(name), self._url + urls.author_path(self.slugs.author(name)))

    def headline(self, entry: Entry, image: str | None = None, listed_in: str | None = None) -> Headline:
        """`listed_in`: the section whose own page lists it (the page names it once, not on every item)."""
        text = text_of(entry.item)
        shown = text.section if text.section and text.section != listed_in else None
        return Headline(text.title, self._url + urls.item_path(entry.item.id), kind_label(entry),
                        self.section_link(shown) if shown else None,
                        tuple(self.author_link(name) for name in text.authors), text.lede, image)

    def by_issue(self, entries: Iterable[Entry], images: Mapping[str, str] | None = None,
                 listed_in: str | None = None) -> list[IssueGroup]:
        """Headlines under their issue's date, in the order given (newest issue first, page order within)."""
        groups: list[IssueGroup] = []
        for entry in entries:
            if not groups or groups[-1].day != entry.issue_date:
                groups.append(IssueGroup(entry.issue_date, self._url + urls.issue_path(entry.issue_date), ()))
            last = groups[-1]
            headline = self.headline(entry, (images or {}).get(entry.item.id), listed_in)
            groups[-1] = IssueGroup(last.day, last.href, (*last.headlines, headline))
        return groups

    def month_href(self, folder: str, month: date) -> str:
        """The page of `month` in the archive of the feed folder `folder` ("" for the whole paper)."""
        return f"{self._url}{folder}archive/{month_name(month)}.html"

    # --- pages ---------------------------------------------------------------------------------------------------

    def index(
        self,
        issues: Sequence[tuple[date, int]],
        sections: Sequence[tuple[str, str]],
        next_expected: date | None,
        on_break_until: date | None,
        break_reason: str | None,
        authors: Sequence[tuple[str, str]] = (),
        overdue: date | None = None,
        latest: Sequence[Entry] = (),
        archived: bool = True,
    ) -> bytes:
        """The home page; `sections` and `authors` are (name, slug) pairs; `latest`: the newest issue's items."""

        def scope(name: str, folder: str) -> SectionFeeds:
            href = self._url + folder
            return SectionFeeds(clean(name), feed_links(href, section_feed_title(self._title, name)), href)

        # The list of authors is kept until an author comes or goes (thousands, after a long archive).
        if self._authors_memo[0] != tuple(authors):
            self._authors_memo = (tuple(authors), [scope(name, urls.author_path(slug)) for name, slug in authors])
        months = sorted({month_of(day) for day, _count in issues}, reverse=True)
        return self._render(
            self._index,
            alternates=self._site_feeds,
            issues=[
                {"date": day, "count": count, "href": self._url + urls.issue_path(day)} for day, count in issues
            ],
            latest=self.by_issue(sorted(latest, key=lambda e: e.item.ordinal))[:1],
            sections=[scope(name, urls.section_path(slug)) for name, slug in sections],
            authors=self._authors_memo[1],
            archive=self._url + "archive/" if archived else None,
            months=[Link(month_name(m), self.month_href("", m)) for m in months] if archived else [],
            opml=self._url + OPML_NAME,
            next_expected=next_expected,
            overdue=overdue,
            on_break_until=on_break_until,
            break_reason=clean(break_reason or "") or None,
        )

    def issue(self, issue_date: date, entries: Sequence[Entry], images: Mapping[str, str] | None = None,
              neighbours: tuple[date | None, date | None] = (None, None)) -> bytes:
        """One issue's page: its headlines in page order, each linking to its item's page (photos by `images`
        URL), and links to the public issues before and after it (`neighbours`)."""
        ordered = sorted(entries, key=lambda e: e.item.ordinal)
        before, after = neighbours
        return self._render(
            self._issue, alternates=self._site_feeds, issue_date=issue_date,
            items=[self.headline(e, (images or {}).get(e.item.id)) for e in ordered],
            before=Link(before.isoformat(), self._url + urls.issue_path(before)) if before else None,
            after=Link(after.isoformat(), self._url + urls.issue_path(after)) if after else None,
        )

    def item(self, entry: Entry, section_slug: str | None, image: str | None = None,
             authors: Sequence[tuple[str, str]] = ()) -> bytes:
        """An item's page (the feeds' item link): it links its section's and its authors' pages and advertises
        their feeds (`authors`: (name, slug) pairs)."""
        text = text_of(entry.item)
        section = text.section
        alternates = self._site_feeds
        section_link = None
        if section and section_slug:
            folder = self._url + urls.section_path(section_slug)
            alternates += feed_links(folder, section_feed_title(self._title, section))
            section_link = Link(section, folder)
        author_links = []
        for name, slug in authors:
            folder = self._url + urls.author_path(slug)
            alternates += feed_links(folder, section_feed_title(self._title, name))
            author_links.append(Link(clean(name), folder))
        return self._render(
            self._item,
            alternates=alternates,
            text=text,
            kind=kind_label(entry),
            section=section_link,
            authors=author_links or [Link(name, "") for name in text.authors],
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

    def render(self, template: Template, **values: object) -> bytes:
        return self._render(template, **values)

    @property
    def common_feeds(self) -> tuple[FeedLink, ...]:
        return self._site_feeds

    def _render(self, template: Template, **values: object) -> bytes:
        return template.render(**self._common, **values).encode("utf-8")
