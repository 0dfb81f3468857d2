"""When a failed delivery is tried again: exponential backoff, given up after a day."""

from datetime import datetime, timedelta

FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=4)
GIVE_UP_AFTER = timedelta(hours=24)


def next_attempt(created_at: datetime, attempts: int, now: datetime) -> datetime | None:
    """The time of the next try after ``attempts`` failed ones, or None to give up.

    Waits 30 s, 1 min, 2 min, 4 min, ... doubling up to 4 h between tries; the last try is
    at most a day after the event. That is 14 tries over 24 hours for an endpoint that stays down.
    """
    doublings = min(max(attempts - 1, 0), 20)  # 30 s × 2^20 is far past the longest wait
    wait = min(FIRST_RETRY * (2**doublings), LONGEST_WAIT)
    candidate = now + wait
    deadline = created_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    return min(candidate, deadline)
