"""What the client list is asked for: one frozen ClientQuery per /clients URL, and its choices."""
from __future__ import annotations

import dataclasses

from cone.services.sources import SOURCE_NAMES

SORTS = {"name": "Name", "created": "Newest first", "updated": "Recently updated",
         "deadline": "Next deadline"}
SOURCES = SOURCE_NAMES  # manual, then every provider
DUE = {"accounts_30d": "Accounts due in 30 days", "cs_30d": "Confirmation statement due in 30 days",
       "overdue": "Anything overdue"}
PER_PAGE = (25, 50, 100)
# Counting stops this far past the current page: "1,000+ clients" costs the same at any size
COUNT_CAP = 1000


@dataclasses.dataclass(frozen=True)
class ClientQuery:
    """What the list shows: every field is one GET parameter of /clients."""
    q: str = ""
    kind: str = ""
    status: str = ""
    source: str = ""
    manager: str = ""  # a user id, or "none" for clients without a manager
    tag: str = ""
    ch_status: str = ""
    due: str = ""
    archived: bool = False
    sort: str = "name"
    page: int = 1
    per_page: int = 25

    @property
    def needs_profile(self) -> bool:
        """Whether a filter reads the Companies House profile, so the query must join it."""
        return bool(self.ch_status or self.due)


def clean(params: ClientQuery) -> ClientQuery:
    """Bring sort, page and page size into range."""
    return dataclasses.replace(
        params, sort=params.sort if params.sort in SORTS else "name",
        per_page=params.per_page if params.per_page in PER_PAGE else PER_PAGE[0],
        page=max(1, min(params.page, 100_000)))
