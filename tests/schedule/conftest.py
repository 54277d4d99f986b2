"""Scheduler fixtures: recorded systemctl, a temporary crontab spool, scheduler settings."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.ci import skip_unless_ci

REAL_SPOOL = Path("/var/spool/cron/crontabs")


@dataclass(frozen=True)
class RecordedTool:
    """A stand-in executable first on PATH: it records each call's argv and exits 0."""

    log: Path

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [line.split("\t")[:-1] for line in self.log.read_text().splitlines()]


def place_recorder(bin_dir: Path, name: str) -> RecordedTool:
    bin_dir.mkdir(exist_ok=True)
    log = bin_dir / f"{name}.calls"
    script = bin_dir / name
    script.write_text(
        "#!/bin/sh\n"
        f"{{ for a in \"$@\"; do printf '%s\\t' \"$a\"; done; printf '\\n'; }}"
        f" >> {shlex.quote(str(log))}\n"
        "exit 0\n"
    )
    script.chmod(0o755)
    return RecordedTool(log)


@pytest.fixture
def recorded_systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordedTool:
    """systemctl calls are recorded, not executed: there is no user session in a test."""
    bin_dir = tmp_path / "bin"
    tool = place_recorder(bin_dir, "systemctl")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tool


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@dataclass(frozen=True)
class CrontabSpool:
    """Debian's real crontab binary, run against a temporary spool folder."""

    spool: Path
    command: Path  # the wrapper: what BACKUP_CRONTAB_COMMAND names

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.command), *args], input=stdin, capture_output=True, text=True, check=False
        )

    def lines(self) -> list[str]:
        listed = self.run("-l")
        return listed.stdout.splitlines() if listed.returncode == 0 else []


@pytest.fixture
def crontab_spool(tmp_path: Path) -> CrontabSpool:
    """Debian's crontab has its spool compiled in (/var/spool/cron/crontabs), so the wrapper
    runs it in a private mount namespace where a temporary folder is bound over the spool:
    the real binary, the real file format and permissions, and the machine's crontab untouched.
    """
    if shutil.which("crontab") is None:
        skip_unless_ci("Debian's cron package is not installed (.ci/run installs it)")
    if not REAL_SPOOL.is_dir():
        skip_unless_ci(f"{REAL_SPOOL} does not exist: not Debian's cron")
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        skip_unless_ci(
            "no mount namespaces here (unshare -m needs root): spool cannot be redirected"
        )
    spool = tmp_path / "spool"
    spool.mkdir()
    wrapper = tmp_path / "bin-cron" / "crontab-in-temp-spool"
    wrapper.parent.mkdir()
    wrapper.write_text(
        "#!/bin/sh\n"
        "exec unshare -m sh -c "
        '\'mount --bind "$0" /var/spool/cron/crontabs && exec crontab "$@"\' '
        f'{shlex.quote(str(spool))} "$@"\n'
    )
    wrapper.chmod(0o755)
    return CrontabSpool(spool, wrapper)
