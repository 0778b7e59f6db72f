"""Recorded-shape FreeAgent contacts for the emulator (opt-in: messy=True), stored as the
emulator keeps them: {"role": "client", "body": <the contact as FreeAgent sends it>}."""
from __future__ import annotations

from tests.data import platforms


def messy_contacts() -> list[dict]:
    """The contacts of tests/data/platforms/freeagent.json, every one a client."""
    return [{"role": "client", "body": raw} for raw in platforms.records("freeagent")]
