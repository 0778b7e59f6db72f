"""Companies House Public Data API adapter: search, profile, officers and PSCs as our records.

The wire format stays here and in companies_house_records.py. Requests follow the shared policy
(http.py). With a DatabasePacer every worker draws on one request budget and a 429 is waited out
for up to the budget's window (jobs); without one (a page waiting for its answer) a 429 is
reported at once with the time to try again, never slept through.
"""
from __future__ import annotations

import math
import time
from dataclasses import replace
from typing import Iterator

import httpx

from cone.services import validation
from cone.services.providers.base import ProviderAuthError, ProviderError, ProviderNotFound
from cone.services.providers.companies_house_records import (CompanyRecord, CompanySearchItem,
                                                             company, items, officer, psc,
                                                             search_item, to_int)
from cone.services.providers.http import Api, RetryPolicy, Sleep, retry_after
from cone.services.providers.pacing import DatabasePacer

LABEL = "Companies House"
PAGE_SIZE = 100     # the largest page the list endpoints serve
MAX_PAGES = 50      # a guard against a server that never says the list has ended


class InvalidCompanyNumber(ProviderError, ValueError):
    """The text cannot be a company number, so no request is made."""


def normalise_company_number(v: str) -> str:
    """Upper-case and zero-pad to 8 characters ("123" → "00000123", "sc1" → "SC000001")."""
    try:
        return validation.company_number(str(v or ""))
    except validation.Invalid as e:
        raise InvalidCompanyNumber(str(e)) from None


def rate_hint(r: httpx.Response, now=time.time) -> float | None:
    """Seconds to wait after a 429: Retry-After if sent (it rarely is), else until the window's
    reset (X-Ratelimit-Reset, epoch seconds)."""
    after = retry_after(r)
    if after is not None:
        return max(after, 1)
    reset = to_int(r.headers.get("X-Ratelimit-Reset"))
    if reset is not None:
        return max(int(reset - now()) + 1, 1)
    return None


def refusal(r: httpx.Response) -> ProviderError | None:
    """Companies House's refusals in words: 401 and 403 are about the API key."""
    if r.status_code in (401, 403):
        return ProviderAuthError("Companies House refused the API key: "
                                 "an admin can check it on the Settings page.")
    if r.status_code == 404:
        # Two body shapes exist (errors[] and timestamp/message): the status is what counts
        return ProviderNotFound("Companies House has no company with that number.")
    return None


class CompaniesHouse:
    """The Companies House REST API over an injected httpx.Client (base URL and auth set on it)."""

    key = "companies_house"

    def __init__(self, http: httpx.Client, *, pacer: DatabasePacer | None = None,
                 policy: RetryPolicy = RetryPolicy(), sleep: Sleep = time.sleep):
        self.pacer = pacer
        self.api = Api(http, LABEL, refusal, rate_hint=rate_hint, sleep=sleep,
                       # only a patient pacer (jobs, cron) may sleep out a long 429
                       policy=replace(policy, max_wait=pacer.window if pacer and pacer.patient
                                      else 0),
                       before=pacer.acquire if pacer else None,
                       observe=self._observe if pacer else None)

    def search(self, q: str, limit: int = 20) -> list[CompanySearchItem]:
        """Companies whose name (or number) matches q, best first."""
        q = " ".join((q or "").split())
        if not q:
            return []
        body = self.api.get_json("/search/companies", params={
            "q": q, "items_per_page": max(1, min(int(limit), 100))})
        return [item for item in map(search_item, items(body)) if item]

    def fetch_company(self, number: str) -> CompanyRecord:
        """The profile with every officer and PSC page."""
        number = normalise_company_number(number)
        profile = self.api.get_json(f"/company/{number}")
        officers = [officer(i) for i in self._pages(f"/company/{number}/officers")]
        pscs = [psc(i) for i in self._pages(
            f"/company/{number}/persons-with-significant-control")]
        return company(profile, number, tuple(o for o in officers if o),
                       tuple(p for p in pscs if p))

    def _pages(self, path: str) -> Iterator[dict]:
        """Every item of a paged list; a 404 list (nothing registered) is empty."""
        start = 0
        for _ in range(MAX_PAGES):
            try:
                body = self.api.get_json(path, params={"items_per_page": PAGE_SIZE,
                                                       "start_index": start})
            except ProviderNotFound:
                return
            found = items(body)
            yield from found
            start += len(found)
            total = to_int(body.get("total_results"))
            if not found or total is None or start >= total:
                return

    def _observe(self, r: httpx.Response) -> None:
        """Tell the shared budget what the server counts, and any wait it asked for."""
        self.pacer.observe(to_int(r.headers.get("X-Ratelimit-Remain")),
                           to_int(r.headers.get("X-Ratelimit-Reset")))
        after = retry_after(r) if r.status_code == 429 else None
        if after:
            self.pacer.hold(math.ceil(after))
