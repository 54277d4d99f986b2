"""Kill a real CLI process at its N-th rename/unlink/fsync/syncfs with strace's fault injection.

`strace -f -e inject=SYSCALL:signal=KILL:when=N` delivers SIGKILL to the tracee when it enters
its N-th call of SYSCALL (counted per syscall and per thread), before the kernel runs it: the
process dies exactly between two durable steps, as a power cut or the OOM killer would leave it.
The kill points of a command are found by tracing one uninterrupted run of it first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import BACKUP_SCRIPT

# Every step that makes something durable or visible: what a crash can fall between.
KILL_SYSCALLS = (
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "rmdir",
    "fsync",
    "fdatasync",
    "syncfs",
)
# Not --seccomp-bpf: strace 6.1 then counts invocations differently and never injects.
_FAST = ("-f", "-qq")
_CALL = re.compile(r"^(\d+)\s+(\w+)\((.*)")


@dataclass(frozen=True)
class KillPoint:
    syscall: str
    nth: int  # the N-th call of `syscall` in a thread
    detail: str  # the call as strace showed it in the traced run, to name a failing point

    def label(self) -> str:
        return f"{self.syscall}#{self.nth} {self.detail[:90]}"


def strace_binary() -> str | None:
    return shutil.which("strace")


def _cli(args: list[str]) -> list[str]:
    return [sys.executable, str(BACKUP_SCRIPT), *args]


def trace_kill_points(
    args: list[str], env: dict[str, str], log: Path, root: Path
) -> list[KillPoint]:
    """Run the command once under strace and list every call a kill can be injected into."""
    strace = strace_binary()
    assert strace is not None
    command = [strace, *_FAST, "-o", str(log), "-e", f"trace={','.join(KILL_SYSCALLS)}"]
    proc = subprocess.run(
        [*command, *_cli(args)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"the traced run failed: {proc.stderr}"
    seen: dict[tuple[str, str], int] = {}
    points: dict[tuple[str, int], KillPoint] = {}
    for line in log.read_text(errors="replace").splitlines():
        found = _CALL.match(line)
        if found is None:
            continue
        tid, syscall, rest = found.groups()
        nth = seen.get((tid, syscall), 0) + 1
        seen[(tid, syscall)] = nth
        detail = f"{syscall}({rest}".replace(str(root), "<data>")
        points.setdefault((syscall, nth), KillPoint(syscall, nth, detail))
    return list(points.values())


def run_killed(
    args: list[str], env: dict[str, str], point: KillPoint
) -> subprocess.CompletedProcess[str]:
    """Run the command and SIGKILL it at `point` (strace then exits with the same signal)."""
    strace = strace_binary()
    assert strace is not None
    inject = f"inject={point.syscall}:signal=KILL:when={point.nth}"
    command = [strace, *_FAST, "-o", "/dev/null", "-e", f"trace={point.syscall}", "-e"]
    return subprocess.run(
        [*command, inject, *_cli(args)], env=env, capture_output=True, text=True, timeout=300
    )


def was_killed(proc: subprocess.CompletedProcess[str]) -> bool:
    # strace re-raises the tracee's fatal signal on itself: -9 from Python's point of view.
    return proc.returncode in (-9, 137)


def spread(points: list[KillPoint], budget: int, must: list[KillPoint]) -> list[KillPoint]:
    """`must` plus evenly spaced points up to `budget`; every point when the budget allows."""
    if budget <= 0 or budget >= len(points):
        return points
    chosen = list(dict.fromkeys(must))
    if len(chosen) > budget // 2:  # the priority points get half the budget, evenly spread
        chosen = [chosen[int(i * len(chosen) / (budget // 2 or 1))] for i in range(budget // 2)]
    rest = [p for p in points if p not in chosen]
    room = max(budget - len(chosen), 0)
    if room and rest:
        step = len(rest) / room
        chosen += [rest[int(i * step)] for i in range(min(room, len(rest)))]
    return sorted(chosen, key=points.index)
