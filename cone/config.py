"""Settings from environment variables (names are stable: see DESIGN.md)."""
import os
import secrets
from pathlib import Path

PROVIDER_DEFAULTS = {
    "COMPANIES_HOUSE_API_URL": "https://api.company-information.service.gov.uk",
    "XERO_AUTHORIZE_URL": "https://login.xero.com/identity/connect/authorize",
    "XERO_TOKEN_URL": "https://identity.xero.com/connect/token",
    "XERO_API_URL": "https://api.xero.com",
    "QUICKBOOKS_AUTHORIZE_URL": "https://appcenter.intuit.com/connect/oauth2",
    "QUICKBOOKS_TOKEN_URL": "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
    "QUICKBOOKS_API_URL": "https://quickbooks.api.intuit.com",
    "FREEAGENT_AUTHORIZE_URL": "https://api.freeagent.com/v2/approve_app",
    "FREEAGENT_TOKEN_URL": "https://api.freeagent.com/v2/token_endpoint",
    "FREEAGENT_API_URL": "https://api.freeagent.com/v2",
    "SAGE_AUTHORIZE_URL": "https://www.sageone.com/oauth2/auth/central?filter=apiv3.1",
    "SAGE_TOKEN_URL": "https://oauth.accounting.sage.com/token",
    "SAGE_API_URL": "https://api.accounting.sage.com/v3.1",
}
OPTIONAL = [
    "COMPANIES_HOUSE_API_KEY", "CONE_ENCRYPTION_KEY", "REDIS_URL", "CONE_BEHIND_PROXY",
    *(f"{p}_{s}" for p in ("XERO", "QUICKBOOKS", "FREEAGENT", "SAGE")
      for s in ("CLIENT_ID", "CLIENT_SECRET", "REVOKE_URL")),
    # SMTP for invite e-mails; without MAIL_SERVER the link is only shown to copy
    "MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS", "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
]


def secret_key_file(instance_path: str | Path) -> Path:
    """Where a SECRET_KEY generated on first run is kept (backups say so: it is not in them)."""
    return Path(instance_path) / "secret_key"


def secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = secret_key_file(instance_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together must agree on one key
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    return path.read_text().strip()


def database_url(instance_path: str) -> str:
    """DATABASE_URL, defaulting to SQLite in instance/; bare postgresql:// gets psycopg 3."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'cone.db'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def from_env(instance_path: str) -> dict:
    """The whole configuration mapping read from the environment."""
    config = {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # token lives as long as the session
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    }
    for name, default in PROVIDER_DEFAULTS.items():
        config[name] = os.environ.get(name, default)
    for name in OPTIONAL:
        config[name] = os.environ.get(name) or None
    return config
