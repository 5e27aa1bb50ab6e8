"""Who publishes the feeds: icon, logo and rights, from the [paper] settings, with defaults made here.

Where they go: RSS `<image>` (the logo: GIF, JPEG or PNG, https://www.rssboard.org/rss-specification#ltimagegtSubelementOfLtchannelgt)
and `<copyright>`; Atom `<icon>`, `<logo>`, `<rights>` (RFC 4287 §4.2.5, §4.2.8, §4.2.10); JSON Feed `icon` (the
logo) and `favicon` (the icon) (https://www.jsonfeed.org/version/1.1/); `/favicon.ico`, and the pages' `<link
rel="icon">`.

A setting may name an image file (PNG, JPEG or GIF, checked by its signature like the photos in media.py, and
copied into public/) or an http(s) URL used as it is. Left empty, the defaults are made here, with no image
library: PNGs of a newspaper pictogram (the zlib-compressed rows of RFC 2083 PNG, written by hand) and an SVG of
the paper's first character for the pages, which browsers draw with their own fonts. Drawing that character into
a PNG needs a font and a glyph rasteriser (Pillow and a CJK font on the machine): more than a default icon earns.
`favicon.ico` wraps the icon's PNG (ICO has held PNG images since Windows Vista; every browser reads it).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from feedsvc.errors import ConfigError

ICON_SIZE = 64  # JSON Feed's favicon size; also the Atom icon and favicon.ico
LOGO_SIZE = 256
MAX_IMAGE_BYTES = 1_000_000  # an icon or logo larger than this is a mistake (a photo named by accident)
FAVICON = "favicon.ico"
_SIGNATURES = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff", "gif": b"GIF8"}
_TYPES = {"png": "image/png", "jpg": "image/jpeg", "gif": "image/gif"}

# The pictogram's colours: a masthead red, the page, the ink of its lines.
_RED, _PAPER, _INK, _GREY = (0xA6, 0x1B, 0x1B), (0xFD, 0xFD, 0xFB), (0x22, 0x22, 0x22), (0x99, 0x99, 0x99)


@dataclass(frozen=True)
class Identity:
    """URLs the feeds and pages name, the rights line, and the files to publish (name under public/, bytes)."""

    icon: str
    logo: str
    rights: str
    page_icons: tuple[tuple[str, str], ...]  # (URL, MIME type) for the pages' <link rel="icon">, preferred first
    files: tuple[tuple[str, bytes], ...]


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An 8-bit RGB PNG; `pixel(x, y)` gives each pixel's (r, g, b). Deterministic bytes (no time chunk)."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def pictogram(size: int) -> bytes:
    """A newspaper page on masthead red: a headline in ink and five lines of text, the last one short."""
    margin, pad = size // 8, max(1, size // 16)
    left, right, top, bottom = margin + pad, size - margin - pad, margin + pad, size - margin - pad
    step = max(3, (bottom - top) // 6)

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if not (margin <= x < size - margin and margin <= y < size - margin):
            return _RED
        if not (left <= x < right and top <= y < bottom):
            return _PAPER
        line, within = divmod(y - top, step)
        if within >= step * 2 // 3 or line > 5 or (line == 5 and x >= left + (right - left) * 2 // 3):
            return _PAPER
        return _INK if line == 0 else _GREY

    return png(size, size, pixel)


def ico(png_bytes: bytes) -> bytes:
    """An ICO file holding one PNG image (its size read from the PNG header; 0 means 256 or more)."""
    width, height = struct.unpack(">II", png_bytes[16:24])
    entry = struct.pack("<BBBBHHII", width if width < 256 else 0, height if height < 256 else 0, 0, 0, 1, 32,
                        len(png_bytes), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + png_bytes


def monogram_svg(title: str) -> bytes:
    """The paper's first character on masthead red, as SVG (drawn by the browser's own fonts)."""
    first = escape(next((c for c in title if not c.isspace()), "报"))
    red = "#{:02x}{:02x}{:02x}".format(*_RED)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="10" '
            f'fill="{red}"/><text x="32" y="46" font-size="40" text-anchor="middle" fill="#fff" '
            f'font-family="serif">{first}</text></svg>\n').encode()


def _image_file(key: str, value: str) -> tuple[str, bytes]:
    """(suffix, bytes) of a configured image file; ConfigError naming the file and what is wrong with it."""
    try:
        with Path(value).open("rb") as handle:
            data = handle.read(MAX_IMAGE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"paper.{key}", f"{value}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ConfigError(f"paper.{key}", f"{value}: larger than {MAX_IMAGE_BYTES} bytes")
    suffix = next((s for s, magic in _SIGNATURES.items() if data.startswith(magic)), None)
    if suffix is None:
        raise ConfigError(f"paper.{key}", f"{value}: not a PNG, JPEG or GIF image")
    return suffix, data


def _image(key: str, value: str, site_url: str, size: int) -> tuple[str, tuple[tuple[str, bytes], ...]]:
    """(URL, files to publish) of the icon or the logo: a URL as given, a file copied, or the pictogram."""
    if value.startswith(("http://", "https://")):
        return value, ()
    suffix, data = _image_file(key, value) if value else ("png", pictogram(size))
    return f"{site_url}{key}.{suffix}", ((f"{key}.{suffix}", data),)


def _favicon(files: tuple[tuple[str, bytes], ...]) -> bytes:
    """favicon.ico: the icon's PNG when it is one ICO can hold (at most 256 pixels a side), else the pictogram."""
    data = next((d for name, d in files if name == "icon.png"), b"")
    if not data or max(struct.unpack(">II", data[16:24])) > 256:
        data = pictogram(ICON_SIZE)
    return ico(data)


def identity(title: str, site_url: str, icon: str = "", logo: str = "", rights: str = "") -> Identity:
    """The feeds' identity from the [paper] settings `icon`, `logo` and `copyright` (empty: the defaults)."""
    icon_url, icon_files = _image("icon", icon, site_url, ICON_SIZE)
    logo_url, logo_files = _image("logo", logo, site_url, LOGO_SIZE)
    files = (*icon_files, *logo_files, (FAVICON, _favicon(icon_files)))
    mime = _TYPES.get(icon_url.rsplit(".", 1)[-1].lower(), "image/png")
    page_icons: tuple[tuple[str, str], ...] = ((icon_url, mime),)
    if not icon:  # the default: the pages also get the paper's first character, which browsers draw
        files += (("icon.svg", monogram_svg(title)),)
        page_icons = ((site_url + "icon.svg", "image/svg+xml"), *page_icons)
    return Identity(icon_url, logo_url, rights.strip() or f"© {title.strip()}", page_icons, files)
