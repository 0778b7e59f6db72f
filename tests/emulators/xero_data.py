"""Sample and generated Xero contacts for the emulator (the cases an import has to get right)."""
from __future__ import annotations

import random
import uuid

from tests.data import platforms

TENANTS = [{"tenantId": "a3a1c9d4-0000-4000-8000-000000000001", "tenantName": "Demo Practice Ltd"}]
BASE_MS = 1_700_000_000_000


def make_contact(n: int, name: str, **fields) -> dict:
    contact = {"ContactID": str(uuid.UUID(int=n)), "ContactStatus": "ACTIVE", "Name": name,
               "IsCustomer": True, "IsSupplier": False, "Addresses": [], "Phones": [],
               "ContactPersons": [], "HasAttachments": False,
               "UpdatedDateUTC": f"/Date({BASE_MS + n * 60_000}+0000)/"}
    contact.update(fields)
    return contact


def sample_contacts() -> list[dict]:
    """A small, varied organisation: the cases an import has to get right."""
    return [
        make_contact(1, "Acme Widgets Ltd", EmailAddress="accounts@acme.example",
                     FirstName="Jane", LastName="Smith", CompanyNumber="01234567",
                     TaxNumber="GB123456789",
                     Addresses=[{"AddressType": "POBOX", "AddressLine1": "1 High Street",
                                 "AddressLine2": "Unit 4", "City": "Leeds",
                                 "Region": "West Yorkshire", "PostalCode": "LS1 1AA",
                                 "Country": "UK"},
                                {"AddressType": "STREET", "AddressLine1": "Works Road",
                                 "City": "Leeds", "PostalCode": "LS2 2BB"}],
                     Phones=[{"PhoneType": "DEFAULT", "PhoneNumber": "496000",
                              "PhoneAreaCode": "0113", "PhoneCountryCode": ""},
                             {"PhoneType": "MOBILE", "PhoneNumber": "07700 900123"}],
                     ContactPersons=[{"FirstName": "Raj", "LastName": "Patel",
                                      "EmailAddress": "raj@acme.example",
                                      "IncludeInEmails": True}]),
        make_contact(2, "Zoë Łukasiewicz-Ñúñez", FirstName="Zoë", LastName="Łukasiewicz-Ñúñez",
                     EmailAddress="", Addresses=[{"AddressType": "POBOX"}],
                     Phones=[{"PhoneType": "MOBILE", "PhoneNumber": "07700 900456"}]),
        make_contact(3, "Brontë Bakery", EmailAddress="", Addresses=[
            {"AddressType": "STREET", "AddressLine1": "3 Mill Lane", "City": "Haworth",
             "PostalCode": "BD22 8DR", "Country": ""}]),
        make_contact(4, "Old Client Ltd", ContactStatus="ARCHIVED",
                     EmailAddress="old@client.example",
                     UpdatedDateUTC=f"/Date({BASE_MS + 4 * 60_000})/"),
        make_contact(5, "Prospect Partners LLP", IsCustomer=False,
                     EmailAddress="hello@prospect.example"),
        make_contact(6, "Supplier Co", IsCustomer=False, IsSupplier=True),
        make_contact(7, "Tom Jones", FirstName="Tom", LastName="Jones",
                     EmailAddress="tom@jones.example"),
    ]


def generated_contacts(count: int, start: int = 1000, seed: int = 7) -> list[dict]:
    """count believable contacts (about one in eight an individual, one in twenty archived)."""
    rng = random.Random(seed)
    words = ["North", "Vale", "Harbour", "Cedar", "Granite", "Willow", "Orchard", "Beacon",
             "Meadow", "Summit", "Kestrel", "Thistle", "Bramble", "Copper", "Linden"]
    trades = ["Builders", "Consulting", "Bakery", "Design", "Logistics", "Dental", "Motors"]
    firsts = ["Amelia", "Oliver", "Siân", "Rhys", "Chloé", "Mohammed", "Aoife", "Jakub"]
    lasts = ["Taylor", "Evans", "Nowak", "O'Brien", "Khan", "Davies", "Müller", "Hughes"]
    out = []
    for i in range(count):
        n = start + i
        if rng.random() < 0.125:
            first, last = rng.choice(firsts), rng.choice(lasts)
            contact = make_contact(n, f"{first} {last} {n}", FirstName=first,
                                   LastName=f"{last} {n}")
        else:
            name = f"{rng.choice(words)} {rng.choice(words)} {rng.choice(trades)} {n} Ltd"
            contact = make_contact(n, name, CompanyNumber=f"{rng.randrange(10**7, 10**8)}")
        if rng.random() < 0.8:
            contact["EmailAddress"] = f"office{n}@example.co.uk"
        contact["Addresses"] = [{"AddressType": "POBOX", "AddressLine1": f"{n} Station Road",
                                 "City": "York", "PostalCode": f"YO{n % 30 + 1} {n % 9}AB",
                                 "Country": "United Kingdom"}]
        if rng.random() < 0.05:
            contact["ContactStatus"] = "ARCHIVED"
        out.append(contact)
    return out


def messy_contacts() -> list[dict]:
    """The recorded-shape contacts of tests/data/platforms/xero.json (opt-in: messy=True)."""
    return platforms.records("xero")
