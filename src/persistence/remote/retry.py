"""Retry transient remote failures with exponential backoff, within attempts and a deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from persistence.remote.base import RemoteError, TransientRemoteError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    deadline_seconds: float = 300.0
    first_delay: float = 0.5
    max_delay: float = 20.0
    # One request may not hang longer than this; a stall past it counts as transient.
    request_timeout: float = 60.0


def with_retry(policy: RetryPolicy, operation: Callable[[], T]) -> T:
    """Run `operation`; retry a TransientRemoteError until it succeeds or the budget is spent.

    When the budget is spent the last transient error is raised as a plain RemoteError, whose
    message already names the object and the cause.
    """
    started = time.monotonic()
    delay = policy.first_delay
    attempt = 1
    while True:
        try:
            return operation()
        except TransientRemoteError as exc:
            elapsed = time.monotonic() - started
            wait = min(delay, policy.max_delay) * (0.5 + random.random() / 2)
            if attempt >= policy.attempts or elapsed + wait > policy.deadline_seconds:
                raise RemoteError(
                    f"{exc.message} (gave up after {attempt} attempts in {elapsed:.0f}s)"
                ) from exc
            time.sleep(wait)
            delay *= 2
            attempt += 1
