"""A QuickBooks Online emulator: OAuth (realmId on the callback, x_refresh_token_expires_in) and
the query endpoint for Customer with the query language, paging, faults and throttling.

    python -m tests.emulators.quickbooks --port 5003 [--generate 5000]

then run Cone with QUICKBOOKS_CLIENT_ID=test-client QUICKBOOKS_CLIENT_SECRET=test-secret and
QUICKBOOKS_AUTHORIZE_URL=http://127.0.0.1:5003/connect/oauth2,
QUICKBOOKS_TOKEN_URL=http://127.0.0.1:5003/oauth2/v1/tokens/bearer,
QUICKBOOKS_REVOKE_URL=http://127.0.0.1:5003/oauth2/v1/tokens/revoke,
QUICKBOOKS_API_URL=http://127.0.0.1:5003.

Query language subset: select * | count(*) from Customer [where A and B …] [orderby F [asc|desc]]
[startposition n] [maxresults m], conditions `Active = true|false`, `Active IN (true, false)`,
`MetaData.LastUpdatedTime > 'ISO'`, `Id = '7'`, `DisplayName = 'x'` (backslash escapes). Only
active customers unless Active is mentioned; maxResults in the answer is the number returned.
Control (no auth): POST /_control/reset; POST /_control/customers [...] adds or merges by Id;
POST /_control/messy adds the recorded-shape customers (tests/data/platforms/quickbooks.json);
POST /_control/generate {"count": N}; POST /_control/rate-limit {"minute": N};
POST /_control/fail {"path": "/v3/company", "status": 503|429|"timeout"|"malformed"};
GET /_control/requests; and /_control/oauth (oauth.py).
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import threading
import time
from datetime import datetime, timedelta, timezone

from flask import Flask, Response, request

from tests.emulators.oauth import OAuthServer, oauth_blueprint
from tests.emulators.quickbooks_data import (make_customer, generated_customers, messy_customers,
                                             sample_customers)

REALM = "9130350000000001"
QUERY = re.compile(r"select\s+(\*|count\(\*\))\s+from\s+(\w+)(?:\s+where\s+(.*?))?"
                   r"(?:\s+orderby\s+([\w.]+)(?:\s+(asc|desc))?)?(?:\s+startposition\s+(\d+))?"
                   r"(?:\s+maxresults\s+(\d+))?\s*$", re.I | re.S)
CONDITION = re.compile(r"([\w.]+)\s*(=|>|<|>=|<=|in)\s*(\(.*?\)|'(?:[^'\\]|\\.)*'|\w+)", re.I)


class State:
    def __init__(self, generate: int = 0, messy: bool = False):
        self.lock, self.generate, self.messy = threading.Lock(), generate, messy
        self.reset()

    def reset(self) -> None:
        self.realm, self.company_name = REALM, "Sandbox Company_GB_1"
        self.customers = (sample_customers() + (messy_customers() if self.messy else [])
                          + generated_customers(self.generate))
        self.requests: list[dict] = []
        self.failures: list[dict] = []
        self.per_minute, self.used = 500, [0.0, 0]
        self.clock = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _json(body, status: int = 200, headers=None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status, headers=headers or {},
                    content_type="application/json")


def _fault(status: int, message: str, detail: str, code: str, kind: str) -> Response:
    return _json({"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code}],
                            "type": kind}, "time": datetime.now(timezone.utc).isoformat()}, status)


def _value(token: str):
    if token.startswith("'"):
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return {"true": True, "false": False}.get(token.lower(), token)


def _matches(row: dict, field: str, op: str, raw: str) -> bool:
    if field.lower() == "metadata.lastupdatedtime":
        have = datetime.fromisoformat(row["MetaData"]["LastUpdatedTime"])
        want = datetime.fromisoformat(_value(raw))
        if want.tzinfo is None:
            want = want.replace(tzinfo=timezone.utc)
        return {">": have > want, "<": have < want, ">=": have >= want, "<=": have <= want,
                "=": have == want}[op]
    have = row.get(field)
    if op.lower() == "in":
        return have in [_value(v.strip()) for v in raw.strip("()").split(",")]
    return op == "=" and str(have).lower() == str(_value(raw)).lower()


def run_query(state: State, text: str) -> dict:
    """The QueryResponse for one query; ValueError for anything this subset cannot parse."""
    match = QUERY.match(text.strip())
    if not match or match.group(2).lower() != "customer":
        raise ValueError(text)
    what, _, where, order, direction, start, limit = match.groups()
    conditions = [c.strip() for c in re.split(r"\s+and\s+", where or "", flags=re.I) if c.strip()]
    rows = list(state.customers)
    if not any(c.lower().startswith("active") for c in conditions):
        rows = [r for r in rows if r.get("Active", True)]
    for clause in conditions:
        parsed = CONDITION.fullmatch(clause)
        if not parsed:
            raise ValueError(clause)
        rows = [r for r in rows if _matches(r, *parsed.groups())]
    if what.lower() != "*":
        return {"totalCount": len(rows)}
    key = order or "Id"
    rows.sort(key=lambda r: int(r["Id"]) if key == "Id" else str(r.get(key, "")),
              reverse=(direction or "").lower() == "desc")
    first, size = max(int(start or 1), 1), min(int(limit or 100), 1000)
    page = rows[first - 1: first - 1 + size]
    return {"Customer": page, "startPosition": first, "maxResults": len(page)} if page else {}


def create_emulator(generate: int = 0, messy: bool = False) -> Flask:
    """The emulator app; app.config["STATE"] and app.config["OAUTH"] for tests that reach in."""
    app = Flask(__name__)
    state = State(generate, messy)
    oauth = OAuthServer(access_ttl=3600, rotate=True, refresh_ttl=8_726_400,
                        refresh_expiry_field="x_refresh_token_expires_in",
                        callback_params=lambda: {"realmId": state.realm})
    app.config.update(STATE=state, OAUTH=oauth)
    app.register_blueprint(oauth_blueprint(oauth, authorize="/connect/oauth2",
                                           token="/oauth2/v1/tokens/bearer",
                                           revoke="/oauth2/v1/tokens/revoke"))

    def gate(realm: str):
        with state.lock:
            state.requests.append({"path": request.path, "args": request.args.to_dict(),
                                   "authorization": request.headers.get("Authorization")})
            fail = next((f for f in state.failures if request.path.startswith(f["path"])), None)
            if fail:
                fail["times"] -= 1
                if fail["times"] <= 0:
                    state.failures.remove(fail)
        if oauth.bearer(request) is None:
            return _json({"warnings": None, "fault": {"error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Token expired: the access token is not valid", "code": "3200"}],
                "type": "AUTHENTICATION"}, "report": None, "time": int(time.time() * 1000)}, 401)
        if realm != state.realm:
            return _fault(403, "message=ApplicationAuthorizationFailed; errorCode=003100",
                          "The token is not authorised for this company.", "003100",
                          "AUTHORIZATION")
        minor = request.args.get("minorversion")
        if minor is not None and (not minor.isdigit() or int(minor) < 75):
            return _fault(400, "Invalid minor version", "Minor version 75 or later is required",
                          "2130", "ValidationFault")
        throttled = _fault(429, "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                           "The request limit was reached.", "003001", "SERVICE")
        if fail:
            if fail["status"] == "timeout":
                time.sleep(float(fail.get("seconds", 3)))
            elif fail["status"] == "malformed":
                return Response('{"QueryResponse": {"Customer": [', 200,
                                content_type="application/json")
            elif fail["status"] == 429:
                return throttled
            else:
                return Response("Service Unavailable", int(fail["status"]))
        with state.lock:
            now = time.time()
            if now - state.used[0] >= 60:
                state.used = [now, 0]
            if state.used[1] >= state.per_minute:
                return throttled
            state.used[1] += 1
        return None

    @app.route("/v3/company/<realm>/query", methods=["GET", "POST"])
    def query(realm):
        refused = gate(realm)
        if refused:
            return refused
        text = request.args.get("query") or request.get_data(as_text=True)
        try:
            with state.lock:
                result = run_query(state, text)
        except ValueError:
            return _fault(400, "Error parsing query", f"QueryParserError: {text[:200]}",
                          "4000", "ValidationFault")
        return _json({"QueryResponse": result, "time": datetime.now(timezone.utc).isoformat()})

    @app.get("/v3/company/<realm>/companyinfo/<ident>")
    def company_info(realm, ident):
        refused = gate(realm)
        if refused:
            return refused
        return _json({"CompanyInfo": {"Id": "1", "CompanyName": state.company_name,
                                      "Country": "GB"},
                      "time": datetime.now(timezone.utc).isoformat()})

    @app.get("/v3/company/<realm>/customer/<ident>")
    def customer(realm, ident):
        refused = gate(realm)
        if refused:
            return refused
        found = next((c for c in state.customers if c["Id"] == ident), None)
        if found is None:
            return _fault(400, "Object Not Found",
                          "Object Not Found : Something you're trying to use has been made "
                          "inactive. Check the fields with accounts, customers, items, vendors "
                          "or employees.", "610", "ValidationFault")
        return _json({"Customer": found, "time": datetime.now(timezone.utc).isoformat()})

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

    @app.post("/_control/customers")
    def control_customers():
        with state.lock:
            by_id = {c["Id"]: c for c in state.customers}
            for incoming in body():
                state.clock += timedelta(minutes=1)
                meta = {"MetaData": {"CreateTime": state.clock.isoformat(),
                                     "LastUpdatedTime": state.clock.isoformat()}}
                if incoming.get("Id") in by_id:
                    by_id[incoming["Id"]].update({**incoming, **meta})
                else:
                    n = len(state.customers) + 10_000
                    base = make_customer(n, incoming.get("DisplayName", "New"))
                    state.customers.append({**base, **incoming, **meta})
        return _json({"ok": True})

    @app.post("/_control/messy")
    def control_messy():
        """Add the recorded-shape customers (tests/data/platforms/quickbooks.json), once."""
        with state.lock:
            known = {c["Id"] for c in state.customers}
            state.customers += [c for c in messy_customers() if c["Id"] not in known]
        return _json({"ok": True})

    @app.post("/_control/generate")
    def control_generate():
        with state.lock:
            state.customers += generated_customers(int(body()["count"]),
                                                   start=len(state.customers) + 100)
        return _json({"ok": True})

    @app.post("/_control/rate-limit")
    def control_rate():
        with state.lock:
            state.per_minute, state.used = int(body()["minute"]), [0.0, 0]
        return _json({"ok": True})

    @app.post("/_control/fail")
    def control_fail():
        with state.lock:
            state.failures.append({"times": 1, **body()})
        return _json({"ok": True})

    @app.get("/_control/requests")
    def control_requests():
        with state.lock:
            return _json(copy.deepcopy(state.requests))


def main() -> None:
    parser = argparse.ArgumentParser(description="QuickBooks Online API emulator")
    parser.add_argument("--port", type=int, default=5003)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--generate", type=int, default=0, help="extra generated customers")
    parser.add_argument("--messy", action="store_true", help="add the recorded-shape "
                        "customers of tests/data/platforms/quickbooks.json")
    args = parser.parse_args()
    app = create_emulator(args.generate, messy=args.messy)
    print(f"QuickBooks emulator on http://{args.host}:{args.port} (realm {REALM}, "
          "client id test-client, secret test-secret)")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
