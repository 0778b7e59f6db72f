"""One HTTP policy for every adapter: the bearer token, retries with backoff, and our errors.

Every adapter's request goes through Api.get. BearerAuth adds the connection's token and
refreshes it once on a 401. Timeouts, failed connections, 5xx and 429 are tried again
(tenacity); a 429 waits as long as the platform's rate_hint reads from the response (by default
its Retry-After header), unless that is longer than max_wait, which raises RateLimited at once
so the caller can say when to try again. What a refusal means in words (401/403/404 and the
platform's own error bodies) stays in each adapter, as the `refusal` function it hands to Api.
Waiting goes through an injected `sleep`, so tests record the waits instead of sleeping.

The defaults (RetryPolicy): the first try and three retries. Failures wait 0.5 s, 1 s, 2 s. A
429 with no hint waits 10 s, 20 s, 30 s: a minute in all, the window QuickBooks and Sage count
over. No computed wait exceeds 30 s; a platform asking for more than 60 s is not waited for.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable, Generator, Protocol

import httpx
from tenacity import (RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt,
                      wait_exponential)

from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)

NEVER = math.inf  # a rate_hint answer meaning "do not wait for this one: report it"

Sleep = Callable[[float], None]
RateHint = Callable[[httpx.Response], float | None]
Refusal = Callable[[httpx.Response], ProviderError | None]


class TokenSource(Protocol):
    """Hands adapters a bearer token; the connection service keeps it fresh and stored."""

    def access_token(self) -> str:
        """A token that is valid now (refreshed shortly before it expires)."""

    def refresh(self) -> str:
        """Force a refresh after a 401; raises ProviderAuthError if the platform refuses."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again (seconds)."""

    retries: int = 3            # after the first try
    backoff: float = 0.5        # before the first retry of a failure, doubling each time
    rate_backoff: float = 10    # before the first retry of a 429 that gave no hint, doubling
    cap: float = 30             # the longest computed wait
    max_wait: float = 60        # the longest wait a platform may ask for and get


def refused_access(label: str) -> str:
    """The words for a platform that refuses Cone's token even after a refresh."""
    return (f"{label} refused Cone's access: an admin needs to reconnect it on the "
            "Integrations page.")


class BearerAuth(httpx.Auth):
    """The connection's bearer token on every request; on a 401 one refresh and one more try."""

    def __init__(self, tokens: TokenSource, label: str):
        self.tokens, self.label = tokens, label

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send with the current token; after a 401 refresh once, and give up on a second."""
        request.headers["Authorization"] = f"Bearer {self.tokens.access_token()}"
        response = yield request
        if response.status_code != 401:
            return
        request.headers["Authorization"] = f"Bearer {self.tokens.refresh()}"
        response = yield request
        if response.status_code == 401:
            raise ProviderAuthError(refused_access(self.label))


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), None without one."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


def later(seconds: float | None) -> str:
    """When to try again, in words: "in 7 seconds", "in 5 minutes" or "later"."""
    if seconds is None or not math.isfinite(seconds):
        return "later"
    if seconds < 120:
        whole = math.ceil(seconds)
        return f"in {whole} second{'' if whole == 1 else 's'}"
    return f"in {math.ceil(seconds / 60)} minutes"


def json_body(response: httpx.Response, label: str) -> dict:
    """The response's JSON object; ProviderBadResponse for anything else."""
    try:
        body = response.json()
    except ValueError:
        raise ProviderBadResponse(f"{label} sent an answer Cone could not read: "
                                  "try again shortly.") from None
    if not isinstance(body, dict):
        raise ProviderBadResponse(f"{label} sent an answer in an unexpected shape.")
    return body


class Transient(Exception):
    """An attempt failed in a way another may mend: the error to raise if none is left, and the
    wait the platform asked for (None when it gave no hint)."""

    def __init__(self, error: ProviderError, hint: float | None = None):
        super().__init__(error.message)
        self.error, self.hint = error, hint


class Api:
    """GETs to one platform under the policy; every failure comes out as one of our errors."""

    def __init__(self, http: httpx.Client, label: str, refusal: Refusal, *,
                 auth: httpx.Auth | None = None, rate_hint: RateHint = retry_after,
                 policy: RetryPolicy = RetryPolicy(), sleep: Sleep = time.sleep,
                 before: Callable[[], None] | None = None,
                 observe: Callable[[httpx.Response], None] | None = None):
        self.http, self.label, self.refusal, self.rate_hint = http, label, refusal, rate_hint
        self.auth = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        self.policy, self.before, self.observe = policy, before, observe
        self.backoff = wait_exponential(multiplier=policy.backoff, max=policy.cap)
        self.rate_backoff = wait_exponential(multiplier=policy.rate_backoff, max=policy.cap)
        self.retrying = Retrying(
            stop=stop_after_attempt(policy.retries + 1) | self._too_long, wait=self._wait,
            retry=retry_if_exception_type(Transient), sleep=sleep, retry_error_callback=_give_up)

    def get(self, url: str, *, params: dict | None = None,
            headers: dict | None = None) -> httpx.Response:
        """The platform's 2xx answer; our error for anything else, after retries where they help."""
        return self.retrying(self._attempt, url, params, headers)

    def get_json(self, url: str, *, params: dict | None = None,
                 headers: dict | None = None) -> dict:
        """get, then the answer's JSON object (ProviderBadResponse if it is not one)."""
        return json_body(self.get(url, params=params, headers=headers), self.label)

    def _attempt(self, url: str, params: dict | None, headers: dict | None) -> httpx.Response:
        """One request; raises Transient for what is worth another try, else our final error."""
        if self.before is not None:
            self.before()
        try:
            response = self.http.get(url, params=params, headers=headers, auth=self.auth)
        except httpx.TimeoutException as error:
            raise Transient(ProviderUnavailable(f"{self.label} did not answer in time: "
                                                "try again shortly.")) from error
        except httpx.TransportError as error:
            raise Transient(ProviderUnavailable(f"Cone could not connect to {self.label}: "
                                                "try again shortly.")) from error
        except httpx.HTTPError as error:  # an answer httpx could not decode, say
            raise ProviderBadResponse(f"{self.label} sent an answer Cone could not read: "
                                      "try again shortly.") from error
        if self.observe is not None:
            self.observe(response)
        status = response.status_code
        if response.is_success:
            return response
        if status == 429:
            hint = self.rate_hint(response)
            whole = math.ceil(hint) if hint is not None and math.isfinite(hint) else None
            raise Transient(RateLimited(f"{self.label} is limiting requests: try again "
                                        f"{later(hint)}.", retry_after=whole), hint)
        if status >= 500:
            raise Transient(ProviderUnavailable(f"{self.label} is having problems "
                                                f"(error {status}): try again shortly."))
        raise self.refusal(response) or self._refused(status)

    def _refused(self, status: int) -> ProviderError:
        """Our error for a refusal the adapter has no words of its own for."""
        if status in (401, 403):
            return ProviderAuthError(refused_access(self.label))
        if status == 404:
            return ProviderNotFound(f"{self.label} has no such record.")
        return ProviderError(f"{self.label} refused the request (error {status}).")

    def _wait(self, state: RetryCallState) -> float:
        """The platform's hint, else capped exponential backoff (longer for a 429)."""
        retry = state.outcome.exception()
        if retry.hint is not None:
            return retry.hint
        if isinstance(retry.error, RateLimited):
            return self.rate_backoff(state)
        return self.backoff(state)

    def _too_long(self, state: RetryCallState) -> bool:
        """A rate limit that would keep us waiting longer than max_wait is reported instead."""
        retry = state.outcome.exception()
        return (isinstance(retry, Transient) and isinstance(retry.error, RateLimited)
                and state.upcoming_sleep > self.policy.max_wait)


def _give_up(state: RetryCallState):
    """No attempt left (or the wait is too long): raise the last attempt's own error."""
    retry = state.outcome.exception()
    raise retry.error from retry.__cause__
