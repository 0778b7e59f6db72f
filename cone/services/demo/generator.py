"""Realistic UK demo clients with contacts, inserted in bulk (100,000 in well under a minute)."""
from __future__ import annotations

import json
import random
import re
from datetime import date, datetime, timedelta
from typing import Callable

from faker import Faker
from sqlalchemy import JSON, func, insert, select, text
from stdnum.gb import utr as stdnum_utr

from cone.services.search import bulk_load
from cone.services.demo.pools import (BUSINESS_ROLES, CHARITY_SIC, CHARITY_WORDS,
                                      ENTITY_WEIGHTS, NI_BANNED, NI_LETTERS, OTHER_ROLES,
                                      PHONE_PREFIXES, POSTCODE_LETTERS, PREFIXES, SCOTTISH, TAGS,
                                      TITLES, TOWNS, TRADES)
from cone.services.models import (Client, ClientContact, Contact, Tag, User, client_tags, db,
                                  utcnow)

MAX_CLIENTS = 1_000_000
BATCH = 2_000


class DemoError(ValueError):
    """Demo data cannot be made as asked; the message is safe to show."""


def seed(count: int, *, seed: int | None = None,
         progress: Callable[[int], None] | None = None) -> int:
    """Add count demo clients (each with 1-3 contacts, one primary); returns how many."""
    if not isinstance(count, int) or count < 1:
        raise DemoError("The number of clients must be a whole number of at least 1.")
    if count > MAX_CLIENTS:
        raise DemoError(f"At most {MAX_CLIENTS:,} demo clients can be added at once.")
    maker = _Maker(random.Random(seed), Faker("en_GB"), seed)
    done = 0
    # the search index is built once at the end, not row by row: several times faster
    with bulk_load.bulk_load(db.session):
        while done < count:
            size = min(BATCH, count - done)
            _insert_batch(maker, size)
            done += size
            if progress:
                progress(done)
    _sync_sequences()
    return done


def _insert_batch(maker: _Maker, size: int) -> None:
    """Insert one batch of clients, contacts and links with ids assigned here, then commit."""
    next_client = (db.session.scalar(select(func.max(Client.id))) or 0) + 1
    next_contact = (db.session.scalar(select(func.max(Contact.id))) or 0) + 1
    clients, contacts, links, tagged = [], [], [], []
    for client_id in range(next_client, next_client + size):
        client, people = maker.client(client_id)
        clients.append(client)
        for position, (person, role) in enumerate(people):
            if isinstance(person, int):  # an existing contact shared with another client
                contact_id = person
            else:
                contact_id = person["id"] = next_contact + len(contacts)
                contacts.append(person)
                maker.remember(contact_id)
            links.append({"client_id": client_id, "contact_id": contact_id, "role": role,
                          "is_primary": position == 0})
        tagged += [{"client_id": client_id, "tag_id": t} for t in maker.tags_for()]
    if db.engine.dialect.name == "postgresql":
        for table, rows in ((Client.__table__, clients), (Contact.__table__, contacts),
                            (ClientContact.__table__, links), (client_tags, tagged)):
            _copy(table, rows)
        db.session.commit()
        return
    # Core inserts on the tables: one executemany per key set (the ORM path drops None
    # values from each row, which splits a batch into thousands of single-row statements)
    for rows in ([r for r in clients if "sic_codes" in r], [r for r in clients if "sic_codes" not in r]):
        if rows:
            db.session.execute(insert(Client.__table__), rows)
    for table, rows in ((Contact.__table__, contacts), (ClientContact.__table__, links),
                        (client_tags, tagged)):
        if rows:
            db.session.execute(insert(table), rows)
    db.session.commit()


def _copy(table, rows: list[dict]) -> None:
    """COPY rows into a PostgreSQL table: psycopg's executemany sends one INSERT per row."""
    if not rows:
        return
    keys = set().union(*rows)  # a business without SIC codes leaves the key out: SQL NULL
    columns = [c for c in table.columns if c.key in keys]
    as_json = {c.key for c in columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([json.dumps(v) if c.key in as_json and v is not None else v
                            for c in columns for v in (row.get(c.key),)])


def _sync_sequences() -> None:
    """PostgreSQL sequences do not see explicit ids: move them past the rows just added."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("client", "contact"):
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))
    db.session.commit()


def _ensure_tags() -> list[int]:
    """Ids of the demo tags, creating the missing ones."""
    existing = {t.name: t.id for t in db.session.scalars(select(Tag).where(Tag.name.in_(TAGS)))}
    for name in TAGS:
        if name not in existing:
            tag = Tag(name=name)
            db.session.add(tag)
            db.session.flush()
            existing[name] = tag.id
    db.session.commit()
    return [existing[name] for name in TAGS]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())[:30] or "mail"


class _Maker:
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
            select(User).where(User.active, User.role == "admin"))] or self.users
        self.tag_ids = _ensure_tags()
        self.numbers = set(db.session.scalars(select(Client.company_number).where(
            Client.company_number.is_not(None))))
        self.recent: list[int] = []  # contacts that a later client may share
        self.now = utcnow()

    # Identifiers with valid check digits or formats
    def vat(self) -> str:
        digits = [self.rng.randint(1, 9)] + [self.rng.randint(0, 9) for _ in range(6)]
        total = sum(w * d for w, d in zip((8, 7, 6, 5, 4, 3, 2), digits))
        # Check digits make the weighted sum a multiple of 97 (HMRC's mod-97 rule)
        return "GB" + "".join(map(str, digits)) + f"{-total % 97:02d}"

    def utr(self) -> str:
        body = f"{self.rng.randrange(10 ** 9):09d}"
        return stdnum_utr.calc_check_digit(body) + body

    def ni_number(self) -> str:
        while True:
            prefix = self.rng.choice(NI_LETTERS) + self.rng.choice(NI_LETTERS.replace("O", ""))
            if prefix not in NI_BANNED:
                return f"{prefix}{self.rng.randrange(10 ** 6):06d}{self.rng.choice('ABCD')}"

    def company_number(self, entity: str, area: str) -> str:
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
        town, county, area = town_row or self.rng.choice(TOWNS)
        letters = self.rng.choices(POSTCODE_LETTERS, k=2)
        postcode = f"{area}{self.rng.randint(1, 28)} {self.rng.randint(1, 9)}{''.join(letters)}"
        line2 = f"Unit {self.rng.randint(1, 40)}" if self.rng.random() < 0.15 else None
        return {"line1": f"{self.rng.randint(1, 240)} {self.rng.choice(self.streets)}",
                "line2": line2, "town": town, "county": county, "postcode": postcode,
                "country": "United Kingdom"}

    def phone(self) -> str:
        return f"{self.rng.choice(PHONE_PREFIXES)}{self.rng.randint(0, 999):03d}"

    def moment(self) -> tuple[datetime, datetime]:
        """created_at spread over the last five years, updated_at after it."""
        created = self.now - timedelta(seconds=self.rng.randint(0, 5 * 365 * 86400))
        updated = created + (self.now - created) * self.rng.random() ** 3
        return created, updated

    def person(self, domain: str | None = None, address: dict | None = None) -> dict:
        (first, gender), last = self.rng.choice(self.first), self.rng.choice(self.last)
        domain = domain or self.rng.choice(("example.com", "example.org", "example.net"))
        row = dict.fromkeys(CONTACT_FIELDS)
        row.update({"title": self.rng.choice(TITLES[gender]) if self.rng.random() < 0.6 else None,
               "first_name": first, "last_name": last, "phone": self.phone(),
               "email": f"{_slug(first)}.{_slug(last)}@{domain}"})
        row.update({f"address_{k}": v for k, v in (address or {}).items()})
        created, updated = self.moment()
        return row | {"created_at": created, "updated_at": updated, "version": 1}

    def gender(self, first: str) -> str:
        return self.genders.get(first, "m")

    def middle_name(self, first: str) -> str:
        return self.rng.choice(self.by_gender[self.gender(first)])

    def remember(self, contact_id: int) -> None:
        self.recent.append(contact_id)
        if len(self.recent) > 500:
            del self.recent[:250]

    def tags_for(self) -> list[int]:
        return self.rng.sample(self.tag_ids, self.rng.choice((0, 0, 1, 1, 2, 3)))

    def client(self, client_id: int) -> tuple[dict, list]:
        """One client row and its people: [(contact row or shared contact id, role)], primary first."""
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
        domain = _slug(trading or name) + ".co.uk"
        office = self.address(town_row)
        start = date(rng.choice((1965, 1990, 2005, 2012, 2016)), 1, 1) + \
            timedelta(days=rng.randint(0, 3650))
        start = min(start, date.today() - timedelta(days=400))
        if incorporated:
            # A company's year end is the last day of its incorporation month
            month_end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
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
        owner["email"] = f"{_slug(owner['first_name'])}@{domain}"
        people = [(owner, BUSINESS_ROLES[entity])]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            people.append((self.person(domain), rng.choice(OTHER_ROLES)))
        return people

    def _individual(self, row: dict) -> list:
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
                           email=f"{_slug(partner['first_name'])}.{_slug(me['last_name'])}@example.com")
            people.append((partner, rng.choice(("Spouse", "Partner", "Agent"))))
        return people


# Every column a client row names, so each dict in a batch has the same keys
CLIENT_FIELDS = [c.key for c in Client.__table__.columns]
CONTACT_FIELDS = [c.key for c in Contact.__table__.columns if c.key != "id"]
