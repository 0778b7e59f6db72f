"""Recorded-shape pages from each accounting platform: the records real ledgers hold (several
e-mails in one field, foreign addresses, empty address blocks, jobs, names with commas,
apostrophes, accents and emoji, the same customer twice, values Cone would refuse).

Each <platform>.json is one list answer, envelope and all, as the platform sends it.
"""
import json
from pathlib import Path

HERE = Path(__file__).parent
PLATFORMS = ("xero", "quickbooks", "freeagent", "sage")


def page(platform: str) -> dict:
    """The platform's list answer as recorded (a fresh copy on every call)."""
    return json.loads((HERE / f"{platform}.json").read_text(encoding="utf-8"))


def records(platform: str) -> list[dict]:
    """The customer records of the recorded page, without the envelope."""
    body = page(platform)
    if platform == "quickbooks":
        return body["QueryResponse"]["Customer"]
    return body[{"xero": "Contacts", "freeagent": "contacts", "sage": "$items"}[platform]]
