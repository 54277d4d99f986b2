"""Calendar retention (GFS) as exact tables, the way Borg's prune_cmd_test.py pins its prune.

Times are given in the zone the rules cut periods in (local time), like Borg's tests do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import pytest

from persistence import service
from persistence.core.keep_reasons import KeepReason, KeepRule
from persistence.retention.policy import RetentionDecision, RetentionPolicy, decide
from persistence.store.catalog import CompleteBackup
from persistence.store.manifest import Manifest
from tests.conftest import AppState
from tests.engine.helpers import backdate
from tests.support.cli import run_cli

LOCAL = datetime.now(UTC).astimezone().tzinfo
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _backup(name: str, when: datetime) -> CompleteBackup:
    manifest = Manifest(
        tool_version="test",
        backup_id=name,
        host="h",
        started_at=when,
        finished_at=when,
        duration_seconds=0,
        settings={},
        components=[],
    )
    return CompleteBackup(name, Path(name), manifest)


def _local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=LOCAL)  # pyright: ignore[reportArgumentType]


def _rules(decision: RetentionDecision) -> dict[str, str]:
    """backup id -> 'rule #rank' (with [oldest]), one reason each in these tables."""
    shown: dict[str, str] = {}
    for backup_id, reasons in decision.keep.items():
        assert len(reasons) == 1, reasons
        reason = reasons[0]
        oldest = "[oldest]" if reason.oldest else ""
        shown[backup_id] = f"{reason.rule.value}{oldest} #{reason.rank}"
    return shown


# Borg's test_prune_split archives: years, months, days, minutes and seconds apart.
SPLIT = {
    1: _local(2015, 1, 1, 10),
    2: _local(2016, 1, 1, 10),
    3: _local(2017, 1, 1, 10),
    4: _local(2017, 2, 1, 10),
    5: _local(2017, 3, 1, 10),
    6: _local(2017, 3, 2, 10),
    7: _local(2017, 3, 3, 10),
    8: _local(2017, 3, 4, 10),
    9: _local(2017, 10, 1, 9, 45),
    10: _local(2017, 10, 1, 9, 55),
    11: _local(2017, 10, 1, 10, 0, 1),
    12: _local(2017, 10, 1, 10, 0, 3),
    13: _local(2017, 10, 1, 10, 0, 5),
}


@pytest.mark.parametrize(
    ("field", "count", "kept"),
    [
        ("keep_yearly", 3, [13, 2, 1]),
        ("keep_monthly", 3, [13, 8, 4]),
        ("keep_weekly", 2, [13, 8]),
        ("keep_daily", 3, [13, 8, 7]),
        ("keep_hourly", 3, [13, 10, 8]),
        ("keep_daily", 0, []),
    ],
)
def test_each_rule_keeps_the_newest_backup_of_each_period(
    field: str, count: int, kept: list[int]
) -> None:
    backups = [_backup(f"b{n:02d}", when) for n, when in SPLIT.items()]
    policy = RetentionPolicy.model_validate({"keep_last": 0, field: count})
    decision = decide(backups, policy, NOW)
    if not kept:
        assert decision.keep == {"b13": [KeepReason(rule=KeepRule.NEVER_ZERO)]}
        return
    rule = field.removeprefix("keep_")
    assert _rules(decision) == {f"b{n:02d}": f"{rule} #{i}" for i, n in enumerate(kept, 1)}
    assert decision.delete == [f"b{n:02d}" for n in SPLIT if n not in kept]


def test_oldest_stands_in_when_a_rule_runs_out_of_periods() -> None:
    backups = [
        _backup("b1", _local(2018, 1, 1, 10)),
        _backup("b2", _local(2018, 12, 30, 10)),
        _backup("b3", _local(2018, 12, 31, 10)),
        _backup("b4", _local(2019, 12, 31, 10)),
    ]
    three = decide(backups, RetentionPolicy(keep_last=0, keep_yearly=3), NOW)
    assert _rules(three) == {"b4": "yearly #1", "b3": "yearly #2", "b1": "yearly[oldest] #3"}
    assert three.delete == ["b2"]
    two = decide(backups, RetentionPolicy(keep_last=0, keep_yearly=2), NOW)
    assert _rules(two) == {"b4": "yearly #1", "b3": "yearly #2"}
    assert two.delete == ["b1", "b2"]


def test_borg_documented_example_daily_monthly_yearly() -> None:
    """docs/misc/prune-example.txt: --keep-daily=14 --keep-monthly=6 --keep-yearly=1."""
    days = [(2015, 12, d) for d in (17, 18, *range(20, 32))]
    months = [(2015, 6, 30), (2015, 7, 31), (2015, 8, 31), (2015, 9, 30), (2015, 10, 31)]
    months.append((2015, 11, 30))
    dates = {"t01": (2015, 1, 1), "t22": (2015, 1, 2), "t23": (2015, 5, 31)}
    dates |= {f"t{2 + i:02d}": ymd for i, ymd in enumerate(months)}
    dates |= {f"t{8 + i:02d}": ymd for i, ymd in enumerate(days)}
    dates["t24"] = (2015, 12, 16)
    backups = [_backup(name, _local(*ymd)) for name, ymd in dates.items()]
    policy = RetentionPolicy(keep_last=0, keep_daily=14, keep_monthly=6, keep_yearly=1)
    decision = decide(backups, policy, NOW)
    expected = {f"t{22 - i:02d}": f"daily #{i}" for i in range(1, 15)}
    expected |= {f"t{8 - i:02d}": f"monthly #{i}" for i in range(1, 7)}
    expected["t01"] = "yearly[oldest] #1"
    assert _rules(decision) == expected
    assert decision.delete == ["t22", "t23", "t24"]


def test_backups_kept_by_keep_last_use_up_their_period_without_counting() -> None:
    """Like Borg: keep-last 2 and keep-daily 2 over three days keep four backups, not two."""
    backups = [
        _backup("d1-a", _local(2026, 3, 1, 9)),
        _backup("d1-b", _local(2026, 3, 1, 18)),
        _backup("d2-a", _local(2026, 3, 2, 9)),
        _backup("d3-a", _local(2026, 3, 3, 9)),
        _backup("d3-b", _local(2026, 3, 3, 18)),
    ]
    decision = decide(backups, RetentionPolicy(keep_last=2, keep_daily=2), NOW)
    assert [r.describe() for r in decision.keep["d3-b"]] == ["keep-last 2 (#1 newest)"]
    assert [r.describe() for r in decision.keep["d3-a"]] == ["keep-last 2 (#2 newest)"]
    assert [r.describe() for r in decision.keep["d2-a"]] == ["keep-daily 2 (#1)"]
    assert [r.describe() for r in decision.keep["d1-b"]] == ["keep-daily 2 (#2)"]
    assert decision.delete == ["d1-a"]


def test_periods_are_cut_in_local_time() -> None:
    """22:30 and 23:30 UTC on 1 March are 2 March in UTC+2, so 21:30 UTC is that zone's 1 March."""
    plus_two: tzinfo = timezone(timedelta(hours=2))
    backups = [
        _backup("feb", datetime(2026, 2, 28, 12, 0, tzinfo=UTC)),
        _backup("early", datetime(2026, 3, 1, 21, 30, tzinfo=UTC)),
        _backup("late", datetime(2026, 3, 1, 22, 30, tzinfo=UTC)),
        _backup("later", datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),
    ]
    policy = RetentionPolicy(keep_last=0, keep_daily=2)
    in_utc = decide(backups, policy, NOW, local_zone=UTC)
    assert _rules(in_utc) == {"later": "daily #1", "feb": "daily #2"}
    in_plus_two = decide(backups, policy, NOW, local_zone=plus_two)
    assert _rules(in_plus_two) == {"later": "daily #1", "early": "daily #2"}


def test_weeks_are_iso_weeks_across_the_new_year() -> None:
    """Sunday 3 Jan 2021 is in ISO week 53 of 2020, with Monday 28 Dec 2020."""
    backups = [
        _backup("mon", _local(2020, 12, 28, 12)),
        _backup("sun", _local(2021, 1, 3, 12)),
        _backup("next-mon", _local(2021, 1, 4, 12)),
    ]
    decision = decide(backups, RetentionPolicy(keep_last=0, keep_weekly=2), NOW)
    assert _rules(decision) == {"next-mon": "weekly #1", "sun": "weekly #2"}
    assert decision.delete == ["mon"]


def test_settings_and_flags_combine_into_one_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    from persistence.core.settings import load_settings

    monkeypatch.setenv("BACKUP_KEEP_DAILY", "7")
    monkeypatch.setenv("BACKUP_KEEP_MONTHLY", "12")
    policy = RetentionPolicy.from_settings(load_settings(), keep_daily=3, keep_weekly=None)
    assert (policy.keep_daily, policy.keep_weekly, policy.keep_monthly) == (3, 0, 12)


def test_dry_run_names_the_calendar_rule_for_each_survivor(app_state: AppState) -> None:
    """End to end: the CLI's --json and its text both name the rule that keeps each backup."""
    created = [service.create_backup(app_state.settings, prune=False) for _ in range(3)]
    ids = [r.backup_id or "" for r in created]
    for backup_id, when in zip(
        ids, (_local(2026, 1, 5, 9), _local(2026, 1, 5, 18), _local(2026, 1, 6, 9)), strict=True
    ):
        backdate(app_state.backup_dir / backup_id, when.astimezone(UTC))
    env = app_state.env()
    args = ("prune-backups", "--dry-run", "--keep-last", "1", "--keep-daily", "1")
    proc = run_cli(*args, "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["deleted"] == [ids[0]]
    assert plan["keep_reasons"][ids[1]] == [
        {"rule": "daily", "count": 1, "days": None, "rank": 1, "oldest": False, "component": None}
    ]
    assert plan["keep_rules"] == {
        ids[2]: ["keep-last 1 (#1 newest)"],
        ids[1]: ["keep-daily 1 (#1)"],
    }
    text = run_cli(*args, env=env)
    assert f"keep         {ids[1]}  (keep-daily 1 (#1))" in text.stdout
    assert app_state.backups() == ids, "a dry run deletes nothing"
