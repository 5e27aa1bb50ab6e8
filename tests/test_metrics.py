"""Metrics (README "Metrics"): a running `feedsvc run` with `[metrics] port` set serves the Prometheus text format on
that loopback port, read here with prometheus_client's own parser, each metric counting what the test made happen;
the public server has no /metrics; a non-loopback metrics host is refused."""

from __future__ import annotations

import socket
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from feedsvc import config
from feedsvc.errors import ConfigError
from tests.conftest import FeedsvcRun, feedsvc, fetch, issue_text, wait_for, wait_published
from tests.spec_subscriber import Subscriber

NOW = "2023-09-27T08:30:00+08:00"  # the 09-27 issue is due since 06:00 and missing since 08:00 (2 h grace)
BEFORE = "2023-09-25T07:00:00+08:00"  # when the store began: the 09-25 issue, backfilled
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scrape(port: int) -> dict[str, float]:
    """Every sample of the exposition: "name{label=value,...}" → value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


def test_metrics_count_what_happened(tmp_path: Path, seed_path: Path):
    port = free_port()
    settings = tmp_path / "feedsvc.toml"
    settings.write_text(f'[metrics]\nport = {port}\n\n[websub]\nallowed_callback_networks = ["127.0.0.0/8"]\n')
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    day = date(2023, 9, 25)
    (tmp_path / f"{day}.txt").write_text(issue_text(day, "城市更新", "秋收"), encoding="utf-8")
    feedsvc("ingest", "--data", str(tmp_path / "data"), str(tmp_path / f"{day}.txt"), env={"FEEDSVC_NOW": BEFORE})
    (inbox / "notes.txt").write_text("没有日期的文件\n", encoding="utf-8")  # rejected: no date
    ahead = date(2023, 10, 13)  # the seed's notice resumes publication then: scheduled, held till 06:00 that day
    subscriber = Subscriber()
    started = time.time()
    with FeedsvcRun(inbox, tmp_path / "data", tmp_path / "service.log", "--config", str(settings),
                    env={"FEEDSVC_NOW": NOW}) as service:
        wait_published(service.url, day, 2)
        first = wait_for(lambda: (m := scrape(port)).get("feedsvc_issues_rejected_total") == 1 and m, 30,
                         "notes.txt rejected")
        assert first["feedsvc_issues_missing"] == 1  # 09-27
        assert first["feedsvc_issues_ingested_total"] == 0  # counted from this start: 09-25 came before
        assert first["feedsvc_items_published_total"] == 0
        assert first["feedsvc_issues_held"] == 0
        assert first["feedsvc_last_release_timestamp_seconds"] == 0

        assert subscriber.request(service.url + "websub", "subscribe", service.url + "rss.xml")[0] == 202
        wait_for(lambda: subscriber.verifications, 30, "the hub verifies the subscription")
        assert fetch(service.url + "metrics")[0] == 404  # never on the public server
        with urllib.request.urlopen(service.url + "atom.xml", timeout=5) as response:
            etag = response.headers["ETag"]
        conditional = urllib.request.Request(service.url + "atom.xml", headers={"If-None-Match": etag})
        with pytest.raises(urllib.error.HTTPError) as not_modified:
            urllib.request.urlopen(conditional, timeout=5)
        not_modified.value.close()
        assert not_modified.value.code == 304

        (inbox / "2023-09-27.txt").write_bytes(seed_path.read_bytes())  # the late issue, five items
        (inbox / f"{ahead}.txt").write_text(issue_text(ahead, "复刊"), encoding="utf-8")
        wait_published(service.url, date(2023, 9, 27), 5)
        wait_for(lambda: subscriber.deliveries, 30, "the change pushed to the subscriber")
        last = wait_for(lambda: (m := scrape(port)).get("feedsvc_issues_held") == 1 and m, 30, "10-13 held")
        subscriber.close()
    assert last["feedsvc_issues_ingested_total"] == 2
    assert last["feedsvc_items_published_total"] == 5
    assert started <= last["feedsvc_last_release_timestamp_seconds"] <= time.time()
    assert last["feedsvc_issues_missing"] == 0
    assert last["feedsvc_issues_rejected_total"] == 1
    assert last["feedsvc_http_requests_total{status=304}"] == 1
    assert last["feedsvc_http_requests_total{status=404}"] == 1
    assert last["feedsvc_http_requests_total{status=200}"] >= 3
    assert last["feedsvc_websub_deliveries_total{outcome=delivered}"] >= 1
    # The drop of 09-27 went through a publication in well under a minute here (10-13 is held: it publishes
    # nothing, and two files taken together may share one publication).
    count = last["feedsvc_drop_to_feed_seconds_count"]
    assert count >= 1 and last["feedsvc_drop_to_feed_seconds_bucket{le=+Inf}"] == count
    assert last["feedsvc_drop_to_feed_seconds_bucket{le=60.0}"] == count
    assert 0 < last["feedsvc_drop_to_feed_seconds_sum"] < 60 * count
    assert last["feedsvc_publication_duration_seconds_count"] > first["feedsvc_publication_duration_seconds_count"]
    assert last["feedsvc_publication_duration_seconds_sum"] > 0


def test_metrics_are_off_by_default_and_never_public(tmp_path: Path):
    assert config.load(None, {}).metrics_port == 0
    for host in ("0.0.0.0", "192.0.2.1", "example.org"):
        path = tmp_path / "feedsvc.toml"
        path.write_text(f'[metrics]\nhost = "{host}"\nport = 9108\n')
        with pytest.raises(ConfigError, match=r"metrics\.host"):
            config.load(path, {})
    path.write_text('[metrics]\nhost = "::1"\nport = 9108\n')
    assert config.load(path, {}).metrics_host == "::1"
