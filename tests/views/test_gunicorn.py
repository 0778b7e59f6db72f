"""Production serving: gunicorn with two workers answers /healthz; /healthz reports a dead database."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import make_app

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 30  # seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_flask(env, *args):
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def server_env(tmp_path):
    """Environment for a server process on a freshly upgraded SQLite database."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.db'}",
           "SECRET_KEY": "gunicorn-test-secret", "PYTHONWARNINGS": "ignore"}
    run_flask(env, "db", "upgrade")
    return env


def wait_for_health(url: str, process: subprocess.Popen) -> httpx.Response | None:
    """Poll until /healthz answers, the server dies, or BOOT_TIMEOUT passes."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    return None


@pytest.mark.slow
def test_gunicorn_two_workers_serve_healthz(server_env, tmp_path):
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        r = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        log.seek(0)
        assert r is not None, log.read()
        assert (r.status_code, r.text) == (200, "ok")
        assert httpx.get(f"http://127.0.0.1:{port}/clients").status_code == 302
        log.seek(0)
        assert log.read().count("Booting worker") == 2
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    assert process.returncode == 0


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-dir/cone.db",
                                 "postgresql+psycopg://postgres@127.0.0.1:1/cone?connect_timeout=2"])
def test_healthz_is_503_when_the_database_is_unreachable(tmp_path, url):
    app = make_app(tmp_path, SQLALCHEMY_DATABASE_URI=url)
    r = app.test_client().get("/healthz")
    assert r.status_code == 503 and "database unavailable" in r.text
