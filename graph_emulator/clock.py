"""Injectable clocks: the emulator reads time only through one, so tests never sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class FakeClock:
    """A clock that only moves when told to: ``clock.advance(seconds=3600)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = (start or system_clock()).astimezone(timezone.utc)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Move forward by ``seconds`` plus any ``timedelta`` keywords (``hours=1``)."""
        with self._lock:
            self._now += timedelta(seconds=seconds, **kwargs)
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to an absolute aware datetime."""
        with self._lock:
            self._now = moment.astimezone(timezone.utc)
