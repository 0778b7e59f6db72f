"""A Companies House Public Data API emulator: the documented JSON, auth, paging, rate limits
and every failure mode, for tests and for trying Cone offline.

    python -m tests.emulators.companies_house --port 5001 [--key test-key]

then run Cone with COMPANIES_HOUSE_API_URL=http://127.0.0.1:5001 COMPANIES_HOUSE_API_KEY=test-key.

Failure modes, on demand:
- 401: any other key (body {"error": "Invalid Authorization", "type": "ch:service"}).
- 404: any unknown number; 99999999 answers with the legacy errors[] body, 99999998 with the
  current {timestamp, message, request_id} body.
- 429: company 42900429 (with Retry-After: 7), or past the per-key budget
  (POST /_control/rate-limit {"limit": 5, "window": 300, "retry_after": null}).
- 5xx: company 50000500 (500) and 50000503 (503); search q "boom" gives 500.
- slow: company 77777777 (or search q "slow") answers after `slow_seconds` (default 3).
- malformed JSON: company 88888888 (or search q "garbage").
- POST /_control/fail {"path": "/company/09876543", "status": 503|"timeout"|"malformed",
  "times": 2}: the next matching requests fail that way.
Control (no auth, loopback only): POST /_control/companies/<n> merges JSON into a company
({"profile": {...}, "officers": [...], "pscs": [...]}), POST /_control/reset restores the data,
POST /_control/page-size {"max": 2} caps list pages, GET /_control/requests lists request paths.
"""
from __future__ import annotations

import argparse
import copy
import threading
import time
import uuid
from base64 import b64decode

from flask import Flask, Response, abort, jsonify, request

from tests.emulators.ch_data import COMPANIES

SPECIAL = {"42900429": 429, "50000500": 500, "50000503": 503, "77777777": "slow",
           "88888888": "malformed"}


class State:
    """Everything the emulator knows; one lock because the server is threaded."""

    def __init__(self, keys: set[str]):
        self.keys, self.lock = keys, threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.companies = {c["profile"]["company_number"]: copy.deepcopy(c) for c in COMPANIES}
        self.failures: list[dict] = []
        self.requests: list[str] = []
        self.limit, self.window, self.retry_after = 600, 300, None
        self.windows: dict[str, list[int]] = {}  # key -> [window start, used]
        self.max_page, self.slow_seconds = 100, 3.0


def _error(status: int, body, headers=None) -> Response:
    resp = jsonify(body)
    resp.status_code = status
    resp.headers.update(headers or {})
    return resp


def _address_snippet(a: dict) -> str:
    parts = [" ".join(p for p in (a.get("premises"), a.get("address_line_1")) if p),
             a.get("address_line_2"), a.get("locality"), a.get("region"), a.get("postal_code")]
    return ", ".join(p for p in parts if p)


def _search_item(p: dict, snippet: str = "") -> dict:
    address = dict(p.get("registered_office_address") or {})
    created = p.get("date_of_creation")
    item = {"kind": "searchresults#company", "title": p["company_name"],
            "company_number": p["company_number"], "company_type": p.get("type"),
            "address": address, "address_snippet": _address_snippet(address),
            "description": p["company_number"] + (f" - Incorporated on {created}" if created
                                                  else ""),
            "description_identifier": ["incorporated-on"], "snippet": snippet,
            "matches": {"snippet": []}, "links": {"self": f"/company/{p['company_number']}"}}
    for name in ("company_status", "date_of_creation", "date_of_cessation"):
        if p.get(name):
            item[name] = p[name]
    return item


def _page(items: list, envelope: dict, state: State, default: int) -> dict:
    size = min(int(request.args.get("items_per_page", default) or default), state.max_page)
    start = int(request.args.get("start_index", 0) or 0)
    return {**envelope, "items_per_page": size, "start_index": start,
            "total_results": len(items), "items": items[start:start + size]}


def create_emulator(keys: set[str] | None = None) -> Flask:
    """The emulator app; app.config["STATE"] is its State (tests may reach in, or use /_control)."""
    app = Flask(__name__)
    state = State(keys or {"test-key"})
    app.config["STATE"] = state

    @app.before_request
    def gate():
        if request.path.startswith("/_control"):
            return None
        with state.lock:
            state.requests.append(request.full_path.rstrip("?"))
            injected = next((f for f in state.failures
                             if request.path.startswith(f["path"]) and f["times"] > 0), None)
            if injected:
                injected["times"] -= 1
        auth = request.headers.get("Authorization", "")
        key = ""
        if auth.startswith("Basic "):
            try:
                key = b64decode(auth[6:]).decode().partition(":")[0]
            except ValueError:
                key = ""
        if key not in state.keys:
            return _error(401, {"error": "Invalid Authorization", "type": "ch:service"},
                          {"WWW-Authenticate": 'Basic realm="ch"'})
        request.environ["ch.key"] = key
        limited = _count(key)
        if limited is not None:
            return limited
        if injected:
            return _fail(injected["status"])
        return None

    def _count(key: str) -> Response | None:
        now = int(time.time())
        with state.lock:
            window = state.windows.setdefault(key, [now, 0])
            if window[0] + state.window <= now:
                window[:] = [now, 0]
            window[1] += 1
            remain = max(state.limit - window[1], 0)
            request.environ["ch.rate"] = {
                "X-Ratelimit-Limit": str(state.limit), "X-Ratelimit-Remain": str(remain),
                "X-Ratelimit-Reset": str(window[0] + state.window),
                "X-Ratelimit-Window": f"{state.window // 60}m",
                "Access-Control-Expose-Headers":
                    "X-Ratelimit-Limit, X-Ratelimit-Remain, X-Ratelimit-Reset, X-Ratelimit-Window"}
            over = window[1] > state.limit
        if over:
            extra = {"Retry-After": str(state.retry_after)} if state.retry_after else {}
            return _error(429, {"errors": [{"type": "ch:service",
                                            "error": "rate-limit-exceeded"}]}, extra)
        return None

    def _fail(kind) -> Response:
        if kind == "timeout" or kind == "slow":
            time.sleep(state.slow_seconds)
            return jsonify({"items": [], "total_results": 0})
        if kind == "malformed":
            return Response('{"company_name": "BROKEN', mimetype="application/json")
        if kind == 429:
            return _error(429, {"errors": [{"type": "ch:service", "error": "rate-limit-exceeded"}]},
                          {"Retry-After": "7"})
        return _error(int(kind), {"exception_id": uuid.uuid4().hex[:12],
                                  "error": "Internal server error"})

    @app.after_request
    def rate_headers(resp):
        resp.headers.update(request.environ.get("ch.rate", {}))
        return resp

    def _company(number: str) -> dict:
        if number in SPECIAL:
            abort(_fail(SPECIAL[number]))
        company = state.companies.get(number)
        if company is None:
            if number == "99999998":
                abort(_error(404, {"timestamp": "2026-09-04T16:07:18.488455029",
                                   "message": f'404 NOT_FOUND "Resource not found for company '
                                              f'profile {number}"',
                                   "request_id": uuid.uuid4().hex[:16]}))
            abort(_error(404, {"errors": [{"type": "ch:service",
                                           "error": "company-profile-not-found"}]}))
        return company

    @app.get("/search/companies")
    def search():
        q = request.args.get("q", "").strip()
        if q in ("boom", "slow", "garbage"):
            return _fail({"boom": 500, "slow": "slow", "garbage": "malformed"}[q])
        hits = []
        needle = q.casefold()
        for c in state.companies.values():
            p = c["profile"]
            older = [n["name"] for n in p.get("previous_company_names", [])
                     if needle and needle in n["name"].casefold()]
            if needle and (needle in p["company_name"].casefold() or older
                           or needle == p["company_number"].casefold()):
                hits.append(_search_item(p, older[0] if older else ""))
        size = min(int(request.args.get("items_per_page", 20) or 20), 100)
        start = int(request.args.get("start_index", 0) or 0)
        return jsonify({"kind": "search#companies", "items_per_page": size,
                        "start_index": start, "total_results": len(hits),
                        "page_number": start // max(size, 1) + 1,
                        "items": hits[start:start + size]})

    @app.get("/company/<number>")
    def profile(number):
        p = copy.deepcopy(_company(number)["profile"])
        p.setdefault("links", {"self": f"/company/{number}",
                               "officers": f"/company/{number}/officers",
                               "persons_with_significant_control":
                                   f"/company/{number}/persons-with-significant-control"})
        return jsonify(p)

    @app.get("/company/<number>/officers")
    def officers(number):
        items = _company(number)["officers"]
        resigned = sum(1 for o in items if o.get("resigned_on"))
        return jsonify(_page(items, {
            "kind": "officer-list", "etag": uuid.uuid4().hex,
            "links": {"self": f"/company/{number}/officers"},
            "active_count": len(items) - resigned, "resigned_count": resigned,
            "inactive_count": 0}, state, 35))

    @app.get("/company/<number>/persons-with-significant-control")
    def pscs(number):
        items = _company(number)["pscs"]
        ceased = sum(1 for p in items if p.get("ceased_on"))
        links = {"self": f"/company/{number}/persons-with-significant-control"}
        if _company(number).get("statements"):
            links["persons_with_significant_control_statements_list"] = (
                f"/company/{number}/persons-with-significant-control-statements")
        return jsonify(_page(items, {"active_count": len(items) - ceased,
                                     "ceased_count": ceased, "links": links}, state, 25))

    @app.get("/company/<number>/persons-with-significant-control-statements")
    def statements(number):
        items = _company(number).get("statements", [])
        return jsonify(_page(items, {"kind": "persons-with-significant-control-statements",
                                     "active_count": len(items), "ceased_count": 0,
                                     "links": {}}, state, 25))

    @app.post("/_control/reset")
    def control_reset():
        with state.lock:
            state.reset()
        return jsonify({"ok": True})

    @app.post("/_control/companies/<number>")
    def control_company(number):
        body = request.get_json(force=True)
        with state.lock:
            company = state.companies.setdefault(number, {
                "profile": {"company_number": number, "company_name": number, "type": "ltd"},
                "officers": [], "pscs": []})
            company["profile"].update(body.get("profile", {}))
            for name in body.get("remove", []):
                company["profile"].pop(name, None)
            for part in ("officers", "pscs", "statements"):
                if part in body:
                    company[part] = body[part]
        return jsonify({"ok": True})

    @app.post("/_control/fail")
    def control_fail():
        body = request.get_json(force=True)
        with state.lock:
            state.failures.append({"path": body["path"], "status": body["status"],
                                   "times": int(body.get("times", 1))})
        return jsonify({"ok": True})

    @app.post("/_control/rate-limit")
    def control_rate():
        body = request.get_json(force=True)
        with state.lock:
            state.limit = int(body.get("limit", state.limit))
            state.window = int(body.get("window", state.window))
            state.retry_after = body.get("retry_after")
            state.windows.clear()
        return jsonify({"ok": True})

    @app.post("/_control/page-size")
    def control_page():
        with state.lock:
            state.max_page = int(request.get_json(force=True)["max"])
        return jsonify({"ok": True})

    @app.post("/_control/slow")
    def control_slow():
        with state.lock:
            state.slow_seconds = float(request.get_json(force=True)["seconds"])
        return jsonify({"ok": True})

    @app.get("/_control/requests")
    def control_requests():
        with state.lock:
            return jsonify(list(state.requests))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Companies House API emulator")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--key", action="append", help="an accepted API key (default test-key)")
    args = parser.parse_args()
    app = create_emulator(set(args.key or ["test-key"]))
    print(f"Companies House emulator on http://{args.host}:{args.port} "
          f"(API key: {', '.join(sorted(app.config['STATE'].keys))})")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
