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
given; POST /_control/contacts/<id> merges members and bumps updated_at; POST /_control/messy
adds the recorded-shape contacts of tests/data/platforms/sage.json (or messy=True); plus the
controls of tests/emulators/faults.py and oauth.py.
"""
from __future__ import annotations

import argparse
import copy
import threading
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Flask, jsonify, request

from tests.emulators.faults import Faults, control_blueprint
from tests.emulators.oauth import OAuthServer, oauth_blueprint
from tests.emulators.sage_data import (  # noqa: F401  (contact_id and the ids: for tests)
    BUSINESSES, LEAD, SECOND, THIRD, contact_id, generated_contacts, messy_contacts,
    sample_contacts, stamp)


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
                    generate: int = 0, messy: bool = False) -> Flask:
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
            if messy:
                state["contacts"][LEAD] += messy_contacts()

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

    @app.post("/_control/messy")
    def control_messy():
        """Add the recorded-shape contacts (tests/data/platforms/sage.json) to the lead
        business, once."""
        with lock:
            rows = state["contacts"][LEAD]
            known = {c.get("id") for c in rows}
            rows += [c for c in messy_contacts() if c["id"] not in known]
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
    parser.add_argument("--messy", action="store_true",
                        help="add the recorded-shape contacts of tests/data/platforms/sage.json")
    args = parser.parse_args()
    app = create_emulator(generate=args.generate, messy=args.messy)
    print(f"Sage emulator on http://{args.host}:{args.port}/v3.1 "
          "(client id test-client, secret test-secret)")
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
