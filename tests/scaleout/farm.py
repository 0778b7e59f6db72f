"""Processes and people for the scale-out test: servers, consumer, database, a browser."""
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from tests.helpers import PASSWORD, create_database, form_values

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BOOT_TIMEOUT = 30  # seconds
ADMIN, STAFF = "admin@example.com", "staff@example.com"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    """check()'s first truthy answer, polled until timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


class Processes:
    """Started processes, each with its log file; stopped in reverse order, logs kept on failure."""

    def __init__(self, env: dict, logs: Path):
        self.env, self.logs, self.running = env, logs, []

    def flask(self, *args) -> None:
        done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    def start(self, name: str, *cmd) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("w")
        proc = subprocess.Popen([str(BIN / cmd[0]), *cmd[1:]], cwd=ROOT, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        self.running.append((proc, log))
        return proc

    def server(self, name: str) -> str:
        """A gunicorn with the production settings (gunicorn.conf.py) on a port of its own."""
        url = f"http://127.0.0.1:{free_port()}"
        proc = self.start(name, "gunicorn", "-w", "2", "-b", url[len("http://"):], "app:app")

        def healthy():
            assert proc.poll() is None, (self.logs / f"{name}.log").read_text()
            try:
                return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False
        wait_until(healthy, BOOT_TIMEOUT, f"{name} to answer /healthz")
        return url

    def stop(self) -> None:
        for proc, log in reversed(self.running):
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def own_database() -> str:
    """A new PostgreSQL database next to TEST_DATABASE_URL's, for this run only."""
    try:
        return create_database(f"scaleout_{os.getpid()}_{int(time.time())}")
    except OperationalError as e:
        pytest.skip(f"PostgreSQL is not reachable: {e}")


@dataclass
class Farm:
    a: str  # one server's base URL
    b: str  # the other's
    db: Engine  # the database both use, for checking what they stored


class Person:
    """Someone with a browser: one cookie jar, whichever server answers."""

    def __init__(self):
        self.http = httpx.Client(timeout=30)
        self.token = ""

    def csrf(self, url: str) -> str:
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.http.get(url).text)
        assert found, f"no csrf_token on {url}"
        return found.group(1)

    def sign_in(self, server: str, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.http.post(f"{server}/login", data={
            "csrf_token": self.csrf(f"{server}/login"), "email": email, "password": password})

    def post(self, url: str, data: dict | None = None, **kw) -> httpx.Response:
        return self.http.post(url, data={"csrf_token": self.token, **(data or {})}, **kw)


def edit_form(person: Person, url: str) -> dict:
    """The edit form's fields, as the browser would post them unchanged."""
    return form_values(person.http.get(url).text)
