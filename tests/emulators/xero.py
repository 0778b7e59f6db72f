"""A Xero emulator: OAuth (rotating single-use refresh tokens), /connections and the Accounting
API's Contacts with Xero's paging, filters, dates, limits and quirks, for tests and offline demos.

    python -m tests.emulators.xero --port 5002 [--generate 5000]

then run Cone with XERO_CLIENT_ID=test-client XERO_CLIENT_SECRET=test-secret and
XERO_AUTHORIZE_URL=http://127.0.0.1:5002/identity/connect/authorize,
XERO_TOKEN_URL=http://127.0.0.1:5002/connect/token,
XERO_REVOKE_URL=http://127.0.0.1:5002/connect/revocation, XERO_API_URL=http://127.0.0.1:5002.

What it reproduces: XML unless Accept: application/json; 403 AuthenticationUnsuccessful for a
tenant the token cannot see; 401 TokenExpired with WWW-Authenticate; page/pageSize (clamped to
1..1000) with pagination.pageCount; where=IsCustomer==true / ContactStatus=="ACTIVE";
includeArchived; If-Modified-Since; "\\/Date(ms+0000)\\/" dates; limit headers on every answer.
Control (no auth): POST /_control/reset; POST /_control/tenants [{tenantId, tenantName}];
POST /_control/contacts {"tenant": id, "contacts": [...]} adds or merges by ContactID (bumping
UpdatedDateUTC); POST /_control/messy adds the recorded-shape contacts of
tests/data/platforms/xero.json (or start it with messy=True / --messy);
POST /_control/generate {"count": N}; POST /_control/rate-limit {"minute": N, "day": N,
"retry_after": 22}; POST /_control/fail {"path": "/api.xro/2.0/Contacts", "status":
503|429|"timeout"|"malformed", "times": 1}; GET /_control/requests; and /_control/oauth (oauth.py).
"""
from __future__ import annotations

import argparse
import calendar
import copy
import json
import re
import threading
import time
import uuid

from flask import Flask, Response, request

from tests.emulators.oauth import OAuthServer, oauth_blueprint
from tests.emulators.xero_data import (BASE_MS, TENANTS, make_contact, generated_contacts,
                                       messy_contacts, sample_contacts)


class State:
    def __init__(self, generate: int = 0, messy: bool = False):
        self.lock, self.generate, self.messy = threading.Lock(), generate, messy
        self.reset()

    def reset(self) -> None:
        self.tenants = copy.deepcopy(TENANTS)
        first = self.tenants[0]["tenantId"]
        self.contacts = {first: sample_contacts() + (messy_contacts() if self.messy else [])
                         + generated_contacts(self.generate)}
        self.requests: list[dict] = []
        self.failures: list[dict] = []
        self.limits = {"minute": 60, "day": 5000, "retry_after": 22}
        self.used: dict[str, list] = {}  # tenant -> [minute start, minute count, day count]
        self.clock = BASE_MS + 10**9


def _ms(contact: dict) -> int:
    match = re.search(r"Date\((-?\d+)", contact.get("UpdatedDateUTC", ""))
    return int(match.group(1)) if match else 0


def _json(body, status: int = 200, headers=None) -> Response:
    # Xero escapes the slashes in its dates: "\/Date(1573755038314+0000)\/".
    text = json.dumps(body, ensure_ascii=False).replace("/", "\\/")
    return Response(text, status, headers=headers or {}, content_type="application/json")


def _where(contacts: list[dict], where: str) -> list[dict]:
    for clause in filter(None, (c.strip() for c in re.split(r"(?i)\s+AND\s+", where))):
        match = re.fullmatch(r'(\w+)\s*==\s*"?([^"]*)"?', clause)
        if not match:
            raise ValueError(clause)
        field, value = match.groups()
        want = {"true": True, "false": False}.get(value.lower(), value)
        contacts = [c for c in contacts if c.get(field) == want]
    return contacts


def create_emulator(generate: int = 0, messy: bool = False) -> Flask:
    """The emulator app; app.config["STATE"] and app.config["OAUTH"] for tests that reach in."""
    app = Flask(__name__)
    state, oauth = State(generate, messy), OAuthServer(access_ttl=1800, rotate=True, grace=1800)
    app.config.update(STATE=state, OAUTH=oauth)
    app.register_blueprint(oauth_blueprint(oauth, authorize="/identity/connect/authorize",
                                           token="/connect/token", revoke="/connect/revocation"))

    def limit_headers(tenant: str) -> dict:
        minute_start, per_minute, per_day = state.used.get(tenant, [0, 0, 0])
        return {"X-MinLimit-Remaining": str(max(state.limits["minute"] - per_minute, 0)),
                "X-DayLimit-Remaining": str(max(state.limits["day"] - per_day, 0)),
                "X-AppMinLimit-Remaining": "9938"}

    def gate(tenant: str | None):
        """Auth, tenant, injected failures and rate limits: a Response to send instead, or None."""
        with state.lock:
            state.requests.append({"path": request.path, "args": request.args.to_dict(),
                                   "tenant": tenant, "accept": request.headers.get("Accept"),
                                   "if_modified_since": request.headers.get("If-Modified-Since"),
                                   "authorization": request.headers.get("Authorization")})
            fail = next((f for f in state.failures if request.path.startswith(f["path"])), None)
            if fail:
                fail["times"] -= 1
                if fail["times"] <= 0:
                    state.failures.remove(fail)
        if oauth.bearer(request) is None:
            return _json({"Type": None, "Title": "Unauthorized", "Status": 401,
                          "Detail": "TokenExpired: token expired", "Instance": str(uuid.uuid4())},
                         401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if tenant is not None and tenant not in state.contacts:
            return _json({"Type": None, "Title": "Forbidden", "Status": 403,
                          "Detail": "AuthenticationUnsuccessful",
                          "Instance": str(uuid.uuid4())}, 403)
        if fail:
            status = fail["status"]
            if status == "timeout":
                time.sleep(float(fail.get("seconds", 3)))
            elif status == "malformed":
                return Response('{"Contacts": [', 200, content_type="application/json")
            elif status == 429:
                return Response("", 429, {"Retry-After": str(fail.get("retry_after", 1)),
                                          "X-Rate-Limit-Problem": fail.get("problem", "minute"),
                                          **limit_headers(tenant or "")})
            else:
                return Response("Service unavailable", int(status))
        if tenant:
            with state.lock:
                now = time.time()
                used = state.used.setdefault(tenant, [now, 0, 0])
                if now - used[0] >= 60:
                    used[0], used[1] = now, 0
                if used[2] >= state.limits["day"] or used[1] >= state.limits["minute"]:
                    problem = "day" if used[2] >= state.limits["day"] else "minute"
                    return Response("", 429, {"Retry-After": str(state.limits["retry_after"]),
                                              "X-Rate-Limit-Problem": problem,
                                              **limit_headers(tenant)})
                used[1] += 1
                used[2] += 1
        return None

    @app.get("/connections")
    def connections():
        refused = gate(None)
        if refused:
            return refused
        return _json([{"id": str(uuid.uuid5(uuid.NAMESPACE_URL, t["tenantId"])),
                       "authEventId": str(uuid.uuid4()), "tenantId": t["tenantId"],
                       "tenantType": "ORGANISATION", "tenantName": t.get("tenantName"),
                       "createdDateUtc": "2026-01-01T00:00:00.0000000",
                       "updatedDateUtc": "2026-01-01T00:00:00.0000000"} for t in state.tenants])

    def answer(tenant: str, body: dict) -> Response:
        envelope = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "Cone",
                    "DateTimeUTC": f"/Date({int(time.time() * 1000)})/", **body}
        if "application/json" not in request.headers.get("Accept", ""):
            xml = "<Response><Status>OK</Status><Contacts /></Response>"
            return Response(xml, 200, limit_headers(tenant), content_type="text/xml")
        return _json(envelope, headers=limit_headers(tenant))

    @app.get("/api.xro/2.0/Contacts")
    def contacts():
        tenant = request.headers.get("xero-tenant-id", "")
        refused = gate(tenant)
        if refused:
            return refused
        with state.lock:
            rows = sorted(state.contacts[tenant], key=lambda c: (_ms(c), c["ContactID"]))
        args = request.args
        if args.get("includeArchived", "").lower() != "true":
            rows = [c for c in rows if c.get("ContactStatus") != "ARCHIVED"]
        try:
            rows = _where(rows, args.get("where", ""))
        except ValueError:
            return _json({"ErrorNumber": 10, "Type": "ValidationException",
                          "Message": "A validation exception occurred", "Elements": []}, 400)
        since = request.headers.get("If-Modified-Since")
        if since:
            stamp = calendar.timegm(time.strptime(since[:19], "%Y-%m-%dT%H:%M:%S"))
            rows = [c for c in rows if _ms(c) > stamp * 1000]
        if "page" not in args:  # without paging Xero leaves out the heavier members
            rows = [{k: v for k, v in c.items() if k not in ("ContactPersons", "Addresses")}
                    for c in rows]
            return answer(tenant, {"Contacts": rows})
        page = max(int(args.get("page", 1)), 1)
        size = min(max(int(args.get("pageSize", 100)), 1), 1000)
        count = -(-len(rows) // size)
        return answer(tenant, {"pagination": {"page": page, "pageSize": size,
                                              "pageCount": count, "itemCount": len(rows)},
                               "Contacts": rows[(page - 1) * size: page * size]})

    @app.get("/api.xro/2.0/Contacts/<contact_id>")
    def contact(contact_id):
        tenant = request.headers.get("xero-tenant-id", "")
        refused = gate(tenant)
        if refused:
            return refused
        found = [c for c in state.contacts[tenant] if c["ContactID"] == contact_id]
        if not found:
            return _json({"Title": "Not Found", "Status": 404,
                          "Detail": "Resource not found"}, 404)
        return answer(tenant, {"Contacts": found})

    register_control(app, state, oauth)
    return app


def register_control(app: Flask, state: State, oauth: OAuthServer) -> None:
    """The /_control endpoints tests and demos use to shape the emulator."""

    def body():
        return request.get_json(force=True, silent=True) or {}

    @app.post("/_control/reset")
    def control_reset():
        state.reset()
        oauth.reset()
        return _json({"ok": True})

    @app.post("/_control/tenants")
    def control_tenants():
        with state.lock:
            state.tenants = body()
            for t in state.tenants:
                state.contacts.setdefault(t["tenantId"], [])
        return _json({"ok": True})

    @app.post("/_control/contacts")
    def control_contacts():
        data = body()
        with state.lock:
            rows = state.contacts.setdefault(data.get("tenant") or state.tenants[0]["tenantId"], [])
            by_id = {c["ContactID"]: c for c in rows}
            for incoming in data.get("contacts", []):
                state.clock += 60_000
                stamp = {"UpdatedDateUTC": f"/Date({state.clock}+0000)/"}
                if incoming.get("ContactID") in by_id:
                    by_id[incoming["ContactID"]].update({**incoming, **stamp})
                else:
                    base = make_contact(len(rows) + 10**6, incoming.get("Name", "New"))
                    rows.append({**base, **incoming, **stamp})
        return _json({"ok": True})

    @app.post("/_control/messy")
    def control_messy():
        """Add the recorded-shape contacts (tests/data/platforms/xero.json) to the first
        organisation, once."""
        with state.lock:
            rows = state.contacts[state.tenants[0]["tenantId"]]
            known = {c["ContactID"] for c in rows}
            rows += [c for c in messy_contacts() if c["ContactID"] not in known]
        return _json({"ok": True})

    @app.post("/_control/generate")
    def control_generate():
        with state.lock:
            tenant = state.tenants[0]["tenantId"]
            state.contacts[tenant] += generated_contacts(int(body()["count"]),
                                                        start=len(state.contacts[tenant]) + 1000)
        return _json({"ok": True})

    @app.post("/_control/rate-limit")
    def control_rate():
        with state.lock:
            state.limits.update(body())
            state.used.clear()
        return _json({"ok": True})

    @app.post("/_control/fail")
    def control_fail():
        with state.lock:
            state.failures.append({"times": 1, **body()})
        return _json({"ok": True})

    @app.get("/_control/requests")
    def control_requests():
        with state.lock:
            return _json(list(state.requests))


def main() -> None:
    parser = argparse.ArgumentParser(description="Xero Accounting API emulator")
    parser.add_argument("--port", type=int, default=5002)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--generate", type=int, default=0, help="extra generated contacts")
    parser.add_argument("--messy", action="store_true",
                        help="add the recorded-shape contacts of tests/data/platforms/xero.json")
    args = parser.parse_args()
    app = create_emulator(args.generate, messy=args.messy)
    print(f"Xero emulator on http://{args.host}:{args.port} "
          "(client id test-client, secret test-secret)")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
