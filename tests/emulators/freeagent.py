"""A FreeAgent API v2 emulator: OAuth, contacts with views, paging, Link headers and faults.

    python -m tests.emulators.freeagent --port 5003 [--generate 5000]

then run Cone with FREEAGENT_CLIENT_ID=test-client FREEAGENT_CLIENT_SECRET=test-secret
FREEAGENT_AUTHORIZE_URL=http://127.0.0.1:5003/v2/approve_app
FREEAGENT_TOKEN_URL=http://127.0.0.1:5003/v2/token_endpoint
FREEAGENT_API_URL=http://127.0.0.1:5003/v2

What it reproduces: GET /v2/contacts with view (active by default, all, clients, suppliers,
hidden), sort, updated_since, page and per_page (default 25, max 100), a Link header with
prev/next/first/last (an empty string when everything fits one page) and X-Total-Count;
GET /v2/contacts/<id>; GET /v2/company; 401 for a missing, expired or revoked token; 429 with
Retry-After past 120 requests a minute; organisation-only and person-only contacts, unicode
names, missing e-mails, hidden (archived) contacts and suppliers.
Control (no auth): POST /_control/reset; POST /_control/generate {"count": 5000};
POST /_control/contacts {"contacts": [raw JSON...], "role": "client"} adds records exactly as
given (malformed ones too); POST /_control/contacts/<id> merges members and bumps updated_at;
POST /_control/page-size {"max": 2}; POST /_control/messy adds the recorded-shape contacts of
tests/data/platforms/freeagent.json (or messy=True); plus tests/emulators/faults.py and
oauth.py controls.
"""
from __future__ import annotations

import argparse
import copy
import random
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request

from tests.emulators.faults import Faults, control_blueprint
from tests.emulators.freeagent_data import messy_contacts
from tests.emulators.oauth import OAuthServer, oauth_blueprint

VIEWS = {"active", "all", "clients", "suppliers", "hidden", "active_projects",
         "completed_projects", "open_clients", "open_suppliers"}
EPOCH = datetime(2024, 1, 1, 9, 0, tzinfo=timezone.utc)


def stamp(moment: datetime) -> str:
    """FreeAgent's timestamps: UTC with milliseconds and Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _contact(n: int, role: str = "client", **members) -> dict:
    moment = stamp(EPOCH + timedelta(days=n))
    body = {"url": f"https://api.freeagent.com/v2/contacts/{n}", "status": "Active",
            "locale": "en", "account_balance": "0.0", "charge_sales_tax": "Auto",
            "uses_contact_invoice_sequence": False, "active_projects_count": 0,
            "created_at": moment, "updated_at": moment, **members}
    return {"role": role, "body": {k: v for k, v in body.items() if v is not None}}


def sample_contacts() -> list[dict]:
    """The fixed records: one of each shape the adapter must read."""
    return [
        _contact(101, organisation_name="Acme Widgets Ltd", first_name="Jane", last_name="Doe",
                 email="accounts@acme.example", phone_number="020 7946 0000",
                 address1="1 High Street", address2="Floor 2", address3="Unit 4",
                 town="London", region="Greater London", postcode="EC1A 1BB",
                 country="United Kingdom", sales_tax_registration_number="GB123456782"),
        _contact(102, first_name="Siobhán", last_name="Ó Briain", town="Dublin",
                 country="Ireland"),
        _contact(103, organisation_name="Zürich Café Ltd", billing_email="billing@cafe.example",
                 mobile="07700 900123", postcode="M1 1AE", country="United Kingdom"),
        _contact(104, organisation_name="Old Mill Bakery", status="Hidden",
                 email="mill@bakery.example"),
        _contact(105, role="supplier", organisation_name="Office Landlord Ltd",
                 email="rent@landlord.example"),
        _contact(106, role="none", first_name="Priya", last_name="Patel",
                 email="priya@example.com"),
    ]


def generated_contacts(count: int, seed: int = 7) -> list[dict]:
    """count more contacts: mostly organisations, some people, hidden ones, no e-mail."""
    from faker import Faker
    fake, rng = Faker("en_GB"), random.Random(seed)
    Faker.seed(seed)
    out = []
    for i in range(count):
        n = 1000 + i
        members = {"address1": fake.street_address().replace("\n", ", "), "town": fake.city(),
                   "postcode": fake.postcode(), "country": "United Kingdom",
                   "phone_number": fake.phone_number()}
        if rng.random() < 0.7:
            members["organisation_name"] = f"{fake.company()} {n}"
        if rng.random() < 0.6 or "organisation_name" not in members:
            members.update(first_name=fake.first_name(), last_name=f"{fake.last_name()}-{n}")
        if rng.random() < 0.9:
            members["email"] = f"contact{n}@example.org"
        if rng.random() < 0.05:
            members["status"] = "Hidden"
        role = "supplier" if rng.random() < 0.1 else "client"
        out.append(_contact(n, role=role, **members))
    return out


def _member(c: dict, name: str) -> str:
    """A member as text; records added raw may not even be objects."""
    body = c["body"]
    return str(body.get(name) or "") if isinstance(body, dict) else ""


def _sort_key(sort: str):
    name = sort.lstrip("-")
    if name in ("created_at", "updated_at"):
        return lambda c: (_member(c, name), _id(c))
    return lambda c: (_member(c, "organisation_name").casefold(),
                      _member(c, "last_name").casefold(),
                      _member(c, "first_name").casefold(), _id(c))


def _id(c: dict) -> int:
    tail = _member(c, "url").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _in_view(c: dict, view: str) -> bool:
    hidden = _member(c, "status").casefold() == "hidden"
    if view == "all":
        return True
    if view == "hidden":
        return hidden
    if view in ("clients", "open_clients"):
        return c["role"] == "client"  # status is a separate filter: hidden clients included
    if view in ("suppliers", "open_suppliers"):
        return c["role"] == "supplier"
    return not hidden


def _error(status: int) -> dict:
    messages = {401: "Access token not recognised", 404: "Resource not found",
                429: "Rate limit exceeded", 400: "Bad request"}
    return {"errors": {"error": {"message": messages.get(status, "Internal server error")}}}


class State:
    def __init__(self, messy: bool = False):
        self.lock, self.messy = threading.Lock(), messy
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.contacts = sample_contacts() + (messy_contacts() if self.messy else [])
            self.max_page = 100


def create_emulator(*, client_id: str = "test-client", client_secret: str = "test-secret",
                    generate: int = 0, messy: bool = False) -> Flask:
    """The emulator app; app.config["STATE"], ["OAUTH"] and ["FAULTS"] for tests reaching in."""
    app = Flask(__name__)
    app.json.sort_keys = False
    state = State(messy)
    oauth = OAuthServer(client_id=client_id, client_secret=client_secret, access_ttl=3600,
                        rotate=True, refresh_expiry_field="refresh_token_expires_in",
                        refresh_ttl=20 * 365 * 86400, pkce="unsupported")
    faults = Faults(limit=120, window=60, error_body=_error)
    app.config.update(STATE=state, OAUTH=oauth, FAULTS=faults)
    app.register_blueprint(oauth_blueprint(oauth, authorize="/v2/approve_app",
                                           token="/v2/token_endpoint", revoke=None))
    app.register_blueprint(control_blueprint(faults, "faults"))
    if generate:
        state.contacts += generated_contacts(generate)

    def _fail(status: int, **headers) -> Response:
        resp = jsonify(_error(status))
        resp.status_code = status
        resp.headers.update(headers)
        return resp

    @app.before_request
    def gate():
        if not request.path.startswith("/v2/") or request.path in (
                "/v2/approve_app", "/v2/token_endpoint"):
            return None
        if not request.headers.get("User-Agent"):
            return _fail(400)  # FreeAgent insists on a User-Agent
        refused = faults.gate()
        if refused is not None:
            return refused
        if oauth.bearer(request) is None:
            return _fail(401, **{"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return None

    @app.get("/v2/company")
    def company():
        return jsonify({"company": {"url": "https://api.freeagent.com/v2/company",
                                    "name": "Emulated Practice Ltd", "subdomain": "emulated",
                                    "type": "UkLimitedCompany", "currency": "GBP"}})

    @app.get("/v2/contacts")
    def contacts():
        args = request.args
        view, sort = args.get("view", "active"), args.get("sort", "name")
        if view not in VIEWS:
            return _fail(400)
        try:
            page = max(int(args.get("page", 1)), 1)
            per_page = min(max(int(args.get("per_page", 25)), 1), 100, state.max_page)
        except ValueError:
            return _fail(400)
        since = args.get("updated_since")
        with state.lock:
            rows = [c for c in state.contacts if _in_view(c, view)
                    and (not since or _member(c, "updated_at") >= _since(since))]
        rows.sort(key=_sort_key(sort), reverse=sort.startswith("-"))
        pages = max((len(rows) + per_page - 1) // per_page, 1)
        chunk = [copy.deepcopy(c["body"]) for c in rows[(page - 1) * per_page:page * per_page]]
        resp = jsonify({"contacts": chunk})
        resp.headers["X-Total-Count"] = str(len(rows))
        resp.headers["Link"] = _links(page, pages) if pages > 1 else ""
        return resp

    @app.get("/v2/contacts/<int:ident>")
    def contact(ident):
        with state.lock:
            found = next((c for c in state.contacts if _id(c) == ident), None)
        if found is None:
            return _fail(404)
        return jsonify({"contact": copy.deepcopy(found["body"])})

    @app.post("/_control/reset")
    def control_reset():
        state.reset()
        faults.reset()
        oauth.reset()
        return jsonify({"ok": True})

    @app.post("/_control/generate")
    def control_generate():
        extra = generated_contacts(int(request.get_json(force=True)["count"]))
        with state.lock:
            state.contacts += extra
        return jsonify({"ok": True, "total": len(state.contacts)})

    @app.post("/_control/messy")
    def control_messy():
        """Add the recorded-shape contacts (tests/data/platforms/freeagent.json), once."""
        with state.lock:
            known = {_id(c) for c in state.contacts}
            state.contacts += [c for c in messy_contacts() if _id(c) not in known]
        return jsonify({"ok": True})

    @app.post("/_control/contacts")
    def control_add():
        body = request.get_json(force=True)
        with state.lock:
            state.contacts += [{"role": body.get("role", "client"), "body": raw}
                               for raw in body["contacts"]]
        return jsonify({"ok": True})

    @app.post("/_control/contacts/<int:ident>")
    def control_update(ident):
        members = request.get_json(force=True)
        with state.lock:
            found = next((c for c in state.contacts if _id(c) == ident), None)
            if found is None:
                return _fail(404)
            found["body"].update(members)
            found["body"]["updated_at"] = stamp(datetime.now(timezone.utc))
        return jsonify({"ok": True})

    @app.post("/_control/page-size")
    def control_page():
        with state.lock:
            state.max_page = int(request.get_json(force=True)["max"])
        return jsonify({"ok": True})

    return app


def _since(text: str) -> str:
    """updated_since in the stored format, so plain text comparison orders correctly."""
    try:
        return stamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return text


def _links(page: int, pages: int) -> str:
    """The Link header: absolute URLs carrying every query parameter but the page."""
    base = request.base_url
    args = {k: v for k, v in request.args.items() if k != "page"}

    def link(number: int, rel: str) -> str:
        return f'<{base}?{urlencode({**args, "page": number})}>; rel="{rel}"'
    parts = []
    if page > 1:
        parts.append(link(page - 1, "prev"))
    if page < pages:
        parts.append(link(page + 1, "next"))
    parts += [link(1, "first"), link(pages, "last")]
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description="FreeAgent API emulator")
    parser.add_argument("--port", type=int, default=5003)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--generate", type=int, default=0, help="extra generated contacts")
    parser.add_argument("--messy", action="store_true", help="add the recorded-shape "
                        "contacts of tests/data/platforms/freeagent.json")
    args = parser.parse_args()
    app = create_emulator(generate=args.generate, messy=args.messy)
    print(f"FreeAgent emulator on http://{args.host}:{args.port}/v2 "
          "(client id test-client, secret test-secret)")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
