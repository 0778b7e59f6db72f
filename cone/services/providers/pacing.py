"""Client-side pacing of an outside API's request budget, shared by every worker and process.

The budget lives in one database row per API (RateBudget): each request takes a slot with a
single atomic UPDATE, so web workers, job consumers and the CLI all draw on the same 600 requests
per 5 minutes. When the server says the budget is spent (X-Ratelimit-Remain 0, or a 429), the
row is blocked until the server's reset time.
"""
from __future__ import annotations

import math
import time
from typing import Callable

from sqlalchemy import case, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cone.services.models import RateBudget
from cone.services.providers.base import RateLimited

MAX_NAP = 30  # seconds; waits are re-checked so a freed budget is noticed promptly


class DatabasePacer:
    """At most `limit` requests per `window` seconds under `key`, across all workers.

    patient=False is for pages: a person should not watch a page hang for minutes, so a spent
    budget answers RateLimited at once instead of waiting, while the slot is still counted.
    """

    def __init__(self, engine: Engine, key: str = "companies_house", *, limit: int = 600,
                 window: int = 300, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, patient: bool = True):
        self.engine, self.key, self.limit, self.window = engine, key, limit, window
        self.sleep, self.clock, self.patient = sleep, clock, patient

    def acquire(self) -> None:
        """Take one request slot, sleeping until one is free (RateLimited when impatient)."""
        while True:
            wait = self._take()
            if wait <= 0:
                return
            if not self.patient:
                raise RateLimited(retry_after=math.ceil(wait))
            self.sleep(min(wait, MAX_NAP))

    def hold(self, seconds: int) -> None:
        """Send no request for `seconds` (the server said the budget is spent)."""
        until = int(self.clock()) + max(int(seconds), 1)
        table = RateBudget.__table__
        stmt = update(table).where(table.c.key == self.key).values(
            blocked_until=case((table.c.blocked_until < until, until),
                               else_=table.c.blocked_until))
        with self.engine.begin() as conn:
            if conn.execute(stmt).rowcount:
                return
        self._create()
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def observe(self, remain: int | None, reset: int | None) -> None:
        """Read the server's own count: none left means wait for its reset."""
        if remain is not None and remain <= 0:
            now = int(self.clock())
            self.hold((reset - now) if reset and reset > now else self.window)

    def _take(self) -> float:
        """Count a request; returns 0 when it may go now, else the seconds to wait."""
        now = int(self.clock())
        table = RateBudget.__table__
        expired = table.c.window_start + self.window <= now
        # One statement, so two workers can never both take the last slot
        stmt = (update(table).where(table.c.key == self.key)
                .values(window_start=case((expired, now), else_=table.c.window_start),
                        used=case((expired, 1), else_=table.c.used + 1))
                .returning(table.c.window_start, table.c.used, table.c.blocked_until))
        # UPDATE first (never read-then-write): SQLite would refuse to upgrade a stale reader
        with self.engine.begin() as conn:
            row = conn.execute(stmt).first()
        if row is None:
            self._create()
            return self._take()
        start, used, blocked = row
        if blocked > now:
            return blocked - now
        if used > self.limit:
            return start + self.window - now
        return 0

    def _create(self) -> None:
        """Create the budget row on first use (a concurrent creator wins harmlessly)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(RateBudget.__table__).values(
                    key=self.key, window_start=0, used=0, blocked_until=0))
        except IntegrityError:
            pass
