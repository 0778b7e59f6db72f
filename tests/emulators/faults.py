"""Failure injection, a per-minute rate limit and a request log shared by the accounting emulators.

An emulator calls faults.gate() at the start of each API request: it logs the request, applies
the platform's rate limit (429 with Retry-After when the window is spent) and any failure queued
with POST /_control/fail {"path": "/v2/contacts", "status": 503|429|401|"timeout"|"malformed",
"times": 2, "retry_after": 3}. POST /_control/rate-limit {"limit": 5, "window": 60} changes the
budget; GET /_control/requests lists the request paths with their query strings.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

from flask import Blueprint, Response, jsonify, request


class Faults:
    """The state behind gate(); one lock because the servers are threaded."""

    def __init__(self, *, limit: int, window: int, retry_after: bool = True,
                 error_body: Callable[[int], dict] | None = None):
        self.defaults = (limit, window)
        self.retry_after = retry_after  # whether the platform sends Retry-After on 429
        self.error_body = error_body or (lambda status: {"error": f"error {status}"})
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.limit, self.window = self.defaults
            self.started, self.used = time.time(), 0
            self.failures: list[dict] = []
            self.requests: list[str] = []
            self.slow_seconds = 3.0

    def gate(self) -> Response | None:
        """Log the request; a 429 or an injected failure, else None to serve it."""
        with self.lock:
            self.requests.append(request.full_path.rstrip("?"))
            now = time.time()
            if now - self.started >= self.window:
                self.started, self.used = now, 0
            self.used += 1
            over = self.used > self.limit
            wait = max(int(self.started + self.window - now + 0.999), 1)
            injected = next((f for f in self.failures
                             if request.path.startswith(f["path"]) and f["times"] > 0), None)
            if injected:
                injected["times"] -= 1
        if over:
            return self.too_many(wait)
        if injected:
            return self.fail(injected)
        return None

    def too_many(self, wait: int | None) -> Response:
        resp = jsonify(self.error_body(429))
        resp.status_code = 429
        if self.retry_after and wait is not None:
            resp.headers["Retry-After"] = str(wait)
        return resp

    def fail(self, injected: dict) -> Response:
        kind = injected["status"]
        if kind == "timeout":
            time.sleep(self.slow_seconds)
            return Response("{}", mimetype="application/json")
        if kind == "malformed":
            return Response('{"contacts": [{"url": "https://', mimetype="application/json")
        if kind == 429:
            return self.too_many(injected.get("retry_after", 1))
        resp = jsonify(self.error_body(int(kind)))
        resp.status_code = int(kind)
        return resp


def control_blueprint(faults: Faults, name: str) -> Blueprint:
    """The /_control endpoints for faults (no auth: the emulators listen on loopback)."""
    bp = Blueprint(name, __name__)

    @bp.post("/_control/fail")
    def fail():
        body = request.get_json(force=True)
        with faults.lock:
            faults.failures.append({"path": body["path"], "status": body["status"],
                                    "times": int(body.get("times", 1)),
                                    "retry_after": body.get("retry_after", 1)})
        return jsonify({"ok": True})

    @bp.post("/_control/rate-limit")
    def rate_limit():
        body = request.get_json(force=True)
        with faults.lock:
            faults.limit = int(body.get("limit", faults.limit))
            faults.window = int(body.get("window", faults.window))
            faults.started, faults.used = time.time(), 0
        return jsonify({"ok": True})

    @bp.post("/_control/slow")
    def slow():
        with faults.lock:
            faults.slow_seconds = float(request.get_json(force=True)["seconds"])
        return jsonify({"ok": True})

    @bp.get("/_control/requests")
    def requests_():
        with faults.lock:
            return jsonify(list(faults.requests))

    return bp
