"""README "Upgrade": a data folder made by an older feedsvc (its store at an earlier schema version) is brought up to
date when the new feedsvc opens it, keeps every issue and item, and `feedsvc build` writes the same feeds as a
store made by the new feedsvc from the same files."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import date
from pathlib import Path

import feedparser
import pytest

from feedsvc import schema
from tests.conftest import feedsvc, issue_text

FEEDS = ("rss.xml", "atom.xml", "feed.json")
pytestmark = pytest.mark.slow


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def old_store(current: Path, path: Path, version: int) -> None:
    """The store an older feedsvc would have made of the same files: the schema steps up to `version` (the real
    steps, applied by schema.migrate), holding what `current` holds in the columns that version had."""
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as db:
        assert schema.migrate(db, upto=version) == version
        db.execute("ATTACH DATABASE ? AS new", (str(current),))
        tables = [row[0] for row in db.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'"
                                               " AND name NOT IN ('schema_steps', 'sqlite_sequence')")]
        db.execute("BEGIN")
        for table in tables:
            names = ", ".join(columns(db, table))
            # OR IGNORE: rows the old version's triggers made already (item_authors from items).
            db.execute(f"INSERT OR IGNORE INTO main.{table} ({names}) SELECT {names} FROM new.{table}")
        db.execute("COMMIT")
        db.execute("DETACH DATABASE new")


def content(path: Path, shape: dict[str, list[str]]) -> dict[str, list[tuple[object, ...]]]:
    """Each table's rows in the columns `shape` names."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {table: sorted(db.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall(), key=repr)
                for table, names in shape.items()}


@pytest.fixture(scope="module", name="made_now")
def _made_now(tmp_path_factory: pytest.TempPathFactory, seed_path: Path) -> Path:
    """A data folder made by this feedsvc from two issues (one with a suspension notice)."""
    tmp = tmp_path_factory.mktemp("current")
    day = date(2023, 9, 25)
    (tmp / f"{day}.txt").write_text(issue_text(day, "城市更新", "秋收"), encoding="utf-8")
    feedsvc("ingest", "--data", str(tmp / "data"), str(tmp / f"{day}.txt"), str(seed_path))
    return tmp / "data"


@pytest.fixture(name="seed_path", scope="module")
def _module_seed_path() -> Path:
    return Path(__file__).resolve().parent.parent / "seeds" / "000_90b6bc3011e581f6.txt"


@pytest.mark.parametrize("version", [1, schema.VERSION - 1], ids=["first schema", "previous schema"])
def test_upgrade_an_older_data_folder(made_now: Path, tmp_path: Path, version: int):
    data = tmp_path / "data"
    data.mkdir()
    old_store(made_now / "feedsvc.sqlite", data / "feedsvc.sqlite", version)
    with contextlib.closing(sqlite3.connect(data / "feedsvc.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == version
        shape = {table: columns(db, table) for table in ("issues", "items", "suspensions", "contents")}
    before = content(data / "feedsvc.sqlite", shape)
    assert len(before["issues"]) == 2 and len(before["items"]) == 7

    feedsvc("build", "--data", str(data))  # opening the store runs the missing schema steps, then build

    with contextlib.closing(sqlite3.connect(data / "feedsvc.sqlite")) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == schema.VERSION
        steps = db.execute("SELECT version, name FROM schema_steps ORDER BY version").fetchall()
    assert steps == [(n, step.name) for n, step in enumerate(schema.STEPS, start=1)]
    # Every issue and item kept as it was.
    assert content(data / "feedsvc.sqlite", shape) == before
    if version == schema.VERSION - 1:
        # What the new feedsvc stores of the same files (in what the older one knew), and the very same feeds.
        assert before == content(made_now / "feedsvc.sqlite", shape)
        for name in FEEDS:
            assert (data / "public" / name).read_bytes() == (made_now / "public" / name).read_bytes(), name
    upgraded = feedparser.parse((data / "public" / "rss.xml").read_bytes())
    reference = feedparser.parse((made_now / "public" / "rss.xml").read_bytes())
    assert not upgraded.bozo
    assert [e.id for e in upgraded.entries] == [e.id for e in reference.entries]
    assert len(upgraded.entries) == 7
