"""How long a password check waits after failed ones: growing delays, never a lockout.

Three counts of recent failures are kept apart: one account from one address (the person
at the keyboard), one account from every address (guessing spread over many machines) and
one address for every account (one machine trying many accounts). Each allows a few
failures, then asks the caller to wait after the latest one, twice as long at each further
failure, up to its longest wait. The account-wide count has a short longest wait and does
not apply from an address the owner has logged in from, so failures elsewhere cannot keep
the owner out for more than a few minutes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Failures:
    """Recent failed checks of one scope: how many, and when the latest was."""

    count: int = 0
    latest: datetime | None = None


@dataclass(frozen=True)
class Limit:
    free: int  # failures allowed before any wait
    first_seconds: float  # the wait after the first failure past `free`
    longest_seconds: float  # the wait doubles at each failure up to this


@dataclass(frozen=True)
class LoginLimits:
    pair: Limit  # one account from one address
    account: Limit  # one account from every address the owner has not logged in from
    address: Limit  # one address, every account


def wait_seconds(failures: Failures, now: datetime, limit: Limit) -> int:
    """Whole seconds before the next check of this scope may run (0: at once)."""
    if failures.count < limit.free or failures.latest is None:
        return 0
    doublings = min(failures.count - limit.free, 62)
    wait = min(limit.first_seconds * 2**doublings, limit.longest_seconds)
    left = failures.latest + timedelta(seconds=wait) - now
    return max(0, math.ceil(left.total_seconds()))


def login_wait(
    pair: Failures,
    account: Failures,
    address: Failures,
    known_address: bool,
    now: datetime,
    limits: LoginLimits,
) -> int:
    """Seconds before a password of this account may be checked from this address; the
    account-wide count is not applied from an address the owner logged in from."""
    waits = [wait_seconds(pair, now, limits.pair), wait_seconds(address, now, limits.address)]
    if not known_address:
        waits.append(wait_seconds(account, now, limits.account))
    return max(waits)


def in_words(seconds: int) -> str:
    """A wait as people say it: '40 seconds', '1 minute', '15 minutes'."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
