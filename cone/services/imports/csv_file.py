"""Customers from a CSV file: read it whatever its encoding and delimiter, map columns, convert.

The converted records are ordinary ExternalCustomers (provider "csv"), so the preview, the
duplicate classification and the run are the same as for an accounting platform. Cells are
kept as text exactly as typed: a cell such as "=SUM(A1)" is a name, never a formula.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re

from cone.services.clients.duplicates import normalise_name
from cone.services.models import Address
from cone.services.providers.accounting import (ContactPerson, ExternalCustomer, clean,
                                                first_and_others, is_business_name,
                                                other_addresses)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
MAX_COLUMNS = 100
DELIMITERS = ",;\t|"

# field -> (label, header spellings it is guessed from, compared without case or punctuation)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "external_id": ("Reference (id)", ("id", "reference", "ref", "accountnumber", "accountref",
                                       "contactid", "customerid", "clientid", "contactnumber",
                                       "accountcode", "customerref", "clientref")),
    "name": ("Name", ("name", "customername", "clientname", "contactname", "company",
                      "companyname", "organisation", "organisationname", "organization",
                      "businessname", "displayname", "accountname", "legalname")),
    "kind": ("Business or individual", ("kind", "type", "clienttype", "customertype",
                                        "entitytype")),
    "title": ("Title", ("title", "salutation", "honorific")),
    "first_name": ("First name", ("firstname", "givenname", "forename", "first")),
    "middle_name": ("Middle name", ("middlename", "middlenames", "middle")),
    "last_name": ("Last name", ("lastname", "surname", "familyname", "last")),
    "suffix": ("Suffix", ("suffix", "namesuffix")),
    "email": ("E-mail", ("email", "emailaddress", "mail", "e-mail", "primaryemail")),
    "phone": ("Phone", ("phone", "telephone", "tel", "phonenumber", "mobile", "mobilephone",
                        "primaryphone")),
    "line1": ("Address line 1", ("address", "addressline1", "address1", "street",
                                 "billingaddress", "poaddressline1", "line1")),
    "line2": ("Address line 2", ("addressline2", "address2", "poaddressline2", "line2")),
    "town": ("Town", ("town", "city", "towncity", "pocity", "billingcity")),
    "county": ("County", ("county", "region", "state", "poregion", "province")),
    "postcode": ("Postcode", ("postcode", "postalcode", "zip", "zipcode", "popostalcode",
                              "billingpostcode")),
    "country": ("Country", ("country", "pocountry", "billingcountry")),
    "company_number": ("Company number", ("companynumber", "companyno", "companyregno",
                                          "crn", "registrationnumber", "companyregistration",
                                          "registerednumber")),
    "vat_number": ("VAT number", ("vat", "vatnumber", "vatno", "vatreg", "vatregistration",
                                  "vatregistrationnumber", "vatregno", "taxnumber")),
    "contact_first_name": ("Contact first name", ("contactfirstname",
                                                  "contactpersonfirstname")),
    "contact_last_name": ("Contact last name", ("contactlastname", "contactsurname",
                                                "contactpersonlastname")),
    "contact_email": ("Contact e-mail", ("contactemail", "contactemailaddress")),
    "contact_phone": ("Contact phone", ("contactphone", "contacttelephone")),
    "archived": ("Archived / status", ("status", "archived", "active", "contactstatus")),
}
INDIVIDUAL_WORDS = {"individual", "person", "personal", "private", "soletrader", "i"}
BUSINESS_WORDS = {"business", "company", "organisation", "organization", "ltd", "limited",
                  "llp", "partnership", "charity", "trust", "b"}


class CsvInvalid(ValueError):
    """The file cannot be read as a customer list; str() says why."""


def _decode(data: bytes) -> str:
    """Text from UTF-8 (with or without a BOM), else Windows-1252 as Excel saves it in the UK."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _dialect(text: str) -> str:
    """The delimiter: sniffed from the first lines, else the most common candidate."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = text.splitlines()[0] if text else ""
        return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def _headers(raw: list[str]) -> list[str]:
    """Trimmed headers; blank ones named by position, repeated ones numbered."""
    out: list[str] = []
    for i, h in enumerate(raw, 1):
        name = " ".join((h or "").split()) or f"Column {i}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def read_csv(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """(headers, rows as {header: cell}) from an uploaded file; CsvInvalid if unusable."""
    if len(data) > MAX_BYTES:
        raise CsvInvalid(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: "
                         "split it into smaller files.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CsvInvalid("This is not a CSV file: save the spreadsheet as CSV and try again.")
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CsvInvalid("The file is empty.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text))
    try:
        headers = _headers(next(reader))
        if len(headers) > MAX_COLUMNS:
            raise CsvInvalid(f"The file has {len(headers)} columns: at most {MAX_COLUMNS}.")
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvInvalid(f"The file has more than {MAX_ROWS:,} rows: "
                                 "split it into smaller files.")
            rows.append({h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers)})
    except csv.Error as e:
        raise CsvInvalid(f"The file cannot be read as CSV ({e}).") from None
    if not rows:
        raise CsvInvalid("The file has a header row but no customers.")
    return headers, rows


def _key(header: str) -> str:
    """A header reduced to lower-case letters and digits: "E-mail Address" -> "emailaddress"."""
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """{field: header} for each field whose usual header appears (first such header wins)."""
    keys = {h: _key(h) for h in headers}
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for field, (_, spellings) in FIELDS.items():
        wanted = {_key(s) for s in spellings}
        header = next((h for h in headers if keys[h] in wanted and h not in used), None)
        if header is not None:
            mapping[field] = header
            used.add(header)
    return mapping


def _kind(value: str | None, has_company: bool, name: str | None, *parts: str | None) -> str:
    """The kind column when it says, else a business unless the row names only a person."""
    word = _key(value or "")
    if word in INDIVIDUAL_WORDS:
        return "individual"
    if word in BUSINESS_WORDS or has_company:
        return "business"
    person = [p for p in parts if p]
    if not person or (name and is_business_name(name, *person)):
        return "business"
    return "individual"


def _archived(value: str | None, header: str | None) -> bool:
    """Whether a status cell marks the customer archived ("Active: no", "Archived: yes")."""
    word = (value or "").strip().casefold()
    column = _key(header or "")
    if column == "active":
        return word in {"no", "n", "false", "0"}
    if column == "archived":
        return word in {"yes", "y", "true", "1", "archived"}
    return word in {"archived", "inactive", "hidden", "deleted"}


def external_id(name: str, email: str | None) -> str:
    """A stable reference for a row without one: the same name and e-mail give the same id."""
    key = normalise_name(name) + "|" + (email or "").strip().casefold()
    return "h:" + hashlib.sha256(key.encode()).hexdigest()[:20]


def to_customers(rows: list[dict[str, str]], mapping: dict[str, str]
                 ) -> tuple[list[ExternalCustomer], dict[int, list[str]]]:
    """ExternalCustomers for the good rows; {line number: [problems]} for the others.

    Only a row without a usable name (or a reference used twice) is refused: an e-mail, phone,
    company or VAT number Cone would refuse comes through as typed, and the import's cleaning
    leaves it out with a warning. Line numbers count the header as line 1, as a spreadsheet
    shows them.
    """
    unknown = set(mapping) - set(FIELDS)
    if unknown:
        raise CsvInvalid(f"Unknown field: {', '.join(sorted(unknown))}.")
    customers, errors, seen = [], {}, {}
    for line, row in enumerate(rows, 2):
        cell = {f: clean(row.get(h)) for f, h in mapping.items() if h}
        first, last = cell.get("first_name"), cell.get("last_name")
        parts = [cell.get(f) for f in ("title", "first_name", "middle_name", "last_name",
                                       "suffix")]
        name = cell.get("name") or " ".join(p for p in parts if p) or None
        problems = []
        if not name:
            problems.append("No name: give a name, or a first and last name.")
        elif len(name) > 300:
            problems.append("The name is longer than 300 characters.")
        ref = cell.get("external_id")
        if ref and len(ref) > 100:
            problems.append("The reference is longer than 100 characters.")
        if ref and ref in seen:
            problems.append(f"Repeats the customer on line {seen[ref]}.")
        if problems:
            errors[line] = problems
            continue
        if not ref:
            # The same name and e-mail twice are two customers: the preview says they look alike
            ref = base = external_id(name, cell.get("email"))
            for n in range(2, len(rows) + 2):
                if ref not in seen:
                    break
                ref = f"{base}-{n}"
        seen[ref] = line
        email, others = first_and_others(cell.get("email"))
        person_email, person_others = first_and_others(cell.get("contact_email"))
        person = ContactPerson(cell.get("contact_first_name"), cell.get("contact_last_name"),
                               person_email, cell.get("contact_phone"))
        has_company = bool(cell.get("company_number") or cell.get("vat_number"))
        customers.append(ExternalCustomer(
            provider="csv", external_id=ref, tenant_id="", name=name,
            kind=_kind(cell.get("kind"), has_company, cell.get("name"), *parts),
            first_name=first, last_name=last, title=cell.get("title"),
            middle_name=cell.get("middle_name"), suffix=cell.get("suffix"), email=email,
            other_emails=other_addresses(email, others + person_others), phone=cell.get("phone"),
            address=Address(line1=cell.get("line1"), line2=cell.get("line2"),
                            town=cell.get("town"), county=cell.get("county"),
                            postcode=cell.get("postcode"), country=cell.get("country")),
            company_number=cell.get("company_number"), vat_number=cell.get("vat_number"),
            people=(person,) if person.first_name or person.last_name else (),
            is_customer=True, archived=_archived(cell.get("archived"), mapping.get("archived")),
            updated_at=None, raw=dict(row)))
    return customers, errors
