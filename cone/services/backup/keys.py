"""The encryption key a backup depends on but never holds: which one it is, where it lives,
and whether today's key still reads what the backup stored."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cone.config import secret_key_file
from cone.services import crypto

# Encrypted into every manifest: decrypting it tells at once whether the key is the same
KEY_CHECK = "cone backup key check v1"


def key_check(config: Mapping) -> str:
    """A Fernet token of a known text, made with this installation's key."""
    return crypto.encrypt(config, KEY_CHECK)


def same_key(config: Mapping, token: str) -> bool:
    """Whether this installation's key made token (a manifest's key_check)."""
    try:
        return crypto.decrypt(config, token) == KEY_CHECK
    except crypto.CannotDecrypt:
        return False


def readable(config: Mapping, ciphertexts: list[str]) -> int:
    """How many of the ciphertexts this installation's key decrypts."""
    count = 0
    for token in ciphertexts:
        try:
            crypto.decrypt(config, token)
            count += 1
        except crypto.CannotDecrypt:
            pass
    return count


def key_advice(config: Mapping, environ: Mapping, instance_path: str | Path) -> str:
    """What to keep with a backup and where it is: CONE_ENCRYPTION_KEY, else SECRET_KEY."""
    if config.get("CONE_ENCRYPTION_KEY"):
        name = "CONE_ENCRYPTION_KEY"
        where = "set in the environment" if environ.get(name) else "set in the app's config"
    else:
        name, file = "SECRET_KEY", secret_key_file(instance_path)
        if environ.get(name):
            where = "set in the environment"
        elif file.is_file() and file.read_text().strip() == str(config.get(name)):
            where = f"in {file}"
        else:
            where = "set in the app's config"
    return (f"Keep {name} ({where}) with this backup, but not in the same place: it is not in "
            "the backup, and stored platform tokens and the Companies House API key cannot be "
            "read without it.")
