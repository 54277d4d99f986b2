"""The crash matrix: create, prune, restore, push and pull killed at every durable step.

Each command is traced once to list its rename/unlink/fsync/syncfs calls; then, for each kill
point chosen, a fresh copy of the starting state is made, the command is SIGKILLed at exactly
that call, and the invariants are checked:

- no backup that list-backups calls valid fails verify-backup;
- no earlier backup changed (prune may only have removed the ones it was deleting);
- after a killed restore and the recovery any next run performs, every component is its old
  or its new state (a database as SQLite would read it, journals included);
- the next run of the same command succeeds and no leftover remains anywhere.

Budget: all points when BACKUP_CRASH_POINTS=all (about 80, ~10 min on 2 busy cores); by
default the points that touch databases and the final renames, plus evenly spaced others, up
to BACKUP_CRASH_POINTS (default 6) per command: a few minutes. The count covered is printed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crash.strace_kill import (
    KillPoint,
    run_killed,
    spread,
    strace_binary,
    trace_kill_points,
    was_killed,
)
from tests.crash.world import (
    ComponentStates,
    Verdict,
    backup_digests,
    copy_world,
    env_for,
    leftovers,
    live_states,
    make_template,
    mixed_components,
    sqlite_rows,
    valid_backups_verify,
)
from tests.support.cli import run_cli

pytestmark = pytest.mark.skipif(
    strace_binary() is None, reason="strace is not installed (Debian package `strace`)"
)


@dataclass(frozen=True)
class Scenario:
    name: str
    args: list[str]
    backups: int
    live_changes: bool = False
    only_remote: bool = False


SCENARIOS = [
    Scenario("create", ["create-backup", "--no-prune", "--json"], backups=1),
    Scenario("prune", ["prune-backups", "--keep-last", "1", "--json"], backups=3),
    Scenario("restore", ["restore-backup", "--latest", "--json"], backups=1, live_changes=True),
    # Off-site copies to a folder remote (an external disk): push resumes, pull stages.
    Scenario("push", ["push-backup", "--latest", "--json"], backups=1),
    Scenario("pull", ["pull-backup", "--latest", "--json"], backups=1, only_remote=True),
]


def _budget() -> int:
    wanted = os.environ.get("BACKUP_CRASH_POINTS", "6")
    return 0 if wanted == "all" else int(wanted)


def _priority(points: list[KillPoint]) -> list[KillPoint]:
    """Database journals and the last renames: where issue 13 found a real loss."""
    touching = [p for p in points if "cache.db" in p.detail or "analytics.duckdb" in p.detail]
    renames = [p for p in points if p.syscall.startswith("rename")][-3:]
    return list(dict.fromkeys([*touching, *renames]))


def _check_point(
    scenario: Scenario,
    template: Path,
    point: KillPoint,
    work: Path,
    verdict: Verdict,
    new: ComponentStates | None,
) -> bool:
    """Check one kill point; False when the run never reached it (it finished instead)."""
    data = copy_world(template, work / "data")
    env = env_for(data)
    before = backup_digests(data)
    old = live_states(data, work / "scratch") if scenario.live_changes else None
    killed = run_killed(scenario.args, env, point)
    if not was_killed(killed):
        # Counts per thread differ between runs (DuckDB's threads): this point was not reached.
        verdict.check(killed.returncode == 0, f"not killed, but failed: {killed.stderr[:300]}")
        return False
    after = backup_digests(data)
    for backup_id, digest in before.items():
        if backup_id in after:
            verdict.check(after[backup_id] == digest, f"earlier backup {backup_id} changed")
        else:
            verdict.check(scenario.name == "prune", f"earlier backup {backup_id} vanished")
    valid_backups_verify(data, verdict)  # verify also performs any next run's recovery
    if old is not None and new is not None:
        mixed = mixed_components(live_states(data, work / "scratch"), old, new)
        verdict.check(not mixed, f"neither old nor new after the kill: {mixed}")
    rerun = run_cli(*scenario.args, env=env)
    verdict.check(rerun.returncode == 0, f"next run failed: {rerun.stderr.strip()[:300]}")
    if rerun.returncode == 0 and new is not None:
        result = json.loads(rerun.stdout)
        verdict.check(result["ok"], "the rerun restore reports failure")
        rows = sqlite_rows(data / "cache" / "cache.db", work / "scratch")
        verdict.check(rows == new.cache_rows, "after the rerun, cache.db is not the backup's")
    left = leftovers(data)
    verdict.check(not left, f"leftovers after the next run: {left}")
    return True


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_killed_at_every_durable_step(
    scenario: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = make_template(
        tmp_path / "template",
        scenario.backups,
        scenario.live_changes,
        only_remote=scenario.only_remote,
    )
    traced = copy_world(template, tmp_path / "traced" / "data")
    points = trace_kill_points(scenario.args, env_for(traced), tmp_path / "trace.log", traced)
    assert points, "the traced run made no durable step at all"
    # The state an uninterrupted restore produces is the "new" state of every component.
    new = live_states(traced, tmp_path / "scratch") if scenario.live_changes else None
    chosen = spread(points, _budget(), _priority(points))
    failures: list[str] = []
    reached = 0
    for index, point in enumerate(chosen):
        verdict = Verdict()
        work = tmp_path / f"point-{index}"
        reached += _check_point(scenario, template, point, work, verdict, new)
        failures += [f"{point.label()}: {problem}" for problem in verdict.problems]
    with capsys.disabled():
        print(
            f"\ncrash matrix {scenario.name}: {reached} kill points covered "
            f"({len(chosen)} chosen of {len(points)} traced), {len(failures)} problems"
        )
    assert not failures, "\n".join(failures)
