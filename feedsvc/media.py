"""Photos from the inbox: `DATE-N.jpg|.jpeg|.png|.webp` is the image of the issue's N-th photo item.

An image may arrive before or after its issue. It is checked (size, and that its bytes are the type its name
says) and kept in the data folder's `media/` until the item it belongs to is public; only then is it copied to
`public/media/`, so an embargoed issue's photo cannot be fetched early. The inbox is only ever read.

The type is checked by the format's magic bytes (JPEG FF D8 FF, PNG's 8-byte signature, RIFF....WEBP) rather
than by decoding with Pillow: we never transform the image, so the signature is what tells a mislabelled or
foreign file from a photo, and decoding untrusted images would add a large dependency and its attack surface
(decompression bombs) for nothing we use.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from feedsvc.atomic import remove, write_atomic
from feedsvc.errors import ParseError
from feedsvc.intake import read_inbox_file
from feedsvc.model import Entry, ItemKind

log = logging.getLogger("feedsvc")

MEDIA_FOLDER = "media"
TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})-([1-9]\d{0,2})\.(jpe?g|png|webp)", re.IGNORECASE)


def _signature_ok(data: bytes, mime: str) -> bool:
    if mime == "image/jpeg":
        return data[:3] == b"\xff\xd8\xff"
    if mime == "image/png":
        return data[:8] == b"\x89PNG\r\n\x1a\n"
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def is_image_name(name: str) -> bool:
    """Whether an inbox file is an image (by its suffix): such files are never issues, never 'rejected'."""
    return name.rsplit(".", 1)[-1].lower() in TYPES if "." in name else False


@dataclass(frozen=True)
class Image:
    """A checked photo: the issue date and photo number its name gives, its type and size."""

    issue_date: date
    number: int  # 1 for the issue's first photo item
    suffix: str  # lower case, as stored: "jpg", "jpeg", "png", "webp"
    length: int

    @property
    def name(self) -> str:
        return f"{self.issue_date.isoformat()}-{self.number}.{self.suffix}"

    @property
    def mime(self) -> str:
        return TYPES[self.suffix]

    @property
    def path(self) -> str:
        """Where it is served, relative to the site root and to public/."""
        return f"{MEDIA_FOLDER}/{self.name}"


def parse_name(name: str) -> tuple[date, int, str] | None:
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    try:
        return date.fromisoformat(match[1]), int(match[2]), match[3].lower()
    except ValueError:
        return None


def photo_numbers(entries: Sequence[Entry]) -> dict[str, int]:
    """{item id: N} for the photo items among one issue's entries, numbered 1, 2… in page order."""
    photos = sorted((e.item for e in entries if e.item.kind is ItemKind.PHOTO), key=lambda item: item.ordinal)
    return {item.id: n for n, item in enumerate(photos, start=1)}


class MediaShelf:
    """The checked images, kept in `staging` (the data folder's media/), published into `public`/media/."""

    def __init__(self, staging: Path, public: Path, max_bytes: int) -> None:
        self._staging = staging
        self._public = public
        self.max_bytes = max_bytes
        self._by_date: dict[date, dict[int, Image]] = {}
        if staging.is_dir():
            for path in sorted(staging.iterdir()):
                parsed = parse_name(path.name)
                if parsed is not None and path.is_file():
                    self._remember(Image(*parsed, path.stat().st_size))

    def _remember(self, image: Image) -> None:
        self._by_date.setdefault(image.issue_date, {})[image.number] = image

    def take(self, path: Path, inbox: Path) -> Image:
        """Check an inbox image and keep a copy; ParseError (file, reason) when it cannot be used."""
        intake = read_inbox_file(path, inbox, self.max_bytes)
        parsed = parse_name(intake.name)
        if parsed is None:
            raise ParseError(intake.name, "image name is not DATE-N.jpg|jpeg|png|webp (e.g. 2023-09-27-1.jpg); "
                                          "not attached to any item")
        image = Image(*parsed, len(intake.data))
        if not _signature_ok(intake.data, image.mime):
            raise ParseError(intake.name, f"bytes are not {image.mime} as the name says; not attached")
        self._staging.mkdir(parents=True, exist_ok=True)
        old = self._by_date.get(image.issue_date, {}).get(image.number)
        changed = write_atomic(self._staging / image.name, intake.data)
        if old is not None and old.name != image.name:  # 2023-09-27-1.png replaces 2023-09-27-1.jpg
            (self._staging / old.name).unlink(missing_ok=True)
            (self._public / old.path).unlink(missing_ok=True)
        elif changed and (self._public / image.path).exists():  # a new picture for an item already public
            write_atomic(self._public / image.path, intake.data)
        self._remember(image)
        return image

    def images_of(self, day: date) -> dict[int, Image]:
        return self._by_date.get(day, {})

    def dates(self) -> Iterable[date]:
        return self._by_date.keys()

    def unpublish(self, day: date) -> None:
        """Take the photos of the `day` issue off the site (it was withdrawn); the kept copies stay."""
        for image in self.images_of(day).values():
            remove(self._public / image.path)

    def publish(self, image: Image, *, durable: bool = True) -> list[Path]:
        """Copy `image` into public/media/ unless an equal copy is there; the paths written."""
        target = self._public / image.path
        try:
            if target.stat().st_size == image.length:
                return []
        except FileNotFoundError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        data = (self._staging / image.name).read_bytes()
        return [target] if write_atomic(target, data, durable=durable) else []
