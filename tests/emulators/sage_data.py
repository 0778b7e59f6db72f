"""Sample data for the Sage emulator: three businesses and contacts of every shape the adapter
must read (full, person-only, contact-person fallbacks, inactive, deleted, system, vendor), plus
generated customers on request."""
from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta, timezone

from tests.data import platforms

EPOCH = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)
LEAD, SECOND, THIRD = (hashlib.md5(f"business-{n}".encode()).hexdigest() for n in (1, 2, 3))
BUSINESSES = [{"id": LEAD, "name": "Emulated Practice Ltd"},
              {"id": SECOND, "name": "Second Shop Ltd"},
              {"id": THIRD, "name": "Third Venture LLP"}]
COUNTRIES = {"GB": "United Kingdom (GB)", "IE": "Ireland (IE)"}
TYPES = {"CUSTOMER": "Customer", "VENDOR": "Supplier"}


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def contact_id(n: int) -> str:
    return hashlib.md5(f"contact-{n}".encode()).hexdigest()


def _address(n: int, line1=None, city=None, postcode=None, country="GB", **more) -> dict:
    return {"id": hashlib.md5(f"address-{n}".encode()).hexdigest(),
            "displayed_as": ", ".join(p for p in (line1, city, postcode) if p),
            "$path": f"/addresses/{n}", "address_line_1": line1, "address_line_2": None,
            "city": city, "region": more.get("region"), "postal_code": postcode,
            "country": {"id": country, "displayed_as": COUNTRIES.get(country, country),
                        "$path": f"/countries/{country}"},
            "address_type": {"id": "ACCOUNTS", "displayed_as": "Accounts"},
            "is_main_address": True}


def contact(n: int, name: str, *, ref: str | None = None, types=("CUSTOMER",), person=None,
            address=None, delivery=None, **members) -> dict:
    """A full contact as Sage returns it with attributes=all and nested_attributes=all."""
    moment = stamp(EPOCH + timedelta(days=n % 700, minutes=n))
    ref = ref or f"REF{n:05d}"
    body = {"id": contact_id(n), "displayed_as": f"{name} ({ref})", "$path": f"/contacts/{n}",
            "created_at": moment, "updated_at": moment, "deleted_at": None,
            "contact_types": [{"id": t, "displayed_as": TYPES[t], "$path": f"/contact_types/{t}"}
                              for t in types],
            "name": name, "reference": ref, "email": None, "tax_number": None,
            "registered_number": None, "main_address": address, "delivery_address": delivery,
            "main_contact_person": ({"id": f"p{n}", "name": None, "telephone": None,
                                     "mobile": None, "email": None, "is_main_contact": True,
                                     **person} if person is not None else None),
            "currency": {"id": "GBP"}, "locale": "en", "balance": "0.0", "is_active": True,
            "system": False, "gdpr_obfuscated": False, "deletable": True}
    body.update(members)
    return body


def sample_contacts() -> dict[str, list[dict]]:
    """The fixed records, per business."""
    lead = [
        contact(1, "Acme Widgets Ltd", ref="ACME001", email="accounts@acme.example",
                registered_number="01234567", tax_number="GB123456782",
                person={"name": "Jane Doe", "telephone": "020 7946 0000"},
                address=_address(1, "1 High Street", "London", "EC1A 1BB")),
        contact(2, "Siobhán Ó Briain", person={"name": "Siobhán Ó Briain",
                                               "mobile": "+353 87 123 4567"},
                address=_address(2, "3 Quay Road", "Dublin", None, country="IE")),
        contact(3, "Zürich Café", person={"name": "Hans Müller", "email": "hans@cafe.example"},
                delivery=_address(3, "9 Market Row", "Leeds", "LS1 1AA")),
        contact(4, "Old Mill Bakery Ltd", email="mill@bakery.example", is_active=False),
        contact(5, "HMRC Payments", types=("CUSTOMER", "VENDOR"), system=True, deletable=False),
        contact(6, "Office Supplies Co", types=("VENDOR",), email="orders@supplies.example"),
        contact(7, "Gone Away Ltd", email="gone@example.com",
                deleted_at=stamp(EPOCH + timedelta(days=400))),
        contact(8, "Tom Jones", email="tom@example.com"),
    ]
    second = [contact(9, "Other Business Client Ltd", email="client@other.example")]
    return {LEAD: lead, SECOND: second, THIRD: []}


def generated_contacts(count: int, seed: int = 11) -> list[dict]:
    """count more customers for the lead business: some people, inactive ones, no e-mail."""
    from faker import Faker
    fake, rng = Faker("en_GB"), random.Random(seed)
    Faker.seed(seed)
    out = []
    for i in range(count):
        n = 1000 + i
        company = rng.random() < 0.7
        name = f"{fake.company()} {n}" if company else f"{fake.first_name()} {fake.last_name()}"
        members = {"email": f"customer{n}@example.org" if rng.random() < 0.9 else None,
                   "is_active": rng.random() >= 0.05}
        if company and rng.random() < 0.5:
            members["registered_number"] = f"{n:08d}"
        street = fake.street_address().replace("\n", ", ")
        out.append(contact(n, name, person={"name": fake.name(),
                                            "telephone": fake.phone_number()},
                           address=_address(n, street, fake.city(), fake.postcode()),
                           **members))
    return out


def messy_contacts() -> list[dict]:
    """The recorded-shape contacts of tests/data/platforms/sage.json, for the lead business
    (opt-in: messy=True)."""
    return platforms.records("sage")
