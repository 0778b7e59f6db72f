"""Import 10,000 customers from the Xero emulator into a register that holds 100,000 clients.

    .venv/bin/python bench/import_bench.py [--clients 100000] [--customers 10000]
                                           [--database-url URL] [--tracemalloc]

Seeds a fresh database (a temporary SQLite file, or the PostgreSQL URL given, whose tables are
dropped and created again) with the seed-demo generator, starts the Xero emulator on a loopback
port with that many generated contacts, connects to it with a real OAuth token, then fetches,
previews (classifies every customer against the register) and runs the import with the default
decisions. Prints wall time per phase, the share spent matching duplicates, the requests the
emulator answered and peak memory (RSS of the process; Python heap too with --tracemalloc,
which slows everything down).
"""
import argparse
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from cone import create_app  # noqa: E402
from cone.services import connections, demo, imports  # noqa: E402
from cone.services.crypto import encrypt  # noqa: E402
from cone.services.models import Connection, db, utcnow  # noqa: E402
from tests.emulators import xero as xero_emulator  # noqa: E402

CLIENT_ID, SECRET = "test-client", "test-secret"  # what the emulator accepts


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{tmp.name}/bench.db"
    server, emulator = serve(xero_emulator.create_emulator(generate=args.customers))
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
              "XERO_CLIENT_ID": CLIENT_ID, "XERO_CLIENT_SECRET": SECRET,
              "XERO_AUTHORIZE_URL": emulator + "/identity/connect/authorize",
              "XERO_TOKEN_URL": emulator + "/connect/token", "XERO_API_URL": emulator,
              "ACCOUNTING_TIMEOUT": 60}
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
        start = time.perf_counter()
        demo.seed(args.clients, seed=1)
        print(f"seeded {args.clients:,} clients in {time.perf_counter() - start:.1f} s "
              f"({db.engine.dialect.name})")
        pair = grant(emulator)
        tenant = xero_emulator.TENANTS[0]["tenantId"]
        conn = Connection(provider="xero", tenant_id=tenant, tenant_name="Bench",
                          access_token=encrypt(app.config, pair["access_token"]),
                          refresh_token=encrypt(app.config, pair["refresh_token"]),
                          expires_at=utcnow() + timedelta(seconds=pair["expires_in"]))
        db.session.add(conn)
        db.session.commit()
        rss_before = rss_mb()
        if args.tracemalloc:
            tracemalloc.start()
        t0 = time.perf_counter()
        with connections.open_provider(conn, app.config) as provider:
            customers = list(provider.list_customers(include_non_customers=True))
        t1 = time.perf_counter()
        rows = imports.build_preview(customers)
        t2 = time.perf_counter()
        run = imports.create_preview_run("xero", rows, user=None, connection_id=conn.id)
        run.status = "queued"
        db.session.commit()
        fetched, run_id = len(customers), run.id
        del customers, rows, run  # the job process starts from the stored plan alone
        db.session.expunge_all()
        run = imports.run_import(run_id)
        t3 = time.perf_counter()
        outcome = imports.summary(run)
        heap = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
        requests = [r for r in httpx.get(emulator + "/_control/requests").json()
                    if "/api.xro/" in str(r)]
    server.shutdown()
    total = t3 - t0
    print(f"customers fetched: {fetched:,} in {t1 - t0:.1f} s "
          f"({len(requests)} API requests to the emulator)")
    print(f"matching (preview: load indexes + classify): {t2 - t1:.2f} s "
          f"= {100 * (t2 - t1) / total:.1f}% of the run")
    print(f"import run: {t3 - t2:.1f} s  ->  {outcome}")
    print(f"wall time fetch + preview + run: {total:.1f} s "
          f"({fetched / total:.0f} customers/s)")
    print(f"peak RSS: {rss_mb():.0f} MB (before the import: {rss_before:.0f} MB)"
          + (f"; Python heap peak during the import: {heap:.0f} MB" if heap else ""))
    tmp.cleanup()


if __name__ == "__main__":
    main()
