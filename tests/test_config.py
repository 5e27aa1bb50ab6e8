"""Settings files and FEEDSVC_* variables: typos and out-of-range values are one-line errors naming the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from feedsvc import config
from feedsvc.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> config.Settings:
    path = tmp_path / "feedsvc.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(path, env or {})


def error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env)
    return caught.value


def test_the_shipped_file_loads_and_says_what_the_defaults_say() -> None:
    assert config.load(ROOT / "config" / "feedsvc.toml", {}) == config.load(None, {})


def test_a_misspelt_key_names_itself_and_the_nearest_known_one(tmp_path: Path) -> None:
    err = error(tmp_path, '[paper]\nweekday = ["tue"]\n')
    assert err.key == "paper.weekday" and "'weekdays'" in err.reason


def test_a_misspelt_section_names_itself_and_the_nearest_known_one(tmp_path: Path) -> None:
    err = error(tmp_path, '[servce]\nport = 8081\n')
    assert err.key == "[servce]" and "'service'" in err.reason


def test_a_key_nothing_resembles_lists_the_known_keys(tmp_path: Path) -> None:
    err = error(tmp_path, "[cache]\nzzz = 1\n")
    assert err.key == "cache.zzz" and "max_age_cap_days" in err.reason and "overdue_max_age_seconds" in err.reason


def test_a_misspelt_suspension_key(tmp_path: Path) -> None:
    err = error(tmp_path, '[[suspension]]\ndates = ["2024-02-09"]\nresumes = "2024-02-14"\n')
    assert err.key == "suspension[0].resumes" and "'resume'" in err.reason


def test_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    assert error(tmp_path, 'paper = "x"\n').key == "paper"


@pytest.mark.parametrize(("text", "key"), [
    ("[service]\npoll_seconds = -1\n", "service.poll_seconds"),
    ("[service]\npoll_seconds = nan\n", "service.poll_seconds"),
    ("[service]\nport = 65536\n", "service.port"),
    ("[service]\nfeed_items = 0\n", "service.feed_items"),
    ("[service]\nmax_file_bytes = -5\n", "service.max_file_bytes"),
    ("[service]\nmax_image_bytes = 0\n", "service.max_image_bytes"),
    ("[service]\nrescan_minutes = -1\n", "service.rescan_minutes"),
    ('[service]\nbase_url = "feeds.example"\n', "service.base_url"),
    ('[service]\nhost = ""\n', "service.host"),
    ("[paper]\nmissing_grace_minutes = -10\n", "paper.missing_grace_minutes"),
    ('[paper]\ntitle = "  "\n', "paper.title"),
    ('[paper]\nlanguage = "chinese please"\n', "paper.language"),
    ("[cache]\nmax_age_cap_days = 0\n", "cache.max_age_cap_days"),
    ("[cache]\noverdue_max_age_seconds = -1\n", "cache.overdue_max_age_seconds"),
    ("[cache]\nmax_age_cap_days = inf\n", "cache.max_age_cap_days"),
])
def test_out_of_range_values_name_their_key(tmp_path: Path, text: str, key: str) -> None:
    assert error(tmp_path, text).key == key


def test_values_at_the_edges_of_their_ranges_load(tmp_path: Path) -> None:
    settings = load(tmp_path, "[service]\nport = 0\nrescan_minutes = 0\nfeed_items = 1\n"
                              "[paper]\nmissing_grace_minutes = 0\n[cache]\noverdue_max_age_seconds = 0\n")
    assert (settings.port, settings.rescan_minutes, settings.feed_items) == (0, 0.0, 1)


@pytest.mark.parametrize("value", ["abc", "70000", "-1"])
def test_a_bad_environment_variable_is_named(tmp_path: Path, value: str) -> None:
    err = error(tmp_path, "[service]\nport = 8081\n", env={"FEEDSVC_PORT": value})
    assert err.key == "FEEDSVC_PORT" and value in err.reason


def test_an_environment_base_url_is_checked_and_named(tmp_path: Path) -> None:
    assert error(tmp_path, "", env={"FEEDSVC_BASE_URL": "ftp://x/"}).key == "FEEDSVC_BASE_URL"


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    settings = load(tmp_path, "[service]\nport = 8081\n", env={"FEEDSVC_PORT": "8082", "FEEDSVC_DATA": "d"})
    assert (settings.port, settings.data) == (8082, Path("d"))


def test_flags_are_checked_and_named_by_the_caller(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        config.checked(config.Settings(), {"poll_seconds": 0.0, "port": None}, lambda name: f"--{name}")
    assert caught.value.key == "--poll_seconds"


def test_a_misspelt_websub_section_is_caught_too(tmp_path: Path) -> None:
    err = error(tmp_path, "[websb]\nenabled = false\n")
    assert err.key == "[websb]" and "'websub'" in err.reason
