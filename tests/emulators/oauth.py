"""A reusable OAuth 2.0 authorization server for the platform emulators.

Each platform emulator builds one OAuthServer with that platform's rules (client auth, token
lifetimes, rotating single-use refresh tokens, PKCE) and registers oauth_blueprint(server, ...)
at the platform's paths. The API endpoints call server.bearer(request) to check a token.

    server = OAuthServer(access_ttl=1800, rotate=True, refresh_expiry_field=None)
    app.register_blueprint(oauth_blueprint(server, authorize="/identity/connect/authorize",
                                           token="/connect/token", revoke="/connect/revocation"))

The authorize endpoint approves at once: it redirects to redirect_uri with code and state (plus
server.callback_params(), e.g. QuickBooks' realmId), unless /_control/oauth asked it to deny.
Control (no auth): POST /_control/oauth merges settings ({"access_ttl": 5, "refuse_refresh": true,
"grace": 0, "deny": true}); POST /_control/oauth/expire expires every access token now;
GET /_control/oauth reports counts, the last PKCE challenge, revoked tokens and live grants.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, redirect, request


@dataclass
class Grant:
    """One user's consent: the tokens issued under it die together on revocation."""

    id: str
    scope: str
    revoked: bool = False
    extra: dict = field(default_factory=dict)


class OAuthServer:
    """Token bookkeeping for one emulated platform; thread-safe because the server is threaded."""

    def __init__(self, *, client_id: str = "test-client", client_secret: str = "test-secret",
                 client_auth: tuple[str, ...] = ("basic", "post"), access_ttl: int = 1800,
                 rotate: bool = True, grace: int = 0, refresh_ttl: int = 60 * 86400,
                 refresh_expiry_field: str | None = None, pkce: str = "optional",
                 callback_params=None):
        self.client_id, self.client_secret = client_id, client_secret
        self.client_auth = client_auth
        self.defaults = {"access_ttl": access_ttl, "rotate": rotate, "grace": grace,
                         "refresh_ttl": refresh_ttl, "refuse_refresh": False, "deny": False}
        self.refresh_expiry_field = refresh_expiry_field
        self.pkce = pkce  # "optional" | "required" | "unsupported"
        self.callback_params = callback_params or (lambda: {})
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every code, token and grant; restore the platform's settings."""
        with self.lock:
            self.settings = dict(self.defaults)
            self.codes: dict[str, dict] = {}
            self.access: dict[str, dict] = {}    # token -> {grant, expires}
            self.refresh: dict[str, dict] = {}   # token -> {grant, used_at, reply, expires}
            self.grants: dict[str, Grant] = {}
            self.revoked: list[str] = []
            self.challenges: list[dict] = []
            self.counts = {"authorize": 0, "code": 0, "refresh": 0, "refused": 0, "revoke": 0}

    # -- used by the platform's API endpoints --------------------------------------------------

    def bearer(self, req) -> Grant | None:
        """The live grant behind the request's bearer token, or None (missing/expired/revoked)."""
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        with self.lock:
            entry = self.access.get(header[7:].strip())
            if entry is None or entry["expires"] < time.time():
                return None
            grant = self.grants.get(entry["grant"])
            return grant if grant and not grant.revoked else None

    def issue(self, grant: Grant) -> dict:
        """A new token pair under grant (lock held by the caller)."""
        access, refresh_token = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        ttl = int(self.settings["access_ttl"])
        self.access[access] = {"grant": grant.id, "expires": time.time() + ttl}
        self.refresh[refresh_token] = {"grant": grant.id, "used_at": None, "reply": None,
                                       "expires": time.time() + int(self.settings["refresh_ttl"])}
        body = {"access_token": access, "token_type": "Bearer", "expires_in": ttl,
                "refresh_token": refresh_token, "scope": grant.scope}
        if self.refresh_expiry_field:
            body[self.refresh_expiry_field] = int(self.settings["refresh_ttl"])
        return body

    # -- the grant types -----------------------------------------------------------------------

    def client_ok(self, req) -> bool:
        """Client authentication the way the platform accepts it (HTTP Basic and/or the body)."""
        auth = req.authorization
        if auth and auth.type == "basic":
            return ("basic" in self.client_auth and auth.username == self.client_id
                    and auth.password == self.client_secret)
        return ("post" in self.client_auth and req.form.get("client_id") == self.client_id
                and req.form.get("client_secret") == self.client_secret)

    def exchange_code(self, form) -> tuple[dict, int]:
        with self.lock:
            entry = self.codes.pop(form.get("code", ""), None)
            if entry is None or entry["expires"] < time.time():
                return {"error": "invalid_grant"}, 400
            if form.get("redirect_uri") != entry["redirect_uri"]:
                return {"error": "invalid_grant", "error_description": "redirect_uri"}, 400
            if entry["challenge"] and not _pkce_ok(entry, form.get("code_verifier")):
                return {"error": "invalid_grant", "error_description": "code_verifier"}, 400
            self.counts["code"] += 1
            grant = Grant("g-" + secrets.token_hex(6), entry["scope"], extra=entry["extra"])
            self.grants[grant.id] = grant
            return self.issue(grant), 200

    def use_refresh(self, token: str) -> tuple[dict, int]:
        with self.lock:
            entry = self.refresh.get(token)
            grant = self.grants.get(entry["grant"]) if entry else None
            refused = (entry is None or grant is None or grant.revoked
                       or self.settings["refuse_refresh"] or entry["expires"] < time.time())
            if not refused and entry["used_at"] is not None:
                # Single-use token: a retry inside the grace period gets the same answer again.
                within = time.time() - entry["used_at"] <= int(self.settings["grace"])
                if within and entry["reply"]:
                    return entry["reply"], 200
                refused = True
            if refused:
                self.counts["refused"] += 1
                return {"error": "invalid_grant"}, 400
            self.counts["refresh"] += 1
            body = self.issue(grant)
            if self.settings["rotate"]:
                entry.update(used_at=time.time(), reply=body)
            else:  # the same refresh token stays valid; drop the freshly minted one
                del self.refresh[body["refresh_token"]]
                body["refresh_token"] = token
            return body, 200

    def revoke(self, token: str) -> None:
        with self.lock:
            self.counts["revoke"] += 1
            entry = self.refresh.get(token) or self.access.get(token)
            if entry and entry["grant"] in self.grants:
                self.grants[entry["grant"]].revoked = True
            self.revoked.append(token)


def _pkce_ok(entry: dict, verifier: str | None) -> bool:
    if not verifier:
        return False
    if entry["method"] == "plain":
        return verifier == entry["challenge"]
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == entry["challenge"]


def oauth_blueprint(server: OAuthServer, *, authorize: str = "/authorize", token: str = "/token",
                    revoke: str | None = "/revoke", name: str = "oauth") -> Blueprint:
    """The authorize, token and revoke endpoints (and /_control/oauth) for server."""
    bp = Blueprint(name, __name__)

    @bp.get(authorize)
    def authorize_view():
        args = request.args
        if args.get("client_id") != server.client_id or not args.get("redirect_uri"):
            return Response("unknown client or missing redirect_uri", 400)
        redirect_uri, state = args["redirect_uri"], args.get("state")
        sep = "&" if "?" in redirect_uri else "?"
        if server.settings["deny"]:
            return redirect(redirect_uri + sep + urlencode({"error": "access_denied",
                                                            "state": state or ""}))
        challenge = args.get("code_challenge")
        if server.pkce == "required" and not challenge:
            return Response("code_challenge required", 400)
        with server.lock:
            server.counts["authorize"] += 1
            code = "code-" + secrets.token_urlsafe(16)
            extra = server.callback_params()
            server.challenges.append({"challenge": challenge,
                                      "method": args.get("code_challenge_method", "plain"),
                                      "state": state, "scope": args.get("scope", "")})
            server.codes[code] = {
                "redirect_uri": redirect_uri, "scope": args.get("scope", ""),
                "challenge": challenge if server.pkce != "unsupported" else None,
                "method": args.get("code_challenge_method", "plain"), "extra": extra,
                "expires": time.time() + 300}
        query = {"code": code, **({"state": state} if state is not None else {}), **extra}
        return redirect(redirect_uri + sep + urlencode(query))

    @bp.post(token)
    def token_view():
        if not server.client_ok(request):
            return jsonify({"error": "invalid_client"}), 401
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            body, status = server.exchange_code(request.form)
        elif grant_type == "refresh_token":
            body, status = server.use_refresh(request.form.get("refresh_token", ""))
        else:
            body, status = {"error": "unsupported_grant_type"}, 400
        resp = jsonify(body)
        resp.status_code = status
        resp.headers["Cache-Control"] = "no-store"
        return resp

    if revoke:
        @bp.post(revoke)
        def revoke_view():
            if not server.client_ok(request):
                return jsonify({"error": "invalid_client"}), 401
            body = request.form if request.form else (request.get_json(silent=True) or {})
            server.revoke(body.get("token", ""))
            return Response("", 200)

    @bp.post("/_control/oauth")
    def control():
        with server.lock:
            server.settings.update(request.get_json(force=True) or {})
        return jsonify(server.settings)

    @bp.post("/_control/oauth/expire")
    def control_expire():
        with server.lock:
            for entry in server.access.values():
                entry["expires"] = 0
        return jsonify({"ok": True})

    @bp.get("/_control/oauth")
    def control_report():
        with server.lock:
            return jsonify({"counts": server.counts, "challenges": server.challenges,
                            "revoked": server.revoked, "settings": server.settings,
                            "grants": [g.id for g in server.grants.values() if not g.revoked]})

    return bp
