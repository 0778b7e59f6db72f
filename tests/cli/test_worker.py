"""The Huey consumer's entry point builds the app once, and tasks run inside it."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
from cone import jobs, worker
with jobs.app_context() as app:
    print(app.config["SQLALCHEMY_DATABASE_URI"])
print(worker.huey is jobs.huey)
"""


def test_worker_runs_tasks_in_its_own_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "SECRET_KEY": "test",
           "CONE_JOBS_IMMEDIATE": "1"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [url, "True"]
