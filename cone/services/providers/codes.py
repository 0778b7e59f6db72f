"""The words behind Companies House codes (company status, type, officer role, SIC, PSC control).

Loaded once from data/ch_enumerations.json; an unknown code falls back to a readable form of
itself, because Companies House adds values over time.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "ch_enumerations.json"


@cache
def _table(name: str) -> dict[str, str]:
    return _all().get(name, {})


@cache
def _all() -> dict[str, dict[str, str]]:
    return json.loads(DATA.read_text(encoding="utf-8"))


def _readable(code: str | None) -> str:
    """"voluntary-arrangement" → "Voluntary arrangement" for codes the data does not know."""
    return (code or "").replace("-", " ").replace("_", " ").strip().capitalize()


def _describe(table: str, code: str | None) -> str:
    if not code:
        return ""
    return _table(table).get(code) or _readable(code)


def sic_description(code: str | None) -> str:
    """"62020" → "Information technology consultancy activities"; unknown codes give ""."""
    return _table("sic_descriptions").get(str(code or "").strip(), "")


def describe_nature_of_control(code: str | None) -> str:
    """A nature of control in words, e.g. "Ownership of shares – 75% or more"."""
    return _describe("nature_of_control", code)


def describe_company_status(code: str | None) -> str:
    """"active" → "Active", "liquidation" → "Liquidation"."""
    return _describe("company_status", code)


def describe_company_type(code: str | None) -> str:
    """"ltd" → "Private limited company"."""
    return _describe("company_type", code)


def describe_officer_role(code: str | None) -> str:
    """"director" → "Director", "llp-designated-member" → "LLP Designated Member"."""
    return _describe("officer_role", code)
