"""Sending e-mail through the firm's SMTP server, when one is configured (MAIL_* settings)."""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Mapping


class MailFailed(Exception):
    """The SMTP server refused the message or could not be reached; the message says which."""


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False  # upgrade a plain connection (port 587)
    tls: bool = False  # TLS from the start (port 465)
    timeout: float = 10.0


def settings_from(config: Mapping) -> MailSettings | None:
    """The SMTP settings in an app's configuration, None when MAIL_SERVER is unset."""
    if not config.get("MAIL_SERVER"):
        return None
    tls = _flag(config.get("MAIL_USE_SSL"))
    port = config.get("MAIL_PORT") or (465 if tls else 25)
    return MailSettings(server=config["MAIL_SERVER"], port=int(port),
                        sender=config.get("MAIL_DEFAULT_SENDER") or "cone@localhost",
                        username=config.get("MAIL_USERNAME") or None,
                        password=config.get("MAIL_PASSWORD") or None,
                        starttls=_flag(config.get("MAIL_USE_TLS")), tls=tls)


def _flag(value) -> bool:
    """A setting that is on: True, or "1", "true", "yes", "on" from the environment."""
    return value is True or str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def send(settings: MailSettings, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; MailFailed when it could not be handed to the server."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.sender, to, subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    smtp_class = smtplib.SMTP_SSL if settings.tls else smtplib.SMTP
    try:
        with smtp_class(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as e:
        raise MailFailed(f"The e-mail could not be sent ({e.__class__.__name__}: {e}).") from e
