"""The rows of demo data: clients and contacts as plain dicts, built from small pools.

Faker fills the pools once; random combines them per row, so a seed gives the same data set
and 100,000 rows cost no more Faker calls than ten.
"""
from __future__ import annotations

import random
import re
from datetime import date, datetime, timedelta

from faker import Faker
from sqlalchemy import select
from stdnum.gb import utr as stdnum_utr

from cone.services.demo.pools import (BUSINESS_ROLES, CHARITY_SIC, CHARITY_WORDS,
                                      ENTITY_WEIGHTS, NI_BANNED, NI_LETTERS, OTHER_ROLES,
                                      PHONE_PREFIXES, POSTCODE_LETTERS, PREFIXES, SCOTTISH, TAGS,
                                      TITLES, TOWNS, TRADES)
from cone.services.models import Client, Contact, Tag, User, db, utcnow
from cone.services.tx import transaction

# Every column a client row names, so each dict in a batch has the same keys
CLIENT_FIELDS = [c.key for c in Client.__table__.columns]
CONTACT_FIELDS = [c.key for c in Contact.__table__.columns if c.key != "id"]


def ensure_tags() -> list[int]:
    """Ids of the demo tags, creating the missing ones."""
    existing = {t.name: t.id for t in db.session.scalars(select(Tag).where(Tag.name.in_(TAGS)))}
    with transaction():
        for name in TAGS:
            if name not in existing:
                tag = Tag(name=name)
                db.session.add(tag)
                db.session.flush()
                existing[name] = tag.id
    return [existing[name] for name in TAGS]


def slug(name: str) -> str:
    """The name as lower-case letters and digits, for e-mail addresses and domains."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())[:30] or "mail"


class Maker:
    """Builds row dicts from small pools filled once by Faker, combined with random."""

    def __init__(self, rng: random.Random, fake: Faker, seed_value: int | None):
        fake.seed_instance(seed_value)
        self.rng = rng
        # Names keep their gender so that titles agree with them ("Mrs Carol", not "Mr Carol")
        self.first = sorted({(fake.first_name_female(), "f") for _ in range(300)}
                            | {(fake.first_name_male(), "m") for _ in range(300)})
        self.genders = dict(self.first)
        self.by_gender = {g: [n for n, x in self.first if x == g] for g in ("f", "m")}
        self.last = sorted({fake.last_name() for _ in range(900)})
        self.streets = sorted({fake.street_name() for _ in range(600)})
        self.users = [u.id for u in db.session.scalars(select(User).where(User.active))]
        self.admins = [u.id for u in db.session.scalars(
            select(User).where(User.active, User.role.in_(("owner", "admin"))))] or self.users
        self.tag_ids = ensure_tags()
        self.numbers = set(db.session.scalars(select(Client.company_number).where(
            Client.company_number.is_not(None))))
        self.recent: list[int] = []  # contacts that a later client may share
        self.now = utcnow()

    # Identifiers with valid check digits or formats
    def vat(self) -> str:
        """A VAT number with valid check digits."""
        digits = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(6)]
        total = sum(w * d for w, d in zip((8, 7, 6, 5, 4, 3, 2), digits))
        # Check digits make the weighted sum a multiple of 97 (HMRC's mod-97 rule)
        return "GB" + "".join(map(str, digits)) + f"{-total % 97:02d}"

    def utr(self) -> str:
        """A UTR with a valid check digit."""
        body = f"{self.rng.randrange(10 ** 9):09d}"
        return stdnum_utr.calc_check_digit(body) + body

    def ni_number(self) -> str:
        """A National Insurance number from the allocated prefixes."""
        while True:
            prefix = self.rng.choice(NI_LETTERS) + self.rng.choice(NI_LETTERS.replace("O", ""))
            if prefix not in NI_BANNED:
                return f"{prefix}{self.rng.randrange(10 ** 6):06d}{self.rng.choice('ABCD')}"

    def company_number(self, entity: str, area: str) -> str:
        """A company number not yet used, with the prefix of its register."""
        while True:
            if entity == "llp":
                number = ("SO" if area in SCOTTISH else "NC" if area == "BT" else "OC") + \
                    f"{self.rng.randint(300000, 449999):06d}"
            elif area in SCOTTISH:
                number = f"SC{self.rng.randint(100000, 799999):06d}"
            elif area == "BT":
                number = f"NI{self.rng.randint(600000, 699999):06d}"
            else:
                number = f"{self.rng.randint(1000000, 15999999):08d}"
            if number not in self.numbers:
                self.numbers.add(number)
                return number

    def address(self, town_row=None) -> dict:
        """An address in the town (or a random one) with a plausible postcode."""
        town, county, area = town_row or self.rng.choice(TOWNS)
        letters = self.rng.choices(POSTCODE_LETTERS, k=2)
        postcode = f"{area}{self.rng.randint(1, 28)} {self.rng.randint(1, 9)}{''.join(letters)}"
        line2 = f"Unit {self.rng.randint(1, 40)}" if self.rng.random() < 0.15 else None
        return {"line1": f"{self.rng.randint(1, 240)} {self.rng.choice(self.streets)}",
                "line2": line2, "town": town, "county": county, "postcode": postcode,
                "country": "United Kingdom"}

    def phone(self) -> str:
        """A phone number from Ofcom's drama ranges."""
        return f"{self.rng.choice(PHONE_PREFIXES)}{self.rng.randint(0, 999):03d}"

    def moment(self) -> tuple[datetime, datetime]:
        """created_at spread over the last five years, updated_at after it."""
        created = self.now - timedelta(seconds=self.rng.randint(0, 5 * 365 * 86400))
        updated = created + (self.now - created) * self.rng.random() ** 3
        return created, updated

    def person(self, domain: str | None = None, address: dict | None = None) -> dict:
        """A contact row: a gendered name, title, phone and e-mail at the domain."""
        (first, gender), last = self.rng.choice(self.first), self.rng.choice(self.last)
        domain = domain or self.rng.choice(("example.com", "example.org", "example.net"))
        row = dict.fromkeys(CONTACT_FIELDS)
        title = self.rng.choice(TITLES[gender]) if self.rng.random() < 0.6 else None
        row.update({"title": title, "first_name": first, "last_name": last,
                    "phone": self.phone(), "email": f"{slug(first)}.{slug(last)}@{domain}"})
        row.update({f"address_{k}": v for k, v in (address or {}).items()})
        created, updated = self.moment()
        return row | {"created_at": created, "updated_at": updated, "version": 1}

    def gender(self, first: str) -> str:
        """The gender the first name was drawn with (m when unknown)."""
        return self.genders.get(first, "m")

    def middle_name(self, first: str) -> str:
        """A middle name of the same gender as the first name."""
        return self.rng.choice(self.by_gender[self.gender(first)])

    def remember(self, contact_id: int) -> None:
        """Keep the contact for a later client to share (the last few hundred)."""
        self.recent.append(contact_id)
        if len(self.recent) > 500:
            del self.recent[:250]

    def renumber(self, ids: dict[int, int]) -> None:
        """Replace the batch's provisional contact ids in the remembered ones by the real ids."""
        self.recent = [ids.get(i, i) for i in self.recent]

    def tags_for(self) -> list[int]:
        """The tags of one client: none to three."""
        return self.rng.sample(self.tag_ids, self.rng.choice((0, 0, 1, 1, 2, 3)))

    def client(self, client_id: int) -> tuple[dict, list]:
        """A client row and its people, primary first: [(contact row or shared id, role)]."""
        created, updated = self.moment()
        row = dict.fromkeys(CLIENT_FIELDS)
        row.update(id=client_id, status="customer" if self.rng.random() < 0.8 else "prospect",
                   created_at=created, updated_at=updated, version=1,
                   manager_id=self.rng.choice(self.users) if self.users else None,
                   partner_id=self.rng.choice(self.admins) if self.admins else None,
                   archived_at=updated if self.rng.random() < 0.04 else None)
        people = self._business(row) if self.rng.random() < 0.7 else self._individual(row)
        if row["sic_codes"] is None:
            del row["sic_codes"]  # a JSON column stores None as JSON null; omitted means SQL NULL
        if self.recent and len(people) < 3 and self.rng.random() < 0.12:
            shared = self.rng.choice(self.recent)
            if all(p != shared for p, _ in people):
                people.append((shared, self.rng.choice(OTHER_ROLES)))
        return row, people

    def _business(self, row: dict) -> list:
        """Fill row as a business client; returns its people, the owner first."""
        rng = self.rng
        entity = rng.choices(list(ENTITY_WEIGHTS), weights=list(ENTITY_WEIGHTS.values()))[0]
        town_row = rng.choice(TOWNS)
        trade, sic = rng.choice(TRADES)
        base = rng.choice(PREFIXES) if rng.random() < 0.6 else rng.choice(self.last)
        owner = self.person()
        trading = None
        if entity == "limited_company":
            name = f"{base} {trade} {rng.choice(('Ltd', 'Limited', 'Limited'))}"
        elif entity == "plc":
            name = f"{base} {trade} Group PLC"
        elif entity == "llp":
            name = f"{base} & {rng.choice(self.last)} LLP"
        elif entity == "partnership":
            name = f"{owner['last_name']} & {rng.choice(self.last)}"
            trading = f"{name} {trade}"
        elif entity == "charity":
            name, sic = f"{town_row[0]} {rng.choice(CHARITY_WORDS)}", rng.choice(CHARITY_SIC)
        else:
            name, trading = f"{owner['first_name']} {owner['last_name']}", f"{base} {trade}"
        incorporated = entity in ("limited_company", "plc", "llp") or \
            (entity == "charity" and rng.random() < 0.5)
        domain = slug(trading or name) + ".co.uk"
        office = self.address(town_row)
        start = date(rng.choice((1965, 1990, 2005, 2012, 2016)), 1, 1) + \
            timedelta(days=rng.randint(0, 3650))
        start = min(start, date.today() - timedelta(days=400))
        if incorporated:
            # A company's year end is the last day of its incorporation month
            next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            month_end = next_month - timedelta(days=1)
            year_end = (month_end.day, month_end.month)
        else:
            year_end = rng.choice(((31, 3), (5, 4), (30, 4), (31, 12)))
        row.update(
            kind="business", entity_type=entity, legal_name=name, display_name=name,
            trading_name=trading, email=f"{rng.choice(('info', 'accounts', 'office'))}@{domain}",
            phone=self.phone(), website=f"https://www.{domain}" if rng.random() < 0.6 else None,
            company_number=self.company_number(entity, town_row[2]) if incorporated else None,
            incorporation_date=start if incorporated else None,
            sic_codes=[sic] if incorporated else None,
            vat_number=self.vat() if rng.random() < 0.55 else None,
            ct_utr=self.utr() if incorporated else None,
            paye_reference=f"{rng.randint(100, 999)}/{rng.choice('ABCDEFGHJKLMNPRTWXYZ')}"
                           f"{rng.choice('ABCDEFGHJKLMNPRTWXYZ')}{rng.randint(10000, 99999)}"
            if rng.random() < 0.4 else None,
            year_end_day=year_end[0], year_end_month=year_end[1])
        row.update({f"registered_{k}": v for k, v in office.items()})
        if rng.random() < 0.2:
            row.update({f"trading_{k}": v for k, v in self.address(town_row).items()})
        owner["email"] = f"{slug(owner['first_name'])}@{domain}"
        people = [(owner, BUSINESS_ROLES[entity])]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            people.append((self.person(domain), rng.choice(OTHER_ROLES)))
        return people

    def _individual(self, row: dict) -> list:
        """Fill row as an individual client; returns the client and perhaps a partner."""
        rng = self.rng
        home = self.address()
        me = self.person(address=home)
        middle = self.middle_name(me["first_name"]) if rng.random() < 0.3 else None
        born = date.today() - timedelta(days=rng.randint(18 * 365, 90 * 365))
        me["title"] = me["title"] or rng.choice(TITLES[self.gender(me["first_name"])])
        display = " ".join(p for p in (me["first_name"], middle, me["last_name"]) if p)
        row.update(
            kind="individual", display_name=display, title=me["title"],
            first_name=me["first_name"], middle_name=middle, last_name=me["last_name"],
            date_of_birth=born, ni_number=self.ni_number(), sa_utr=self.utr(),
            email=me["email"], phone=me["phone"], year_end_day=5, year_end_month=4)
        row.update({f"home_{k}": v for k, v in home.items()})
        people = [(me, "Client")]
        if rng.random() < 0.35:
            partner = self.person(address=home)
            partner.update(last_name=me["last_name"],
                           email=f"{slug(partner['first_name'])}.{slug(me['last_name'])}"
                                 "@example.com")
            people.append((partner, rng.choice(("Spouse", "Partner", "Agent"))))
        return people
