"""One transaction policy for every service: commit on success, roll back and re-raise on error.

Services own their transaction (docs/STYLE.md rule 9). `transaction()` is the one place that
says so; `retry_on_stale()` is the one place that retries work which lost an optimistic-lock
race (the row's version moved between our read and our UPDATE).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from sqlalchemy.orm.exc import StaleDataError

from cone.services.models import db

T = TypeVar("T")


@contextmanager
def transaction() -> Iterator[None]:
    """Commit what the block did; on any exception roll it all back and re-raise."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def retry_on_stale(work: Callable[[], T], *, refresh: Callable[[], object]) -> T:
    """Run `work` in a transaction; when another writer won the race, reload and try once more.

    `refresh` reloads what `work` reads (the client row, its link), so the second attempt works
    from the other writer's result instead of overwriting it.
    """
    try:
        with transaction():
            return work()
    except StaleDataError:
        pass
    with transaction():
        refresh()
        return work()
