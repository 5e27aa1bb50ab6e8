"""Fixtures shared by every test module. Module-specific fixtures live in their own test files."""

from __future__ import annotations

from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(name="seed_path")
def _seed_path() -> Path:
    """The project's sample issue: one real page with five items and a suspension notice."""
    return SEEDS / "000_90b6bc3011e581f6.txt"


@pytest.fixture(name="seed_bytes")
def _seed_bytes(seed_path: Path) -> bytes:
    """The sample issue's bytes, as a watcher would read them."""
    return seed_path.read_bytes()
