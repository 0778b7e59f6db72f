"""Validators for text, UK identifiers and contact details: raw string in, normalised value out.

Each function raises Invalid, whose message is a sentence fit to show next to the field.
Empty input is the caller's business: forms mark such fields Optional.
"""
from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Any, Callable
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import ValidationError
from stdnum.gb import utr as stdnum_utr
from stdnum.gb import vat as stdnum_vat


class Invalid(ValueError):
    """A value that cannot be accepted; str() is a user-facing sentence."""


# Control characters: C0, DEL and C1 (Unicode's Cc), plus lone surrogates, which only a
# lenient decoder produces. C1 is refused too: no text means it (it comes from Windows-1252 read
# as Latin-1), and a terminal reading U+009B as CSI would let a name steer the CLI's output.
# Multi-line text keeps tab and line breaks; PostgreSQL refuses NUL outright.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROLS_BUT_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
BREAKS = "\t\n\r"


def _controls(multiline: bool) -> re.Pattern:
    return _CONTROLS_BUT_BREAKS if multiline else _CONTROLS


def plain_text(value: str, *, multiline: bool = False) -> str:
    """The value itself when it holds no control character; Invalid naming the first one.

    The rule for everything a person types: a single line allows no tab or line break either.
    """
    found = _controls(multiline).search(value or "")
    if found is None:
        return value
    if found.group() in BREAKS:
        raise Invalid("This takes a single line: remove the tab or line break.")
    raise Invalid(f"This contains an invisible control character (U+{ord(found.group()):04X}): "
                  "remove it.")


def without_controls(value: str, *, multiline: bool = False) -> str:
    """The value with control characters dropped (tab and line breaks become spaces on a
    single line): the same rule, cleaning text nobody typed (providers, CSV files)."""
    if not multiline:
        value = value.translate({ord(c): " " for c in BREAKS})
    return _controls(multiline).sub("", value)


# Companies House register prefixes (England and Wales numbers have none: digits only)
COMPANY_PREFIXES = frozenset("""
    AC BR CE CS ES FC FE GE GN GS IC IP LP NA NC NF NI NL NO NP NR NV NZ OC OE PC R0 RC
    RS SA SC SE SF SG SI SL SO SP SR SZ ZC
""".split())
_SPACES = re.compile(r"\s+")


def _squash(v: str) -> str:
    """Upper-case with every space removed, the form most identifiers are compared in."""
    return _SPACES.sub("", v or "").upper()


def _matching(v: str, pattern: str, message: str) -> str:
    """The squashed value when it matches pattern in full; otherwise Invalid(message)."""
    s = _squash(v)
    if not re.fullmatch(pattern, s):
        raise Invalid(message)
    return s


def or_none(check: Callable[[str], str], value: Any) -> str | None:
    """The normalised identifier, or None when it is missing or malformed."""
    if not value:
        return None
    try:
        return check(str(value))
    except Invalid:
        return None


def company_number(v: str) -> str:
    """A Companies House number: 8 characters, digits zero-padded, or a prefix and 6 digits."""
    s = _squash(v)
    if s.isdigit() and len(s) <= 8:
        s = s.zfill(8)
    elif len(s) >= 3 and s[:2].isalnum() and s[2:].isdigit() and len(s) <= 8:
        if s[:2] not in COMPANY_PREFIXES:
            raise Invalid(f"{s[:2]} is not a Companies House prefix: enter a number like "
                          "01234567 or SC123456.")
        s = s[:2] + s[2:].zfill(6)
    else:
        raise Invalid("Enter a company number like 01234567 or SC123456 (8 characters).")
    if s[2:] == "000000" and not s[:2].strip("0").isdigit():
        raise Invalid("A company number cannot be all zeros.")
    return s


def vat_number(v: str) -> str:
    """A UK VAT registration number with valid check digits, as "GB123456789"."""
    try:
        return "GB" + stdnum_vat.validate(_squash(v))
    except ValidationError:
        raise Invalid("Enter a valid UK VAT number, like GB 123 4567 89 (9 digits).") from None


def utr(v: str) -> str:
    """A 10-digit Unique Taxpayer Reference with a valid check digit."""
    s = _squash(v)
    if s.endswith("K"):  # HMRC letters sometimes print the UTR with a trailing K
        s = s[:-1]
    if not (s.isdigit() and len(s) == 10):
        raise Invalid("Enter a UTR of 10 digits, like 12345 67890.")
    try:
        return stdnum_utr.validate(s)
    except ValidationError:
        raise Invalid("This UTR is not valid: check the 10 digits again.") from None


# HMRC: D F I Q U V never used; O never second; some pairs never allocated
_NI = re.compile(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]")
_NI_NEVER = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}


def ni_number(v: str) -> str:
    """A National Insurance number, compact and upper-case ("AB123456C")."""
    s = _squash(v)
    if not _NI.fullmatch(s) or s[:2] in _NI_NEVER:
        raise Invalid("Enter a valid National Insurance number, like AB 12 34 56 C.")
    return s


_POSTCODE = re.compile(
    r"(GIR0AA|[A-PR-UWYZ](?:[0-9][0-9]?|[A-HK-Y][0-9][0-9]?|[0-9][A-HJKPSTUW]"
    r"|[A-HK-Y][0-9][ABEHMNPRVWXY])[0-9][ABD-HJLNP-UW-Z]{2})")


def postcode(v: str) -> str:
    """A UK postcode with one space before the inward code ("SW1A 1AA")."""
    s = _squash(v)
    if not _POSTCODE.fullmatch(s):
        raise Invalid("Enter a UK postcode, like SW1A 1AA.")
    return f"{s[:-3]} {s[-3:]}"


def email(v: str) -> str:
    """A syntactically valid e-mail address in its normalised form."""
    try:
        return validate_email((v or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError as e:
        raise Invalid(f"Enter a valid e-mail address. {e}") from None


_PHONE = re.compile(r"\+?[0-9 ()\-]+")


def phone(v: str) -> str:
    """A phone number: digits, spaces, brackets and dashes, an optional leading +."""
    s = _SPACES.sub(" ", (v or "").strip())
    digits = sum(c.isdigit() for c in s)
    if not _PHONE.fullmatch(s) or not 7 <= digits <= 15:
        raise Invalid("Enter a phone number of 7 to 15 digits, like 020 7946 0000 "
                      "or +44 20 7946 0000.")
    return s


def paye_reference(v: str) -> str:
    """An employer PAYE reference: tax office number, slash, reference ("123/AB45678")."""
    return _matching(v, r"[0-9]{3}/[A-Z0-9]{1,10}", "Enter a PAYE reference like 123/AB45678.")


def accounts_office_reference(v: str) -> str:
    """An employer Accounts Office reference ("123PA12345678"; the last may be X)."""
    return _matching(v, r"[0-9]{3}P[A-Z][0-9]{7}[0-9X]",
                     "Enter an Accounts Office reference of 13 characters, like 123PA12345678.")


def ch_auth_code(v: str) -> str:
    """A Companies House authentication code: 6 letters or digits."""
    return _matching(v, r"[A-Z0-9]{6}", "The authentication code has 6 letters or digits.")


def sic_codes(v: str) -> list[str]:
    """SIC codes separated by commas or spaces, zero-padded to 5 digits, without repeats."""
    codes: list[str] = []
    for part in re.split(r"[\s,;]+", v or ""):
        if not part:
            continue
        if not (part.isdigit() and 4 <= len(part) <= 5):
            raise Invalid(f"“{part}” is not a SIC code: use 5 digits, like 62020.")
        code = part.zfill(5)
        if code not in codes:
            codes.append(code)
    return codes


_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def website(v: str) -> str:
    """A web address; https:// is added when no scheme is given."""
    s = (v or "").strip()
    if "://" not in s:
        s = "https://" + s
    try:
        parts = urlsplit(s)
        host, _port = (parts.hostname or "").rstrip("."), parts.port  # .port raises on "x:abc"
    except ValueError:
        raise Invalid("Enter a web address like www.example.co.uk.") from None
    try:
        labels = host.encode("idna").decode("ascii").split(".")
    except UnicodeError:
        labels = []
    if (parts.scheme.lower() not in ("http", "https") or " " in s or len(labels) < 2
            or not all(_HOST_LABEL.fullmatch(label) for label in labels)):
        raise Invalid("Enter a web address like www.example.co.uk.")
    return s[:len(parts.scheme)].lower() + s[len(parts.scheme):]


def past_date(d: date, what: str) -> date:
    """The date itself, unless it lies in the future (or before 1800, surely a typo)."""
    if d > date.today():
        raise Invalid(f"{what} cannot be in the future.")
    if d.year < 1800:
        raise Invalid(f"{what} is too far in the past: check the year.")
    return d


def year_end(day: int, month: int) -> tuple[int, int]:
    """A year end as (day, month); 29 February is allowed (leap years end there)."""
    if not 1 <= month <= 12:
        raise Invalid("Choose a month between January and December.")
    last = 29 if month == 2 else calendar.monthrange(2001, month)[1]
    if not 1 <= day <= last:
        raise Invalid(f"{calendar.month_name[month]} has {last} days: "
                      f"choose a day from 1 to {last}.")
    return day, month
