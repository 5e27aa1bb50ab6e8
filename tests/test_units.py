"""The systemd units in config/: valid for systemd itself (`systemd-analyze verify`, when it is installed), and the
template's sandbox as README "Several papers" describes it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "config" / "feedsvc@.service"
INSTALLED = "/opt/feedsvc/bin/feedsvc"  # where `make install PREFIX=/opt/feedsvc` puts the command


def settings(unit: Path) -> dict[str, list[str]]:
    """Each `Key=value` of the unit, every value of a repeated key in order."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if match := re.fullmatch(r"([A-Za-z]+)=(.*)", line.strip()):
            found.setdefault(match[1], []).append(match[2])
    return found


def test_the_template_sandboxes_each_paper():
    unit = settings(TEMPLATE)
    assert unit["Environment"] == ["FEEDSVC_CONFIG=/etc/feedsvc/%i.toml"]
    assert unit["ExecStart"] == [f"{INSTALLED} run"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] == ["/var/lib/feedsvc/%i"]  # the data folder, nothing else
    assert unit["ReadOnlyPaths"] == ["/srv/feedsvc/%i/inbox"]
    assert unit["NoNewPrivileges"] == unit["PrivateTmp"] == ["yes"]
    assert int(unit["LimitNOFILE"][0]) >= 4096
    assert unit["User"] == ["feedsvc"]


@pytest.mark.parametrize("name, instance", [("feedsvc@.service", "feedsvc@paper.service"),
                                            ("feedsvc.service", "feedsvc.service")])
def test_systemd_accepts_the_unit(tmp_path: Path, name: str, instance: str):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = (ROOT / "config" / name).read_text()
    # verify insists that ExecStart exists: the feedsvc of this test run stands for the installed one.
    assert INSTALLED in text
    (tmp_path / name).write_text(text.replace(INSTALLED, str(Path(sys.prefix) / "bin" / "feedsvc")))
    result = subprocess.run([analyze, "verify", str(tmp_path / instance)], capture_output=True, text=True,
                            timeout=60)
    # A bad value is only a message on stderr (exit 0): any line about our unit fails.
    ours = [line for line in (result.stdout + result.stderr).splitlines() if name.split(".")[0] in line]
    assert result.returncode == 0 and not ours, result.stdout + result.stderr


def test_the_template_exposes_little(tmp_path: Path):
    """systemd's own reading of the sandbox: an exposure level of 2.0 or less ("OK")."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / TEMPLATE.name).write_text(TEMPLATE.read_text().replace(INSTALLED, sys.executable))
    result = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(tmp_path / "feedsvc@x.service")],
                            capture_output=True, text=True, timeout=60)
    level = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    if level is None:
        pytest.skip(f"this systemd-analyze cannot judge a unit file offline: {result.stderr.strip()[:200]}")
    assert float(level[1]) <= 2.0, result.stdout
