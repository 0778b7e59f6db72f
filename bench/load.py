"""Load test: signed-in users on gunicorn (production settings), alone and beside a bulk writer.

    .venv/bin/python bench/load.py [--seconds 30] [--requests N] [--users 16] [--think 1]
                                   [--clients 20000] [--database-url URL] [--workdir DIR]
                                   [--with-bulk] [--bulk-clients 5000] [--bulk-nice 0]

Prepares a database (a SQLite file in --workdir, or the PostgreSQL URL given; an empty one gets
`flask db upgrade` and `flask cone seed-demo`, one that has clients is reused), creates the
users with `flask cone create-user`, starts `gunicorn -w 2 app:app` from the project root (so
gunicorn.conf.py applies) and lets --users threads, each signed in as its own user, mix what
people do: live search (the list fragment, one request per keystroke), workspace tabs, notes,
and client edits that carry the form's version (a small set of clients, so edits collide and
optimistic locking answers 409), each user pausing between actions as people do (--think
scales the pauses; 0 sends back to back, which measures saturation). With --with-bulk a second
phase of the same length runs while `flask cone seed-demo` adds clients in parallel.

Prints throughput, p50/p95/p99 per kind, 5xx and 409 counts, lost writes (acknowledged notes
and edits missing from the database), stale search index entries before and after, and the
machine's load average: other work on the machine shows in every figure. GUNICORN_CMD_ARGS
reaches gunicorn, to compare other settings (e.g. "--threads 4").
"""
import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func, inspect, select  # noqa: E402

from cone import create_app  # noqa: E402
from cone.services.demo.pools import PREFIXES, TRADES, TOWNS  # noqa: E402
from cone.services.models import Client, Note, db  # noqa: E402
from cone.services.search import integrity  # noqa: E402
from tests.helpers import form_values  # noqa: E402

BIN = ROOT / ".venv" / "bin"
PASSWORD = "load-test-password"
TABS = ("overview", "contacts", "companies-house", "deadlines", "notes", "activity", "related")
WORDS = [w.lower() for w in PREFIXES] + [t.split()[0].lower() for t, _ in TRADES] + \
        [t.split()[0].lower() for t, *_ in TOWNS] + ["smith", "jones", "taylor", "brown", "ltd"]
# What a user does next, by weight; a search is several requests (one per keystroke)
MIX = [("search", 35), ("tab", 40), ("note", 12), ("edit", 13)]
HOT = 40  # edits go to the first HOT clients, so users collide
RUN = f"{int(time.time()) % 100000:05d}"  # marks this run's notes and edits


@dataclass
class Stats:
    """What every user saw; list.append is atomic, so the threads share these lists as they are."""
    rows: list = field(default_factory=list)   # (phase, kind, status, seconds) per request
    notes: list = field(default_factory=list)  # bodies of the notes the server acknowledged
    edits: list = field(default_factory=list)  # (client id, version edited, reference) saved


class User(threading.Thread):
    """One person signed in as load<n>@example.com, acting until told to stop."""

    def __init__(self, n, base, stats, max_id, think, go, stop):
        super().__init__(daemon=True)
        self.n, self.stats, self.max_id, self.think, self.go, self.stop = (
            n, stats, max_id, think, go, stop)
        self.rng, self.ready = random.Random(n), threading.Event()
        self.http = httpx.Client(base_url=base, timeout=60)
        self.phase, self.seq, self.token = "", 0, ""

    def request(self, kind, method, url, **kw):
        start = time.perf_counter()
        try:
            r = self.http.request(method, url, **kw)
            status = r.status_code
        except httpx.HTTPError:
            r, status = None, 599  # no answer at all counts with the 5xx
        self.stats.rows.append((self.phase, kind, status, time.perf_counter() - start))
        return r

    def sign_in(self):
        self.token = form_values(self.http.get("/login").text)["csrf_token"]
        r = self.http.post("/login", data={"csrf_token": self.token, "password": PASSWORD,
                                           "email": f"load{self.n}@example.com"})
        assert r.status_code == 303, f"sign-in failed: {r.status_code}"

    def search(self):
        word, hx = self.rng.choice(WORDS), {"HX-Request": "true", "HX-Target": "client-results"}
        for end in range(2, min(len(word), 5) + 1):
            self.request("search", "GET", "/clients", params={"q": word[:end]}, headers=hx)
            self.pause(0.3)  # the search box waits this long after a keystroke (delay:300ms)

    def tab(self):
        url = f"/clients/{self.rng.randint(1, self.max_id)}"
        self.request("tab", "GET", url, params={"tab": self.rng.choice(TABS)},
                     headers={"HX-Request": "true", "HX-Target": "workspace-panel"})

    def note(self):
        client_id, body = self.rng.randint(1, self.max_id), f"load {RUN} {self.n}-{self.seq}"
        r = self.request("note", "POST", f"/clients/{client_id}/notes",
                         data={"body": body, "csrf_token": self.token},
                         headers={"HX-Request": "true", "HX-Target": "client-notes"})
        if r is not None and r.status_code == 200:
            self.stats.notes.append(body)

    def edit(self):
        client_id = self.rng.randint(1, HOT)
        r = self.request("edit form", "GET", f"/clients/{client_id}/edit")
        if r is None or r.status_code != 200:
            return
        data = form_values(r.text)
        time.sleep(self.rng.uniform(0, 0.5))  # typing: others may save meanwhile (409)
        ref = f"L{RUN}-{self.n}-{self.seq}"
        data.update(internal_reference=ref, phone=f"020 7946 0{self.rng.randint(0, 999):03d}")
        r = self.request("edit", "POST", f"/clients/{client_id}/edit", data=data)
        if r is not None and r.status_code == 303:
            self.stats.edits.append((client_id, int(data["version"]), ref))

    def pause(self, mean: float) -> None:
        if self.think:
            self.stop.wait(self.rng.expovariate(1 / (mean * self.think)))

    def run(self):
        self.sign_in()
        self.ready.set()
        self.go.wait()
        kinds, weights = zip(*MIX)
        while not self.stop.is_set():
            self.seq += 1
            getattr(self, self.rng.choices(kinds, weights)[0])()
            self.pause(1.0)  # reading the answer before the next action
        self.http.close()


def load_average() -> str:
    """The machine's load (1, 5, 15 minutes): other work on it shows in the figures."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env, *args, **kw):
    return subprocess.Popen([str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def stale(session) -> str:
    """How many search documents differ from what their rows say, with the first few ids."""
    count = integrity.check(session)
    return f"{count} (ids {integrity.mismatches(session)[:10]})" if count else "0"


def prepare(args, env) -> tuple[int, str]:
    """Migrate and seed an empty database, add the users; the highest client id and the stale
    search entries found before the load."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url,
                      "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        fresh = "client" not in inspect(db.engine).get_table_names()
        db.engine.dispose()
    if fresh:
        for step in (("db", "upgrade"), ("cone", "seed-demo", "--clients", str(args.clients),
                                         "--seed", "1")):
            start = time.perf_counter()
            if flask(env, *step).wait():
                sys.exit(f"flask {' '.join(step)} failed: run it by hand to see why")
            print(f"flask {' '.join(step)}: {time.perf_counter() - start:.0f} s")
    procs = [flask(env, "cone", "create-user", f"load{n}@example.com", "--role",
                   "admin" if n == 0 else "staff", "--password", PASSWORD)
             for n in range(args.users)]
    for p in procs:
        p.wait()  # an existing user makes it fail harmlessly
    with app.app_context():
        max_id = db.session.scalar(select(func.max(Client.id)))
        before = stale(db.session)
        db.engine.dispose()
    return max_id, before


def start_gunicorn(env, port, log):
    cmd = [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    sys.exit("gunicorn did not answer /healthz")


def run_phase(name, users, stats, args, env, *, bulk=False):
    """One phase: every user works for --seconds (or until --requests are made); with bulk,
    seed-demo runs again and again meanwhile."""
    for u in users:
        u.phase = name
    users[0].go.set()
    writer, writes, start, made = None, 0, time.perf_counter(), len(stats.rows)
    while time.perf_counter() - start < args.seconds:
        if args.requests and len(stats.rows) - made >= args.requests:
            break
        if bulk and (writer is None or writer.poll() is not None):
            writes += writer is not None and writer.returncode == 0
            writer = flask(env, "cone", "seed-demo", "--clients", str(args.bulk_clients),
                           preexec_fn=lambda: os.nice(args.bulk_nice))
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    if writer is not None:
        # SIGINT, not a kill: the bulk load's own clean-up runs (its new clients get indexed)
        if writer.poll() is None:
            writer.send_signal(signal.SIGINT)
        writes += writer.wait() == 0
        print(f"bulk writer: {writes} run(s) of seed-demo --clients {args.bulk_clients} finished"
              f" in the phase{', one more stopped at its end' if writer.returncode else ''}")
    return elapsed


def timings(stats, phases) -> None:
    """Throughput, percentiles and statuses per kind of request, phase by phase."""
    for name, elapsed in phases.items():
        rows = [r for r in stats.rows if r[0] == name]
        print(f"\n== {name}: {len(rows)} requests in {elapsed:.1f} s "
              f"= {len(rows) / elapsed:.1f} req/s")
        by_kind = defaultdict(list)
        for _, kind, status, seconds in rows:
            by_kind[kind].append((status, seconds))
        print(f"{'kind':10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  statuses")
        for kind, got in sorted(by_kind.items()):
            times = [s for _, s in got]
            q = statistics.quantiles(times, n=100) if len(times) > 1 else times * 99
            print(f"{kind:10} {len(got):6} {q[49] * 1000:8.0f} {q[94] * 1000:8.0f} "
                  f"{q[98] * 1000:8.0f}  {dict(sorted(Counter(s for s, _ in got).items()))}")
        print(f"5xx: {sum(r[2] >= 500 for r in rows)}   409: {sum(r[2] == 409 for r in rows)}")
    if len(phases) == 2:
        alone, bulk = (sum(r[0] == n for r in stats.rows) / t for n, t in phases.items())
        print(f"\nthroughput with the bulk writer / without: {bulk / alone:.0%}")


def lost_writes(stats, app) -> None:
    """Acknowledged notes missing, and clients whose last acknowledged edit is not stored."""
    with app.app_context():
        stored = set(db.session.scalars(select(Note.body).where(Note.body.like(f"load {RUN} %"))))
        last = {}  # optimistic locking orders a client's saves by the version they edited
        for client_id, version, ref in sorted(stats.edits, key=lambda e: e[1]):
            last[client_id] = ref
        refs = dict(db.session.execute(select(Client.id, Client.internal_reference)
                                       .where(Client.id.in_(last))).all())
        after = stale(db.session)
        db.engine.dispose()
    doubled = sum(n - 1 for n in Counter(e[:2] for e in stats.edits).values())
    print(f"\nnotes acknowledged {len(stats.notes)}, missing "
          f"{sum(b not in stored for b in stats.notes)}; edits acknowledged {len(stats.edits)} on "
          f"{len(last)} clients, last value lost {sum(refs.get(c) != r for c, r in last.items())}"
          f", two saves accepted on one version {doubled}")
    print(f"stale search entries afterwards: {after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="length of each phase")
    parser.add_argument("--requests", type=int, help="stop a phase after this many requests")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--think", type=float, default=1.0,
                        help="scale of the pauses between actions (0: back to back)")
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--workdir", default="/tmp/cone-load")
    parser.add_argument("--with-bulk", action="store_true")
    parser.add_argument("--bulk-clients", type=int, default=5_000)
    parser.add_argument("--bulk-nice", type=int, default=0,
                        help="run the bulk writer at this nice level (as a job consumer may)")
    args = parser.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    args.database_url = args.database_url or f"sqlite:///{Path(args.workdir) / 'load.db'}"
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": args.database_url,
           "SECRET_KEY": "load-test-secret", "HOME": os.environ.get("HOME", "/tmp"),
           # gunicorn's own way to try other settings, e.g. "--threads 4"
           "GUNICORN_CMD_ARGS": os.environ.get("GUNICORN_CMD_ARGS", "")}
    max_id, before = prepare(args, env)
    print(f"stale search entries before the load: {before}; load average {load_average()}")
    port = free_port()
    with open(Path(args.workdir) / "gunicorn.log", "w") as log:
        server = start_gunicorn(env, port, log)
        try:
            stats, go, stop = Stats(), threading.Event(), threading.Event()
            users = [User(n, f"http://127.0.0.1:{port}", stats, max_id, args.think, go, stop)
                     for n in range(args.users)]
            for u in users:
                u.start()
            for u in users:
                u.ready.wait(120)
            phases = {"alone": run_phase("alone", users, stats, args, env)}
            if args.with_bulk:
                phases["with bulk writer"] = run_phase("with bulk writer", users, stats, args, env,
                                                       bulk=True)
            stop.set()
            for u in users:
                u.join(60)
        finally:
            server.terminate()
            server.wait(30)
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "x"})
    print(f"\n{args.database_url.split(':')[0]}: {max_id:,} clients at start, {args.users} users,"
          f" think time x{args.think}; load average {load_average()}")
    timings(stats, phases)
    lost_writes(stats, app)


if __name__ == "__main__":
    main()
