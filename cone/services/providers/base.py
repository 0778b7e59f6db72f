"""What every provider adapter shares: our error types.

Adapters raise only these errors, each carrying a sentence a user can read, so views and
jobs can show `str(error)` without knowing which service failed or how.
"""
from __future__ import annotations


class ProviderError(Exception):
    """A provider call failed; .message says why in words a user understands."""

    default = "The outside service could not be reached."

    def __init__(self, message: str | None = None):
        self.message = message or self.default
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ProviderNotFound(ProviderError):
    default = "No such record exists at the outside service."


class ProviderAuthError(ProviderError):
    default = "The outside service refused the API key."


class RateLimited(ProviderError):
    """Too many requests: retry_after is the number of seconds to wait, when known."""

    def __init__(self, message: str | None = None, retry_after: int | None = None):
        self.retry_after = retry_after
        if message is None:
            wait = f" in {retry_after} seconds" if retry_after else " in a few minutes"
            message = f"The outside service is limiting requests: try again{wait}."
        super().__init__(message)


class ProviderUnavailable(ProviderError):
    default = "The outside service is not answering just now: try again shortly."


class ProviderBadResponse(ProviderError):
    default = "The outside service sent an answer Cone could not read."

