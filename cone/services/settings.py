"""Firm-wide settings kept in the database; secrets (API keys) are stored encrypted.

A secret is never handed to a template: pages ask has_secret() and show only whether one is set.
"""
from __future__ import annotations

from cone.services import audit, crypto, validation
from cone.services.models import Setting, User, db, utcnow
from cone.services.tx import transaction

COMPANIES_HOUSE_API_KEY = "companies_house_api_key"
LABELS = {COMPANIES_HOUSE_API_KEY: "Companies House API key"}


def has_secret(name: str) -> bool:
    """Whether a secret with this name has been saved."""
    return db.session.get(Setting, name) is not None


def get_secret(name: str, config) -> str | None:
    """The saved secret in clear, or None when none is saved or it can no longer be read."""
    row = db.session.get(Setting, name)
    if row is None:
        return None
    try:
        return crypto.decrypt(config, row.value) if row.encrypted else row.value
    except crypto.CannotDecrypt:
        return None


def secret_unreadable(name: str, config) -> bool:
    """A secret is saved but the current encryption key cannot read it."""
    return has_secret(name) and get_secret(name, config) is None


def set_secret(name: str, value: str | None, config, *, user: User | None) -> bool:
    """Save (or, when value is blank, remove) a secret; returns whether one is now set.

    validation.Invalid for a control character: a key travels in HTTP headers.
    """
    value = validation.plain_text((value or "").strip())
    label = LABELS.get(name, name)
    with transaction():
        row = db.session.get(Setting, name)
        if not value:
            if row is not None:
                db.session.delete(row)
                audit.record("setting_removed", f"Removed the {label}", user=user)
        else:
            if row is None:
                row = Setting(name=name, value="", encrypted=True)
                db.session.add(row)
            row.value, row.encrypted = crypto.encrypt(config, value), True
            row.updated_at, row.updated_by_id = utcnow(), user.id if user else None
            # The event says that it changed, never the value
            audit.record("setting_changed", f"Saved a new {label}", user=user)
    return bool(value)
