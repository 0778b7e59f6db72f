"""The one HTTP policy every adapter uses, over httpx.MockTransport: refresh, retries, waits.

Every test records the waits in a list instead of sleeping.
"""
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest

from cone.services.providers.base import (ProviderAuthError, ProviderBadResponse, ProviderError,
                                          ProviderNotFound, ProviderUnavailable, RateLimited)
from cone.services.providers.http import (NEVER, Api, BearerAuth, RetryPolicy, later,
                                          retry_after)


class Tokens:
    """A TokenSource that hands out "old" until refreshed, then "new-1", "new-2"…"""

    def __init__(self):
        self.token, self.refreshes = "old", 0

    def access_token(self) -> str:
        return self.token

    def refresh(self) -> str:
        self.refreshes += 1
        self.token = f"new-{self.refreshes}"
        return self.token


class Server:
    """Answers requests in turn from a script of responses (or exceptions to raise)."""

    def __init__(self, *script):
        self.script, self.seen, self.bearers = list(script), [], []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        self.bearers.append(request.headers.get("Authorization"))  # the auth flow reuses request
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        return step(request) if callable(step) else step


OK = httpx.Response(200, json={"ok": True})


def answer(status: int, headers: dict | None = None, **kwargs) -> httpx.Response:
    return httpx.Response(status, headers=headers, **kwargs)


def wording(response: httpx.Response) -> ProviderError | None:
    """A platform's own words: only 404 here, so the policy's defaults show for the rest."""
    return ProviderNotFound("Acme has no such widget.") if response.status_code == 404 else None


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make(sleeps):
    """An Api over a scripted server; sleeps are recorded, never slept."""
    def build(server, *, tokens=None, policy=RetryPolicy(), **options):
        http = httpx.Client(base_url="https://api.example", transport=httpx.MockTransport(server))
        auth = BearerAuth(tokens, "Acme") if tokens else None
        return Api(http, "Acme", wording, auth=auth, policy=policy, sleep=sleeps.append,
                   **options)
    return build


def test_a_401_refreshes_once_and_the_retry_succeeds(make, sleeps):
    tokens = Tokens()
    server = Server(lambda r: OK if r.headers["Authorization"] == "Bearer new-1"
                    else answer(401))
    assert make(server, tokens=tokens).get_json("/widgets") == {"ok": True}
    assert server.bearers == ["Bearer old", "Bearer new-1"]
    assert tokens.refreshes == 1 and sleeps == []


def test_a_second_401_is_an_auth_error_after_one_refresh(make, sleeps):
    tokens = Tokens()
    server = Server(answer(401))
    with pytest.raises(ProviderAuthError, match="Acme refused Cone's access.*reconnect"):
        make(server, tokens=tokens).get("/widgets")
    assert tokens.refreshes == 1 and len(server.seen) == 2 and sleeps == []


def test_a_429_waits_exactly_what_retry_after_asks(make, sleeps):
    server = Server(answer(429, {"Retry-After": "3"}), OK)
    assert make(server).get("/widgets").status_code == 200
    assert sleeps == [3]


def test_a_429_without_hints_backs_off_by_the_documented_default(make, sleeps):
    server = Server(answer(429))
    with pytest.raises(RateLimited) as caught:
        make(server).get("/widgets")
    assert sleeps == [10, 20, 30]  # 10 s doubling, capped at 30 s: a minute in all
    assert len(server.seen) == 4  # the first try and three retries
    assert caught.value.retry_after is None
    assert str(caught.value) == "Acme is limiting requests: try again later."


def test_a_retry_after_longer_than_max_wait_is_reported_without_sleeping(make, sleeps):
    server = Server(answer(429, {"Retry-After": "120"}))
    with pytest.raises(RateLimited) as caught:
        make(server).get("/widgets")
    assert sleeps == [] and len(server.seen) == 1
    assert caught.value.retry_after == 120 and "try again in 2 minutes" in str(caught.value)


def test_a_hint_of_never_stops_at_once(make, sleeps):
    server = Server(answer(429, {"Retry-After": "1"}))
    with pytest.raises(RateLimited, match="try again later"):
        make(server, rate_hint=lambda response: NEVER).get("/widgets")
    assert sleeps == [] and len(server.seen) == 1


def test_max_wait_zero_never_sleeps_on_a_429(make, sleeps):
    server = Server(answer(429, {"Retry-After": "7"}))
    with pytest.raises(RateLimited) as caught:
        make(server, policy=RetryPolicy(max_wait=0)).get("/widgets")
    assert sleeps == [] and caught.value.retry_after == 7
    assert "try again in 7 seconds" in str(caught.value)


def test_a_5xx_then_success(make, sleeps):
    server = Server(answer(503), answer(502), OK)
    assert make(server).get("/widgets").status_code == 200
    assert sleeps == [0.5, 1]


def test_a_persistent_5xx_is_unavailable_after_the_retries(make, sleeps):
    server = Server(answer(500))
    with pytest.raises(ProviderUnavailable, match=r"Acme is having problems \(error 500\)"):
        make(server).get("/widgets")
    assert len(server.seen) == 4 and sleeps == [0.5, 1, 2]


def test_backoff_is_capped(make, sleeps):
    server = Server(answer(503))
    with pytest.raises(ProviderUnavailable):
        make(server, policy=RetryPolicy(retries=8)).get("/widgets")
    assert sleeps == [0.5, 1, 2, 4, 8, 16, 30, 30]


def test_a_timeout_is_unavailable_after_every_attempt(make, sleeps):
    server = Server(httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable, match="Acme did not answer in time") as caught:
        make(server).get("/widgets")
    assert len(server.seen) == 4 and sleeps == [0.5, 1, 2]
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)


def test_a_refused_connection_is_unavailable_and_a_later_answer_is_used(make, sleeps):
    server = Server(httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable, match="Cone could not connect to Acme"):
        make(server, policy=RetryPolicy(retries=1)).get("/widgets")
    server = Server(httpx.ConnectError("refused"), OK)
    assert make(server).get("/widgets").status_code == 200


def test_malformed_json_is_a_bad_response_without_retrying(make, sleeps):
    server = Server(httpx.Response(200, text='{"ok": tr'))
    with pytest.raises(ProviderBadResponse, match="Acme sent an answer Cone could not read"):
        make(server).get_json("/widgets")
    with pytest.raises(ProviderBadResponse, match="unexpected shape"):
        make(Server(httpx.Response(200, json=[1, 2]))).get_json("/widgets")
    assert len(server.seen) == 1 and sleeps == []


def test_an_answer_httpx_cannot_decode_is_a_bad_response(make, sleeps):
    server = Server(httpx.DecodingError("bad gzip"))
    with pytest.raises(ProviderBadResponse, match="could not read"):
        make(server).get("/widgets")
    assert len(server.seen) == 1 and sleeps == []


@pytest.mark.parametrize("status, error, words", [
    (404, ProviderNotFound, "Acme has no such widget."),  # the platform's own words
    (403, ProviderAuthError, "Acme refused Cone's access"),
    (401, ProviderAuthError, "Acme refused Cone's access"),  # no bearer token to refresh
    (416, ProviderError, "Acme refused the request (error 416)."),
])
def test_other_refusals_are_final(make, sleeps, status, error, words):
    server = Server(answer(status))
    with pytest.raises(error) as caught:
        make(server).get("/widgets")
    assert words in str(caught.value) and len(server.seen) == 1 and sleeps == []


def test_hooks_run_around_every_attempt(make):
    calls = []
    server = Server(answer(503), OK)
    make(server, before=lambda: calls.append("before"),
         observe=lambda r: calls.append(r.status_code)).get("/widgets")
    assert calls == ["before", 503, "before", 200]


def test_client_auth_stays_when_the_adapter_brings_none(sleeps):
    server = Server(OK)
    http = httpx.Client(base_url="https://api.example", auth=("key", ""),
                        transport=httpx.MockTransport(server))
    Api(http, "Acme", wording, sleep=sleeps.append).get("/widgets")
    assert server.bearers[0].startswith("Basic ")


def test_retry_after_reads_seconds_and_dates():
    assert retry_after(answer(429, {"Retry-After": "22"})) == 22
    soon = datetime.now(timezone.utc) + timedelta(seconds=90)
    assert 85 <= retry_after(answer(429, {"Retry-After": format_datetime(soon, True)})) <= 90
    assert retry_after(answer(429, {"Retry-After": "soon"})) is None
    assert retry_after(answer(429)) is None


@pytest.mark.parametrize("seconds, words", [(None, "later"), (NEVER, "later"),
                                            (7, "in 7 seconds"), (0.2, "in 1 second"),
                                            (301, "in 6 minutes")])
def test_later_in_words(seconds, words):
    assert later(seconds) == words
