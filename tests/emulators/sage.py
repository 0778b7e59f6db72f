"""A Sage Business Cloud Accounting v3.1 emulator: OAuth, businesses, contacts, paging and faults.

    python -m tests.emulators.sage --port 5004 [--generate 5000]

then run Cone with SAGE_CLIENT_ID=test-client SAGE_CLIENT_SECRET=test-secret
SAGE_AUTHORIZE_URL=http://127.0.0.1:5004/oauth2/auth/central?filter=apiv3.1
SAGE_TOKEN_URL=http://127.0.0.1:5004/token SAGE_REVOKE_URL=http://127.0.0.1:5004/revoke
SAGE_API_URL=http://127.0.0.1:5004/v3.1

What it reproduces: client credentials in the token request body only, 300-second access
tokens and single-use rotating refresh tokens; GET /v3.1/businesses (three businesses) and
/businesses/lead; GET /v3.1/contacts with X-Business (the lead business without it, 403 for a
business the user cannot reach), contact_type_id, updated_or_created_since (inclusive),
deleted_since (only contacts deleted after it), exclude_system, email, search, attributes=all
(else items are {id, displayed_as, $path}), nested_attributes=all (else addresses and people are
references), page and items_per_page (default 20, max 200; a page past the end repeats the last)
with $total/$page/$next/$back; GET /v3.1/contacts/<id>; 429 with Retry-After past 200 calls a
minute; inactive, deleted, system (HMRC) and vendor contacts, unicode names, missing e-mails.
Control (no auth): POST /_control/reset; POST /_control/generate {"count": 5000};
POST /_control/contacts {"contacts": [raw JSON...], "business": id} adds records exactly as
given; POST /_control/contacts/<id> merges members and bumps updated_at; plus the controls of
tests/emulators/faults.py and oauth.py.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import random
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from flask import Flask, jsonify, request

from tests.emulators.faults import Faults, control_blueprint
from tests.emulators.oauth import OAuthServer, oauth_blueprint

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
                registered_number="01234567", tax_number="GB123456789",
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
        out.append(contact(n, name, person={"name": fake.name(),
                                            "telephone": fake.phone_number()},
                           address=_address(n, fake.street_address(), fake.city(),
                                            fake.postcode()), **members))
    return out


def _reference(value: dict | None) -> dict | None:
    """What a nested object looks like without nested_attributes=all."""
    if not isinstance(value, dict):
        return value
    return {"id": value.get("id"), "displayed_as": value.get("displayed_as") or value.get("name"),
            "$path": value.get("$path", f"/objects/{value.get('id')}")}


def _errors(status: int) -> list[dict]:
    messages = {401: ("UNAUTHORIZED", "Unauthorized"), 403: ("AccessDenied", "Access denied"),
                404: ("RecordNotFound", "Resource not found"),
                429: ("TooManyRequests", "Rate limit exceeded")}
    code, text = messages.get(status, ("InternalError", "Internal server error"))
    return [{"$severity": "error", "$dataCode": code, "$message": text, "$source": ""}]


def create_emulator(*, client_id: str = "test-client", client_secret: str = "test-secret",
                    generate: int = 0) -> Flask:
    """The emulator app; app.config["STATE"], ["OAUTH"] and ["FAULTS"] for tests reaching in."""
    app = Flask(__name__)
    app.json.sort_keys = False
    lock = threading.Lock()
    state: dict = {}
    oauth = OAuthServer(client_id=client_id, client_secret=client_secret, client_auth=("post",),
                        access_ttl=300, rotate=True, refresh_ttl=2678400,
                        refresh_expiry_field="refresh_token_expires_in", pkce="unsupported")
    faults = Faults(limit=200, window=60, error_body=_errors)
    app.config.update(STATE=state, OAUTH=oauth, FAULTS=faults)
    app.register_blueprint(oauth_blueprint(oauth, authorize="/oauth2/auth/central",
                                           token="/token", revoke="/revoke"))
    app.register_blueprint(control_blueprint(faults, "faults"))

    def reset():
        with lock:
            state.clear()
            state.update(contacts=sample_contacts(), max_page=200)

    reset()
    if generate:
        state["contacts"][LEAD] += generated_contacts(generate)

    def fail(status: int):
        return jsonify(_errors(status)), status

    @app.before_request
    def gate():
        if not request.path.startswith("/v3.1/"):
            return None
        refused = faults.gate()
        if refused is not None:
            return refused
        if oauth.bearer(request) is None:
            return fail(401)
        business = request.headers.get("X-Business") or LEAD
        if business not in state["contacts"]:
            return fail(403)
        request.environ["sage.business"] = business
        return None

    @app.get("/v3.1/businesses")
    def businesses():
        items = [{**b, "displayed_as": b["name"], "$path": f"/businesses/{b['id']}"}
                 for b in BUSINESSES]
        return jsonify({"$total": len(items), "$page": 1, "$next": None, "$back": None,
                        "$items_per_page": 2147483647, "$items": items})

    @app.get("/v3.1/businesses/lead")
    def lead():
        return jsonify({**BUSINESSES[0], "displayed_as": BUSINESSES[0]["name"],
                        "$path": f"/businesses/{LEAD}"})

    @app.get("/v3.1/contacts")
    def contacts():
        args = request.args
        try:
            size = min(max(int(args.get("items_per_page", 20)), 1), 200, state["max_page"])
            page = max(int(args.get("page", 1)), 1)
        except ValueError:
            return fail(400)
        with lock:
            rows = [c for c in state["contacts"][request.environ["sage.business"]]
                    if _matches(c, args)]
            rows = copy.deepcopy(rows)
        pages = max((len(rows) + size - 1) // size, 1)
        page = min(page, pages)  # Sage answers a page past the end with the last page
        chunk = [_shape(c, args) for c in rows[(page - 1) * size:page * size]]
        return jsonify({"$total": len(rows), "$page": page,
                        "$next": _link(page + 1, size) if page < pages else None,
                        "$back": _link(page - 1, size) if page > 1 else None,
                        "$itemsPerPage": size, "$items": chunk})

    @app.get("/v3.1/contacts/<ident>")
    def one(ident):
        with lock:
            found = next((c for c in state["contacts"][request.environ["sage.business"]]
                          if c["id"] == ident and not c.get("deleted_at")), None)
            found = copy.deepcopy(found)
        if found is None:
            return fail(404)
        if request.args.get("nested_attributes") != "all":
            for key in ("main_address", "delivery_address", "main_contact_person"):
                found[key] = _reference(found[key])
        return jsonify(found)

    @app.post("/_control/reset")
    def control_reset():
        reset()
        faults.reset()
        oauth.reset()
        return jsonify({"ok": True})

    @app.post("/_control/generate")
    def control_generate():
        extra = generated_contacts(int(request.get_json(force=True)["count"]))
        with lock:
            state["contacts"][LEAD] += extra
        return jsonify({"ok": True, "total": len(state["contacts"][LEAD])})

    @app.post("/_control/contacts")
    def control_add():
        body = request.get_json(force=True)
        with lock:
            state["contacts"][body.get("business", LEAD)] += body["contacts"]
        return jsonify({"ok": True})

    @app.post("/_control/contacts/<ident>")
    def control_update(ident):
        members = request.get_json(force=True)
        with lock:
            found = next((c for rows in state["contacts"].values() for c in rows
                          if isinstance(c, dict) and c.get("id") == ident), None)
            if found is None:
                return fail(404)
            found.update(members)
            found["updated_at"] = stamp(datetime.now(timezone.utc))
        return jsonify({"ok": True})

    @app.post("/_control/page-size")
    def control_page():
        with lock:
            state["max_page"] = int(request.get_json(force=True)["max"])
        return jsonify({"ok": True})

    return app


def _matches(c, args) -> bool:
    """The list filters; records that are not even objects pass (they test the reader)."""
    if not isinstance(c, dict):
        return "deleted_since" not in args
    if args.get("deleted_since"):
        return bool(c.get("deleted_at")) and c["deleted_at"] > _norm(args["deleted_since"])
    if c.get("deleted_at"):
        return False
    wanted = args.get("contact_type_id")
    if wanted and wanted not in [t.get("id") for t in c.get("contact_types") or []]:
        return False
    since = args.get("updated_or_created_since")
    if since and max(c.get("updated_at") or "", c.get("created_at") or "") < _norm(since):
        return False
    if args.get("exclude_system") == "true" and c.get("system"):
        return False
    if args.get("email") and (c.get("email") or "").casefold() != args["email"].casefold():
        return False
    needle = (args.get("search") or "").casefold()
    return not needle or needle in f"{c.get('name')} {c.get('reference')}".casefold()


def _shape(c, args):
    """Trim an item to what the request's attributes / nested_attributes ask for."""
    if not isinstance(c, dict):
        return c
    if args.get("deleted_since"):
        return {"id": c.get("id"), "displayed_as": c.get("displayed_as"),
                "$path": c.get("$path"), "deleted_at": c.get("deleted_at")}
    if args.get("attributes") != "all":
        return {"id": c.get("id"), "displayed_as": c.get("displayed_as"), "$path": c.get("$path")}
    if args.get("nested_attributes") != "all":
        for key in ("main_address", "delivery_address", "main_contact_person"):
            c[key] = _reference(c.get(key))
    return c


def _norm(text: str) -> str:
    try:
        return stamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return text


def _link(page: int, size: int) -> str:
    """$next / $back as Sage writes them: relative, page and size only."""
    return "/contacts?" + urlencode({"page": page, "items_per_page": size})


def main() -> None:
    parser = argparse.ArgumentParser(description="Sage Business Cloud Accounting API emulator")
    parser.add_argument("--port", type=int, default=5004)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--generate", type=int, default=0, help="extra generated customers")
    args = parser.parse_args()
    app = create_emulator(generate=args.generate)
    print(f"Sage emulator on http://{args.host}:{args.port}/v3.1 "
          "(client id test-client, secret test-secret)")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
