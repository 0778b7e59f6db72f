"""Sample and generated QuickBooks customers for the emulator (the awkward cases included)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from tests.data import platforms


def make_customer(n: int, display: str, offset: str = "-07:00", **fields) -> dict:
    stamp = datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(hours=n)
    local = stamp.astimezone(timezone(timedelta(hours=int(offset[:3]))))
    iso = local.isoformat(timespec="seconds")
    return {"Id": str(n), "SyncToken": "0", "domain": "QBO", "sparse": False, "Active": True,
            "DisplayName": display, "FullyQualifiedName": display, "Job": False,
            "BillWithParent": False, "Balance": 0, "Taxable": False,
            "MetaData": {"CreateTime": iso, "LastUpdatedTime": iso}, **fields}


def sample_customers() -> list[dict]:
    """A small company file with the awkward cases."""
    return [
        make_customer(1, "Amy's Bird Sanctuary", CompanyName="Amy's Bird Sanctuary",
                      GivenName="Amy", FamilyName="Lauterbach",
                      PrimaryEmailAddr={"Address": "birds@intuit.example"},
                      PrimaryPhone={"FreeFormNumber": "(650) 555-3311"},
                      PrimaryTaxIdentifier="XXXXXX56789",
                      BillAddr={"Id": "2", "Line1": "4581 Finch St.", "City": "Bayshore",
                                "CountrySubDivisionCode": "CA", "PostalCode": "94326",
                                "Country": "USA", "Lat": "INVALID", "Long": "INVALID"}),
        make_customer(2, "Søren Ødegård", offset="-08:00", GivenName="Søren",
                      FamilyName="Ødegård",
                      Mobile={"FreeFormNumber": "07700 900789"},
                      BillAddr={"Line1": "12 Rue Saint-Étienne", "City": "Bath",
                                "PostalCode": "BA1 1AA", "Country": "GB"}),
        make_customer(3, "Cool Cars", CompanyName="Cool Cars",
                      PrimaryEmailAddr={"Address": "cool@cars.example, sales@cars.example"}),
        make_customer(4, "United States Treasury (deleted)", Active=False,
                      CompanyName="United States Treasury"),
        make_customer(5, "Cool Cars:Paint job", Job=True, ParentRef={"value": "3"}, Level=1,
                      FullyQualifiedName="Cool Cars:Paint job"),
        make_customer(6, "Diego Rodriguez", GivenName="Diego", FamilyName="Rodriguez",
                      PrimaryEmailAddr={"Address": "diego@example.com"},
                      ShipAddr={"Line1": "321 Channing", "City": "Palo Alto",
                                "PostalCode": "94303"}),
    ]


def generated_customers(count: int, start: int = 100, seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    words = ["Oak", "Riverside", "Falcon", "Heath", "Marlow", "Quarry", "Aspen", "Ember"]
    out = []
    for i in range(count):
        n = start + i
        name = f"{rng.choice(words)} {rng.choice(words)} Services {n}"
        row = make_customer(n, name, CompanyName=name,
                            BillAddr={"Line1": f"{n} Market Street", "City": "Derby",
                                      "PostalCode": f"DE{n % 20 + 1} {n % 9}QZ", "Country": "UK"})
        if rng.random() < 0.85:
            row["PrimaryEmailAddr"] = {"Address": f"accounts{n}@example.org"}
        if rng.random() < 0.05:
            row["Active"], row["DisplayName"] = False, name + " (deleted)"
        out.append(row)
    return out


def messy_customers() -> list[dict]:
    """The recorded-shape customers of tests/data/platforms/quickbooks.json (opt-in:
    messy=True): a job under Parent Co, US and Canadian addresses, "Lat": "INVALID"…"""
    return platforms.records("quickbooks")
