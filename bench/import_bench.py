"""Import 10,000 customers from the Xero emulator into a register that holds 100,000 clients,
by the old per-record-transaction path and by the batched path, on the same database state.

    .venv/bin/python bench/import_bench.py [--clients 100000] [--customers 10000]
        [--database-url URL] [--batch-size 500] [--only old|new] [--profile FILE]

Seeds a database once (a temporary SQLite file, or the PostgreSQL URL given, whose tables are
dropped and created again) with the seed-demo generator, and makes one copy of it per path (the
file copied; on PostgreSQL `CREATE DATABASE … TEMPLATE`). It starts the Xero emulator on a
loopback port with that many generated contacts. Each path then runs in a process of its own, so
its peak memory is its own: connect with a real OAuth token, fetch, preview (classify every
customer against the register: the matching), and write the records with the default
decisions: OLD one transaction per record with the search triggers on (a faithful copy of the
loop the batched path replaced, through the same apply functions), NEW run_import (batches in
one transaction, a SAVEPOINT per record). Prints, per path: the write phase in records/s, the
per-record cost over the first and the last 1,000 records written (from the activity events'
times), matching's share of the run, peak RSS; then the ratio of the write phases.
--profile FILE writes a cProfile of the write phase of each path to FILE.old / FILE.new.
"""
import argparse
import cProfile
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from cone import create_app  # noqa: E402
from cone.services import connections, demo, imports, search  # noqa: E402
from cone.services.crypto import encrypt  # noqa: E402
from cone.services.imports import apply  # noqa: E402
from cone.services.imports.apply import RecordFailed, find_link  # noqa: E402
from cone.services.imports.preview import row_from_json  # noqa: E402
from cone.services.imports.run import BATCH_SIZE  # noqa: E402
from cone.services.models import Client, Connection, ImportRun, User, db, utcnow  # noqa: E402
from cone.services.tx import transaction  # noqa: E402
from tests.emulators import xero as xero_emulator  # noqa: E402

CLIENT_ID, SECRET = "test-client", "test-secret"  # what the emulator accepts
WINDOW = 1_000


class Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def grant(url: str) -> dict:
    """A token pair from the emulator's authorize and token endpoints."""
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.get("/identity/connect/authorize", params={
            "client_id": CLIENT_ID, "redirect_uri": "http://localhost/cb",
            "response_type": "code", "state": "s"})
        code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
        return http.post("/connect/token", auth=(CLIENT_ID, SECRET), data={
            "grant_type": "authorization_code", "code": code,
            "redirect_uri": "http://localhost/cb"}).json()


# The old path, kept here to compare against: one transaction per record, counts saved with it

def _old_one(row, user):
    customer = row.customer
    if row.decision == "skip":
        return "skipped", row.client_id
    link = find_link(customer)
    if link is not None:
        client = link.client
        changes = apply.update(client, link, customer, user)
        if not changes:
            return "skipped", client.id
        apply.record_resync(client, customer.provider, changes, user, verb="Updated")
        return "updated", client.id
    if row.decision == "update":
        raise RecordFailed("The client is no longer linked to this record: preview again.")
    if row.decision == "create":
        return "created", apply.create(customer, user).id
    client = db.session.get(Client, row.client_id)
    if client is None:
        raise RecordFailed("The matching client no longer exists.")
    apply.link(client, customer, user)
    return "linked", client.id


def _old_save(run_id: int, values: dict) -> None:
    db.session.execute(update(ImportRun).where(ImportRun.id == run_id).values(**values))


def old_run_import(run_id: int) -> ImportRun:
    """The run as it was before batching (run.py at the parent of this change)."""
    with transaction():
        db.session.execute(update(ImportRun).where(ImportRun.id == run_id)
                           .values(status="running", started_at=utcnow(), errors=[]))
    run = db.session.get(ImportRun, run_id)
    user = db.session.get(User, run.started_by_id) if run.started_by_id else None
    stored_plan = list(run.plan or [])
    counts = dict.fromkeys(("processed", "created", "linked", "updated", "skipped", "failed"), 0)
    outcomes, errors = {}, []
    with transaction():
        _old_save(run_id, counts)
    for stored in stored_plan:
        row = row_from_json(stored)
        try:
            with transaction():
                outcome, client_id = _old_one(row, user)
                tally = dict(counts, processed=counts["processed"] + 1)
                tally[outcome] += 1
                _old_save(run_id, tally)
        except Exception as e:
            reason = str(e) if isinstance(e, RecordFailed) else "An unexpected error occurred."
            errors.append({"index": row.index, "name": row.customer.name, "reason": reason})
            counts["failed"] += 1
            counts["processed"] += 1
            with transaction():
                _old_save(run_id, dict(counts, errors=list(errors)))
            outcomes[row.index] = ("failed", row.client_id, reason)
        else:
            counts = tally
            outcomes[row.index] = (outcome, client_id, "")
    plan = []
    for stored in stored_plan:
        outcome, client_id, message = outcomes.get(stored["index"], ("", None, ""))
        plan.append(dict(stored, outcome=outcome, result_client_id=client_id, message=message))
    with transaction():
        run = db.session.get(ImportRun, run_id)
        run.plan, run.status, run.finished_at = plan, "done", utcnow()
    return run


def per_record_ms() -> tuple[float, float, int]:
    """Cost per record over the first and the last WINDOW records written: the time between
    their first activity events (the clock of the writing process)."""
    firsts = db.session.execute(text(
        "SELECT min(created_at) FROM activity_event WHERE client_id IS NOT NULL "
        "GROUP BY client_id ORDER BY 1")).scalars().all()
    stamps = [datetime.fromisoformat(f) if isinstance(f, str) else f for f in firsts]
    n = len(stamps)
    w = min(WINDOW, n // 2)
    if w < 2:
        return 0.0, 0.0, n
    first = (stamps[w - 1] - stamps[0]).total_seconds() / (w - 1) * 1000
    last = (stamps[-1] - stamps[-w]).total_seconds() / (w - 1) * 1000
    return first, last, n


def phase(args) -> None:
    """One path in this process; prints its figures as one JSON line."""
    config = {"SQLALCHEMY_DATABASE_URI": args.url, "SECRET_KEY": "bench",
              "XERO_CLIENT_ID": CLIENT_ID, "XERO_CLIENT_SECRET": SECRET,
              "XERO_AUTHORIZE_URL": args.emulator + "/identity/connect/authorize",
              "XERO_TOKEN_URL": args.emulator + "/connect/token",
              "XERO_API_URL": args.emulator, "ACCOUNTING_TIMEOUT": 60}
    app = create_app(config)
    with app.app_context():
        pair = grant(args.emulator)
        conn = Connection(provider="xero", tenant_id=xero_emulator.TENANTS[0]["tenantId"],
                          tenant_name="Bench",
                          access_token=encrypt(app.config, pair["access_token"]),
                          refresh_token=encrypt(app.config, pair["refresh_token"]),
                          expires_at=utcnow() + timedelta(seconds=pair["expires_in"]))
        db.session.add(conn)
        db.session.commit()
        rss_before = rss_mb()
        t0 = time.perf_counter()
        with connections.open_provider(conn, app.config) as provider:
            customers = list(provider.list_customers(include_non_customers=True))
        t1 = time.perf_counter()
        rows = imports.build_preview(customers)
        t2 = time.perf_counter()
        run = imports.create_preview_run("xero", rows, user=None, connection_id=conn.id)
        imports.start_import(run, user=None)
        fetched, run_id = len(customers), run.id
        del customers, rows, run  # the job process starts from the stored plan alone
        db.session.expunge_all()
        rss_write = rss_mb()
        profile = cProfile.Profile() if args.profile else None
        t3, cpu3 = time.perf_counter(), time.process_time()
        if profile:
            profile.enable()
        if args.phase == "old":
            old_run_import(run_id)
        else:
            imports.run_import(run_id, batch_size=args.batch_size)
        if profile:
            profile.disable()
            profile.dump_stats(f"{args.profile}.{args.phase}")
        t4, cpu4 = time.perf_counter(), time.process_time()
        peak = rss_mb()
        db.session.expire_all()
        run = db.session.get(ImportRun, run_id)
        first, last, written = per_record_ms()
        print(json.dumps({
            "phase": args.phase, "fetched": fetched, "fetch_s": t1 - t0, "match_s": t2 - t1,
            "write_s": t4 - t3, "write_cpu_s": cpu4 - cpu3, "run_s": t4 - t0, "records": run.processed,
            "summary": imports.summary(run), "status": run.status, "written": written,
            "first_ms": first, "last_ms": last, "rss_before": rss_before, "rss_write": rss_write,
            "rss_peak": peak,
            "index_differs": search.check(db.session)}))


def seed_database(args, tmp: str) -> tuple[str, list[str]]:
    """Seed once; the URLs of one copy per path."""
    url = args.database_url or f"sqlite:///{tmp}/seed.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        demo.seed(args.clients, seed=1)
        dialect = db.engine.dialect.name
        print(f"seeded {args.clients:,} clients in {time.perf_counter() - start:.1f} s "
              f"({dialect})", flush=True)
        if dialect == "sqlite":
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            db.session.commit()
        db.session.close()
        db.engine.dispose()
    copies = []
    for name in ("old", "new"):
        if url.startswith("sqlite"):
            path = f"{tmp}/{name}.db"
            shutil.copy(f"{tmp}/seed.db", path)
            copies.append(f"sqlite:///{path}")
        else:
            source = make_url(url)
            target = f"{source.database}_bench_{name}"
            server = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with server.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source.database}"'))
            server.dispose()
            copies.append(source.set(database=target).render_as_string(hide_password=False))
    return url, copies


def drop_copies(copies: list[str]) -> None:
    for url in copies:
        if url.startswith("postgresql"):
            target = make_url(url)
            server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with server.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            server.dispose()


def report(results: dict) -> None:
    for name in ("old", "new"):
        r = results.get(name)
        if r is None:
            continue
        print(f"\n{name.upper()} path ({r['status']}): {r['summary']}")
        print(f"  fetch {r['fetch_s']:.1f} s, matching {r['match_s']:.2f} s "
              f"= {100 * r['match_s'] / r['run_s']:.1f}% of the run ({r['run_s']:.1f} s)")
        print(f"  write phase: {r['write_s']:.1f} s = {r['records'] / r['write_s']:,.0f} records/s "
              f"(this process's CPU: {r['write_cpu_s']:.1f} s = "
              f"{r['records'] / r['write_cpu_s']:,.0f} records per CPU second)")
        print(f"  per record written: first {WINDOW:,} {r['first_ms']:.2f} ms, "
              f"last {WINDOW:,} {r['last_ms']:.2f} ms ({r['written']:,} written)")
        print(f"  peak RSS {r['rss_peak']:.0f} MB (before the fetch {r['rss_before']:.0f} MB, "
              f"before the write phase {r['rss_write']:.0f} MB); "
              f"search index entries differing after: {r['index_differs']}")
    if "old" in results and "new" in results:
        old, new = results["old"], results["new"]
        ratio = (new["records"] / new["write_s"]) / (old["records"] / old["write_s"])
        print(f"\nwrite phase: new / old = {ratio:.1f}x")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--only", choices=("old", "new"))
    parser.add_argument("--profile", default="")
    parser.add_argument("--phase", choices=("old", "new"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--emulator", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args)
        return
    tmp = tempfile.mkdtemp(prefix="import-bench-")
    server, emulator = serve(xero_emulator.create_emulator(generate=args.customers))
    copies = []
    try:
        _, copies = seed_database(args, tmp)
        results = {}
        for name, url in zip(("old", "new"), copies):
            if args.only and args.only != name:
                continue
            done = subprocess.run(
                [sys.executable, __file__, "--phase", name, "--url", url, "--emulator", emulator,
                 "--batch-size", str(args.batch_size), "--profile", args.profile],
                capture_output=True, text=True, cwd=ROOT)
            if done.returncode != 0:
                print(done.stdout, done.stderr, file=sys.stderr)
                raise SystemExit(f"the {name} path failed")
            results[name] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{name}: {results[name]['write_s']:.1f} s", flush=True)
        report(results)
    finally:
        server.shutdown()
        drop_copies(copies)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
