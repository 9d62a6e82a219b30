"""Bounded waits on a condition: the only way a test here waits (never a fixed sleep)."""

import time

# How often a condition is polled. Short enough not to slow tests, long enough not to spin.
POLL_INTERVAL_SECONDS = 0.02


class WaitTimeout(AssertionError):
    """The condition did not hold within its bound (an AssertionError: the test fails)."""


def wait_until(condition, timeout_seconds, what, interval_seconds=POLL_INTERVAL_SECONDS):
    """Polls `condition()` until it returns a truthy value, which is returned.

    Raises WaitTimeout naming `what` when `timeout_seconds` pass first.
    """
    deadline = time.monotonic() + timeout_seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(f"timed out after {timeout_seconds} s waiting for {what}")
        time.sleep(interval_seconds)
