"""Encryption at rest for API keys and tokens (Fernet: AES-128-CBC with an HMAC)."""
from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class CannotDecrypt(ValueError):
    """The ciphertext was made with another key (SECRET_KEY or CONE_ENCRYPTION_KEY changed)."""


def _derive(secret: str) -> bytes:
    """A Fernet key derived from any secret text with HKDF-SHA256."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cone-encryption",
                info=b"cone fernet key v1")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode("utf-8")))


def _is_fernet_key(value: str) -> bool:
    """Whether value decodes to the 32 bytes of a Fernet key."""
    try:
        return len(base64.urlsafe_b64decode(value.encode("ascii"))) == 32
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def fernet(config) -> Fernet:
    """The Fernet for this installation: CONE_ENCRYPTION_KEY, else derived from SECRET_KEY."""
    explicit = config.get("CONE_ENCRYPTION_KEY")
    if explicit:
        # A generated Fernet key is used as it is; any other passphrase is stretched into one
        return Fernet(explicit.encode("ascii") if _is_fernet_key(explicit) else _derive(explicit))
    secret = config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("SECRET_KEY is not set, so nothing can be encrypted.")
    return Fernet(_derive(str(secret)))


def encrypt(config, text: str) -> str:
    """Ciphertext (URL-safe text) for text."""
    return fernet(config).encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(config, token: str) -> str:
    """The text inside token; CannotDecrypt if the key has changed since it was stored."""
    try:
        return fernet(config).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise CannotDecrypt("A stored secret cannot be read with the current encryption key: "
                            "enter it again on the Settings page.") from None
