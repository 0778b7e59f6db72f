"""The request loop FreeAgent's and Sage's adapters share: one refresh, bounded retries."""
from __future__ import annotations

import httpx

from cone.services.providers.base import ProviderError, ProviderUnavailable, RateLimited


class RetryingGet:
    """Mixin for adapters with http, tokens, retries, backoff, max_wait and an injected sleep.

    The adapter names itself (label), gives its request headers and turns a response into
    one of our errors (None when it is fine to use).
    """

    label: str

    def _headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _response_error(self, response: httpx.Response) -> ProviderError | None:
        raise NotImplementedError

    def _get(self, path: str, params: dict | None = None) -> httpx.Response:
        """One GET: one token refresh on 401, bounded retries on 429, 5xx and timeouts."""
        refreshed, attempt = False, 0
        while True:
            headers = {"Authorization": f"Bearer {self.tokens.access_token()}",
                       **self._headers()}
            try:
                response = self.http.get(path, params=params, headers=headers)
            except httpx.TimeoutException:
                error: ProviderError = ProviderUnavailable(
                    f"{self.label} did not answer in time: try again shortly.")
            except httpx.HTTPError:
                error = ProviderUnavailable(f"Cone could not connect to {self.label}: "
                                            "try again shortly.")
            else:
                if response.status_code == 401 and not refreshed:
                    refreshed = True
                    self.tokens.refresh()
                    continue
                error = self._response_error(response)
                if error is None:
                    return response
            wait = self._wait(error, attempt)
            if wait is None:
                raise error
            attempt += 1
            self.sleep(wait)

    def _wait(self, error: ProviderError, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None to give up with the error."""
        if attempt >= self.retries:
            return None
        if isinstance(error, RateLimited):
            # Without Retry-After (Sage documents none), back off across the minute window
            wait = error.retry_after if error.retry_after is not None else 10 * 2 ** attempt
            return wait if wait <= self.max_wait else None
        if isinstance(error, ProviderUnavailable):
            return self.backoff * 2 ** attempt
        return None
